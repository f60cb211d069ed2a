//! Lists as Excel and CSV downloads (issue F, point 6): read back, masked for viewers as the
//! screen is, logged, and refused outside the reader's units.

use std::io::Cursor;

use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use domain::UserRole;
use domain::input::{MembershipDraft, PersonDraft};
use store::Scope;
use store::access::Target;

use crate::app_test;
use crate::common::TestApp;

/// A member with a CCCD, added through the store.
async fn member_with_cccd(app: &TestApp, team: i64, name: &str, phone: &str, cccd: &str, role: &str) -> i64 {
    let today = store::today();
    let p = PersonDraft {
        full_name: name.into(),
        gender: "male".into(),
        birth: "12/05/1985".into(),
        phone: phone.into(),
        cccd: cccd.into(),
        email: String::new(),
    };
    let m = MembershipDraft { role: role.into(), position: "commune_official".into(), joined_on: "01/10/2023".into() };
    store::people::create_member(
        &app.db,
        &Scope::All,
        team,
        &p.parse(today).expect("person"),
        &m.parse(today).expect("m"),
    )
    .await
    .expect("member")
}

/// The first sheet of a downloaded workbook.
async fn workbook(app: &mut TestApp, path: &str) -> sheets::Sheet {
    let r = app.get(path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    assert_eq!(r.content_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "{path}");
    let bytes = app.get_bytes(path).await;
    let book = sheets::read_file("danh-sach.xlsx", &bytes).expect("an xlsx that reads back");
    book.sheets.into_iter().next().expect("one sheet")
}

/// The data rows of an exported sheet (after the title, the date line, a blank row and the
/// header), as cells.
fn data(sheet: &sheets::Sheet) -> Vec<Vec<String>> {
    sheet.rows.iter().skip(sheets::write::HEADER_ROW as usize + 1).cloned().collect()
}

fn column(sheet: &sheets::Sheet, header: &str) -> usize {
    let head = &sheet.rows[sheets::write::HEADER_ROW as usize];
    head.iter().position(|h| h == header).unwrap_or_else(|| panic!("no column {header} in {head:?}"))
}

app_test!(lists_download_as_workbooks_that_read_back, |app| {
    let team = app.team("20335", "Thôn Một").await;
    member_with_cccd(&app, team, "Nguyễn Văn An", "0912345678", "049085001234", "leader").await;
    app.member(team, "Trần Văn Bình", "0987654321", "member", "other").await;
    app.team("20380", "Thôn Xa").await;
    let today = sheets::write::data_date_line(store::today());

    let members = workbook(&mut app, "/members.xlsx?unit=20335").await;
    assert_eq!(
        members.cell(0, 0),
        "DANH SÁCH THÀNH VIÊN TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG — Phường Tân Thạnh",
        "{:?}",
        members.rows
    );
    assert_eq!(members.cell(1, 0), today);
    let rows = data(&members);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let (name, phone, cccd, birth, parent, joined) = (
        column(&members, "Họ và tên"),
        column(&members, "Số điện thoại"),
        column(&members, "CCCD"),
        column(&members, "Ngày sinh (năm sinh)"),
        column(&members, "Đơn vị cấp trên"),
        column(&members, "Ngày vào tổ"),
    );
    let an = rows.iter().find(|r| r[name] == "Nguyễn Văn An").expect("An");
    // Leading zeros survive: the cells are text, not numbers.
    assert_eq!((an[phone].as_str(), an[cccd].as_str()), ("0912345678", "049085001234"));
    // Dates are dates (read back as dd/mm/yyyy), and the commune's parent is named.
    assert_eq!((an[birth].as_str(), an[joined].as_str()), ("12/05/1985", "01/10/2023"));
    assert_eq!(an[parent], "Thành phố Tam Kỳ");
    // The cells' types, as Excel sees them: text for the numbers, dates for the dates, a number
    // for the row's order.
    let bytes = app.get_bytes("/members.xlsx?unit=20335").await;
    let mut book = Xlsx::new(Cursor::new(bytes)).expect("an xlsx workbook");
    let range = book.worksheet_range_at(0).expect("a sheet").expect("readable");
    let first = sheets::write::HEADER_ROW + 1;
    let at = |c: usize| range.get_value((first, u32::try_from(c).expect("col"))).cloned().unwrap_or(Data::Empty);
    assert!(matches!(at(phone), Data::String(_)), "{:?}", at(phone));
    assert!(matches!(at(cccd), Data::String(_)), "{:?}", at(cccd));
    assert!(matches!(at(joined), Data::DateTime(_)), "{:?}", at(joined));
    assert!(matches!(at(birth), Data::DateTime(_)), "{:?}", at(birth));
    assert!(matches!(at(0), Data::Float(_) | Data::Int(_)), "{:?}", at(0));

    let teams = workbook(&mut app, "/teams.xlsx?unit=20335").await;
    assert!(teams.cell(0, 0).starts_with("DANH SÁCH TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG"), "{:?}", teams.rows);
    let rows = data(&teams);
    assert_eq!(rows.len(), 1, "only the team of 20335: {rows:?}");
    assert_eq!(rows[0][column(&teams, "Tổ trưởng")], "Nguyễn Văn An");
    assert_eq!(rows[0][column(&teams, "Số thành viên")], "2");
    assert_eq!(rows[0][column(&teams, "Ngày thành lập")], "01/09/2023");

    let villages = workbook(&mut app, "/villages.xlsx").await;
    let rows = data(&villages);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|r| r[column(&villages, "Có tổ CNSCĐ")] == "Có"), "{rows:?}");

    // The same lists as CSV, with a byte order mark; the list pages link to both.
    for path in ["/teams.csv?unit=20335", "/villages.csv"] {
        let bytes = app.get_bytes(path).await;
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{path}");
    }
    for (page, link) in [("/members", "/members.xlsx?"), ("/teams", "/teams.xlsx?"), ("/villages", "/villages.xlsx?")] {
        assert!(app.get(page).await.body.contains(link), "{page} links to its workbook");
    }

    // Each download is recorded with what it held.
    let all = store::audit::Filter { scope: Scope::All, entity: Some("export".into()), ..Default::default() };
    let trail = store::audit::list(&app.db, &all, store::PageRequest::all()).await.expect("audit").items;
    let find = |action: &str| trail.iter().find(|r| r.action == action).unwrap_or_else(|| panic!("{action} logged"));
    let m = find("members_xlsx");
    assert_eq!(m.unit_path.as_deref(), Some("49/502/20335/"));
    let after: serde_json::Value = serde_json::from_str(m.after_json.as_deref().expect("after")).expect("json");
    assert_eq!((after["count"].as_i64(), after["whole"].as_i64()), (Some(2), Some(2)), "{after}");
    for action in ["teams_xlsx", "villages_xlsx", "teams_csv", "villages_csv"] {
        find(action);
    }
});

app_test!(viewers_download_numbers_masked_and_nothing_outside_their_units, |app| {
    let team = app.team("20335", "Thôn Một").await;
    member_with_cccd(&app, team, "Nguyễn Văn An", "0912345678", "049085001234", "leader").await;
    let far = app.team("20380", "Thôn Xa").await;
    app.member(far, "Lê Văn Xa", "0905111222", "leader", "other").await;
    app.user_with("nguoi.xem", Some((UserRole::Viewer, Target::Unit("502".into())))).await;
    // The admin downloads the same list whole.
    let whole = workbook(&mut app, "/members.xlsx?unit=502").await;
    assert_eq!(data(&whole)[0][column(&whole, "Số điện thoại")], "0912345678");
    let mut viewer = app.browser_of("nguoi.xem").await;

    let sheet = workbook(&mut viewer, "/members.xlsx").await;
    let rows = data(&sheet);
    // Only the viewer's units, and numbers masked exactly as on screen and in the CSV.
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (phone, cccd) = (column(&sheet, "Số điện thoại"), column(&sheet, "CCCD"));
    assert_eq!((rows[0][phone].as_str(), rows[0][cccd].as_str()), ("0912 *** 678", "049 ****** 234"));
    assert!(
        sheet.rows.iter().flatten().all(|c| !c.contains("0912345678") && !c.contains("049085001234")),
        "a whole number in the workbook"
    );
    let csv = viewer.get("/members.csv").await.body;
    assert!(csv.contains("0912 *** 678"), "{csv}");
    // The CSV has the workbook's columns, so either imports back.
    let header: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().next().expect("header").split(',').collect();
    assert_eq!(header, sheet.rows[sheets::write::HEADER_ROW as usize], "{csv}");
    // The title names the reader's unit.
    assert!(sheet.cell(0, 0).ends_with("— Thành phố Tam Kỳ"), "{}", sheet.cell(0, 0));

    // A unit outside the viewer's, or none at all, answers 404 as the list pages do.
    for path in [
        "/members.xlsx?unit=20380",
        "/teams.xlsx?unit=20380",
        "/villages.xlsx?unit=20380",
        "/teams.csv?unit=20380",
        "/members.xlsx?unit=99999",
    ] {
        assert_eq!(viewer.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // The viewer's export is logged as theirs, with no number seen whole.
    let all = store::audit::Filter { scope: Scope::All, entity: Some("export".into()), ..Default::default() };
    let trail = store::audit::list(&app.db, &all, store::PageRequest::all()).await.expect("audit").items;
    let mine = trail.iter().find(|r| r.action == "members_xlsx").expect("logged");
    assert_eq!(mine.actor, "nguoi.xem");
    let after: serde_json::Value = serde_json::from_str(mine.after_json.as_deref().expect("after")).expect("json");
    assert_eq!((after["count"].as_i64(), after["whole"].as_i64()), (Some(1), Some(0)), "{after}");
});

/// Every cell of the first sheet of a workbook, typed as Excel stores it.
fn typed_cells(bytes: Vec<u8>) -> Vec<Vec<Data>> {
    let mut book = Xlsx::new(Cursor::new(bytes)).expect("an xlsx workbook");
    let range = book.worksheet_range_at(0).expect("a sheet").expect("readable");
    range.rows().map(<[Data]>::to_vec).collect()
}

/// The typed row whose cell under `header` reads `text`.
fn typed_row(cells: &[Vec<Data>], at: usize, text: &str) -> Vec<Data> {
    cells
        .iter()
        .find(|r| matches!(r.get(at), Some(Data::String(s)) if s == text))
        .unwrap_or_else(|| panic!("no row with {text}: {cells:?}"))
        .clone()
}

/// A money cell's amount: it must be a number, not text.
fn amount(cell: Option<&Data>) -> i64 {
    match cell {
        #[allow(clippy::cast_possible_truncation)]
        Some(Data::Float(f)) => *f as i64,
        Some(Data::Int(i)) => *i,
        other => panic!("a money cell holds {other:?}"),
    }
}

/// The CSV's text after its byte order mark, which it must start with.
async fn csv_text(app: &mut TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    assert!(r.content_type.starts_with("text/csv"), "{path}: {}", r.content_type);
    let bytes = app.get_bytes(path).await;
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{path} starts with a BOM");
    String::from_utf8(bytes[3..].to_vec()).expect("utf-8")
}

app_test!(units_and_a_units_coverage_download_with_their_titles, |app| {
    app.team("20335", "Thôn Một").await;
    app.village("20335", "Thôn Hai").await;
    app.team("20380", "Thôn Xa").await;
    let today = sheets::write::data_date_line(store::today());

    let list = workbook(&mut app, "/units.xlsx?q=tan+thanh").await;
    assert!(list.cell(0, 0).starts_with("DANH SÁCH ĐƠN VỊ HÀNH CHÍNH"), "{:?}", list.rows);
    assert_eq!(list.cell(1, 0), today);
    let rows = data(&list);
    let (code, name) = (column(&list, "Mã đơn vị"), column(&list, "Tên đơn vị"));
    assert!(rows.iter().any(|r| r[code] == "20335" && r[name] == "Phường Tân Thạnh"), "{rows:?}");
    assert!(rows.iter().all(|r| r[name].contains("Tân Thạnh")), "only what the search finds: {rows:?}");
    let csv = csv_text(&mut app, "/units.csv?q=tan+thanh").await;
    assert!(csv.starts_with("STT,Mã đơn vị,Tên đơn vị,Cấp,Từ ngày\r\n"), "{csv}");
    assert!(csv.contains(",20335,Phường Tân Thạnh,"), "{csv}");

    // The district's coverage: a row per commune, the total last, counts as numbers.
    let cov = workbook(&mut app, "/units/502/coverage.xlsx").await;
    assert!(cov.cell(0, 0).contains("ĐỘ PHỦ TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG"), "{:?}", cov.rows);
    assert!(cov.cell(0, 0).ends_with("— Thành phố Tam Kỳ"), "{}", cov.cell(0, 0));
    assert_eq!(cov.cell(1, 0), today);
    let rows = data(&cov);
    let (unit, villages, with_team) = (column(&cov, "Đơn vị"), column(&cov, "Số thôn"), column(&cov, "Thôn có tổ"));
    let tan_thanh = rows.iter().find(|r| r[unit] == "Phường Tân Thạnh").expect("the commune's row");
    assert_eq!((tan_thanh[villages].as_str(), tan_thanh[with_team].as_str()), ("2", "1"));
    let total = rows.last().expect("a total row");
    assert_eq!((total[unit].as_str(), total[villages].as_str()), ("Cộng", "2"), "{rows:?}");
    let typed = typed_cells(app.get_bytes("/units/502/coverage.xlsx").await);
    let row = typed_row(&typed, unit, "Phường Tân Thạnh");
    assert!(matches!(row[villages], Data::Float(_) | Data::Int(_)), "{:?}", row[villages]);
    let csv = csv_text(&mut app, "/units/20335/coverage.csv").await;
    assert!(csv.starts_with("STT,Mã đơn vị,Đơn vị,Số thôn,"), "{csv}");
    assert!(csv.contains("Thôn Một"), "a commune's rows are its villages: {csv}");
    for (page, link) in [("/units", "/units.xlsx?"), ("/units/502", "/units/502/coverage.xlsx")] {
        assert!(app.get(page).await.body.contains(link), "{page} links to its workbook");
    }

    // A bad day is refused as on the page; a viewer of Tam Kỳ sees only Tam Kỳ.
    assert_eq!(app.get("/units/502/coverage.xlsx?as_of=hom-qua").await.status, StatusCode::BAD_REQUEST);
    app.user_with("nguoi.xem", Some((UserRole::Viewer, Target::Unit("502".into())))).await;
    let mut viewer = app.browser_of("nguoi.xem").await;
    let csv = csv_text(&mut viewer, "/units.csv").await;
    assert!(csv.contains(",20335,") && !csv.contains(",20380,"), "{csv}");
    for path in ["/units/518/coverage.xlsx", "/units/20380/coverage.csv", "/units/99999/coverage.xlsx"] {
        assert_eq!(viewer.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
});

/// A policy of 500.000 đồng a team a month on Quảng Nam from 01/01/2025.
async fn team_month_policy(app: &TestApp) {
    let draft = domain::funding::PolicyDraft {
        name: "Hỗ trợ tổ hằng tháng".into(),
        legal_basis: "Nghị quyết số 05/2025/NQ-HĐND".into(),
        kind: "team_month".into(),
        amount: "500.000".into(),
        effective_from: "01/01/2025".into(),
        scope: "49".into(),
        source: "province".into(),
        status: "in_force".into(),
        ..domain::funding::PolicyDraft::default()
    };
    store::funding::create(&app.db, &draft.parse().expect("policy")).await.expect("policy recorded");
}

/// January 2025 computed and a list prepared for each commune; Tân Thạnh's paid on 20/01/2025.
/// The lists' ids: (Tân Thạnh, the far commune).
async fn january_paid(app: &TestApp) -> (i64, i64) {
    use store::payments::ListStatus;
    let jan = domain::funding::YearMonth::parse("2025-01").expect("month");
    store::payments::compute(&app.db, &Scope::All, jan).await.expect("compute");
    let near = store::payments::prepare(&app.db, &Scope::All, "20335", jan).await.expect("prepare");
    let far = store::payments::prepare(&app.db, &Scope::All, "20380", jan).await.expect("prepare");
    let day = time::macros::date!(2025 - 01 - 20);
    for (step, by) in
        [(ListStatus::Submitted, "cb.xa"), (ListStatus::Approved, "ke.toan"), (ListStatus::Paid, "ke.toan")]
    {
        let actor = store::audit::Actor { login: by.into(), channel: "web", address: None };
        store::audit::acting_as(actor, store::payments::advance(&app.db, &Scope::All, near, step, Some(day)))
            .await
            .expect("step");
    }
    (near, far)
}

app_test!(payment_lists_the_ledger_and_the_report_download_with_money_as_numbers, |app| {
    let team = app.team("20335", "Thôn Một").await;
    app.member(team, "Nguyễn Văn An", "0912345678", "leader", "commune_official").await;
    let far = app.team("20380", "Thôn Xa").await;
    app.member(far, "Lê Văn Xa", "0905111222", "leader", "other").await;
    team_month_policy(&app).await;
    let (near, far_list) = january_paid(&app).await;
    let today = sheets::write::data_date_line(store::today());

    // The month's lists.
    let lists = workbook(&mut app, "/payments.xlsx?month=2025-01").await;
    assert!(lists.cell(0, 0).starts_with("DANH SÁCH BẢNG KÊ CHI TRẢ THÁNG 01/2025"), "{:?}", lists.rows);
    assert_eq!(lists.cell(1, 0), today);
    assert_eq!(data(&lists).len(), 2, "{:?}", lists.rows);
    let commune = column(&lists, "Xã");
    let typed = typed_cells(app.get_bytes("/payments.xlsx?month=2025-01").await);
    let row = typed_row(&typed, commune, "Phường Tân Thạnh");
    assert_eq!(amount(row.get(column(&lists, "Tổng tiền (đồng)"))), 500_000);
    assert!(matches!(row[column(&lists, "Ngày chi")], Data::DateTime(_)), "{row:?}");
    let csv = csv_text(&mut app, "/payments.csv?month=2025-01").await;
    assert!(csv.starts_with("STT,Mã xã,Xã,Tháng,Tổng tiền (đồng),Trạng thái,Người lập,Ngày chi\r\n"), "{csv}");
    assert!(csv.contains(",20335,Phường Tân Thạnh,01/2025,500000,Đã chi trả,"), "{csv}");
    assert_eq!(app.get("/payments.xlsx?month=2025-13").await.status, StatusCode::BAD_REQUEST);

    // One list's lines as CSV, logged as its workbook is.
    let csv = csv_text(&mut app, &format!("/payments/{near}/bang-ke.csv")).await;
    assert!(csv.starts_with("STT,Họ và tên,Tổ,Nội dung,Số tiền (đồng)\r\n"), "{csv}");
    assert!(csv.contains("Hỗ trợ tổ hằng tháng,500000\r\n"), "{csv}");
    assert!(csv.ends_with(",Tổng cộng,,,500000\r\n"), "{csv}");
    let all = store::audit::Filter { scope: Scope::All, entity: Some("export".into()), ..Default::default() };
    let trail = store::audit::list(&app.db, &all, store::PageRequest::all()).await.expect("audit").items;
    let logged = trail.iter().find(|r| r.action == "payment_list_csv").expect("the CSV is logged");
    assert_eq!((logged.entity_id, logged.unit_path.as_deref()), (Some(near), Some("49/502/20335/")));

    // The ledger of the period, with what was paid.
    let path = "/ledger.xlsx?unit=20335&from=01/01/2025&to=31/01/2025";
    let ledger = workbook(&mut app, path).await;
    let title = ledger.cell(0, 0);
    assert!(title.starts_with("SỔ CÁI CHI TRẢ TỪ NGÀY 01/01/2025 ĐẾN NGÀY 31/01/2025"), "{title}");
    assert!(title.ends_with("— Phường Tân Thạnh"), "{title}");
    let rows = data(&ledger);
    assert_eq!(rows.len(), 2, "one entry and the total: {rows:?}");
    assert_eq!(rows[0][column(&ledger, "Ngày chi")], "20/01/2025");
    let typed = typed_cells(app.get_bytes(path).await);
    let first = typed.get(sheets::write::HEADER_ROW as usize + 1).expect("an entry");
    assert_eq!(amount(first.get(column(&ledger, "Số tiền (đồng)"))), 500_000);
    assert!(matches!(first[column(&ledger, "Ngày chi")], Data::DateTime(_)), "{first:?}");
    let csv = csv_text(&mut app, "/ledger.csv?unit=20335").await;
    assert!(csv.starts_with("Số bút toán,Ngày chi,Tháng,Loại,Mã xã,Tổ,Người nhận,Số tiền (đồng),"), "{csv}");
    assert!(csv.contains(",20/01/2025,01/2025,Chi trả,20335,"), "{csv}");
    assert!(!csv.contains("20380"), "only the unit asked: {csv}");
    let trail = store::audit::list(&app.db, &all, store::PageRequest::all()).await.expect("audit").items;
    let logged = trail.iter().find(|r| r.action == "ledger_xlsx").expect("the ledger's workbook is logged");
    assert_eq!(logged.unit_path.as_deref(), Some("49/502/20335/"));
    let after: serde_json::Value = serde_json::from_str(logged.after_json.as_deref().expect("after")).expect("json");
    assert_eq!(after["count"].as_i64(), Some(1), "{after}");
    assert!(trail.iter().any(|r| r.action == "ledger_csv"), "and its CSV");
    assert_eq!(app.get("/ledger.xlsx?from=32/01/2025").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/ledger.csv?team=mot").await.status, StatusCode::BAD_REQUEST);

    // The report: planned, owed and paid.
    let path = "/payments/report.xlsx?unit=20335&from=2025-01&months=2";
    let report = workbook(&mut app, path).await;
    assert!(report.cell(0, 0).starts_with("KẾ HOẠCH, PHẢI CHI, ĐÃ CHI — Phường Tân Thạnh"), "{:?}", report.rows);
    assert!(report.cell(0, 0).ends_with("TỪ THÁNG 01/2025 ĐẾN THÁNG 02/2025"), "{}", report.cell(0, 0));
    let typed = typed_cells(app.get_bytes(path).await);
    let jan = typed_row(&typed, 0, "01/2025");
    assert_eq!((amount(jan.get(1)), amount(jan.get(2)), amount(jan.get(3))), (500_000, 500_000, 500_000));
    let total = typed_row(&typed, 0, "Cộng");
    assert_eq!(amount(total.get(1)), 1_000_000, "two months planned");
    let csv = csv_text(&mut app, "/payments/report.csv?unit=20335&from=2025-01&months=1").await;
    assert_eq!(
        csv,
        "Tháng,Kế hoạch (đồng),Phải chi (đồng),Đã chi (đồng)\r\n01/2025,500000,500000,500000\r\nCộng,500000,500000,500000\r\n"
    );
    for bad in [
        "/payments/report.xlsx?unit=20335&from=2025-13&months=1",
        "/payments/report.csv?unit=20335&from=2025-01&months=0",
        "/payments/report.xlsx",
    ] {
        assert_eq!(app.get(bad).await.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    for (page, link) in [
        ("/payments?month=2025-01", "/payments.xlsx?month=2025-01"),
        (&format!("/payments/{near}"), &format!("/payments/{near}/bang-ke.csv")),
        ("/ledger?unit=20335", "/ledger.xlsx?unit=20335"),
        ("/payments/report?unit=20335&from=2025-01&months=1", "/payments/report.xlsx?unit=20335"),
        ("/claims", "/claims.xlsx?month="),
    ] {
        assert!(app.get(page).await.body.contains(link), "{page} links to {link}");
    }

    // A finance approver of Tam Kỳ gets only Tam Kỳ's lists and ledger, nothing of the far commune.
    app.user_with("nguoi.xem", Some((UserRole::Viewer, Target::Unit("502".into())))).await;
    let mut viewer = app.browser_of("nguoi.xem").await;
    let lists = workbook(&mut viewer, "/payments.xlsx?month=2025-01").await;
    assert_eq!(data(&lists).len(), 1, "{:?}", lists.rows);
    let csv = csv_text(&mut viewer, "/ledger.csv").await;
    assert!(csv.contains(",20335,") && !csv.contains("20380"), "{csv}");
    for path in [
        format!("/payments/{far_list}/bang-ke.csv"),
        "/ledger.xlsx?unit=20380".to_owned(),
        "/payments/report.xlsx?unit=20380&from=2025-01&months=1".to_owned(),
    ] {
        assert_eq!(viewer.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
});

app_test!(work_day_claims_download_for_the_month, |app| {
    let team = app.team("20335", "Thôn Một").await;
    let an = app.member(team, "Nguyễn Văn An", "0912345678", "leader", "commune_official").await;
    let far = app.team("20380", "Thôn Xa").await;
    let xa = app.member(far, "Lê Văn Xa", "0905111222", "leader", "other").await;
    let today = store::today();
    for (person, team) in [(an, team), (xa, far)] {
        let input = store::payments::ClaimInput {
            person_id: person,
            team_id: team,
            worked_on: today,
            task: "Hướng dẫn cài VNeID".into(),
            mobilised_by: "UBND xã".into(),
        };
        store::payments::add_claim(&app.db, &Scope::All, &input).await.expect("claim");
    }
    let month = domain::funding::YearMonth::of(today);
    let sheet = workbook(&mut app, &format!("/claims.xlsx?month={month}")).await;
    assert!(sheet.cell(0, 0).starts_with(&format!("DANH SÁCH NGÀY CÔNG THÁNG {}", month.label())), "{:?}", sheet.rows);
    assert_eq!(sheet.cell(1, 0), sheets::write::data_date_line(today));
    let rows = data(&sheet);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let an_row = rows.iter().find(|r| r[column(&sheet, "Người làm")] == "Nguyễn Văn An").expect("An's claim");
    assert_eq!(an_row[column(&sheet, "Ngày làm")], domain::input::format_date(today));
    assert_eq!(an_row[column(&sheet, "Trạng thái")], "Chờ duyệt");
    let csv = csv_text(&mut app, "/claims.csv").await;
    assert!(csv.starts_with("STT,Ngày làm,Người làm,Tổ,Việc đã làm,Người huy động,Trạng thái\r\n"), "{csv}");
    assert_eq!(app.get("/claims.csv?month=2025-00").await.status, StatusCode::BAD_REQUEST);

    app.user_with("nguoi.xem", Some((UserRole::Viewer, Target::Unit("502".into())))).await;
    let mut viewer = app.browser_of("nguoi.xem").await;
    let csv = csv_text(&mut viewer, "/claims.csv").await;
    assert!(csv.contains("Nguyễn Văn An") && !csv.contains("Lê Văn Xa"), "{csv}");
    let all = store::audit::Filter { scope: Scope::All, entity: Some("export".into()), ..Default::default() };
    let trail = store::audit::list(&app.db, &all, store::PageRequest::all()).await.expect("audit").items;
    let mine = trail.iter().find(|r| r.action == "claims_csv" && r.actor == "nguoi.xem").expect("logged");
    assert_eq!(mine.unit_path.as_deref(), Some("49/502/"));
    let after: serde_json::Value = serde_json::from_str(mine.after_json.as_deref().expect("after")).expect("json");
    assert_eq!(after["count"].as_i64(), Some(1), "{after}");
    assert!(trail.iter().any(|r| r.action == "claims_xlsx" && r.actor == "admin"), "the admin's workbook too");
});

app_test!(policies_and_the_budget_download_with_amounts_as_numbers, |app| {
    app.team("20335", "Thôn Một").await;
    team_month_policy(&app).await;
    let sheet = workbook(&mut app, "/policies.xlsx").await;
    assert!(sheet.cell(0, 0).starts_with("DANH SÁCH CHÍNH SÁCH HỖ TRỢ"), "{:?}", sheet.rows);
    assert_eq!(sheet.cell(1, 0), sheets::write::data_date_line(store::today()));
    let name = column(&sheet, "Tên chính sách");
    let rows = data(&sheet);
    let row = rows.iter().find(|r| r[name] == "Hỗ trợ tổ hằng tháng").expect("the policy");
    assert_eq!(row[column(&sheet, "Từ ngày")], "01/01/2025");
    assert_eq!(row[column(&sheet, "Mã đơn vị áp dụng")], "49");
    let typed = typed_cells(app.get_bytes("/policies.xlsx").await);
    let row = typed_row(&typed, name, "Hỗ trợ tổ hằng tháng");
    assert_eq!(amount(row.get(column(&sheet, "Mức hỗ trợ (đồng)"))), 500_000);
    let csv = csv_text(&mut app, "/policies.csv").await;
    assert!(csv.starts_with("STT,Tên chính sách,Căn cứ,Loại hỗ trợ,Mức hỗ trợ (đồng),Từ ngày,"), "{csv}");
    assert!(csv.contains("Hỗ trợ tổ hằng tháng,Nghị quyết số 05/2025/NQ-HĐND,"), "{csv}");
    assert!(csv.contains(",500000,01/01/2025,"), "{csv}");

    // The budget: a row per commune and a total for each scenario, a column per policy.
    let path = "/budget.csv?unit=502&from=2025-01&months=12";
    let csv = csv_text(&mut app, path).await;
    let header = csv.lines().next().expect("a header");
    assert_eq!(header, "Phương án,STT,Mã đơn vị,Đơn vị,Số thôn,Số tổ,Số thành viên,Hỗ trợ tổ hằng tháng (đồng)");
    let line = csv.lines().find(|l| l.contains(",20335,Phường Tân Thạnh,")).expect("the commune's line");
    assert!(line.ends_with(",1,1,0,6000000"), "12 months of 500.000 for one team: {line}");
    assert!(csv.lines().any(|l| l.contains(",502,Tổng cộng,") && l.ends_with(",6000000")), "{csv}");
    assert!(app.get("/budget?unit=502&from=2025-01&months=12").await.body.contains("/budget.csv?unit=502"));
    assert_eq!(app.get("/budget.csv?unit=502&from=2025-01&months=0").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.user_with("nguoi.xem", Some((UserRole::Viewer, Target::Unit("502".into())))).await;
    let mut viewer = app.browser_of("nguoi.xem").await;
    assert_eq!(viewer.get("/budget.csv?unit=518&from=2025-01&months=12").await.status, StatusCode::NOT_FOUND);
    assert!(app.get("/policies").await.body.contains("/policies.xlsx"), "the list links its workbook");
});

app_test!(training_sessions_attendance_and_the_untrained_download, |app| {
    let team = app.team("20335", "Thôn Một").await;
    let an = member_with_cccd(&app, team, "Nguyễn Văn An", "0912345678", "049085001234", "leader").await;
    let binh = app.member(team, "Trần Văn Bình", "0987654321", "member", "other").await;
    let far = app.team("20380", "Thôn Xa").await;
    app.member(far, "Lê Văn Xa", "0905111222", "leader", "other").await;
    let course =
        store::training::add_course(&app.db, "Kỹ năng số cơ bản", "Sở TT&TT Quảng Nam", "VNeID").await.expect("course");
    let day = time::macros::date!(2024 - 08 - 28);
    let s = store::training::add_session(&app.db, course, day, "Tam Kỳ", "").await.expect("session");
    store::training::invite(&app.db, &Scope::All, s, &[team, far]).await.expect("invite");
    store::training::record(&app.db, &Scope::All, s, &[(an, "present".into()), (binh, "absent".into())])
        .await
        .expect("marks");

    let sessions = workbook(&mut app, "/training.xlsx").await;
    assert_eq!(sessions.cell(0, 0), "DANH SÁCH BUỔI TẬP HUẤN");
    assert_eq!(sessions.cell(1, 0), sheets::write::data_date_line(store::today()));
    let rows = data(&sessions);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][column(&sessions, "Ngày tập huấn")], "28/08/2024");
    assert_eq!(rows[0][column(&sessions, "Số người có mặt")], "1");
    let csv = csv_text(&mut app, "/training.csv").await;
    assert!(csv.starts_with("STT,Ngày tập huấn,Khóa tập huấn,Đơn vị tổ chức,"), "{csv}");
    assert!(csv.contains(",28/08/2024,Kỹ năng số cơ bản,Sở TT&TT Quảng Nam,"), "{csv}");

    let roll = workbook(&mut app, &format!("/training/{s}/attendance.xlsx")).await;
    assert_eq!(roll.cell(0, 0), "ĐIỂM DANH BUỔI TẬP HUẤN NGÀY 28/08/2024 — Kỹ năng số cơ bản");
    let rows = data(&roll);
    assert_eq!(rows.len(), 3, "two teams and the total: {rows:?}");
    let commune = column(&roll, "Xã");
    let near = rows.iter().find(|r| r[commune] == "Phường Tân Thạnh").expect("the near team");
    assert_eq!((near[column(&roll, "Số thành viên")].as_str(), near[column(&roll, "Có mặt")].as_str()), ("2", "1"));
    assert_eq!(near[column(&roll, "Vắng")], "1");

    // The untrained: Bình (absent) and the far leader, not An.
    let untrained = workbook(&mut app, "/training/untrained.xlsx?unit=20335").await;
    assert!(untrained.cell(0, 0).starts_with("DANH SÁCH THÀNH VIÊN CHƯA TỪNG TẬP HUẤN"), "{:?}", untrained.rows);
    assert!(untrained.cell(0, 0).ends_with("— Phường Tân Thạnh"), "{}", untrained.cell(0, 0));
    let rows = data(&untrained);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][column(&untrained, "Họ và tên")], "Trần Văn Bình");
    assert_eq!(rows[0][column(&untrained, "Số điện thoại")], "0987654321");
    assert_eq!(rows[0][column(&untrained, "Lần có mặt gần nhất")], "Chưa tập huấn");
    let since = workbook(&mut app, "/training/untrained.xlsx?unit=20335&months=24").await;
    assert!(since.cell(0, 0).contains("CHƯA TẬP HUẤN TỪ NGÀY"), "{}", since.cell(0, 0));
    assert_eq!(app.get("/training/untrained.xlsx?months=mot").await.status, StatusCode::BAD_REQUEST);

    // A viewer of Tam Kỳ: only Tam Kỳ's team on the roll, numbers masked, nothing of the far unit.
    app.user_with("nguoi.xem", Some((UserRole::Viewer, Target::Unit("502".into())))).await;
    let mut viewer = app.browser_of("nguoi.xem").await;
    let csv = csv_text(&mut viewer, &format!("/training/{s}/attendance.csv")).await;
    assert!(csv.starts_with("STT,Tổ,Xã,Số thành viên,Có mặt,Vắng,Vắng có phép\r\n"), "{csv}");
    assert!(csv.contains("Phường Tân Thạnh") && !csv.contains("Tam Xuân"), "{csv}");
    let masked = workbook(&mut viewer, "/training/untrained.xlsx").await;
    let rows = data(&masked);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][column(&masked, "Số điện thoại")], "0987 *** 321");
    assert_eq!(viewer.get("/training/untrained.xlsx?unit=20380").await.status, StatusCode::NOT_FOUND);
    assert_eq!(viewer.get("/training/9999/attendance.xlsx").await.status, StatusCode::NOT_FOUND);
    let all = store::audit::Filter { scope: Scope::All, entity: Some("export".into()), ..Default::default() };
    let trail = store::audit::list(&app.db, &all, store::PageRequest::all()).await.expect("audit").items;
    let mine = trail.iter().find(|r| r.action == "untrained_xlsx" && r.actor == "nguoi.xem").expect("logged");
    let after: serde_json::Value = serde_json::from_str(mine.after_json.as_deref().expect("after")).expect("json");
    assert_eq!((after["count"].as_i64(), after["whole"].as_i64()), (Some(1), Some(0)), "{after}");
    for (page, link) in [
        ("/training".to_owned(), "/training.xlsx".to_owned()),
        (format!("/training/{s}"), format!("/training/{s}/attendance.xlsx")),
        ("/training/untrained?unit=20335".to_owned(), "/training/untrained.xlsx?unit=20335".to_owned()),
    ] {
        assert!(app.get(&page).await.body.contains(&link), "{page} links to {link}");
    }
});

app_test!(the_audit_trail_downloads_as_a_workbook_for_administrators, |app| {
    app.team("20335", "Thôn Một").await;
    let sheet = workbook(&mut app, "/admin/audit.xlsx?entity=village").await;
    assert_eq!(sheet.cell(0, 0), "NHẬT KÝ THAO TÁC");
    assert_eq!(sheet.cell(1, 0), sheets::write::data_date_line(store::today()));
    let rows = data(&sheet);
    assert!(!rows.is_empty(), "{:?}", sheet.rows);
    assert!(rows.iter().all(|r| r[column(&sheet, "Đối tượng")] == "village"), "{rows:?}");
    let today = domain::input::format_date(store::today());
    let dated = workbook(&mut app, &format!("/admin/audit.xlsx?from={today}&to={today}")).await;
    assert_eq!(dated.cell(0, 0), format!("NHẬT KÝ THAO TÁC TỪ NGÀY {today} ĐẾN NGÀY {today}"));
    assert_eq!(app.get("/admin/audit.xlsx?from=hom-qua").await.status, StatusCode::BAD_REQUEST);
    assert!(app.get("/admin/audit").await.body.contains("/admin/audit.xlsx?"), "the page links the workbook");
    let all = store::audit::Filter { scope: Scope::All, entity: Some("export".into()), ..Default::default() };
    let trail = store::audit::list(&app.db, &all, store::PageRequest::all()).await.expect("audit").items;
    assert!(trail.iter().any(|r| r.action == "audit_xlsx"), "the download is logged");
    app.user_with("nguoi.xem", Some((UserRole::Viewer, Target::Unit("502".into())))).await;
    let mut viewer = app.browser_of("nguoi.xem").await;
    assert_eq!(viewer.get("/admin/audit.xlsx").await.status, StatusCode::FORBIDDEN);
});
