//! Vietnamese text: normalisation, search folding and sort keys.
//!
//! Text is stored in Unicode NFC ([`nfc`], [`clean`]). Beside each name the store keeps a
//! folded search form ([`fold`]: no diacritics, `đ` → `d`, lowercase) and a Vietnamese sort key
//! ([`sort_key`], [`person_sort_key`]). Both are plain ASCII, so SQLite and PostgreSQL search
//! and sort them identically with ordinary byte comparison (`=`, `LIKE`, `ORDER BY` under a
//! binary / `C` collation).
//!
//! # Sort-key encoding
//!
//! A key is made only of the ASCII bytes `0x21..=0x7E` (a [`person_sort_key`] also uses
//! `0x20`). It has three levels, like a real collation:
//!
//! ```text
//! key = PRIMARY 0x21 SECONDARY 0x21 TERTIARY
//! ```
//!
//! The input is first [`clean`]ed (NFC, trimmed, whitespace runs collapsed), split into words
//! at the spaces, and every word is decomposed (NFD) into *units*: a base character with the
//! combining marks that follow it.
//!
//! **Primary** — the letters, word by word, words separated by `0x22`. Each unit gives:
//!
//! | unit                                     | bytes                                   |
//! |------------------------------------------|-----------------------------------------|
//! | ASCII punctuation (`!`…`/`, `:`…`@`, `[`…`` ` ``, `{`…`~`) | `0x23..=0x42`, in ASCII order |
//! | any other non-letter (e.g. `–`, `“`)     | `0x43` + 6 upper-case hex digits of the code point |
//! | digit `0`–`9`                            | `0x44..=0x4D`                           |
//! | letter of [`ALPHABET`] `a ă â b … z`     | `0x4E..=0x6E`, in Vietnamese order      |
//! | any other letter (e.g. `ß`, `中`)        | `0x6F` + 6 upper-case hex digits of the lower-case code point |
//!
//! so punctuation < digits < Vietnamese letters < other letters, and `ă`, `â`, `đ`, `ê`, `ô`,
//! `ơ`, `ư` are letters of their own, right after their base letter. The vowel modifiers
//! (breve, circumflex, horn) select the letter; the five tone marks and any other
//! combining mark do not take part in the primary level; case is ignored (`Ð`/`ð`, which old
//! encodings produce for `Đ`, count as `đ`). The escape sequences have a fixed length, so the
//! encoding is prefix-free and the bytes compare like the sequence of words compared word by
//! word, each word letter by letter, a shorter word (or fewer words) first:
//! `An` < `Anh`, `Lê An` < `Lê Anh` < `Lêa`.
//!
//! **Secondary** — one byte per word, the tone of the word: `0` none, `1` huyền (grave),
//! `2` hỏi (hook), `3` ngã (tilde), `4` sắc (acute), `5` nặng (dot below). The tone belongs to
//! the word, not to the vowel that carries it, so `Hoà` and `Hòa` get the same key. A word with
//! several tone marks (not Vietnamese) takes the first in NFD order.
//!
//! **Tertiary** — one byte per unit, `0` lower case (or uncased), `1` upper case.
//!
//! The level separator `0x21` is lower than every byte inside a level, so comparing keys byte
//! by byte compares the tuples (primary, secondary, tertiary) lexicographically, whatever the
//! lengths. Keys are equal only when the three levels are equal; letters differing only in a
//! non-Vietnamese mark (`ü`, `u`) tie.
//!
//! A [`person_sort_key`] is `sort_key(given name) 0x20 sort_key(full name)`; `0x20` never occurs
//! inside a [`sort_key`] and is lower than every byte in one, so people sort by given name and
//! then by full name.

use std::fmt::Write as _;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The Vietnamese alphabet in collation order (lower case), as used by [`sort_key`]'s primary
/// level. `f j w z` are included for foreign names and words.
pub const ALPHABET: [char; 33] = [
    'a', 'ă', 'â', 'b', 'c', 'd', 'đ', 'e', 'ê', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'ô', 'ơ', 'p', 'q',
    'r', 's', 't', 'u', 'ư', 'v', 'w', 'x', 'y', 'z',
];

/// Separator between the given-name key and the full-name key in [`person_sort_key`].
const PERSON_SEP: char = '\x20';
/// Separator between the levels of a [`sort_key`].
const LEVEL_SEP: char = '\x21';
/// Separator between words at the primary level.
const WORD_SEP: char = '\x22';
/// First of the 32 weights of ASCII punctuation.
const ASCII_PUNCT_BASE: u8 = 0x23;
/// Escape for a non-letter outside ASCII, followed by 6 hex digits.
const OTHER_SYMBOL: char = '\x43';
/// Weight of `0`; digits take `0x44..=0x4D`.
const DIGIT_BASE: u8 = 0x44;
/// Weight of `a`; the letters of [`ALPHABET`] take `0x4E..=0x6E`.
const LETTER_BASE: u8 = 0x4E;
/// Escape for a letter outside [`ALPHABET`], followed by 6 hex digits.
const OTHER_LETTER: char = '\x6F';
/// Secondary weight of a word without tone; the tones follow as `1..=5`.
const TONE_BASE: u8 = b'0';
const CASE_LOWER: char = '0';
const CASE_UPPER: char = '1';

const GRAVE: char = '\u{300}';
const ACUTE: char = '\u{301}';
const CIRCUMFLEX: char = '\u{302}';
const TILDE: char = '\u{303}';
const BREVE: char = '\u{306}';
const HOOK_ABOVE: char = '\u{309}';
const HORN: char = '\u{31B}';
const DOT_BELOW: char = '\u{323}';

/// Unicode NFC, the form in which text is stored.
#[must_use]
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// NFC, trimmed, every run of whitespace collapsed into one ASCII space.
#[must_use]
pub fn clean(s: &str) -> String {
    collapse_whitespace(&nfc(s))
}

/// The search form: diacritics removed, `đ` → `d`, lower case, whitespace as in [`clean`].
///
/// `"Thành phố Tam Kỳ"` → `"thanh pho tam ky"`, `"Đặng"` → `"dang"`; `"Hoà"` and `"Hòa"` both
/// give `"hoa"`. Folding twice changes nothing.
#[must_use]
pub fn fold(s: &str) -> String {
    // Lower-case before decomposing (a lower-case mapping may itself add combining marks, as
    // `İ` → `i̇` does), and collapse whitespace last (removing a lone mark can join two spaces).
    let lowered = nfc(s).to_lowercase();
    let stripped: String = lowered
        .nfd()
        .filter(|&c| !is_combining_mark(c))
        .map(|c| match c {
            'đ' | 'ð' => 'd',
            c => c,
        })
        .collect();
    collapse_whitespace(&stripped)
}

/// A key whose byte-wise order is the Vietnamese collation order of the input; see the
/// [module documentation](self) for the encoding. Only ASCII `0x21..=0x7E`.
#[must_use]
pub fn sort_key(s: &str) -> String {
    let cleaned = clean(s);
    let mut primary = String::with_capacity(cleaned.len() * 2);
    let mut secondary = String::new();
    let mut tertiary = String::with_capacity(cleaned.len());
    for (i, word) in cleaned.split_whitespace().enumerate() {
        if i > 0 {
            primary.push(WORD_SEP);
        }
        let mut tone = 0u8;
        let mut unit: Option<Unit> = None;
        for c in word.nfd() {
            if is_combining_mark(c) {
                match c {
                    GRAVE | HOOK_ABOVE | TILDE | ACUTE | DOT_BELOW if tone == 0 => {
                        tone = tone_weight(c);
                    }
                    CIRCUMFLEX | BREVE | HORN => {
                        if let Some(u) = unit.as_mut() {
                            u.add_modifier(c);
                        }
                    }
                    _ => {}
                }
            } else {
                if let Some(u) = unit.take() {
                    u.push_weights(&mut primary, &mut tertiary);
                }
                unit = Some(Unit::new(c));
            }
        }
        if let Some(u) = unit {
            u.push_weights(&mut primary, &mut tertiary);
        }
        secondary.push(char::from(TONE_BASE + tone));
    }
    let mut key = primary;
    key.push(LEVEL_SEP);
    key.push_str(&secondary);
    key.push(LEVEL_SEP);
    key.push_str(&tertiary);
    key
}

/// The given name (tên): the last word of a Vietnamese full name, or the whole (trimmed) name
/// when it has one word.
#[must_use]
pub fn given_name(full_name: &str) -> &str {
    full_name.split_whitespace().next_back().unwrap_or("")
}

/// The key people are sorted by: given name first, then the whole full name.
///
/// `sort_key(given_name) + ' ' + sort_key(full_name)`; ASCII `0x20..=0x7E` only.
#[must_use]
pub fn person_sort_key(full_name: &str) -> String {
    let mut key = sort_key(given_name(full_name));
    key.push(PERSON_SEP);
    key.push_str(&sort_key(full_name));
    key
}

fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn tone_weight(mark: char) -> u8 {
    match mark {
        GRAVE => 1,
        HOOK_ABOVE => 2,
        TILDE => 3,
        ACUTE => 4,
        DOT_BELOW => 5,
        _ => 0,
    }
}

/// A base character with the vowel modifiers that follow it.
struct Unit {
    base: char,
    circumflex: bool,
    breve: bool,
    horn: bool,
}

impl Unit {
    fn new(base: char) -> Self {
        Self { base, circumflex: false, breve: false, horn: false }
    }

    fn add_modifier(&mut self, mark: char) {
        match mark {
            CIRCUMFLEX => self.circumflex = true,
            BREVE => self.breve = true,
            HORN => self.horn = true,
            _ => {}
        }
    }

    fn push_weights(&self, primary: &mut String, tertiary: &mut String) {
        let upper = self.base.is_uppercase();
        let mut lowers = self.base.to_lowercase();
        let lower = match (lowers.next(), lowers.next()) {
            (Some(l), None) => l,
            _ => self.base,
        };
        if let Some(index) = self.letter_index(lower) {
            primary.push(char::from(LETTER_BASE + index));
        } else if lower.is_ascii_digit() {
            primary.push(char::from(DIGIT_BASE + (lower as u8 - b'0')));
        } else if let Some(index) = ascii_punct_index(lower) {
            primary.push(char::from(ASCII_PUNCT_BASE + index));
        } else {
            primary.push(if lower.is_alphabetic() { OTHER_LETTER } else { OTHER_SYMBOL });
            // Writing to a String cannot fail.
            let _ = write!(primary, "{:06X}", u32::from(lower));
        }
        tertiary.push(if upper { CASE_UPPER } else { CASE_LOWER });
    }

    /// Index in [`ALPHABET`] of the lower-case base with its modifiers, if it is a letter of it.
    fn letter_index(&self, lower: char) -> Option<u8> {
        let letter = match lower {
            'a' if self.breve => 'ă',
            'a' | 'e' | 'o' if self.circumflex => match lower {
                'a' => 'â',
                'e' => 'ê',
                _ => 'ô',
            },
            'o' if self.horn => 'ơ',
            'u' if self.horn => 'ư',
            'ð' => 'đ',
            c => c,
        };
        ALPHABET.iter().position(|&a| a == letter).and_then(|i| u8::try_from(i).ok())
    }
}

/// Position of an ASCII punctuation character among the 32 of them, in ASCII order.
fn ascii_punct_index(c: char) -> Option<u8> {
    let b = u8::try_from(u32::from(c)).ok()?;
    match b {
        0x21..=0x2F => Some(b - 0x21),
        0x3A..=0x40 => Some(b - 0x3A + 15),
        0x5B..=0x60 => Some(b - 0x5B + 22),
        0x7B..=0x7E => Some(b - 0x7B + 28),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted_by(names: &[&str], key: fn(&str) -> String) -> Vec<String> {
        let mut v: Vec<(String, String)> = names.iter().map(|n| (key(n), (*n).to_owned())).collect();
        v.sort();
        v.into_iter().map(|(_, n)| n).collect()
    }

    #[test]
    fn clean_normalises_and_collapses() {
        assert_eq!(clean("  Nguyễn \t Văn\n\u{a0}An  "), "Nguyễn Văn An");
        assert_eq!(clean("Hoa\u{300}"), "Hoà");
        assert_eq!(clean(""), "");
        assert_eq!(clean(" \n "), "");
    }

    #[test]
    fn nfc_composes() {
        assert_eq!(nfc("Vie\u{302}\u{323}t"), "Việt");
        assert_eq!(nfc("Việt"), "Việt");
    }

    #[test]
    fn fold_examples() {
        assert_eq!(fold("Thành phố Tam Kỳ"), "thanh pho tam ky");
        assert_eq!(fold("Nguyễn Văn Hùng"), "nguyen van hung");
        assert_eq!(fold("Đặng"), "dang");
        assert_eq!(fold("ĐỖ THỊ ĐÀO"), "do thi dao");
        assert_eq!(fold("Hoà"), "hoa");
        assert_eq!(fold("Hòa"), "hoa");
        assert_eq!(fold("  Quảng   Nam "), "quang nam");
        assert_eq!(fold("Ðà Nẵng"), "da nang");
        assert_eq!(fold("Thôn 1 \u{301} Bắc"), "thon 1 bac");
    }

    #[test]
    fn given_name_is_last_word() {
        assert_eq!(given_name("Nguyễn Văn An"), "An");
        assert_eq!(given_name("  Lê   Thị Hồng  "), "Hồng");
        assert_eq!(given_name("An"), "An");
        assert_eq!(given_name(" An "), "An");
        assert_eq!(given_name(""), "");
    }

    #[test]
    fn alphabet_order() {
        assert_eq!(
            sorted_by(&["An", "Anh", "Ánh", "Ăn", "Âu", "Bình", "Đào", "Dũng"], sort_key),
            ["An", "Anh", "Ánh", "Ăn", "Âu", "Bình", "Dũng", "Đào"]
        );
        assert_eq!(sorted_by(&["ơ", "ô", "o", "p", "ư", "u", "v"], sort_key), ["o", "ô", "ơ", "p", "u", "ư", "v"]);
        assert_eq!(sorted_by(&["ê", "e", "f", "d", "đ", "c"], sort_key), ["c", "d", "đ", "e", "ê", "f"]);
        // Whole letters beat tones: the letter decides before any tone is looked at.
        assert!(sort_key("Ặ") > sort_key("az"));
        assert!(sort_key("Đa") > sort_key("Dz"));
    }

    #[test]
    fn alphabet_letters_have_increasing_weights() {
        let keys: Vec<String> = ALPHABET.iter().map(|c| sort_key(&c.to_string())).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    }

    #[test]
    fn tone_order() {
        let tones = ["ma", "mà", "mả", "mã", "má", "mạ"];
        let mut shuffled = tones;
        shuffled.reverse();
        assert_eq!(sorted_by(&shuffled, sort_key), tones);
        // Tones are secondary: a later letter wins over any tone.
        assert!(sort_key("mạ") < sort_key("mb"));
        // The tone of each word counts in order.
        assert!(sort_key("Lê Hà") < sort_key("Lễ Ha"));
    }

    #[test]
    fn tone_belongs_to_the_word() {
        assert_eq!(sort_key("Hoà"), sort_key("Hòa"));
        assert_eq!(sort_key("Thuý"), sort_key("Thúy"));
        assert_eq!(sort_key("KHOẺ"), sort_key("KHỎE"));
        assert_ne!(sort_key("Hoà"), sort_key("Hoa"));
    }

    #[test]
    fn word_boundaries_sort_first() {
        assert_eq!(sorted_by(&["Lêa", "Lê Anh", "Lê An", "Lê"], sort_key), ["Lê", "Lê An", "Lê Anh", "Lêa"]);
        assert!(sort_key("An") < sort_key("An B"));
        assert!(sort_key("An B") < sort_key("Anb"));
    }

    #[test]
    fn punctuation_digits_letters_then_others() {
        assert_eq!(sorted_by(&["ß", "a", "9", "0", "-", "–", "z"], sort_key), ["-", "–", "0", "9", "a", "z", "ß"]);
        assert!(sort_key("Thôn 2") < sort_key("Thôn A"));
    }

    #[test]
    fn case_is_only_a_tie_break() {
        assert!(sort_key("an") < sort_key("An"));
        assert!(sort_key("An") < sort_key("ANH"));
        assert!(sort_key("AN") < sort_key("àn"));
        assert!(sort_key("ĐÀO") > sort_key("đào"));
        let (lower, upper) = (sort_key("nguyễn"), sort_key("NGUYỄN"));
        let levels = |k: &str| k.rsplit_once('!').map(|(head, _)| head.to_owned());
        assert_eq!(levels(&lower), levels(&upper));
    }

    #[test]
    fn whitespace_and_normal_form_do_not_matter() {
        assert_eq!(sort_key("  Nguyễn   Văn\tAn "), sort_key("Nguyễn Văn An"));
        let nfd: String = "Nguyễn Văn Đặng".nfd().collect();
        assert_eq!(sort_key(&nfd), sort_key("Nguyễn Văn Đặng"));
    }

    #[test]
    fn documented_encoding() {
        assert_eq!(sort_key(""), "!!");
        // a=0x4E n=0x5F, no tone, lower case.
        assert_eq!(sort_key("an"), "N_!0!00");
        // Lê An: l=0x5D ê=0x56, word separator 0x22; tones none/none; L upper.
        assert_eq!(sort_key("Lê An"), "]V\"N_!00!1010");
        assert_eq!(sort_key("á"), "N!4!0");
        assert_eq!(sort_key("ß"), "o0000DF!0!0");
        assert_eq!(sort_key("–"), "C002013!0!0");
        assert_eq!(person_sort_key("Lê An"), "N_!0!10 ]V\"N_!00!1010");
    }

    #[test]
    fn people_sort_by_given_name_first() {
        assert_eq!(
            sorted_by(&["Lê Văn Bình", "Trần Thị An", "Nguyễn Văn An"], person_sort_key),
            ["Nguyễn Văn An", "Trần Thị An", "Lê Văn Bình"]
        );
        assert_eq!(
            sorted_by(&["Lê Anh", "Nguyễn An", "Lê Ánh", "Phạm Ăn", "An"], person_sort_key),
            ["An", "Nguyễn An", "Lê Anh", "Lê Ánh", "Phạm Ăn"]
        );
        // A shorter given name comes first whatever follows it.
        assert!(person_sort_key("Zô An") < person_sort_key("A Anh"));
    }

    #[test]
    fn keys_are_printable_ascii() {
        for s in ["", "Nguyễn Văn An", "中文 ß – “x”", "\u{301}", "a\u{0}b\u{7f}", "İ"] {
            let k = sort_key(s);
            assert!(k.bytes().all(|b| (0x21..=0x7E).contains(&b)), "{s:?} → {k:?}");
            let p = person_sort_key(s);
            assert!(p.bytes().all(|b| (0x20..=0x7E).contains(&b)), "{s:?} → {p:?}");
        }
    }
}
