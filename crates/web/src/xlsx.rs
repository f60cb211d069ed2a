//! Excel workbooks (.xlsx) in the layout officials read and sign: a title, the unit and period,
//! a table with STT, amounts as whole đồng in `#,##0` cells, and totals in figures and in words.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use store::funding::Simulation;

/// Whole đồng, grouped with dots as Vietnamese readers expect (Excel's own locale decides the
/// separators shown; the cell holds the integer).
const MONEY: &str = "#,##0";

fn formats() -> (Format, Format, Format, Format, Format) {
    let title = Format::new().set_bold().set_font_size(14).set_align(FormatAlign::Center);
    let note = Format::new().set_italic().set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let money = Format::new().set_num_format(MONEY).set_border(FormatBorder::Thin);
    (title, note, head, cell, money)
}

/// The budget simulator's answer as a workbook: one sheet per scenario, policies side by side,
/// a total row, and each policy's total in words under the table.
///
/// # Errors
/// When the workbook cannot be written.
pub fn budget(sim: &Simulation) -> Result<Vec<u8>, XlsxError> {
    let (title, note, head, cell, money) = formats();
    let bold_money = money.clone().set_bold();
    let bold = cell.clone().set_bold();
    let mut book = Workbook::new();
    let last_col = u16::try_from(4 + sim.policies.len()).unwrap_or(u16::MAX);
    for (i, scenario) in domain::funding::Scenario::ALL.iter().enumerate() {
        let sheet = book.add_worksheet();
        sheet.set_name(scenario.label())?;
        sheet.merge_range(0, 0, 0, last_col, "DỰ TOÁN KINH PHÍ HỖ TRỢ TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG", &title)?;
        let first =
            domain::funding::YearMonth::parse(&sim.from).map(|m| m.label()).unwrap_or_else(|_| sim.from.clone());
        let subtitle = format!(
            "{} {} — {} tháng từ tháng {} — {}",
            sim.unit.code,
            sim.unit.name,
            sim.months,
            first,
            scenario.label()
        );
        sheet.merge_range(1, 0, 1, last_col, &subtitle, &note)?;
        let basis = format!("Số thôn, tổ, thành viên theo sổ đăng ký ngày {}", store::display_date(&sim.as_of));
        sheet.merge_range(2, 0, 2, last_col, &basis, &note)?;
        let header_row = 4;
        let mut header = vec!["STT", "Đơn vị", "Số thôn", "Số tổ", "Số thành viên"];
        header.extend(sim.policies.iter().map(|p| p.name.as_str()));
        for (c, h) in header.iter().enumerate() {
            sheet.write_with_format(header_row, u16::try_from(c).unwrap_or(u16::MAX), *h, &head)?;
        }
        sheet.set_row_height(header_row, 45)?;
        sheet.set_column_width(0, 5)?;
        sheet.set_column_width(1, 32)?;
        for c in 2..5 {
            sheet.set_column_width(c, 10)?;
        }
        for c in 5..=last_col {
            sheet.set_column_width(c, 20)?;
        }
        let mut r = header_row + 1;
        for (n, row) in sim.rows.iter().enumerate() {
            sheet.write_with_format(r, 0, u32::try_from(n + 1).unwrap_or(u32::MAX), &cell)?;
            sheet.write_with_format(r, 1, &row.name, &cell)?;
            sheet.write_with_format(r, 2, row.villages, &cell)?;
            sheet.write_with_format(r, 3, row.teams, &cell)?;
            sheet.write_with_format(r, 4, row.members, &cell)?;
            for (c, p) in sim.policies.iter().enumerate() {
                let col = u16::try_from(5 + c).unwrap_or(u16::MAX);
                sheet.write_with_format(r, col, p.scenarios[i].rows[n].value(), &money)?;
            }
            r += 1;
        }
        sheet.write_with_format(r, 0, "", &bold)?;
        sheet.write_with_format(r, 1, "Tổng cộng", &bold)?;
        sheet.write_with_format(r, 2, sim.unit.villages, &bold)?;
        sheet.write_with_format(r, 3, sim.unit.teams, &bold)?;
        sheet.write_with_format(r, 4, sim.unit.members, &bold)?;
        for (c, p) in sim.policies.iter().enumerate() {
            let col = u16::try_from(5 + c).unwrap_or(u16::MAX);
            sheet.write_with_format(r, col, p.scenarios[i].total.value(), &bold_money)?;
        }
        r += 2;
        for p in &sim.policies {
            let words =
                format!("{}: {} ({}).", p.name, p.scenarios[i].total.display(), p.scenarios[i].total.in_words());
            sheet.write(r, 1, words)?;
            r += 1;
        }
    }
    book.save_to_buffer()
}
