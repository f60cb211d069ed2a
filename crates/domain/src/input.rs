//! What a person types into a form (or a CSV row, or a JSON body), parsed into values that are
//! valid by construction. Every refusal names its field and says why in Vietnamese.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::{Cccd, Gender, PhoneVn, Position, Role, text};

/// The refusals of one form, field by field, in the order the fields appear.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FieldErrors(pub Vec<FieldError>);

/// One refused field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldErrors {
    pub fn push(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError { field, message: message.into() });
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for one field, if it was refused.
    #[must_use]
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }

    #[must_use]
    pub fn single(field: &'static str, message: impl Into<String>) -> Self {
        let mut e = Self::default();
        e.push(field, message);
        e
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

/// Parses a date written `dd/mm/yyyy` (as Vietnamese forms do) or `yyyy-mm-dd` (as browsers
/// and JSON do).
///
/// # Errors
/// A Vietnamese message when the text is not a real date in either form.
pub fn parse_date(s: &str) -> Result<Date, String> {
    let s = s.trim();
    let bad = || format!("Ngày “{s}” không hợp lệ; hãy viết theo dạng dd/mm/yyyy");
    let parts: Vec<&str> = if s.contains('/') { s.split('/').collect() } else { s.split('-').collect() };
    if parts.len() != 3 {
        return Err(bad());
    }
    let (d, m, y) = if s.contains('/') { (parts[0], parts[1], parts[2]) } else { (parts[2], parts[1], parts[0]) };
    let num = |x: &str| x.trim().parse::<i32>().ok();
    let (Some(d), Some(m), Some(y)) = (num(d), num(m), num(y)) else { return Err(bad()) };
    if !(1800..=2200).contains(&y) {
        return Err(bad());
    }
    let month = u8::try_from(m).ok().and_then(|m| time::Month::try_from(m).ok()).ok_or_else(bad)?;
    let day = u8::try_from(d).map_err(|_| bad())?;
    Date::from_calendar_date(y, month, day).map_err(|_| bad())
}

/// Parses the day something ends (a village deactivated, a team dissolved, a member leaving):
/// empty means today; a day after today is refused.
///
/// # Errors
/// A Vietnamese message for a malformed or future date.
pub fn parse_end_date(s: &str, today: Date) -> Result<Date, String> {
    if s.trim().is_empty() {
        return Ok(today);
    }
    match parse_date(s) {
        Ok(d) if d > today => Err("Ngày ở tương lai".into()),
        other => other,
    }
}

/// Formats a date the Vietnamese way: `dd/mm/yyyy`.
#[must_use]
pub fn format_date(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
}

fn required(errors: &mut FieldErrors, field: &'static str, label: &str, value: &str) -> Option<String> {
    let v = text::clean(value);
    if v.is_empty() {
        errors.push(field, format!("Chưa nhập {label}"));
        None
    } else if v.chars().count() > 150 {
        errors.push(field, format!("{label} dài quá 150 ký tự"));
        None
    } else {
        Some(v)
    }
}

/// A person as typed: every field a string, as it arrives from a form or a file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PersonDraft {
    pub full_name: String,
    /// `male` / `female`, or `Nam` / `Nữ`.
    pub gender: String,
    /// `dd/mm/yyyy`, `yyyy-mm-dd` or a year alone.
    pub birth: String,
    pub phone: String,
    pub cccd: String,
    pub email: String,
}

/// A person whose every field has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonInput {
    pub full_name: String,
    pub gender: Gender,
    pub birth_date: Option<Date>,
    pub birth_year: Option<i32>,
    pub phone: PhoneVn,
    pub cccd: Option<Cccd>,
    pub email: Option<String>,
}

fn parse_gender(s: &str) -> Option<Gender> {
    match text::fold(s).as_str() {
        "male" | "nam" | "m" => Some(Gender::Male),
        "female" | "nu" | "f" => Some(Gender::Female),
        _ => None,
    }
}

fn valid_email(s: &str) -> bool {
    let Some((local, host)) = s.split_once('@') else { return false };
    !local.is_empty()
        && host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c == ',' || c == ';')
        && !host.contains('@')
}

impl PersonDraft {
    /// Checks every field; `today` bounds the birth date.
    ///
    /// # Errors
    /// Every refused field, each with its reason.
    pub fn parse(&self, today: Date) -> Result<PersonInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let full_name = required(&mut errors, "full_name", "họ và tên", &self.full_name);
        if let Some(n) = &full_name
            && !n.chars().all(|c| c.is_alphabetic() || c == ' ' || c == '\'' || c == '-' || c == '.')
        {
            errors.push("full_name", "Họ và tên chỉ gồm chữ cái, dấu cách và dấu nháy");
        }
        let gender = parse_gender(&self.gender);
        if gender.is_none() {
            errors.push("gender", "Chưa chọn giới tính (Nam / Nữ)");
        }
        let (birth_date, birth_year) = match self.birth.trim() {
            "" => {
                errors.push("birth", "Chưa nhập ngày sinh hoặc năm sinh");
                (None, None)
            }
            b if b.len() == 4 && b.bytes().all(|c| c.is_ascii_digit()) => (None, b.parse::<i32>().ok()),
            b => match parse_date(b) {
                Ok(d) => (Some(d), Some(d.year())),
                Err(m) => {
                    errors.push("birth", m);
                    (None, None)
                }
            },
        };
        if let Some(y) = birth_year {
            let max = today.year() - 12;
            if !(1920..=max).contains(&y) {
                errors.push("birth", format!("Năm sinh {y} không hợp lệ (từ 1920 đến {max})"));
            } else if birth_date.is_some_and(|d| d > today) {
                errors.push("birth", "Ngày sinh ở tương lai");
            }
        }
        let phone = match PhoneVn::parse(&self.phone) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push("phone", e.to_string());
                None
            }
        };
        let cccd = if self.cccd.trim().is_empty() {
            None
        } else {
            match Cccd::parse(&self.cccd, gender, birth_year) {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push("cccd", e.to_string());
                    None
                }
            }
        };
        let email = text::clean(&self.email).to_lowercase();
        let email = if email.is_empty() {
            None
        } else if valid_email(&email) && email.len() <= 150 {
            Some(email)
        } else {
            errors.push("email", format!("Địa chỉ thư điện tử “{email}” không hợp lệ"));
            None
        };
        match (full_name, gender, phone) {
            (Some(full_name), Some(gender), Some(phone)) if errors.is_empty() => {
                Ok(PersonInput { full_name, gender, birth_date, birth_year, phone, cccd, email })
            }
            _ => Err(errors),
        }
    }
}

/// A membership as typed: the role in the team, the position outside it, the day of joining.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MembershipDraft {
    pub role: String,
    pub position: String,
    pub joined_on: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MembershipInput {
    pub role: Role,
    pub position: Position,
    pub joined_on: Date,
}

fn by_code_or_label<T: Copy>(
    all: &[T],
    s: &str,
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Option<T> {
    let f = text::fold(s);
    all.iter().copied().find(|x| code(*x) == s.trim() || text::fold(label(*x)) == f)
}

impl MembershipDraft {
    /// # Errors
    /// Every refused field.
    pub fn parse(&self, today: Date) -> Result<MembershipInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let role = by_code_or_label(&Role::ALL, &self.role, Role::code, Role::label);
        if role.is_none() {
            errors.push("role", "Chưa chọn vai trò trong tổ (Tổ trưởng / Tổ phó / Thành viên)");
        }
        let position = by_code_or_label(&Position::ALL, &self.position, Position::code, Position::label);
        if position.is_none() {
            errors.push("position", "Chưa chọn chức danh");
        }
        let joined_on = if self.joined_on.trim().is_empty() {
            Some(today)
        } else {
            match parse_date(&self.joined_on) {
                Ok(d) if d > today => {
                    errors.push("joined_on", "Ngày vào tổ ở tương lai");
                    None
                }
                Ok(d) => Some(d),
                Err(m) => {
                    errors.push("joined_on", m);
                    None
                }
            }
        };
        match (role, position, joined_on) {
            (Some(role), Some(position), Some(joined_on)) => Ok(MembershipInput { role, position, joined_on }),
            _ => Err(errors),
        }
    }
}

/// A team as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TeamDraft {
    pub name: String,
    pub established_on: String,
    pub zalo_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamInput {
    /// Empty means "Tổ công nghệ số cộng đồng" followed by the village's name.
    pub name: Option<String>,
    pub established_on: Date,
    pub zalo_url: Option<String>,
}

/// Checks a Zalo group link: `https://zalo.me/g/…` (the form Zalo gives for a group invitation).
///
/// # Errors
/// A Vietnamese message when the link is not a Zalo link.
pub fn parse_zalo_url(s: &str) -> Result<Option<String>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")).unwrap_or(s);
    let ok_host = rest.strip_prefix("zalo.me/").or_else(|| rest.strip_prefix("www.zalo.me/"));
    match ok_host {
        Some(path) if !path.is_empty() && path.chars().all(|c| c.is_ascii_alphanumeric() || "/-_?=&.".contains(c)) => {
            Ok(Some(format!("https://zalo.me/{path}")))
        }
        _ => Err(format!("Liên kết nhóm Zalo “{s}” không hợp lệ; hãy dán liên kết dạng https://zalo.me/g/…")),
    }
}

impl TeamDraft {
    /// # Errors
    /// Every refused field.
    pub fn parse(&self, today: Date) -> Result<TeamInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = text::clean(&self.name);
        if name.chars().count() > 150 {
            errors.push("name", "Tên tổ dài quá 150 ký tự");
        }
        let established_on = match parse_date(&self.established_on) {
            Ok(d) if d > today => {
                errors.push("established_on", "Ngày thành lập ở tương lai");
                None
            }
            Ok(d) => Some(d),
            Err(_) if self.established_on.trim().is_empty() => {
                errors.push("established_on", "Chưa nhập ngày thành lập");
                None
            }
            Err(m) => {
                errors.push("established_on", m);
                None
            }
        };
        let zalo_url = parse_zalo_url(&self.zalo_url).unwrap_or_else(|m| {
            errors.push("zalo_url", m);
            None
        });
        match established_on {
            Some(established_on) if errors.is_empty() => {
                Ok(TeamInput { name: (!name.is_empty()).then_some(name), established_on, zalo_url })
            }
            _ => Err(errors),
        }
    }
}

/// A village's name as typed.
///
/// # Errors
/// An empty or overlong name.
pub fn parse_village_name(s: &str) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::default();
    match required(&mut errors, "name", "tên thôn / tổ dân phố", s) {
        Some(n) => Ok(n),
        None => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    const TODAY: Date = date!(2026 - 11 - 29);

    fn draft() -> PersonDraft {
        PersonDraft {
            full_name: "  Nguyễn   Văn Hùng ".into(),
            gender: "Nam".into(),
            birth: "15/03/1985".into(),
            phone: "0912 345 678".into(),
            cccd: String::new(),
            email: String::new(),
        }
    }

    #[test]
    fn dates_in_both_forms() {
        assert_eq!(parse_date("28/08/2024"), Ok(date!(2024 - 08 - 28)));
        assert_eq!(parse_date("2024-08-28"), Ok(date!(2024 - 08 - 28)));
        assert!(parse_date("31/02/2024").is_err());
        assert!(parse_date("hôm qua").is_err());
        assert_eq!(format_date(date!(2024 - 08 - 08)), "08/08/2024");
    }

    #[test]
    fn end_dates_default_to_today_and_refuse_the_future() {
        assert_eq!(parse_end_date("", TODAY), Ok(TODAY));
        assert_eq!(parse_end_date("01/01/2025", TODAY), Ok(date!(2025 - 01 - 01)));
        assert_eq!(parse_end_date("30/11/2026", TODAY), Err("Ngày ở tương lai".into()));
        assert!(parse_end_date("32/01/2025", TODAY).is_err());
    }

    #[test]
    fn a_good_person_is_cleaned() {
        let p = draft().parse(TODAY).expect("valid");
        assert_eq!(p.full_name, "Nguyễn Văn Hùng");
        assert_eq!(p.gender, Gender::Male);
        assert_eq!(p.birth_year, Some(1985));
        assert_eq!(p.phone.as_str(), "0912345678");
    }

    #[test]
    fn every_bad_field_is_named() {
        let d = PersonDraft {
            full_name: String::new(),
            gender: "x".into(),
            birth: "1850".into(),
            phone: "123".into(),
            cccd: String::new(),
            email: "a@b".into(),
        };
        let e = d.parse(TODAY).expect_err("invalid");
        for f in ["full_name", "gender", "birth", "phone", "email"] {
            assert!(e.get(f).is_some(), "{f} not reported in {e}");
        }
    }

    #[test]
    fn zalo_links() {
        assert_eq!(parse_zalo_url("zalo.me/g/abc123"), Ok(Some("https://zalo.me/g/abc123".into())));
        assert_eq!(parse_zalo_url(""), Ok(None));
        assert!(parse_zalo_url("https://evil.example/g/x").is_err());
        assert!(parse_zalo_url("https://zalo.me/<script>").is_err());
    }

    #[test]
    fn membership_accepts_labels_and_codes() {
        let m =
            MembershipDraft {
                role: "Tổ trưởng".into(), position: "commune_official".into(), joined_on: String::new()
            };
        let m = m.parse(TODAY).expect("valid");
        assert_eq!((m.role, m.position, m.joined_on), (Role::Leader, Position::CommuneOfficial, TODAY));
        let bad = MembershipDraft { role: "vua".into(), position: String::new(), joined_on: "01/01/2030".into() };
        let e = bad.parse(TODAY).expect_err("invalid");
        assert_eq!(e.0.len(), 3);
    }

    #[test]
    fn team_needs_a_past_date() {
        let t = TeamDraft { name: String::new(), established_on: "01/09/2023".into(), zalo_url: String::new() };
        assert_eq!(t.parse(TODAY).expect("valid").name, None);
        let t = TeamDraft { established_on: "01/09/2030".into(), ..t };
        assert!(t.parse(TODAY).expect_err("future").get("established_on").is_some());
    }
}
