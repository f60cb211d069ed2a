//! Training through the pages (issue E, point 1): courses and sessions added by officers, teams
//! invited by number or by unit, the roll call taken by who changes the team, and who has not been
//! trained, on screen and as a logged, masked CSV.

use axum::http::StatusCode;
use domain::UserRole;
use store::access::Target;
use store::{Scope, training};
use time::macros::date;

use crate::app_test;
use crate::common::TestApp;

/// A course and a session on 28/08/2024; answers the session.
async fn session(app: &TestApp) -> i64 {
    let course = training::add_course(&app.db, "Phổ cập kỹ năng số", "Sở TT&TT Quảng Nam", "Dịch vụ công trực tuyến")
        .await
        .expect("course");
    training::add_session(&app.db, course, date!(2024 - 08 - 28), "Hội trường UBND Tam Kỳ", "VNPT Quảng Nam")
        .await
        .expect("session")
}

async fn sessions(app: &TestApp) -> usize {
    training::sessions(&app.db).await.expect("sessions").len()
}

async fn marks(app: &TestApp, s: i64) -> Vec<(i64, Option<String>)> {
    training::roll_call(&app.db, &Scope::All, s)
        .await
        .expect("roll")
        .into_iter()
        .map(|r| (r.person_id, r.status))
        .collect()
}

app_test!(officers_add_courses_and_sessions_and_bad_input_is_named_beside_its_field, |app| {
    let page = app.get("/training").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Chưa có buổi tập huấn nào") && page.body.contains("course-form"), "{}", page.body);
    assert!(page.body.contains("href=\"/training\""), "the navigation links to training");
    // An empty title: named, nothing stored.
    let r = app.post_form("/training/courses", &[("title", " "), ("organiser", "VNPT Quảng Nam")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Chưa nhập tên khóa tập huấn") && r.body.contains("value=\"VNPT Quảng Nam\""),
        "{}",
        r.body
    );
    let r = app.post_form("/training/courses", &[("title", "Thanh toán số"), ("organiser", "")]).await;
    assert!(r.body.contains("Chưa nhập đơn vị tổ chức"), "{}", r.body);
    assert!(training::courses(&app.db).await.expect("courses").is_empty());
    let r = app
        .post_form(
            "/training/courses",
            &[
                ("title", "Thanh toán không dùng tiền mặt"),
                ("organiser", "VNPT Quảng Nam"),
                ("topics", "Mã QR; ví điện tử"),
            ],
        )
        .await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/training?ok=created")));
    let course = training::courses(&app.db).await.expect("courses")[0].id.to_string();
    // A bad date, an empty venue, an unknown course: each named, no session stored.
    let r =
        app.post_form("/training/sessions", &[("course_id", &course), ("held_on", "31/02/2024"), ("venue", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Ngày “31/02/2024” không hợp lệ") && r.body.contains("Chưa nhập địa điểm"), "{}", r.body);
    let r = app
        .post_form("/training/sessions", &[("course_id", "9999"), ("held_on", "17/10/2024"), ("venue", "Phú Ninh")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Không tìm thấy khóa tập huấn này"), "{}", r.body);
    let r = app
        .post_form("/training/sessions", &[("course_id", ""), ("held_on", "17/10/2024"), ("venue", "Phú Ninh")])
        .await;
    assert!(r.body.contains("Chọn khóa tập huấn"), "{}", r.body);
    assert_eq!(sessions(&app).await, 0);
    let r = app
        .post_form(
            "/training/sessions",
            &[
                ("course_id", &course),
                ("held_on", "17/10/2024"),
                ("venue", "Hội trường UBND huyện Phú Ninh"),
                ("trainers", "Kỹ sư VNPT"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.location.expect("to the session");
    assert!(to.starts_with("/training/") && to.ends_with("?ok=created"), "{to}");
    let detail = app.get(&to).await;
    assert_eq!(detail.status, StatusCode::OK);
    for shown in [
        "Thanh toán không dùng tiền mặt",
        "VNPT Quảng Nam",
        "Mã QR; ví điện tử",
        "17/10/2024",
        "Kỹ sư VNPT",
        "Hội trường UBND huyện Phú Ninh",
        "invite-form",
    ] {
        assert!(detail.body.contains(shown), "{shown}: {}", detail.body);
    }
    let list = app.get("/training").await;
    let path = to.split('?').next().unwrap_or_default();
    assert!(list.body.contains("17/10/2024") && list.body.contains(&format!("href=\"{path}\"")), "{}", list.body);
    // A viewer and a team leader read, but add nothing (403) and see no forms.
    let team = app.team("20335", "Thôn Một").await;
    app.user_with("nguoi.xem", Some((UserRole::Viewer, Target::Unit("502".into())))).await;
    app.user_with("to.truong", Some((UserRole::TeamLeader, Target::Team(team)))).await;
    for login in ["nguoi.xem", "to.truong"] {
        let mut b = app.browser_of(login).await;
        let page = b.get("/training").await;
        assert!(page.status == StatusCode::OK && !page.body.contains("course-form"), "{login}");
        let r = b.post_form("/training/courses", &[("title", "Khóa lạ"), ("organiser", "Ai đó")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{login}");
        let r = b
            .post_form("/training/sessions", &[("course_id", &course), ("held_on", "01/11/2024"), ("venue", "X")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{login}");
    }
    assert_eq!((training::courses(&app.db).await.expect("c").len(), sessions(&app).await), (1, 1));
    // A missing session, a path that is not a number: not found.
    assert_eq!(app.get("/training/9999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/training/abc").await.status, StatusCode::NOT_FOUND);
});

app_test!(sessions_come_a_page_at_a_time_newest_first, |app| {
    let course = training::add_course(&app.db, "Kỹ năng số", "Sở TT&TT", "").await.expect("course");
    for d in 1..=21u8 {
        let day = time::Date::from_calendar_date(2024, time::Month::March, d).expect("day");
        training::add_session(&app.db, course, day, &format!("Địa điểm {d}"), "").await.expect("session");
    }
    let first = app.get("/training").await;
    assert!(first.body.contains("21/03/2024") && !first.body.contains("01/03/2024"), "{}", first.body);
    assert!(first.body.contains("Trang 1 / 2") && first.body.contains("/training?page=2"), "{}", first.body);
    let second = app.get("/training?page=2").await;
    assert!(second.body.contains("01/03/2024") && !second.body.contains("21/03/2024"), "{}", second.body);
});

app_test!(teams_are_invited_by_number_or_by_unit_by_who_changes_them, |app| {
    let s = session(&app).await;
    let a = app.team("20335", "Thôn Một").await;
    let b = app.team("20335", "Thôn Hai").await;
    let near = app.team("20341", "Thôn Gần").await;
    app.member(a, "Nguyễn Văn An", "0912000001", "leader", "commune_official").await;
    app.user_with("cb.xa", Some((UserRole::CommuneOfficer, Target::Unit("20335".into())))).await;
    app.user_with("nguoi.xem", Some((UserRole::Viewer, Target::Unit("502".into())))).await;
    let mut officer = app.browser_of("cb.xa").await;
    let at = format!("/training/{s}/invite");
    // Bad input is named beside its field and invites nothing.
    for (fields, message) in [
        (vec![("teams", "abc")], "“abc” không phải là số tổ"),
        (vec![("teams", "99999")], "Không tìm thấy tổ số 99999"),
        (vec![("teams", "")], "Nhập số tổ, hoặc mã đơn vị"),
        (vec![("unit", "99999")], "Không có đơn vị hành chính mã 99999"),
        // A team or a unit the officer cannot read is as unknown.
        (vec![("teams", &*near.to_string())], "Không tìm thấy tổ số"),
        (vec![("unit", "20341")], "Không có đơn vị hành chính mã 20341"),
    ] {
        let r = officer.post_form(&at, &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(r.body.contains(message) && r.body.contains("field-error"), "{fields:?}: {}", r.body);
    }
    assert_eq!(training::session(&app.db, s).await.expect("s").teams, 0);
    // Readable, not changeable: 403.
    let mut viewer = app.browser_of("nguoi.xem").await;
    assert_eq!(viewer.post_form(&at, &[("teams", &a.to_string())]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(viewer.post_form(&at, &[("unit", "20335")]).await.status, StatusCode::FORBIDDEN);
    assert!(!viewer.get(&format!("/training/{s}")).await.body.contains("invite-form"));
    // By number, then the whole commune (the team already invited stays once).
    let r = officer.post_form(&at, &[("teams", &a.to_string())]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some(&*format!("/training/{s}?ok=invited"))));
    assert_eq!(training::session(&app.db, s).await.expect("s").teams, 1);
    let r = officer.post_form(&at, &[("unit", "20335")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let invited: Vec<i64> =
        training::invited(&app.db, &Scope::All, s).await.expect("i").iter().map(|t| t.team_id).collect();
    assert_eq!(invited.len(), 2);
    assert!(invited.contains(&a) && invited.contains(&b));
    // The administrator invites Phường Tam Kỳ's team; the officer's page does not show it.
    assert_eq!(app.post_form(&at, &[("teams", &format!("{near}"))]).await.status, StatusCode::SEE_OTHER);
    let page = officer.get(&format!("/training/{s}")).await;
    assert!(page.body.contains("Thôn Một") && !page.body.contains("Thôn Gần"), "{}", page.body);
    let page = app.get(&format!("/training/{s}?ok=invited")).await;
    assert!(page.body.contains("Thôn Gần") && page.body.contains("Đã mời các tổ."), "{}", page.body);
    // Unknown session: 404.
    assert_eq!(
        officer.post_form("/training/9999/invite", &[("teams", &a.to_string())]).await.status,
        StatusCode::NOT_FOUND
    );
});

app_test!(the_roll_call_is_taken_on_a_phone_by_who_changes_the_team, |app| {
    let s = session(&app).await;
    let own = app.team("20335", "Thôn Một").await;
    let sibling = app.team("20335", "Thôn Hai").await;
    let near = app.team("20341", "Thôn Gần").await;
    let uninvited = app.team("20335", "Thôn Ba").await;
    let an = app.member(own, "Nguyễn Văn An", "0912000001", "leader", "commune_official").await;
    let binh = app.member(own, "Lê Thị Bình", "0912000002", "member", "other").await;
    let chi = app.member(sibling, "Trần Thị Chi", "0912000003", "leader", "other").await;
    let dung = app.member(near, "Phạm Văn Dũng", "0912000004", "leader", "other").await;
    let em = app.member(uninvited, "Võ Thị Em", "0912000005", "leader", "other").await;
    training::invite(&app.db, &Scope::All, s, &[own, sibling, near]).await.expect("invite");
    app.user_with("to.truong", Some((UserRole::TeamLeader, Target::Team(own)))).await;
    let mut leader = app.browser_of("to.truong").await;
    let at = format!("/training/{s}/roll-call");
    // The leader sees the commune's invited members; only their own team has choices.
    let page = leader.get(&at).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Nguyễn Văn An") && page.body.contains("Trần Thị Chi"), "{}", page.body);
    assert!(!page.body.contains("Phạm Văn Dũng"), "another commune's member stays hidden");
    assert!(page.body.contains(&format!("name=\"p{an}\" value=\"excused\"")));
    assert!(!page.body.contains(&format!("name=\"p{chi}\"")), "no choices for a team the leader does not change");
    // Bad input: named, nothing written.
    let (pan, pbinh, pchi, pdung, pem) =
        (format!("p{an}"), format!("p{binh}"), format!("p{chi}"), format!("p{dung}"), format!("p{em}"));
    for (fields, message) in [
        (vec![(pan.as_str(), "present"), (pbinh.as_str(), "maybe")], "Điểm danh là Có mặt, Vắng hoặc Vắng có phép"),
        (vec![(pan.as_str(), "present"), (pem.as_str(), "present")], "không có trong danh sách điểm danh"),
        (vec![(pdung.as_str(), "present")], "không có trong danh sách điểm danh"),
        (vec![("pabc", "present")], "không phải là số của một người"),
        (vec![], "Chưa điểm danh ai"),
    ] {
        let r = leader.post_form(&at, &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(r.body.contains(message), "{fields:?}: {}", r.body);
    }
    // A readable member of a team the leader does not change: 403, nothing written.
    let r = leader.post_form(&at, &[(pan.as_str(), "present"), (pchi.as_str(), "absent")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(marks(&app, s).await.iter().all(|(_, m)| m.is_none()));
    // Marked, then corrected.
    let r = leader.post_form(&at, &[(pan.as_str(), "present"), (pbinh.as_str(), "absent")]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some(&*format!("{at}?ok=roll_call"))));
    let r = leader.post_form(&at, &[(pbinh.as_str(), "excused")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let stored = marks(&app, s).await;
    assert!(stored.contains(&(an, Some("present".into()))) && stored.contains(&(binh, Some("excused".into()))));
    assert!(stored.contains(&(chi, None)) && stored.contains(&(dung, None)));
    let page = leader.get(&format!("{at}?ok=roll_call")).await;
    assert!(
        page.body.contains("Đã lưu điểm danh.")
            && page.body.contains(&format!("name=\"p{binh}\" value=\"excused\" checked")),
        "{}",
        page.body
    );
    // The session counts them.
    let detail = app.get(&format!("/training/{s}")).await;
    assert!(
        detail.body.contains(
            "<td class=\"num\">2</td><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">1</td>"
        ),
        "{}",
        detail.body
    );
    // The administrator marks anyone invited; a missing session is 404.
    assert_eq!(app.post_form(&at, &[(pdung.as_str(), "absent")]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(leader.get("/training/9999/roll-call").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        leader.post_form("/training/9999/roll-call", &[(pan.as_str(), "present")]).await.status,
        StatusCode::NOT_FOUND
    );
});

async fn trail(app: &TestApp, action: &str) -> Vec<store::audit::Recorded> {
    let all = store::audit::Filter { scope: Scope::All, entity: Some("export".into()), ..Default::default() };
    store::audit::list(&app.db, &all, store::PageRequest::all())
        .await
        .expect("audit")
        .items
        .into_iter()
        .filter(|r| r.action == action)
        .collect()
}

app_test!(the_untrained_are_listed_a_page_at_a_time_and_exported_masked_and_logged, |app| {
    let s = session(&app).await;
    let t = app.team("20335", "Thôn Một").await;
    let an = app.member(t, "Nguyễn Văn An", "0912345678", "leader", "commune_official").await;
    let binh = app.member(t, "Lê Thị Bình", "0987654321", "member", "other").await;
    training::invite(&app.db, &Scope::All, s, &[t]).await.expect("invite");
    training::record(&app.db, &Scope::All, s, &[(an, "present".into()), (binh, "absent".into())]).await.expect("marks");
    let page = app.get("/training/untrained?unit=20335").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Lê Thị Bình") && !page.body.contains("Nguyễn Văn An"), "{}", page.body);
    assert!(page.body.contains("Chưa tập huấn"));
    // Not in the last 12 months: An too (28/08/2024 is long past), with the day he last came.
    let page = app.get("/training/untrained?unit=20335&months=12").await;
    assert!(page.body.contains("Nguyễn Văn An") && page.body.contains("28/08/2024"), "{}", page.body);
    // Bad input is named.
    let r = app.get("/training/untrained?unit=20335&months=abc").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Số tháng là một số nguyên từ 1 đến 240"), "{}", r.body);
    let r = app.get("/training/untrained?unit=99999").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Không có đơn vị hành chính mã 99999"), "{}", r.body);
    assert_eq!(app.get("/training/untrained.csv?unit=99999").await.status, StatusCode::NOT_FOUND);
    // Without a unit: the reader's province.
    assert!(app.get("/training/untrained").await.body.contains("Lê Thị Bình"));
    // A viewer sees numbers masked, on screen and in the CSV; the export is logged with its rows.
    app.user_with("nguoi.xem", Some((UserRole::Viewer, Target::Unit("502".into())))).await;
    let mut viewer = app.browser_of("nguoi.xem").await;
    let page = viewer.get("/training/untrained?unit=20335&months=12").await;
    assert!(page.body.contains("0987 *** 321") && !page.body.contains("0987 654 321"), "{}", page.body);
    assert!(page.body.contains("/training/untrained.csv?unit=20335&#38;months=12"), "{}", page.body);
    let csv = viewer.get("/training/untrained.csv?unit=20335&months=12").await;
    assert!(csv.content_type.starts_with("text/csv"));
    assert_eq!(csv.body.trim_end().lines().count(), 3, "{}", csv.body);
    assert!(csv.body.contains("0987 *** 321") && !csv.body.contains("0987654321"), "{}", csv.body);
    assert!(csv.body.contains("28/08/2024") && csv.body.contains("Chưa tập huấn"));
    let logged = trail(&app, "untrained_csv").await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].actor, "nguoi.xem");
    let after: serde_json::Value = serde_json::from_str(logged[0].after_json.as_deref().expect("after")).expect("json");
    assert_eq!((after["count"].as_i64(), after["whole"].as_i64()), (Some(2), Some(0)));
    assert_eq!(after["filter"]["months"], "12");
    // The administrator's export holds whole numbers; a unit the viewer cannot see is 404.
    assert!(app.get("/training/untrained.csv?unit=20335").await.body.contains("0987654321"));
    assert_eq!(viewer.get("/training/untrained?unit=20380").await.status, StatusCode::NOT_FOUND);
    // Fifty a page.
    for i in 0..50 {
        app.member(t, "Đặng Văn Tư", &format!("0913{i:06}"), "member", "other").await;
    }
    let first = app.get("/training/untrained?unit=20335").await;
    assert!(first.body.contains("Trang 1 / 2") && first.body.contains("page=2"), "{}", first.body);
    let second = app.get("/training/untrained?unit=20335&page=2").await;
    assert_eq!(second.body.matches("href=\"/people/").count(), 1, "{}", second.body);
});
