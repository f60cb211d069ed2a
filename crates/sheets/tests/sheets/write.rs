//! Export, then import: the same text comes back.

use sheets::columns::{Field, data_rows, detect_header};
use sheets::write::{HEADER_ROW, data_date_line, xlsx_book};
use sheets::{Column, Kind, Table, Value, read_file};
use time::macros::date;

fn members() -> Table {
    let row = |stt: f64, name: &str, phone: &str, cccd: &str, born: time::Date, paid: i64, note: &str| {
        vec![
            Value::Number(stt),
            name.into(),
            phone.into(),
            cccd.into(),
            Value::Date(born),
            Value::Money(paid),
            note.into(),
        ]
    };
    Table {
        sheet: "Thành viên".to_owned(),
        title: "DANH SÁCH THÀNH VIÊN TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG XÃ TAM THĂNG".to_owned(),
        data_date: date!(2024 - 08 - 28),
        columns: vec![
            Column::new("STT", Kind::Number),
            Column::new("Họ và tên", Kind::Text),
            Column::new("Số điện thoại", Kind::Text),
            Column::new("Số CCCD", Kind::Text),
            Column::new("Ngày sinh", Kind::Date),
            Column::new("Hỗ trợ (đồng)", Kind::Money),
            Column::new("Ghi chú", Kind::Text),
        ],
        rows: vec![
            row(1.0, "Nguyễn Thị Hương", "0905123456", "049185000123", date!(1985 - 03 - 09), 1_500_000, ""),
            row(2.0, "Trần Văn Đức", "0912345678", "001079000456", date!(1979 - 11 - 12), 0, "Tổ phó, \"công an\""),
            row(3.0, "Đặng Thị Ngọc Ánh", "0235123456", "049301000789", date!(2001 - 01 - 31), 12_345_678_900, "007"),
        ],
    }
}

fn expected_rows(table: &Table) -> Vec<Vec<String>> {
    table
        .rows
        .iter()
        .map(|r| {
            let mut cells: Vec<String> = r.iter().map(Value::as_text).collect();
            while cells.last().is_some_and(String::is_empty) {
                cells.pop();
            }
            cells
        })
        .collect()
}

#[test]
fn xlsx_export_then_import_gives_the_same_text() {
    let table = members();
    let bytes = sheets::write::xlsx(&table).expect("writes");
    let book = read_file("thanh-vien.xlsx", &bytes).expect("reads");
    assert_eq!(book.sheets.len(), 1);
    let sheet = &book.sheets[0];
    assert_eq!(sheet.name, "Thành viên");
    assert_eq!(sheet.cell(0, 0), table.title);
    assert_eq!(sheet.cell(1, 0), "Số liệu đến ngày 28/08/2024");
    assert_eq!(data_date_line(table.data_date), "Số liệu đến ngày 28/08/2024");
    let header_row = usize::try_from(HEADER_ROW).expect("small");
    let headers: Vec<&str> = table.columns.iter().map(|c| c.header.as_str()).collect();
    assert_eq!(sheet.rows[header_row], headers);
    assert_eq!(sheet.rows[header_row + 1..].to_vec(), expected_rows(&table));
    // Leading zeros survive; money reads back as its digits.
    assert_eq!(sheet.cell(header_row + 1, 2), "0905123456");
    assert_eq!(sheet.cell(header_row + 3, 3), "049301000789");
    assert_eq!(sheet.cell(header_row + 3, 5), "12345678900");
    assert_eq!(sheet.cell(header_row + 1, 4), "09/03/1985");

    // And the import side finds the header and the people under the title.
    let header = detect_header(sheet).expect("a header");
    assert_eq!(header.row, header_row);
    let rows: Vec<_> = data_rows(sheet, &header).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2].get(Field::FullName), Some("Đặng Thị Ngọc Ánh"));
    assert_eq!(rows[2].get(Field::Cccd), Some("049301000789"));
}

#[test]
fn xlsx_stores_text_dates_and_money_as_their_kinds() {
    use calamine::{Data, Reader};
    let bytes = sheets::write::xlsx(&members()).expect("writes");
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).expect("opens");
    let range = book.worksheet_range("Thành viên").expect("the sheet");
    let first = HEADER_ROW + 1;
    assert_eq!(range.get_value((first, 0)), Some(&Data::Float(1.0)));
    assert_eq!(range.get_value((first, 2)), Some(&Data::String("0905123456".to_owned())));
    assert_eq!(range.get_value((first, 3)), Some(&Data::String("049185000123".to_owned())));
    assert_eq!(range.get_value((first, 5)), Some(&Data::Float(1_500_000.0)));
    match range.get_value((first, 4)) {
        Some(Data::DateTime(d)) => assert_eq!(d.as_f64(), 31_115.0, "1985-03-09 is Excel day 31115"),
        other => panic!("a date, not {other:?}"),
    }
    // The empty note is a blank cell, not an empty string.
    assert!(matches!(range.get_value((first, 6)), Some(Data::Empty) | None));
}

#[test]
fn csv_export_then_import_gives_the_same_text() {
    let table = members();
    let bytes = sheets::write::csv(&table);
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let book = read_file("thanh-vien.csv", &bytes).expect("reads");
    let sheet = &book.sheets[0];
    let headers: Vec<&str> = table.columns.iter().map(|c| c.header.as_str()).collect();
    assert_eq!(sheet.rows[0], headers);
    assert_eq!(sheet.rows[1..].to_vec(), expected_rows(&table));
}

#[test]
fn csv_formulas_are_neutralised_and_read_back_as_written() {
    let mut table = members();
    table.rows[0][1] = "-Nguyễn Thị Hương".into();
    table.rows[1][6] = "=1+1".into();
    table.rows[2][6] = "+84 có @".into();
    table.rows[2][5] = Value::Money(-5000);
    table.rows.push(vec![Value::Number(4.0), "Lê Văn Tư".into(), "0905000004".into(), "'=A1".into()]);
    let bytes = sheets::write::csv(&table);
    let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
    assert!(text.contains("\r\n1,'-Nguyễn Thị Hương,0905123456,"), "{text}");
    assert!(text.contains(",'=1+1\r\n") && text.contains(",'+84 có @\r\n"), "{text}");
    assert!(text.contains(",-5000,"), "a negative amount stays a number: {text}");
    assert!(!text.contains("\n=") && !text.contains(",=") && !text.contains(",-N"), "{text}");

    // Imported again, every cell reads as it was exported.
    let book = read_file("thanh-vien.csv", &bytes).expect("reads");
    let sheet = &book.sheets[0];
    assert_eq!(sheet.rows[1..].to_vec(), expected_rows(&table));
    let header = detect_header(sheet).expect("a header");
    let rows: Vec<_> = data_rows(sheet, &header).collect();
    assert_eq!(rows[0].get(Field::FullName), Some("-Nguyễn Thị Hương"));
    assert_eq!(rows[1].get(Field::Note), Some("=1+1"));
    assert_eq!(rows[3].get(Field::Cccd), Some("'=A1"), "a quote of the list's own stays");
}

#[test]
fn several_tables_make_several_sheets() {
    let mut a = members();
    a.sheet = "Xã Tam Thăng".to_owned();
    let mut b = members();
    b.sheet = "Xã Tam Thăng".to_owned();
    b.rows.truncate(1);
    let mut single = members();
    single.columns.truncate(1);
    single.sheet = String::new();
    let bytes = xlsx_book(&[a, b, single]).expect("writes");
    let book = read_file("x.xlsx", &bytes).expect("reads");
    let names: Vec<&str> = book.sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Xã Tam Thăng", "Xã Tam Thăng (2)", "Trang 3"]);
    assert_eq!(book.sheets[1].rows.len(), 5);
    assert_eq!(book.sheets[2].cell(4, 0), "1");
}

/// A long list of made-up members, row `i` built from `i` alone.
fn member_row(i: u32) -> Vec<Value> {
    let born = date!(1960 - 01 - 01) + time::Duration::days(i64::from(i % 15_000));
    vec![
        Value::Number(f64::from(i + 1)),
        format!("Nguyễn Văn Thành Viên {i}").into(),
        format!("09{i:08}").into(),
        if i.is_multiple_of(2) { format!("0{i:011}").into() } else { Value::Empty },
        Value::Date(born),
        Value::Money(i64::from(i) * 1_000),
        if i.is_multiple_of(7) { "=SUM(A1:A2)".into() } else { Value::Empty },
    ]
}

#[test]
fn a_long_list_written_row_by_row_reads_as_the_whole_table() {
    use calamine::{Data, Reader};
    const ROWS: u32 = 5_000;
    let mut table = members();
    table.rows.truncate(1);
    let mut out = Vec::new();
    sheets::write::xlsx_streamed(&table, (0..ROWS).map(member_row), &mut out).expect("writes");
    table.rows.extend((0..ROWS).map(member_row));
    let whole = sheets::write::xlsx(&table).expect("writes");

    // The same sheet, cell for cell, as the table written at once.
    let streamed = read_file("dai.xlsx", &out).expect("reads");
    let at_once = read_file("dai.xlsx", &whole).expect("reads");
    assert_eq!(streamed.sheets.len(), 1);
    assert_eq!(streamed.sheets[0].name, at_once.sheets[0].name);
    assert_eq!(streamed.sheets[0].rows, at_once.sheets[0].rows);
    let sheet = &streamed.sheets[0];
    assert_eq!(sheet.cell(0, 0), table.title);
    assert_eq!(sheet.cell(1, 0), data_date_line(table.data_date));
    assert_eq!(sheet.rows.len(), HEADER_ROW as usize + 2 + ROWS as usize);

    // Text stays text with its leading zeros, dates are dates, money is a number.
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(out)).expect("opens");
    let range = book.worksheet_range("Thành viên").expect("the sheet");
    let last = HEADER_ROW + 1 + ROWS;
    assert_eq!(range.get_value((last, 2)), Some(&Data::String(format!("09{:08}", ROWS - 1))));
    assert_eq!(range.get_value((last - 1, 3)), Some(&Data::String(format!("0{:011}", ROWS - 2))));
    assert_eq!(range.get_value((last, 5)), Some(&Data::Float(f64::from(ROWS - 1) * 1_000.0)));
    let formula = HEADER_ROW + 2 + (ROWS - 1) / 7 * 7;
    assert_eq!(range.get_value((formula, 6)), Some(&Data::String("=SUM(A1:A2)".to_owned())));
    match range.get_value((HEADER_ROW + 2, 4)) {
        Some(Data::DateTime(d)) => assert_eq!(d.as_f64(), 21_916.0, "1960-01-01 is Excel day 21916"),
        other => panic!("a date, not {other:?}"),
    }
}
