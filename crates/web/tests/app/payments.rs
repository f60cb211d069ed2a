//! Paying the teams through the pages: what a month owes computed, a commune's payment list
//! prepared, submitted, approved and paid by two different people, bad input refused with
//! reasons, the signed Excel list and its logged export, the ledger and the report of planned vs
//! owed vs paid.

use std::io::Cursor;

use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use domain::UserRole;
use domain::funding::{PolicyDraft, YearMonth};
use store::Scope;
use store::access::Target;
use store::payments::{LedgerFilter, ListStatus};

use crate::app_test;
use crate::common::TestApp;

/// The commune the payments are for (in district 502).
const COMMUNE: &str = "20335";

/// Two teams of the commune, each with its leader: (team, leader) twice.
async fn two_teams(app: &TestApp) -> [(i64, i64); 2] {
    let one = app.team(COMMUNE, "Thôn Một").await;
    let an = app.member(one, "Nguyễn Văn An", "0912345678", "leader", "commune_official").await;
    let two = app.team(COMMUNE, "Thôn Hai").await;
    let binh = app.member(two, "Trần Thị Bình", "0987654321", "leader", "commune_official").await;
    [(one, an), (two, binh)]
}

/// A policy in force of 500,000 a team a month on Quảng Nam (49) from 01/01/2025.
async fn team_month_policy(app: &TestApp) -> i64 {
    let draft = PolicyDraft {
        name: "Hỗ trợ tổ hằng tháng".into(),
        legal_basis: "Nghị quyết số 05/2025/NQ-HĐND".into(),
        kind: "team_month".into(),
        amount: "500.000".into(),
        effective_from: "01/01/2025".into(),
        scope: "49".into(),
        source: "province".into(),
        status: "in_force".into(),
        ..PolicyDraft::default()
    };
    store::funding::create(&app.db, &draft.parse().expect("policy")).await.expect("policy recorded")
}

fn month(m: &str) -> YearMonth {
    YearMonth::parse(m).expect("month")
}

/// Text with its tags removed and its spaces squeezed.
fn strip(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The HTML of the element carrying `id="…"`, up to the first closing tag of its kind.
fn element<'a>(body: &'a str, id: &str) -> Option<&'a str> {
    let at = body.find(&format!("id=\"{id}\""))?;
    let start = body[..at].rfind('<')?;
    let tag: String = body[start + 1..].chars().take_while(char::is_ascii_alphanumeric).collect();
    let close = format!("</{tag}>");
    let end = body[start..].find(&close)? + start + close.len();
    Some(&body[start..end])
}

/// The text of the element carrying `id="…"`; panics, showing the page, when there is none.
fn text(body: &str, id: &str) -> String {
    strip(element(body, id).unwrap_or_else(|| panic!("no #{id} in the page:\n{body}")))
}

/// The body rows of the table carrying `id="…"`, as the text of their cells.
fn rows(body: &str, id: &str) -> Vec<Vec<String>> {
    let table = element(body, id).unwrap_or_else(|| panic!("no table #{id} in the page:\n{body}"));
    let Some(tbody) = table.split("<tbody>").nth(1).and_then(|b| b.split("</tbody>").next()) else {
        return Vec::new();
    };
    tbody
        .split("<tr")
        .skip(1)
        .map(|tr| {
            tr.split("<td").skip(1).map(|td| strip(&format!("<td{}", td.split("</td>").next().unwrap_or("")))).collect()
        })
        .collect()
}

/// The id of a list from the address a preparation sends to (`/payments/7?ok=created`).
fn list_id(location: Option<&str>) -> i64 {
    let location = location.expect("a redirect");
    let path = location.split('?').next().unwrap_or_default();
    path.strip_prefix("/payments/").and_then(|id| id.parse().ok()).unwrap_or_else(|| panic!("not a list: {location}"))
}

/// Checks a list's status on its page and on the month's index, as `b` sees them.
async fn status_is(b: &mut TestApp, id: i64, m: &str, label: &str) {
    let page = b.get(&format!("/payments/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(text(&page.body, "list-status"), format!("Trạng thái: {label}"));
    let index = b.get(&format!("/payments?month={m}")).await;
    let row = rows(&index.body, "lists").into_iter().find(|r| r[0].starts_with(COMMUNE)).expect("the commune's row");
    assert_eq!(row[2], label, "the index of {m}: {row:?}");
}

/// The rows the audit trail holds of payment lists exported to Excel.
async fn xlsx_exports(app: &TestApp) -> Vec<store::audit::Recorded> {
    let f = store::audit::Filter { scope: Scope::All, entity: Some("export".into()), ..Default::default() };
    store::audit::list(&app.db, &f, store::PageRequest::all())
        .await
        .expect("audit")
        .items
        .into_iter()
        .filter(|r| r.action == "payment_list_xlsx")
        .collect()
}

/// How many entries the ledger holds.
async fn ledger_rows(app: &TestApp) -> usize {
    store::payments::entries(&app.db, &Scope::All, &LedgerFilter::default()).await.expect("ledger").len()
}

app_test!(a_communes_month_goes_from_computed_to_paid_in_two_pairs_of_hands, |app| {
    let [(one, _), (two, _)] = two_teams(&app).await;
    team_month_policy(&app).await;
    let commune = app.unit(COMMUNE).await.name;
    app.user_with("cb.xa", Some((UserRole::CommuneOfficer, Target::Unit(COMMUNE.into())))).await;
    app.user_with("ke.toan", Some((UserRole::FinanceApprover, Target::Unit("502".into())))).await;
    let mut officer = app.browser_of("cb.xa").await;
    let mut finance = app.browser_of("ke.toan").await;

    // The commune officer computes January: one entitlement per team, waiting for a list.
    let r = officer.post_form("/payments/compute", &[("month", "2025-01")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let computed = text(&r.body, "computed");
    assert!(computed.contains("2 khoản mới, 1.000.000 ₫; 0 khoản đã có từ trước"), "{computed}");
    assert_eq!(text(&r.body, "owed"), "Phải chi trong tháng: 1.000.000 ₫ (2 khoản)");
    assert_eq!(
        rows(&r.body, "unlisted"),
        vec![vec![format!("{COMMUNE} {commune}"), "2".into(), "1.000.000 ₫".into(), "Lập bảng kê".into()]]
    );
    // Computing again owes nothing twice.
    let r = officer.post_form("/payments/compute", &[("month", "2025-01")]).await;
    assert!(text(&r.body, "computed").contains("0 khoản mới, 0 ₫; 2 khoản đã có từ trước"), "{}", r.body);

    // Prepared: two lines paid to the leaders, the total in figures and in words.
    let r = officer.post_form("/payments/prepare", &[("commune_code", COMMUNE), ("month", "2025-01")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = list_id(r.location.as_deref());
    let page = officer.get(&format!("/payments/{id}")).await;
    assert_eq!(text(&page.body, "list-total"), "1.000.000 ₫");
    assert_eq!(text(&page.body, "list-words"), "Số tiền bằng chữ: Một triệu đồng");
    let payees: Vec<String> = rows(&page.body, "lines").into_iter().map(|r| r[1].clone()).collect();
    let mut sorted = payees.clone();
    sorted.sort();
    assert_eq!(sorted, vec!["Nguyễn Văn An", "Trần Thị Bình"], "{payees:?}");
    assert!(page.body.contains("id=\"submit\"") && !page.body.contains("id=\"approve\""), "{}", page.body);
    status_is(&mut officer, id, "2025-01", "Đã lập").await;
    let index = officer.get("/payments?month=2025-01").await;
    assert_eq!(rows(&index.body, "lists")[0][1], "1.000.000 ₫");
    assert!(element(&index.body, "unlisted").is_none(), "nothing left off a list");

    // Submitted by the commune officer, who may not approve it; nor may the administrator.
    let r = officer.post_form(&format!("/payments/{id}/submit"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    status_is(&mut officer, id, "2025-01", "Đã trình duyệt").await;
    assert!(!officer.get(&format!("/payments/{id}")).await.body.contains("id=\"approve\""));
    let r = officer.post_form(&format!("/payments/{id}/approve"), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a commune officer approves: {}", r.body);
    assert!(!app.get(&format!("/payments/{id}")).await.body.contains("id=\"approve\""));
    let r = app.post_form(&format!("/payments/{id}/approve"), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "an administrator without the finance duty approves: {}", r.body);
    let r = app.post_form(&format!("/payments/{id}/pay"), &[("paid_on", "20/01/2025")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    status_is(&mut app, id, "2025-01", "Đã trình duyệt").await;

    // Approved by the finance approver.
    assert!(finance.get(&format!("/payments/{id}")).await.body.contains("id=\"approve\""));
    let r = finance.post_form(&format!("/payments/{id}/approve"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    status_is(&mut finance, id, "2025-01", "Đã duyệt").await;
    let r = officer.post_form(&format!("/payments/{id}/pay"), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a commune officer records a payment");
    // Paid tomorrow: refused, nothing in the ledger.
    let tomorrow = domain::input::format_date(store::today() + time::Duration::days(1));
    let r = finance.post_form(&format!("/payments/{id}/pay"), &[("paid_on", &tomorrow)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("Ngày ở tương lai"), "{}", r.body);
    status_is(&mut finance, id, "2025-01", "Đã duyệt").await;
    assert_eq!(ledger_rows(&app).await, 0);
    // Paid on 20/01/2025: a ledger entry a line.
    let r = finance.post_form(&format!("/payments/{id}/pay"), &[("paid_on", "20/01/2025")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    status_is(&mut finance, id, "2025-01", "Đã chi trả").await;
    status_is(&mut officer, id, "2025-01", "Đã chi trả").await;
    let page = finance.get(&format!("/payments/{id}")).await;
    let trail = text(&page.body, "list-trail");
    for who in ["Lập cb.xa", "Trình duyệt cb.xa", "Duyệt ke.toan", "Chi trả ke.toan · 20/01/2025"] {
        assert!(trail.contains(who), "{who} in {trail}");
    }
    assert!(!page.body.contains("id=\"pay\""), "nothing more to do");
    // Paying twice is refused and pays nothing twice.
    let r = finance.post_form(&format!("/payments/{id}/pay"), &[("paid_on", "21/01/2025")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(ledger_rows(&app).await, 2);

    // The ledger and the teams' pages say what was paid.
    for b in [&mut finance, &mut officer] {
        let ledger = b.get("/ledger").await;
        assert_eq!(text(&ledger.body, "balance"), "Đã chi: 1.000.000 ₫");
        let entries = rows(&ledger.body, "entries");
        assert_eq!(entries.len(), 2, "{entries:?}");
        for e in &entries {
            assert_eq!(
                (e[1].as_str(), e[2].as_str(), e[3].as_str(), e[6].as_str()),
                ("20/01/2025", "2025-01", "Chi trả", "500.000 ₫")
            );
        }
    }
    let ledger = finance.get(&format!("/ledger?team={one}")).await;
    assert_eq!(text(&ledger.body, "balance"), "Đã chi: 500.000 ₫");
    for team in [one, two] {
        let page = app.get(&format!("/teams/{team}")).await;
        assert_eq!(text(&page.body, "team-paid"), "Đã chi cho tổ (theo sổ cái): 500.000 ₫");
    }

    // A finance approver who prepared a list does not approve it too.
    let r = finance.post_form("/payments/compute", &[("month", "2025-02")]).await;
    assert!(text(&r.body, "computed").contains("2 khoản mới, 1.000.000 ₫"), "{}", r.body);
    let r = finance.post_form("/payments/prepare", &[("commune_code", COMMUNE), ("month", "2025-02")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let own = list_id(r.location.as_deref());
    assert_eq!(finance.post_form(&format!("/payments/{own}/submit"), &[]).await.status, StatusCode::SEE_OTHER);
    let r = finance.post_form(&format!("/payments/{own}/approve"), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("Người lập bảng kê không tự duyệt bảng kê của mình"), "{}", r.body);
    status_is(&mut finance, own, "2025-02", "Đã trình duyệt").await;
    assert_eq!(ledger_rows(&app).await, 2);
});

app_test!(bad_input_is_refused_with_reasons, |app| {
    let [(one, an), _] = two_teams(&app).await;
    team_month_policy(&app).await;

    // A month that is not one.
    let r = app.post_form("/payments/compute", &[("month", "2025-13")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Tháng “2025-13” không hợp lệ"), "{}", r.body);
    assert!(element(&r.body, "computed").is_none());
    assert!(store::payments::entitlements(&app.db, &Scope::All, month("2025-01")).await.expect("owed").is_empty());
    assert_eq!(app.get("/payments?month=abc").await.status, StatusCode::BAD_REQUEST);
    // A list for a month nothing was computed for.
    let r = app.post_form("/payments/prepare", &[("commune_code", COMMUNE), ("month", "2025-03")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Không có khoản nào phải chi"), "{}", r.body);
    assert!(store::payments::lists(&app.db, &Scope::All, None).await.expect("lists").is_empty());

    // A work-day claim with every field empty: each field named.
    let empty = [("person_id", ""), ("team_id", ""), ("worked_on", ""), ("task", ""), ("mobilised_by", "")];
    let r = app.post_form("/claims", &empty).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for m in ["Chọn người làm", "Chọn tổ", "Chưa nhập ngày làm", "Ghi rõ việc đã làm"] {
        assert!(r.body.contains(m), "{m}: {}", r.body);
    }
    assert_eq!(r.body.matches("aria-invalid=\"true\"").count(), 4);
    // The same person on the same day twice: the second is refused with the day.
    let (an, one) = (an.to_string(), one.to_string());
    let claim = [
        ("person_id", an.as_str()),
        ("team_id", one.as_str()),
        ("worked_on", "10/01/2025"),
        ("task", "Hướng dẫn cài đặt VNeID"),
        ("mobilised_by", ""),
    ];
    let r = app.post_form("/claims", &claim).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/claims?month=2025-01&ok=created"));
    let r = app.post_form("/claims", &claim).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Nguyễn Văn An đã khai ngày công ngày 10/01/2025"), "{}", r.body);
    assert_eq!(store::payments::claims(&app.db, &Scope::All, month("2025-01")).await.expect("claims").len(), 1);

    // The ledger: a reversal needs a reason, an adjustment an amount other than zero.
    let team: i64 = one.parse().expect("team");
    let entry = store::payments::adjust(
        &app.db,
        &Scope::All,
        team,
        month("2025-01"),
        domain::money::Vnd::new(100_000),
        "",
        "Chi bổ sung",
    )
    .await
    .expect("entry");
    app.user_with("ke.toan", Some((UserRole::FinanceApprover, Target::Unit("502".into())))).await;
    let mut finance = app.browser_of("ke.toan").await;
    let r = finance.post_form(&format!("/ledger/{entry}/reverse"), &[("note", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Ghi rõ lý do đảo bút toán"), "{}", r.body);
    assert_eq!(ledger_rows(&app).await, 1);
    let r = finance.post_form(&format!("/ledger/{entry}/reverse"), &[("note", "   ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a note of spaces is no note");
    assert_eq!(ledger_rows(&app).await, 1);
    let adjust =
        [("team_id", one.as_str()), ("month", "2025-01"), ("amount", "0"), ("payee", ""), ("note", "Chi bổ sung")];
    let r = finance.post_form("/ledger/adjust", &adjust).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Số tiền điều chỉnh phải khác 0"), "{}", r.body);
    assert_eq!(ledger_rows(&app).await, 1);
    // With a reason, the same reversal goes through: the refusals were about what was missing.
    let r = finance.post_form(&format!("/ledger/{entry}/reverse"), &[("note", "Chi nhầm tổ")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let ledger = finance.get(&format!("/ledger?team={team}")).await;
    assert_eq!(text(&ledger.body, "balance"), "Đã chi: 0 ₫");
});

app_test!(the_signed_excel_list_holds_the_lists_total_and_its_export_is_logged, |app| {
    two_teams(&app).await;
    team_month_policy(&app).await;
    store::payments::compute(&app.db, &Scope::All, month("2025-01")).await.expect("compute");
    let id = store::payments::prepare(&app.db, &Scope::All, COMMUNE, month("2025-01")).await.expect("prepare");
    let list = store::payments::list_by_id(&app.db, &Scope::All, id).await.expect("list");
    assert_eq!(list.total, 1_000_000);
    assert!(xlsx_exports(&app).await.is_empty());

    let page = app.get(&format!("/payments/{id}")).await;
    assert!(page.body.contains(&format!("href=\"/payments/{id}/bang-ke.xlsx\"")), "the page links the file");
    let bytes = app.get_bytes(&format!("/payments/{id}/bang-ke.xlsx")).await;
    let mut book = Xlsx::new(Cursor::new(bytes)).expect("an xlsx workbook");
    let sheet = book.worksheet_range("Bảng kê").expect("the list's sheet");
    let cells: Vec<Vec<Data>> = sheet.rows().map(<[Data]>::to_vec).collect();
    let total_row =
        cells.iter().find(|r| matches!(r.first(), Some(Data::String(s)) if s == "Tổng cộng")).expect("a total row");
    let total = match total_row.get(4) {
        Some(Data::Float(f)) => format!("{f}"),
        Some(Data::Int(i)) => i.to_string(),
        other => panic!("the total cell holds {other:?}"),
    };
    assert_eq!(total, list.total.to_string(), "the file's total against the list's");
    let words = cells.iter().flatten().any(|c| matches!(c, Data::String(s) if s.contains("Một triệu đồng")));
    assert!(words, "the total in words");

    let logged = xlsx_exports(&app).await;
    assert_eq!(logged.len(), 1, "one download, one row");
    assert_eq!((logged[0].actor.as_str(), logged[0].entity_id), ("admin", Some(id)));
    assert_eq!(logged[0].unit_path.as_deref(), Some("49/502/20335/"));
    let after: serde_json::Value = serde_json::from_str(logged[0].after_json.as_deref().expect("after")).expect("json");
    assert_eq!(after["lines"], 2);
});

app_test!(the_report_sets_planned_against_owed_and_paid, |app| {
    two_teams(&app).await;
    team_month_policy(&app).await;
    let report = "/payments/report?unit=20335&from=2025-01&months=1";
    let figures = |body: &str| -> Vec<String> {
        let rows = rows(body, "report");
        assert_eq!(rows.len(), 1, "one month: {rows:?}");
        rows[0][1..].to_vec()
    };
    // Nothing computed yet: planned only.
    let r = app.get(report).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(figures(&r.body), vec!["1.000.000 ₫", "0 ₫", "0 ₫"]);
    // Computed and listed: owed.
    store::payments::compute(&app.db, &Scope::All, month("2025-01")).await.expect("compute");
    let id = store::payments::prepare(&app.db, &Scope::All, COMMUNE, month("2025-01")).await.expect("prepare");
    assert_eq!(figures(&app.get(report).await.body), vec!["1.000.000 ₫", "1.000.000 ₫", "0 ₫"]);
    // Paid.
    let day = time::macros::date!(2025 - 01 - 20);
    for (step, by) in
        [(ListStatus::Submitted, "cb.xa"), (ListStatus::Approved, "ke.toan"), (ListStatus::Paid, "ke.toan")]
    {
        let actor = store::audit::Actor { login: by.into(), channel: "web", address: None };
        store::audit::acting_as(actor, store::payments::advance(&app.db, &Scope::All, id, step, Some(day)))
            .await
            .expect("step");
    }
    assert_eq!(figures(&app.get(report).await.body), vec!["1.000.000 ₫", "1.000.000 ₫", "1.000.000 ₫"]);
    // Another month: the report's month names its own row.
    let next = app.get("/payments/report?unit=20335&from=2025-02&months=1").await;
    assert_eq!(figures(&next.body), vec!["1.000.000 ₫", "0 ₫", "0 ₫"]);
    assert_eq!(app.get("/payments/report?unit=20335&from=2025-13&months=1").await.status, StatusCode::BAD_REQUEST);
});
