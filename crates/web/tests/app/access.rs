//! Personal data and accounts by role (issue C, points 3-5): masking and the logged reveal,
//! logged exports, users and grants managed by administrators, pending grants, disabled accounts.

use axum::http::StatusCode;
use domain::UserRole;
use store::Scope;
use store::access::Target;

use crate::app_test;
use crate::common::TestApp;

/// Audit rows with this entity and action, newest first.
async fn trail(app: &TestApp, entity: &str, action: &str) -> Vec<store::audit::Recorded> {
    let all = store::audit::Filter { scope: Scope::All, entity: Some(entity.into()), ..Default::default() };
    store::audit::list(&app.db, &all, store::PageRequest::all())
        .await
        .expect("audit")
        .items
        .into_iter()
        .filter(|r| r.action == action)
        .collect()
}

app_test!(viewers_and_other_teams_leaders_see_numbers_masked_and_reveals_are_logged, |app| {
    let own = app.team("20335", "Thôn Một").await;
    let other = app.team("20335", "Thôn Hai").await;
    let mine = app.member(own, "Nguyễn Văn An", "0912345678", "leader", "commune_official").await;
    let theirs = app.member(other, "Trần Thị Bình", "0987654321", "leader", "commune_official").await;
    app.user_with("nguoi.xem", Some((UserRole::Viewer, Target::Unit("502".into())))).await;
    app.user_with("to.truong", Some((UserRole::TeamLeader, Target::Team(own)))).await;

    let mut viewer = app.browser_of("nguoi.xem").await;
    // Every way a viewer reads a number shows it masked, and the whole number nowhere.
    for path in [
        format!("/teams/{own}"),
        format!("/people/{mine}"),
        "/members".to_owned(),
        "/members.csv".to_owned(),
        "/api/v1/members".to_owned(),
        format!("/api/v1/members/{mine}"),
        format!("/api/v1/teams/{own}"),
        format!("/api/v1/teams/{own}/members"),
    ] {
        let r = viewer.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.body.contains("0912 *** 678"), "{path}: {}", r.body);
        assert!(!r.body.contains("0912345678") && !r.body.contains("0912 345 678"), "{path} shows the number");
    }
    assert_eq!(viewer.get(&format!("/api/v1/members/{mine}")).await.json()["masked"], true);
    // Typing the number does not find its owner.
    let found = viewer.get("/api/v1/members?q=0912345678").await.json();
    assert_eq!(found["total"], 0);
    assert_eq!(viewer.get("/api/v1/members?q=nguyen").await.json()["total"], 1);

    // A reveal shows it whole, once, and the trail says who saw whose.
    let r = viewer.post_form(&format!("/people/{mine}/reveal"), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("0912 345 678"), "{}", r.body);
    assert!(viewer.get(&format!("/people/{mine}")).await.body.contains("0912 *** 678"), "masked again after");
    let api = viewer.api("POST", &format!("/api/v1/members/{theirs}/reveal"), None).await;
    assert_eq!(api.json()["phone"], "0987654321");
    let reveals = trail(&app, "person", "reveal").await;
    assert_eq!(reveals.len(), 2);
    assert_eq!(
        (reveals[0].actor.as_str(), reveals[0].entity_id, reveals[0].channel.as_str()),
        ("nguoi.xem", Some(theirs), "api")
    );
    assert_eq!((reveals[1].entity_id, reveals[1].channel.as_str()), (Some(mine), "web"));
    assert_eq!(reveals[1].unit_path.as_deref(), Some("49/502/20335/"));
    // A reveal needs the form's CSRF token.
    let forged = viewer.post_form(&format!("/people/{mine}/reveal"), &[("csrf", "x")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(trail(&app, "person", "reveal").await.len(), 2);

    // A team leader sees their own team whole and the other team of the commune masked.
    let mut leader = app.browser_of("to.truong").await;
    let page = leader.get(&format!("/teams/{own}")).await;
    assert!(page.body.contains("0912 345 678") && page.body.contains("team-edit"), "{}", page.body);
    let page = leader.get(&format!("/teams/{other}")).await;
    assert!(page.body.contains("0987 *** 321") && !page.body.contains("team-edit"), "{}", page.body);
    assert!(!page.body.contains("team-dissolve"), "a leader does not dissolve");
    // The administrator sees both whole.
    let page = app.get(&format!("/teams/{other}")).await;
    assert!(page.body.contains("0987 654 321"));
});

app_test!(exports_of_personal_data_are_logged_with_their_rows, |app| {
    let t = app.team("20335", "Thôn Một").await;
    let a = app.member(t, "Nguyễn Văn An", "0912345678", "leader", "commune_official").await;
    let b = app.member(t, "Trần Thị Bình", "0987654321", "member", "other").await;
    let csv = app.get("/members.csv?q=nguyen").await;
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(csv.body.contains("0912345678"), "the administrator exports whole numbers");
    assert!(!csv.body.contains("Bình"), "the export holds the filtered list only");
    let logged = trail(&app, "export", "members_csv").await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].actor, "admin");
    let after: serde_json::Value = serde_json::from_str(logged[0].after_json.as_deref().expect("after")).expect("json");
    assert_eq!(after["rows"], serde_json::json!([a]));
    assert_eq!(after["filter"]["q"], "nguyen");
    let all = app.get("/members.csv").await;
    assert_eq!(all.body.trim_end().lines().count(), 3, "a header and two people");
    let logged = trail(&app, "export", "members_csv").await;
    let after: serde_json::Value = serde_json::from_str(logged[0].after_json.as_deref().expect("after")).expect("json");
    let mut rows: Vec<i64> =
        after["rows"].as_array().expect("rows").iter().filter_map(serde_json::Value::as_i64).collect();
    rows.sort_unstable();
    assert_eq!(rows, vec![a.min(b), a.max(b)]);
    // The audit trail's own export holds values before and after: it is logged too.
    let audit = app.get("/admin/audit.csv").await;
    assert_eq!(audit.status, StatusCode::OK);
    assert_eq!(trail(&app, "export", "audit_csv").await.len(), 1);
});

app_test!(administrators_manage_users_and_grants_within_their_reach, |app| {
    app.user_with("qt.tamky", Some((UserRole::ProvinceAdmin, Target::Unit("502".into())))).await;
    let mut district = app.browser_of("qt.tamky").await;
    // A new commune officer, with a password shown once.
    let r = district
        .post_form(
            "/admin/users",
            &[("login", "can.bo.moi"), ("name", "Cán bộ mới"), ("role", "commune_officer"), ("unit", "20335")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let marker = "<code>";
    let start = r.body.find(marker).expect("the password is shown") + marker.len();
    let password = r.body[start..start + 16].to_owned();
    let mut newcomer = TestApp::new_on(&app).await;
    newcomer.login_as("can.bo.moi", &password).await;
    assert!(newcomer.get("/account").await.body.contains("Cán bộ xã — 20335"));
    // Beyond the district's reach: refused beside the field, nothing stored.
    let r = district.post_form("/admin/users", &[("login", "xa.khac"), ("role", "viewer"), ("unit", "20380")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("trong phạm vi mình quản trị"), "{}", r.body);
    assert!(store::users::by_login(&app.db, "xa.khac").await.is_err());
    let r = district.post_form("/admin/users", &[("login", "ca.nuoc"), ("role", "viewer"), ("unit", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "the whole country is beyond a district's reach");
    // A user with grants elsewhere only is not there for the district.
    let far = app.user_with("o.xa.xa", Some((UserRole::Viewer, Target::Unit("20380".into())))).await;
    assert_eq!(district.get(&format!("/admin/users/{far}")).await.status, StatusCode::NOT_FOUND);
    assert!(!district.get("/admin/users").await.body.contains("o.xa.xa"));
    assert!(app.get("/admin/users").await.body.contains("o.xa.xa"));
    // Nor is one who holds a grant inside the district and another beyond it: resetting their
    // password would hand the district's administrator the wider grant.
    let wide = app.user_with("rong.hon", Some((UserRole::Viewer, Target::Unit("20335".into())))).await;
    let beyond = store::access::resolve(&app.db, UserRole::ProvinceOfficer, &Target::Everything).await.expect("grant");
    store::access::grant(&app.db, "rong.hon", &beyond).await.expect("wider grant");
    assert_eq!(district.get(&format!("/admin/users/{wide}")).await.status, StatusCode::NOT_FOUND);
    let r = district.post_form(&format!("/admin/users/{wide}/password"), &[("confirm", "1")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!district.get("/admin/users").await.body.contains("rong.hon"));

    // A password reset: the old one stops working, the new one works, sessions end.
    let id = store::users::by_login(&app.db, "can.bo.moi").await.expect("user").user_id;
    let r = district.post_form(&format!("/admin/users/{id}/password"), &[("confirm", "1")]).await;
    assert_eq!(r.status, StatusCode::OK);
    let start = r.body.find(marker).expect("new password") + marker.len();
    let fresh = r.body[start..start + 16].to_owned();
    assert_ne!(fresh, password);
    assert_eq!(newcomer.get("/account").await.status, StatusCode::SEE_OTHER, "the session ended");
    let mut again = TestApp::new_on(&app).await;
    let r = again.post_form("/login", &[("login", "can.bo.moi"), ("password", &password)]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    again.login_as("can.bo.moi", &fresh).await;

    // Disabled: the session ends and logging in fails; enabled again, it works.
    let r = district.post_form(&format!("/admin/users/{id}/status"), &[("status", "disabled")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a confirmation first");
    let r = district.post_form(&format!("/admin/users/{id}/status"), &[("status", "disabled"), ("confirm", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(again.get("/account").await.status, StatusCode::SEE_OTHER);
    let r = TestApp::new_on(&app).await.post_form("/login", &[("login", "can.bo.moi"), ("password", &fresh)]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    district.post_form(&format!("/admin/users/{id}/status"), &[("status", "active")]).await;
    TestApp::new_on(&app).await.login_as("can.bo.moi", &fresh).await;
    // Nobody disables themself.
    let me = store::users::by_login(&app.db, "qt.tamky").await.expect("me").user_id;
    let r = district.post_form(&format!("/admin/users/{me}/status"), &[("status", "disabled"), ("confirm", "1")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Grants added and revoked on the user's page, each on the trail.
    let r = district.post_form(&format!("/admin/users/{id}/grants"), &[("role", "viewer"), ("unit", "502")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let grants = store::access::of_user(&app.db, id).await.expect("grants");
    assert_eq!(grants.len(), 2);
    let viewer_grant = grants.iter().find(|g| g.role == "viewer").expect("viewer").grant_id;
    let r = district.post_form(&format!("/admin/grants/{viewer_grant}/revoke"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(store::access::of_user(&app.db, id).await.expect("grants").len(), 1);
    assert_eq!(trail(&app, "grant", "revoke").await[0].actor, "qt.tamky");
    // Non-administrators are refused the pages.
    app.user_with("chi.xem", Some((UserRole::Viewer, Target::Unit("502".into())))).await;
    let mut plain = app.browser_of("chi.xem").await;
    assert_eq!(plain.get("/admin/users").await.status, StatusCode::FORBIDDEN);
    assert!(!plain.get("/").await.body.contains("/admin/users"), "no administration links");
});

app_test!(a_passed_on_grant_allows_nothing_until_confirmed, |app| {
    let t = app.team("20335", "Thôn Một").await;
    let officer = app.user_with("cb.xa", Some((UserRole::CommuneOfficer, Target::Unit("20335".into())))).await;
    let grant = store::access::of_user(&app.db, officer).await.expect("grants")[0].grant_id;
    // As a reorganisation leaves it: pending, passed from an ended unit.
    let sql =
        "update user_grant set status = 'pending', passed_from = '20338 Phường Phước Hòa' where user_grant_id = $1";
    store::testing::execute(&app.db, sql, grant).await;
    let mut b = app.browser_of("cb.xa").await;
    assert_eq!(b.get(&format!("/teams/{t}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(b.get("/api/v1/teams").await.json()["total"], 0);
    let list = app.get("/admin/users").await;
    assert!(list.body.contains("pending-grants") && list.body.contains("20338 Phường Phước Hòa"), "{}", list.body);
    let r = app.post_form("/admin/grants/confirm-all", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(store::access::get(&app.db, grant).await.expect("grant").status, "active");
    assert_eq!(b.get(&format!("/teams/{t}")).await.status, StatusCode::OK);
    assert!(!app.get("/admin/users").await.body.contains("pending-grants"));
    assert_eq!(trail(&app, "grant", "confirm").await.len(), 1);
});

app_test!(a_dissolved_team_takes_its_leaders_grant_with_it, |app| {
    let t = app.team("20335", "Thôn Một").await;
    app.member(t, "Nguyễn Văn An", "0912345678", "leader", "commune_official").await;
    let leader = app.user_with("to.truong", Some((UserRole::TeamLeader, Target::Team(t)))).await;
    let mut b = app.browser_of("to.truong").await;
    assert_eq!(b.get(&format!("/teams/{t}")).await.status, StatusCode::OK);
    let r = app.post_form(&format!("/teams/{t}/dissolve"), &[("confirm", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(store::access::of_user(&app.db, leader).await.expect("grants").is_empty());
    assert_eq!(b.get(&format!("/teams/{t}")).await.status, StatusCode::NOT_FOUND);
    let ended = trail(&app, "grant", "end").await;
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].unit_path.as_deref(), Some("49/502/20335/"));
});
