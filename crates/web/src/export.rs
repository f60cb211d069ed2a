//! The dashboards' tables as downloads: the same rows as .xlsx, written by the shared
//! [`sheets::write`] (one sheet per table, a title and the day of the data over the header,
//! numbers in number cells), and as CSV (see [`crate::pages::csv_document`]).

use axum::http::header;
use axum::response::{IntoResponse, Response};

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

impl Table {
    /// The table as CSV.
    #[must_use]
    pub fn csv(&self) -> String {
        let header: Vec<&str> = self.header.iter().map(String::as_str).collect();
        let rows: Vec<Vec<String>> = self.rows.iter().map(|r| r.iter().map(Cell::as_csv).collect()).collect();
        crate::pages::csv_document(&header, &rows)
    }

    /// The table for the shared writer: a column holding any number is a number column (its
    /// text cells, such as a blank total, stay text), the others text; the data stand at `day`.
    fn to_sheet(&self, day: time::Date) -> sheets::Table {
        let columns = self
            .header
            .iter()
            .enumerate()
            .map(|(c, h)| {
                let numeric = self.rows.iter().any(|r| matches!(r.get(c), Some(Cell::Int(_) | Cell::Percent(_))));
                sheets::Column::new(h.clone(), if numeric { sheets::Kind::Number } else { sheets::Kind::Text })
            })
            .collect();
        let rows = self
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|cell| match cell {
                        Cell::Text(s) => sheets::Value::from(s.as_str()),
                        // Counts of a country's reports stay far below 2^53.
                        #[allow(clippy::cast_precision_loss)]
                        Cell::Int(n) => sheets::Value::Number(*n as f64),
                        Cell::Percent(p) => sheets::Value::Number(*p),
                    })
                    .collect()
            })
            .collect();
        sheets::Table { sheet: self.sheet.clone(), title: self.title.clone(), data_date: day, columns, rows }
    }
}

/// The tables as one workbook, a sheet each, in the layout every export shares
/// ([`sheets::write`]: the title, the day of the data, the header frozen).
///
/// # Errors
/// When the workbook cannot be written.
pub fn workbook(tables: &[Table]) -> Result<Vec<u8>, sheets::SheetError> {
    let day = store::today();
    let sheets: Vec<sheets::Table> = tables.iter().map(|t| t.to_sheet(day)).collect();
    sheets::write::xlsx_book(&sheets)
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
