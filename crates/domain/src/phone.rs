//! Vietnamese mobile numbers.
//!
//! A [`PhoneVn`] is always a valid mobile number in its national form, 10 digits starting with
//! `0` (`0912345678`). Parsing accepts what people and spreadsheets actually write:
//! `0912 345 678`, `0912.345.678`, `0912-345-678`, `+84912345678`, `+84 912 345 678`,
//! `(+84) 912 345 678`, `84912345678`, and `912345678` (Excel drops the leading zero) when its
//! first two digits are a mobile prefix.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The two digits after the leading `0` of Vietnamese mobile numbers.
pub const MOBILE_PREFIXES: [&str; 37] = [
    "32", "33", "34", "35", "36", "37", "38", "39", //
    "52", "55", "56", "58", "59", //
    "70", "76", "77", "78", "79", //
    "81", "82", "83", "84", "85", "86", "87", "88", "89", //
    "90", "91", "92", "93", "94", "95", "96", "97", "98", "99",
];

/// A Vietnamese mobile number, stored as 10 digits starting with `0`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct PhoneVn(String);

/// Why a text is not a Vietnamese mobile number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("Chưa nhập số điện thoại")]
    Empty,
    #[error(
        "Số điện thoại chứa ký tự không hợp lệ «{ch}»: chỉ được dùng chữ số, dấu cách, dấu chấm, \
         dấu gạch ngang, dấu ngoặc và dấu + ở đầu"
    )]
    InvalidCharacter { ch: char },
    #[error(
        "Số điện thoại có {digits} chữ số: số di động Việt Nam có 10 chữ số, bắt đầu bằng 0 \
         (ví dụ 0912 345 678)"
    )]
    WrongLength { digits: usize },
    #[error(
        "Đây là số máy bàn (bắt đầu bằng 02), không phải số di động: hãy nhập số di động, \
         ví dụ 0912 345 678"
    )]
    Landline,
    #[error("Đầu số {prefix} không phải đầu số di động Việt Nam (ví dụ đúng: 0912 345 678)")]
    UnknownPrefix { prefix: String },
    #[error(
        "Số điện thoại có dấu + phải bắt đầu bằng +84 (mã nước Việt Nam); \
         số nước ngoài không được chấp nhận"
    )]
    ForeignNumber,
}

impl PhoneVn {
    /// Parses a Vietnamese mobile number written in any of the usual ways.
    ///
    /// # Errors
    /// [`PhoneError`] says what is wrong, in Vietnamese, for the person who typed it.
    pub fn parse(s: &str) -> Result<Self, PhoneError> {
        let mut digits = String::with_capacity(12);
        let mut plus = false;
        for ch in s.chars() {
            match ch {
                '0'..='9' => digits.push(ch),
                '+' if !plus && digits.is_empty() => plus = true,
                '.' | '-' | '(' | ')' => {}
                c if c.is_whitespace() => {}
                c => return Err(PhoneError::InvalidCharacter { ch: c }),
            }
        }
        if digits.is_empty() {
            return if plus { Err(PhoneError::WrongLength { digits: 0 }) } else { Err(PhoneError::Empty) };
        }

        let national = if plus {
            // +84 912 345 678, and also +84 0912 345 678.
            let rest = digits.strip_prefix("84").ok_or(PhoneError::ForeignNumber)?;
            format!("0{}", rest.strip_prefix('0').unwrap_or(rest))
        } else if digits.starts_with('0') {
            digits
        } else if digits.len() == 9 && is_mobile_prefix(&digits[..2]) {
            // Excel turned 0912345678 into the number 912345678.
            format!("0{digits}")
        } else if let Some(rest) = digits.strip_prefix("84").filter(|r| r.len() >= 9) {
            // 84912345678, 840912345678.
            format!("0{}", rest.strip_prefix('0').unwrap_or(rest))
        } else if digits.starts_with('2') && digits.len() == 10 {
            // A landline that lost its leading zero: 2363822123.
            return Err(PhoneError::Landline);
        } else {
            digits
        };

        if national.starts_with("02") {
            return Err(PhoneError::Landline);
        }
        if national.len() != 10 || !national.starts_with('0') {
            return Err(PhoneError::WrongLength { digits: national.len() });
        }
        if !is_mobile_prefix(&national[1..3]) {
            return Err(PhoneError::UnknownPrefix { prefix: national[..3].to_owned() });
        }
        Ok(Self(national))
    }

    /// The stored form, `0912345678`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For people to read: `0912 345 678`.
    #[must_use]
    pub fn display(&self) -> String {
        format!("{} {} {}", &self.0[..4], &self.0[4..7], &self.0[7..])
    }

    /// For lists shown to people who need not see the whole number: `0912 *** 678`.
    #[must_use]
    pub fn masked(&self) -> String {
        format!("{} *** {}", &self.0[..4], &self.0[7..])
    }
}

fn is_mobile_prefix(two_digits: &str) -> bool {
    MOBILE_PREFIXES.contains(&two_digits)
}

impl fmt::Display for PhoneVn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PhoneVn {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for PhoneVn {
    type Error = PhoneError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl TryFrom<String> for PhoneVn {
    type Error = PhoneError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl FromStr for PhoneVn {
    type Err = PhoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<PhoneVn> for String {
    fn from(phone: PhoneVn) -> Self {
        phone.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        match PhoneVn::parse(s) {
            Ok(p) => p.as_str().to_owned(),
            Err(e) => panic!("{s:?} rejected: {e}"),
        }
    }

    #[test]
    fn accepted_forms_normalise() {
        for s in [
            "0912345678",
            "0912 345 678",
            "0912.345.678",
            "0912-345-678",
            "+84912345678",
            "+84 912 345 678",
            "84912345678",
            "84 912 345 678",
            "(+84) 912 345 678",
            "(+84) 912.345.678",
            "+84 (0) 912 345 678",
            "+840912345678",
            "912345678",
            "912 345 678",
            " 0912\u{a0}345\t678 ",
            "(0912) 345-678",
        ] {
            assert_eq!(ok(s), "0912345678", "{s:?}");
        }
    }

    #[test]
    fn prefixes() {
        assert_eq!(ok("0321234567"), "0321234567");
        assert_eq!(ok("0861234567"), "0861234567");
        assert_eq!(ok("841234567"), "0841234567");
        assert_eq!(ok("+84 84 123 4567"), "0841234567");
        assert_eq!(ok("84841234567"), "0841234567");
        assert_eq!(PhoneVn::parse("0112345678"), Err(PhoneError::UnknownPrefix { prefix: "011".into() }));
        assert_eq!(PhoneVn::parse("0512345678"), Err(PhoneError::UnknownPrefix { prefix: "051".into() }));
        assert_eq!(PhoneVn::parse("+84 112 345 678"), Err(PhoneError::UnknownPrefix { prefix: "011".into() }));
        assert_eq!(MOBILE_PREFIXES.len(), 37);
    }

    #[test]
    fn landlines() {
        assert_eq!(PhoneVn::parse("0236 3822 123"), Err(PhoneError::Landline));
        assert_eq!(PhoneVn::parse("+84 236 3822 123"), Err(PhoneError::Landline));
        assert_eq!(PhoneVn::parse("2363822123"), Err(PhoneError::Landline));
        assert_eq!(PhoneVn::parse("024 3825 1234"), Err(PhoneError::Landline));
    }

    #[test]
    fn wrong_lengths() {
        assert_eq!(PhoneVn::parse("091234567"), Err(PhoneError::WrongLength { digits: 9 }));
        assert_eq!(PhoneVn::parse("09123456789"), Err(PhoneError::WrongLength { digits: 11 }));
        assert_eq!(PhoneVn::parse("+84 91234567"), Err(PhoneError::WrongLength { digits: 9 }));
        assert_eq!(PhoneVn::parse("12345"), Err(PhoneError::WrongLength { digits: 5 }));
        assert_eq!(PhoneVn::parse("112345678"), Err(PhoneError::WrongLength { digits: 9 }));
        assert_eq!(PhoneVn::parse("+"), Err(PhoneError::WrongLength { digits: 0 }));
    }

    #[test]
    fn bad_characters_and_empty() {
        assert_eq!(PhoneVn::parse(""), Err(PhoneError::Empty));
        assert_eq!(PhoneVn::parse("  - "), Err(PhoneError::Empty));
        assert_eq!(PhoneVn::parse("0912 abc 678"), Err(PhoneError::InvalidCharacter { ch: 'a' }));
        assert_eq!(PhoneVn::parse("0912/345/678"), Err(PhoneError::InvalidCharacter { ch: '/' }));
        assert_eq!(PhoneVn::parse("0912+345678"), Err(PhoneError::InvalidCharacter { ch: '+' }));
        assert_eq!(PhoneVn::parse("++84912345678"), Err(PhoneError::InvalidCharacter { ch: '+' }));
        // Full-width digits are not ASCII digits.
        assert_eq!(PhoneVn::parse("０912345678"), Err(PhoneError::InvalidCharacter { ch: '０' }));
        assert_eq!(PhoneVn::parse("+1 555 123 4567"), Err(PhoneError::ForeignNumber));
        assert_eq!(PhoneVn::parse("+0912345678"), Err(PhoneError::ForeignNumber));
    }

    #[test]
    fn forms_of_output() {
        let p: PhoneVn = "+84 912 345 678".parse().expect("valid");
        assert_eq!(p.as_str(), "0912345678");
        assert_eq!(p.to_string(), "0912345678");
        assert_eq!(p.display(), "0912 345 678");
        assert_eq!(p.masked(), "0912 *** 678");
        assert_eq!(PhoneVn::try_from("0912.345.678"), Ok(p.clone()));
    }

    #[test]
    fn messages_are_vietnamese() {
        assert_eq!(PhoneError::Empty.to_string(), "Chưa nhập số điện thoại");
        assert!(PhoneError::Landline.to_string().contains("số máy bàn"));
        assert!(
            PhoneError::UnknownPrefix { prefix: "011".into() }
                .to_string()
                .contains("Đầu số 011 không phải đầu số di động Việt Nam")
        );
        assert!(
            PhoneError::WrongLength { digits: 9 }
                .to_string()
                .contains("số di động Việt Nam có 10 chữ số, bắt đầu bằng 0")
        );
        assert!(PhoneError::InvalidCharacter { ch: 'x' }.to_string().contains("chứa ký tự không hợp lệ «x»"));
    }
}
