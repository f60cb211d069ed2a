//! Reading workbooks and CSV files as a person sees them.

use sheets::legacy::SourceEncoding;
use sheets::{SheetError, read_file};

use super::files::{CSV_PEOPLE, TITLE, csv_text, province_workbook, simple_workbook};

#[test]
fn a_workbook_reads_sheet_by_sheet_as_shown() {
    let book = read_file("Danh sach.xlsx", &province_workbook()).expect("reads");
    let names: Vec<&str> = book.sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Xã Tam Thăng", "Xã Tam Phú", "Tổng hợp"]);
    let s = &book.sheets[0];
    assert_eq!(s.cell(0, 0), "UBND XÃ TAM THĂNG");
    // Merged title: its text in every cell it covers.
    assert_eq!(s.cell(1, 0), TITLE);
    assert_eq!(s.cell(1, 8), TITLE);
    // Merged header cells, vertical and horizontal.
    assert_eq!(s.cell(5, 1), "Họ và tên");
    assert_eq!(s.cell(4, 3), "Ngày sinh");
    assert_eq!(s.cell(5, 3), "Nữ");
    // A phone stored as a number comes back without ".0"; a date cell as dd/mm/yyyy; text
    // trimmed; a bare year as its digits.
    assert_eq!(s.cell(7, 6), "905123456");
    assert_eq!(s.cell(7, 3), "09/03/1985");
    assert_eq!(s.cell(7, 7), "049185000123");
    assert_eq!(s.cell(8, 1), "Trần Văn Đức");
    assert_eq!(s.cell(9, 2), "1990");
    assert_eq!(s.cell(7, 0), "1");
    assert_eq!(book.encoding, None);
}

#[test]
fn cells_typed_in_legacy_fonts_read_as_unicode() {
    let book = read_file("ds.xlsx", &province_workbook()).expect("reads");
    let s = &book.sheets[1];
    assert_eq!(s.cell(0, 0), TITLE);
    assert_eq!(s.cell(4, 1), "Phạm Quốc Khánh");
    assert_eq!(s.cell(4, 5), "Trưởng thôn");
    assert_eq!(s.cell(5, 1), "Huỳnh Thị Thuỳ Dương");
    assert_eq!(s.cell(5, 5), "Chi hội phụ nữ");
    assert_eq!(s.cell(7, 1), "Võ Thị Hà");
}

#[test]
fn csv_in_each_delimiter_and_encoding_reads_the_same() {
    for delimiter in [',', ';', '\t'] {
        let text = csv_text(delimiter);
        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend_from_slice(text.as_bytes());
        let cp1258 = super::files::windows_1258(&text);
        let tcvn3_text = sheets::legacy::encode(&text, sheets::legacy::Encoding::Tcvn3);
        let vni_text = sheets::legacy::encode(&text, sheets::legacy::Encoding::Vni);
        let tcvn3 = encoding_rs::WINDOWS_1252.encode(&tcvn3_text).0;
        let vni = encoding_rs::WINDOWS_1252.encode(&vni_text).0;
        let cases: [(&[u8], SourceEncoding); 5] = [
            (&with_bom, SourceEncoding::Utf8Bom),
            (text.as_bytes(), SourceEncoding::Utf8),
            (&cp1258, SourceEncoding::Windows1258),
            (&tcvn3, SourceEncoding::Tcvn3),
            (&vni, SourceEncoding::Vni),
        ];
        for (bytes, encoding) in cases {
            let book = read_file("thon-phu-ninh.csv", bytes).expect("reads");
            assert_eq!(book.encoding, Some(encoding), "{delimiter:?} {encoding:?}");
            let sheet = &book.sheets[0];
            assert_eq!(sheet.name, "thon-phu-ninh");
            assert_eq!(
                sheet.rows[1],
                ["STT", "Họ và tên", "Điện thoại", "Chức danh", "Thôn"],
                "{delimiter:?} {encoding:?}"
            );
            for (i, person) in CSV_PEOPLE.iter().enumerate() {
                assert_eq!(sheet.rows[2 + i], person, "{delimiter:?} {encoding:?}");
            }
        }
    }
}

#[test]
fn csv_fields_with_quotes_and_commas() {
    let text = "Họ và tên,Ghi chú\n\"Nguyễn Văn A\",\"Thôn 1, xã 2\"\n\"Lê \"\"Bé\"\" Ba\",\n";
    let book = read_file("x.CSV", text.as_bytes()).expect("reads");
    assert_eq!(
        book.sheets[0].rows,
        vec![vec!["Họ và tên", "Ghi chú"], vec!["Nguyễn Văn A", "Thôn 1, xã 2"], vec!["Lê \"Bé\" Ba"]]
    );
}

#[test]
fn leading_rows_and_columns_keep_their_place() {
    let bytes = simple_workbook(&[&[], &[], &["", "", "Họ và tên"], &["", "", "Nguyễn Văn An"]]);
    let book = read_file("a.xlsx", &bytes).expect("reads");
    let s = &book.sheets[0];
    assert_eq!(s.cell(2, 2), "Họ và tên");
    assert_eq!(s.cell(3, 2), "Nguyễn Văn An");
    assert_eq!(s.rows.len(), 4);
}

#[test]
fn files_that_cannot_be_read_say_why_in_vietnamese() {
    assert_eq!(read_file("a.xlsx", b""), Err(SheetError::Empty));
    assert_eq!(read_file("a.csv", b" \r\n "), Err(SheetError::Empty));
    assert_eq!(read_file("a.csv", b",,\r\n\t\r\n , \r\n").map(|_| ()), Err(SheetError::Empty));
    let unknown = read_file("danh sach.pdf", b"%PDF-1.4").expect_err("not a sheet");
    assert_eq!(
        unknown.to_string(),
        "Không nhận loại tệp “danh sach.pdf”: chỉ nhận tệp Excel (.xlsx, .xls) hoặc CSV (.csv)."
    );
    for name in ["hong.xlsx", "hong.xls"] {
        let broken = read_file(name, b"PK\x03\x04 this is not a zip").expect_err("broken");
        assert!(matches!(broken, SheetError::Unreadable { kind: "Excel", .. }));
        assert!(broken.to_string().starts_with(&format!("Không đọc được tệp “{name}”")), "{broken}");
    }
    assert_eq!(SheetError::Empty.to_string(), "Tệp trống: không có dữ liệu nào để đọc.");
}

/// The fuzzing seeds were typed by hand from the tables (not by our encoder): they read back.
#[test]
fn hand_typed_legacy_csv_files() {
    let tcvn3 = read_file("tcvn3.csv", include_bytes!("../../fuzz/seeds/tcvn3.csv")).expect("reads");
    assert_eq!(tcvn3.encoding, Some(SourceEncoding::Tcvn3));
    assert_eq!(tcvn3.sheets[0].rows[0], ["STT", "Họ và tên", "SĐT", "Thôn"]);
    assert_eq!(tcvn3.sheets[0].rows[1], ["1", "Nguyễn Thị Hương", "0905123456", "Thôn Phú Ninh"]);
    let vni = read_file("vni.csv", include_bytes!("../../fuzz/seeds/vni.csv")).expect("reads");
    assert_eq!(vni.encoding, Some(SourceEncoding::Vni));
    assert_eq!(vni.sheets[0].rows, tcvn3.sheets[0].rows);
    let utf8 = read_file("utf8.csv", include_bytes!("../../fuzz/seeds/utf8-bom.csv")).expect("reads");
    assert_eq!(utf8.encoding, Some(SourceEncoding::Utf8Bom));
    assert_eq!(utf8.sheets[0].rows[2], tcvn3.sheets[0].rows[1]);
}

/// An Excel 97–2003 file (.xls) laid out as offices keep them: a title, a two-row merged
/// header, a phone as a number, a date, a name typed in TCVN3.
#[test]
fn an_xls_workbook_reads_like_the_xlsx_one() {
    use super::biff::{BiffSheet, Cell, xls};
    let tcvn3 = sheets::legacy::encode("Trần Văn Đức", sheets::legacy::Encoding::Tcvn3);
    let sheet = BiffSheet {
        name: "Xã Tam Thăng",
        cells: vec![
            (0, 0, Cell::Text(TITLE)),
            (2, 0, Cell::Text("STT")),
            (2, 1, Cell::Text("Họ và tên")),
            (2, 2, Cell::Text("Giới tính")),
            (3, 2, Cell::Text("Nam")),
            (3, 3, Cell::Text("Nữ")),
            (2, 4, Cell::Text("Ngày sinh")),
            (2, 5, Cell::Text("Điện thoại")),
            (4, 0, Cell::Number(1.0)),
            (4, 1, Cell::Text("Nguyễn Thị Hương")),
            (4, 3, Cell::Text("x")),
            (4, 4, Cell::Date(31_115.0)),
            (4, 5, Cell::Number(905_123_456.0)),
            (5, 0, Cell::Number(2.0)),
            (5, 1, Cell::Text(&tcvn3)),
            (5, 2, Cell::Text("x")),
            (5, 4, Cell::Text("12/11/1979")),
            (5, 5, Cell::Text("0912345678")),
            (6, 1, Cell::Text("Cộng")),
        ],
        merged: vec![(0, 0, 0, 5), (2, 3, 0, 0), (2, 3, 1, 1), (2, 2, 2, 3), (2, 3, 4, 4), (2, 3, 5, 5)],
    };
    let bytes = xls(&[sheet]);
    for name in ["ds.xls", "renamed-by-someone.xlsx"] {
        let book = read_file(name, &bytes).expect("reads");
        let s = &book.sheets[0];
        assert_eq!(s.name, "Xã Tam Thăng");
        assert_eq!(s.cell(0, 5), TITLE, "merged title filled");
        assert_eq!(s.cell(3, 1), "Họ và tên", "merged header filled down");
        assert_eq!(s.cell(2, 3), "Giới tính", "merged header filled across");
        assert_eq!(s.cell(4, 4), "09/03/1985");
        assert_eq!(s.cell(4, 5), "905123456");
        assert_eq!(s.cell(5, 1), "Trần Văn Đức");
        let header = sheets::columns::detect_header(s).expect("a header");
        assert_eq!((header.row, header.header_rows), (2, 2));
        let rows: Vec<_> = sheets::columns::data_rows(s, &header).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get(sheets::Field::Female), Some("x"));
        assert_eq!(rows[1].get(sheets::Field::Male), Some("x"));
        assert_eq!(rows[1].get(sheets::Field::BirthDate), Some("12/11/1979"));
    }
}
