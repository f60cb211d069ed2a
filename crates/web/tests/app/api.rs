//! The JSON API, through the router, on SQLite and PostgreSQL: every route's happy path and its
//! refusals, each refusal answered as problem details naming the refused field, and the
//! OpenAPI document held against the routes.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use serde_json::{Value, json};
use store::Scope;
use store::people;
use store::teams;
use store::testing::Backend;

use crate::app_test;
use crate::common::{ADMIN, ADMIN_PASSWORD, Reply, TestApp};

const TAN_THANH: &str = "20335";
const AN_MY: &str = "20341";
const TAM_KY: &str = "502";
const QUANG_NAM: &str = "49";

/// Every route of the API, as (method, path under `/api/v1`). The one list the tests hold:
/// `openapi.json` must describe exactly these, and the router must serve each of them.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/openapi.json"),
    ("GET", "/units"),
    ("GET", "/units/{code}"),
    ("GET", "/units/{code}/coverage"),
    ("GET", "/villages"),
    ("POST", "/villages"),
    ("GET", "/villages/{id}"),
    ("PATCH", "/villages/{id}"),
    ("POST", "/villages/{id}/deactivate"),
    ("POST", "/villages/{id}/merge"),
    ("GET", "/teams"),
    ("POST", "/teams"),
    ("GET", "/teams/{id}"),
    ("PUT", "/teams/{id}"),
    ("POST", "/teams/{id}/dissolve"),
    ("GET", "/teams/{id}/members"),
    ("POST", "/teams/{id}/members"),
    ("GET", "/members"),
    ("GET", "/members/{id}"),
    ("POST", "/members/{id}/reveal"),
    ("PUT", "/members/{id}"),
    ("PUT", "/memberships/{id}"),
    ("POST", "/memberships/{id}/leave"),
    ("GET", "/policies"),
    ("POST", "/policies"),
    ("GET", "/policies/{id}"),
    ("POST", "/policies/{id}/versions"),
    ("GET", "/budget"),
    ("GET", "/reports/completeness"),
    ("GET", "/reports/indicators"),
    ("GET", "/teams/{id}/reports/{month}"),
];

/// Writes one async test twice, on SQLite and PostgreSQL, with a `TestApp` nobody has logged
/// into.
macro_rules! anonymous_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(mut $app) = TestApp::new(Backend::Sqlite).await {
                    $body
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(mut $app) = TestApp::new(Backend::Postgres).await {
                    $body
                }
            }
        }
    };
}

fn api(path: &str) -> String {
    format!("/api/v1{path}")
}

/// Asserts a successful JSON answer and reads it.
#[track_caller]
fn ok_json(r: &Reply, status: StatusCode) -> Value {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(r.content_type.starts_with("application/json"), "{}: {}", r.content_type, r.body);
    r.json()
}

/// Asserts a problem-details answer with this status and reads it.
#[track_caller]
fn problem(r: &Reply, status: StatusCode) -> Value {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json", "{}", r.body);
    let p = r.json();
    assert_eq!(p["status"], status.as_u16(), "{p}");
    assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()), "{p}");
    assert!(p["detail"].as_str().is_some_and(|t| !t.is_empty()), "{p}");
    assert!(p["errors"].is_array(), "{p}");
    p
}

/// The fields named in a problem's `errors`.
fn fields(p: &Value) -> BTreeSet<String> {
    p["errors"].as_array().into_iter().flatten().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect()
}

/// The message of one refused field.
fn message<'a>(p: &'a Value, field: &str) -> &'a str {
    p["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["field"] == field)
        .and_then(|e| e["message"].as_str())
        .unwrap_or_else(|| panic!("no error on {field}: {p}"))
}

/// Asserts a 201 with its `Location` under `collection`, and gives the new id.
#[track_caller]
fn created(r: &Reply, collection: &str) -> i64 {
    let v = ok_json(r, StatusCode::CREATED);
    let id = v["id"].as_i64().unwrap_or_else(|| panic!("no id: {v}"));
    assert_eq!(r.location.as_deref(), Some(api(&format!("{collection}/{id}")).as_str()));
    id
}

#[track_caller]
fn no_content(r: &Reply) {
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert!(r.body.is_empty(), "{}", r.body);
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array().expect("a list").iter().map(|v| v[key].as_str().unwrap_or_default().to_owned()).collect()
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array().expect("a list").iter().filter_map(|v| v["id"].as_i64()).collect()
}

/// A request with a raw body and headers of the caller's choosing.
fn raw(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::from(body.to_owned())).expect("request")
}

fn basic(login: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}")))
}

/// A day this many days from today, as the store writes it.
fn days_from_today(days: i64) -> String {
    store::iso(store::today() + time::Duration::days(days))
}

async fn membership_of(app: &TestApp, person: i64) -> i64 {
    people::get(&app.db, &Scope::All, person).await.expect("person").membership_id.expect("an active membership")
}

fn hung() -> Value {
    json!({
        "full_name": "Nguyễn Văn Hùng",
        "gender": "male",
        "birth": "15/03/1985",
        "phone": "0912 345 678",
        "cccd": "049085001234",
        "email": "",
        "role": "member",
        "position": "other",
        "joined_on": "01/10/2023",
    })
}

// ---------------------------------------------------------------- the caller

anonymous_test!(the_api_needs_a_caller, |app| {
    let r = app.get(&api("/teams")).await;
    let p = problem(&r, StatusCode::UNAUTHORIZED);
    assert_eq!(p["detail"], "Cần đăng nhập");
    // No redirect to the login page, as the pages do.
    assert_eq!(r.location, None);
    let r = app.api("POST", &api("/villages"), Some(json!({ "commune_code": TAN_THANH, "name": "Thôn Mới" }))).await;
    problem(&r, StatusCode::UNAUTHORIZED);
    // The caller is checked before the body.
    let r = app.send(raw("POST", &api("/villages"), &[("content-type", "application/json")], "{oops")).await;
    problem(&r, StatusCode::UNAUTHORIZED);
    assert_eq!(app.api("GET", &api("/villages"), None).await.status, StatusCode::UNAUTHORIZED);
});

anonymous_test!(http_basic_works_without_a_session, |app| {
    let good = basic(ADMIN, ADMIN_PASSWORD);
    let r = app.send(raw("GET", &api("/units/49"), &[("authorization", &good)], "")).await;
    assert_eq!(ok_json(&r, StatusCode::OK)["name"], "Tỉnh Quảng Nam");

    // A script writes without any CSRF token: there is no cookie to forge.
    let body = json!({ "commune_code": TAN_THANH, "name": "Thôn Phú Lâm" }).to_string();
    let r = app
        .send(raw("POST", &api("/villages"), &[("authorization", &good), ("content-type", "application/json")], &body))
        .await;
    let id = created(&r, "/villages");
    let r = app.send(raw("GET", &api(&format!("/villages/{id}")), &[("authorization", &good)], "")).await;
    assert_eq!(ok_json(&r, StatusCode::OK)["name"], "Thôn Phú Lâm");

    for wrong in [basic(ADMIN, "sai-mat-khau"), basic("khong-co-ai", ADMIN_PASSWORD), "Basic !!!".to_owned()] {
        let r = app.send(raw("GET", &api("/villages"), &[("authorization", &wrong)], "")).await;
        problem(&r, StatusCode::UNAUTHORIZED);
    }
});

app_test!(a_session_must_send_its_csrf_token_to_write, |app| {
    let good = app.csrf.clone();
    for wrong in ["x".repeat(64), String::new()] {
        app.csrf = wrong;
        let r =
            app.api("POST", &api("/villages"), Some(json!({ "commune_code": TAN_THANH, "name": "Thôn Mới" }))).await;
        let p = problem(&r, StatusCode::FORBIDDEN);
        assert!(p["detail"].as_str().is_some_and(|d| d.contains("X-CSRF-Token")), "{p}");
        // Reading needs no token.
        assert_eq!(app.api("GET", &api("/villages"), None).await.status, StatusCode::OK);
    }
    app.csrf = good;
    let r = app.api("GET", &api("/villages"), None).await;
    assert_eq!(ok_json(&r, StatusCode::OK)["total"], 0, "nothing was saved");
    let r = app.api("POST", &api("/villages"), Some(json!({ "commune_code": TAN_THANH, "name": "Thôn Mới" }))).await;
    created(&r, "/villages");
});

// ---------------------------------------------------------------- the document

anonymous_test!(the_document_describes_every_route_and_only_those, |app| {
    let r = app.get(&api("/openapi.json")).await;
    let doc = ok_json(&r, StatusCode::OK);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "/api/v1");

    let listed: BTreeSet<(String, String)> =
        ROUTES.iter().map(|(m, p)| (m.to_ascii_lowercase(), (*p).to_owned())).collect();
    assert_eq!(listed.len(), ROUTES.len(), "a route is listed twice");
    let paths = doc["paths"].as_object().expect("paths");
    let mut described = BTreeSet::new();
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("a path item") {
            described.insert((method.clone(), path.clone()));
            assert!(operation["responses"].is_object(), "{method} {path}");
        }
    }
    assert_eq!(described, listed, "openapi.json against the route list");
    let listed_paths: BTreeSet<&str> = ROUTES.iter().map(|(_, p)| *p).collect();
    let doc_paths: BTreeSet<&str> = paths.keys().map(String::as_str).collect();
    assert_eq!(doc_paths, listed_paths);
    // The problem-details schema and its field errors are described.
    let problem_schema = &doc["components"]["schemas"]["Problem"];
    for key in ["type", "title", "status", "detail", "errors"] {
        assert!(problem_schema["properties"][key].is_object(), "{key}");
    }
    assert_eq!(doc["components"]["schemas"]["FieldError"]["required"], json!(["field", "message"]));

    // The router serves each route: a caller who has not logged in is asked to (401), never told
    // that the route does not exist (404) or takes another method (405).
    let concrete = |p: &str| api(&p.replace("{id}", "1").replace("{code}", QUANG_NAM).replace("{month}", "2025-01"));
    for (method, path) in ROUTES {
        let r = app.send(raw(method, &concrete(path), &[], "")).await;
        let expected = if *path == "/openapi.json" { StatusCode::OK } else { StatusCode::UNAUTHORIZED };
        assert_eq!(r.status, expected, "{method} {path}: {}", r.body);
    }
    // … and nothing more on those paths: other methods are refused as problems.
    for path in &listed_paths {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if ROUTES.contains(&(method, *path)) {
                continue;
            }
            let r = app.send(raw(method, &concrete(path), &[], "")).await;
            problem(&r, StatusCode::METHOD_NOT_ALLOWED);
        }
    }
    // A path the API does not have.
    let r = app.get(&api("/doi-tuong-khong-co")).await;
    let p = problem(&r, StatusCode::NOT_FOUND);
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("openapi.json")), "{p}");
});

// ---------------------------------------------------------------- bodies and queries

app_test!(bodies_that_are_not_json_are_refused_as_problems, |app| {
    let csrf = app.csrf.clone();
    let h = [("content-type", "application/json"), ("x-csrf-token", csrf.as_str())];

    for bad in ["{", "{\"name\": }", "[1, 2", "{\"commune_code\": \"20335\", \"name\": \"Thôn A\"} trailing"] {
        let r = app.send(raw("POST", &api("/villages"), &h, bad)).await;
        let p = problem(&r, StatusCode::BAD_REQUEST);
        assert!(p["detail"].as_str().is_some_and(|d| d.starts_with("Nội dung JSON không hợp lệ")), "{bad}: {p}");
    }
    // Values of the wrong type: the detail names the value.
    let r = app.send(raw("POST", &api("/teams"), &h, r#"{"village_id": "abc", "established_on": "01/09/2023"}"#)).await;
    let p = problem(&r, StatusCode::BAD_REQUEST);
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("sai kiểu dữ liệu") && d.contains("village_id")), "{p}");
    let r = app.send(raw("POST", &api("/villages"), &h, r#"{"commune_code": "20335", "name": ["Thôn A"]}"#)).await;
    let p = problem(&r, StatusCode::BAD_REQUEST);
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("name")), "{p}");
    // Not an object: serde would read a struct from an array by position.
    for bad in ["[]", r#"["20335", "Thôn A"]"#, "\"Thôn A\"", "null"] {
        let p = problem(&app.send(raw("POST", &api("/villages"), &h, bad)).await, StatusCode::BAD_REQUEST);
        assert!(p["detail"].as_str().is_some_and(|d| d.contains("cần một đối tượng JSON")), "{bad}: {p}");
    }

    // Larger than the server takes.
    let big = format!("{{\"commune_code\": \"20335\", \"name\": \"{}\"}}", "a".repeat(300 * 1024));
    problem(&app.send(raw("POST", &api("/villages"), &h, &big)).await, StatusCode::PAYLOAD_TOO_LARGE);

    // A form instead of JSON.
    let form = [("content-type", "application/x-www-form-urlencoded"), ("x-csrf-token", csrf.as_str())];
    let r = app.send(raw("POST", &api("/villages"), &form, "commune_code=20335&name=Th%C3%B4n+A")).await;
    problem(&r, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let r = app.api("GET", &api("/villages"), None).await;
    assert_eq!(ok_json(&r, StatusCode::OK)["total"], 0, "nothing was saved");

    // Text fields take numbers and null too: a year of birth, an absent CCCD.
    let team = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let body = json!({
        "full_name": "Lê Thị Hoa", "gender": "Nữ", "birth": 1990, "phone": "0912000001",
        "cccd": null, "email": null, "role": "Thành viên", "position": "Giáo viên",
    });
    let r = app.api("POST", &api(&format!("/teams/{team}/members")), Some(body)).await;
    let id = created(&r, "/members");
    let p = ok_json(&app.api("GET", &api(&format!("/members/{id}")), None).await, StatusCode::OK);
    assert_eq!((p["birth_year"].as_i64(), p["cccd"].is_null()), (Some(1990), true));
    assert_eq!((&p["role"], &p["position"], &p["gender"]), (&json!("member"), &json!("teacher"), &json!("female")));
});

app_test!(query_parameters_are_checked, |app| {
    for path in [
        "/villages?page=0",
        "/villages?page=abc",
        "/villages?per_page=501",
        "/villages?per_page=0",
        "/villages?without_team=maybe",
        "/teams?issue=no_money",
        "/teams?include_dissolved=2",
        "/members?include_former=perhaps",
        "/members?page=-1",
        "/units?level=village",
    ] {
        let r = app.api("GET", &api(path), None).await;
        let p = problem(&r, StatusCode::BAD_REQUEST);
        assert!(p["detail"].as_str().is_some_and(|d| d.starts_with("Tham số")), "{path}: {p}");
    }
    // An unknown unit to narrow to.
    for path in ["/villages?unit=99999", "/teams?unit=99999", "/members?unit=99999", "/units?unit=99999"] {
        let r = app.api("GET", &api(path), None).await;
        let p = problem(&r, StatusCode::NOT_FOUND);
        assert!(p["detail"].as_str().is_some_and(|d| d.contains("99999")), "{path}: {p}");
    }
    // Ids that are not numbers are things that do not exist.
    for path in ["/villages/abc", "/teams/1x", "/members/%20", "/teams/abc/members"] {
        problem(&app.api("GET", &api(path), None).await, StatusCode::NOT_FOUND);
    }
});

// ---------------------------------------------------------------- units

app_test!(units_their_parents_children_and_search, |app| {
    let all = ok_json(&app.api("GET", &api("/units"), None).await, StatusCode::OK);
    assert_eq!(all.as_array().map(Vec::len), Some(260));
    assert_eq!(
        all[0],
        json!({ "code": "49", "name": "Tỉnh Quảng Nam", "level": "province", "valid_from": all[0]["valid_from"], "valid_to": null })
    );
    assert!(all[0]["valid_from"].as_str().is_some_and(|d| d.len() == 10 && &d[4..5] == "-"), "{}", all[0]);

    let communes = ok_json(&app.api("GET", &api("/units?level=commune&unit=502"), None).await, StatusCode::OK);
    assert_eq!(communes.as_array().map(Vec::len), Some(13));
    assert!(communes.as_array().into_iter().flatten().all(|u| u["level"] == "commune"));
    let districts = ok_json(&app.api("GET", &api("/units?level=district"), None).await, StatusCode::OK);
    assert_eq!(districts.as_array().map(Vec::len), Some(18));

    // Diacritics and case ignored.
    let found = ok_json(&app.api("GET", &api("/units?search=TAN%20THANH&unit=502"), None).await, StatusCode::OK);
    assert_eq!(names(&found, "code"), vec![TAN_THANH]);

    let tam_ky = ok_json(&app.api("GET", &api("/units/502"), None).await, StatusCode::OK);
    assert_eq!(
        (&tam_ky["name"], &tam_ky["level"], &tam_ky["parent"]),
        (&json!("Thành phố Tam Kỳ"), &json!("district"), &json!(QUANG_NAM))
    );
    assert_eq!(tam_ky["children"].as_array().map(Vec::len), Some(13));
    assert!(names(&tam_ky["children"], "code").contains(&TAN_THANH.to_owned()));
    let province = ok_json(&app.api("GET", &api("/units/49"), None).await, StatusCode::OK);
    assert_eq!((province["parent"].is_null(), province["children"].as_array().map(Vec::len)), (true, Some(18)));
    let commune = ok_json(&app.api("GET", &api("/units/20335"), None).await, StatusCode::OK);
    assert_eq!((&commune["parent"], &commune["children"]), (&json!(TAM_KY), &json!([])));

    let p = problem(&app.api("GET", &api("/units/99999"), None).await, StatusCode::NOT_FOUND);
    assert_eq!(p["detail"], "Không có đơn vị hành chính mã 99999");
    problem(&app.api("GET", &api("/units/99999/coverage"), None).await, StatusCode::NOT_FOUND);
});

app_test!(coverage_of_a_district_and_of_a_commune, |app| {
    let team = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    app.member(team, "Nguyễn Văn An", "0912000001", "leader", "commune_official").await;
    app.member(team, "Trần Văn Bình", "0912000002", "member", "other").await;
    let empty = app.village(TAN_THANH, "Thôn Trống").await;
    app.team(AN_MY, "Thôn An Hà").await;

    let c = ok_json(&app.api("GET", &api("/units/502/coverage"), None).await, StatusCode::OK);
    assert_eq!(c["unit"], json!({ "code": TAM_KY, "name": "Thành phố Tam Kỳ", "level": "district" }));
    for (k, v) in [
        ("villages", 3),
        ("villages_with_team", 2),
        ("teams", 2),
        ("members", 2),
        ("teams_under_5_members", 2),
        ("teams_without_commune_official", 1),
        ("teams_without_leader", 1),
    ] {
        assert_eq!(c[k], v, "{k}: {c}");
    }
    let children = c["children"].as_array().expect("children");
    assert_eq!(children.len(), 13);
    let tan_thanh = children.iter().find(|ch| ch["unit"]["code"] == TAN_THANH).expect("Tân Thạnh");
    assert_eq!((&tan_thanh["villages"], &tan_thanh["villages_with_team"]), (&json!(2), &json!(1)));

    let c = ok_json(&app.api("GET", &api("/units/20335/coverage"), None).await, StatusCode::OK);
    let villages: Vec<&Value> = c["children"].as_array().expect("children").iter().collect();
    assert_eq!(villages.len(), 2);
    let trong = villages.iter().find(|v| v["unit"]["code"] == format!("v{empty}")).expect("the empty village");
    assert_eq!((&trong["unit"]["level"], &trong["villages_with_team"]), (&json!("village"), &json!(0)));
});

// ---------------------------------------------------------------- villages

app_test!(creating_reading_and_listing_villages, |app| {
    let r = app
        .api("POST", &api("/villages"), Some(json!({ "commune_code": TAN_THANH, "name": "  Thôn   Phú Lâm " })))
        .await;
    let id = created(&r, "/villages");
    let v = ok_json(&app.api("GET", &api(&format!("/villages/{id}")), None).await, StatusCode::OK);
    assert_eq!(
        v,
        json!({
            "id": id, "name": "Thôn Phú Lâm", "status": "active", "ended_on": null,
            "commune_code": TAN_THANH, "commune": "Phường Tân Thạnh", "team_id": null, "team": null,
            "review_note": null, "merged_into_id": null,
        })
    );
    // The same id as the store's (and the CLI's).
    assert_eq!(store::villages::get(&app.db, &Scope::All, id).await.expect("village").name, "Thôn Phú Lâm");

    // Every refused field at once.
    let p = problem(&app.api("POST", &api("/villages"), Some(json!({}))).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&p), BTreeSet::from(["commune_code".to_owned(), "name".to_owned()]));
    assert_eq!(message(&p, "name"), "Chưa nhập tên thôn / tổ dân phố");
    // A district is not a commune; an unknown code is a refused field, not a missing page.
    let p = problem(
        &app.api("POST", &api("/villages"), Some(json!({ "commune_code": TAM_KY, "name": "Thôn X" }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(message(&p, "commune_code"), "Thành phố Tam Kỳ không phải là đơn vị cấp xã hiện hành");
    let p = problem(
        &app.api("POST", &api("/villages"), Some(json!({ "commune_code": "99999", "name": "Thôn X" }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(fields(&p), BTreeSet::from(["commune_code".to_owned()]));
    // The same name in the same commune, whatever the diacritics.
    let p = problem(
        &app.api("POST", &api("/villages"), Some(json!({ "commune_code": TAN_THANH, "name": "thon phu lam" }))).await,
        StatusCode::CONFLICT,
    );
    assert_eq!(message(&p, "name"), "Phường Tân Thạnh đã có thôn / tổ dân phố tên “Thôn Phú Lâm”");
    // A commune code sent as a number is read as text.
    let r = app.api("POST", &api("/villages"), Some(json!({ "commune_code": 20341, "name": "Thôn Phú Lâm" }))).await;
    created(&r, "/villages");

    problem(&app.api("GET", &api("/villages/999999"), None).await, StatusCode::NOT_FOUND);

    // The list: diacritics ignored, narrowed to a unit, only those without a team.
    let team = app.team(TAN_THANH, "Thôn Đồng Nà").await;
    let page = ok_json(&app.api("GET", &api("/villages"), None).await, StatusCode::OK);
    assert_eq!((&page["total"], &page["page"], &page["per_page"]), (&json!(3), &json!(1), &json!(50)));
    let page = ok_json(&app.api("GET", &api("/villages?q=dong%20na"), None).await, StatusCode::OK);
    assert_eq!(names(&page["items"], "name"), vec!["Thôn Đồng Nà"]);
    assert_eq!(page["items"][0]["team_id"], team);
    let page = ok_json(&app.api("GET", &api("/villages?unit=20335&without_team=true"), None).await, StatusCode::OK);
    assert_eq!(ids(&page["items"]), vec![id]);
    let page = ok_json(&app.api("GET", &api("/villages?unit=20341"), None).await, StatusCode::OK);
    assert_eq!((page["total"].as_i64(), &page["items"][0]["commune"]), (Some(1), &json!("Phường An Mỹ")));
});

app_test!(village_lists_have_pages, |app| {
    for i in 1..=7 {
        app.village(TAN_THANH, &format!("Thôn {i:02}")).await;
    }
    let mut seen = Vec::new();
    for page in 1..=3 {
        let p =
            ok_json(&app.api("GET", &api(&format!("/villages?per_page=3&page={page}")), None).await, StatusCode::OK);
        assert_eq!((&p["total"], &p["page"], &p["per_page"]), (&json!(7), &json!(page), &json!(3)));
        seen.extend(names(&p["items"], "name"));
    }
    let expected: Vec<String> = (1..=7).map(|i| format!("Thôn {i:02}")).collect();
    assert_eq!(seen, expected);
    // A page beyond the end is empty, not an error.
    let p = ok_json(&app.api("GET", &api("/villages?per_page=3&page=9"), None).await, StatusCode::OK);
    assert_eq!((&p["total"], &p["items"]), (&json!(7), &json!([])));
    let p = ok_json(&app.api("GET", &api("/villages?per_page=500"), None).await, StatusCode::OK);
    assert_eq!(p["items"].as_array().map(Vec::len), Some(7));
});

app_test!(renaming_and_deactivating_a_village, |app| {
    let id = app.village(TAN_THANH, "Thôn Phú Lâm").await;
    app.village(TAN_THANH, "Thôn Trung").await;
    let path = api(&format!("/villages/{id}"));

    no_content(&app.api("PATCH", &path, Some(json!({ "name": "Thôn Phú Lâm Đông" }))).await);
    assert_eq!(ok_json(&app.api("GET", &path, None).await, StatusCode::OK)["name"], "Thôn Phú Lâm Đông");

    let p = problem(&app.api("PATCH", &path, Some(json!({ "name": "  " }))).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&p), BTreeSet::from(["name".to_owned()]));
    let p = problem(&app.api("PATCH", &path, Some(json!({ "name": "thôn trung" }))).await, StatusCode::CONFLICT);
    assert_eq!(fields(&p), BTreeSet::from(["name".to_owned()]));
    problem(
        &app.api("PATCH", &api("/villages/999999"), Some(json!({ "name": "Thôn X" }))).await,
        StatusCode::NOT_FOUND,
    );

    // A village with an active team cannot stop; its team must be dissolved first.
    let team = app.team(TAN_THANH, "Thôn Có Tổ").await;
    let with_team = teams::get(&app.db, &Scope::All, team).await.expect("team").village_id;
    let deactivate = api(&format!("/villages/{with_team}/deactivate"));
    let p = problem(&app.api("POST", &deactivate, None).await, StatusCode::CONFLICT);
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("hãy giải thể tổ trước")), "{p}");

    let deactivate = api(&format!("/villages/{id}/deactivate"));
    let future = days_from_today(10);
    let p = problem(
        &app.api("POST", &deactivate, Some(json!({ "ended_on": future }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(message(&p, "ended_on"), "Ngày ở tương lai");
    let p = problem(
        &app.api("POST", &deactivate, Some(json!({ "ended_on": "31/02/2024" }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(fields(&p), BTreeSet::from(["ended_on".to_owned()]));
    no_content(&app.api("POST", &deactivate, Some(json!({ "ended_on": "15/06/2024" }))).await);
    let v = ok_json(&app.api("GET", &path, None).await, StatusCode::OK);
    assert_eq!((&v["status"], &v["ended_on"]), (&json!("inactive"), &json!("2024-06-15")));
    problem(&app.api("POST", &deactivate, None).await, StatusCode::CONFLICT);
    problem(&app.api("POST", &api("/villages/999999/deactivate"), None).await, StatusCode::NOT_FOUND);

    // Inactive villages are listed only when asked.
    let list = ok_json(&app.api("GET", &api("/villages"), None).await, StatusCode::OK);
    assert!(!ids(&list["items"]).contains(&id));
    let list = ok_json(&app.api("GET", &api("/villages?include_inactive=true"), None).await, StatusCode::OK);
    assert!(ids(&list["items"]).contains(&id));
});

// ---------------------------------------------------------------- teams

app_test!(founding_and_reading_a_team, |app| {
    let village = app.village(TAN_THANH, "Thôn Phú Lâm").await;
    let body = json!({ "village_id": village, "established_on": "01/09/2023", "zalo_url": "zalo.me/g/abc123" });
    let id = created(&app.api("POST", &api("/teams"), Some(body)).await, "/teams");
    let t = ok_json(&app.api("GET", &api(&format!("/teams/{id}")), None).await, StatusCode::OK);
    for (k, v) in [
        ("id", json!(id)),
        ("name", json!("Tổ công nghệ số cộng đồng Thôn Phú Lâm")),
        ("status", json!("active")),
        ("established_on", json!("2023-09-01")),
        ("zalo_url", json!("https://zalo.me/g/abc123")),
        ("village_id", json!(village)),
        ("village", json!("Thôn Phú Lâm")),
        ("commune_code", json!(TAN_THANH)),
        ("commune", json!("Phường Tân Thạnh")),
        ("members", json!(0)),
        ("health", json!(["under_5_members", "no_commune_official", "no_leader"])),
        ("member_list", json!([])),
    ] {
        assert_eq!(t[k], v, "{k}: {t}");
    }

    // One active team per village.
    let again = json!({ "village_id": village, "established_on": "2024-01-01" });
    let p = problem(&app.api("POST", &api("/teams"), Some(again)).await, StatusCode::CONFLICT);
    assert_eq!(fields(&p), BTreeSet::from(["village_id".to_owned()]));
    assert!(message(&p, "village_id").contains("mỗi thôn chỉ có một tổ"), "{p}");

    // Every refused field at once; an unknown village is a refused field.
    let p = problem(
        &app.api("POST", &api("/teams"), Some(json!({ "zalo_url": "https://evil.example/g/x" }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(
        fields(&p),
        BTreeSet::from(["village_id".to_owned(), "established_on".to_owned(), "zalo_url".to_owned()])
    );
    assert_eq!(message(&p, "established_on"), "Chưa nhập ngày thành lập");
    let future = days_from_today(3);
    let p = problem(
        &app.api("POST", &api("/teams"), Some(json!({ "village_id": village, "established_on": future }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(message(&p, "established_on"), "Ngày thành lập ở tương lai");
    let p = problem(
        &app.api("POST", &api("/teams"), Some(json!({ "village_id": 999999, "established_on": "01/09/2023" }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(fields(&p), BTreeSet::from(["village_id".to_owned()]));

    problem(&app.api("GET", &api("/teams/999999"), None).await, StatusCode::NOT_FOUND);
    problem(&app.api("GET", &api("/teams/999999/members"), None).await, StatusCode::NOT_FOUND);
});

app_test!(editing_a_team, |app| {
    let id = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let path = api(&format!("/teams/{id}"));
    let body =
        json!({ "name": "Tổ CNSCĐ Phú Lâm", "established_on": "2023-08-15", "zalo_url": "https://zalo.me/g/xyz" });
    no_content(&app.api("PUT", &path, Some(body)).await);
    let t = ok_json(&app.api("GET", &path, None).await, StatusCode::OK);
    assert_eq!(
        (&t["name"], &t["established_on"], &t["zalo_url"]),
        (&json!("Tổ CNSCĐ Phú Lâm"), &json!("2023-08-15"), &json!("https://zalo.me/g/xyz"))
    );

    // PUT replaces: no name gives the default name, no link removes it.
    no_content(&app.api("PUT", &path, Some(json!({ "established_on": "01/09/2023" }))).await);
    let t = ok_json(&app.api("GET", &path, None).await, StatusCode::OK);
    assert_eq!((&t["name"], &t["zalo_url"]), (&json!("Tổ công nghệ số cộng đồng Thôn Phú Lâm"), &json!(null)));

    let p = problem(
        &app.api("PUT", &path, Some(json!({ "established_on": "hôm qua", "zalo_url": "facebook.com/x" }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(fields(&p), BTreeSet::from(["established_on".to_owned(), "zalo_url".to_owned()]));
    // Founded after a member joined (01/10/2023).
    app.member(id, "Nguyễn Văn An", "0912000001", "member", "other").await;
    let p = problem(
        &app.api("PUT", &path, Some(json!({ "established_on": "01/11/2023" }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert!(message(&p, "established_on").contains("01/10/2023"), "{p}");
    problem(
        &app.api("PUT", &api("/teams/999999"), Some(json!({ "established_on": "01/09/2023" }))).await,
        StatusCode::NOT_FOUND,
    );
});

app_test!(dissolving_a_team, |app| {
    let id = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let an = app.member(id, "Nguyễn Văn An", "0912000001", "leader", "other").await;
    let dissolve = api(&format!("/teams/{id}/dissolve"));

    let p = problem(
        &app.api("POST", &dissolve, Some(json!({ "dissolved_on": "01/08/2023" }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(message(&p, "dissolved_on"), "Ngày giải thể trước ngày thành lập");
    let future = days_from_today(1);
    let p = problem(
        &app.api("POST", &dissolve, Some(json!({ "dissolved_on": future }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(fields(&p), BTreeSet::from(["dissolved_on".to_owned()]));

    no_content(&app.api("POST", &dissolve, Some(json!({ "dissolved_on": "31/12/2024" }))).await);
    let t = ok_json(&app.api("GET", &api(&format!("/teams/{id}")), None).await, StatusCode::OK);
    assert_eq!(
        (&t["status"], &t["dissolved_on"], &t["health"], &t["member_list"]),
        (&json!("dissolved"), &json!("2024-12-31"), &json!([]), &json!([]))
    );
    let former =
        ok_json(&app.api("GET", &api(&format!("/teams/{id}/members?include_former=true")), None).await, StatusCode::OK);
    assert_eq!((former[0]["person_id"].as_i64(), &former[0]["left_on"]), (Some(an), &json!("2024-12-31")));

    problem(&app.api("POST", &dissolve, None).await, StatusCode::CONFLICT);
    problem(&app.api("POST", &api("/teams/999999/dissolve"), None).await, StatusCode::NOT_FOUND);

    // Dissolved teams are listed only when asked; the village may have a new team.
    let list = ok_json(&app.api("GET", &api("/teams"), None).await, StatusCode::OK);
    assert_eq!(list["total"], 0);
    let list = ok_json(&app.api("GET", &api("/teams?include_dissolved=true"), None).await, StatusCode::OK);
    assert_eq!(ids(&list["items"]), vec![id]);
    let body = json!({ "village_id": t["village_id"], "established_on": "01/01/2025" });
    created(&app.api("POST", &api("/teams"), Some(body)).await, "/teams");
});

app_test!(the_team_list_filters_by_health_searches_and_pages, |app| {
    let healthy = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    app.member(healthy, "Nguyễn Văn An", "0912000001", "leader", "commune_official").await;
    for (i, name) in ["Trần Văn Bình", "Lê Thị Hoa", "Phạm Văn Đức", "Võ Thị Mai"].into_iter().enumerate()
    {
        app.member(healthy, name, &format!("091200000{}", i + 2), "member", "other").await;
    }
    let leaderless = app.team(TAN_THANH, "Thôn Đồng Nà").await;
    app.member(leaderless, "Lê Văn Cường", "0912000011", "member", "commune_official").await;
    let other = app.team(AN_MY, "Thôn An Hà").await;

    let all = ok_json(&app.api("GET", &api("/teams"), None).await, StatusCode::OK);
    assert_eq!(all["total"], 3);
    // The CLI's shape: id, name, village, commune, members, health.
    let first = &all["items"][0];
    for key in ["id", "name", "village", "commune", "members", "health"] {
        assert!(!first[key].is_null(), "{key}: {first}");
    }
    let healthy_json = all["items"].as_array().into_iter().flatten().find(|t| t["id"] == healthy).expect("healthy");
    assert_eq!((&healthy_json["members"], &healthy_json["health"]), (&json!(5), &json!([])));

    let no_leader = ok_json(&app.api("GET", &api("/teams?issue=no_leader"), None).await, StatusCode::OK);
    assert_eq!(ids(&no_leader["items"]).into_iter().collect::<BTreeSet<_>>(), BTreeSet::from([leaderless, other]));
    let small = ok_json(&app.api("GET", &api("/teams?issue=under_5_members&unit=20335"), None).await, StatusCode::OK);
    assert_eq!(ids(&small["items"]), vec![leaderless]);
    let found = ok_json(&app.api("GET", &api("/teams?q=dong%20na"), None).await, StatusCode::OK);
    assert_eq!(ids(&found["items"]), vec![leaderless]);
    let found = ok_json(&app.api("GET", &api("/teams?q=an%20my"), None).await, StatusCode::OK);
    assert_eq!(ids(&found["items"]), vec![other], "found by its commune's name");

    let p1 = ok_json(&app.api("GET", &api("/teams?per_page=2"), None).await, StatusCode::OK);
    let p2 = ok_json(&app.api("GET", &api("/teams?per_page=2&page=2"), None).await, StatusCode::OK);
    assert_eq!((&p1["total"], &p2["total"]), (&json!(3), &json!(3)));
    assert_eq!((ids(&p1["items"]).len(), ids(&p2["items"]).len()), (2, 1));
});

// ---------------------------------------------------------------- members of a team

app_test!(adding_members_to_a_team, |app| {
    let phu_lam = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let an_ha = app.team(AN_MY, "Thôn An Hà").await;
    let path = api(&format!("/teams/{phu_lam}/members"));

    let hung_id = created(&app.api("POST", &path, Some(hung())).await, "/members");
    let p = ok_json(&app.api("GET", &api(&format!("/members/{hung_id}")), None).await, StatusCode::OK);
    for (k, v) in [
        ("id", json!(hung_id)),
        ("full_name", json!("Nguyễn Văn Hùng")),
        ("phone", json!("0912345678")),
        ("birth_date", json!("1985-03-15")),
        ("cccd", json!("049085001234")),
        ("team_id", json!(phu_lam)),
        ("team", json!("Tổ công nghệ số cộng đồng Thôn Phú Lâm")),
        ("village", json!("Thôn Phú Lâm")),
        ("commune", json!("Phường Tân Thạnh")),
        ("joined_on", json!("2023-10-01")),
    ] {
        assert_eq!(p[k], v, "{k}: {p}");
    }

    // The same person (the same CCCD) in another team.
    let p =
        problem(&app.api("POST", &api(&format!("/teams/{an_ha}/members")), Some(hung())).await, StatusCode::CONFLICT);
    assert!(
        p["detail"].as_str().is_some_and(
            |d| d.contains("Nguyễn Văn Hùng đang là thành viên của Tổ công nghệ số cộng đồng Thôn Phú Lâm")
        ),
        "{p}"
    );
    assert!(!fields(&p).is_empty(), "{p}");
    assert_eq!(teams::get(&app.db, &Scope::All, an_ha).await.expect("team").members, 0);

    // Every refused field at once.
    let p = problem(
        &app.api("POST", &path, Some(json!({ "joined_on": "hôm nay" }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(
        fields(&p),
        ["full_name", "gender", "birth", "phone", "role", "position", "joined_on"]
            .map(str::to_owned)
            .into_iter()
            .collect()
    );
    assert_eq!(message(&p, "full_name"), "Chưa nhập họ và tên");
    let mut landline = hung();
    landline["phone"] = json!("0236 3822 123");
    landline["cccd"] = json!("");
    let p = problem(&app.api("POST", &path, Some(landline)).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message(&p, "phone").contains("Đây là số máy bàn"), "{p}");
    // Joining before the team was founded (01/09/2023).
    let mut early = hung();
    early["cccd"] = json!(null);
    early["phone"] = json!("0912000009");
    early["joined_on"] = json!("2023-08-15");
    let p = problem(&app.api("POST", &path, Some(early)).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(message(&p, "joined_on"), "Ngày vào tổ trước ngày thành lập tổ");

    // A second leader.
    app.member(phu_lam, "Lê Văn Tâm", "0912000010", "leader", "other").await;
    let tu = json!({ "full_name": "Võ Văn Tú", "gender": "male", "birth": "1980", "phone": "0912000011", "role": "leader", "position": "other" });
    let p = problem(&app.api("POST", &path, Some(tu.clone())).await, StatusCode::CONFLICT);
    assert_eq!(fields(&p), BTreeSet::from(["role".to_owned()]));

    // An unknown team, once the body is valid.
    problem(&app.api("POST", &api("/teams/999999/members"), Some(tu)).await, StatusCode::NOT_FOUND);

    // The member list: the leader first, then members; the team's page lists the same.
    let list = ok_json(&app.api("GET", &path, None).await, StatusCode::OK);
    assert_eq!(names(&list, "full_name"), vec!["Lê Văn Tâm", "Nguyễn Văn Hùng"]);
    assert_eq!(names(&list, "role"), vec!["leader", "member"]);
    let team = ok_json(&app.api("GET", &api(&format!("/teams/{phu_lam}")), None).await, StatusCode::OK);
    assert_eq!(team["member_list"], list);
    assert_eq!(team["members"], 2);
});

// ---------------------------------------------------------------- members

app_test!(members_come_in_vietnamese_order_and_are_found_without_diacritics, |app| {
    let a = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let b = app.team(AN_MY, "Thôn An Hà").await;
    app.member(a, "Trần Văn Bình", "0912000001", "member", "other").await;
    app.member(a, "Nguyễn Thị An", "0912000002", "member", "other").await;
    app.member(b, "Lê Văn Cường", "0912000003", "member", "other").await;
    let hung = app.member(b, "Nguyễn Văn Hùng", "0912345678", "member", "other").await;

    let list = ok_json(&app.api("GET", &api("/members"), None).await, StatusCode::OK);
    assert_eq!(
        names(&list["items"], "full_name"),
        vec!["Nguyễn Thị An", "Trần Văn Bình", "Lê Văn Cường", "Nguyễn Văn Hùng"]
    );
    assert_eq!(list["total"], 4);
    // The CLI's shape.
    let first = &list["items"][0];
    for (k, v) in [
        ("full_name", "Nguyễn Thị An"),
        ("phone", "0912000002"),
        ("team", "Tổ công nghệ số cộng đồng Thôn Phú Lâm"),
        ("village", "Thôn Phú Lâm"),
        ("commune", "Phường Tân Thạnh"),
    ] {
        assert_eq!(first[k], v, "{k}: {first}");
    }
    assert!(first["id"].is_i64());

    let found = ok_json(&app.api("GET", &api("/members?q=nguyen%20van%20hung"), None).await, StatusCode::OK);
    assert_eq!((ids(&found["items"]), &found["total"]), (vec![hung], &json!(1)));
    let found = ok_json(&app.api("GET", &api("/members?q=NGUYEN"), None).await, StatusCode::OK);
    assert_eq!(found["total"], 2);
    let found = ok_json(&app.api("GET", &api("/members?q=0912%20345"), None).await, StatusCode::OK);
    assert_eq!(ids(&found["items"]), vec![hung], "found by phone");
    let found = ok_json(&app.api("GET", &api("/members?unit=20341"), None).await, StatusCode::OK);
    assert_eq!(names(&found["items"], "full_name"), vec!["Lê Văn Cường", "Nguyễn Văn Hùng"]);

    // Pages keep the order and the total.
    let mut seen = Vec::new();
    for page in 1..=2 {
        let p = ok_json(&app.api("GET", &api(&format!("/members?per_page=3&page={page}")), None).await, StatusCode::OK);
        assert_eq!((&p["total"], &p["per_page"]), (&json!(4), &json!(3)));
        seen.extend(names(&p["items"], "full_name"));
    }
    assert_eq!(seen, vec!["Nguyễn Thị An", "Trần Văn Bình", "Lê Văn Cường", "Nguyễn Văn Hùng"]);

    // People who left are listed only when asked.
    let m = membership_of(&app, hung).await;
    no_content(&app.api("POST", &api(&format!("/memberships/{m}/leave")), None).await);
    assert_eq!(ok_json(&app.api("GET", &api("/members"), None).await, StatusCode::OK)["total"], 3);
    let all = ok_json(&app.api("GET", &api("/members?include_former=true"), None).await, StatusCode::OK);
    assert_eq!(all["total"], 4);
    let gone = all["items"].as_array().into_iter().flatten().find(|p| p["id"] == hung).expect("Hùng");
    assert!(gone["team"].is_null() && gone["membership_id"].is_null(), "{gone}");
});

app_test!(reading_and_correcting_a_person, |app| {
    let team = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let id = created(&app.api("POST", &api(&format!("/teams/{team}/members")), Some(hung())).await, "/members");
    let other = app.member(team, "Lê Văn Tâm", "0912000010", "member", "other").await;
    let path = api(&format!("/members/{id}"));

    let p = ok_json(&app.api("GET", &path, None).await, StatusCode::OK);
    let history = p["history"].as_array().expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!((&history[0]["team_id"], &history[0]["left_on"]), (&json!(team), &json!(null)));

    let body = json!({ "full_name": "Nguyễn Văn Hưng", "gender": "Nam", "birth": "1985-03-16", "phone": "+84 912 345 679", "cccd": "049085001234", "email": "Hung@Example.VN" });
    no_content(&app.api("PUT", &path, Some(body)).await);
    let p = ok_json(&app.api("GET", &path, None).await, StatusCode::OK);
    for (k, v) in [
        ("full_name", json!("Nguyễn Văn Hưng")),
        ("birth_date", json!("1985-03-16")),
        ("phone", json!("0912345679")),
        ("email", json!("hung@example.vn")),
    ] {
        assert_eq!(p[k], v, "{k}: {p}");
    }
    // PUT replaces: no CCCD and no e-mail remove them.
    no_content(
        &app.api(
            "PUT",
            &path,
            Some(json!({ "full_name": "Nguyễn Văn Hưng", "gender": "male", "birth": 1985, "phone": "0912345679" })),
        )
        .await,
    );
    let p = ok_json(&app.api("GET", &path, None).await, StatusCode::OK);
    assert_eq!((&p["cccd"], &p["email"], &p["birth_date"]), (&json!(null), &json!(null), &json!(null)));

    let p = problem(
        &app.api(
            "PUT",
            &path,
            Some(json!({ "full_name": "X1", "gender": "?", "birth": "1850", "phone": "123", "email": "a@b" })),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(fields(&p), ["full_name", "gender", "birth", "phone", "email"].map(str::to_owned).into_iter().collect());
    // Someone else's CCCD.
    no_content(&app.api("PUT", &path, Some(json!({ "full_name": "Nguyễn Văn Hưng", "gender": "male", "birth": 1985, "phone": "0912345679", "cccd": "049085001234" }))).await);
    let tam = json!({ "full_name": "Lê Văn Tâm", "gender": "male", "birth": "1985", "phone": "0912000010", "cccd": "049085001234" });
    let p = problem(&app.api("PUT", &api(&format!("/members/{other}")), Some(tam.clone())).await, StatusCode::CONFLICT);
    assert_eq!(message(&p, "cccd"), "Số CCCD này đã được khai cho Nguyễn Văn Hưng");

    problem(&app.api("GET", &api("/members/999999"), None).await, StatusCode::NOT_FOUND);
    let mut valid = tam;
    valid["cccd"] = json!(null);
    problem(&app.api("PUT", &api("/members/999999"), Some(valid)).await, StatusCode::NOT_FOUND);
});

app_test!(changing_a_role_and_leaving_a_team, |app| {
    let team = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let an = app.member(team, "Nguyễn Văn An", "0912000001", "leader", "other").await;
    let binh = app.member(team, "Trần Văn Bình", "0912000002", "member", "other").await;
    let m = membership_of(&app, binh).await;
    let path = api(&format!("/memberships/{m}"));

    no_content(&app.api("PUT", &path, Some(json!({ "role": "deputy", "position": "commune_official" }))).await);
    let list = ok_json(&app.api("GET", &api(&format!("/teams/{team}/members")), None).await, StatusCode::OK);
    assert_eq!((&list[1]["role"], &list[1]["position"]), (&json!("deputy"), &json!("commune_official")));
    let t = ok_json(&app.api("GET", &api(&format!("/teams/{team}")), None).await, StatusCode::OK);
    assert_eq!(t["commune_officials"], 1);

    let p = problem(&app.api("PUT", &path, Some(json!({ "role": "vua" }))).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&p), BTreeSet::from(["role".to_owned(), "position".to_owned()]));
    let p = problem(
        &app.api("PUT", &path, Some(json!({ "role": "Tổ trưởng", "position": "other" }))).await,
        StatusCode::CONFLICT,
    );
    assert_eq!(fields(&p), BTreeSet::from(["role".to_owned()]));
    problem(
        &app.api("PUT", &api("/memberships/999999"), Some(json!({ "role": "member", "position": "other" }))).await,
        StatusCode::NOT_FOUND,
    );

    // Leaving.
    let leave = api(&format!("/memberships/{m}/leave"));
    let p = problem(
        &app.api("POST", &leave, Some(json!({ "left_on": "01/09/2023" }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(message(&p, "left_on"), "Ngày rời tổ trước ngày vào tổ");
    no_content(&app.api("POST", &leave, Some(json!({ "left_on": "2024-05-20" }))).await);
    let p = ok_json(&app.api("GET", &api(&format!("/members/{binh}")), None).await, StatusCode::OK);
    assert_eq!((&p["team_id"], &p["history"][0]["left_on"]), (&json!(null), &json!("2024-05-20")));
    problem(&app.api("POST", &leave, None).await, StatusCode::CONFLICT);
    problem(&app.api("PUT", &path, Some(json!({ "role": "member", "position": "other" }))).await, StatusCode::CONFLICT);
    problem(&app.api("POST", &api("/memberships/999999/leave"), None).await, StatusCode::NOT_FOUND);

    let list = ok_json(&app.api("GET", &api(&format!("/teams/{team}/members")), None).await, StatusCode::OK);
    assert_eq!(names(&list, "full_name"), vec!["Nguyễn Văn An"]);
    let list =
        ok_json(&app.api("GET", &api(&format!("/teams/{team}/members?include_former=1")), None).await, StatusCode::OK);
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert_eq!(list[0]["person_id"], an);
});

// ---------------------------------------------------------------- answers against the document

/// The property names of a schema in the document, following `allOf` and `$ref`.
fn documented_properties(doc: &Value, schema: &Value) -> BTreeSet<String> {
    if let Some(r) = schema["$ref"].as_str() {
        let target = r.trim_start_matches("#/").split('/').fold(doc, |v, k| &v[k]);
        return documented_properties(doc, target);
    }
    let mut out: BTreeSet<String> =
        schema["properties"].as_object().into_iter().flatten().map(|(k, _)| k.clone()).collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        out.extend(documented_properties(doc, part));
    }
    out
}

/// Asserts that a JSON object has exactly the properties its schema documents.
#[track_caller]
fn as_documented(doc: &Value, schema: &str, v: &Value) {
    let wanted = documented_properties(doc, &doc["components"]["schemas"][schema]);
    assert!(!wanted.is_empty(), "no schema {schema}");
    let got: BTreeSet<String> =
        v.as_object().unwrap_or_else(|| panic!("{schema}: not an object: {v}")).keys().cloned().collect();
    assert_eq!(got, wanted, "{schema}: {v}");
}

app_test!(answers_have_the_documented_shapes, |app| {
    let doc = app.get(&api("/openapi.json")).await.json();
    let team = app.team(TAN_THANH, "Thôn Phú Lâm").await;
    let person = created(&app.api("POST", &api(&format!("/teams/{team}/members")), Some(hung())).await, "/members");
    let village = teams::get(&app.db, &Scope::All, team).await.expect("team").village_id;
    let r = app.api("POST", &api("/villages"), Some(json!({ "commune_code": TAN_THANH, "name": "Thôn Mới" }))).await;
    as_documented(&doc, "Created", &ok_json(&r, StatusCode::CREATED));

    let units = ok_json(&app.api("GET", &api("/units?unit=502"), None).await, StatusCode::OK);
    as_documented(&doc, "Unit", &units[0]);
    let unit = ok_json(&app.api("GET", &api("/units/502"), None).await, StatusCode::OK);
    as_documented(&doc, "UnitDetail", &unit);
    as_documented(&doc, "Unit", &unit["children"][0]);
    let cov = ok_json(&app.api("GET", &api("/units/20335/coverage"), None).await, StatusCode::OK);
    as_documented(&doc, "Coverage", &cov);
    as_documented(&doc, "Coverage", &cov["children"][0]);
    as_documented(&doc, "UnitRef", &cov["children"][0]["unit"]);

    let villages = ok_json(&app.api("GET", &api("/villages"), None).await, StatusCode::OK);
    as_documented(&doc, "VillagePage", &villages);
    as_documented(&doc, "Village", &villages["items"][0]);
    as_documented(
        &doc,
        "Village",
        &ok_json(&app.api("GET", &api(&format!("/villages/{village}")), None).await, StatusCode::OK),
    );

    let teams_page = ok_json(&app.api("GET", &api("/teams"), None).await, StatusCode::OK);
    as_documented(&doc, "TeamPage", &teams_page);
    as_documented(&doc, "Team", &teams_page["items"][0]);
    let t = ok_json(&app.api("GET", &api(&format!("/teams/{team}")), None).await, StatusCode::OK);
    as_documented(&doc, "TeamDetail", &t);
    as_documented(&doc, "Membership", &t["member_list"][0]);
    let list = ok_json(&app.api("GET", &api(&format!("/teams/{team}/members")), None).await, StatusCode::OK);
    as_documented(&doc, "Membership", &list[0]);

    let members = ok_json(&app.api("GET", &api("/members"), None).await, StatusCode::OK);
    as_documented(&doc, "MemberPage", &members);
    as_documented(&doc, "Member", &members["items"][0]);
    let p = ok_json(&app.api("GET", &api(&format!("/members/{person}")), None).await, StatusCode::OK);
    as_documented(&doc, "MemberDetail", &p);
    as_documented(&doc, "Membership", &p["history"][0]);

    let p = problem(&app.api("POST", &api("/villages"), Some(json!({}))).await, StatusCode::UNPROCESSABLE_ENTITY);
    as_documented(&doc, "Problem", &p);
    as_documented(&doc, "FieldError", &p["errors"][0]);
});

app_test!(merging_villages_through_the_api, |app| {
    let a_team = app.team(TAN_THANH, "Khối phố 5").await;
    let b_team = app.team(TAN_THANH, "Khối phố 6").await;
    app.member(a_team, "Phạm Văn Dũng", "0912000201", "member", "other").await;
    let a = store::teams::get(&app.db, &store::Scope::All, a_team).await.expect("a").village_id;
    let b = store::teams::get(&app.db, &store::Scope::All, b_team).await.expect("b").village_id;
    let url = api(&format!("/villages/{a}/merge"));
    let p = problem(&app.api("POST", &url, Some(json!({}))).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "into_village_id");
    let p = problem(
        &app.api("POST", &url, Some(json!({ "into_village_id": 999_999 }))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(p["errors"][0]["field"], "into_village_id");
    no_content(&app.api("POST", &url, Some(json!({ "into_village_id": b, "merged_on": "2024-06-01" }))).await);
    let v = ok_json(&app.api("GET", &api(&format!("/villages/{a}")), None).await, StatusCode::OK);
    assert_eq!((v["status"].as_str(), v["merged_into_id"].as_i64()), (Some("inactive"), Some(b)));
    let t = ok_json(&app.api("GET", &api(&format!("/teams/{b_team}")), None).await, StatusCode::OK);
    assert_eq!(t["members"], 1, "the member joined the surviving team");
    problem(&app.api("POST", &url, Some(json!({ "into_village_id": b }))).await, StatusCode::UNPROCESSABLE_ENTITY);
});

app_test!(coverage_as_of_any_day_through_the_api, |app| {
    app.team("20338", "Khối phố Xưa").await;
    let (day, source, changes, state) = store::reorg::SHIPPED[0];
    store::reorg::apply_files(&app.db, changes, state, store::parse_iso(day).expect("day"), source, false)
        .await
        .expect("apply");
    // On the day before the merger, on that day's units: Phước Hòa with its team.
    let then = ok_json(&app.api("GET", &api("/units/20338/coverage?as_of=2024-12-31"), None).await, StatusCode::OK);
    assert_eq!((then["teams"].as_i64(), then["unit"]["name"].as_str()), (Some(1), Some("Phường Phước Hòa")));
    // Without a day, an ended code reports as of its last day.
    let last = ok_json(&app.api("GET", &api("/units/20338/coverage"), None).await, StatusCode::OK);
    assert_eq!(last["teams"], 1);
    // The same day on today's units: An Xuân holds the team.
    let today = ok_json(
        &app.api("GET", &api("/units/20347/coverage?as_of=2024-12-31&boundaries=today"), None).await,
        StatusCode::OK,
    );
    assert_eq!(today["teams"], 1);
    let before = ok_json(&app.api("GET", &api("/units/20347/coverage?as_of=2024-12-31"), None).await, StatusCode::OK);
    assert_eq!(before["teams"], 0, "on 31/12/2024 An Xuân did not hold Phước Hòa's villages");
    problem(
        &app.api("GET", &api("/units/20338/coverage?as_of=2024-12-31&boundaries=today"), None).await,
        StatusCode::NOT_FOUND,
    );
    problem(&app.api("GET", &api("/units/49/coverage?boundaries=sometimes"), None).await, StatusCode::BAD_REQUEST);
    problem(&app.api("GET", &api("/units/49/coverage?as_of=31-31-2024"), None).await, StatusCode::BAD_REQUEST);
});
