//! Administrative units as the General Statistics Office lists them, read from the CSV files
//! shipped in `data/admin-units/` (columns `code,name,level,parent_code`).

use serde::{Deserialize, Serialize};

/// Cấp hành chính — the level of an administrative unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Tỉnh / Thành phố trực thuộc trung ương
    Province,
    /// Huyện / Quận / Thị xã / Thành phố thuộc tỉnh
    District,
    /// Xã / Phường / Thị trấn / Đặc khu
    Commune,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Province, Level::District, Level::Commune];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::District => "district",
            Level::Commune => "commune",
        }
    }

    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Level::Province => "Cấp tỉnh",
            Level::District => "Cấp huyện",
            Level::Commune => "Cấp xã",
        }
    }
}

/// One row of an administrative-unit state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRow {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent_code: Option<String>,
}

/// Why a unit file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitFileError {
    #[error("Tệp đơn vị hành chính thiếu dòng tiêu đề `code,name,level,parent_code`")]
    MissingHeader,
    #[error("Dòng {line}: {reason}")]
    BadRow { line: usize, reason: String },
}

/// Reads a state file (`code,name,level,parent_code`, UTF-8, header row). Every parent must be
/// listed before its children.
///
/// # Errors
/// A missing header, a row without four fields, an unknown level, a code that is not digits, a
/// duplicate code, or a parent that is not in the file.
pub fn parse_state_csv(text: &str) -> Result<Vec<UnitRow>, UnitFileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim() == "code,name,level,parent_code" => {}
        _ => return Err(UnitFileError::MissingHeader),
    }
    let mut rows: Vec<UnitRow> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in lines {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: &str| UnitFileError::BadRow { line: line_no, reason: reason.to_owned() };
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != 4 {
            return Err(bad("cần đúng 4 cột"));
        }
        let code = fields[0].trim();
        if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("mã đơn vị phải là chữ số"));
        }
        let level = Level::from_code(fields[2].trim()).ok_or_else(|| bad("cấp không hợp lệ"))?;
        let parent = fields[3].trim();
        let parent_code = if parent.is_empty() {
            None
        } else {
            if !seen.contains(parent) {
                return Err(bad("đơn vị cấp trên chưa có trong tệp"));
            }
            Some(parent.to_owned())
        };
        if !seen.insert(code.to_owned()) {
            return Err(bad("mã đơn vị bị trùng"));
        }
        rows.push(UnitRow { code: code.to_owned(), name: crate::text::clean(fields[1]), level, parent_code });
    }
    Ok(rows)
}

/// The state of Quảng Nam from 10/04/2023 to 31/12/2024, the state of the August 2024 report.
pub const QUANG_NAM_2023: &str = include_str!("../../../data/admin-units/quang-nam-2023-04-10.csv");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quang_nam_has_18_districts_and_241_communes() {
        let rows = parse_state_csv(QUANG_NAM_2023).expect("shipped file parses");
        let count = |l| rows.iter().filter(|r| r.level == l).count();
        assert_eq!(count(Level::Province), 1);
        assert_eq!(count(Level::District), 18);
        assert_eq!(count(Level::Commune), 241);
        let tam_ky = rows.iter().find(|r| r.code == "502").expect("Tam Kỳ");
        assert_eq!(tam_ky.name, "Thành phố Tam Kỳ");
    }

    #[test]
    fn bad_files_are_refused_with_the_line() {
        assert_eq!(parse_state_csv("a,b\n"), Err(UnitFileError::MissingHeader));
        let orphan = "code,name,level,parent_code\n20335,Phường X,commune,502\n";
        assert!(matches!(parse_state_csv(orphan), Err(UnitFileError::BadRow { line: 2, .. })));
        let bad_level = "code,name,level,parent_code\n49,Tỉnh Quảng Nam,state,\n";
        assert!(matches!(parse_state_csv(bad_level), Err(UnitFileError::BadRow { line: 2, .. })));
    }
}
