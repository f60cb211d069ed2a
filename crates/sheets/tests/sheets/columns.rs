//! Finding the header and reading the people under it.

use sheets::columns::{Field, apply_overrides, data_rows, detect_header, parse_target};
use sheets::{SheetError, read_file};

use super::files::{province_workbook, simple_workbook};

#[test]
fn two_row_header_with_birth_date_under_nam_and_nu() {
    let book = read_file("ds.xlsx", &province_workbook()).expect("reads");
    let sheet = &book.sheets[0];
    let header = detect_header(sheet).expect("a header");
    assert_eq!((header.row, header.header_rows), (4, 2));
    assert_eq!(
        header.columns,
        [
            (0, Field::Stt),
            (1, Field::FullName),
            (2, Field::BirthMale),
            (3, Field::BirthFemale),
            (4, Field::Position),
            (5, Field::Village),
            (6, Field::Phone),
            (7, Field::Cccd),
            (8, Field::Note),
        ]
    );
    assert_eq!(header.headers[2], "Ngày sinh / Nam");
    assert!(header.unknown.is_empty());
    let rows: Vec<_> = data_rows(sheet, &header).collect();
    assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), [8, 9, 10], "{rows:#?}");
    let first = &rows[0];
    assert_eq!(first.sheet, "Xã Tam Thăng");
    assert_eq!(first.get(Field::FullName), Some("Nguyễn Thị Hương"));
    assert_eq!(first.get(Field::Gender), Some("Nữ"));
    assert_eq!(first.get(Field::BirthDate), Some("09/03/1985"));
    assert_eq!(first.get(Field::Phone), Some("905123456"));
    assert_eq!(first.get(Field::Cccd), Some("049185000123"));
    assert_eq!(first.get(Field::Stt), Some("1"));
    assert_eq!(rows[1].get(Field::Gender), Some("Nam"));
    assert_eq!(rows[1].get(Field::BirthDate), Some("12/11/1979"));
    assert_eq!(rows[2].get(Field::BirthYear), Some("1990"));
    assert_eq!(rows[2].get(Field::BirthDate), None);
    assert_eq!(rows[2].get(Field::Note), Some("Mới bổ sung"));
}

#[test]
fn gender_ticks_other_wording_legacy_fonts_and_a_repeated_header() {
    let book = read_file("ds.xlsx", &province_workbook()).expect("reads");
    let sheet = &book.sheets[1];
    let header = detect_header(sheet).expect("a header");
    assert_eq!((header.row, header.header_rows), (2, 2));
    assert_eq!(
        header.columns,
        [
            (0, Field::Stt),
            (1, Field::FullName),
            (2, Field::Male),
            (3, Field::Female),
            (4, Field::BirthYear),
            (5, Field::Position),
            (6, Field::Village),
            (7, Field::Phone),
        ]
    );
    let rows: Vec<_> = data_rows(sheet, &header).collect();
    let names: Vec<_> = rows.iter().filter_map(|r| r.get(Field::FullName)).collect();
    assert_eq!(names, ["Phạm Quốc Khánh", "Huỳnh Thị Thuỳ Dương", "Võ Thị Hà"]);
    assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), [5, 6, 8]);
    assert_eq!(rows[0].get(Field::Male), Some("x"));
    assert_eq!(rows[0].get(Field::Female), None);
    assert_eq!(rows[1].get(Field::Female), Some("x"));
    assert_eq!(rows[1].get(Field::Village), Some("Thôn Xuân Quý"));
    assert_eq!(rows[2].get(Field::BirthYear), Some("2001"));
}

#[test]
fn a_sheet_without_a_list_has_no_header() {
    let book = read_file("ds.xlsx", &province_workbook()).expect("reads");
    assert_eq!(detect_header(&book.sheets[2]), None);
}

#[test]
fn header_wording_varies() {
    let bytes = simple_workbook(&[
        &["DANH SÁCH TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG HUYỆN PHÚ NINH"],
        &[],
        &[
            "Số TT",
            "Họ, tên",
            "Giới tính",
            "Ngày tháng năm sinh",
            "Chức vụ, chức danh",
            "Vai trò trong tổ",
            "Thôn/Tổ",
            "Xã, phường, thị trấn",
            "Huyện",
            "Tổ",
            "E-mail",
            "Số định danh cá nhân",
            "ĐT",
            "Quê quán",
        ],
        &[
            "1",
            "Nguyễn Văn An",
            "Nam",
            "01/02/1970",
            "Trưởng thôn",
            "Tổ trưởng",
            "Thôn 1",
            "Tam Thành",
            "Phú Ninh",
            "Tổ CNSCĐ thôn 1",
            "an@gmail.com",
            "049070000001",
            "0905000001",
            "Quảng Nam",
        ],
        &["", "", "", "", "", "", "", "", "", "", "", "", "", ""],
        &["Tổng số: 1 người"],
    ]);
    let book = read_file("a.xlsx", &bytes).expect("reads");
    let header = detect_header(&book.sheets[0]).expect("a header");
    assert_eq!((header.row, header.header_rows), (2, 1));
    let fields: Vec<Field> = header.columns.iter().map(|(_, f)| *f).collect();
    assert_eq!(
        fields,
        [
            Field::Stt,
            Field::FullName,
            Field::Gender,
            Field::BirthDate,
            Field::Position,
            Field::Role,
            Field::Village,
            Field::Commune,
            Field::District,
            Field::Team,
            Field::Email,
            Field::Cccd,
            Field::Phone,
        ]
    );
    assert_eq!(header.unknown, [(13, "Quê quán".to_owned())]);
    let rows: Vec<_> = data_rows(&book.sheets[0], &header).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].row, 4);
    assert_eq!(rows[0].get(Field::Commune), Some("Tam Thành"));
}

#[test]
fn the_mapping_can_be_corrected() {
    let bytes = simple_workbook(&[
        &["STT", "Họ và tên", "Số máy", "Điện thoại", "Ghi chú"],
        &["1", "Nguyễn Văn An", "0905000001", "0235000001", "x"],
    ]);
    let book = read_file("a.xlsx", &bytes).expect("reads");
    let mut header = detect_header(&book.sheets[0]).expect("a header");
    assert_eq!(header.column_of(Field::Phone), Some(3));
    assert_eq!(header.unknown, [(2, "Số máy".to_owned())]);
    let described = header.describe();
    assert_eq!(described[2], ("C".to_owned(), "Số máy".to_owned(), None));
    // "Số máy" (column C) is the mobile phone; the landline in D is not wanted; the note is
    // named by its header.
    let overrides = [
        ("C".to_owned(), parse_target("Số điện thoại").expect("a field")),
        ("Ghi chú".to_owned(), parse_target("bỏ qua").expect("ignore")),
    ];
    apply_overrides(&mut header, &overrides).expect("applies");
    assert_eq!(header.columns, [(0, Field::Stt), (1, Field::FullName), (2, Field::Phone)]);
    assert_eq!(header.unknown, [(3, "Điện thoại".to_owned()), (4, "Ghi chú".to_owned())]);
    let rows: Vec<_> = data_rows(&book.sheets[0], &header).collect();
    assert_eq!(rows[0].get(Field::Phone), Some("0905000001"));
    assert_eq!(rows[0].get(Field::Note), None);

    let before = header.clone();
    let bad = apply_overrides(&mut header, &[("B".to_owned(), None), ("Quê quán".to_owned(), Some(Field::Note))]);
    assert_eq!(bad, Err(SheetError::UnknownColumn("Quê quán".to_owned())));
    assert_eq!(header, before, "nothing applied when one column is unknown");
    assert_eq!(apply_overrides(&mut header, &[("Z".to_owned(), None)]), Err(SheetError::UnknownColumn("Z".to_owned())));
    let unknown_field = parse_target("Sở thích").expect_err("no such field");
    assert!(unknown_field.to_string().starts_with("Không hiểu “Sở thích” là thông tin gì"));
}

#[test]
fn a_province_wide_list_in_one_sheet() {
    // 3 000 people of 30 communes typed in VNI, as one CSV: every row is read, with its commune.
    let mut text =
        String::from("DANH SÁCH THÀNH VIÊN TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG TỈNH QUẢNG NAM\nSTT;Họ và tên;Số điện thoại;Xã\n");
    for i in 0..3000 {
        text.push_str(&format!("{};Nguyễn Văn Hưởng {};09{:08};Xã Tam Thăng {}\n", i + 1, i, i, i % 30));
    }
    let typed = sheets::legacy::encode(&text, sheets::legacy::Encoding::Vni);
    let bytes = encoding_rs::WINDOWS_1252.encode(&typed).0;
    let book = read_file("tinh.csv", &bytes).expect("reads");
    let header = detect_header(&book.sheets[0]).expect("a header");
    let rows: Vec<_> = data_rows(&book.sheets[0], &header).collect();
    assert_eq!(rows.len(), 3000);
    assert_eq!(rows[2999].get(Field::FullName), Some("Nguyễn Văn Hưởng 2999"));
    assert_eq!(rows[2999].get(Field::Commune), Some("Xã Tam Thăng 29"));
    assert_eq!(rows[2999].row, 3002);
}

#[test]
fn totals_numbers_only_and_blank_rows_anywhere_are_not_people() {
    let bytes = simple_workbook(&[
        &["DANH SÁCH THÀNH VIÊN"],
        &["STT", "Họ và tên", "SĐT", "Thôn", "Số người"],
        &["(1)", "(2)", "(3)", "(4)", "(5)"],
        &["1", "Nguyễn Văn An", "0905000001", "Thôn 1", "1"],
        &[""],
        &["", "Cộng", "", "", "1"],
        &["2", "Lê Thị Tổng", "0905000002", "Thôn 2", "1"],
        &["", "", "", "", ""],
        &["", "", "", "2", "12"],
        &["3", "Trần Văn Cộng", "0905000003", "Thôn 2", "1"],
        &["Tổng", "", "", "", "3"],
        &["", "TỔNG CỘNG:", "", "", "3"],
        &["4", "Hồ Văn Em", "0905000004", "Thôn 3", ""],
        &["", "", "0905000005", "", ""],
    ]);
    let book = read_file("a.xlsx", &bytes).expect("reads");
    let header = detect_header(&book.sheets[0]).expect("a header");
    let rows: Vec<_> = data_rows(&book.sheets[0], &header).collect();
    let names: Vec<Option<&str>> = rows.iter().map(|r| r.get(Field::FullName)).collect();
    assert_eq!(
        names,
        [Some("Nguyễn Văn An"), Some("Lê Thị Tổng"), Some("Trần Văn Cộng"), Some("Hồ Văn Em"), None],
        "{rows:#?}"
    );
    assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), [4, 7, 10, 13, 14]);
    // A phone alone is not a total: it reaches the import, which says the name is missing.
    assert_eq!(rows[4].get(Field::Phone), Some("0905000005"));
}
