//! Importing a list through the web (issue F, points 5 and 7): the upload is previewed as a dry
//! run with its column mapping, applied whole or not at all, handed back with its errors, and a
//! template with dropdowns imports once filled in; on SQLite and PostgreSQL.

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::UserRole;
use store::Scope;
use store::access::Target;

use crate::app_test;
use crate::common::{Reply, TestApp};

/// A form field or a file, for a multipart body.
enum Part<'a> {
    Field(&'a str, &'a str),
    File(&'a str, &'a [u8]),
}

const BOUNDARY: &str = "importboundary7MA4YWxkTrZu0gW";

fn multipart(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match p {
            Part::Field(name, value) => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes());
                body.extend_from_slice(value.as_bytes());
            }
            Part::File(name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Posts a multipart form with the session's CSRF token.
async fn post(app: &mut TestApp, path: &str, parts: &[Part<'_>]) -> Reply {
    let csrf = app.csrf.clone();
    let mut all = vec![Part::Field("csrf", &csrf)];
    for p in parts {
        all.push(match p {
            Part::Field(n, v) => Part::Field(n, v),
            Part::File(n, b) => Part::File(n, b),
        });
    }
    let req = Request::post(path)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from(multipart(&all)))
        .expect("request");
    app.send(req).await
}

/// Uploads a file listing `kind` and answers the preview.
async fn upload(app: &mut TestApp, kind: &str, name: &str, bytes: &[u8]) -> Reply {
    post(app, "/import/preview", &[Part::Field("kind", kind), Part::File(name, bytes)]).await
}

/// The upload id a preview page carries.
fn upload_id(page: &Reply) -> String {
    let marker = "name=\"upload\" value=\"";
    let start = page.body.find(marker).unwrap_or_else(|| panic!("no upload in {}", page.body)) + marker.len();
    page.body[start..].chars().take_while(char::is_ascii_digit).collect()
}

async fn apply(app: &mut TestApp, id: &str) -> Reply {
    post(app, "/import/apply", &[Part::Field("upload", id), Part::Field("confirm", "1")]).await
}

/// The count shown after a label ("Thêm mới: <strong>2</strong>").
fn count(page: &Reply, label: &str) -> usize {
    let marker = format!("{label}: <strong>");
    let start = page.body.find(&marker).unwrap_or_else(|| panic!("no {label} in {}", page.body)) + marker.len();
    page.body[start..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().expect("a count")
}

async fn people(app: &TestApp) -> i64 {
    store::people::list(&app.db, &Scope::All, &Default::default(), store::PageRequest::all())
        .await
        .expect("people")
        .total
}

/// The XML of a part of an .xlsx (a zip): found by its local header, inflated.
fn xlsx_part(bytes: &[u8], part: &str) -> Option<String> {
    let mut at = 0;
    while at + 30 <= bytes.len() {
        if bytes[at..at + 4] != [0x50, 0x4b, 0x03, 0x04] {
            at += 1;
            continue;
        }
        let le16 = |i: usize| usize::from(u16::from_le_bytes([bytes[i], bytes[i + 1]]));
        let (method, name_len, extra_len) = (le16(at + 8), le16(at + 26), le16(at + 28));
        let name = String::from_utf8_lossy(&bytes[at + 30..at + 30 + name_len]).into_owned();
        let data = at + 30 + name_len + extra_len;
        if name == part {
            let mut out = String::new();
            if method == 8 {
                flate2::read::DeflateDecoder::new(&bytes[data..]).read_to_string(&mut out).ok()?;
            } else {
                out = String::from_utf8_lossy(&bytes[data..]).into_owned();
            }
            return Some(out);
        }
        at = data;
    }
    None
}

/// Two people for the team of Thôn Một, Phường Tân Thạnh (20335).
const TWO: &str = "Họ và tên,Giới tính,Năm sinh,SĐT,Chức danh,Vai trò,Thôn,Xã\n\
                   Nguyễn Văn An,Nam,1980,0912000001,Trưởng thôn,Tổ trưởng,Thôn Một,Tân Thạnh\n\
                   Trần Thị Bình,Nữ,1992,0912000002,Chi hội phụ nữ,Thành viên,Thôn Một,Tân Thạnh\n";

app_test!(a_csv_is_previewed_then_applied_whole_and_again_changes_nothing, |app| {
    app.team("20335", "Thôn Một").await;
    let before = people(&app).await;
    let form = app.get("/import").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("id=\"import-form\"") && form.body.contains("/import/template.xlsx?kind=members"));

    let p = upload(&mut app, "members", "danh-sach.csv", TWO.as_bytes()).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!((count(&p, "Thêm mới"), count(&p, "Cập nhật"), count(&p, "Bị từ chối")), (2, 0, 0));
    assert!(p.body.contains("Nguyễn Văn An") && p.body.contains("Họ và tên"), "rows and mapping shown");
    assert_eq!(people(&app).await, before, "a preview writes nothing");
    let id = upload_id(&p);

    // Without the confirmation, nothing is written.
    let r = post(&mut app, "/import/apply", &[Part::Field("upload", &id)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Hãy đánh dấu ô xác nhận"), "{}", r.body);
    assert_eq!(people(&app).await, before);

    let r = apply(&mut app, &id).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("id=\"import-applied\""), "{}", r.body);
    assert_eq!(count(&r, "Thêm mới"), 2);
    assert_eq!(people(&app).await, before + 2);
    // The upload is gone once applied.
    assert_eq!(apply(&mut app, &id).await.status, StatusCode::NOT_FOUND);

    let p = upload(&mut app, "members", "danh-sach.csv", TWO.as_bytes()).await;
    assert_eq!((count(&p, "Thêm mới"), count(&p, "Không đổi")), (0, 2), "{}", p.body);
    let r = apply(&mut app, &upload_id(&p)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!((count(&r, "Thêm mới"), count(&r, "Cập nhật"), count(&r, "Không đổi")), (0, 0, 2));
    assert_eq!(people(&app).await, before + 2);
});

app_test!(a_bad_row_is_shown_nothing_is_written_and_the_error_book_names_it, |app| {
    app.team("20335", "Thôn Một").await;
    let before = people(&app).await;
    let csv = "Họ và tên,Giới tính,Năm sinh,SĐT,Thôn,Xã\n\
               Nguyễn Văn An,Nam,1980,0912000001,Thôn Một,Tân Thạnh\n\
               Lê Văn Cường,Nam,1985,,Thôn Một,Tân Thạnh\n";
    let p = upload(&mut app, "members", "loi.csv", csv.as_bytes()).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("Chưa nhập số điện thoại"), "{}", p.body);
    assert!(!p.body.contains("id=\"import-apply\""), "no apply form for a file with errors");
    assert!(p.body.contains("errors.xlsx"));
    let id = upload_id(&p);
    let r = apply(&mut app, &id).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Không nhập gì"), "{}", r.body);
    assert_eq!(people(&app).await, before, "one bad row and nothing is written");

    let book = app.get_bytes(&format!("/import/{id}/errors.xlsx")).await;
    let back = sheets::read_file("loi.xlsx", &book).expect("the error book opens");
    let rows = &back.sheets[0].rows;
    assert_eq!(rows[0], vec!["Họ và tên", "Giới tính", "Năm sinh", "SĐT", "Thôn", "Xã", "Lỗi"]);
    assert_eq!(rows[1][0], "Nguyễn Văn An");
    assert_eq!(rows[1].get(6).map_or("", String::as_str), "", "a good row has no error");
    assert_eq!(rows[2][0], "Lê Văn Cường");
    assert!(rows[2][6].contains("Chưa nhập số điện thoại") && rows[2][6].contains("Cột D"), "{:?}", rows[2]);
    assert_eq!(rows[1][3], "0912000001", "phones stay text with their zero");
});

app_test!(correcting_the_mapping_changes_the_result, |app| {
    app.team("20335", "Thôn Một").await;
    // "Liên lạc" is no header we know: the phone column is not read until it is mapped.
    let csv = "Họ và tên,Giới tính,Liên lạc,Thôn,Xã\nNguyễn Văn An,Nam,0912000001,Thôn Một,Tân Thạnh\n";
    let p = upload(&mut app, "members", "ds.csv", csv.as_bytes()).await;
    assert_eq!(count(&p, "Bị từ chối"), 1);
    assert!(p.body.contains("Chưa nhập số điện thoại"));
    assert!(p.body.contains("name=\"map_C\""), "a select per column");
    let id = upload_id(&p);
    let fields = [("A", "FullName"), ("B", "Gender"), ("C", "Phone"), ("D", "Village"), ("E", "Commune")];
    let mut parts = vec![Part::Field("upload", &id)];
    let names: Vec<String> = fields.iter().map(|(l, _)| format!("map_{l}")).collect();
    for ((_, f), n) in fields.iter().zip(&names) {
        parts.push(Part::Field(n, f));
    }
    let r = post(&mut app, "/import/preview", &parts).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((count(&r, "Thêm mới"), count(&r, "Bị từ chối")), (1, 0), "{}", r.body);
    // A column the sheet does not have: the file is read as detected, and the person told.
    let r = post(&mut app, "/import/preview", &[Part::Field("upload", &id), Part::Field("map_Z", "Phone")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Không áp dụng được cách đọc cột đã chọn"), "{}", r.body);
    assert_eq!(count(&r, "Bị từ chối"), 1, "read as detected again");
    let mut parts = vec![Part::Field("upload", &id)];
    for ((_, f), n) in fields.iter().zip(&names) {
        parts.push(Part::Field(n, f));
    }
    let r = post(&mut app, "/import/preview", &parts).await;
    assert_eq!(count(&r, "Thêm mới"), 1, "{}", r.body);
    // The apply reads the file with the mapping as previewed.
    let before = people(&app).await;
    let r = apply(&mut app, &id).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(people(&app).await, before + 1);
});

app_test!(a_list_of_teams_is_corrected_too_with_its_own_fields, |app| {
    app.village("20335", "Thôn Một").await;
    // "Theo quyết định ngày" is no header we know: the founding day is not read until mapped.
    let csv = "Xã,Thôn,Theo quyết định ngày\nTân Thạnh,Thôn Một,01/09/2023\n";
    let p = upload(&mut app, "teams", "to.csv", csv.as_bytes()).await;
    assert_eq!(count(&p, "Bị từ chối"), 1, "{}", p.body);
    assert!(p.body.contains("name=\"map_C\""), "a select per column of a list of teams");
    assert!(p.body.contains("value=\"Founded\""), "its own fields are offered");
    assert!(!p.body.contains("value=\"Phone\""), "not those of a member list");
    let id = upload_id(&p);
    let parts = [
        Part::Field("upload", &id),
        Part::Field("map_A", "Commune"),
        Part::Field("map_B", "Village"),
        Part::Field("map_C", "Founded"),
    ];
    let r = post(&mut app, "/import/preview", &parts).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((count(&r, "Thêm mới"), count(&r, "Bị từ chối")), (1, 0), "{}", r.body);
    let r = apply(&mut app, &id).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let teams = store::teams::list(&app.db, &store::Scope::All, &Default::default(), store::PageRequest::all())
        .await
        .expect("teams");
    assert_eq!(teams.items.iter().map(|t| t.established_on.as_str()).collect::<Vec<_>>(), ["2023-09-01"]);
});

app_test!(a_commune_officer_cannot_import_another_commune, |app| {
    app.team("20335", "Thôn Một").await;
    app.team("20380", "Thôn Hai").await;
    app.user_with("cb.xa", Some((UserRole::CommuneOfficer, Target::Unit("20335".into())))).await;
    let mut b = app.browser_of("cb.xa").await;
    assert_eq!(b.get("/import").await.status, StatusCode::OK, "a commune officer imports");
    // The administrator's template offers every commune; the officer's only their own.
    let theirs = b.get_bytes("/import/template.xlsx?kind=members").await;
    let mine = app.get_bytes("/import/template.xlsx?kind=members").await;
    let communes = |bytes: &[u8]| {
        let book = sheets::read_file("mau.xlsx", bytes).expect("template");
        let lists = book.sheets.into_iter().find(|s| s.name == web::import_book::LISTS_SHEET).expect("lists");
        lists.rows.iter().skip(1).filter_map(|r| r.get(3).cloned()).filter(|c| !c.is_empty()).collect::<Vec<_>>()
    };
    assert_eq!(communes(&theirs), vec!["Phường Tân Thạnh"]);
    assert!(communes(&mine).len() > 10 && communes(&mine).contains(&"Xã Tam Phước".to_owned()));
    let csv = "Họ và tên,Giới tính,SĐT,Thôn,Xã\nPhan Văn Long,Nam,0912000011,Thôn Hai,Tam Phước\n";
    let p = upload(&mut b, "members", "ds.csv", csv.as_bytes()).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("Bạn không có quyền nhập danh sách cho"), "{}", p.body);
    let before = people(&app).await;
    assert_eq!(apply(&mut b, &upload_id(&p)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(people(&app).await, before);
    // Their own commune imports.
    let csv = "Họ và tên,Giới tính,SĐT,Thôn,Xã\nPhan Văn Long,Nam,0912000011,Thôn Một,Tân Thạnh\n";
    let p = upload(&mut b, "members", "ds.csv", csv.as_bytes()).await;
    assert_eq!(count(&p, "Thêm mới"), 1, "{}", p.body);
});

app_test!(a_viewer_is_refused_and_another_users_upload_is_not_found, |app| {
    app.team("20335", "Thôn Một").await;
    app.user_with("nguoi.xem", Some((UserRole::Viewer, Target::Unit("502".into())))).await;
    app.user_with("cb.xa", Some((UserRole::CommuneOfficer, Target::Unit("20335".into())))).await;
    let mut viewer = app.browser_of("nguoi.xem").await;
    // The menu offers the import to those who change the registry, not to a viewer.
    assert!(!viewer.get("/members").await.body.contains("href=\"/import\""), "a viewer sees no import link");
    assert!(app.get("/members").await.body.contains("href=\"/import\""), "an administrator sees it");
    assert_eq!(viewer.get("/import").await.status, StatusCode::FORBIDDEN);
    assert_eq!(viewer.get("/import/template.xlsx?kind=members").await.status, StatusCode::FORBIDDEN);
    let r = upload(&mut viewer, "members", "ds.csv", TWO.as_bytes()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let p = upload(&mut app, "members", "ds.csv", TWO.as_bytes()).await;
    let id = upload_id(&p);
    let mut other = app.browser_of("cb.xa").await;
    assert_eq!(other.get(&format!("/import/{id}/errors.xlsx")).await.status, StatusCode::NOT_FOUND);
    let before = people(&app).await;
    assert_eq!(apply(&mut other, &id).await.status, StatusCode::NOT_FOUND);
    let r = post(&mut other, "/import/preview", &[Part::Field("upload", &id)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(people(&app).await, before);
    // Its owner still has it.
    assert_eq!(app.get(&format!("/import/{id}/errors.xlsx")).await.status, StatusCode::OK);
});

app_test!(an_oversized_or_unreadable_file_is_told_in_vietnamese, |app| {
    let big = vec![b'a'; web::import_book::UPLOAD_LIMIT + 1];
    let r = upload(&mut app, "members", "lon.csv", &big).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Tệp quá lớn"), "{}", r.body.chars().take(400).collect::<String>());
    // Beyond what the request may carry at all, the same message.
    let huge = vec![b'a'; web::import_book::UPLOAD_LIMIT + 1024 * 1024];
    let r = upload(&mut app, "members", "rat-lon.csv", &huge).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Tệp quá lớn"), "{}", r.body.chars().take(400).collect::<String>());
    let r = upload(&mut app, "members", "hong.xlsx", b"this is not a workbook").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Không đọc được tệp"), "{}", r.body);
    let r = upload(&mut app, "members", "anh.pdf", b"%PDF-1.4").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("chỉ nhận tệp Excel"), "{}", r.body);
    let r = post(&mut app, "/import/preview", &[Part::Field("kind", "members")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Chưa chọn tệp"));
});

app_test!(the_template_has_its_header_and_dropdowns_and_imports_once_filled, |app| {
    app.team("20335", "Thôn Một").await;
    let r = app.get("/import/template.xlsx?kind=members").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type.contains("spreadsheetml"));
    let bytes = app.get_bytes("/import/template.xlsx?kind=members").await;
    let book = sheets::read_file("mau.xlsx", &bytes).expect("the template opens");
    let header = &book.sheets[0].rows[web::import_book::TEMPLATE_HEADER_ROW as usize];
    assert_eq!(header[..3], ["STT", "Họ và tên", "Ngày sinh"]);
    assert!(header.contains(&"Chức danh".to_owned()) && header.contains(&"Xã".to_owned()));
    let lists = book.sheets.iter().find(|s| s.name == web::import_book::LISTS_SHEET).expect("lists sheet");
    let communes: Vec<&str> = lists.rows.iter().skip(1).filter_map(|r| r.get(3)).map(String::as_str).collect();
    assert!(communes.contains(&"Phường Tân Thạnh"), "{communes:?}");
    let xml = xlsx_part(&bytes, "xl/worksheets/sheet1.xml").expect("sheet XML");
    assert!(xml.contains("<dataValidation"), "dropdowns");
    assert!(xml.contains(web::import_book::LISTS_SHEET), "the dropdowns read the lists sheet");
    // The empty template finds its header and maps every column.
    let read = web::import_file::read("mau.xlsx", &bytes, None, web::import_file::ListKind::Members, &[])
        .expect("read the template");
    assert_eq!(read.mappings[0].header_row, web::import_book::TEMPLATE_HEADER_ROW as usize + 1);
    assert!(read.mappings[0].columns.iter().all(|c| c.field.is_some()), "{:?}", read.mappings);

    // Filled in with one row, it previews as one row to create.
    let row: Vec<String> = [
        "1",
        "Võ Thị Hoa",
        "15/03/1990",
        "Nữ",
        "0912000031",
        "",
        "",
        "Chi hội phụ nữ",
        "Thành viên",
        "Thôn Một",
        "Phường Tân Thạnh",
        "Thành phố Tam Kỳ",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let filled =
        web::import_book::template(web::import_file::ListKind::Members, &["Phường Tân Thạnh".to_owned()], &[row])
            .expect("filled template");
    let p = upload(&mut app, "members", "mau-da-dien.xlsx", &filled).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!((count(&p, "Thêm mới"), count(&p, "Lỗi")), (1, 0), "{}", p.body);

    for kind in ["villages", "teams"] {
        let bytes = app.get_bytes(&format!("/import/template.xlsx?kind={kind}")).await;
        let xml = xlsx_part(&bytes, "xl/worksheets/sheet1.xml").expect("sheet XML");
        assert!(xml.contains("<dataValidation"), "{kind}");
    }
});

app_test!(uploads_older_than_a_day_go_and_long_files_show_their_first_rows, |app| {
    let admin = store::users::by_login(&app.db, crate::common::ADMIN).await.expect("admin");
    let old =
        store::uploads::put(&app.db, admin.user_id, "cu.csv", "members", None, TWO.as_bytes()).await.expect("put");
    let sql = "update import_upload set created_at = '2000-01-01T00:00:00Z' where import_upload_id = $1";
    store::testing::execute(&app.db, sql, old).await;
    let kept =
        store::uploads::put(&app.db, admin.user_id, "moi.csv", "members", None, TWO.as_bytes()).await.expect("put");
    assert!(store::uploads::get(&app.db, admin.user_id, old).await.is_err(), "a day-old upload is deleted");
    assert!(store::uploads::get(&app.db, admin.user_id, kept).await.is_ok());
    assert_eq!(app.get(&format!("/import/{old}/errors.xlsx")).await.status, StatusCode::NOT_FOUND);

    let mut csv = String::from("Họ và tên,SĐT,Thôn,Xã\n");
    for i in 0..501 {
        csv.push_str(&format!("Người {i},09120{i:05},Thôn Không Có,Tân Thạnh\n"));
    }
    let p = upload(&mut app, "members", "dai.csv", csv.as_bytes()).await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(count(&p, "Bị từ chối"), 501);
    assert!(p.body.contains("id=\"import-more\"") && p.body.contains("Người 499") && !p.body.contains("Người 500<"));
});
