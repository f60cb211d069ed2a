//! A payment list (bảng kê chi trả) as the workbook a commune prints, has signed and files: the
//! commune's people's committee at the top left, the national heading at the top right, the
//! title and month, one numbered line per payee with an empty cell to sign in, the total in
//! figures and in words (Luật Kế toán 2015 Art. 16), and the three signature blocks. Landscape
//! A4, fitted to the page width, Times New Roman.

use domain::money::{Vnd, WordsStyle};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use store::payments::{PaymentLine, PaymentList};

/// The sheet's name.
pub const SHEET: &str = "Bảng kê";

/// The list's title, as printed.
pub const TITLE: &str = "BẢNG KÊ CHI TRẢ KINH PHÍ HỖ TRỢ TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG";

/// Whole đồng; the cell holds the integer, Excel's locale decides the separators shown.
const MONEY: &str = "#,##0";
const FONT: &str = "Times New Roman";

/// The table's columns: heading and width in characters.
const COLUMNS: [(&str, f64); 6] =
    [("STT", 6.0), ("Họ và tên", 28.0), ("Tổ", 28.0), ("Nội dung", 36.0), ("Số tiền (đồng)", 17.0), ("Ký nhận", 18.0)];
const LAST_COL: u16 = 5;

/// Logins that are no person (the command line, the system): no name is printed for them, the
/// signer writes it by hand.
fn signer(login: Option<&str>) -> &str {
    match login {
        Some("cli" | "system") | None => "",
        Some(l) => l,
    }
}

fn font() -> Format {
    Format::new().set_font_name(FONT).set_font_size(12)
}

/// `list` and its `lines` as an .xlsx file. The total is the sum of the lines as printed; the
/// amount in words uses `style` (nghìn/ngàn, linh/lẻ, tư/bốn).
///
/// # Errors
/// When the workbook cannot be written, or when the lines' sum overflows.
pub fn payment_list(list: &PaymentList, lines: &[PaymentLine], style: WordsStyle) -> Result<Vec<u8>, XlsxError> {
    let total = Vnd::sum(lines.iter().map(|l| Vnd::new(l.amount)))
        .ok_or_else(|| XlsxError::ParameterError("Số tiền vượt quá giới hạn tính toán".into()))?;

    let centre = font().set_align(FormatAlign::Center).set_align(FormatAlign::VerticalCenter);
    let parent = centre.clone().set_font_size(13);
    let national = centre.clone().set_font_size(13).set_bold();
    let motto = national.clone().set_font_size(14).set_underline(rust_xlsxwriter::FormatUnderline::Single);
    let title = centre.clone().set_font_size(14).set_bold().set_text_wrap();
    let month = centre.clone().set_font_size(13).set_italic();
    let head = centre.clone().set_bold().set_text_wrap().set_border(FormatBorder::Thin);
    let numbers = centre.clone().set_italic().set_font_size(11).set_border(FormatBorder::Thin);
    let cell = font().set_align(FormatAlign::VerticalCenter).set_text_wrap().set_border(FormatBorder::Thin);
    let number = cell.clone().set_align(FormatAlign::Center);
    let money = cell.clone().set_num_format(MONEY);
    let total_label = head.clone();
    let total_money = money.clone().set_bold();
    let words = font().set_font_size(13).set_italic().set_align(FormatAlign::Left);
    let place = month.clone();
    let sign_head = centre.clone().set_font_size(13).set_bold();
    let sign_note = centre.clone().set_italic();
    let sign_name = centre.clone().set_font_size(13).set_bold();

    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(SHEET)?;
    for (c, (_, width)) in (0u16..).zip(COLUMNS) {
        sheet.set_column_width(c, width)?;
    }

    // The heading: the people's committee on the left, the national heading on the right.
    let committee = format!("UBND {}", list.commune.to_uppercase());
    sheet.merge_range(0, 0, 0, 2, &committee, &parent)?;
    sheet.merge_range(0, 3, 0, LAST_COL, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", &national)?;
    sheet.merge_range(1, 3, 1, LAST_COL, "Độc lập - Tự do - Hạnh phúc", &motto)?;
    sheet.set_row_height(3, 36)?;
    sheet.merge_range(3, 0, 3, LAST_COL, TITLE, &title)?;
    let period = domain::funding::YearMonth::parse(&list.month).map_or_else(|_| list.month.clone(), |m| m.label());
    sheet.merge_range(4, 0, 4, LAST_COL, &format!("Tháng {period}"), &month)?;

    // The table, its column numbers, the lines and the total.
    let header_row = 6;
    for (c, (h, _)) in (0u16..).zip(COLUMNS) {
        sheet.write_with_format(header_row, c, h, &head)?;
        sheet.write_with_format(header_row + 1, c, format!("({})", c + 1), &numbers)?;
    }
    sheet.set_row_height(header_row, 32)?;
    let mut r = header_row + 2;
    for line in lines {
        sheet.set_row_height(r, 30)?;
        sheet.write_with_format(r, 0, line.line_no, &number)?;
        sheet.write_with_format(r, 1, &line.payee, &cell)?;
        sheet.write_with_format(r, 2, &line.team_name, &cell)?;
        sheet.write_with_format(r, 3, &line.policy_name, &cell)?;
        sheet.write_with_format(r, 4, line.amount, &money)?;
        sheet.write_blank(r, 5, &cell)?;
        r += 1;
    }
    sheet.set_row_height(r, 24)?;
    sheet.merge_range(r, 0, r, 3, "Tổng cộng", &total_label)?;
    sheet.write_with_format(r, 4, total.value(), &total_money)?;
    sheet.write_blank(r, 5, &cell)?;
    let total_row = r;
    r += 1;
    sheet.merge_range(r, 0, r, LAST_COL, &format!("Số tiền bằng chữ: {}.", total.in_words_with(style)), &words)?;

    // Place and date, left for the hand that signs; then the three signatures.
    r += 2;
    sheet.merge_range(r, 3, r, LAST_COL, "…………, ngày …… tháng …… năm ……", &place)?;
    r += 1;
    let blocks: [(u16, u16, &str, &str); 3] = [
        (0, 1, "NGƯỜI LẬP BIỂU", signer(Some(&list.prepared_by))),
        (2, 3, "KẾ TOÁN", ""),
        (4, LAST_COL, "NGƯỜI DUYỆT", signer(list.approved_by.as_deref())),
    ];
    let space = 4;
    for (first, last, role, name) in blocks {
        sheet.merge_range(r, first, r, last, role, &sign_head)?;
        sheet.merge_range(r + 1, first, r + 1, last, "(Ký, ghi rõ họ tên)", &sign_note)?;
        sheet.merge_range(r + 2 + space, first, r + 2 + space, last, name, &sign_name)?;
    }
    let last_row = r + 2 + space;

    // Printing: landscape A4 (a wide table, as ND 30 allows), one page wide, the table's heading
    // repeated on every page, margins of ND 30 (left 30 mm, right 15 mm, top and bottom 20 mm).
    sheet.set_paper_size(9);
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_print_center_horizontally(true);
    sheet.set_margins(1.18, 0.59, 0.79, 0.79, 0.3, 0.3);
    sheet.set_repeat_rows(header_row, header_row + 1)?;
    sheet.set_print_area(0, 0, last_row.max(total_row), LAST_COL)?;
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx};

    use super::*;

    fn list() -> PaymentList {
        PaymentList {
            id: 7,
            commune_code: "20392".into(),
            commune: "Xã Phú Ninh".into(),
            commune_path: "48/20392/".into(),
            month: "2024-09".into(),
            status: "approved".into(),
            total: 1_250_000,
            prepared_by: "canbo.xa".into(),
            prepared_at: "2024-09-20T08:00:00Z".into(),
            submitted_by: Some("canbo.xa".into()),
            submitted_at: Some("2024-09-20T09:00:00Z".into()),
            approved_by: Some("ke.toan".into()),
            approved_at: Some("2024-09-21T09:00:00Z".into()),
            paid_by: None,
            paid_at: None,
            paid_on: None,
            seq: 1,
        }
    }

    fn line(no: i64, payee: &str, amount: i64) -> PaymentLine {
        PaymentLine {
            id: no,
            line_no: no,
            payee: payee.into(),
            team_id: no,
            team_name: format!("Tổ công nghệ số cộng đồng thôn {no}"),
            policy_name: "Phú Ninh: hỗ trợ tổ 6 triệu đồng mỗi năm".into(),
            amount,
        }
    }

    fn cells(bytes: Vec<u8>) -> Vec<Vec<Data>> {
        let mut book = Xlsx::new(Cursor::new(bytes)).expect("an xlsx");
        assert_eq!(book.sheet_names(), vec![SHEET.to_owned()]);
        let range = book.worksheet_range(SHEET).expect("sheet");
        range.rows().map(<[Data]>::to_vec).collect()
    }

    fn text(c: &Data) -> &str {
        match c {
            Data::String(s) => s,
            _ => "",
        }
    }

    #[test]
    fn two_lines_read_back_with_their_total_in_figures_and_words() {
        let lines = [line(1, "Nguyễn Văn An", 500_000), line(2, "Trần Thị Bình", 750_000)];
        let rows = cells(payment_list(&list(), &lines, WordsStyle::default()).expect("workbook"));
        let all: Vec<&str> = rows.iter().flatten().map(text).collect();
        for expected in [
            "UBND XÃ PHÚ NINH",
            TITLE,
            "Tháng 09/2024",
            "NGƯỜI LẬP BIỂU",
            "KẾ TOÁN",
            "NGƯỜI DUYỆT",
            "canbo.xa",
            "ke.toan",
        ] {
            assert!(all.contains(&expected), "{expected} missing: {all:?}");
        }
        assert_eq!(all.iter().filter(|t| **t == "(Ký, ghi rõ họ tên)").count(), 3);

        let header = rows.iter().position(|r| text(&r[0]) == "STT").expect("header");
        let heads: Vec<&str> = rows[header].iter().map(text).collect();
        assert_eq!(heads, ["STT", "Họ và tên", "Tổ", "Nội dung", "Số tiền (đồng)", "Ký nhận"]);
        // The lines, after the row of column numbers, amounts as numbers.
        let first = &rows[header + 2];
        assert_eq!(text(&first[1]), "Nguyễn Văn An");
        assert_eq!(first[4], Data::Float(500_000.0));
        assert!(matches!(first[5], Data::Empty), "the signature cell is empty: {:?}", first[5]);

        let total = rows.iter().find(|r| text(&r[0]) == "Tổng cộng").expect("total row");
        assert_eq!(total[4], Data::Float(1_250_000.0), "the sum of the lines, as a number");
        let words = all.iter().find(|t| t.starts_with("Số tiền bằng chữ: ")).expect("words");
        assert_eq!(*words, "Số tiền bằng chữ: Một triệu hai trăm năm mươi nghìn đồng.");
        assert_eq!(*words, format!("Số tiền bằng chữ: {}.", Vnd::new(1_250_000).in_words()));
    }

    #[test]
    fn the_province_s_words_and_no_name_for_the_command_line() {
        let mut l = list();
        l.prepared_by = "cli".into();
        l.approved_by = None;
        let style = WordsStyle { thousand: domain::money::ThousandWord::Ngan, ..WordsStyle::default() };
        let rows = cells(payment_list(&l, &[line(1, "Lê Văn Cường", 105_000)], style).expect("workbook"));
        let all: Vec<&str> = rows.iter().flatten().map(text).collect();
        assert!(all.contains(&"Số tiền bằng chữ: Một trăm linh năm ngàn đồng."), "{all:?}");
        assert!(!all.contains(&"cli"), "the command line is no signer");
    }
}
