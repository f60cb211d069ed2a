//! Money: whole Vietnamese đồng (VND), never floating point.
//!
//! A [`Vnd`] is an `i64` count of đồng. Arithmetic is checked and never wraps; there are no
//! `+`/`-`/`*` operators on purpose, so every sum says what happens on overflow.
//!
//! Three forms for people:
//! - figures, [`Vnd::display`]: `7.440.000.000 ₫` (dots between thousands, Luật Kế toán 2015
//!   Art. 11), and [`Vnd::grouped`] without the sign for table cells;
//! - input, [`Vnd::parse`]: what people and spreadsheets write (`7.440.000.000`, `7440000000`,
//!   `7 440 000 000`, `7,440,000,000 đ`, `7.440.000.000 VND` …), whole đồng only;
//! - words, [`Vnd::in_words`]: "Bảy tỷ bốn trăm bốn mươi triệu đồng", the "số tiền bằng chữ"
//!   that payment vouchers carry beside the figures (Luật Kế toán 2015 Art. 16).
//!
//! # Amounts in words
//!
//! The number is read in groups of three digits from the left. Each group is read as hundreds,
//! tens and units and followed by its scale word: (none), nghìn, triệu; every nine digits the
//! cycle restarts under "tỷ", so 10¹² is "một nghìn tỷ", 10¹⁵ "một triệu tỷ" and 10¹⁸
//! "một tỷ tỷ" (the scale Luật Kế toán 2015 Art. 11 also names). Within a group:
//!
//! | digits | words | rule |
//! |---|---|---|
//! | 10–19 | mười, mười một, mười bốn, mười lăm | "mười" for tens 1 |
//! | 20, 21, 24, 25 | hai mươi, hai mươi mốt, hai mươi tư, hai mươi lăm | "mốt" and "tư" when tens ≥ 2, "lăm" when tens ≥ 1 |
//! | 101, 104, 105 | một trăm linh một, … linh bốn, … linh năm | "linh" (or "lẻ") for zero tens |
//! | 005 after a higher group | không trăm linh năm | a group that is not the leading one always says its hundreds |
//!
//! Groups that are all zeros are skipped with their scale word: 1.000.005 is "một triệu không
//! trăm linh năm". Provinces differ on three words, chosen by [`WordsStyle`].

use std::fmt;
use std::iter::Sum;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// An amount of money in whole Vietnamese đồng (số tiền, đồng Việt Nam).
///
/// JSON carries it as a plain integer (`7440000000`). Negative amounts exist for corrections
/// and adjustments; amounts people type are parsed non-negative by [`Vnd::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Vnd(i64);

/// Arithmetic on money left the range an `i64` of đồng can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("Số tiền vượt quá giới hạn tính toán")]
    Overflow,
}

/// Why a text is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyParseError {
    #[error("Chưa nhập số tiền")]
    Empty,
    #[error(
        "Số tiền chứa ký tự không hợp lệ «{ch}»: chỉ được dùng chữ số, dấu chấm, dấu phẩy hoặc dấu cách \
         để ngăn cách hàng nghìn, và đơn vị ₫, đ, VND hoặc đồng ở cuối"
    )]
    InvalidCharacter { ch: char },
    #[error("Số tiền không được âm")]
    Negative,
    #[error("Số tiền phải là số đồng nguyên, không có phần thập phân (ví dụ 1.500.000)")]
    Decimal,
    #[error(
        "Số tiền viết sai cách ngăn cách hàng nghìn: mỗi nhóm sau dấu ngăn cách phải có đúng 3 chữ số \
         (ví dụ 1.500.000 hoặc 1500000)"
    )]
    BadGrouping,
    #[error(
        "Số tiền dùng lẫn nhiều loại dấu ngăn cách: chỉ dùng một loại, dấu chấm, dấu phẩy hoặc dấu cách \
         (ví dụ 1.500.000)"
    )]
    MixedSeparators,
    #[error("Số tiền quá lớn: tối đa 1.000.000.000.000.000 ₫ (một triệu tỷ đồng)")]
    TooLarge,
}

impl Vnd {
    /// No money.
    pub const ZERO: Self = Self(0);
    /// The largest amount [`Vnd::parse`] accepts: 10¹⁵ đồng, a million billion.
    pub const MAX_INPUT: Self = Self(1_000_000_000_000_000);

    /// An amount of `dong` đồng.
    #[must_use]
    pub const fn new(dong: i64) -> Self {
        Self(dong)
    }

    /// The number of đồng.
    #[must_use]
    pub const fn value(self) -> i64 {
        self.0
    }

    #[must_use]
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `self + other`, or `None` on overflow.
    #[must_use]
    pub const fn checked_add(self, other: Self) -> Option<Self> {
        match self.0.checked_add(other.0) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// `self - other`, or `None` on overflow.
    #[must_use]
    pub const fn checked_sub(self, other: Self) -> Option<Self> {
        match self.0.checked_sub(other.0) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// `self × factor` (a count of months, members, days …), or `None` on overflow.
    #[must_use]
    pub const fn checked_mul(self, factor: i64) -> Option<Self> {
        match self.0.checked_mul(factor) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// `-self`, or `None` for the one amount whose opposite does not fit.
    #[must_use]
    pub const fn checked_neg(self) -> Option<Self> {
        match self.0.checked_neg() {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// The sum of `amounts` (zero when there are none), or `None` as soon as it overflows.
    pub fn sum<I: IntoIterator<Item = Self>>(amounts: I) -> Option<Self> {
        amounts.into_iter().try_fold(Self::ZERO, Self::checked_add)
    }

    /// `self + other`.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`].
    pub const fn try_add(self, other: Self) -> Result<Self, MoneyError> {
        match self.checked_add(other) {
            Some(v) => Ok(v),
            None => Err(MoneyError::Overflow),
        }
    }

    /// `self - other`.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`].
    pub const fn try_sub(self, other: Self) -> Result<Self, MoneyError> {
        match self.checked_sub(other) {
            Some(v) => Ok(v),
            None => Err(MoneyError::Overflow),
        }
    }

    /// `self × factor`.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`].
    pub const fn try_mul(self, factor: i64) -> Result<Self, MoneyError> {
        match self.checked_mul(factor) {
            Some(v) => Ok(v),
            None => Err(MoneyError::Overflow),
        }
    }

    /// The sum of `amounts`.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`].
    pub fn try_sum<I: IntoIterator<Item = Self>>(amounts: I) -> Result<Self, MoneyError> {
        Self::sum(amounts).ok_or(MoneyError::Overflow)
    }

    /// The figures with dots between thousands and no unit, for table cells: `7.440.000.000`,
    /// `-1.500.000`.
    #[must_use]
    pub fn grouped(self) -> String {
        let digits = self.0.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if self.0 < 0 {
            out.push('-');
        }
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push('.');
            }
            out.push(ch);
        }
        out
    }

    /// For people to read: `7.440.000.000 ₫`, `-1.500.000 ₫`.
    #[must_use]
    pub fn display(self) -> String {
        format!("{} ₫", self.grouped())
    }

    /// Parses an amount a person typed or a spreadsheet holds: digits, optionally grouped by
    /// thousands with one kind of separator (`.`, `,` or spaces), optionally followed by
    /// `₫`, `đ`, `VND`, `VNĐ` or `đồng` (or `d`, `dong`), in any case. Whole đồng, not negative,
    /// at most [`Vnd::MAX_INPUT`]. A single comma group is read as thousands (`1,500` is
    /// 1.500 ₫), since amounts in đồng have no decimals.
    ///
    /// # Errors
    /// [`MoneyParseError`] says what is wrong, in Vietnamese, for the person who typed it.
    pub fn parse(s: &str) -> Result<Self, MoneyParseError> {
        parse_amount(s, false)
    }

    /// Like [`Vnd::parse`], and also accepts a leading minus (`-1.500.000 ₫`) for corrections
    /// and adjustments. The magnitude is still at most [`Vnd::MAX_INPUT`].
    ///
    /// # Errors
    /// [`MoneyParseError`].
    pub fn parse_signed(s: &str) -> Result<Self, MoneyParseError> {
        parse_amount(s, true)
    }

    /// The amount in words, as payment lists and vouchers write it under "Số tiền bằng chữ":
    /// "Bảy tỷ bốn trăm bốn mươi triệu đồng", "Không đồng", "Âm một triệu năm trăm nghìn đồng".
    /// Uses the default [`WordsStyle`] (nghìn, linh, tư).
    #[must_use]
    pub fn in_words(self) -> String {
        self.in_words_with(WordsStyle::default())
    }

    /// [`Vnd::in_words`] with the words a province prefers.
    #[must_use]
    pub fn in_words_with(self, style: WordsStyle) -> String {
        let mut words = Words::default();
        if self.0 < 0 {
            words.push("âm");
        }
        spell(self.0.unsigned_abs(), style, &mut words);
        words.push("đồng");
        capitalise_first(&words.0)
    }
}

// -------------------------------------------------------------------------------------------
// Parsing.

/// Unit words accepted after the figures, lower case; longer ones first. "dong" and "d" for
/// people without a Vietnamese keyboard.
const SUFFIXES: [&str; 7] = ["đồng", "dong", "vnđ", "vnd", "₫", "đ", "d"];

fn is_space(ch: char) -> bool {
    // Also the no-break and narrow no-break spaces that office software puts between groups.
    matches!(ch, ' ' | '\t' | '\u{a0}' | '\u{2009}' | '\u{202f}')
}

/// `s` without `suffix` (lower case) at its end, whatever the case it was written in.
fn strip_suffix_ignoring_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let start = s.char_indices().rev().nth(suffix.chars().count() - 1)?.0;
    (s[start..].to_lowercase() == suffix).then(|| &s[..start])
}

fn parse_amount(s: &str, signed: bool) -> Result<Vnd, MoneyParseError> {
    let text: String = s.nfc().collect();
    let mut rest = text.trim_matches(is_space);
    let mut negative = false;
    if let Some(after) = rest.strip_prefix(['-', '\u{2212}']) {
        if !signed {
            return Err(MoneyParseError::Negative);
        }
        negative = true;
        rest = after.trim_start_matches(is_space);
    }
    if let Some(before) = SUFFIXES.iter().find_map(|suffix| strip_suffix_ignoring_case(rest, suffix)) {
        rest = before.trim_end_matches(is_space);
    }
    if rest.is_empty() {
        return Err(MoneyParseError::Empty);
    }

    // One kind of separator: '.', ',' or ' ' (any space).
    let mut separators = rest.chars().filter(|c| !c.is_ascii_digit()).map(|c| if is_space(c) { ' ' } else { c });
    if let Some(ch) = rest.chars().find(|&c| !c.is_ascii_digit() && !is_space(c) && c != '.' && c != ',') {
        return Err(MoneyParseError::InvalidCharacter { ch });
    }
    let groups: Vec<&str> = rest.split(|c: char| !c.is_ascii_digit()).collect();
    let last = groups.last().map_or(0, |g| g.len());
    if let Some(first) = separators.next()
        && separators.any(|c| c != first)
    {
        // "1.500.000,50": a decimal part after thousands grouped the other way.
        return Err(if (1..=2).contains(&last) { MoneyParseError::Decimal } else { MoneyParseError::MixedSeparators });
    }
    if groups.len() > 1 {
        let decimal_mark = rest.contains(['.', ',']);
        if decimal_mark && (1..=2).contains(&last) && groups[..groups.len() - 1].iter().all(|g| !g.is_empty()) {
            return Err(MoneyParseError::Decimal);
        }
        let first = groups[0];
        let first_ok = (1..=3).contains(&first.len()) && !first.starts_with('0');
        if !first_ok || groups[1..].iter().any(|g| g.len() != 3) {
            return Err(MoneyParseError::BadGrouping);
        }
    }

    let mut value: i64 = 0;
    for digit in groups.iter().flat_map(|g| g.bytes()) {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(digit - b'0')))
            .filter(|&v| v <= Vnd::MAX_INPUT.0)
            .ok_or(MoneyParseError::TooLarge)?;
    }
    Ok(Vnd(if negative { -value } else { value }))
}

// -------------------------------------------------------------------------------------------
// Words.

/// The word for a thousand: "nghìn" (northern; State Treasury and legal texts) or "ngàn"
/// (southern).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ThousandWord {
    #[default]
    #[serde(rename = "nghìn")]
    Nghin,
    #[serde(rename = "ngàn")]
    Ngan,
}

/// The word for zero tens before a unit, as in 105: "linh" (northern, usual in official texts)
/// or "lẻ" (southern).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ZeroTenWord {
    #[default]
    #[serde(rename = "linh")]
    Linh,
    #[serde(rename = "lẻ")]
    Le,
}

/// The word for a units 4 after tens of 2 or more, as in 24: "tư" (what accounting guides
/// prescribe) or "bốn". Below 20 it is always "bốn" (14 "mười bốn", 104 "một trăm linh bốn").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum FourWord {
    #[default]
    #[serde(rename = "tư")]
    Tu,
    #[serde(rename = "bốn")]
    Bon,
}

impl ThousandWord {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Nghin => "nghìn",
            Self::Ngan => "ngàn",
        }
    }
}

impl ZeroTenWord {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Linh => "linh",
            Self::Le => "lẻ",
        }
    }
}

impl FourWord {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Tu => "tư",
            Self::Bon => "bốn",
        }
    }
}

/// The words that differ between provinces when amounts are written out. The default,
/// nghìn / linh / tư, is the usage of central government and the State Treasury.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct WordsStyle {
    pub thousand: ThousandWord,
    pub zero_ten: ZeroTenWord,
    pub four: FourWord,
}

const DIGITS: [&str; 10] = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"];

/// Words joined by single spaces.
#[derive(Default)]
struct Words(String);

impl Words {
    fn push(&mut self, word: &str) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        self.0.push_str(word);
    }
}

/// `n` in lower-case words, without the unit.
fn spell(n: u64, style: WordsStyle, out: &mut Words) {
    if n == 0 {
        out.push(DIGITS[0]);
        return;
    }
    // Three-digit groups, least significant first; u64 has at most seven.
    let mut groups = [0u16; 7];
    let mut rest = n;
    for g in &mut groups {
        *g = u16::try_from(rest % 1000).unwrap_or_default();
        rest /= 1000;
    }
    let leading = groups.iter().rposition(|&g| g != 0).unwrap_or_default();
    // Periods of nine digits (three groups), each closed by "tỷ" once per period above it.
    for period in (0..=leading / 3).rev() {
        let mut said = false;
        for place in (0..3).rev() {
            let i = period * 3 + place;
            if i > leading || groups[i] == 0 {
                continue;
            }
            spell_group(groups[i], i != leading, style, out);
            match place {
                2 => out.push("triệu"),
                1 => out.push(style.thousand.as_str()),
                _ => {}
            }
            said = true;
        }
        if said {
            for _ in 0..period {
                out.push("tỷ");
            }
        }
    }
}

/// One group of three digits, 1..=999. `full` for every group after the leading one: those
/// always say their hundreds, "không trăm" included.
fn spell_group(group: u16, full: bool, style: WordsStyle, out: &mut Words) {
    let hundreds = usize::from(group / 100);
    let tens = usize::from(group / 10 % 10);
    let units = usize::from(group % 10);
    let said_hundreds = full || hundreds > 0;
    if said_hundreds {
        out.push(DIGITS[hundreds]);
        out.push("trăm");
    }
    match tens {
        0 => {
            if units > 0 {
                if said_hundreds {
                    out.push(style.zero_ten.as_str());
                }
                out.push(DIGITS[units]);
            }
        }
        1 => {
            out.push("mười");
            match units {
                0 => {}
                5 => out.push("lăm"),
                u => out.push(DIGITS[u]),
            }
        }
        t => {
            out.push(DIGITS[t]);
            out.push("mươi");
            match units {
                0 => {}
                1 => out.push("mốt"),
                4 => out.push(style.four.as_str()),
                5 => out.push("lăm"),
                u => out.push(DIGITS[u]),
            }
        }
    }
}

fn capitalise_first(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

// -------------------------------------------------------------------------------------------
// Traits.

impl fmt::Display for Vnd {
    /// `7.440.000.000 ₫`; honours width and alignment (`{:>20}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.display())
    }
}

impl FromStr for Vnd {
    type Err = MoneyParseError;

    /// [`Vnd::parse`]: non-negative amounts.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for Vnd {
    type Error = MoneyParseError;

    /// [`Vnd::parse`]: non-negative amounts.
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl From<Vnd> for i64 {
    fn from(d: Vnd) -> Self {
        d.0
    }
}

/// `amounts.sum::<Option<Vnd>>()`: `None` on overflow, like [`Vnd::sum`].
impl Sum<Vnd> for Option<Vnd> {
    fn sum<I: Iterator<Item = Vnd>>(iter: I) -> Self {
        Vnd::sum(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: i64) -> String {
        Vnd::new(n).in_words()
    }

    const SOUTH: WordsStyle =
        WordsStyle { thousand: ThousandWord::Ngan, zero_ten: ZeroTenWord::Le, four: FourWord::Bon };

    #[test]
    fn reference_examples_in_words() {
        for (n, expected) in [
            (1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"),
            (3_600_000, "Ba triệu sáu trăm nghìn đồng"),
            (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
            (2_050_000, "Hai triệu không trăm năm mươi nghìn đồng"),
            (1_000_005, "Một triệu không trăm linh năm đồng"),
            (1_000_500, "Một triệu năm trăm đồng"),
            (5_000, "Năm nghìn đồng"),
            (
                1_234_567_890_123,
                "Một nghìn hai trăm ba mươi tư tỷ năm trăm sáu mươi bảy triệu tám trăm chín mươi nghìn \
                 một trăm hai mươi ba đồng",
            ),
            (21, "Hai mươi mốt đồng"),
            (91, "Chín mươi mốt đồng"),
            (11, "Mười một đồng"),
            (14, "Mười bốn đồng"),
            (24, "Hai mươi tư đồng"),
            (101, "Một trăm linh một đồng"),
            (104, "Một trăm linh bốn đồng"),
            (105, "Một trăm linh năm đồng"),
            (5, "Năm đồng"),
            (15, "Mười lăm đồng"),
            (25, "Hai mươi lăm đồng"),
            (325_614, "Ba trăm hai mươi lăm nghìn sáu trăm mười bốn đồng"),
            (7_440_000_000, "Bảy tỷ bốn trăm bốn mươi triệu đồng"),
            (7_308_000_000, "Bảy tỷ ba trăm linh tám triệu đồng"),
            (14_880_000_000, "Mười bốn tỷ tám trăm tám mươi triệu đồng"),
            (23_000_000, "Hai mươi ba triệu đồng"),
            (6_000_000, "Sáu triệu đồng"),
            (500_000, "Năm trăm nghìn đồng"),
            (150_000, "Một trăm năm mươi nghìn đồng"),
            (50_000, "Năm mươi nghìn đồng"),
            (0, "Không đồng"),
            (10, "Mười đồng"),
            (20, "Hai mươi đồng"),
            (110, "Một trăm mười đồng"),
            (1_000_000_000_000, "Một nghìn tỷ đồng"),
        ] {
            assert_eq!(words(n), expected, "{n}");
        }
    }

    #[test]
    fn inner_groups_and_the_cycle_after_ty() {
        for (n, expected) in [
            (1_000_000_000, "Một tỷ đồng"),
            (1_000_000_001, "Một tỷ không trăm linh một đồng"),
            (1_010_000_000, "Một tỷ không trăm mười triệu đồng"),
            (2_000_015_000, "Hai tỷ không trăm mười lăm nghìn đồng"),
            (1_005_000_000_000, "Một nghìn không trăm linh năm tỷ đồng"),
            (5_000_000_000_021, "Năm nghìn tỷ không trăm hai mươi mốt đồng"),
            (10_000_000_000_000, "Mười nghìn tỷ đồng"),
            (1_000_000_000_000_000, "Một triệu tỷ đồng"),
            (1_000_001_000_000_000, "Một triệu không trăm linh một tỷ đồng"),
            (1_000_000_000_000_001, "Một triệu tỷ không trăm linh một đồng"),
            (
                999_999_999_999_999,
                "Chín trăm chín mươi chín nghìn chín trăm chín mươi chín tỷ chín trăm chín mươi chín triệu \
                 chín trăm chín mươi chín nghìn chín trăm chín mươi chín đồng",
            ),
            (1_000_000_000_000_000_000, "Một tỷ tỷ đồng"),
            (1_000_000_005_000_000_000, "Một tỷ tỷ không trăm linh năm tỷ đồng"),
            (1_000_000_000_000_000_005, "Một tỷ tỷ không trăm linh năm đồng"),
            (
                i64::MAX,
                "Chín tỷ tỷ hai trăm hai mươi ba triệu ba trăm bảy mươi hai nghìn không trăm ba mươi sáu tỷ \
                 tám trăm năm mươi tư triệu bảy trăm bảy mươi lăm nghìn tám trăm linh bảy đồng",
            ),
        ] {
            assert_eq!(words(n), expected, "{n}");
        }
    }

    #[test]
    fn negative_amounts_in_words() {
        assert_eq!(words(-1_500_000), "Âm một triệu năm trăm nghìn đồng");
        assert_eq!(words(-5), "Âm năm đồng");
        assert!(words(i64::MIN).starts_with("Âm chín tỷ tỷ "));
        assert!(words(i64::MIN).ends_with(" tám trăm linh tám đồng"));
    }

    #[test]
    fn province_styles() {
        let w = |n: i64| Vnd::new(n).in_words_with(SOUTH);
        assert_eq!(w(105), "Một trăm lẻ năm đồng");
        assert_eq!(w(24), "Hai mươi bốn đồng");
        assert_eq!(w(1_005_000), "Một triệu không trăm lẻ năm ngàn đồng");
        assert_eq!(w(1_000_000_000_000), "Một ngàn tỷ đồng");
        assert_eq!(w(325_614), "Ba trăm hai mươi lăm ngàn sáu trăm mười bốn đồng");
        // Only the chosen words change.
        assert_eq!(w(21), "Hai mươi mốt đồng");
        assert_eq!(w(104), "Một trăm lẻ bốn đồng");
        let mixed = WordsStyle { four: FourWord::Bon, ..WordsStyle::default() };
        assert_eq!(Vnd::new(34_104).in_words_with(mixed), "Ba mươi bốn nghìn một trăm linh bốn đồng");
        assert_eq!(
            WordsStyle::default(),
            WordsStyle { thousand: ThousandWord::Nghin, zero_ten: ZeroTenWord::Linh, four: FourWord::Tu }
        );
    }

    #[test]
    fn display_groups_thousands() {
        for (n, expected) in [
            (0, "0 ₫"),
            (5, "5 ₫"),
            (999, "999 ₫"),
            (1_000, "1.000 ₫"),
            (500_000, "500.000 ₫"),
            (1_250_000, "1.250.000 ₫"),
            (7_440_000_000, "7.440.000.000 ₫"),
            (-1_500_000, "-1.500.000 ₫"),
            (-999, "-999 ₫"),
            (i64::MAX, "9.223.372.036.854.775.807 ₫"),
            (i64::MIN, "-9.223.372.036.854.775.808 ₫"),
        ] {
            assert_eq!(Vnd::new(n).display(), expected);
            assert_eq!(Vnd::new(n).to_string(), expected);
        }
        assert_eq!(Vnd::new(7_440_000_000).grouped(), "7.440.000.000");
        assert_eq!(format!("[{:>12}]", Vnd::new(500_000)), "[   500.000 ₫]");
    }

    #[test]
    fn accepted_forms() {
        for s in [
            "7.440.000.000",
            "7440000000",
            "7.440.000.000 ₫",
            "7.440.000.000₫",
            "7 440 000 000",
            "7,440,000,000 đ",
            "7,440,000,000đ",
            "7.440.000.000 VND",
            "7.440.000.000 vnđ",
            "7.440.000.000 đồng",
            "7.440.000.000 Đồng",
            "7.440.000.000 ĐỒNG",
            "7.440.000.000 VNĐ",
            "7.440.000.000 dong",
            "7440000000d",
            "7.440.000.000 \u{111}o\u{302}\u{300}ng",
            " 7\u{a0}440\u{a0}000\u{a0}000 ",
            "7\u{202f}440\u{202f}000\u{202f}000 ₫",
        ] {
            assert_eq!(Vnd::parse(s), Ok(Vnd::new(7_440_000_000)), "{s:?}");
        }
        assert_eq!(Vnd::parse("0"), Ok(Vnd::ZERO));
        assert_eq!(Vnd::parse("0 ₫"), Ok(Vnd::ZERO));
        assert_eq!(Vnd::parse("1,500"), Ok(Vnd::new(1_500)));
        assert_eq!(Vnd::parse("500.000"), Ok(Vnd::new(500_000)));
        assert_eq!(Vnd::parse("1.000.000.000.000.000"), Ok(Vnd::MAX_INPUT));
        assert_eq!("23.000.000 đ".parse::<Vnd>(), Ok(Vnd::new(23_000_000)));
        assert_eq!(Vnd::try_from("6 000 000"), Ok(Vnd::new(6_000_000)));
    }

    #[test]
    fn refused_forms() {
        use MoneyParseError as E;
        for (s, e) in [
            ("", E::Empty),
            ("   ", E::Empty),
            ("₫", E::Empty),
            (" đồng ", E::Empty),
            ("1.5", E::Decimal),
            ("1,5", E::Decimal),
            ("1.50", E::Decimal),
            ("1.500.000,50", E::Decimal),
            ("1,500,000.00", E::Decimal),
            ("1.500.000,00 ₫", E::Decimal),
            ("1.5000", E::BadGrouping),
            ("12.34.567", E::BadGrouping),
            ("1234.567", E::BadGrouping),
            ("0.500", E::BadGrouping),
            ("1..500", E::BadGrouping),
            (".500", E::BadGrouping),
            ("500.", E::BadGrouping),
            ("1 5", E::BadGrouping),
            ("1.500 000", E::MixedSeparators),
            ("1,500.000", E::MixedSeparators),
            ("-1.500.000", E::Negative),
            ("−500", E::Negative),
            ("+500", E::InvalidCharacter { ch: '+' }),
            ("1.500.000 USD", E::InvalidCharacter { ch: 'U' }),
            ("Năm trăm", E::InvalidCharacter { ch: 'N' }),
            ("năm trăm", E::InvalidCharacter { ch: 'n' }),
            ("１２３", E::InvalidCharacter { ch: '１' }),
            ("1e6", E::InvalidCharacter { ch: 'e' }),
            ("1.000.000.000.000.001", E::TooLarge),
            ("99999999999999999999999999", E::TooLarge),
        ] {
            assert_eq!(Vnd::parse(s), Err(e), "{s:?}");
        }
    }

    #[test]
    fn signed_amounts_for_adjustments() {
        assert_eq!(Vnd::parse_signed("-1.500.000 ₫"), Ok(Vnd::new(-1_500_000)));
        assert_eq!(Vnd::parse_signed("- 500.000"), Ok(Vnd::new(-500_000)));
        assert_eq!(Vnd::parse_signed("−500000 đ"), Ok(Vnd::new(-500_000)));
        assert_eq!(Vnd::parse_signed("500.000"), Ok(Vnd::new(500_000)));
        assert_eq!(Vnd::parse_signed("-0"), Ok(Vnd::ZERO));
        assert_eq!(Vnd::parse_signed("-"), Err(MoneyParseError::Empty));
        assert_eq!(Vnd::parse_signed("--5"), Err(MoneyParseError::InvalidCharacter { ch: '-' }));
        assert_eq!(Vnd::parse_signed("-1.000.000.000.000.001"), Err(MoneyParseError::TooLarge));
        assert_eq!(Vnd::parse_signed("-1.000.000.000.000.000"), Ok(Vnd::new(-1_000_000_000_000_000)));
    }

    #[test]
    fn display_and_parse_round_trip() {
        for n in [0, 1, 12, 999, 1_000, 10_000, 123_456, 7_440_000_000, 999_999_999_999_999, 1_000_000_000_000_000] {
            let d = Vnd::new(n);
            assert_eq!(Vnd::parse(&d.display()), Ok(d));
            assert_eq!(Vnd::parse(&d.grouped()), Ok(d));
            assert_eq!(Vnd::parse_signed(&Vnd::new(-n).display()), Ok(Vnd::new(-n)));
        }
    }

    #[test]
    fn checked_arithmetic_never_wraps() {
        let max = Vnd::new(i64::MAX);
        let min = Vnd::new(i64::MIN);
        assert_eq!(Vnd::new(2).checked_add(Vnd::new(3)), Some(Vnd::new(5)));
        assert_eq!(max.checked_add(Vnd::new(1)), None);
        assert_eq!(min.checked_sub(Vnd::new(1)), None);
        assert_eq!(Vnd::new(5).checked_sub(Vnd::new(7)), Some(Vnd::new(-2)));
        assert_eq!(Vnd::new(500_000).checked_mul(12), Some(Vnd::new(6_000_000)));
        assert_eq!(max.checked_mul(2), None);
        assert_eq!(min.checked_mul(-1), None);
        assert_eq!(min.checked_neg(), None);
        assert_eq!(Vnd::new(7).checked_neg(), Some(Vnd::new(-7)));
        assert_eq!(max.try_add(Vnd::new(1)), Err(MoneyError::Overflow));
        assert_eq!(max.try_mul(2), Err(MoneyError::Overflow));
        assert_eq!(min.try_sub(Vnd::new(1)), Err(MoneyError::Overflow));
        assert_eq!(Vnd::new(150_000).try_mul(3), Ok(Vnd::new(450_000)));
        // 1,240 villages × 500,000 đồng × 12 months: the proposal's 7.44 billion a year.
        let per_year = Vnd::new(500_000).try_mul(12).and_then(|d| d.try_mul(1_240));
        assert_eq!(per_year, Ok(Vnd::new(7_440_000_000)));
    }

    #[test]
    fn sums() {
        assert_eq!(Vnd::sum([]), Some(Vnd::ZERO));
        assert_eq!(Vnd::sum([Vnd::new(1), Vnd::new(2), Vnd::new(3)]), Some(Vnd::new(6)));
        assert_eq!(Vnd::sum([Vnd::new(i64::MAX), Vnd::new(1), Vnd::new(-5)]), None);
        assert_eq!(Vnd::try_sum([Vnd::new(i64::MAX), Vnd::new(1)]), Err(MoneyError::Overflow));
        let amounts = [Vnd::new(23_000_000); 3];
        assert_eq!(amounts.iter().copied().sum::<Option<Vnd>>(), Some(Vnd::new(69_000_000)));
    }

    #[test]
    fn serde_carries_a_plain_integer() {
        // `#[serde(transparent)]`: the amount is the integer itself, not a newtype wrapper.
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, I64Deserializer};
        let de: I64Deserializer<Error> = 7_440_000_000_i64.into_deserializer();
        assert_eq!(Vnd::deserialize(de), Ok(Vnd::new(7_440_000_000)));
    }

    #[test]
    fn messages_are_vietnamese() {
        assert_eq!(MoneyError::Overflow.to_string(), "Số tiền vượt quá giới hạn tính toán");
        assert_eq!(MoneyParseError::Empty.to_string(), "Chưa nhập số tiền");
        assert_eq!(MoneyParseError::Negative.to_string(), "Số tiền không được âm");
        assert!(MoneyParseError::Decimal.to_string().contains("không có phần thập phân"));
        assert!(MoneyParseError::TooLarge.to_string().contains("một triệu tỷ đồng"));
        assert!(MoneyParseError::InvalidCharacter { ch: 'x' }.to_string().contains("«x»"));
    }
}
