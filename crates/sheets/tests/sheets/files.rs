//! Files the tests build: workbooks laid out as provinces send them, and CSV bytes in each
//! encoding.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use sheets::legacy::{Encoding, encode};

pub const TITLE: &str = "DANH SÁCH THÀNH VIÊN TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG";

/// Sheet "Xã Tam Thăng": an office's list with a two-row header where the birth date is
/// written under "Nam" or "Nữ" of a merged "Ngày sinh", a row of column numbers, phones typed
/// as numbers (leading zero lost) and as text, dates as dates, as text and as a bare year, a
/// blank row, a total row and the signature block.
fn tam_thang(sheet: &mut Worksheet) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    sheet.set_name("Xã Tam Thăng")?;
    sheet.write(0, 0, "UBND XÃ TAM THĂNG")?;
    sheet.merge_range(1, 0, 1, 8, TITLE, &bold)?;
    sheet.merge_range(2, 0, 2, 8, "(Kèm theo Quyết định số 12/QĐ-UBND ngày 05/3/2024)", &Format::new())?;
    // Header in rows 5 and 6.
    for (col, text) in [
        (0, "STT"),
        (1, "Họ và tên"),
        (4, "Chức danh"),
        (5, "Thôn, tổ dân phố"),
        (6, "Số điện thoại"),
        (7, "Số CCCD"),
        (8, "Ghi chú"),
    ] {
        sheet.merge_range(4, col, 5, col, text, &bold)?;
    }
    sheet.merge_range(4, 2, 4, 3, "Ngày sinh", &bold)?;
    sheet.write_with_format(5, 2, "Nam", &bold)?;
    sheet.write_with_format(5, 3, "Nữ", &bold)?;
    for col in 0..9u16 {
        sheet.write(6, col, format!("({})", col + 1))?;
    }
    // Rows 8–10: people.
    sheet.write(7, 0, 1)?;
    sheet.write(7, 1, "Nguyễn Thị Hương")?;
    sheet.write_with_format(7, 3, &ExcelDateTime::from_ymd(1985, 3, 9)?, &date)?;
    sheet.write(7, 4, "Tổ trưởng")?;
    sheet.write(7, 5, "Thôn Phú Ninh")?;
    sheet.write(7, 6, 905_123_456)?;
    sheet.write(7, 7, "049185000123")?;
    sheet.write(8, 0, 2)?;
    sheet.write(8, 1, "  Trần Văn Đức ")?;
    sheet.write(8, 2, "12/11/1979")?;
    sheet.write(8, 4, "Công an xã")?;
    sheet.write(8, 5, "Thôn Phú Ninh")?;
    sheet.write(8, 6, "0912345678")?;
    sheet.write(9, 0, 3)?;
    sheet.write(9, 1, "Lê Văn Tám")?;
    sheet.write(9, 2, 1990)?;
    sheet.write(9, 4, "Bí thư chi đoàn")?;
    sheet.write(9, 5, "Thôn Trường Thọ")?;
    sheet.write(9, 8, "Mới bổ sung")?;
    // Row 11 blank, row 12 total, rows 14–16 signatures.
    sheet.merge_range(11, 0, 11, 1, "Tổng cộng", &bold)?;
    sheet.write(11, 4, "3 người")?;
    sheet.write(13, 6, "Tam Thăng, ngày 28 tháng 8 năm 2024")?;
    sheet.write(14, 1, "NGƯỜI LẬP BIỂU")?;
    sheet.write(14, 6, "TM. ỦY BAN NHÂN DÂN")?;
    sheet.write(17, 1, "Nguyễn Văn Lập")?;
    Ok(())
}

/// Sheet "Xã Tam Phú": other wording ("TT", "Họ tên", "SĐT", "Chức vụ", "Thôn"), gender
/// ticked in Nam | Nữ under a merged "Giới tính", names typed in TCVN3 and VNI fonts, the
/// header printed again half way (a second page), and an empty numbered template row.
fn tam_phu(sheet: &mut Worksheet) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    sheet.set_name("Xã Tam Phú")?;
    sheet.write(0, 0, encode(TITLE, Encoding::Tcvn3))?;
    let header = ["TT", "Họ tên", "Giới tính", "", "Năm sinh", "Chức vụ", "Thôn", "SĐT"];
    for (col, text) in header.iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(0);
        if col == 2 {
            sheet.merge_range(2, 2, 2, 3, text, &bold)?;
        } else if col != 3 {
            sheet.merge_range(2, col, 3, col, text, &bold)?;
        }
    }
    sheet.write(3, 2, "Nam")?;
    sheet.write(3, 3, "Nữ")?;
    let people: [(&str, bool, u32, &str, &str, &str, Encoding); 3] = [
        ("Phạm Quốc Khánh", true, 1980, "Trưởng thôn", "Thôn Xuân Quý", "0935111222", Encoding::Tcvn3),
        ("Huỳnh Thị Thuỳ Dương", false, 1995, "Chi hội phụ nữ", "Thôn Xuân Quý", "0935333444", Encoding::Vni),
        ("Võ Thị Hà", false, 2001, "Đoàn viên", "Thôn Phú Thạnh", "0935555666", Encoding::Unicode),
    ];
    let mut row = 4u32;
    for (i, (name, male, year, position, village, phone, encoding)) in people.iter().enumerate() {
        if i == 2 {
            // The header again, as on a second printed page.
            for (col, text) in ["TT", "Họ tên", "Nam", "Nữ", "Năm sinh", "Chức vụ", "Thôn", "SĐT"].iter().enumerate()
            {
                sheet.write(row, u16::try_from(col).unwrap_or(0), *text)?;
            }
            row += 1;
        }
        sheet.write(row, 0, u32::try_from(i + 1).unwrap_or(0))?;
        sheet.write(row, 1, encode(name, *encoding))?;
        sheet.write(row, if *male { 2 } else { 3 }, "x")?;
        sheet.write(row, 4, *year)?;
        sheet.write(row, 5, encode(position, *encoding))?;
        sheet.write(row, 6, encode(village, *encoding))?;
        sheet.write(row, 7, *phone)?;
        row += 1;
    }
    // An empty numbered line of the template.
    sheet.write(row, 0, 4)?;
    Ok(())
}

/// The whole workbook: two communes' sheets and a summary sheet with no list on it.
pub fn province_workbook() -> Vec<u8> {
    let build = || -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        tam_thang(book.add_worksheet())?;
        tam_phu(book.add_worksheet())?;
        let summary = book.add_worksheet();
        summary.set_name("Tổng hợp")?;
        summary.write(0, 0, "Xã")?;
        summary.write(0, 1, "Số thành viên")?;
        summary.write(1, 0, "Tam Thăng")?;
        summary.write(1, 1, 3)?;
        book.save_to_buffer()
    };
    build().expect("the test workbook builds")
}

/// A one-sheet list as rows of text cells.
pub fn simple_workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write(u32::try_from(r).unwrap_or(0), u16::try_from(c).unwrap_or(0), *cell).expect("cell writes");
            }
        }
    }
    book.save_to_buffer().expect("the test workbook builds")
}

/// The same small list as CSV text with a title line, a header, two people and a total.
pub fn csv_text(delimiter: char) -> String {
    let rows = [
        vec!["DANH SÁCH THÀNH VIÊN TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG THÔN PHÚ NINH"],
        vec!["STT", "Họ và tên", "Điện thoại", "Chức danh", "Thôn"],
        vec!["1", "Nguyễn Thị Hương", "0905123456", "Tổ trưởng", "Thôn Phú Ninh"],
        vec!["2", "Trần Văn Đức", "0912345678", "Công an xã", "Thôn Phú Ninh"],
        vec!["", "Tổng cộng", "", "", ""],
    ];
    rows.iter().map(|r| r.join(&delimiter.to_string())).collect::<Vec<_>>().join("\r\n") + "\r\n"
}

/// What [`csv_text`]'s people read as.
pub const CSV_PEOPLE: [[&str; 5]; 2] = [
    ["1", "Nguyễn Thị Hương", "0905123456", "Tổ trưởng", "Thôn Phú Ninh"],
    ["2", "Trần Văn Đức", "0912345678", "Công an xã", "Thôn Phú Ninh"],
];

/// Text as Windows-1258 stores it: the letters the code page has (ê, ơ, ư, ă, đ …) with the
/// tone as a separate combining mark after them.
pub fn windows_1258(text: &str) -> Vec<u8> {
    use unicode_normalization::UnicodeNormalization;
    let tones = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];
    let mut spelled = String::new();
    for c in text.chars() {
        let (_, _, unmappable) = encoding_rs::WINDOWS_1258.encode(&c.to_string());
        if !unmappable {
            spelled.push(c);
            continue;
        }
        let parts: Vec<char> = std::iter::once(c).nfd().collect();
        let letter: String = parts.iter().filter(|m| !tones.contains(m)).collect();
        spelled.extend(letter.nfc());
        spelled.extend(parts.iter().filter(|m| tones.contains(m)));
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1258.encode(&spelled);
    assert!(!unmappable, "{spelled}");
    bytes.into_owned()
}
