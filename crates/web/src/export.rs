//! Tables as downloads: the same rows as .xlsx (one sheet per table, a title over the header,
//! whole numbers in number cells) and as CSV (see [`crate::pages::csv_document`]).

use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use crate::AppError;

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A share per hundred, to one decimal.
    Percent(f64),
}

impl Cell {
    fn as_csv(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Percent(p) => format!("{p:.1}"),
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

/// A table to download.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The sheet's name (at most 31 characters, no `[]:*?/\`).
    pub sheet: String,
    /// The line above the header: what, where, when.
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The row of the header in a sheet (the title is row 0, a blank row 1).
pub const HEADER_ROW: u32 = 2;

impl Table {
    /// The table as a CSV document.
    #[must_use]
    pub fn csv(&self) -> String {
        let header: Vec<&str> = self.header.iter().map(String::as_str).collect();
        let rows: Vec<Vec<String>> = self.rows.iter().map(|r| r.iter().map(Cell::as_csv).collect()).collect();
        crate::pages::csv_document(&header, &rows)
    }
}

/// The tables as one workbook, a sheet each.
///
/// # Errors
/// When the workbook cannot be written.
pub fn workbook(tables: &[Table]) -> Result<Vec<u8>, XlsxError> {
    let title = Format::new().set_bold().set_font_size(13);
    let head = Format::new().set_bold().set_text_wrap().set_align(FormatAlign::Center).set_border(FormatBorder::Thin);
    let text = Format::new().set_border(FormatBorder::Thin);
    let number = Format::new().set_num_format("#,##0").set_border(FormatBorder::Thin);
    let share = Format::new().set_num_format("0.0").set_border(FormatBorder::Thin);
    let mut book = Workbook::new();
    for t in tables {
        let sheet = book.add_worksheet();
        let name: String = t.sheet.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
        sheet.set_name(name)?;
        sheet.write_with_format(0, 0, &t.title, &title)?;
        for (c, h) in t.header.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            sheet.write_with_format(HEADER_ROW, col, h, &head)?;
            sheet.set_column_width(col, if c == 0 { 32 } else { 16 })?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let at = HEADER_ROW + 1 + u32::try_from(r).unwrap_or(u32::MAX - HEADER_ROW - 1);
            for (c, cell) in row.iter().enumerate() {
                let col = u16::try_from(c).unwrap_or(u16::MAX);
                match cell {
                    Cell::Text(s) => sheet.write_with_format(at, col, s, &text)?,
                    Cell::Int(n) => sheet.write_with_format(at, col, *n, &number)?,
                    Cell::Percent(p) => sheet.write_with_format(at, col, *p, &share)?,
                };
            }
        }
    }
    book.save_to_buffer()
}

/// A download of `tables` as a workbook named `file` (without extension), written off the
/// request threads.
///
/// # Errors
/// When the workbook cannot be written.
pub async fn xlsx_response(tables: Vec<Table>, file: &str) -> Result<Response, AppError> {
    let bytes = tokio::task::spawn_blocking(move || workbook(&tables))
        .await?
        .map_err(|e| AppError::Internal(format!("xlsx: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}.xlsx\"")),
        ],
        bytes,
    )
        .into_response())
}

/// A download of one table as CSV named `file` (without extension).
#[must_use]
pub fn csv_response(table: &Table, file: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}.csv\"")),
        ],
        table.csv(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_writes_numbers_plainly_and_text_safely() {
        let t = Table {
            sheet: "a".into(),
            title: "t".into(),
            header: vec!["Đơn vị".into(), "Số".into(), "%".into()],
            rows: vec![vec!["=x".into(), Cell::Int(1234), Cell::Percent(75.0)]],
        };
        assert_eq!(t.csv(), "\u{feff}Đơn vị,Số,%\r\n'=x,1234,75.0\r\n");
        let bytes = workbook(&[t]).expect("workbook");
        assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip");
    }
}
