//! Reading a workbook (.xlsx, .xls) or a CSV file into sheets of text cells, as a person sees
//! them in Excel: numbers without a spurious ".0", dates as dd/mm/yyyy, merged cells repeated
//! in every cell they cover, text typed in TCVN3 or VNI fonts converted to Unicode, trimmed.

use std::io::Cursor;

use calamine::{Data, Dimensions, Range, Reader, Sheets, open_workbook_auto_from_rs};

use crate::SheetError;
use crate::legacy::{self, SourceEncoding};

/// A workbook read from a file: its sheets in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Workbook {
    /// The sheets, in the order of their tabs (a CSV file gives one).
    pub sheets: Vec<Sheet>,
    /// For a CSV file, the encoding its bytes were found in.
    pub encoding: Option<SourceEncoding>,
}

/// One sheet (tab) of a workbook. `rows[0]` is Excel's row 1 and `rows[r][0]` column A, so
/// positions match what the person sees; trailing empty cells and rows are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sheet {
    /// The tab's name ("Sheet1", "Xã Tam Thăng" …); for CSV, the file name without extension.
    pub name: String,
    /// The cells as text.
    pub rows: Vec<Vec<String>>,
}

impl Sheet {
    /// The text of a cell by 0-based row and column, "" outside the sheet.
    #[must_use]
    pub fn cell(&self, row: usize, col: usize) -> &str {
        self.rows.get(row).and_then(|r| r.get(col)).map_or("", String::as_str)
    }

    /// The widest row's number of cells.
    #[must_use]
    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }
}

/// Kinds of file by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Excel,
    Csv,
}

fn kind_of(name: &str) -> Result<FileKind, SheetError> {
    let ext = name.rsplit_once('.').map(|(_, e)| e.trim().to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "xlsx" | "xlsm" | "xls" => Ok(FileKind::Excel),
        "csv" | "txt" => Ok(FileKind::Csv),
        _ => Err(SheetError::UnknownExtension(name.to_owned())),
    }
}

/// Reads an uploaded file by its name's extension: `.xlsx` / `.xlsm` / `.xls` as a workbook
/// (whichever of the two formats the bytes really are), `.csv` / `.txt` as delimited text
/// (comma, semicolon or tab, in UTF-8 with or without BOM, Windows-1258, TCVN3 or VNI).
///
/// # Errors
/// [`SheetError::UnknownExtension`] for other names, [`SheetError::Empty`] for a file with no
/// cell filled, [`SheetError::Unreadable`] when the bytes are not what the name says.
pub fn read_file(name: &str, bytes: &[u8]) -> Result<Workbook, SheetError> {
    let kind = kind_of(name)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(SheetError::Empty);
    }
    let book = match kind {
        // calamine 0.32 can panic on a damaged .xls (slicing past the end of a short compound
        // file directory, found by the tests' damaged_xls property): an upload must not take
        // the server down, so a panic there reads as an unreadable file.
        FileKind::Excel => std::panic::catch_unwind(|| read_excel(name, bytes))
            .map_err(|_| unreadable(name, "Excel", "the Excel reader panicked on this file"))??,
        FileKind::Csv => read_csv(name, bytes)?,
    };
    if book.sheets.iter().all(|s| s.rows.is_empty()) {
        return Err(SheetError::Empty);
    }
    Ok(book)
}

fn unreadable(name: &str, kind: &'static str, detail: impl ToString) -> SheetError {
    SheetError::Unreadable { name: name.to_owned(), kind, detail: detail.to_string() }
}

fn read_excel(name: &str, bytes: &[u8]) -> Result<Workbook, SheetError> {
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| unreadable(name, "Excel", e))?;
    let mut sheets = Vec::new();
    for sheet_name in book.sheet_names() {
        let range = book.worksheet_range(&sheet_name).map_err(|e| unreadable(name, "Excel", e))?;
        let merges = match &mut book {
            Sheets::Xlsx(x) => x.worksheet_merge_cells(&sheet_name).and_then(Result::ok).unwrap_or_default(),
            Sheets::Xls(x) => x.worksheet_merge_cells(&sheet_name).unwrap_or_default(),
            _ => Vec::new(),
        };
        let mut rows = grid(&range);
        to_unicode(&mut rows);
        fill_merged(&mut rows, &merges);
        tidy(&mut rows);
        sheets.push(Sheet { name: legacy::to_unicode(&sheet_name).into_owned(), rows });
    }
    Ok(Workbook { sheets, encoding: None })
}

/// The range as rows of text placed at their absolute positions.
fn grid(range: &Range<Data>) -> Vec<Vec<String>> {
    let Some((top, left)) = range.start() else { return Vec::new() };
    let (top, left) = (top as usize, left as usize);
    let mut rows: Vec<Vec<String>> = vec![Vec::new(); top];
    for row in range.rows() {
        let mut cells = vec![String::new(); left];
        cells.extend(row.iter().map(|d| cell_text(d).trim().to_owned()));
        rows.push(cells);
    }
    rows
}

/// Converts every cell to Unicode NFC, reading the cells that could be either as typed in the
/// legacy font most of the sheet is typed in.
fn to_unicode(rows: &mut [Vec<String>]) {
    let usual = legacy::dominant(rows.iter().flatten().map(String::as_str));
    for cell in rows.iter_mut().flatten() {
        if let std::borrow::Cow::Owned(text) = legacy::to_unicode_with(cell, usual) {
            *cell = text.trim().to_owned();
        }
    }
}

/// Copies each merged region's top-left text into every cell of the region.
fn fill_merged(rows: &mut [Vec<String>], merges: &[Dimensions]) {
    for m in merges {
        let (r0, c0) = (m.start.0 as usize, m.start.1 as usize);
        let (r1, c1) = (m.end.0 as usize, m.end.1 as usize);
        let Some(value) = rows.get(r0).and_then(|r| r.get(c0)).cloned() else { continue };
        if value.is_empty() || r1.saturating_sub(r0) > 1000 || c1.saturating_sub(c0) > 200 {
            continue;
        }
        for row in rows.iter_mut().take(r1 + 1).skip(r0) {
            if row.len() <= c1 {
                row.resize(c1 + 1, String::new());
            }
            for cell in row.iter_mut().take(c1 + 1).skip(c0) {
                if cell.is_empty() {
                    cell.clone_from(&value);
                }
            }
        }
    }
}

/// Drops trailing empty cells of each row and trailing empty rows.
fn tidy(rows: &mut Vec<Vec<String>>) {
    for row in rows.iter_mut() {
        while row.last().is_some_and(String::is_empty) {
            row.pop();
        }
    }
    while rows.last().is_some_and(Vec::is_empty) {
        rows.pop();
    }
}

/// A cell as Excel shows it: whole numbers without decimals, dates as dd/mm/yyyy.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, day, h, mi, s, _) = dt.to_ymd_hms_milli();
            date_text(y, mo, day, h, mi, s)
        }
        Data::DateTime(dt) => number_text(dt.as_f64()),
        Data::DateTimeIso(s) => iso_date_text(s).unwrap_or_else(|| s.clone()),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("{e}"),
    }
}

fn number_text(f: f64) -> String {
    if f == 0.0 {
        // Also -0.0.
        return "0".to_owned();
    }
    format!("{f}")
}

fn date_text(y: u16, mo: u8, day: u8, h: u8, mi: u8, s: u8) -> String {
    let time = if h == 0 && mi == 0 && s == 0 { String::new() } else { format!(" {h:02}:{mi:02}") };
    if y <= 1900 && mo <= 1 && day == 0 || (y == 1899 && mo == 12 && day == 31) {
        // A time of day alone.
        return format!("{h:02}:{mi:02}");
    }
    format!("{day:02}/{mo:02}/{y:04}{time}")
}

/// "2024-08-28" or "2024-08-28T07:30:00" as dd/mm/yyyy (with the time when there is one).
fn iso_date_text(s: &str) -> Option<String> {
    let (date, time) = s.split_once('T').unwrap_or((s, ""));
    let mut parts = date.split('-');
    let y: u16 = parts.next()?.parse().ok()?;
    let mo: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    let mut t = time.split(':');
    let h: u8 = t.next().and_then(|x| x.parse().ok()).unwrap_or(0);
    let mi: u8 = t.next().and_then(|x| x.parse().ok()).unwrap_or(0);
    Some(date_text(y, mo, day, h, mi, 0))
}

fn read_csv(name: &str, bytes: &[u8]) -> Result<Workbook, SheetError> {
    let (text, encoding) = legacy::decode_bytes(bytes);
    let delimiter = detect_delimiter(&text);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| unreadable(name, "CSV", e))?;
        rows.push(record.iter().map(|c| unneutralised(c.trim()).to_owned()).collect());
    }
    to_unicode(&mut rows);
    tidy(&mut rows);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let stem = stem.rsplit(['/', '\\']).next().unwrap_or(stem);
    Ok(Workbook { sheets: vec![Sheet { name: stem.to_owned(), rows }], encoding: Some(encoding) })
}

/// A CSV cell as it was before [`crate::write::csv`] put a `'` in front of text a spreadsheet
/// would take for a formula ("'=1+1" → "=1+1", "''=1" → "'=1"); any other `'` stays.
fn unneutralised(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.trim_start_matches('\'').starts_with(crate::write::FORMULA_STARTS) => rest,
        _ => cell,
    }
}

/// Comma, semicolon (Excel's choice where the decimal separator is a comma, as in Vietnamese
/// settings) or tab: the one that splits most of the first lines into two or more fields.
fn detect_delimiter(text: &str) -> u8 {
    let mut best = (b',', 0usize, 0usize);
    for delimiter in [b',', b';', b'\t'] {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(text.as_bytes());
        let mut split = 0;
        let mut fields = 0;
        for record in reader.records().take(30) {
            let Ok(record) = record else { break };
            if record.len() > 1 {
                split += 1;
                fields += record.len();
            }
        }
        if (split, fields) > (best.1, best.2) {
            best = (delimiter, split, fields);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_shown() {
        assert_eq!(number_text(905_123_456.0), "905123456");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(number_text(-0.0), "0");
        assert_eq!(number_text(49_190_000_123.0), "49190000123");
    }

    #[test]
    fn dates_read_as_shown() {
        assert_eq!(date_text(2024, 8, 28, 0, 0, 0), "28/08/2024");
        assert_eq!(date_text(2024, 8, 28, 7, 30, 0), "28/08/2024 07:30");
        assert_eq!(iso_date_text("1985-03-09").as_deref(), Some("09/03/1985"));
        assert_eq!(iso_date_text("abc"), None);
    }

    #[test]
    fn delimiters() {
        assert_eq!(detect_delimiter("a;b;c\n1;2;3\n"), b';');
        assert_eq!(detect_delimiter("a,b\n1,2\n"), b',');
        assert_eq!(detect_delimiter("a\tb\n1\t2\n"), b'\t');
        assert_eq!(detect_delimiter("\"Nguyễn, Văn\";b\n1;2\n"), b';');
    }

    #[test]
    fn kinds() {
        assert_eq!(kind_of("DS.XLSX"), Ok(FileKind::Excel));
        assert_eq!(kind_of("a.b.xls"), Ok(FileKind::Excel));
        assert_eq!(kind_of("a.csv"), Ok(FileKind::Csv));
        assert!(matches!(kind_of("a.pdf"), Err(SheetError::UnknownExtension(_))));
        assert!(matches!(kind_of("noext"), Err(SheetError::UnknownExtension(_))));
    }
}
