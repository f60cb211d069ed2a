//! Writing any list or report out: an .xlsx workbook in the layout offices print (a bold title,
//! "Số liệu đến ngày …", a frozen header; phones and CCCD as text so their leading zeros stay,
//! dates as real dates shown dd/mm/yyyy, money as whole đồng in `#,##0` cells), or a CSV file
//! in UTF-8 with a byte order mark so that Excel opens its Vietnamese correctly.

use std::io::Write;

use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook as XlsxBook, Worksheet, XlsxError};
use time::Date;

use crate::SheetError;

/// Whole đồng, grouped in thousands (Excel's locale shows the separators Vietnamese readers
/// expect; the cell holds the integer). The same format the budget workbook uses.
const MONEY: &str = "#,##0";
/// Dates as Vietnamese write them.
const DATE: &str = "dd/mm/yyyy";

/// What a column holds, which decides how its cells are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text, stored as text even when it looks like a number (phones, CCCD, codes).
    Text,
    /// A count or other number, stored as a number.
    Number,
    /// Whole đồng, stored as a number in the money format.
    Money,
    /// A date, stored as an Excel date shown dd/mm/yyyy.
    Date,
}

/// A column of a table: its header and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The header as printed.
    pub header: String,
    /// How the cells are stored.
    pub kind: Kind,
}

impl Column {
    /// A column from its header and kind.
    #[must_use]
    pub fn new(header: impl Into<String>, kind: Kind) -> Self {
        Self { header: header.into(), kind }
    }
}

/// One cell's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Nothing.
    Empty,
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// Whole đồng.
    Money(i64),
    /// A date.
    Date(Date),
}

impl Value {
    /// The text a reader shows for the value, as [`crate::read_file`] gives it back: numbers
    /// without a spurious ".0", money as plain digits, dates as dd/mm/yyyy.
    #[must_use]
    pub fn as_text(&self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Text(s) => s.clone(),
            Self::Number(n) if *n == 0.0 => "0".to_owned(),
            Self::Number(n) => format!("{n}"),
            Self::Money(m) => m.to_string(),
            Self::Date(d) => date_text(*d),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        if s.is_empty() { Self::Empty } else { Self::Text(s.to_owned()) }
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        if s.is_empty() { Self::Empty } else { Self::Text(s) }
    }
}

impl From<Date> for Value {
    fn from(d: Date) -> Self {
        Self::Date(d)
    }
}

/// A list or report to export.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The tab's name in the workbook (shortened to Excel's 31 characters).
    pub sheet: String,
    /// The title printed above the table, in capitals as official lists are.
    pub title: String,
    /// The date the figures stand at, printed as "Số liệu đến ngày dd/mm/yyyy".
    pub data_date: Date,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, one value per column.
    pub rows: Vec<Vec<Value>>,
}

fn date_text(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
}

/// The line under the title.
#[must_use]
pub fn data_date_line(d: Date) -> String {
    format!("Số liệu đến ngày {}", date_text(d))
}

/// The row (0-based) of the header in an exported workbook: title, date line, a blank row.
pub const HEADER_ROW: u32 = 3;

/// The table as an .xlsx workbook of one sheet.
///
/// # Errors
/// [`SheetError::Write`] when the workbook cannot be built (a date Excel cannot hold …).
pub fn xlsx(table: &Table) -> Result<Vec<u8>, SheetError> {
    xlsx_book(std::slice::from_ref(table))
}

/// Several tables as one workbook, a sheet each (a sheet per commune, say).
///
/// # Errors
/// [`SheetError::Write`] when the workbook cannot be built.
pub fn xlsx_book(tables: &[Table]) -> Result<Vec<u8>, SheetError> {
    build(tables).map_err(|e| SheetError::Write(e.to_string()))
}

/// A long list as an .xlsx workbook of one sheet, written to `out` as its rows come:
/// `table.rows` first (usually none), then each row of `more`. The same workbook as [`xlsx`]
/// but for where the text is kept: no row is held, neither here nor in the workbook, which
/// flushes each row to a temporary file (rust_xlsxwriter's constant-memory mode) and stores
/// text in its cell rather than in a table of shared strings. Column widths follow the longest
/// value as in [`xlsx`]: the widths are written when the workbook is saved, after the rows.
///
/// # Errors
/// [`SheetError::Write`] when the workbook cannot be built, the temporary file cannot be made,
/// or `out` cannot be written.
pub fn xlsx_streamed<W: Write + Send>(
    table: &Table,
    more: impl IntoIterator<Item = Vec<Value>>,
    out: W,
) -> Result<(), SheetError> {
    let streamed = || -> Result<(), XlsxError> {
        let formats = Formats::new();
        let mut book = XlsxBook::new();
        let name = sheet_name(&table.sheet, 0, &mut Vec::new());
        let sheet = book.add_worksheet_with_constant_memory()?;
        let mut writer = SheetWriter::start(sheet, table, &name, &formats)?;
        for row in &table.rows {
            writer.row(row)?;
        }
        for row in more {
            writer.row(&row)?;
        }
        writer.finish()?;
        book.save_to_writer(out)
    };
    streamed().map_err(|e| SheetError::Write(e.to_string()))
}

fn sheet_name(name: &str, index: usize, used: &mut Vec<String>) -> String {
    let cleaned: String = name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    let cleaned = cleaned.trim().trim_matches('\'').to_owned();
    let mut candidate = if cleaned.is_empty() { format!("Trang {}", index + 1) } else { cleaned };
    let lower = |s: &str| s.to_lowercase();
    let mut n = 2;
    while used.iter().any(|u| lower(u) == lower(&candidate)) {
        let suffix = format!(" ({n})");
        let base: String = candidate.chars().take(31 - suffix.chars().count()).collect();
        candidate = format!("{base}{suffix}");
        n += 1;
    }
    used.push(candidate.clone());
    candidate
}

/// The cell formats of an exported sheet.
struct Formats {
    title: Format,
    note: Format,
    head: Format,
    text: Format,
    number: Format,
    money: Format,
    date: Format,
    blank: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            title: Format::new().set_bold().set_font_size(14).set_align(FormatAlign::Center),
            note: Format::new().set_italic().set_align(FormatAlign::Center),
            head: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_border(FormatBorder::Thin),
            text: Format::new().set_border(FormatBorder::Thin).set_num_format("@"),
            number: Format::new().set_border(FormatBorder::Thin),
            money: Format::new().set_num_format(MONEY).set_border(FormatBorder::Thin),
            date: Format::new().set_num_format(DATE).set_border(FormatBorder::Thin).set_align(FormatAlign::Center),
            blank: Format::new().set_border(FormatBorder::Thin),
        }
    }
}

/// One sheet being written top to bottom: the title, the date line and the header, then the
/// rows in order (the order constant-memory mode needs), then the column widths and the frozen
/// header.
struct SheetWriter<'a> {
    sheet: &'a mut Worksheet,
    columns: &'a [Column],
    formats: &'a Formats,
    /// The widest text of each column so far, in characters.
    widths: Vec<usize>,
    /// The row the next data row goes to.
    next: u32,
}

impl<'a> SheetWriter<'a> {
    fn start(sheet: &'a mut Worksheet, table: &'a Table, name: &str, f: &'a Formats) -> Result<Self, XlsxError> {
        sheet.set_name(name)?;
        let last = u16::try_from(table.columns.len().saturating_sub(1)).unwrap_or(u16::MAX);
        let date_line = data_date_line(table.data_date);
        if last > 0 {
            sheet.merge_range(0, 0, 0, last, &table.title, &f.title)?;
            sheet.merge_range(1, 0, 1, last, &date_line, &f.note)?;
        } else {
            sheet.write_string_with_format(0, 0, &table.title, &f.title)?;
            sheet.write_string_with_format(1, 0, &date_line, &f.note)?;
        }
        // Before the header is written: a flushed row keeps the height it had.
        sheet.set_row_height(HEADER_ROW, 30)?;
        for (c, column) in table.columns.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            sheet.write_string_with_format(HEADER_ROW, col, &column.header, &f.head)?;
        }
        let widths = table.columns.iter().map(|c| longest_line(&c.header)).collect();
        Ok(Self { sheet, columns: &table.columns, formats: f, widths, next: HEADER_ROW + 1 })
    }

    fn row(&mut self, row: &[Value]) -> Result<(), XlsxError> {
        let (sheet, f, at) = (&mut *self.sheet, self.formats, self.next);
        for (c, column) in self.columns.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            let value = row.get(c).unwrap_or(&Value::Empty);
            if let Some(w) = self.widths.get_mut(c) {
                *w = (*w).max(text_width(value));
            }
            match (column.kind, value) {
                (_, Value::Empty) => {
                    sheet.write_blank(at, col, &f.blank)?;
                }
                (Kind::Text, Value::Text(s)) => {
                    sheet.write_string_with_format(at, col, s, &f.text)?;
                }
                (Kind::Date, Value::Date(d)) => {
                    let dt =
                        ExcelDateTime::from_ymd(u16::try_from(d.year()).unwrap_or(0), u8::from(d.month()), d.day())?;
                    sheet.write_datetime_with_format(at, col, &dt, &f.date)?;
                }
                (Kind::Money, Value::Money(m)) => {
                    // Amounts of a commune's lists stay far below 2^53 đồng.
                    #[allow(clippy::cast_precision_loss)]
                    sheet.write_number_with_format(at, col, *m as f64, &f.money)?;
                }
                (Kind::Money, Value::Number(n)) => {
                    sheet.write_number_with_format(at, col, *n, &f.money)?;
                }
                (Kind::Number | Kind::Date, Value::Number(n)) => {
                    sheet.write_number_with_format(at, col, *n, &f.number)?;
                }
                #[allow(clippy::cast_precision_loss)]
                (Kind::Number | Kind::Date, Value::Money(m)) => {
                    sheet.write_number_with_format(at, col, *m as f64, &f.number)?;
                }
                // A value that does not fit its column is written as the text it reads.
                (_, v) => {
                    sheet.write_string_with_format(at, col, v.as_text(), &f.text)?;
                }
            }
        }
        self.next = at.saturating_add(1);
        Ok(())
    }

    fn finish(self) -> Result<(), XlsxError> {
        for (c, w) in self.widths.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            let width = u32::try_from((*w).clamp(6, 48) + 2).unwrap_or(50);
            self.sheet.set_column_width(col, width)?;
        }
        self.sheet.set_freeze_panes(HEADER_ROW + 1, 0)?;
        Ok(())
    }
}

/// The characters of the value's text, without building the text when it is already there.
fn text_width(value: &Value) -> usize {
    match value {
        Value::Empty => 0,
        Value::Text(s) => s.chars().count(),
        v => v.as_text().chars().count(),
    }
}

fn build(tables: &[Table]) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let mut book = XlsxBook::new();
    let mut used = Vec::new();
    for (i, table) in tables.iter().enumerate() {
        let name = sheet_name(&table.sheet, i, &mut used);
        let mut writer = SheetWriter::start(book.add_worksheet(), table, &name, &formats)?;
        for row in &table.rows {
            writer.row(row)?;
        }
        writer.finish()?;
    }
    book.save_to_buffer()
}

fn longest_line(s: &str) -> usize {
    s.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// Text a spreadsheet would take for a formula ("=1+1", "+84…", "-Nguyễn", "@x") behind a `'`,
/// so that opening an exported CSV computes nothing; [`crate::read_file`] removes the `'` again.
/// Text that already has quotes before such a character gets one more, to read back as it was.
fn neutralised(text: String) -> String {
    if text.trim_start_matches('\'').starts_with(FORMULA_STARTS) { format!("'{text}") } else { text }
}

/// The first characters that make a spreadsheet read a cell as a formula.
pub(crate) const FORMULA_STARTS: [char; 4] = ['=', '+', '-', '@'];

/// The table as CSV: UTF-8 with a byte order mark, comma-separated, the header then the rows
/// (no title: a CSV file is read by programs). Money as plain digits (a negative amount stays
/// `-5000`), dates dd/mm/yyyy; text beginning with `=`, `+`, `-` or `@` is written behind a `'`
/// so that a spreadsheet does not run it as a formula.
#[must_use]
pub fn csv(table: &Table) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    let line = |out: &mut Vec<u8>, cells: &mut dyn Iterator<Item = String>| {
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if cell.contains([',', ';', '"', '\n', '\r', '\t']) || cell.starts_with(' ') || cell.ends_with(' ') {
                out.push(b'"');
                out.extend_from_slice(cell.replace('"', "\"\"").as_bytes());
                out.push(b'"');
            } else {
                out.extend_from_slice(cell.as_bytes());
            }
        }
        out.extend_from_slice(b"\r\n");
    };
    let cell = |v: &Value| match v {
        Value::Text(t) => neutralised(t.clone()),
        v => v.as_text(),
    };
    line(&mut out, &mut table.columns.iter().map(|c| neutralised(c.header.clone())));
    for row in &table.rows {
        line(&mut out, &mut (0..table.columns.len()).map(|c| row.get(c).map(cell).unwrap_or_default()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid_and_distinct() {
        let mut used = Vec::new();
        assert_eq!(sheet_name("Xã Tam Thăng", 0, &mut used), "Xã Tam Thăng");
        assert_eq!(sheet_name("Xã Tam Thăng", 1, &mut used), "Xã Tam Thăng (2)");
        assert_eq!(sheet_name("a/b:c", 2, &mut used), "abc");
        assert_eq!(sheet_name("", 3, &mut used), "Trang 4");
        let long = "Danh sách thành viên tổ công nghệ số cộng đồng";
        assert_eq!(sheet_name(long, 4, &mut used).chars().count(), 31);
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        let table = Table {
            sheet: String::new(),
            title: String::new(),
            data_date: time::macros::date!(2025 - 01 - 01),
            columns: vec![Column::new("Họ và tên", Kind::Text), Column::new("Ghi chú", Kind::Text)],
            rows: vec![vec!["Nguyễn Văn A".into(), "có \"dấu\", phẩy".into()]],
        };
        let bytes = csv(&table);
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap_or_default();
        assert_eq!(text, "Họ và tên,Ghi chú\r\nNguyễn Văn A,\"có \"\"dấu\"\", phẩy\"\r\n");
    }

    #[test]
    fn csv_neutralises_formulas_in_text_only() {
        let table = Table {
            sheet: String::new(),
            title: String::new(),
            data_date: time::macros::date!(2025 - 01 - 01),
            columns: vec![
                Column::new("Họ và tên", Kind::Text),
                Column::new("Ghi chú", Kind::Text),
                Column::new("Số tiền", Kind::Money),
                Column::new("Số", Kind::Number),
            ],
            rows: vec![vec!["-Nguyễn".into(), "=1+1, @x".into(), Value::Money(-5000), Value::Number(-2.5)]],
        };
        let text = String::from_utf8(csv(&table)[3..].to_vec()).unwrap_or_default();
        assert_eq!(text, "Họ và tên,Ghi chú,Số tiền,Số\r\n'-Nguyễn,\"'=1+1, @x\",-5000,-2.5\r\n");
    }
}
