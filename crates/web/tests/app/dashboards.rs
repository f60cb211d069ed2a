//! Dashboards through the pages and the API (issue E, points 5-6): indicator totals, charts,
//! coverage, the comparison across child units, the reports behind each completeness figure, and
//! every table as .xlsx and CSV read back; bad input answered in Vietnamese.

use std::io::Cursor;

use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use domain::UserRole;
use domain::funding::YearMonth;
use store::Scope;
use store::access::Target;

use crate::app_test;
use crate::common::TestApp;

fn month(s: &str) -> YearMonth {
    YearMonth::parse(s).expect("month")
}

/// Submits a team's report of a month with one value of `dvc_ho_so` (the store's way, as the form
/// does).
async fn report(app: &TestApp, team: i64, m: &str, ho_so: i64) -> i64 {
    let values = store::reports::check_values(&app.db, &[("dvc_ho_so".into(), ho_so.to_string())]).await.expect("v");
    store::reports::submit(&app.db, &Scope::All, team, month(m), &values, Some(&format!("{team}-{m}")))
        .await
        .expect("submit")
        .id
}

/// Three teams in Tam Kỳ (two in Tân Thạnh, one in An Mỹ) and one far away; January reported by
/// one team of each commune of Tam Kỳ and the far one, February by the second of Tân Thạnh.
struct Setting {
    a: i64,
    b: i64,
    c: i64,
}

async fn setting(app: &TestApp) -> Setting {
    store::reports::load_demo_indicators(&app.db).await.expect("indicators");
    let a = app.team("20335", "Thôn Một").await;
    let b = app.team("20335", "Thôn Hai").await;
    let c = app.team("20341", "Thôn Ba").await;
    let far = app.team("20380", "Thôn Xa").await;
    app.village("20335", "Thôn Chưa Có Tổ").await;
    report(app, a, "2025-01", 7).await;
    report(app, c, "2025-01", 5).await;
    report(app, b, "2025-02", 30).await;
    report(app, far, "2025-01", 100).await;
    Setting { a, b, c }
}

/// A sheet of a workbook as text, row by row (whole numbers without a decimal point).
fn sheet(bytes: Vec<u8>, name: &str) -> Vec<Vec<String>> {
    let mut book = Xlsx::new(Cursor::new(bytes)).expect("an xlsx workbook");
    let range = book.worksheet_range(name).unwrap_or_else(|e| panic!("sheet {name}: {e}"));
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
                    Data::Float(f) => format!("{f:.1}"),
                    Data::Int(i) => i.to_string(),
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// A CSV document read back: the byte-order mark dropped, quoted cells unquoted.
fn parse_csv(doc: &str) -> Vec<Vec<String>> {
    let doc = doc.strip_prefix('\u{feff}').expect("a byte-order mark");
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = doc.chars().peekable();
    while let Some(ch) = chars.next() {
        match (ch, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => cell.push(c),
        }
    }
    rows
}

/// The row whose first cell is `key`, in a table read back.
fn row<'a>(rows: &'a [Vec<String>], key: &str) -> &'a [String] {
    rows.iter().find(|r| r.first().is_some_and(|c| c == key)).unwrap_or_else(|| panic!("no row {key}: {rows:?}"))
}

/// The column named `name` in the header row of a table read back.
fn col(rows: &[Vec<String>], name: &str) -> usize {
    rows.iter().find_map(|r| r.iter().position(|c| c == name)).unwrap_or_else(|| panic!("no column {name}: {rows:?}"))
}

const HO_SO: &str = "Số hồ sơ dịch vụ công trực tuyến đã nộp";

app_test!(the_indicator_dashboard_shows_totals_charts_coverage_and_children, |app| {
    setting(&app).await;
    let r = app.get("/indicators?unit=502&from=2025-01&to=2025-02").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Totals of the two months: 7 + 5 + 30, not the far commune's 100.
    let totals = &r.body[r.body.find("id=\"indicator-totals\"").expect("totals table")..];
    let line = &totals[totals.find(HO_SO).expect("the indicator")..];
    assert!(line[..line.find("</tr>").expect("row end")].contains("<td class=\"num\">42</td>"), "{line}");
    // A chart per indicator, drawn on the server, no script.
    assert_eq!(r.body.matches("<svg class=\"chart\"").count(), store::reports::DEMO_INDICATORS.len());
    assert!(r.body.contains("<title>01/25: 12</title>") && r.body.contains("<title>02/25: 30</title>"), "{}", r.body);
    assert!(!r.body.contains("<script"));
    // Coverage: 3 of 4 villages of Tam Kỳ have a team; nobody trained yet.
    assert!(r.body.contains("<span id=\"coverage-percent\">75</span>"), "{}", r.body);
    assert!(r.body.contains("<span id=\"trained-percent\">0</span>"));
    // The children, each a link down with the same period.
    assert!(r.body.contains("/indicators?unit=20335&amp;from=2025-01&amp;to=2025-02"), "{}", r.body);
    assert!(r.body.contains("/indicators?unit=20341&amp;from=2025-01&amp;to=2025-02"));
    assert!(r.body.contains("/indicators.xlsx?unit=502&#38;from=2025-01&#38;to=2025-02"), "{}", r.body);
    // The default: the reader's first root, the last 12 months; the nav links here.
    let r = app.get("/indicators").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Quảng Nam") && r.body.contains("href=\"/indicators\""), "{}", r.body);
    let now = YearMonth::of(store::today());
    assert!(r.body.contains(&format!("value=\"{now}\"")));
    // A commune: no child rows, said so.
    let r = app.get("/indicators?unit=20335&from=2025-01&to=2025-02").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Số liệu tổng hợp đến cấp xã"));
});

app_test!(a_submitted_report_changes_the_dashboards_at_once, |app| {
    let s = setting(&app).await;
    let total = |body: &str| -> i64 {
        let t = &body[body.find("id=\"indicator-totals\"").expect("table")..];
        let line = &t[t.find(HO_SO).expect("indicator")..];
        let cell = &line[line.find("<td class=\"num\">").expect("cell") + 16..];
        cell[..cell.find('<').expect("end")].replace('.', "").parse().expect("a number")
    };
    let before = app.get("/indicators?unit=20335&from=2025-03&to=2025-03").await;
    assert_eq!(total(&before.body), 0);
    let api_before = app.api("GET", "/api/v1/reports/completeness?unit=20335&month=2025-03", None).await.json();
    assert_eq!((api_before["expected"].as_i64(), api_before["received"].as_i64()), (Some(2), Some(0)));
    // The team's form, as a browser sends it.
    let r = app
        .post_form(
            &format!("/teams/{}/reports/2025-03", s.a),
            &[("action", "submit"), ("key", "dash-1"), ("v_dvc_ho_so", "1.250")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = app.get("/indicators?unit=20335&from=2025-03&to=2025-03").await;
    assert_eq!(total(&after.body), 1250);
    let api = app.api("GET", "/api/v1/reports/indicators?unit=49&from=2025-03&to=2025-03", None).await.json();
    let ho_so = api["indicators"].as_array().expect("list").iter().find(|i| i["code"] == "dvc_ho_so").expect("i");
    assert_eq!(ho_so["total"], 1250);
    let completeness = app.api("GET", "/api/v1/reports/completeness?unit=20335&month=2025-03", None).await.json();
    assert_eq!(completeness["received"], 1);
    let list = app.get("/reports/list?unit=20335&month=2025-03&which=received").await;
    assert!(list.body.contains(&format!("/teams/{}/reports/2025-03", s.a)), "{}", list.body);
    assert!(!list.body.contains(&format!("/teams/{}/reports/2025-03", s.b)));
});

app_test!(every_table_exports_as_xlsx_and_csv_with_the_same_figures, |app| {
    setting(&app).await;
    let q = "unit=502&from=2025-01&to=2025-02";
    // The workbook holds the three tables.
    let r = app.get(&format!("/indicators.xlsx?{q}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type.contains("spreadsheetml"));
    let bytes = app.get_bytes(&format!("/indicators.xlsx?{q}")).await;
    let totals = sheet(bytes.clone(), "Tổng theo chỉ tiêu");
    assert_eq!(row(&totals, "dvc_ho_so")[3], "42");
    let months = sheet(bytes.clone(), "Theo tháng");
    let c = col(&months, HO_SO);
    assert_eq!((row(&months, "2025-01")[c].as_str(), row(&months, "2025-02")[c].as_str()), ("12", "30"));
    let children = sheet(bytes, "So sánh đơn vị");
    let c = col(&children, HO_SO);
    assert_eq!(row(&children, "20335")[c], "37");
    assert_eq!(row(&children, "20341")[c], "5");
    assert_eq!(row(&children, "502")[c], "42", "the unit's own row last");
    assert_eq!(row(&children, "20335")[col(&children, "Báo cáo đã nhận")], "2");
    assert_eq!(row(&children, "502")[col(&children, "Độ phủ (%)")], "75");
    // One table alone, as .xlsx and as CSV: the same figures.
    let one = sheet(app.get_bytes(&format!("/indicators.xlsx?{q}&table=children")).await, "So sánh đơn vị");
    assert_eq!(row(&one, "20335")[c], "37");
    let r = app.get(&format!("/indicators.csv?{q}&table=children")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type.starts_with("text/csv"));
    let csv = parse_csv(&r.body);
    assert_eq!(row(&csv, "20335")[col(&csv, HO_SO)], "37");
    assert_eq!(row(&csv, "502")[col(&csv, "Độ phủ (%)")], "75.0");
    let csv = parse_csv(&app.get(&format!("/indicators.csv?{q}")).await.body);
    assert_eq!(row(&csv, "dvc_ho_so")[3], "42", "the totals by default");
    let csv = parse_csv(&app.get(&format!("/indicators.csv?{q}&table=months")).await.body);
    assert_eq!(csv.len(), 3, "a header and two months");
    // Completeness with its children.
    let figures = store::reports::completeness(&app.db, &Scope::All, "502", month("2025-01")).await.expect("c");
    let book = sheet(app.get_bytes("/reports.xlsx?unit=502&month=2025-01").await, "Tỷ lệ báo cáo");
    let csv = parse_csv(&app.get("/reports.csv?unit=502&month=2025-01").await.body);
    for table in [&book, &csv] {
        assert_eq!(row(table, "502")[2], figures.expected.to_string());
        assert_eq!(row(table, "502")[3], figures.received.to_string());
        assert_eq!(row(table, "20335")[3], "1");
        assert_eq!(row(table, "20341")[4].trim_end_matches(".0"), "100");
    }
    assert_eq!((figures.expected, figures.received, figures.on_time), (3, 2, 0));
    // The reports behind a figure: one line each.
    let csv = parse_csv(&app.get("/reports/list.csv?unit=502&month=2025-01&which=received").await.body);
    assert_eq!(i64::try_from(csv.len() - 1).expect("n"), figures.received);
    let book = sheet(app.get_bytes("/reports/list.xlsx?unit=502&month=2025-01&which=late").await, "Báo cáo trễ hạn");
    assert_eq!(book.iter().filter(|r| r.iter().any(|c| c == "Trễ hạn")).count(), 2, "{book:?}");
});

app_test!(every_completeness_figure_links_to_its_reports, |app| {
    let s = setting(&app).await;
    let r = app.get("/reports?unit=502&month=2025-01").await;
    for which in ["received", "on_time", "late", "not_reported"] {
        assert!(r.body.contains(&format!("/reports/list?unit=502&amp;month=2025-01&amp;which={which}")), "{which}");
    }
    assert!(r.body.contains("/reports/list?unit=20335&amp;month=2025-01&amp;which=received"), "{}", r.body);
    assert!(r.body.contains("/reports.xlsx?unit=502&amp;month=2025-01"));
    let received = app.get("/reports/list?unit=502&month=2025-01&which=received").await;
    assert_eq!(received.status, StatusCode::OK);
    for t in [s.a, s.c] {
        assert!(received.body.contains(&format!("/teams/{t}/reports/2025-01")), "{}", received.body);
    }
    assert!(received.body.contains("Trễ hạn") && received.body.contains("2 dòng"), "{}", received.body);
    let missing = app.get("/reports/list?unit=502&month=2025-01&which=not_reported").await;
    assert!(missing.body.contains(&format!("/teams/{}/reports/2025-01", s.b)));
    assert!(!missing.body.contains(&format!("/teams/{}/reports/2025-01", s.a)));
    let on_time = app.get("/reports/list?unit=502&month=2025-01&which=on_time").await;
    assert!(on_time.body.contains("Không có."));
    // A long list comes a page at a time.
    for i in 0..52 {
        app.team("20347", &format!("Thôn Dài {i}")).await;
    }
    let first = app.get("/reports/list?unit=20347&month=2025-01&which=not_reported").await;
    assert_eq!(first.body.matches("/reports/2025-01\">").count(), 50);
    assert!(first.body.contains("Trang 1 / 2") && first.body.contains("page=2"), "{}", first.body);
    let second = app.get("/reports/list?unit=20347&month=2025-01&which=not_reported&page=2").await;
    assert_eq!(second.body.matches("/reports/2025-01\">").count(), 2);
});

app_test!(the_api_answers_completeness_indicators_and_one_report, |app| {
    let s = setting(&app).await;
    let c = app.api("GET", "/api/v1/reports/completeness?unit=502&month=2025-01", None).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    let c = c.json();
    let figures = store::reports::completeness(&app.db, &Scope::All, "502", month("2025-01")).await.expect("c");
    assert_eq!(c["expected"], figures.expected);
    assert_eq!(c["received"], figures.received);
    assert_eq!(c["on_time"], figures.on_time);
    assert_eq!(c["received_percent"].as_f64(), Some(66.7));
    assert_eq!(c["month"], "2025-01");
    let tan_thanh = c["children"].as_array().expect("children").iter().find(|x| x["code"] == "20335").expect("20335");
    assert_eq!((tan_thanh["expected"].as_i64(), tan_thanh["received"].as_i64()), (Some(2), Some(1)));
    let t = app.api("GET", "/api/v1/reports/indicators?unit=502&from=2025-01&to=2025-02", None).await.json();
    assert_eq!(
        (t["from"].as_str(), t["to"].as_str(), t["unit"]["code"].as_str()),
        (Some("2025-01"), Some("2025-02"), Some("502"))
    );
    let ho_so = t["indicators"].as_array().expect("list").iter().find(|i| i["code"] == "dvc_ho_so").expect("i");
    assert_eq!(ho_so["total"], 42);
    assert_eq!(
        ho_so["months"],
        serde_json::json!([{ "month": "2025-01", "value": 12 }, { "month": "2025-02", "value": 30 }])
    );
    let default = app.api("GET", "/api/v1/reports/indicators?unit=502", None).await.json();
    assert_eq!(default["to"], YearMonth::of(store::today()).to_string());
    assert_eq!(default["indicators"][0]["months"].as_array().map(Vec::len), Some(12));
    // One team's report, and a month without one.
    let r = app.api("GET", &format!("/api/v1/teams/{}/reports/2025-02", s.b), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = r.json();
    assert_eq!(
        (r["status"].as_str(), r["late"].as_bool(), r["due_on"].as_str()),
        (Some("submitted"), Some(true), Some("2025-03-05"))
    );
    let value = r["values"].as_array().expect("values").iter().find(|v| v["code"] == "dvc_ho_so").expect("v");
    assert_eq!(value["value"], 30);
    assert_eq!(r["values"].as_array().map(Vec::len), Some(store::reports::DEMO_INDICATORS.len()));
    let none = app.api("GET", &format!("/api/v1/teams/{}/reports/2025-02", s.a), None).await.json();
    assert_eq!((none["status"].as_str(), none["id"].is_null()), (Some("not_reported"), true));
});

app_test!(bad_input_is_refused_in_vietnamese, |app| {
    let s = setting(&app).await;
    for path in [
        "/indicators?unit=502&from=2025-13",
        "/indicators?unit=502&from=2025-05&to=2025-04",
        "/indicators?unit=502&from=2015-01&to=2025-04",
        "/indicators.xlsx?unit=502&to=abc",
        "/indicators.csv?unit=502&table=khac",
        "/reports/list?unit=502&month=2025-01&which=tre",
        "/reports.csv?unit=502&month=13/2025",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.body);
        assert!(
            r.body.contains("không hợp lệ")
                || r.body.contains("trước")
                || r.body.contains("dài quá")
                || r.body.contains("không có"),
            "{path}: {}",
            r.body
        );
    }
    for path in [
        "/indicators?unit=99999",
        "/indicators.xlsx?unit=99999",
        "/reports/list?unit=99999",
        "/reports.xlsx?unit=99999",
    ] {
        assert_eq!(app.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    for (path, status) in [
        ("/api/v1/reports/completeness?unit=502&month=2025-13", StatusCode::BAD_REQUEST),
        ("/api/v1/reports/completeness?month=2025-01", StatusCode::BAD_REQUEST),
        ("/api/v1/reports/completeness?unit=99999", StatusCode::NOT_FOUND),
        ("/api/v1/reports/indicators?unit=502&from=2025-05&to=2025-04", StatusCode::BAD_REQUEST),
        ("/api/v1/teams/999999/reports/2025-01", StatusCode::NOT_FOUND),
        ("/api/v1/teams/abc/reports/2025-01", StatusCode::NOT_FOUND),
    ] {
        let r = app.api("GET", path, None).await;
        assert_eq!(r.status, status, "{path}: {}", r.body);
        assert!(r.content_type.starts_with("application/problem+json"), "{path}");
        assert!(r.json()["detail"].as_str().is_some_and(|d| !d.is_empty()), "{path}");
    }
    let r = app.api("GET", &format!("/api/v1/teams/{}/reports/2025-13", s.a), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["detail"].as_str().is_some_and(|d| d.contains("không hợp lệ")), "{}", r.body);
    // A commune officer of Tân Thạnh: another commune is as missing as one that does not exist.
    app.user_with("cb.xa", Some((UserRole::CommuneOfficer, Target::Unit("20335".into())))).await;
    let mut officer = app.browser_of("cb.xa").await;
    for path in [
        "/indicators?unit=20341",
        "/indicators.csv?unit=20341",
        "/reports/list?unit=20341&month=2025-01",
        "/reports.csv?unit=20341&month=2025-01",
        "/api/v1/reports/completeness?unit=20341&month=2025-01",
        "/api/v1/reports/indicators?unit=20341",
    ] {
        assert_eq!(officer.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(officer.get(&format!("/api/v1/teams/{}/reports/2025-01", s.c)).await.status, StatusCode::NOT_FOUND);
    // Their own district shows only their commune.
    let mine = officer.get("/indicators?unit=502&from=2025-01&to=2025-02").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.body.contains("/indicators?unit=20335") && !mine.body.contains("/indicators?unit=20341"));
    let csv = parse_csv(&officer.get("/indicators.csv?unit=502&from=2025-01&to=2025-02").await.body);
    assert_eq!(row(&csv, "dvc_ho_so")[3], "37", "only Tân Thạnh's reports");
});
