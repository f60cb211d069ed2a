//! Reading an uploaded list (.xlsx, .xls, .csv) into the store's neutral import rows: the
//! header found on each sheet, the column mapping (shown to the person importing, who may
//! correct it), and the rows under it. The command line and the web upload share it, so a file
//! reads the same in both.

use sheets::columns::{self, Field};
use store::import::{ImportRow, ImportSheet, RowIssue, keys};

/// What a file lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Members,
    Villages,
    Teams,
}

/// One column of a sheet as it was read: its letter, its header, and what it was taken to hold.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MappedColumn {
    pub letter: String,
    pub header: String,
    /// The field's Vietnamese label; `None` for a column that is not read.
    pub field: Option<String>,
}

/// How one sheet was read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mapping {
    pub sheet: String,
    /// The header row as Excel numbers it (1-based).
    pub header_row: usize,
    pub columns: Vec<MappedColumn>,
}

/// A file read for importing.
#[derive(Debug, Clone, Default)]
pub struct FileRead {
    pub sheets: Vec<ImportSheet>,
    /// Sheets whose header was not found: each keeps the whole file from being applied.
    pub problems: Vec<RowIssue>,
    pub mappings: Vec<Mapping>,
}

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Sheet(#[from] sheets::SheetError),
    #[error("Không có trang “{wanted}” trong tệp; các trang: {names}")]
    NoSuchSheet { wanted: String, names: String },
    #[error(
        "Danh sách thôn, tổ không có thông tin “{0}”: chỉ chọn Huyện, Xã, Thôn, Tên tổ, Ngày thành lập, Nhóm Zalo hoặc bỏ qua"
    )]
    NotForPlaces(String),
}

/// The key of a header in a list of villages or teams.
fn place_key(header: &str) -> Option<&'static str> {
    let key = columns::header_key(header);
    if key.contains("thanhlap") {
        return Some(keys::ESTABLISHED_ON);
    }
    if key.contains("zalo") {
        return Some(keys::ZALO_URL);
    }
    Field::from_header(header).and_then(place_key_of)
}

/// The key a field has in a list of villages or teams; `None` for what such a list does not hold.
#[must_use]
pub fn place_key_of(field: Field) -> Option<&'static str> {
    match field {
        Field::Village => Some(keys::VILLAGE),
        Field::Commune => Some(keys::COMMUNE),
        Field::District => Some(keys::DISTRICT),
        Field::Team => Some(keys::TEAM),
        Field::Founded => Some(keys::ESTABLISHED_ON),
        Field::Zalo => Some(keys::ZALO_URL),
        _ => None,
    }
}

/// The fields a list of villages or teams may hold, in the order a form has them.
pub const PLACE_FIELDS: [Field; 6] =
    [Field::District, Field::Commune, Field::Village, Field::Team, Field::Founded, Field::Zalo];

/// Corrects the mapping of a list of villages or teams as [`columns::apply_overrides`] does for
/// members: a column by its letter or header text, taken as a field or ignored.
fn apply_place_overrides(
    header: &[String],
    mapped: &mut Vec<(usize, &'static str)>,
    overrides: &[(String, Option<Field>)],
) -> Result<(), ReadError> {
    for (column, field) in overrides {
        let key = columns::header_key(column);
        let col = header
            .iter()
            .position(|h| !key.is_empty() && columns::header_key(h) == key)
            .or_else(|| columns::column_index(column).filter(|c| *c < header.len().max(1)))
            .ok_or_else(|| sheets::SheetError::UnknownColumn(column.trim().to_owned()))?;
        let target = match field {
            None => None,
            Some(f) => Some(place_key_of(*f).ok_or_else(|| ReadError::NotForPlaces(f.label().to_owned()))?),
        };
        mapped.retain(|(c, k)| *c != col && Some(*k) != target);
        if let Some(k) = target {
            mapped.push((col, k));
        }
    }
    mapped.sort_unstable();
    Ok(())
}

/// The signature block that ends a list of villages or teams.
fn ends_list(row: &[String]) -> bool {
    row.iter().any(|t| {
        let key = columns::header_key(t);
        ["nguoilap", "thutruong", "xacnhan", "kyghiro"].iter().any(|m| key.starts_with(m))
            || (key.starts_with("tm") && key.contains("ubnd"))
    })
}

/// A list of villages or teams: the header is the row of the first 20 that names the most fields,
/// with a village column; the rows under it up to a signature block, without blank rows, total
/// rows ("Tổng cộng", "Cộng", "Tổng", a row of counts only) and rows of column numbers.
fn place_sheet(
    sheet: &sheets::Sheet,
    overrides: &[(String, Option<Field>)],
) -> Result<Option<(ImportSheet, Mapping)>, ReadError> {
    // The row naming the most fields, with a village column (a title above may name one field).
    let mut best: Option<(usize, Vec<(usize, &'static str)>)> = None;
    for (r, row) in sheet.rows.iter().take(20).enumerate() {
        let mapped: Vec<(usize, &'static str)> =
            row.iter().enumerate().filter_map(|(c, h)| place_key(h).map(|k| (c, k))).collect();
        if mapped.iter().any(|(_, k)| *k == keys::VILLAGE) && best.as_ref().is_none_or(|(_, b)| mapped.len() > b.len())
        {
            best = Some((r, mapped));
        }
    }
    let Some((at, mut mapped)) = best else { return Ok(None) };
    apply_place_overrides(&sheet.rows[at], &mut mapped, overrides)?;
    let village_col = mapped.iter().find(|(_, k)| *k == keys::VILLAGE).map_or(0, |(c, _)| *c);
    let rows = sheet
        .rows
        .iter()
        .enumerate()
        .skip(at + 1)
        .take_while(|(_, row)| !ends_list(row))
        .filter(|(_, row)| !columns::is_summary_row(row, village_col))
        .map(|(r, row)| ImportRow {
            row: r + 1,
            values: mapped
                .iter()
                .filter_map(|(c, k)| row.get(*c).filter(|v| !v.trim().is_empty()).map(|v| ((*k).to_owned(), v.clone())))
                .collect(),
        })
        .filter(|r| !r.values.is_empty())
        .collect();
    let header = &sheet.rows[at];
    let mapping = Mapping {
        sheet: sheet.name.clone(),
        header_row: at + 1,
        columns: header
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.trim().is_empty())
            .map(|(c, h)| MappedColumn {
                letter: columns::column_letter(c),
                header: h.clone(),
                field: mapped.iter().find(|(mc, _)| *mc == c).map(|(_, k)| place_label(k).to_owned()),
            })
            .collect(),
    };
    Ok(Some((
        ImportSheet {
            name: sheet.name.clone(),
            columns: mapped.iter().map(|(c, k)| ((*k).to_owned(), columns::column_letter(*c))).collect(),
            rows,
        },
        mapping,
    )))
}

/// The store's key for a field of the sheet; `None` for what a member import does not use.
fn key_of(field: Field) -> Option<&'static str> {
    Some(match field {
        Field::FullName => keys::FULL_NAME,
        Field::Phone => keys::PHONE,
        Field::Cccd => keys::CCCD,
        Field::Gender => keys::GENDER,
        Field::Male => keys::MALE,
        Field::Female => keys::FEMALE,
        Field::BirthDate | Field::BirthMale | Field::BirthFemale => keys::BIRTH_DATE,
        Field::BirthYear => keys::BIRTH_YEAR,
        Field::Position => keys::POSITION,
        Field::Role => keys::ROLE,
        Field::Village => keys::VILLAGE,
        Field::Commune => keys::COMMUNE,
        Field::District => keys::DISTRICT,
        Field::Email => keys::EMAIL,
        Field::Stt | Field::Team | Field::Note | Field::Founded | Field::Zalo => return None,
    })
}

/// The label of a key of a list of villages or teams, as the mapping shows it.
fn place_label(key: &str) -> &'static str {
    PLACE_FIELDS.into_iter().find(|f| place_key_of(*f) == Some(key)).map_or("", Field::label)
}

/// Reads a file into the store's rows, with an error for each sheet whose header is not
/// recognised. `only` picks one sheet by name; `overrides` corrects the detected mapping (column
/// letter or header text, and the field it holds or `None` to ignore it); a list of villages or
/// teams takes only the fields of [`PLACE_FIELDS`].
///
/// # Errors
/// A file that cannot be read, a sheet that is not there, or an override naming no column (or,
/// for villages and teams, a field such a list does not hold).
pub fn read(
    name: &str,
    bytes: &[u8],
    only: Option<&str>,
    kind: ListKind,
    overrides: &[(String, Option<Field>)],
) -> Result<FileRead, ReadError> {
    let book = sheets::read_file(name, bytes)?;
    let chosen: Vec<&sheets::Sheet> = match only {
        None => book.sheets.iter().filter(|s| !s.rows.is_empty()).collect(),
        Some(wanted) => {
            let w = domain::text::fold(wanted);
            let found: Vec<&sheets::Sheet> =
                book.sheets.iter().filter(|s| domain::text::fold(&s.name) == w).take(1).collect();
            if found.is_empty() {
                let names: Vec<&str> = book.sheets.iter().map(|s| s.name.as_str()).collect();
                return Err(ReadError::NoSuchSheet { wanted: wanted.to_owned(), names: names.join(", ") });
            }
            found
        }
    };
    let mut out = FileRead::default();
    for sheet in chosen {
        if kind != ListKind::Members {
            match place_sheet(sheet, overrides)? {
                Some((s, mapping)) => {
                    out.sheets.push(s);
                    out.mappings.push(mapping);
                }
                None => out.problems.push(RowIssue {
                    sheet: sheet.name.clone(),
                    row: 0,
                    column: None,
                    message: "Không nhận ra dòng tiêu đề: cần ít nhất cột “Thôn” trong 20 dòng đầu".into(),
                }),
            }
            continue;
        }
        let Some(mut header) = columns::detect_header(sheet) else {
            out.problems.push(RowIssue {
                sheet: sheet.name.clone(),
                row: 0,
                column: None,
                message: "Không nhận ra dòng tiêu đề: cần ít nhất cột “Họ và tên” trong 20 dòng đầu".into(),
            });
            continue;
        };
        columns::apply_overrides(&mut header, overrides)?;
        let mut mapped = Vec::new();
        for &(col, field) in &header.columns {
            if let Some(k) = key_of(field) {
                mapped.push((k.to_owned(), columns::column_letter(col)));
                if matches!(field, Field::BirthMale | Field::BirthFemale) {
                    mapped.push((keys::GENDER.to_owned(), columns::column_letter(col)));
                }
            }
        }
        let rows = columns::data_rows(sheet, &header)
            .map(|raw| ImportRow {
                row: raw.row,
                values: raw.values.iter().filter_map(|(f, v)| key_of(*f).map(|k| (k.to_owned(), v.clone()))).collect(),
            })
            .collect();
        out.mappings.push(Mapping {
            sheet: sheet.name.clone(),
            header_row: header.row + 1,
            columns: header
                .describe()
                .into_iter()
                .map(|(letter, header, field)| MappedColumn {
                    letter,
                    header,
                    field: field.map(|f| f.label().to_owned()),
                })
                .collect(),
        });
        out.sheets.push(ImportSheet { name: sheet.name.clone(), columns: mapped, rows });
    }
    Ok(out)
}
