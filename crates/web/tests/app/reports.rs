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
