//! The registry's lists as sheets to download or write to a file (Xuất Excel / CSV): members,
//! teams and villages of a unit, each with a title, the day the figures stand at, phones and
//! CCCD as text so their leading zeros stay, dates as real dates. The web's `.xlsx` downloads and
//! the command line's `export` build the same tables here; masking is the caller's business
//! (the web masks for viewers before it hands the rows over, the command line does not).

use std::collections::HashMap;
use std::io::Write;

use domain::Gender;
use sheets::{Column, Kind, Table, Value};
use store::people::{Member, MemberFilter};
use store::teams::Team;
use store::villages::Village;
use store::{Db, PageRequest, Scope, StoreError, people, units};
use time::Date;

/// Which list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// Thành viên tổ công nghệ số cộng đồng.
    Members,
    /// Tổ công nghệ số cộng đồng.
    Teams,
    /// Thôn, tổ dân phố.
    Villages,
}

/// The kind of file, by its name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
}

impl Format {
    /// The format a file name asks for: `.xlsx` or `.csv` (any case); `None` for anything else.
    #[must_use]
    pub fn of_file(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
        match ext.as_str() {
            "xlsx" => Some(Self::Xlsx),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }
}

/// A download handler's format, by the extension of the path it was asked on: one handler serves
/// both `/teams.xlsx` and `/teams.csv` (see [`crate::routes::Routes::downloads`]).
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Format {
    type Rejection = crate::AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Self::of_file(parts.uri.path()).ok_or_else(|| crate::AppError::NotFound("Không có tệp này".into()))
    }
}

/// The audit trail's name for an export of `list` as `format`.
#[must_use]
pub fn action(list: List, format: Format) -> &'static str {
    match (list, format) {
        (List::Members, Format::Xlsx) => "members_xlsx",
        (List::Members, Format::Csv) => "members_csv",
        (List::Teams, Format::Xlsx) => "teams_xlsx",
        (List::Teams, Format::Csv) => "teams_csv",
        (List::Villages, Format::Xlsx) => "villages_xlsx",
        (List::Villages, Format::Csv) => "villages_csv",
    }
}

/// The bytes of the table in a format: an .xlsx workbook, or CSV (UTF-8 with a byte order mark;
/// cells a spreadsheet would run as a formula are prefixed with an apostrophe, as the web's other
/// CSV downloads are).
///
/// # Errors
/// When the workbook cannot be written.
pub fn bytes(table: &Table, format: Format) -> Result<Vec<u8>, sheets::SheetError> {
    match format {
        Format::Xlsx => sheets::write::xlsx(table),
        Format::Csv => Ok(csv(table).into_bytes()),
    }
}

/// A long list written to `out` in a format as its rows come: `table.rows` first, then each row
/// of `more`, none of them kept (the command line's export of a province's members). The file
/// reads as [`bytes`] would have made it; an .xlsx stores its text in the cells rather than in a
/// table of shared strings (see [`sheets::write::xlsx_streamed`]).
///
/// # Errors
/// When the workbook cannot be built or `out` cannot be written.
pub fn write<W: Write + Send>(
    table: &Table,
    more: impl IntoIterator<Item = Vec<Value>>,
    format: Format,
    out: W,
) -> Result<(), sheets::SheetError> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    match format {
        Format::Xlsx => sheets::write::xlsx_streamed(table, more, &mut out)?,
        Format::Csv => write_csv(table, more, &mut out).map_err(|e| sheets::SheetError::Write(e.to_string()))?,
    }
    out.flush().map_err(|e| sheets::SheetError::Write(e.to_string()))
}

/// The table as CSV: the header, then one line a row (no title: a CSV file is read by programs).
/// Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) is prefixed with an
/// apostrophe, as in the web's other CSV downloads; numbers, money and dates are written as they
/// are, so that a reversal's `-500000` stays a number.
#[must_use]
pub fn csv(table: &Table) -> String {
    let mut out = Vec::new();
    // Writing to memory does not fail, and every cell is text: the bytes are UTF-8.
    let _ = write_csv(table, std::iter::empty(), &mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// [`csv`] written line by line: `table.rows`, then the rows of `more`.
fn write_csv(table: &Table, more: impl IntoIterator<Item = Vec<Value>>, out: &mut impl Write) -> std::io::Result<()> {
    let width = table.columns.len();
    let mut line = String::from("\u{feff}");
    for (i, column) in table.columns.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        csv_text(&mut line, &column.header);
    }
    line.push_str("\r\n");
    out.write_all(line.as_bytes())?;
    let mut row_line = |row: &[Value]| {
        line.clear();
        for c in 0..width {
            if c > 0 {
                line.push(',');
            }
            match row.get(c) {
                Some(v @ (Value::Number(_) | Value::Money(_) | Value::Date(_))) => line.push_str(&v.as_text()),
                Some(Value::Text(t)) => csv_text(&mut line, t),
                Some(Value::Empty) | None => {}
            }
        }
        line.push_str("\r\n");
        out.write_all(line.as_bytes())
    };
    for row in &table.rows {
        row_line(row)?;
    }
    for row in more {
        row_line(&row)?;
    }
    Ok(())
}

/// A text cell of [`csv`]: behind an apostrophe when a spreadsheet would run it as a formula,
/// in double quotes (its own doubled) when it holds a comma, a quote or a line break.
fn csv_text(line: &mut String, text: &str) {
    let defused = text.starts_with(['=', '+', '-', '@']);
    let quoted = text.contains([',', '"', '\n', '\r']);
    if quoted {
        line.push('"');
    }
    if defused {
        line.push('\'');
    }
    if quoted {
        line.push_str(&text.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(text);
    }
}

/// The unit path an export is recorded under: the one subtree it covers, if one.
#[must_use]
pub fn unit_path(scope: &Scope) -> Option<String> {
    match scope {
        Scope::Paths(p) if p.len() == 1 => Some(p[0].clone()),
        _ => None,
    }
}

/// The place a list covers, for its title: the names of the units of the scope (the top units
/// for everything).
///
/// # Errors
/// Database errors.
pub async fn place(db: &Db, scope: &Scope) -> Result<String, StoreError> {
    let names: Vec<String> = match scope {
        Scope::All => units::roots(db).await?.into_iter().map(|u| u.name).collect(),
        Scope::Paths(paths) => {
            let mut names = Vec::new();
            for p in paths {
                if let Some(code) = p.split('/').rfind(|s| !s.is_empty()) {
                    names.push(units::latest_by_code(db, code).await?.name);
                }
            }
            names
        }
    };
    Ok(names.join(", "))
}

mod audit;
mod funding;
mod payments;
mod registry;
mod training;

pub(crate) use audit::*;
pub(crate) use funding::*;
pub(crate) use payments::*;
pub(crate) use registry::*;
pub(crate) use training::*;

fn date(stored: Option<&str>) -> Value {
    stored.and_then(store::parse_iso).map_or(Value::Empty, Value::Date)
}

fn count(n: i64) -> Value {
    // Counts of a commune's lists stay far below 2^53.
    #[allow(clippy::cast_precision_loss)]
    Value::Number(n as f64)
}

fn row_number(i: usize) -> Value {
    count(i64::try_from(i + 1).unwrap_or(i64::MAX))
}

fn title(what: &str, place: &str) -> String {
    if place.is_empty() { what.to_owned() } else { format!("{what} — {place}") }
}

/// The parent of each commune (huyện, or the province where districts are gone), by the
/// commune's path.
async fn parents(db: &Db, paths: impl Iterator<Item = &str>) -> Result<HashMap<String, String>, StoreError> {
    let mut out = HashMap::new();
    let mut by_code: HashMap<String, String> = HashMap::new();
    for path in paths {
        if out.contains_key(path) {
            continue;
        }
        let codes: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let name = match codes.len().checked_sub(2).and_then(|i| codes.get(i)) {
            Some(code) => {
                if let Some(n) = by_code.get(*code) {
                    n.clone()
                } else {
                    let n = units::latest_by_code(db, code).await?.name;
                    by_code.insert((*code).to_owned(), n.clone());
                    n
                }
            }
            None => String::new(),
        };
        out.insert(path.to_owned(), name);
    }
    Ok(out)
}

/// Members as a table, in the order given (phones and CCCD as they are in the rows: whole or
/// masked by the caller).
///
/// # Errors
/// Database errors (reading the communes' parent units).
pub async fn members(db: &Db, rows: &[Member], place: &str, day: Date) -> Result<Table, StoreError> {
    let make = MemberRows::new(db, rows).await?;
    let mut table = members_heading(place, day);
    table.rows = rows.iter().enumerate().map(|(i, m)| make.row(i, m)).collect();
    Ok(table)
}

/// The members' table with its title and columns and no rows, for a long list whose rows
/// [`MemberRows`] makes one at a time as the file is written.
#[must_use]
pub fn members_heading(place: &str, day: Date) -> Table {
    let columns = vec![
        Column::new("STT", Kind::Number),
        Column::new("Họ và tên", Kind::Text),
        Column::new("Giới tính", Kind::Text),
        Column::new("Ngày sinh (năm sinh)", Kind::Date),
        Column::new("Số điện thoại", Kind::Text),
        Column::new("CCCD", Kind::Text),
        Column::new("Email", Kind::Text),
        Column::new("Chức vụ trong tổ", Kind::Text),
        Column::new("Chức danh", Kind::Text),
        Column::new("Tổ", Kind::Text),
        Column::new("Thôn", Kind::Text),
        Column::new("Xã", Kind::Text),
        Column::new("Đơn vị cấp trên", Kind::Text),
        Column::new("Ngày vào tổ", Kind::Date),
    ];
    Table {
        sheet: "Thành viên".into(),
        title: title("DANH SÁCH THÀNH VIÊN TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG", place),
        data_date: day,
        columns,
        rows: Vec::new(),
    }
}

/// Makes the rows of [`members_heading`]'s table one member at a time, so that a long list is
/// not held a second time as cells (the command line's export of 600,000 members).
pub struct MemberRows {
    /// The parent unit's name of each commune, by the commune's path.
    parents: HashMap<String, String>,
}

impl MemberRows {
    /// Reads the parent units of the members' communes.
    ///
    /// # Errors
    /// Database errors.
    pub async fn new(db: &Db, rows: &[Member]) -> Result<Self, StoreError> {
        Ok(Self { parents: parents(db, rows.iter().filter_map(|m| m.commune_path.as_deref())).await? })
    }

    /// The row of the `i`-th member (0-based; its STT is `i + 1`).
    #[must_use]
    pub fn row(&self, i: usize, m: &Member) -> Vec<Value> {
        let birth = match (&m.birth_date, m.birth_year) {
            (Some(d), _) => date(Some(d)),
            (None, Some(y)) => count(y),
            _ => Value::Empty,
        };
        let parent = m.commune_path.as_deref().and_then(|p| self.parents.get(p)).map_or("", String::as_str);
        vec![
            row_number(i),
            m.full_name.as_str().into(),
            Gender::from_code(&m.gender).map_or("", |g| g.label()).into(),
            birth,
            m.phone.as_str().into(),
            m.cccd.as_deref().unwrap_or_default().into(),
            m.email.as_deref().unwrap_or_default().into(),
            m.role().map_or("", |r| r.label()).into(),
            m.position().map_or("", |p| p.label()).into(),
            m.team.as_deref().unwrap_or_default().into(),
            m.village.as_deref().unwrap_or_default().into(),
            m.commune.as_deref().unwrap_or_default().into(),
            parent.into(),
            date(m.joined_on.as_deref()),
        ]
    }
}

/// Teams as a table, with each team's leader (tổ trưởng) read from its active members in
/// `scope`.
///
/// # Errors
/// Database errors.
pub async fn teams(db: &Db, scope: &Scope, rows: &[Team], place: &str, day: Date) -> Result<Table, StoreError> {
    let filter = MemberFilter { search: None, include_former: false, numbers_for: None };
    let mut leaders: HashMap<i64, Vec<String>> = HashMap::new();
    for m in people::list(db, scope, &filter, PageRequest::all()).await?.items {
        if let (Some(team), Some(domain::Role::Leader)) = (m.team_id, m.role()) {
            leaders.entry(team).or_default().push(m.full_name);
        }
    }
    let columns = vec![
        Column::new("STT", Kind::Number),
        Column::new("Tên tổ", Kind::Text),
        Column::new("Thôn", Kind::Text),
        Column::new("Xã", Kind::Text),
        Column::new("Ngày thành lập", Kind::Date),
        Column::new("Số thành viên", Kind::Number),
        Column::new("Tổ trưởng", Kind::Text),
        Column::new("Nhóm Zalo", Kind::Text),
        Column::new("Tình trạng", Kind::Text),
        Column::new("Cảnh báo", Kind::Text),
    ];
    let rows = rows
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let status = if t.status == "active" {
                "Đang hoạt động".to_owned()
            } else {
                match t.dissolved_on.as_deref() {
                    Some(d) => format!("Đã giải thể ngày {}", store::display_date(d)),
                    None => "Đã giải thể".to_owned(),
                }
            };
            let issues: Vec<&str> = t.issues().iter().map(|i| i.label()).collect();
            vec![
                row_number(i),
                t.name.clone().into(),
                t.village.clone().into(),
                t.commune.clone().into(),
                date(Some(&t.established_on)),
                count(t.members),
                leaders.get(&t.id).map(|l| l.join(", ")).unwrap_or_default().into(),
                t.zalo_url.clone().unwrap_or_default().into(),
                status.into(),
                issues.join("; ").into(),
            ]
        })
        .collect();
    Ok(Table {
        sheet: "Tổ CNSCĐ".into(),
        title: title("DANH SÁCH TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG", place),
        data_date: day,
        columns,
        rows,
    })
}

/// Villages as a table: whether each has an active team, and whether it is still in use.
#[must_use]
pub fn villages(rows: &[Village], place: &str, day: Date) -> Table {
    let columns = vec![
        Column::new("STT", Kind::Number),
        Column::new("Tên thôn, tổ dân phố", Kind::Text),
        Column::new("Xã", Kind::Text),
        Column::new("Có tổ CNSCĐ", Kind::Text),
        Column::new("Tên tổ", Kind::Text),
        Column::new("Tình trạng", Kind::Text),
    ];
    let rows = rows
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let status = if v.status == "active" {
                "Đang hoạt động".to_owned()
            } else {
                match v.ended_on.as_deref() {
                    Some(d) => format!("Ngừng hoạt động từ ngày {}", store::display_date(d)),
                    None => "Ngừng hoạt động".to_owned(),
                }
            };
            vec![
                row_number(i),
                v.name.clone().into(),
                v.commune.clone().into(),
                if v.team_id.is_some() { "Có" } else { "Chưa có" }.into(),
                v.team.clone().unwrap_or_default().into(),
                status.into(),
            ]
        })
        .collect();
    Table {
        sheet: "Thôn".into(),
        title: title("DANH SÁCH THÔN, TỔ DÂN PHỐ VÀ TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG", place),
        data_date: day,
        columns,
        rows,
    }
}

/// A file name made of words and codes joined by hyphens, the empty ones left out
/// (`so-cai-20335-2025-01-01-2025-03-31`).
#[must_use]
pub fn file_name(parts: &[&str]) -> String {
    let kept: Vec<String> = parts
        .iter()
        .map(|p| {
            p.trim().chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect::<String>()
        })
        .filter(|p| !p.is_empty())
        .collect();
    kept.join("-")
}

/// A download of the table in a format, named `file` (without extension).
///
/// # Errors
/// When the workbook cannot be written.
pub(crate) async fn download(
    table: Table,
    format: Format,
    file: &str,
) -> Result<axum::response::Response, crate::AppError> {
    match format {
        Format::Xlsx => xlsx_download(table, file).await,
        Format::Csv => Ok(csv_download(&table, file)),
    }
}

/// A download of the table as an .xlsx file named `file` (without extension), the workbook
/// written off the request threads.
///
/// # Errors
/// When the workbook cannot be written.
pub(crate) async fn xlsx_download(table: Table, file: &str) -> Result<axum::response::Response, crate::AppError> {
    let bytes = tokio::task::spawn_blocking(move || sheets::write::xlsx(&table))
        .await?
        .map_err(|e| crate::AppError::Internal(format!("xlsx: {e}")))?;
    Ok(attachment(bytes, Format::Xlsx, file))
}

/// A download of the table as CSV named `file` (without extension).
pub(crate) fn csv_download(table: &Table, file: &str) -> axum::response::Response {
    attachment(csv(table).into_bytes(), Format::Csv, file)
}

/// A download of members (see [`members`]) written as their rows are made, off the request
/// threads: a country's list is held once as members, not a second time as cells.
///
/// # Errors
/// Database errors; when the workbook cannot be written.
pub(crate) async fn members_download(
    db: &Db,
    rows: Vec<Member>,
    place: &str,
    day: Date,
    format: Format,
    file: &str,
) -> Result<axum::response::Response, crate::AppError> {
    let make = MemberRows::new(db, &rows).await?;
    let heading = members_heading(place, day);
    let bytes = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        write(&heading, rows.iter().enumerate().map(|(i, m)| make.row(i, m)), format, &mut out).map(|()| out)
    })
    .await?
    .map_err(|e| crate::AppError::Internal(format!("export: {e}")))?;
    Ok(attachment(bytes, format, file))
}

/// The bytes of a file to download, named `file` with the format's extension.
fn attachment(bytes: Vec<u8>, format: Format, file: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (kind, ext) = match format {
        Format::Xlsx => ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    (
        [
            (axum::http::header::CONTENT_TYPE, kind.to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}.{ext}\"")),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_the_extension() {
        assert_eq!(Format::of_file("ds.XLSX"), Some(Format::Xlsx));
        assert_eq!(Format::of_file("thu-muc.v2/ds.csv"), Some(Format::Csv));
        assert_eq!(Format::of_file("ds.xls"), None);
        assert_eq!(Format::of_file("ds"), None);
    }

    #[test]
    fn csv_keeps_leading_zeros_and_defuses_formulas() {
        let table = Table {
            sheet: "t".into(),
            title: "T".into(),
            data_date: time::macros::date!(2025 - 07 - 01),
            columns: vec![Column::new("Số điện thoại", Kind::Text), Column::new("Ghi chú", Kind::Text)],
            rows: vec![vec!["0912345678".into(), "=1+1".into()]],
        };
        assert_eq!(csv(&table), "\u{feff}Số điện thoại,Ghi chú\r\n0912345678,'=1+1\r\n");
    }

    #[test]
    fn csv_writes_negative_amounts_as_numbers_and_quotes_text() {
        let table = Table {
            sheet: "t".into(),
            title: "T".into(),
            data_date: time::macros::date!(2025 - 07 - 01),
            columns: vec![Column::new("Loại", Kind::Text), Column::new("Số tiền", Kind::Money)],
            rows: vec![vec!["-đảo, \"sai\"".into(), Value::Money(-500_000)]],
        };
        assert_eq!(csv(&table), "\u{feff}Loại,Số tiền\r\n\"'-đảo, \"\"sai\"\"\",-500000\r\n");
    }

    #[test]
    fn a_list_written_row_by_row_is_the_list_written_at_once() {
        let mut table = Table {
            sheet: "t".into(),
            title: "T".into(),
            data_date: time::macros::date!(2025 - 07 - 01),
            columns: vec![
                Column::new("Số điện thoại", Kind::Text),
                Column::new("Ghi chú", Kind::Text),
                Column::new("Số tiền", Kind::Money),
                Column::new("Ngày", Kind::Date),
            ],
            rows: Vec::new(),
        };
        let rows = vec![
            vec!["0912345678".into(), "=1+1".into(), Value::Money(-500_000), Value::Empty],
            vec!["-đảo, \"sai\"".into(), Value::Empty, Value::Money(7), table.data_date.into()],
            vec!["@x".into()],
        ];
        let mut streamed = Vec::new();
        write(&table, rows.clone(), Format::Csv, &mut streamed).expect("writes");
        let mut workbook = Vec::new();
        write(&table, rows.clone(), Format::Xlsx, &mut workbook).expect("writes");
        table.rows = rows;
        assert_eq!(String::from_utf8(streamed).expect("UTF-8"), csv(&table));
        let read = |bytes: &[u8]| sheets::read_file("t.xlsx", bytes).expect("reads").sheets.remove(0).rows;
        assert_eq!(read(&workbook), read(&bytes(&table, Format::Xlsx).expect("writes")));
    }

    #[test]
    fn file_names_keep_codes_and_days_and_drop_what_is_empty() {
        assert_eq!(
            file_name(&["so-cai", "20335", "", "2025-01-01", "2025-01-31"]),
            "so-cai-20335-2025-01-01-2025-01-31"
        );
        assert_eq!(file_name(&["so-cai", " ", "a/b"]), "so-cai-a-b");
    }
}
