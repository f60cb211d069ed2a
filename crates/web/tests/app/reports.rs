//! Monthly team reports through the pages (issue E, points 3-4): a team leader's submission
//! counts once however often the form is sent, and the commune's completeness changes at once.

use axum::http::StatusCode;
use domain::UserRole;
use store::access::Target;

use crate::app_test;

app_test!(a_team_leader_reports_and_the_commune_sees_it_at_once, |app| {
    store::reports::load_demo_indicators(&app.db).await.expect("indicators");
    let own = app.team("20335", "Thôn Một").await;
    let other = app.team("20335", "Thôn Hai").await;
    app.user_with("to.truong", Some((UserRole::TeamLeader, Target::Team(own)))).await;
    app.user_with("cb.xa", Some((UserRole::CommuneOfficer, Target::Unit("20335".into())))).await;
    let mut leader = app.browser_of("to.truong").await;
    let before = app.get("/reports?unit=20335&month=2025-01").await;
    assert!(before.body.contains("phải báo cáo <b>2</b>"), "{}", before.body);
    assert!(before.body.contains("id=\"fig-received\"><b>0</b>"), "{}", before.body);
    // A draft first: nothing counts.
    let r =
        leader.post_form(&format!("/teams/{own}/reports/2025-01"), &[("action", "draft"), ("v_dvc_ho_so", "4")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = leader.get(&format!("/teams/{own}/reports/2025-01")).await;
    assert!(page.body.contains("Bản nháp") && page.body.contains("value=\"4\""), "{}", page.body);
    // Bad values are named and nothing is stored.
    let r = leader
        .post_form(
            &format!("/teams/{own}/reports/2025-01"),
            &[("action", "submit"), ("key", "k1"), ("v_dvc_ho_so", "-1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("cần một số nguyên"), "{}", r.body);
    // Submitted twice with the same key (a phone resending): one report, counted once.
    for _ in 0..2 {
        let r = leader
            .post_form(
                &format!("/teams/{own}/reports/2025-01"),
                &[("action", "submit"), ("key", "k2"), ("v_dvc_ho_so", "5")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let totals = store::reports::indicator_totals(
        &app.db,
        &store::Scope::All,
        "20335",
        domain::funding::YearMonth::parse("2025-01").expect("m"),
        domain::funding::YearMonth::parse("2025-01").expect("m"),
    )
    .await
    .expect("totals");
    assert_eq!(totals.iter().find(|t| t.code == "dvc_ho_so").expect("indicator").total, 5);
    let after = app.get("/reports?unit=20335&month=2025-01").await;
    assert!(after.body.contains("phải báo cáo <b>2</b>"), "{}", after.body);
    assert!(after.body.contains("id=\"fig-received\"><b>1</b>"), "{}", after.body);
    assert!(after.body.contains(&format!("/teams/{other}/reports/2025-01")), "the team not reported is listed");
    // The leader does not report for another team, nor decide.
    let r = leader.post_form(&format!("/teams/{other}/reports/2025-01"), &[("action", "draft")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let id = store::reports::of_team(
        &app.db,
        &store::Scope::All,
        own,
        domain::funding::YearMonth::parse("2025-01").expect("m"),
    )
    .await
    .expect("report")
    .expect("there")
    .id;
    assert_eq!(leader.post_form(&format!("/reports/{id}/approve"), &[]).await.status, StatusCode::FORBIDDEN);
    // The commune officer returns it (a reason is needed), then approves the corrected one.
    let mut officer = app.browser_of("cb.xa").await;
    let r = officer.post_form(&format!("/reports/{id}/return"), &[("comment", " ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = officer.post_form(&format!("/reports/{id}/return"), &[("comment", "Số hồ sơ chưa khớp")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let back = app.get("/reports?unit=20335&month=2025-01").await;
    assert!(back.body.contains("id=\"fig-received\"><b>0</b>"), "a returned report stops counting");
    let r = leader
        .post_form(
            &format!("/teams/{own}/reports/2025-01"),
            &[("action", "submit"), ("key", "k3"), ("v_dvc_ho_so", "6")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(officer.post_form(&format!("/reports/{id}/approve"), &[]).await.status, StatusCode::SEE_OTHER);
    let locked = leader.get(&format!("/teams/{own}/reports/2025-01")).await;
    assert!(locked.body.contains("Đã duyệt") && !locked.body.contains("report-submit"), "{}", locked.body);
    assert!(store::reports::verify(&app.db).await.expect("verify").is_empty());
    // A month that is not one, a team out of reach: not found.
    assert_eq!(leader.get(&format!("/teams/{own}/reports/2025-13")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/reports?month=abc").await.status, StatusCode::BAD_REQUEST);
});

app_test!(the_catalogue_and_the_deadline_are_set_without_code, |app| {
    store::reports::load_demo_indicators(&app.db).await.expect("indicators");
    let team = app.team("20335", "Thôn Một").await;
    let page = app.get("/admin/reports").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("dvc_huong_dan") && page.body.contains("value=\"5\""), "the catalogue and day 5");

    // Bad input is refused in Vietnamese and changes nothing.
    for day in ["0", "29", "năm", ""] {
        let r = app.post_form("/admin/reports/deadline", &[("day", day)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "day {day:?}");
        assert!(r.body.contains("từ 1 đến 28"), "{}", r.body);
    }
    assert_eq!(store::reports::deadline_day(&app.db).await.expect("day"), 5);
    let refused = [
        (("Có Dấu", "Tên"), "chữ thường không dấu"),
        (("dvc_ho_so", "Trùng mã"), "đã có"),
        (("moi", ""), "Chưa nhập tên chỉ tiêu"),
    ];
    for ((code, name), message) in refused {
        let r = app.post_form("/admin/reports/indicators", &[("code", code), ("name", name)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{code}");
        assert!(r.body.contains(message), "{code}: {message}");
        assert!(r.body.contains(&format!("value=\"{code}\"")), "what was typed stays in the form");
    }
    let r =
        app.post_form("/admin/reports/indicators", &[("code", "moi"), ("name", "Chỉ tiêu"), ("sort_order", "x")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(store::reports::indicators(&app.db).await.expect("catalogue").len(), 9);

    // A new indicator: the next form asks for it, last.
    let r = app
        .post_form(
            "/admin/reports/indicators",
            &[("code", "zalo_nhom"), ("name", "Số nhóm Zalo cộng đồng được lập"), ("unit_of_measure", "nhóm")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let catalogue = store::reports::indicators(&app.db).await.expect("catalogue");
    assert_eq!(catalogue.last().map(|i| (i.code.as_str(), i.sort_order)), Some(("zalo_nhom", 10)));
    let form = app.get(&format!("/teams/{team}/reports/2025-01")).await;
    assert!(form.body.contains("name=\"v_zalo_nhom\""), "the form asks for the new indicator");

    // The deadline: day 28 makes a report sent today for last month on time whenever today is;
    // day 1 makes it late unless today is the 1st.
    let r = app.post_form("/admin/reports/deadline", &[("day", "28")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(store::reports::deadline_day(&app.db).await.expect("day"), 28);
    let last = domain::funding::YearMonth::of(store::today().replace_day(1).expect("1st") - time::Duration::days(1));
    let due = store::reports::due_day(&app.db, last).await.expect("due");
    assert_eq!(due, last.next().first_day().replace_day(28).expect("28th"));
    let sent = store::reports::submit(&app.db, &store::Scope::All, team, last, &[], Some("k-1")).await.expect("sent");
    assert_eq!(sent.late, store::today() > due);
    let trail = store::audit::list(
        &app.db,
        &store::audit::Filter { scope: store::Scope::All, ..store::audit::Filter::default() },
        store::PageRequest::new(1, 50),
    )
    .await
    .expect("audit");
    assert!(trail.items.iter().any(|e| e.action == "report_deadline_day"), "the change is in the audit trail");
});
