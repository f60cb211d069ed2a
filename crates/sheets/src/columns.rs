//! Which column holds what: finding the header row of a list as provinces write them (title rows
//! above it, wording that varies, a second header row under merged cells, a row of column
//! numbers under it) and reading the rows of people below it, without the blank rows, the
//! repeated headers, the totals and the signatures at the bottom.

use std::sync::LazyLock;

use domain::text::fold;

use crate::SheetError;
use crate::read::Sheet;

/// A piece of information a list of team members can hold, one per column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Số thứ tự (STT).
    Stt,
    /// Họ và tên.
    FullName,
    /// Số điện thoại.
    Phone,
    /// Số căn cước công dân / số định danh cá nhân.
    Cccd,
    /// Giới tính, written as a word ("Nam", "Nữ").
    Gender,
    /// A "Nam" column of a form that ticks men in one column …
    Male,
    /// … and women in a "Nữ" column.
    Female,
    /// Ngày sinh.
    BirthDate,
    /// Năm sinh.
    BirthYear,
    /// The birth date (or year) written in the "Nam" column under a "Ngày sinh" header: a man.
    BirthMale,
    /// The birth date (or year) written in the "Nữ" column under a "Ngày sinh" header: a woman.
    BirthFemale,
    /// Chức vụ / chức danh: what the person is outside the team.
    Position,
    /// Vai trò trong tổ: tổ trưởng, tổ phó, thành viên.
    Role,
    /// Thôn, tổ dân phố, khối phố.
    Village,
    /// Xã, phường, thị trấn, đặc khu.
    Commune,
    /// Huyện, quận, thị xã, thành phố thuộc tỉnh.
    District,
    /// Tổ công nghệ số cộng đồng.
    Team,
    /// Thư điện tử.
    Email,
    /// Ghi chú.
    Note,
    /// Ngày thành lập: the day a team was founded (lists of teams).
    Founded,
    /// Nhóm Zalo: the link to a team's Zalo group (lists of teams).
    Zalo,
}

impl Field {
    /// Every field, in the order a form usually has them.
    pub const ALL: [Field; 21] = [
        Field::Stt,
        Field::FullName,
        Field::BirthDate,
        Field::BirthYear,
        Field::BirthMale,
        Field::BirthFemale,
        Field::Gender,
        Field::Male,
        Field::Female,
        Field::Cccd,
        Field::Phone,
        Field::Email,
        Field::Position,
        Field::Role,
        Field::Team,
        Field::Village,
        Field::Commune,
        Field::District,
        Field::Note,
        Field::Founded,
        Field::Zalo,
    ];

    /// The name shown to the person checking the mapping.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Stt => "STT",
            Self::FullName => "Họ và tên",
            Self::Phone => "Số điện thoại",
            Self::Cccd => "Số CCCD",
            Self::Gender => "Giới tính",
            Self::Male => "Nam",
            Self::Female => "Nữ",
            Self::BirthDate => "Ngày sinh",
            Self::BirthYear => "Năm sinh",
            Self::BirthMale => "Ngày sinh (Nam)",
            Self::BirthFemale => "Ngày sinh (Nữ)",
            Self::Position => "Chức danh",
            Self::Role => "Vai trò trong tổ",
            Self::Village => "Thôn, tổ dân phố",
            Self::Commune => "Xã, phường",
            Self::District => "Huyện, quận",
            Self::Team => "Tổ công nghệ số",
            Self::Email => "Email",
            Self::Note => "Ghi chú",
            Self::Founded => "Ngày thành lập",
            Self::Zalo => "Nhóm Zalo",
        }
    }

    /// Header wordings that mean this field, as written (compared after [`header_key`]).
    #[must_use]
    pub fn synonyms(self) -> &'static [&'static str] {
        match self {
            Self::Stt => &["STT", "TT", "Số TT", "Số thứ tự"],
            Self::FullName => &[
                "Họ và tên",
                "Họ tên",
                "Họ và tên thành viên",
                "Họ tên thành viên",
                "Họ và tên người",
                "Tên thành viên",
                "Họ, tên",
                "Họ và tên đầy đủ",
            ],
            Self::Phone => &[
                "Số điện thoại",
                "SĐT",
                "Điện thoại",
                "Số ĐT",
                "ĐT",
                "ĐTDĐ",
                "Di động",
                "Số điện thoại liên hệ",
                "Điện thoại liên hệ",
                "Số di động",
            ],
            Self::Cccd => &[
                "CCCD",
                "Số CCCD",
                "Căn cước công dân",
                "Số căn cước công dân",
                "Căn cước",
                "Số căn cước",
                "Số định danh",
                "Số định danh cá nhân",
                "CMND",
                "Số CMND",
                "CCCD/CMND",
                "Số CCCD/CMND",
                "CMND/CCCD",
                "Số CMND/CCCD",
            ],
            Self::Gender => &["Giới tính", "GT", "Nam/Nữ", "Nam, nữ"],
            Self::Male => &["Nam"],
            Self::Female => &["Nữ"],
            Self::BirthDate => &["Ngày sinh", "Ngày tháng năm sinh", "Ngày, tháng, năm sinh", "Sinh ngày"],
            Self::BirthYear => &["Năm sinh"],
            Self::BirthMale => &["Ngày sinh Nam", "Năm sinh Nam"],
            Self::BirthFemale => &["Ngày sinh Nữ", "Năm sinh Nữ"],
            Self::Position => &[
                "Chức vụ",
                "Chức danh",
                "Chức vụ, chức danh",
                "Chức danh, chức vụ",
                "Chức vụ/chức danh",
                "Chức danh/chức vụ",
                "Chức vụ hiện nay",
                "Chức vụ, đơn vị công tác",
                "Nghề nghiệp, chức vụ",
            ],
            Self::Role => &[
                "Vai trò",
                "Vai trò trong tổ",
                "Chức danh trong tổ",
                "Chức vụ trong tổ",
                "Vị trí trong tổ",
                "Nhiệm vụ trong tổ",
                "Nhiệm vụ",
            ],
            Self::Village => &[
                "Thôn",
                "Thôn, tổ dân phố",
                "Thôn/tổ dân phố",
                "Tổ dân phố",
                "Khối phố",
                "Thôn, khối phố",
                "Thôn, tổ",
                "Thôn/Tổ",
                "Tên thôn",
                "Thôn, bản",
                "Thôn, tổ dân phố, khối phố",
            ],
            Self::Commune => &[
                "Xã",
                "Phường",
                "Xã, phường",
                "Xã/phường",
                "Xã, phường, thị trấn",
                "Xã, phường, đặc khu",
                "Xã, phường, thị trấn, đặc khu",
                "Đơn vị cấp xã",
                "Tên xã",
            ],
            Self::District => &[
                "Huyện",
                "Quận",
                "Huyện, quận",
                "Quận, huyện",
                "Huyện/quận",
                "Huyện, thị xã, thành phố",
                "Huyện, quận, thị xã, thành phố",
                "Thị xã",
                "Đơn vị cấp trên",
            ],
            Self::Team => &["Tổ", "Tên tổ", "Tổ công nghệ số", "Tổ công nghệ số cộng đồng", "Tổ CNSCĐ", "Thuộc tổ"],
            Self::Email => &["Email", "E-mail", "Thư điện tử", "Địa chỉ email", "Gmail"],
            Self::Note => &["Ghi chú", "Ghi chú khác"],
            Self::Founded => &["Ngày thành lập", "Ngày thành lập tổ", "Thành lập ngày", "Ngày lập tổ", "Ngày TL"],
            Self::Zalo => &["Nhóm Zalo", "Zalo", "Link Zalo", "Đường dẫn nhóm Zalo", "Link nhóm Zalo"],
        }
    }

    /// The field a header wording means, if any.
    #[must_use]
    pub fn from_header(header: &str) -> Option<Field> {
        /// Every wording's key, reduced once.
        static KEYS: LazyLock<Vec<(String, Field)>> = LazyLock::new(|| {
            Field::ALL.into_iter().flat_map(|f| f.synonyms().iter().map(move |s| (header_key(s), f))).collect()
        });
        let key = header_key(header);
        if key.is_empty() {
            return None;
        }
        KEYS.iter().find(|(k, _)| *k == key).map(|(_, f)| *f)
    }

    /// The field a person names when correcting the mapping: its label, any of its header
    /// wordings, or its code name ("phone").
    #[must_use]
    pub fn parse(name: &str) -> Option<Field> {
        let key = header_key(name);
        Field::ALL
            .into_iter()
            .find(|f| header_key(f.label()) == key || header_key(&format!("{f:?}")) == key)
            .or_else(|| Field::from_header(name))
    }
}

/// What to do with a column when correcting the mapping: take it as a field, or ignore it.
/// Parses "bỏ qua" / "-" / "" as ignore.
///
/// # Errors
/// [`SheetError::UnknownField`] when the text names no field.
pub fn parse_target(name: &str) -> Result<Option<Field>, SheetError> {
    let key = header_key(name);
    if key.is_empty() || key == "boqua" || key == "khongnhap" || key == "ignore" {
        return Ok(None);
    }
    Field::parse(name).map(Some).ok_or_else(|| SheetError::UnknownField(name.trim().to_owned()))
}

/// A header wording reduced for comparison: without what is in brackets, diacritics, case,
/// spaces and punctuation ("Họ và tên (ghi đầy đủ)" → "hovaten", "SĐT" → "sdt").
#[must_use]
pub fn header_key(header: &str) -> String {
    let mut plain = String::with_capacity(header.len());
    let mut depth = 0usize;
    for c in header.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            c if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    fold(&plain).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Excel's letter for a 0-based column: 0 → "A", 26 → "AA".
#[must_use]
pub fn column_letter(col: usize) -> String {
    let mut n = col + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + u8::try_from(rem).unwrap_or(0)));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// The 0-based column of an Excel letter ("C" → 2), for one to three letters.
#[must_use]
pub fn column_index(letters: &str) -> Option<usize> {
    let letters = letters.trim();
    if letters.is_empty() || letters.len() > 3 || !letters.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut n = 0usize;
    for c in letters.chars() {
        n = n * 26 + usize::from(c.to_ascii_uppercase() as u8 - b'A') + 1;
    }
    Some(n - 1)
}

/// The header found on a sheet and what each column was taken to mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMatch {
    /// The 0-based index of the (first) header row.
    pub row: usize,
    /// 1, or 2 when a second header row sits under merged cells ("Giới tính" over Nam | Nữ).
    pub header_rows: usize,
    /// The header text of every column, two rows joined by " / ".
    pub headers: Vec<String>,
    /// The columns taken as a field, by 0-based column, in column order.
    pub columns: Vec<(usize, Field)>,
    /// The columns with a header that means nothing we know, and their header.
    pub unknown: Vec<(usize, String)>,
}

impl HeaderMatch {
    /// The column of a field, if mapped.
    #[must_use]
    pub fn column_of(&self, field: Field) -> Option<usize> {
        self.columns.iter().find(|(_, f)| *f == field).map(|(c, _)| *c)
    }

    /// The field of a column, if mapped.
    #[must_use]
    pub fn field_of(&self, col: usize) -> Option<Field> {
        self.columns.iter().find(|(c, _)| *c == col).map(|(_, f)| *f)
    }

    /// The mapping as a person checks it: column letter, header text, field.
    #[must_use]
    pub fn describe(&self) -> Vec<(String, String, Option<Field>)> {
        self.headers
            .iter()
            .enumerate()
            .filter(|(c, h)| !h.is_empty() || self.field_of(*c).is_some())
            .map(|(c, h)| (column_letter(c), h.clone(), self.field_of(c)))
            .collect()
    }

    fn set(&mut self, col: usize, field: Option<Field>) {
        self.columns.retain(|(c, f)| *c != col && Some(*f) != field);
        self.unknown.retain(|(c, _)| *c != col);
        match field {
            Some(f) => {
                self.columns.push((col, f));
                self.columns.sort_unstable();
            }
            None => {
                self.unknown.push((col, self.headers.get(col).cloned().unwrap_or_default()));
                self.unknown.sort_unstable();
            }
        }
        // A column whose field was taken by another becomes unknown.
        let mapped: Vec<usize> = self.columns.iter().map(|(c, _)| *c).collect();
        for (c, h) in self.headers.iter().enumerate() {
            if !h.is_empty() && !mapped.contains(&c) && !self.unknown.iter().any(|(u, _)| *u == c) {
                self.unknown.push((c, h.clone()));
            }
        }
        self.unknown.sort_unstable();
    }
}

/// How many rows from the top are searched for the header.
const HEADER_SEARCH_ROWS: usize = 20;

/// Finds the header row among the first 20 rows: the one whose cells match the most field
/// wordings, with at least a name column; and under it, a second header row when the cells of
/// the first were merged over it ("Giới tính" over "Nam" | "Nữ", or "Ngày sinh" over "Nam" |
/// "Nữ" where the birth date written in one of them also tells the gender).
#[must_use]
pub fn detect_header(sheet: &Sheet) -> Option<HeaderMatch> {
    let mut best: Option<(usize, usize)> = None;
    for (r, row) in sheet.rows.iter().enumerate().take(HEADER_SEARCH_ROWS) {
        let fields: Vec<Field> = row.iter().filter_map(|c| Field::from_header(c)).collect();
        if !fields.contains(&Field::FullName) {
            continue;
        }
        let mut distinct = fields.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if best.is_none_or(|(_, n)| distinct.len() > n) {
            best = Some((r, distinct.len()));
        }
    }
    let (mut row, _) = best?;
    // The row found may be the lower row of a two-row header whose upper cells were merged
    // down over it: then the header starts one row up.
    let name_at = |r: usize| sheet.rows[r].iter().position(|c| Field::from_header(c) == Some(Field::FullName));
    if row > 0 && name_at(row).is_some_and(|c| sheet.cell(row - 1, c) == sheet.cell(row, c)) {
        row -= 1;
    }
    let top = &sheet.rows[row];
    let name_col = top.iter().position(|c| Field::from_header(c) == Some(Field::FullName))?;
    let next = sheet.rows.get(row + 1);
    let two_rows = next.is_some_and(|n| {
        let name_below = n.get(name_col).map_or("", String::as_str);
        (name_below.is_empty() || name_below == top[name_col])
            && n.iter()
                .enumerate()
                .any(|(c, t)| t != top.get(c).map_or("", String::as_str) && Field::from_header(t).is_some())
    });
    let width = sheet.width();
    let mut headers = Vec::with_capacity(width);
    let mut columns: Vec<(usize, Field)> = Vec::new();
    let mut unknown = Vec::new();
    for c in 0..width {
        let upper = sheet.cell(row, c);
        let lower = if two_rows { sheet.cell(row + 1, c) } else { "" };
        let header = if lower.is_empty() || lower == upper {
            upper.to_owned()
        } else if upper.is_empty() {
            lower.to_owned()
        } else {
            format!("{upper} / {lower}")
        };
        let top_field = Field::from_header(upper);
        let sub_field = if lower == upper { None } else { Field::from_header(lower) };
        let field = match (top_field, sub_field) {
            (Some(Field::BirthDate | Field::BirthYear), Some(Field::Male)) => Some(Field::BirthMale),
            (Some(Field::BirthDate | Field::BirthYear), Some(Field::Female)) => Some(Field::BirthFemale),
            (_, Some(f)) => Some(f),
            (Some(f), None) => Some(f),
            (None, None) => None,
        };
        match field {
            Some(f) if !columns.iter().any(|(_, g)| *g == f) => columns.push((c, f)),
            _ if !header.is_empty() => unknown.push((c, header.clone())),
            _ => {}
        }
        headers.push(header);
    }
    Some(HeaderMatch { row, header_rows: if two_rows { 2 } else { 1 }, headers, columns, unknown })
}

/// Corrects the mapping: each pair names a column (its letter, "C", or its header text) and
/// what it holds (`None`: ignore it). A field given to a column is taken from any other.
///
/// # Errors
/// [`SheetError::UnknownColumn`] when a column is neither a header text nor a letter within
/// the sheet; the mapping is left unchanged then.
pub fn apply_overrides(header: &mut HeaderMatch, overrides: &[(String, Option<Field>)]) -> Result<(), SheetError> {
    let mut resolved = Vec::with_capacity(overrides.len());
    for (column, field) in overrides {
        let key = header_key(column);
        let by_header = header.headers.iter().position(|h| !key.is_empty() && header_key(h) == key);
        let col = by_header
            .or_else(|| column_index(column).filter(|c| *c < header.headers.len().max(1)))
            .ok_or_else(|| SheetError::UnknownColumn(column.trim().to_owned()))?;
        resolved.push((col, *field));
    }
    for (col, field) in resolved {
        header.set(col, field);
    }
    Ok(())
}

/// A row of a list as read: where it is, and the text of each mapped column that is filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    /// The sheet's name (one sheet per commune often names the commune only there).
    pub sheet: String,
    /// The row number Excel shows (1-based).
    pub row: usize,
    /// The filled cells, by field, in column order. A birth date under "Ngày sinh / Nam"
    /// comes as [`Field::Gender`] "Nam" and [`Field::BirthDate`] (or [`Field::BirthYear`]
    /// when it is a year alone).
    pub values: Vec<(Field, String)>,
}

impl RawRow {
    /// The text of a field, if filled.
    #[must_use]
    pub fn get(&self, field: Field) -> Option<&str> {
        self.values.iter().find(|(f, _)| *f == field).map(|(_, v)| v.as_str())
    }
}

/// The rows of people under the header: blank rows, rows of column numbers ("(1)", "(2)" …),
/// repeated header rows, rows with only an STT, and total rows ("Tổng cộng", "Cộng", "Tổng", a
/// row of counts only: see [`is_summary_row`]) are
/// skipped; reading stops at the signature block ("Người lập biểu", "Thủ trưởng đơn vị" …).
pub fn data_rows<'a>(sheet: &'a Sheet, header: &'a HeaderMatch) -> impl Iterator<Item = RawRow> + 'a {
    let start = header.row + header.header_rows;
    let keys: Vec<String> = header.headers.iter().map(|h| header_key(h)).collect();
    sheet
        .rows
        .iter()
        .enumerate()
        .skip(start)
        .take_while(|(_, row)| !is_footer(row))
        .filter(move |(_, row)| !skip_row(row, header, &keys))
        .map(move |(r, row)| RawRow { sheet: sheet.name.clone(), row: r + 1, values: values(row, header) })
        .filter(|raw| !raw.values.is_empty())
}

fn values(row: &[String], header: &HeaderMatch) -> Vec<(Field, String)> {
    let mut out = Vec::new();
    for &(c, field) in &header.columns {
        let Some(text) = row.get(c).filter(|t| !t.is_empty()) else { continue };
        match field {
            Field::BirthMale | Field::BirthFemale => {
                let gender = if field == Field::BirthMale { "Nam" } else { "Nữ" };
                out.push((Field::Gender, gender.to_owned()));
                let is_year = text.len() == 4 && text.chars().all(|c| c.is_ascii_digit());
                out.push((if is_year { Field::BirthYear } else { Field::BirthDate }, text.clone()));
            }
            _ => out.push((field, text.clone())),
        }
    }
    out
}

fn skip_row(row: &[String], header: &HeaderMatch, keys: &[String]) -> bool {
    let filled: Vec<(usize, &String)> = row.iter().enumerate().filter(|(_, t)| !t.is_empty()).collect();
    if filled.is_empty() {
        return true;
    }
    // Only an STT (an empty numbered line of a template), or nothing in a mapped column.
    let stt = header.column_of(Field::Stt);
    if filled.iter().all(|(c, _)| Some(*c) == stt || header.field_of(*c).is_none()) {
        return true;
    }
    // The header again (printed on every page, or one header per commune block).
    let repeated = header
        .columns
        .iter()
        .filter(|(c, _)| {
            row.get(*c).is_some_and(|t| !t.is_empty() && keys.get(*c).is_some_and(|k| header_key(t) == *k))
        })
        .count();
    if repeated >= 2
        || header.column_of(Field::FullName).and_then(|c| row.get(c)).and_then(|t| Field::from_header(t))
            == Some(Field::FullName)
    {
        return true;
    }
    // A total row, or a row of column numbers under the header: (1) (2) (3) …
    is_summary_row(row, header.column_of(Field::FullName).unwrap_or(0))
}

/// A row that sums up the rows above it, or numbers the columns, rather than being one: "Tổng
/// cộng", "Tổng số", "Cộng" or "Tổng" in one of the cells up to the label column (the name, the
/// village) — at least the first two —, or counts only: each filled cell a number of at most
/// seven digits, with or without separators or brackets ("15", "1.240", "(3)"). A phone number
/// or a CCCD is longer, so a row holding one is a row of a person.
#[must_use]
pub fn is_summary_row(row: &[String], label_col: usize) -> bool {
    if row.iter().take(label_col.max(1) + 1).any(|t| is_total(t)) {
        return true;
    }
    let mut filled = row.iter().map(|t| t.trim()).filter(|t| !t.is_empty()).peekable();
    filled.peek().is_some()
        && filled.all(|t| {
            let digits: String = t
                .trim_start_matches('(')
                .trim_end_matches(')')
                .chars()
                .filter(|c| !matches!(c, '.' | ',' | ' ' | '\u{a0}'))
                .collect();
            (1..=7).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
        })
}

fn is_total(text: &str) -> bool {
    // Folded for the unambiguous phrases; with diacritics for the single words, which would
    // otherwise take "Công" or "Tòng" for a total.
    let key = header_key(text);
    let exact: String = domain::text::nfc(text).to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
    key.starts_with("tongcong") || key.starts_with("tongso") || exact == "cộng" || exact == "tổng"
}

/// The first row of the signature block under a list: a cell that begins with a signer's title
/// ("Người lập biểu", "Thủ trưởng đơn vị", "TM. Ủy ban nhân dân", "KT. Chủ tịch", "(Ký, ghi rõ
/// họ tên)"), a signer's title alone on a short row, or the place-and-date line.
fn is_footer(row: &[String]) -> bool {
    const STARTS: [&str; 11] = [
        "nguoilapbieu",
        "nguoilapbang",
        "nguoilapdanhsach",
        "nguoiduyet",
        "thutruongdonvi",
        "ketoantruong",
        "kyghirohoten",
        "kyvaghirohoten",
        "kyhoten",
        "kytenvadongdau",
        "xacnhancua",
    ];
    const ALONE: [&str; 6] = ["chutich", "phochutich", "giamdoc", "phogiamdoc", "truongphong", "thutruong"];
    let filled = row.iter().filter(|t| !t.is_empty()).count();
    row.iter().any(|t| {
        // Folded like a header, but keeping what is in brackets: "(Ký, ghi rõ họ tên)".
        let key: String = fold(t).chars().filter(|c| c.is_alphanumeric()).collect();
        STARTS.iter().any(|m| key.starts_with(m))
            || (key.starts_with("tm") && (key.contains("uybannhandan") || key.contains("ubnd")))
            || (key.starts_with("kt") && key.contains("chutich"))
            || (filled <= 2 && ALONE.contains(&key.as_str()))
            || (filled <= 2 && key.contains("ngay") && key.contains("thang") && key.contains("nam") && t.contains(','))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        for i in [0, 1, 25, 26, 27, 51, 52, 701, 702, 5000] {
            assert_eq!(column_index(&column_letter(i)), Some(i));
        }
        assert_eq!(column_index("c"), Some(2));
        assert_eq!(column_index("Xã"), None);
        assert_eq!(column_index(""), None);
    }

    #[test]
    fn header_wordings() {
        assert_eq!(Field::from_header("Họ và tên"), Some(Field::FullName));
        assert_eq!(Field::from_header("HỌ VÀ TÊN\n(ghi đầy đủ)"), Some(Field::FullName));
        assert_eq!(Field::from_header("Họ tên"), Some(Field::FullName));
        assert_eq!(Field::from_header("SĐT"), Some(Field::Phone));
        assert_eq!(Field::from_header("Điện thoại"), Some(Field::Phone));
        assert_eq!(Field::from_header("Chức danh"), Some(Field::Position));
        assert_eq!(Field::from_header("Thôn, tổ dân phố"), Some(Field::Village));
        assert_eq!(Field::from_header("Xã, phường"), Some(Field::Commune));
        assert_eq!(Field::from_header("Năm sinh"), Some(Field::BirthYear));
        assert_eq!(Field::from_header("Ngày sinh"), Some(Field::BirthDate));
        assert_eq!(Field::from_header("Nữ"), Some(Field::Female));
        assert_eq!(Field::from_header("Số CCCD/CMND"), Some(Field::Cccd));
        assert_eq!(Field::from_header("Quê quán"), None);
        assert_eq!(Field::from_header(""), None);
    }

    #[test]
    fn every_synonym_is_one_field_only() {
        for f in Field::ALL {
            for s in f.synonyms() {
                assert_eq!(Field::from_header(s), Some(f), "{s}");
            }
        }
    }

    #[test]
    fn targets() {
        assert_eq!(parse_target("SĐT"), Ok(Some(Field::Phone)));
        assert_eq!(parse_target("phone"), Ok(Some(Field::Phone)));
        assert_eq!(parse_target("Bỏ qua"), Ok(None));
        assert_eq!(parse_target("Chức danh"), Ok(Some(Field::Position)));
        assert!(matches!(parse_target("Quê quán"), Err(SheetError::UnknownField(_))));
    }

    #[test]
    fn totals_and_footers() {
        assert!(is_total("Tổng cộng"));
        assert!(is_total("TỔNG CỘNG:"));
        assert!(is_total("Cộng"));
        assert!(!is_total("Công"));
        assert!(!is_total("Nguyễn Văn Tổng"));
        let row = |cells: &[&str]| cells.iter().map(|c| (*c).to_owned()).collect::<Vec<String>>();
        assert!(is_summary_row(&row(&["", "Cộng", "", "12"]), 2));
        assert!(is_summary_row(&row(&["Tổng", "", "12"]), 2));
        assert!(is_summary_row(&row(&["", "", "15", "1.240", " 7 "]), 1));
        assert!(is_summary_row(&row(&["(1)", "(2)", "(3)"]), 1));
        assert!(!is_summary_row(&row(&["", "", "0912000001"]), 1), "a phone alone is a person's row");
        assert!(!is_summary_row(&row(&["3", "Thôn Cộng Hòa", "Tam Thăng"]), 1));
        assert!(!is_summary_row(&row(&["", "", ""]), 1));
        assert!(is_footer(&["".into(), "NGƯỜI LẬP BIỂU".into()]));
        assert!(is_footer(&["Người lập bảng".into()]));
        assert!(is_footer(&["".into(), "Tam Kỳ, ngày 28 tháng 8 năm 2024".into()]));
        assert!(is_footer(&["".into(), "KT. CHỦ TỊCH".into(), "".into(), "PHÓ CHỦ TỊCH".into()]));
        assert!(is_footer(&["".into(), "(Ký, ghi rõ họ tên)".into()]));
        assert!(!is_footer(&["1".into(), "Trần Văn Đức".into(), "Chủ tịch UBND xã".into()]));
        assert!(!is_footer(&["2".into(), "Lê Thị Hà".into(), "Chủ tịch".into(), "Chờ xác nhận của xã".into()]));
    }
}
