//! Vietnamese typed in the old 8-bit fonts, and CSV bytes in the encodings offices still save.
//!
//! Before Unicode, Vietnamese offices typed in fonts that put Vietnamese letters where Western
//! letters used to be: the ABC fonts (`.VnTime`, TCVN 5712:1993 "VN3", called TCVN3) and the
//! VNI fonts (`VNI-Times`). The file stores Western bytes; only the font makes them Vietnamese.
//! Excel hands such a cell over as Windows-1252 characters ("NguyÔn V¨n" for "Nguyễn Văn" in
//! TCVN3, "Nguyeãn Vaên" in VNI), and a CSV saved from such a sheet holds the same bytes.
//!
//! [`to_unicode`] decides, cell by cell, whether the text is such mojibake and converts it to
//! Unicode NFC. It only converts when the converted words are Vietnamese syllables and the text
//! as it stands is not, so real Unicode Vietnamese ("Võ Thị Hà"), English, numbers, e-mail
//! addresses and words such as "Café" are left alone.
//!
//! Sources of the tables below (checked against each other, and the unit tests pin a handful
//! of code points from them):
//! - TCVN3: `tcvn.h` of xvnkb by Dao Hai Lam (github.com/lamdao/xvnkb, 2002), lower-case half;
//!   cross-checked with the `tcvnchars`/`unichars` pair of backupvietsoft/HRM
//!   (`ConvertVNI/XtraForm1.cs`) and the 0xA0–0xFF half of XFree86 `lcUniConv/tcvn.h`.
//! - VNI Windows: `vni.h` of the same xvnkb; cross-checked with duydev/vietnamese-conversion
//!   (its README's "Xin chaøo caùc baïn" and its `charsets` mapping, "AØ", "AÙ", "AÂ", "Ì", "Í").
//!
//! The ABC fonts have no code for capital letters carrying a tone mark: capitals were typed with
//! the lower-case codes in a companion "H" font (`.VnTimeH`). A converted cell is therefore put
//! in capitals when it is written in capitals otherwise (no lower-case Latin letter, and a word
//! with two capitals, such as "NGUYÔN"); a lone "Hµ" stays "Hà".

use std::borrow::Cow;

use unicode_normalization::{UnicodeNormalization, is_nfc};

/// How the text of one cell was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Unicode (or plain ASCII): nothing to convert.
    Unicode,
    /// TCVN3 (ABC, `.VnTime` fonts) read as Windows-1252.
    Tcvn3,
    /// VNI Windows (`VNI-Times` fonts) read as Windows-1252.
    Vni,
}

impl Encoding {
    /// The name an office uses for it.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Unicode => "Unicode",
            Self::Tcvn3 => "TCVN3 (ABC)",
            Self::Vni => "VNI Windows",
        }
    }
}

/// What the bytes of a CSV file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceEncoding {
    /// UTF-8 starting with a byte order mark (what Excel writes for "CSV UTF-8").
    Utf8Bom,
    /// UTF-8 without a byte order mark.
    Utf8,
    /// Windows-1258, the Vietnamese Windows code page (tone marks as combining characters).
    Windows1258,
    /// 8-bit text typed in TCVN3 (ABC) fonts.
    Tcvn3,
    /// 8-bit text typed in VNI fonts.
    Vni,
}

impl SourceEncoding {
    /// The name an office uses for it.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Utf8Bom => "UTF-8 (có BOM)",
            Self::Utf8 => "UTF-8",
            Self::Windows1258 => "Windows-1258",
            Self::Tcvn3 => "TCVN3 (ABC)",
            Self::Vni => "VNI Windows",
        }
    }
}

// Combining marks: the five tones and the three vowel qualities.
const ACUTE: char = '\u{301}';
const GRAVE: char = '\u{300}';
const HOOK: char = '\u{309}';
const TILDE: char = '\u{303}';
const DOT: char = '\u{323}';
const CIRCUMFLEX: char = '\u{302}';
const BREVE: char = '\u{306}';
const HORN: char = '\u{31B}';
const TONES: [char; 5] = [ACUTE, GRAVE, HOOK, TILDE, DOT];

/// TCVN3 (ABC) code → Unicode letter, as the code appears in a Windows-1252 cell (the code
/// point of a Latin-1 character equals the byte). Source: see the module documentation.
const TCVN3: [(u8, char); 74] = [
    // a, ă, â
    (0xB8, 'á'),
    (0xB5, 'à'),
    (0xB6, 'ả'),
    (0xB7, 'ã'),
    (0xB9, 'ạ'),
    (0xA8, 'ă'),
    (0xBE, 'ắ'),
    (0xBB, 'ằ'),
    (0xBC, 'ẳ'),
    (0xBD, 'ẵ'),
    (0xC6, 'ặ'),
    (0xA9, 'â'),
    (0xCA, 'ấ'),
    (0xC7, 'ầ'),
    (0xC8, 'ẩ'),
    (0xC9, 'ẫ'),
    (0xCB, 'ậ'),
    // e, ê
    (0xD0, 'é'),
    (0xCC, 'è'),
    (0xCE, 'ẻ'),
    (0xCF, 'ẽ'),
    (0xD1, 'ẹ'),
    (0xAA, 'ê'),
    (0xD5, 'ế'),
    (0xD2, 'ề'),
    (0xD3, 'ể'),
    (0xD4, 'ễ'),
    (0xD6, 'ệ'),
    // i
    (0xDD, 'í'),
    (0xD7, 'ì'),
    (0xD8, 'ỉ'),
    (0xDC, 'ĩ'),
    (0xDE, 'ị'),
    // o, ô, ơ
    (0xE3, 'ó'),
    (0xDF, 'ò'),
    (0xE1, 'ỏ'),
    (0xE2, 'õ'),
    (0xE4, 'ọ'),
    (0xAB, 'ô'),
    (0xE8, 'ố'),
    (0xE5, 'ồ'),
    (0xE6, 'ổ'),
    (0xE7, 'ỗ'),
    (0xE9, 'ộ'),
    (0xAC, 'ơ'),
    (0xED, 'ớ'),
    (0xEA, 'ờ'),
    (0xEB, 'ở'),
    (0xEC, 'ỡ'),
    (0xEE, 'ợ'),
    // u, ư
    (0xF3, 'ú'),
    (0xEF, 'ù'),
    (0xF1, 'ủ'),
    (0xF2, 'ũ'),
    (0xF4, 'ụ'),
    (0xAD, 'ư'),
    (0xF8, 'ứ'),
    (0xF5, 'ừ'),
    (0xF6, 'ử'),
    (0xF7, 'ữ'),
    (0xF9, 'ự'),
    // y
    (0xFD, 'ý'),
    (0xFA, 'ỳ'),
    (0xFB, 'ỷ'),
    (0xFC, 'ỹ'),
    (0xFE, 'ỵ'),
    // đ and the seven capitals the font has
    (0xAE, 'đ'),
    (0xA1, 'Ă'),
    (0xA2, 'Â'),
    (0xA3, 'Ê'),
    (0xA4, 'Ô'),
    (0xA5, 'Ơ'),
    (0xA6, 'Ư'),
    (0xA7, 'Đ'),
];

fn tcvn3_decode_char(c: char) -> Option<char> {
    let code = u32::from(c);
    TCVN3.iter().find(|(b, _)| u32::from(*b) == code).map(|&(_, u)| u)
}

fn tcvn3_encode_char(c: char) -> Option<char> {
    TCVN3.iter().find(|(_, u)| *u == c).map(|&(b, _)| char::from(b))
}

/// VNI: the characters that follow a vowel and add its quality and/or tone. Lower- and
/// upper-case forms (the upper-case ones follow capitals). Source: xvnkb `vni.h`.
fn vni_modifier(c: char) -> Option<(Option<char>, Option<char>)> {
    Some(match c {
        'ù' | 'Ù' => (None, Some(ACUTE)),
        'ø' | 'Ø' => (None, Some(GRAVE)),
        'û' | 'Û' => (None, Some(HOOK)),
        'õ' | 'Õ' => (None, Some(TILDE)),
        'ï' | 'Ï' => (None, Some(DOT)),
        'â' | 'Â' => (Some(CIRCUMFLEX), None),
        'á' | 'Á' => (Some(CIRCUMFLEX), Some(ACUTE)),
        'à' | 'À' => (Some(CIRCUMFLEX), Some(GRAVE)),
        'å' | 'Å' => (Some(CIRCUMFLEX), Some(HOOK)),
        'ã' | 'Ã' => (Some(CIRCUMFLEX), Some(TILDE)),
        'ä' | 'Ä' => (Some(CIRCUMFLEX), Some(DOT)),
        'ê' | 'Ê' => (Some(BREVE), None),
        'é' | 'É' => (Some(BREVE), Some(ACUTE)),
        'è' | 'È' => (Some(BREVE), Some(GRAVE)),
        'ú' | 'Ú' => (Some(BREVE), Some(HOOK)),
        'ü' | 'Ü' => (Some(BREVE), Some(TILDE)),
        'ë' | 'Ë' => (Some(BREVE), Some(DOT)),
        _ => return None,
    })
}

fn vni_modifier_char(quality: Option<char>, tone: Option<char>, upper: bool) -> Option<char> {
    let lower = match (quality, tone) {
        (None, Some(ACUTE)) => 'ù',
        (None, Some(GRAVE)) => 'ø',
        (None, Some(HOOK)) => 'û',
        (None, Some(TILDE)) => 'õ',
        (None, Some(DOT)) => 'ï',
        (Some(CIRCUMFLEX), None) => 'â',
        (Some(CIRCUMFLEX), Some(ACUTE)) => 'á',
        (Some(CIRCUMFLEX), Some(GRAVE)) => 'à',
        (Some(CIRCUMFLEX), Some(HOOK)) => 'å',
        (Some(CIRCUMFLEX), Some(TILDE)) => 'ã',
        (Some(CIRCUMFLEX), Some(DOT)) => 'ä',
        (Some(BREVE), None) => 'ê',
        (Some(BREVE), Some(ACUTE)) => 'é',
        (Some(BREVE), Some(GRAVE)) => 'è',
        (Some(BREVE), Some(HOOK)) => 'ú',
        (Some(BREVE), Some(TILDE)) => 'ü',
        (Some(BREVE), Some(DOT)) => 'ë',
        _ => return None,
    };
    Some(if upper { lower.to_ascii_uppercase_latin1() } else { lower })
}

/// VNI: the characters that stand for a whole letter (ơ, ư, đ, and i or y with some tones).
fn vni_letter(c: char) -> Option<char> {
    Some(match c {
        'ô' => 'ơ',
        'Ô' => 'Ơ',
        'ö' => 'ư',
        'Ö' => 'Ư',
        'ñ' => 'đ',
        'Ñ' => 'Đ',
        'í' => 'í',
        'Í' => 'Í',
        'ì' => 'ì',
        'Ì' => 'Ì',
        'æ' => 'ỉ',
        'Æ' => 'Ỉ',
        'ó' => 'ĩ',
        'Ó' => 'Ĩ',
        'ò' => 'ị',
        'Ò' => 'Ị',
        'î' => 'ỵ',
        'Î' => 'Ỵ',
        _ => return None,
    })
}

trait Latin1Upper {
    fn to_ascii_uppercase_latin1(self) -> char;
}

impl Latin1Upper for char {
    /// Latin-1 lower-case letters 0xE0–0xFE (except ÷) have their capital 0x20 below.
    fn to_ascii_uppercase_latin1(self) -> char {
        let code = u32::from(self);
        if (0xE0..=0xFE).contains(&code) && code != 0xF7 {
            char::from_u32(code - 0x20).unwrap_or(self)
        } else {
            self.to_ascii_uppercase()
        }
    }
}

/// Characters a Windows-1252 reading of 8-bit bytes can produce besides Latin-1.
const CP1252_EXTRA: &str = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";

fn is_8bit_char(c: char) -> bool {
    u32::from(c) <= 0xFF || CP1252_EXTRA.contains(c)
}

/// Decodes a cell typed in TCVN3, or `None` when it holds a letter the encoding does not use.
fn decode_tcvn3(cell: &str) -> Option<String> {
    let mut out: Vec<(char, bool)> = Vec::with_capacity(cell.len());
    let mut capitals_in_word = 0usize;
    let mut word_with_two_capitals = false;
    let mut ascii_lower = false;
    for c in cell.chars() {
        if let Some(u) = tcvn3_decode_char(c) {
            if u.is_uppercase() {
                capitals_in_word += 1;
            }
            out.push((u, u.is_lowercase()));
        } else if c.is_ascii() || !c.is_alphabetic() {
            if c.is_ascii_uppercase() {
                capitals_in_word += 1;
            } else if c.is_ascii_lowercase() {
                ascii_lower = true;
            } else if !c.is_alphanumeric() {
                capitals_in_word = 0;
            }
            out.push((c, false));
        } else {
            return None;
        }
        word_with_two_capitals |= capitals_in_word >= 2;
    }
    let capitals = word_with_two_capitals && !ascii_lower;
    if !capitals {
        title_case_words(&mut out);
    }
    Some(
        out.into_iter()
            .flat_map(|(c, code)| if capitals && code { Either::Many(c.to_uppercase()) } else { Either::One(Some(c)) })
            .collect(),
    )
}

/// In a cell whose every other word begins with a capital ("Đặng Thị Ngọc ¸nh"), a word that
/// begins with a lower-case code began with a capital the ABC font could not show: "Ánh".
fn title_case_words(out: &mut [(char, bool)]) {
    let mut starts = Vec::new();
    let mut at_start = true;
    for (i, (c, _)) in out.iter().enumerate() {
        if c.is_whitespace() {
            at_start = true;
        } else if at_start {
            starts.push(i);
            at_start = false;
        }
    }
    let coded: Vec<usize> = starts.iter().copied().filter(|&i| out[i].1).collect();
    let capitalised = starts.iter().filter(|&&i| !out[i].1 && out[i].0.is_uppercase()).count();
    if coded.is_empty() || capitalised == 0 || capitalised + coded.len() != starts.len() {
        return;
    }
    for i in coded {
        let (c, _) = out[i];
        let mut upper = c.to_uppercase();
        if let (Some(u), None) = (upper.next(), upper.next()) {
            out[i] = (u, false);
        }
    }
}

enum Either<I> {
    One(Option<char>),
    Many(I),
}

impl<I: Iterator<Item = char>> Iterator for Either<I> {
    type Item = char;
    fn next(&mut self) -> Option<char> {
        match self {
            Self::One(c) => c.take(),
            Self::Many(i) => i.next(),
        }
    }
}

fn is_vowel(c: char) -> bool {
    matches!(c.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'ơ' | 'ư' | 'Ơ' | 'Ư')
}

/// Decodes a cell typed in VNI, or `None` when a mark follows something it cannot sit on or a
/// letter the encoding does not use appears.
fn decode_vni(cell: &str) -> Option<String> {
    // (base letter, quality mark, tone mark)
    let mut out: Vec<(char, Option<char>, Option<char>)> = Vec::with_capacity(cell.len());
    for c in cell.chars() {
        if let Some((quality, tone)) = vni_modifier(c) {
            let (base, q, t) = out.last_mut()?;
            // A VNI keyboard types the mark in the case of its vowel ("aù", "AÙ").
            if !is_vowel(*base)
                || base.is_uppercase() != c.is_uppercase()
                || t.is_some()
                || (quality.is_some() && q.is_some())
            {
                return None;
            }
            match quality {
                Some(CIRCUMFLEX) if !matches!(base.to_ascii_lowercase(), 'a' | 'e' | 'o') => return None,
                Some(BREVE) if !base.eq_ignore_ascii_case(&'a') => return None,
                _ => {}
            }
            if quality.is_some() {
                *q = quality;
            }
            *t = tone;
        } else if let Some(letter) = vni_letter(c) {
            out.push((letter, None, None));
        } else if c.is_ascii() || !c.is_alphabetic() {
            out.push((c, None, None));
        } else {
            return None;
        }
    }
    let mut s = String::with_capacity(cell.len() + 8);
    for (base, q, t) in out {
        s.push(base);
        s.extend(q);
        s.extend(t);
    }
    Some(s.nfc().collect())
}

/// Decodes a cell as if typed in `encoding`, whatever [`detect`] would say; `None` when the
/// cell cannot be in that encoding. For [`Encoding::Unicode`] it is the NFC form.
#[must_use]
pub fn decode_as(cell: &str, encoding: Encoding) -> Option<String> {
    match encoding {
        Encoding::Unicode => Some(cell.nfc().collect()),
        Encoding::Tcvn3 => decode_tcvn3(cell),
        Encoding::Vni => decode_vni(cell),
    }
}

/// Writes Unicode text as it would be stored when typed in a legacy font (the Windows-1252
/// view of the bytes). Characters the encoding has no code for are kept as they are; TCVN3
/// capitals with a tone mark take the lower-case code, as the "H" fonts did.
#[must_use]
pub fn encode(text: &str, encoding: Encoding) -> String {
    match encoding {
        Encoding::Unicode => text.nfc().collect(),
        Encoding::Tcvn3 => text
            .nfc()
            .map(|c| {
                tcvn3_encode_char(c)
                    .or_else(|| {
                        let mut lower = c.to_lowercase();
                        match (lower.next(), lower.next()) {
                            (Some(l), None) if l != c => tcvn3_encode_char(l),
                            _ => None,
                        }
                    })
                    .unwrap_or(c)
            })
            .collect(),
        Encoding::Vni => {
            let mut out = String::with_capacity(text.len() * 2);
            for c in text.nfc() {
                encode_vni_char(c, &mut out);
            }
            out
        }
    }
}

fn encode_vni_char(c: char, out: &mut String) {
    match c {
        'đ' => return out.push('ñ'),
        'Đ' => return out.push('Ñ'),
        _ => {}
    }
    let mut parts = std::iter::once(c).nfd();
    let Some(base) = parts.next() else { return };
    let marks: Vec<char> = parts.collect();
    if marks.is_empty() || !matches!(base.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u' | 'y') {
        return out.push(c);
    }
    let upper = base.is_ascii_uppercase();
    let mut quality = None;
    let mut tone = None;
    let mut horn = false;
    for m in marks {
        match m {
            HORN => horn = true,
            CIRCUMFLEX | BREVE if quality.is_none() => quality = Some(m),
            m if TONES.contains(&m) && tone.is_none() => tone = Some(m),
            _ => return out.push(c),
        }
    }
    let lower_base = base.to_ascii_lowercase();
    if horn {
        let letter = match (lower_base, quality) {
            ('o', None) => 'ô',
            ('u', None) => 'ö',
            _ => return out.push(c),
        };
        out.push(if upper { letter.to_ascii_uppercase_latin1() } else { letter });
        if let Some(t) = tone {
            out.extend(vni_modifier_char(None, Some(t), upper));
        }
        return;
    }
    let single = match (lower_base, quality, tone) {
        ('i', None, Some(ACUTE)) => Some('í'),
        ('i', None, Some(GRAVE)) => Some('ì'),
        ('i', None, Some(HOOK)) => Some('æ'),
        ('i', None, Some(TILDE)) => Some('ó'),
        ('i', None, Some(DOT)) => Some('ò'),
        ('y', None, Some(DOT)) => Some('î'),
        _ => None,
    };
    if let Some(s) = single {
        return out.push(if upper { s.to_ascii_uppercase_latin1() } else { s });
    }
    match vni_modifier_char(quality, tone, upper) {
        Some(m) => {
            out.push(base);
            out.push(m);
        }
        None => out.push(c),
    }
}

// ---------------------------------------------------------------------------------------------
// Is it Vietnamese? A syllable is an initial consonant, a vowel cluster and a final consonant,
// with at most one tone mark.

const INITIALS: [&str; 28] = [
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d", "đ", "g", "h", "k", "l", "m",
    "n", "p", "r", "s", "t", "v", "x", "",
];
const FINALS: [&str; 10] = ["ng", "nh", "ch", "c", "k", "m", "n", "p", "t", ""];
// "oo" (xoong, boong) is left out: too rare to be worth the confusion it brings.
const NUCLEI: [&str; 54] = [
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia",
    "iê", "iu", "oa", "oă", "oe", "oi", "ôi", "ơi", "ua", "uâ", "uê", "ui", "uô", "uơ", "uy", "ưa", "ưi", "ươ", "ưu",
    "yê", "iêu", "oai", "oao", "oay", "oeo", "uây", "uôi", "uya", "uyê", "uyu", "ươi", "ươu", "yêu",
];
/// Clusters that end in a glide and so take no final consonant.
const OPEN_ONLY: [&str; 29] = [
    "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iu", "oi", "ôi", "ơi", "ua", "ui", "ưa", "ưi", "ưu", "iêu",
    "oai", "oao", "oay", "oeo", "uây", "uôi", "ươi", "ươu", "yêu", "uơ",
];

/// Whether an initial may come before a rhyme: k, gh, ngh before i, e, ê (and k before y);
/// c, g, ng elsewhere ("gì", "gìn" are g + i); "gi" and "qu" swallow an i or u after them.
fn initial_fits(initial: &str, rhyme: &str) -> bool {
    let front = rhyme.starts_with(['i', 'e', 'ê']);
    match initial {
        "k" => front || rhyme.starts_with('y'),
        "gh" | "ngh" => front,
        "c" => !front && !rhyme.starts_with('y'),
        "ng" => !front && !rhyme.starts_with('y'),
        "g" => {
            (!front && !rhyme.starts_with('y'))
                || (rhyme.starts_with('i') && rhyme[1..].chars().all(|c| !"aăâeêioôơuưy".contains(c)))
        }
        "gi" => !rhyme.starts_with(['i', 'y']),
        "qu" => !rhyme.starts_with('u'),
        _ => true,
    }
}

/// Whether a final may follow a vowel cluster: -ch and -nh only after a front vowel (anh,
/// ênh, inh, oanh, uênh, uynh), -c and -ng never after one.
fn final_fits(nucleus: &str, final_: &str) -> bool {
    const FRONT: [&str; 7] = ["a", "ê", "i", "y", "oa", "uê", "uy"];
    match final_ {
        "ch" | "nh" => FRONT.contains(&nucleus),
        "c" | "ng" => !matches!(nucleus, "i" | "ê" | "y" | "uy" | "uê"),
        _ => true,
    }
}
/// Clusters that need a final consonant.
const NEEDS_FINAL: [&str; 9] = ["ă", "â", "iê", "yê", "uô", "ươ", "uâ", "oă", "uyê"];
const LETTERS: &str = "abcdeghiklmnopqrstuvxyăâđêôơư";

/// Whether `word` (letters only, any case) is a Vietnamese syllable.
#[must_use]
pub fn is_syllable(word: &str) -> bool {
    let lower: String = word.to_lowercase().nfc().collect();
    // The letters without tone, and which letter (by char index) carries the tone.
    let mut untoned = String::with_capacity(lower.len());
    let mut toned_at = None;
    let mut tone = None;
    let mut tones = 0;
    for (i, c) in lower.chars().enumerate() {
        let mut marks = std::iter::once(c).nfd();
        let base: String = marks.by_ref().take(1).collect();
        let mut rest = String::new();
        for m in marks {
            if TONES.contains(&m) {
                tones += 1;
                toned_at = Some(i);
                tone = Some(m);
            } else {
                rest.push(m);
            }
        }
        untoned.extend(format!("{base}{rest}").nfc());
    }
    if tones > 1 || untoned.is_empty() || !untoned.chars().all(|c| LETTERS.contains(c)) {
        return false;
    }
    INITIALS.iter().any(|i| {
        // "gi" and "qu" swallow the i and u after them: no "giiếm", no "quuân".
        untoned.strip_prefix(i).filter(|r| initial_fits(i, r)).is_some_and(|rhyme| {
            FINALS.iter().any(|f| {
                rhyme.strip_suffix(f).is_some_and(|nucleus| {
                    NUCLEI.contains(&nucleus)
                        && !(f.is_empty() && NEEDS_FINAL.contains(&nucleus))
                        && (f.is_empty() || !OPEN_ONLY.contains(&nucleus))
                        && final_fits(nucleus, f)
                        // After -c, -ch, -p, -t only the rising (sắc) and heavy (nặng) tones.
                        && !(matches!(*f, "c" | "ch" | "p" | "t" | "k") && matches!(tone, Some(GRAVE | HOOK | TILDE)))
                        && toned_at.is_none_or(|at| {
                            let start = i.chars().count();
                            at >= start && tone_position_ok(nucleus, !f.is_empty(), at - start)
                        })
                })
            })
        })
    })
}

/// Where a tone may sit in a vowel cluster: on the main vowel, which is the last one before a
/// final consonant, the second of three, and the first of two otherwise; "oa", "oe", "uy"
/// without a final take it on either vowel (old and new spelling: "hoà" and "hòa").
#[must_use]
fn tone_position_ok(nucleus: &str, has_final: bool, at: usize) -> bool {
    match nucleus.chars().count() {
        1 => at == 0,
        2 if has_final => at == 1,
        2 if matches!(nucleus, "oa" | "oe" | "uy") => at <= 1,
        2 if matches!(nucleus, "iê" | "yê" | "uô" | "ươ" | "uâ" | "uê" | "oă" | "uơ") => at == 1,
        2 => at == 0,
        _ if nucleus == "uyê" => at == 2,
        _ => at == 1,
    }
}

/// Of the words holding a non-ASCII character, how many are Vietnamese syllables, and how
/// many there are. Words are split at spaces and ASCII punctuation or digits only, so that a
/// legacy code such as "¬" stays inside its word and spoils it. Abbreviations in capitals
/// with a Đ ("SĐT", "CNSCĐ") count for nothing either way.
fn score(text: &str) -> (usize, usize) {
    let mut valid = 0;
    let mut total = 0;
    for word in text.split(|c: char| c.is_whitespace() || (c.is_ascii() && !c.is_ascii_alphabetic())) {
        let abbreviation = word.chars().count() >= 2 && word.chars().all(|c| c.is_ascii_uppercase() || c == 'Đ');
        if word.is_ascii() || abbreviation {
            continue;
        }
        total += 1;
        valid += usize::from(is_syllable(word));
    }
    (valid, total)
}

/// Tells how the text of a cell was typed.
#[must_use]
pub fn detect(cell: &str) -> Encoding {
    detect_decoded(cell).0
}

fn detect_decoded(cell: &str) -> (Encoding, Option<String>) {
    if cell.is_ascii() || !cell.chars().all(is_8bit_char) {
        return (Encoding::Unicode, None);
    }
    let (valid, total) = score(cell);
    if valid == total {
        return (Encoding::Unicode, None);
    }
    let mut best: Option<(Encoding, String, usize, usize)> = None;
    for encoding in [Encoding::Tcvn3, Encoding::Vni] {
        let Some(decoded) = decode_as(cell, encoding) else { continue };
        // Nothing left but abbreviations ("S§T" → "SĐT") counts as all read.
        let (v, t) = match score(&decoded) {
            (_, 0) => (1, 1),
            scored => scored,
        };
        // At least three words in four must be syllables, and more than as the cell stands.
        if v * 4 < t * 3 || v * total <= valid * t {
            continue;
        }
        // Ties go to the shorter reading: VNI joins a vowel and its mark into one letter.
        let better = best.as_ref().is_none_or(|(_, bd, bv, bt)| {
            (v * bt, v, std::cmp::Reverse(decoded.chars().count()))
                > (bv * t, *bv, std::cmp::Reverse(bd.chars().count()))
        });
        if better {
            best = Some((encoding, decoded, v, t));
        }
    }
    match best {
        Some((encoding, decoded, _, _)) => (encoding, Some(decoded)),
        None => (Encoding::Unicode, None),
    }
}

/// The cell's text in Unicode NFC: converted from TCVN3 or VNI when [`detect`] finds it typed
/// so, otherwise the text itself (borrowed when it is already NFC).
#[must_use]
pub fn to_unicode(cell: &str) -> Cow<'_, str> {
    match detect_decoded(cell) {
        (_, Some(decoded)) => Cow::Owned(decoded),
        (_, None) if is_nfc(cell) => Cow::Borrowed(cell),
        (_, None) => Cow::Owned(cell.nfc().collect()),
    }
}

/// The legacy encoding most cells are typed in, if any: [`Encoding::Unicode`] when none is,
/// or when as many cells are in TCVN3 as in VNI.
#[must_use]
pub fn dominant<'a>(cells: impl IntoIterator<Item = &'a str>) -> Encoding {
    let mut counts = [0usize; 2];
    for cell in cells {
        match detect(cell) {
            Encoding::Tcvn3 => counts[0] += 1,
            Encoding::Vni => counts[1] += 1,
            Encoding::Unicode => {}
        }
    }
    match counts[0].cmp(&counts[1]) {
        std::cmp::Ordering::Greater => Encoding::Tcvn3,
        std::cmp::Ordering::Less => Encoding::Vni,
        std::cmp::Ordering::Equal => Encoding::Unicode,
    }
}

/// Like [`to_unicode`], for a cell of a sheet (or file) mostly typed in `usual`: a cell that
/// could be TCVN3 or VNI is read in the sheet's usual one ("Thoân" is VNI "Thôn" rather than
/// TCVN3 "Thoõn" among VNI cells). Text that reads as Vietnamese as it stands is still left
/// alone, even where the usual encoding would also make sense of it: a Unicode "Thôn" pasted
/// among TCVN3 cells stays "Thôn" rather than becoming TCVN3 "Thụn".
#[must_use]
pub fn to_unicode_with(cell: &str, usual: Encoding) -> Cow<'_, str> {
    let candidate = usual != Encoding::Unicode && !cell.is_ascii() && cell.chars().all(is_8bit_char);
    let reads_as_is = || {
        let (valid, total) = score(cell);
        valid == total
    };
    if candidate
        && !reads_as_is()
        && let Some(decoded) = decode_as(cell, usual)
    {
        let (valid, total) = score(&decoded);
        if valid == total {
            return Cow::Owned(decoded);
        }
    }
    to_unicode(cell)
}

/// The text of a CSV (or other text) file and the encoding it was found in: UTF-8 with or
/// without a byte order mark; otherwise Windows-1258, unless its fields read as text typed in
/// TCVN3 or VNI fonts, which are then converted field by field. Always NFC.
#[must_use]
pub fn decode_bytes(bytes: &[u8]) -> (String, SourceEncoding) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return (String::from_utf8_lossy(rest).nfc().collect(), SourceEncoding::Utf8Bom);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.nfc().collect(), SourceEncoding::Utf8);
    }
    let (western, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
    let is_separator = |c: char| matches!(c, '\r' | '\n' | '\t' | ',' | ';' | '"');
    let usual = dominant(western.split(is_separator));
    let (vietnamese, _, _) = encoding_rs::WINDOWS_1258.decode(bytes);
    let vietnamese: String = vietnamese.nfc().collect();
    if usual == Encoding::Unicode {
        return (vietnamese, SourceEncoding::Windows1258);
    }
    // Legacy fonts or Windows-1258: whichever gives more fields that read as Vietnamese.
    let mut converted = String::with_capacity(western.len() + western.len() / 4);
    let mut legacy_fields = 0;
    for piece in western.split_inclusive(is_separator) {
        let (field, separator) = match piece.char_indices().last() {
            Some((i, c)) if is_separator(c) => (&piece[..i], &piece[i..]),
            _ => (piece, ""),
        };
        let field_text = to_unicode_with(field, usual);
        if field_text != field {
            legacy_fields += 1;
        }
        converted.push_str(&field_text);
        converted.push_str(separator);
    }
    let reads_well = vietnamese
        .split(is_separator)
        .filter(|f| {
            let (valid, total) = score(f);
            total > 0 && valid == total
        })
        .count();
    if legacy_fields <= reads_well {
        return (vietnamese, SourceEncoding::Windows1258);
    }
    let source = if usual == Encoding::Tcvn3 { SourceEncoding::Tcvn3 } else { SourceEncoding::Vni };
    (converted.nfc().collect(), source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_pins_known_code_points() {
        // From the cited tables: 0xB8 á, 0xAD ư, 0xAE đ, 0xD4 ễ, 0xA7 Đ, 0xFE ỵ.
        assert_eq!(tcvn3_decode_char('\u{B8}'), Some('\u{E1}'));
        assert_eq!(tcvn3_decode_char('\u{AD}'), Some('\u{1B0}'));
        assert_eq!(tcvn3_decode_char('\u{AE}'), Some('\u{111}'));
        assert_eq!(tcvn3_decode_char('\u{D4}'), Some('\u{1EC5}'));
        assert_eq!(tcvn3_decode_char('\u{A7}'), Some('\u{110}'));
        assert_eq!(tcvn3_decode_char('\u{FE}'), Some('\u{1EF5}'));
        assert_eq!(tcvn3_decode_char('\u{E0}'), None);
        // VNI: "Xin chaøo caùc baïn", the example of duydev/vietnamese-conversion.
        assert_eq!(encode("Xin chào các bạn", Encoding::Vni), "Xin chaøo caùc baïn");
        assert_eq!(encode("Ơ Ư Đ Ỉ", Encoding::Vni), "Ô Ö Ñ Æ");
    }

    #[test]
    fn every_table_entry_is_distinct() {
        for (i, (b, u)) in TCVN3.iter().enumerate() {
            for (b2, u2) in &TCVN3[i + 1..] {
                assert_ne!(b, b2);
                assert_ne!(u, u2);
            }
        }
    }

    #[test]
    fn syllables() {
        for w in [
            "Nguyễn",
            "thị",
            "Hương",
            "trần",
            "văn",
            "Đức",
            "phường",
            "hải",
            "châu",
            "thôn",
            "phú",
            "ninh",
            "khuya",
            "quốc",
            "gì",
            "giữa",
            "Đắk",
            "Võ",
            "Hà",
            "ý",
        ] {
            assert!(is_syllable(w), "{w}");
        }
        for w in ["hoà", "hòa", "thuở", "chuyện", "khuỷu", "người", "quả", "giữa"] {
            assert!(is_syllable(w), "{w}");
        }
        for w in ["café", "müller", "nguyôn", "tr¬ng", "hµ", "ngủả", "x", "baỷ", "ngưòi", "chuỵên"] {
            assert!(!is_syllable(w), "{w}");
        }
    }
}
