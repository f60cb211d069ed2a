//! Workbooks around an import: the template to fill in (the columns the importer reads, with
//! dropdowns for what must be chosen from a list), and, for a file with errors, the person's own
//! rows handed back with one more column saying what is wrong with each.

use std::collections::BTreeMap;

use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, Format, FormatAlign, FormatBorder, Formula, Workbook, XlsxError,
};
use store::import::RowIssue;

use crate::import_file::{ListKind, Mapping};

/// The sheet of a template that holds the lists its dropdowns choose from. It is read with the
/// rest of a filled-in template, and is not a list to import.
pub const LISTS_SHEET: &str = "Danh mục chọn";

/// The largest file an import accepts.
pub const UPLOAD_LIMIT: usize = 20 * 1024 * 1024;

/// The header of the column added to a workbook of errors.
pub const ERROR_HEADER: &str = "Lỗi";

/// The 0-based row of a template's header (a title and a note above it).
pub const TEMPLATE_HEADER_ROW: u32 = 2;

/// How many rows of a template get the dropdowns.
const TEMPLATE_ROWS: u32 = 1000;

/// What a column of a template offers to choose from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Choice {
    Free,
    Position,
    Role,
    Gender,
    Commune,
}

/// The columns of a template: the header the importer recognises, its width, its dropdown.
fn template_columns(kind: ListKind) -> Vec<(&'static str, u16, Choice)> {
    match kind {
        ListKind::Members => vec![
            ("STT", 5, Choice::Free),
            ("Họ và tên", 26, Choice::Free),
            ("Ngày sinh", 12, Choice::Free),
            ("Giới tính", 9, Choice::Gender),
            ("Số điện thoại", 14, Choice::Free),
            ("Số CCCD", 15, Choice::Free),
            ("Email", 22, Choice::Free),
            ("Chức danh", 24, Choice::Position),
            ("Vai trò trong tổ", 14, Choice::Role),
            ("Thôn", 20, Choice::Free),
            ("Xã", 22, Choice::Commune),
            ("Huyện", 18, Choice::Free),
        ],
        ListKind::Villages => {
            vec![("Huyện", 18, Choice::Free), ("Xã", 22, Choice::Commune), ("Thôn", 24, Choice::Free)]
        }
        ListKind::Teams => vec![
            ("Huyện", 18, Choice::Free),
            ("Xã", 22, Choice::Commune),
            ("Thôn", 22, Choice::Free),
            ("Tên tổ", 30, Choice::Free),
            ("Ngày thành lập", 14, Choice::Free),
            ("Nhóm Zalo", 30, Choice::Free),
        ],
    }
}

fn template_title(kind: ListKind) -> (&'static str, &'static str) {
    match kind {
        ListKind::Members => ("Thành viên", "DANH SÁCH THÀNH VIÊN TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG"),
        ListKind::Villages => ("Thôn", "DANH SÁCH THÔN, TỔ DÂN PHỐ"),
        ListKind::Teams => ("Tổ", "DANH SÁCH TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG"),
    }
}

fn template_note(kind: ListKind) -> &'static str {
    match kind {
        ListKind::Members => {
            "Mỗi người một dòng, từ dòng 4. Chức danh, vai trò, giới tính và xã chọn trong danh sách; \
             ngày ghi dd/mm/yyyy; số điện thoại và số CCCD ghi đủ chữ số."
        }
        ListKind::Villages => "Mỗi thôn, tổ dân phố một dòng, từ dòng 4. Xã chọn trong danh sách.",
        ListKind::Teams => {
            "Mỗi tổ một dòng, từ dòng 4; thôn phải có sẵn. Xã chọn trong danh sách; ngày ghi dd/mm/yyyy."
        }
    }
}

/// An absolute reference to a column of the lists sheet, rows 2 to `n + 1`.
fn list_range(col: char, n: usize) -> String {
    format!("='{LISTS_SHEET}'!${col}$2:${col}${}", n + 1)
}

/// The template of a list to import: a title, a note, the header the importer reads, and
/// dropdowns over the first thousand rows (positions, roles, genders, and `communes`, the
/// communes the person changes). The lists sit on a hidden second sheet. `rows` are written under
/// the header (a template filled in, for tests and examples).
///
/// # Errors
/// When the workbook cannot be built.
pub fn template(kind: ListKind, communes: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, XlsxError> {
    let columns = template_columns(kind);
    let (sheet_name, title) = template_title(kind);
    let title_format = Format::new().set_bold().set_font_size(14).set_align(FormatAlign::Center);
    let note_format = Format::new().set_italic().set_text_wrap();
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin);
    // Every cell is text: phone numbers and CCCD keep their leading zeros, dates stay as typed.
    let text = Format::new().set_num_format("@");

    let positions: Vec<&str> = domain::Position::ALL.iter().map(|p| p.label()).collect();
    let roles: Vec<&str> = domain::Role::ALL.iter().map(|r| r.label()).collect();
    let genders: Vec<&str> = domain::Gender::ALL.iter().map(|g| g.label()).collect();

    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name)?;
    let last = u16::try_from(columns.len().saturating_sub(1)).unwrap_or(0);
    sheet.merge_range(0, 0, 0, last, title, &title_format)?;
    sheet.merge_range(1, 0, 1, last, template_note(kind), &note_format)?;
    sheet.set_row_height(1, 30)?;
    let first = TEMPLATE_HEADER_ROW + 1;
    let end = TEMPLATE_HEADER_ROW + TEMPLATE_ROWS;
    for (c, (header, width, choice)) in columns.iter().enumerate() {
        let col = u16::try_from(c).unwrap_or(u16::MAX);
        sheet.set_column_width(col, *width)?;
        sheet.set_column_format(col, &text)?;
        sheet.write_string_with_format(TEMPLATE_HEADER_ROW, col, *header, &head)?;
        let (letter, n, message) = match choice {
            Choice::Free => continue,
            Choice::Position => ('A', positions.len(), "Chọn chức danh trong danh sách"),
            Choice::Role => ('B', roles.len(), "Chọn Tổ trưởng, Tổ phó hoặc Thành viên"),
            Choice::Gender => ('C', genders.len(), "Chọn Nam hoặc Nữ"),
            Choice::Commune => ('D', communes.len(), "Chọn xã, phường trong danh sách các xã bạn được nhập"),
        };
        if n == 0 {
            continue;
        }
        let rule = DataValidation::new()
            .allow_list_formula(Formula::new(list_range(letter, n)))
            .set_error_title("Giá trị không có trong danh sách")?
            .set_error_message(message)?
            .set_error_style(DataValidationErrorStyle::Stop);
        sheet.add_data_validation(first, col, end, col, &rule)?;
    }
    sheet.set_freeze_panes(first, 0)?;
    for (r, row) in rows.iter().enumerate() {
        let at = first + u32::try_from(r).unwrap_or(0);
        for (c, value) in row.iter().enumerate().take(columns.len()) {
            if !value.is_empty() {
                sheet.write_string(at, u16::try_from(c).unwrap_or(0), value)?;
            }
        }
    }

    let lists = book.add_worksheet();
    lists.set_name(LISTS_SHEET)?;
    let lists_head = Format::new().set_bold();
    let lists_columns: [(&str, Vec<&str>); 4] = [
        ("Chức danh", positions),
        ("Vai trò trong tổ", roles),
        ("Giới tính", genders),
        ("Xã, phường", communes.iter().map(String::as_str).collect()),
    ];
    for (c, (header, values)) in lists_columns.iter().enumerate() {
        let col = u16::try_from(c).unwrap_or(0);
        lists.write_string_with_format(0, col, *header, &lists_head)?;
        lists.set_column_width(col, 28)?;
        for (r, v) in values.iter().enumerate() {
            lists.write_string(1 + u32::try_from(r).unwrap_or(0), col, *v)?;
        }
    }
    lists.set_hidden(true);
    book.save_to_buffer()
}

/// A sheet name Excel accepts, unique in the workbook.
fn sheet_name(name: &str, used: &mut Vec<String>) -> String {
    let cleaned: String = name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    let cleaned = cleaned.trim().trim_matches('\'').to_owned();
    let mut candidate = if cleaned.is_empty() { format!("Trang {}", used.len() + 1) } else { cleaned };
    let mut n = 2;
    while used.iter().any(|u| u.to_lowercase() == candidate.to_lowercase()) {
        let suffix = format!(" ({n})");
        let base: String = candidate.chars().take(31 - suffix.chars().count()).collect();
        candidate = format!("{base}{suffix}");
        n += 1;
    }
    used.push(candidate.clone());
    candidate
}

/// Why a workbook of errors could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    #[error(transparent)]
    Read(#[from] sheets::SheetError),
    #[error(transparent)]
    Write(#[from] XlsxError),
}

/// The person's own file handed back with its errors: each sheet that was read, from its header
/// row down, every column as it was read, and one more column "Lỗi" holding every message of that
/// row joined. Rows without an error are kept with the column empty, so the file can be corrected
/// and uploaded again whole. A sheet whose header was not recognised is handed back whole, its
/// message on its first row. All cells are text (phone numbers and CCCD keep their zeros).
///
/// # Errors
/// When the file cannot be read again or the workbook cannot be built.
pub fn errors_workbook(
    file_name: &str,
    bytes: &[u8],
    mappings: &[Mapping],
    errors: &[RowIssue],
) -> Result<Vec<u8>, BookError> {
    let source = sheets::read_file(file_name, bytes)?;
    // Messages by sheet, then by row (Excel's numbering; 0 for the sheet as a whole).
    let mut by_row: BTreeMap<(&str, usize), Vec<String>> = BTreeMap::new();
    for e in errors {
        let message = match &e.column {
            Some(col) => format!("Cột {col}: {}", e.message),
            None => e.message.clone(),
        };
        by_row.entry((e.sheet.as_str(), e.row)).or_default().push(message);
    }
    let head = Format::new().set_bold().set_text_wrap().set_border(FormatBorder::Thin);
    let error_head = Format::new().set_bold().set_font_color("#C00000").set_border(FormatBorder::Thin);
    let text = Format::new().set_num_format("@");
    let error_text = Format::new().set_num_format("@").set_font_color("#C00000").set_text_wrap();

    let mut book = Workbook::new();
    let mut used = Vec::new();
    for sheet in &source.sheets {
        let mapping = mappings.iter().find(|m| m.sheet == sheet.name);
        let sheet_problem = by_row.get(&(sheet.name.as_str(), 0));
        if mapping.is_none() && sheet_problem.is_none() {
            continue;
        }
        // The header row (0-based) from which the sheet is handed back.
        let start = mapping.map_or(0, |m| m.header_row.saturating_sub(1));
        let width = sheet.width();
        let out = book.add_worksheet();
        out.set_name(sheet_name(&sheet.name, &mut used))?;
        let error_col = u16::try_from(width).unwrap_or(u16::MAX - 1);
        for (i, row) in sheet.rows.iter().enumerate().skip(start) {
            let at = u32::try_from(i - start).unwrap_or(u32::MAX);
            let is_header = mapping.is_some() && i == start;
            for (c, value) in row.iter().enumerate() {
                let col = u16::try_from(c).unwrap_or(u16::MAX);
                if is_header {
                    out.write_string_with_format(at, col, value, &head)?;
                } else if !value.is_empty() {
                    out.write_string_with_format(at, col, value, &text)?;
                }
            }
            let messages = if is_header {
                None
            } else if mapping.is_none() {
                if i == 0 { sheet_problem } else { None }
            } else {
                by_row.get(&(sheet.name.as_str(), i + 1))
            };
            if is_header {
                out.write_string_with_format(at, error_col, ERROR_HEADER, &error_head)?;
            } else if let Some(m) = messages {
                out.write_string_with_format(at, error_col, m.join("; "), &error_text)?;
            }
        }
        out.set_column_width(error_col, 60)?;
        if mapping.is_some() {
            out.set_freeze_panes(1, 0)?;
        }
    }
    if used.is_empty() {
        let out = book.add_worksheet();
        out.write_string(0, 0, ERROR_HEADER)?;
    }
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_reads_back_with_every_column_mapped() {
        for kind in [ListKind::Members, ListKind::Villages, ListKind::Teams] {
            let bytes = template(kind, &["Xã Tam Thăng".to_owned()], &[]).expect("template");
            let read = crate::import_file::read("mau.xlsx", &bytes, None, kind, &[]).expect("read");
            assert_eq!(read.mappings.len(), 1, "one list sheet");
            let m = &read.mappings[0];
            assert_eq!(m.header_row, TEMPLATE_HEADER_ROW as usize + 1);
            assert_eq!(m.columns.len(), template_columns(kind).len());
            assert!(m.columns.iter().all(|c| c.field.is_some()), "{:?}", m.columns);
            // The lists sheet is read too, and answers as a sheet without a header.
            assert!(read.problems.iter().all(|p| p.sheet == LISTS_SHEET), "{:?}", read.problems);
        }
    }

    #[test]
    fn the_error_book_adds_the_messages_beside_their_rows() {
        let csv = "Danh sách\nHọ và tên,Số điện thoại,Thôn\nNguyễn Văn A,0912345678,Thôn 1\nTrần B,12,Thôn 2\n";
        let read = crate::import_file::read("ds.csv", csv.as_bytes(), None, ListKind::Members, &[]).expect("read");
        let errors = vec![RowIssue {
            sheet: "ds".into(),
            row: 4,
            column: Some("B".into()),
            message: "Số điện thoại không hợp lệ".into(),
        }];
        let bytes = errors_workbook("ds.csv", csv.as_bytes(), &read.mappings, &errors).expect("book");
        let back = sheets::read_file("loi.xlsx", &bytes).expect("read back");
        let rows = &back.sheets[0].rows;
        assert_eq!(rows[0], vec!["Họ và tên", "Số điện thoại", "Thôn", ERROR_HEADER]);
        assert_eq!(rows[1], vec!["Nguyễn Văn A", "0912345678", "Thôn 1"]);
        assert_eq!(rows[2][3], "Cột B: Số điện thoại không hợp lệ");
    }
}
