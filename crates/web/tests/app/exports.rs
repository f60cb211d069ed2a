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
