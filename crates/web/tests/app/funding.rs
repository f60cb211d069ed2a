//! Funding policies and the budget simulator through the pages and the API (issue D, points 1-2).

use std::io::Cursor;

use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use serde_json::json;

use crate::app_test;

/// A policy of 500,000 a team a month on a unit, in force from 2025.
fn option_a(scope: &str) -> serde_json::Value {
    json!({
        "name": "Hỗ trợ tổ hằng tháng",
        "legal_basis": "Nghị quyết số 05/2025/NQ-HĐND",
        "kind": "team_month",
        "amount": 500000,
        "effective_from": "01/01/2025",
        "scope": scope,
        "cap_months": 24,
        "source": "province",
        "status": "in_force",
    })
}

app_test!(policies_are_recorded_changed_by_versions_and_refused_with_reasons, |app| {
    // Refused, every field named.
    let r = app.post_form("/policies", &[("name", ""), ("amount", "1,5"), ("kind", "x")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Chưa nhập tên chính sách") && r.body.contains("Chưa chọn đơn vị áp dụng"), "{}", r.body);
    let r = app.api("POST", "/api/v1/policies", Some(json!({ "amount": "abc" }))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = r.json()["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or("").to_owned())
        .collect();
    for f in ["name", "kind", "amount", "effective_from", "scope", "source"] {
        assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
    }
    // Recorded through the page; its page says the amount in words.
    let r = app
        .post_form(
            "/policies",
            &[
                ("name", "Hỗ trợ tổ hằng tháng"),
                ("kind", "team_month"),
                ("amount", "500.000"),
                ("effective_from", "01/01/2025"),
                ("scope", "49"),
                ("cap_months", "24"),
                ("source", "province"),
                ("status", "in_force"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let first = r.location.clone().expect("location").split('?').next().unwrap_or_default().to_owned();
    let page = app.get(&first).await;
    assert!(page.body.contains("500.000 ₫") && page.body.contains("Năm trăm nghìn đồng"), "{}", page.body);
    // The same name again: refused beside the name.
    let r = app.api("POST", "/api/v1/policies", Some(option_a("49"))).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // A change through the API makes version 2; the old page says it is old.
    let id: i64 = first.trim_start_matches("/policies/").parse().expect("id");
    let mut changed = option_a("49");
    changed["amount"] = json!("600.000");
    let r = app.api("POST", &format!("/api/v1/policies/{id}/versions"), Some(changed.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let new = r.json()["id"].as_i64().expect("new id");
    let shown = app.get(&format!("/api/v1/policies/{new}")).await.json();
    assert_eq!((shown["version"].as_i64(), shown["amount"].as_i64()), (Some(2), Some(600_000)));
    assert_eq!(shown["versions"].as_array().map(Vec::len), Some(2));
    assert!(app.get(&first).await.body.contains("id=\"superseded\""));
    // The old version is not changed again.
    let r = app.api("POST", &format!("/api/v1/policies/{id}/versions"), Some(changed)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // The list holds the current version only.
    let list = app.get("/api/v1/policies").await.json();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["id"].as_i64(), Some(new));
});

app_test!(the_budget_simulator_answers_in_whole_dong_and_in_excel, |app| {
    for name in ["Thôn Một", "Thôn Hai", "Thôn Ba"] {
        app.team("20335", name).await;
    }
    app.village("20335", "Thôn Chưa Có Tổ").await;
    app.team("20380", "Thôn Xa").await;
    let r = app.api("POST", "/api/v1/policies", Some(option_a("49"))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().expect("id");
    let sim = app.get(&format!("/api/v1/budget?unit=49&from=2025-01&months=12&policy={id}")).await;
    assert_eq!(sim.status, StatusCode::OK, "{}", sim.body);
    let sim = sim.json();
    assert_eq!(sim["unit"]["villages"], 5);
    assert_eq!(sim["unit"]["teams"], 4);
    let scenarios = &sim["policies"][0]["scenarios"];
    assert_eq!(scenarios[0]["scenario"], "current_teams");
    assert_eq!(scenarios[0]["total"], 4 * 6_000_000);
    assert_eq!(scenarios[1]["total"], 5 * 6_000_000);
    let rows: i64 = scenarios[1]["rows"].as_array().expect("rows").iter().filter_map(serde_json::Value::as_i64).sum();
    assert_eq!(rows, 5 * 6_000_000, "rows sum to the total");
    // The page shows it formatted; the Excel file holds the integers and the total in words.
    let page = app.get(&format!("/budget?unit=49&from=2025-01&months=12&policy={id}")).await;
    assert!(page.body.contains("30.000.000 ₫") && page.body.contains("24.000.000 ₫"), "{}", page.body);
    let x = app.get(&format!("/budget.xlsx?unit=49&from=2025-01&months=12&policy={id}")).await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.content_type.contains("spreadsheetml"));
    let bytes = app.get_bytes(&format!("/budget.xlsx?unit=49&from=2025-01&months=12&policy={id}")).await;
    let mut book = Xlsx::new(Cursor::new(bytes)).expect("an xlsx");
    let names = book.sheet_names().clone();
    assert_eq!(names, vec!["Các tổ hiện có", "Mỗi thôn một tổ"]);
    let sheet = book.worksheet_range("Mỗi thôn một tổ").expect("sheet");
    let cells: Vec<&Data> = sheet.used_cells().map(|(_, _, c)| c).collect();
    assert!(
        cells.iter().any(|c| matches!(c, Data::Float(f) if (*f - 30_000_000.0).abs() < 0.5)),
        "the total as a number"
    );
    assert!(
        cells.iter().any(|c| matches!(c, Data::String(s) if s.contains("Ba mươi triệu đồng"))),
        "the total in words"
    );
    // Bad questions: each named; an unknown unit is not found.
    let r = app.get("/api/v1/budget?unit=49&from=2025-13&months=0").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let detail = r.json()["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains("from") && detail.contains("months"), "{detail}");
    assert_eq!(app.get("/api/v1/budget?unit=99999&from=2025-01&months=12").await.status, StatusCode::NOT_FOUND);
    let page = app.get("/budget?unit=49&from=2025-01&months=abc").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("Số tháng phải là số nguyên"));
});

app_test!(a_simulation_counts_only_what_the_reader_may_see, |app| {
    app.team("20335", "Thôn Một").await;
    app.team("20380", "Thôn Xa").await;
    let r = app.api("POST", "/api/v1/policies", Some(option_a("49"))).await;
    let id = r.json()["id"].as_i64().expect("id");
    app.user_with("cb.xa", Some((domain::UserRole::CommuneOfficer, store::access::Target::Unit("20335".into())))).await;
    let mut officer = app.browser_of("cb.xa").await;
    // The province's policy concerns the commune's officer, who sees it but cannot change it.
    assert_eq!(officer.get(&format!("/api/v1/policies/{id}")).await.status, StatusCode::OK);
    let r = officer.api("POST", &format!("/api/v1/policies/{id}/versions"), Some(option_a("49"))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Simulated for the province, the officer's answer counts their commune only.
    let sim = officer.get(&format!("/api/v1/budget?unit=49&from=2025-01&months=12&policy={id}")).await.json();
    assert_eq!(sim["unit"]["teams"], 1);
    assert_eq!(sim["policies"][0]["scenarios"][0]["total"], 6_000_000);
    let all = app.get(&format!("/api/v1/budget?unit=49&from=2025-01&months=12&policy={id}")).await.json();
    assert_eq!(all["unit"]["teams"], 2);
});
