//! Citizen IDs (số Căn cước công dân, CCCD): 12 digits.
//!
//! | digits | meaning                                                                  |
//! |--------|--------------------------------------------------------------------------|
//! | 1–3    | province of birth registration: `0` + a pre-2025 GSO province code       |
//! | 4      | gender and century: 0/1 male/female 1900s, 2/3 2000s, 4/5 2100s, 6/7 2200s, 8/9 1800s |
//! | 5–6    | last two digits of the birth year                                        |
//! | 7–12   | a random number                                                          |
//!
//! A CCCD identifies a person: never log it, and show it [`Cccd::masked`] where the whole
//! number is not needed. Error messages therefore never repeat the number.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Gender;

/// The 63 two-digit province codes of the General Statistics Office in force before
/// 1 July 2025 (01 Hà Nội … 49 Quảng Nam … 96 Cà Mau). A CCCD starts with `0` and one of them.
pub const PROVINCE_CODES: [&str; 63] = [
    "01", "02", "04", "06", "08", "10", "11", "12", "14", "15", "17", "19", "20", "22", "24", "25", "26", "27", "30",
    "31", "33", "34", "35", "36", "37", "38", "40", "42", "44", "45", "46", "48", "49", "51", "52", "54", "56", "58",
    "60", "62", "64", "66", "67", "68", "70", "72", "74", "75", "77", "79", "80", "82", "83", "84", "86", "87", "89",
    "91", "92", "93", "94", "95", "96",
];

/// A citizen ID: 12 ASCII digits with a known province and a gender/century digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Cccd(String);

/// Why a text is not an acceptable citizen ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CccdError {
    #[error("Số CCCD phải có đúng 12 chữ số; số đã nhập có {digits} chữ số")]
    WrongLength { digits: usize },
    #[error("Số CCCD chỉ gồm chữ số (0–9)")]
    NotDigits,
    #[error("Số CCCD không hợp lệ: mã tỉnh nơi đăng ký khai sinh {prefix} (3 chữ số đầu) không tồn tại")]
    UnknownProvince { prefix: String },
    #[error(
        "Số CCCD là của {}, trái với giới tính đã khai ({})",
        gender_word(.encoded),
        gender_word(.declared)
    )]
    GenderMismatch { encoded: Gender, declared: Gender },
    #[error(
        "Số CCCD cho biết người sinh trong các năm {century_start}–{}, trái với năm sinh đã khai \
         ({declared})",
        .century_start + 99
    )]
    CenturyMismatch { declared: i32, century_start: i32 },
    #[error("Số CCCD ghi năm sinh {encoded}, khác với năm sinh đã khai ({declared})")]
    YearMismatch { declared: i32, encoded: i32 },
}

fn gender_word(gender: &Gender) -> &'static str {
    match gender {
        Gender::Male => "nam",
        Gender::Female => "nữ",
    }
}

impl Cccd {
    /// Parses a citizen ID, ignoring whitespace, dots and dashes. When the gender or the birth
    /// year is known, the number must agree with them.
    ///
    /// # Errors
    /// [`CccdError`] says what is wrong, in Vietnamese, without repeating the number.
    pub fn parse(s: &str, gender: Option<Gender>, birth_year: Option<i32>) -> Result<Self, CccdError> {
        let digits: String = s.chars().filter(|&c| !(c.is_whitespace() || c == '.' || c == '-')).collect();
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CccdError::NotDigits);
        }
        if digits.len() != 12 {
            return Err(CccdError::WrongLength { digits: digits.len() });
        }
        if !(digits.starts_with('0') && PROVINCE_CODES.contains(&&digits[1..3])) {
            return Err(CccdError::UnknownProvince { prefix: digits[..3].to_owned() });
        }
        let cccd = Self(digits);
        if let Some(declared) = gender {
            let encoded = cccd.gender();
            if encoded != declared {
                return Err(CccdError::GenderMismatch { encoded, declared });
            }
        }
        if let Some(declared) = birth_year {
            let century_start = cccd.century_start();
            if declared.div_euclid(100) * 100 != century_start {
                return Err(CccdError::CenturyMismatch { declared, century_start });
            }
            let encoded = cccd.birth_year_hint();
            if encoded != declared {
                return Err(CccdError::YearMismatch { declared, encoded });
            }
        }
        Ok(cccd)
    }

    /// The stored 12 digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-digit GSO code of the province of birth registration, e.g. `"49"`.
    #[must_use]
    pub fn province_code(&self) -> &str {
        &self.0[1..3]
    }

    /// The gender encoded in the 4th digit (even: male, odd: female).
    #[must_use]
    pub fn gender(&self) -> Gender {
        if self.digit(3).is_multiple_of(2) { Gender::Male } else { Gender::Female }
    }

    /// The birth year encoded in digits 4–6 (century and last two digits).
    #[must_use]
    pub fn birth_year_hint(&self) -> i32 {
        self.century_start() + i32::from(self.digit(4)) * 10 + i32::from(self.digit(5))
    }

    /// First three and last three digits visible: `049******123`.
    #[must_use]
    pub fn masked(&self) -> String {
        format!("{}******{}", &self.0[..3], &self.0[9..])
    }

    fn digit(&self, index: usize) -> u8 {
        self.0.as_bytes()[index] - b'0'
    }

    fn century_start(&self) -> i32 {
        match self.digit(3) / 2 {
            0 => 1900,
            1 => 2000,
            2 => 2100,
            3 => 2200,
            _ => 1800,
        }
    }
}

impl fmt::Display for Cccd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Cccd {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for Cccd {
    type Error = CccdError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s, None, None)
    }
}

impl TryFrom<String> for Cccd {
    type Error = CccdError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s, None, None)
    }
}

impl FromStr for Cccd {
    type Err = CccdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s, None, None)
    }
}

impl From<Cccd> for String {
    fn from(cccd: Cccd) -> Self {
        cccd.0
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn province_codes_are_63_distinct_two_digit_codes_in_order() {
        let set: HashSet<&str> = PROVINCE_CODES.iter().copied().collect();
        assert_eq!(set.len(), 63);
        assert!(PROVINCE_CODES.iter().all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_digit())));
        assert!(PROVINCE_CODES.windows(2).all(|w| w[0] < w[1]));
        for code in ["01", "48", "49", "79", "96"] {
            assert!(set.contains(code), "{code}");
        }
    }

    #[test]
    fn parses_and_reads_the_digits() {
        let c = Cccd::parse(" 049 0 85 012 123 ", Some(Gender::Male), Some(1985)).expect("valid");
        assert_eq!(c.as_str(), "049085012123");
        assert_eq!(c.to_string(), "049085012123");
        assert_eq!(c.province_code(), "49");
        assert_eq!(c.gender(), Gender::Male);
        assert_eq!(c.birth_year_hint(), 1985);
        assert_eq!(c.masked(), "049******123");

        let c = Cccd::parse("048.303.000.001", None, None).expect("valid");
        assert_eq!((c.gender(), c.birth_year_hint()), (Gender::Female, 2003));
        let c: Cccd = "001-9-50-000001".parse().expect("valid");
        assert_eq!((c.gender(), c.birth_year_hint()), (Gender::Female, 1850));
        let c = Cccd::try_from("096400000001").expect("valid");
        assert_eq!((c.gender(), c.birth_year_hint()), (Gender::Male, 2100));
        let c = Cccd::try_from("096712000001").expect("valid");
        assert_eq!((c.gender(), c.birth_year_hint()), (Gender::Female, 2212));
    }

    #[test]
    fn shape_errors() {
        assert_eq!(Cccd::parse("", None, None), Err(CccdError::WrongLength { digits: 0 }));
        assert_eq!(Cccd::parse("04908501212", None, None), Err(CccdError::WrongLength { digits: 11 }));
        assert_eq!(Cccd::parse("0490850121234", None, None), Err(CccdError::WrongLength { digits: 13 }));
        assert_eq!(Cccd::parse("04908501212A", None, None), Err(CccdError::NotDigits));
        assert_eq!(Cccd::parse("049/085/012/123", None, None), Err(CccdError::NotDigits));
        assert_eq!(Cccd::parse("０49085012123", None, None), Err(CccdError::NotDigits));
    }

    #[test]
    fn unknown_provinces() {
        for bad in ["003", "050", "097", "149", "000"] {
            let s = format!("{bad}085012123");
            assert_eq!(Cccd::parse(&s, None, None), Err(CccdError::UnknownProvince { prefix: bad.to_owned() }));
        }
    }

    #[test]
    fn contradictions() {
        let s = "049185012123"; // female, 1985
        assert!(Cccd::parse(s, Some(Gender::Female), Some(1985)).is_ok());
        assert_eq!(
            Cccd::parse(s, Some(Gender::Male), Some(1985)),
            Err(CccdError::GenderMismatch { encoded: Gender::Female, declared: Gender::Male })
        );
        assert_eq!(
            Cccd::parse(s, None, Some(2085)),
            Err(CccdError::CenturyMismatch { declared: 2085, century_start: 1900 })
        );
        assert_eq!(Cccd::parse(s, None, Some(1986)), Err(CccdError::YearMismatch { declared: 1986, encoded: 1985 }));
        // Gender is checked before the year.
        assert!(matches!(Cccd::parse(s, Some(Gender::Male), Some(1700)), Err(CccdError::GenderMismatch { .. })));
    }

    #[test]
    fn messages_are_vietnamese_and_do_not_leak_the_number() {
        let e = CccdError::GenderMismatch { encoded: Gender::Male, declared: Gender::Female };
        assert_eq!(e.to_string(), "Số CCCD là của nam, trái với giới tính đã khai (nữ)");
        let e = CccdError::UnknownProvince { prefix: "050".into() };
        assert!(e.to_string().contains("mã tỉnh nơi đăng ký khai sinh 050"));
        assert!(e.to_string().contains("không tồn tại"));
        let e = CccdError::CenturyMismatch { declared: 2001, century_start: 1900 };
        assert_eq!(
            e.to_string(),
            "Số CCCD cho biết người sinh trong các năm 1900–1999, trái với năm sinh đã khai (2001)"
        );
        let e = CccdError::YearMismatch { declared: 1986, encoded: 1985 };
        assert_eq!(e.to_string(), "Số CCCD ghi năm sinh 1985, khác với năm sinh đã khai (1986)");
        let e = Cccd::parse("049185012123", Some(Gender::Male), None).expect_err("mismatch");
        assert!(!e.to_string().contains("012123"));
    }
}
