//! Property tests for the text, phone and citizen-ID rules.

use std::cmp::Ordering;

use domain::cccd::PROVINCE_CODES;
use domain::phone::MOBILE_PREFIXES;
use domain::text::{ALPHABET, clean, fold, given_name, nfc, person_sort_key, sort_key};
use domain::{Cccd, CccdError, Gender, PhoneError, PhoneVn};
use proptest::prelude::*;
use proptest::sample::Index;
use unicode_normalization::UnicodeNormalization;

// ---------------------------------------------------------------------------------------------
// Vietnamese text, generated together with the order it must sort in.

/// grave, hook above, tilde, acute, dot below: the tones in collation order after "none".
const TONE_MARKS: [char; 5] = ['\u{300}', '\u{309}', '\u{303}', '\u{301}', '\u{323}'];

/// A word: tokens 0..10 are the digits, 10..43 the letters of `ALPHABET`; the flag is upper case.
#[derive(Debug, Clone)]
struct Word {
    tokens: Vec<(usize, bool)>,
    tone: usize,
    tone_at: Index,
}

impl Word {
    fn letter_positions(&self) -> Vec<usize> {
        (0..self.tokens.len()).filter(|&i| self.tokens[i].0 >= 10).collect()
    }

    /// The tone actually written: none when the word has no letter to carry it.
    fn effective_tone(&self) -> usize {
        if self.letter_positions().is_empty() { 0 } else { self.tone }
    }

    fn render(&self, out: &mut String) {
        let letters = self.letter_positions();
        let mark_after = (!letters.is_empty() && self.tone > 0).then(|| letters[self.tone_at.index(letters.len())]);
        for (i, &(t, upper)) in self.tokens.iter().enumerate() {
            if t < 10 {
                out.push(char::from(b'0' + u8::try_from(t).expect("digit")));
            } else if upper {
                out.extend(ALPHABET[t - 10].to_uppercase());
            } else {
                out.push(ALPHABET[t - 10]);
            }
            if mark_after == Some(i) {
                out.push(TONE_MARKS[self.tone - 1]);
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Phrase {
    words: Vec<Word>,
    gaps: Vec<&'static str>,
    nfd: bool,
}

impl Phrase {
    fn text(&self) -> String {
        let mut s = String::new();
        s.push_str(self.gaps[0]);
        for (i, w) in self.words.iter().enumerate() {
            if i > 0 {
                s.push_str(if self.gaps[i].is_empty() { " " } else { self.gaps[i] });
            }
            w.render(&mut s);
        }
        s.push_str(self.gaps[self.words.len()]);
        if self.nfd { s.nfd().collect() } else { s.nfc().collect() }
    }

    /// The order the spec asks for, as a tuple: letters word by word, then tones, then case.
    #[allow(clippy::type_complexity)]
    fn reference(&self) -> (Vec<Vec<usize>>, Vec<usize>, Vec<bool>) {
        let primary = self.words.iter().map(|w| w.tokens.iter().map(|t| t.0).collect()).collect();
        let tones = self.words.iter().map(Word::effective_tone).collect();
        let case = self.words.iter().flat_map(|w| w.tokens.iter().map(|&(t, upper)| t >= 10 && upper)).collect();
        (primary, tones, case)
    }
}

fn word(max_len: usize) -> impl Strategy<Value = Word> {
    (
        prop::collection::vec((prop_oneof![1 => 0usize..10, 6 => 10usize..43], any::<bool>()), 1..=max_len),
        0usize..6,
        any::<Index>(),
    )
        .prop_map(|(tokens, tone, tone_at)| Word { tokens, tone, tone_at })
}

fn phrase_with(max_words: usize, max_len: usize) -> impl Strategy<Value = Phrase> {
    (1..=max_words).prop_flat_map(move |n| {
        (
            prop::collection::vec(word(max_len), n),
            prop::collection::vec(prop::sample::select(vec![" ", " ", "  ", "\t", " \n ", ""]), n + 1),
            any::<bool>(),
        )
            .prop_map(|(words, gaps, nfd)| Phrase { words, gaps, nfd })
    })
}

fn phrase() -> impl Strategy<Value = Phrase> {
    phrase_with(4, 6)
}

/// Short phrases over few letters, so that ties on a level happen often.
fn small_phrase() -> impl Strategy<Value = Phrase> {
    (1usize..=2).prop_flat_map(|n| {
        let small_word = (
            prop::collection::vec((prop::sample::select(vec![10usize, 11, 12, 15, 16, 34]), any::<bool>()), 1..=2),
            0usize..6,
            any::<Index>(),
        )
            .prop_map(|(tokens, tone, tone_at)| Word { tokens, tone, tone_at });
        (prop::collection::vec(small_word, n), any::<bool>()).prop_map(move |(words, nfd)| Phrase {
            gaps: vec![" "; words.len() + 1],
            words,
            nfd,
        })
    })
}

/// Anything, with a bias towards Vietnamese letters, combining marks and odd whitespace.
fn messy_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđĐðÐİß \t\n\u{a0}\u{300}-\u{323}.,()–-]{0,24}",
    ]
}

fn levels(key: &str) -> Vec<&str> {
    key.split('!').collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn sort_key_orders_like_the_reference(a in phrase(), b in phrase()) {
        let (ta, tb) = (a.text(), b.text());
        prop_assert_eq!(
            sort_key(&ta).cmp(&sort_key(&tb)),
            a.reference().cmp(&b.reference()),
            "{:?} vs {:?}", ta, tb
        );
    }

    #[test]
    fn sort_key_orders_like_the_reference_with_ties(a in small_phrase(), b in small_phrase()) {
        let (ta, tb) = (a.text(), b.text());
        prop_assert_eq!(
            sort_key(&ta).cmp(&sort_key(&tb)),
            a.reference().cmp(&b.reference()),
            "{:?} vs {:?}", ta, tb
        );
    }

    #[test]
    fn same_letters_sort_by_tones_then_case(
        p in phrase(),
        tones in prop::collection::vec((0usize..6, 0usize..6), 4),
        cases in prop::collection::vec(any::<bool>(), 24),
    ) {
        // Two phrases with the same letters: the tones decide, word by word, then the case.
        let (mut a, mut b) = (p.clone(), p);
        for ((wa, wb), &(ta, tb)) in a.words.iter_mut().zip(&mut b.words).zip(&tones) {
            (wa.tone, wb.tone) = (ta, tb);
        }
        for (t, &upper) in b.words.iter_mut().flat_map(|w| w.tokens.iter_mut()).zip(&cases) {
            t.1 = upper;
        }
        let (ta, tb) = (a.text(), b.text());
        prop_assert_eq!(
            sort_key(&ta).cmp(&sort_key(&tb)),
            a.reference().cmp(&b.reference()),
            "{:?} vs {:?}", ta, tb
        );
    }

    #[test]
    fn keys_are_printable_ascii(s in messy_text()) {
        let key = sort_key(&s);
        prop_assert!(key.bytes().all(|b| (0x21..=0x7E).contains(&b)), "{:?}", key);
        prop_assert_eq!(levels(&key).len(), 3);
        let person = person_sort_key(&s);
        prop_assert!(person.bytes().all(|b| (0x20..=0x7E).contains(&b)), "{:?}", person);
        prop_assert_eq!(person.bytes().filter(|&b| b == b' ').count(), 1);
    }

    #[test]
    fn sort_key_is_deterministic_and_ignores_normal_form(s in messy_text()) {
        let key = sort_key(&s);
        prop_assert_eq!(&key, &sort_key(&s));
        prop_assert_eq!(&key, &sort_key(&s.nfd().collect::<String>()));
        prop_assert_eq!(&key, &sort_key(&s.nfc().collect::<String>()));
        prop_assert_eq!(&key, &sort_key(&clean(&s)));
        prop_assert_eq!(&key, &sort_key(&format!(" \t{s}\n ")));
    }

    #[test]
    fn tone_placement_and_case_do_not_change_letters_or_tones(
        p in phrase(),
        moves in prop::collection::vec(any::<Index>(), 4),
        flip in any::<bool>(),
    ) {
        // The same words with the tone on another letter, and with the case changed.
        let mut q = p.clone();
        for (w, at) in q.words.iter_mut().zip(moves) {
            w.tone_at = at;
            for t in &mut w.tokens {
                t.1 = if flip { !t.1 } else { t.1 };
            }
        }
        let (kp, kq) = (sort_key(&p.text()), sort_key(&q.text()));
        prop_assert_eq!(&levels(&kp)[..2], &levels(&kq)[..2]);
        if !flip {
            prop_assert_eq!(&kp, &kq);
        }
        prop_assert_eq!(fold(&p.text()), fold(&q.text()));
    }

    #[test]
    fn equal_primary_level_means_equal_fold(a in small_phrase(), b in small_phrase()) {
        let (ta, tb) = (a.text(), b.text());
        if levels(&sort_key(&ta))[0] == levels(&sort_key(&tb))[0] {
            prop_assert_eq!(fold(&ta), fold(&tb));
        }
    }

    #[test]
    fn person_key_sorts_by_given_name_then_full_name(a in messy_text(), b in messy_text()) {
        let expected = (sort_key(given_name(&a)), sort_key(&a))
            .cmp(&(sort_key(given_name(&b)), sort_key(&b)));
        prop_assert_eq!(person_sort_key(&a).cmp(&person_sort_key(&b)), expected);
    }

    #[test]
    fn person_key_of_vietnamese_names(a in phrase_with(4, 4), b in phrase_with(4, 4)) {
        let (ta, tb) = (a.text(), b.text());
        let given = |p: &Phrase| {
            let last = Phrase { words: vec![p.words[p.words.len() - 1].clone()], gaps: vec![""; 2], nfd: false };
            last.reference()
        };
        let expected = (given(&a), a.reference()).cmp(&(given(&b), b.reference()));
        prop_assert_eq!(person_sort_key(&ta).cmp(&person_sort_key(&tb)), expected, "{:?} vs {:?}", ta, tb);
    }

    #[test]
    fn given_name_is_the_last_word(s in messy_text()) {
        let g = given_name(&s);
        prop_assert!(!g.chars().any(char::is_whitespace));
        prop_assert!(s.trim_end().ends_with(g));
        prop_assert_eq!(g.is_empty(), s.trim().is_empty());
    }

    #[test]
    fn clean_and_fold_are_idempotent(s in messy_text()) {
        let c = clean(&s);
        prop_assert_eq!(&clean(&c), &c);
        prop_assert_eq!(&nfc(&c), &c);
        prop_assert!(!c.starts_with(' ') && !c.ends_with(' ') && !c.contains("  "));
        let f = fold(&s);
        prop_assert_eq!(&fold(&f), &f);
        prop_assert_eq!(&fold(&c), &f);
    }

    #[test]
    fn fold_of_vietnamese_is_plain_lowercase_ascii(p in phrase()) {
        let f = fold(&p.text());
        prop_assert!(f.bytes().all(|b| b == b' ' || b.is_ascii_lowercase() || b.is_ascii_digit()), "{:?}", f);
        prop_assert_eq!(f.split(' ').count(), p.words.len());
        prop_assert_eq!(&fold(&p.text().to_uppercase()), &f);
    }
}

#[test]
fn reference_examples() {
    assert_eq!(ALPHABET.iter().collect::<String>(), "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz");
    let mut tones = ["mạ", "má", "mã", "mả", "mà", "ma"];
    tones.sort_by_key(|n| sort_key(n));
    assert_eq!(tones, ["ma", "mà", "mả", "mã", "má", "mạ"]);
    let mut names = ["Dũng", "Đào", "Bình", "Âu", "Ăn", "Ánh", "Anh", "An"];
    names.sort_by_key(|n| sort_key(n));
    assert_eq!(names, ["An", "Anh", "Ánh", "Ăn", "Âu", "Bình", "Dũng", "Đào"]);
    let mut people = ["Lê Văn Bình", "Trần Thị An", "Nguyễn Văn An"];
    people.sort_by_key(|n| person_sort_key(n));
    assert_eq!(people, ["Nguyễn Văn An", "Trần Thị An", "Lê Văn Bình"]);
    assert_eq!(sort_key("Hoà").cmp(&sort_key("Hòa")), Ordering::Equal);
}

// ---------------------------------------------------------------------------------------------
// Phones.

fn mobile() -> impl Strategy<Value = (String, String)> {
    (prop::sample::select(MOBILE_PREFIXES.to_vec()), "[0-9]{7}").prop_map(|(p, rest)| (p.to_owned(), rest))
}

proptest! {
    #[test]
    fn every_accepted_form_round_trips((prefix, rest) in mobile()) {
        let stored = format!("0{prefix}{rest}");
        let nine = format!("{prefix}{rest}");
        let (a, b, c) = (&stored[..4], &stored[4..7], &stored[7..]);
        let forms = [
            stored.clone(),
            format!("{a} {b} {c}"),
            format!("{a}.{b}.{c}"),
            format!("{a}-{b}-{c}"),
            format!("+84{nine}"),
            format!("+84 {} {} {}", &nine[..3], &nine[3..6], &nine[6..]),
            format!("84{nine}"),
            format!("(+84) {} {} {}", &nine[..3], &nine[3..6], &nine[6..]),
            format!("(+84) {}.{}.{}", &nine[..3], &nine[3..6], &nine[6..]),
            nine.clone(),
            format!("  {stored}\u{a0}"),
        ];
        for form in &forms {
            let phone = PhoneVn::parse(form);
            prop_assert_eq!(phone.as_ref().map(PhoneVn::as_str), Ok(stored.as_str()), "{:?}", form);
        }
        let phone = PhoneVn::parse(&stored).expect("valid");
        prop_assert_eq!(phone.to_string(), stored.clone());
        prop_assert_eq!(phone.display(), format!("{a} {b} {c}"));
        prop_assert_eq!(phone.masked(), format!("{a} *** {c}"));
        prop_assert_eq!(PhoneVn::parse(&phone.display()), Ok(phone.clone()));
        prop_assert_eq!(stored.parse::<PhoneVn>(), Ok(phone.clone()));
        prop_assert_eq!(PhoneVn::try_from(stored.as_str()), Ok(phone));
    }

    #[test]
    fn landlines_are_refused_as_landlines(area in "2[0-9]{1,2}", rest in "[0-9]{7,8}") {
        let s = format!("0{area} {rest}");
        prop_assert_eq!(PhoneVn::parse(&s), Err(PhoneError::Landline));
    }

    #[test]
    fn anything_parsed_is_a_mobile_number(s in "[+0-9 .()a-]{0,16}|\\PC{0,12}") {
        if let Ok(phone) = PhoneVn::parse(&s) {
            let d = phone.as_str();
            prop_assert_eq!(d.len(), 10);
            prop_assert!(d.starts_with('0') && d.bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(MOBILE_PREFIXES.contains(&&d[1..3]));
            prop_assert_eq!(PhoneVn::parse(d), Ok(phone.clone()));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Citizen IDs.

fn gender() -> impl Strategy<Value = Gender> {
    prop::sample::select(Gender::ALL.to_vec())
}

fn opposite(g: Gender) -> Gender {
    match g {
        Gender::Male => Gender::Female,
        Gender::Female => Gender::Male,
    }
}

fn make_cccd(province: &str, gender: Gender, year: i32, serial: &str) -> String {
    let century_digit = match year.div_euclid(100) {
        18 => 8,
        19 => 0,
        20 => 2,
        21 => 4,
        _ => 6,
    } + i32::from(gender == Gender::Female);
    format!("0{province}{century_digit}{:02}{serial}", year.rem_euclid(100))
}

proptest! {
    #[test]
    fn generated_cccd_parses_with_its_gender_and_year(
        province in prop::sample::select(PROVINCE_CODES.to_vec()),
        g in gender(),
        year in 1900i32..2100,
        serial in "[0-9]{6}",
    ) {
        let s = make_cccd(province, g, year, &serial);
        let cccd = Cccd::parse(&s, Some(g), Some(year));
        prop_assert!(cccd.is_ok(), "{:?}: {:?}", s, cccd);
        let cccd = cccd.expect("checked");
        prop_assert_eq!(cccd.as_str(), s.as_str());
        prop_assert_eq!(cccd.gender(), g);
        prop_assert_eq!(cccd.birth_year_hint(), year);
        prop_assert_eq!(cccd.to_string(), s.clone());
        prop_assert_eq!(cccd.masked(), format!("{}******{}", &s[..3], &s[9..]));
        let spaced = format!("{} {} {}.{}-{}", &s[..3], &s[3..4], &s[4..6], &s[6..9], &s[9..]);
        prop_assert_eq!(Cccd::parse(&spaced, Some(g), Some(year)), Ok(cccd));

        prop_assert_eq!(
            Cccd::parse(&s, Some(opposite(g)), Some(year)),
            Err(CccdError::GenderMismatch { encoded: g, declared: opposite(g) })
        );
        prop_assert_eq!(
            Cccd::parse(&s, Some(g), Some(year + 100)),
            Err(CccdError::CenturyMismatch { declared: year + 100, century_start: year / 100 * 100 })
        );
        let other = if year % 100 == 99 { year - 1 } else { year + 1 };
        prop_assert_eq!(
            Cccd::parse(&s, None, Some(other)),
            Err(CccdError::YearMismatch { declared: other, encoded: year })
        );
    }

    #[test]
    fn unknown_provinces_are_refused(p in 0u32..1000, rest in "[0-9]{9}") {
        let prefix = format!("{p:03}");
        let s = format!("{prefix}{rest}");
        let known = prefix.starts_with('0') && PROVINCE_CODES.contains(&&prefix[1..]);
        match Cccd::parse(&s, None, None) {
            Ok(_) => prop_assert!(known),
            Err(e) => {
                prop_assert!(!known);
                prop_assert_eq!(e, CccdError::UnknownProvince { prefix });
            }
        }
    }

    #[test]
    fn wrong_lengths_are_refused(s in "[0-9]{0,11}|[0-9]{13,20}") {
        prop_assert_eq!(Cccd::parse(&s, None, None), Err(CccdError::WrongLength { digits: s.len() }));
    }
}

// ---------------------------------------------------------------------------------------------
// Money: figures, input and amounts in words.

mod money {
    use domain::Vnd;
    use domain::money::{FourWord, MoneyParseError, ThousandWord, WordsStyle, ZeroTenWord};
    use proptest::prelude::*;

    const MAX_INPUT: i64 = 1_000_000_000_000_000;

    const DIGITS: [&str; 10] = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"];

    fn digit(word: &str) -> Option<u128> {
        DIGITS.iter().position(|d| *d == word).map(|p| p as u128)
    }

    /// The unit after "mười": 11–19 say một, bốn, lăm (never mốt, tư, năm).
    fn unit_after_muoi(word: &str) -> Option<u128> {
        match word {
            "lăm" => Some(5),
            "không" | "năm" => None,
            w => digit(w),
        }
    }

    /// The unit after "<digit> mươi": 21 mốt, 24 tư or bốn, 25 lăm (never một, năm).
    fn unit_after_muoi_tens(word: &str) -> Option<u128> {
        match word {
            "mốt" => Some(1),
            "tư" => Some(4),
            "lăm" => Some(5),
            "không" | "một" | "năm" => None,
            w => digit(w),
        }
    }

    /// Reads one group of three digits starting at `tokens[i]`, written independently of the
    /// crate's speller: [<digit> trăm] [linh|lẻ <unit> | mười [<unit>] | <digit ≥ 2> mươi [<unit>] |
    /// <unit>]. A group after the leading one must say its hundreds ("không trăm"), the leading
    /// one must not say "không trăm", and a bare unit is only read without hundreds.
    fn read_group(tokens: &[&str], mut i: usize, leading: bool) -> Result<(u128, usize), String> {
        let mut value = 0;
        let said_hundreds = tokens.get(i + 1) == Some(&"trăm");
        if said_hundreds {
            let h = digit(tokens[i]).ok_or_else(|| format!("«{} trăm»", tokens[i]))?;
            if leading && h == 0 {
                return Err("the leading group says «không trăm»".into());
            }
            value = h * 100;
            i += 2;
        } else if !leading {
            return Err(format!("a group after the leading one does not say its hundreds at word {i}"));
        }
        match tokens.get(i).copied() {
            Some("linh" | "lẻ") => {
                if !said_hundreds {
                    return Err("«linh» without hundreds".into());
                }
                let u = tokens.get(i + 1).and_then(|w| digit(w)).filter(|&u| u > 0).ok_or("«linh» without a unit")?;
                value += u;
                i += 2;
            }
            Some("mười") => {
                value += 10;
                i += 1;
                if let Some(u) = tokens.get(i).and_then(|w| unit_after_muoi(w)) {
                    value += u;
                    i += 1;
                }
            }
            Some(w) if tokens.get(i + 1) == Some(&"mươi") => {
                let t = digit(w).filter(|&t| t >= 2).ok_or_else(|| format!("«{w} mươi»"))?;
                value += t * 10;
                i += 2;
                if let Some(u) = tokens.get(i).and_then(|w| unit_after_muoi_tens(w)) {
                    value += u;
                    i += 1;
                }
            }
            Some(w) if !said_hundreds && digit(w).is_some_and(|u| u > 0) => {
                value += digit(w).unwrap_or_default();
                i += 1;
            }
            _ => {}
        }
        if value == 0 {
            return Err(format!("an empty group at word {i}"));
        }
        Ok((value, i))
    }

    /// Reads "Một triệu không trăm linh năm đồng" back into 1000005. Groups take nghìn/ngàn or
    /// triệu; "tỷ" then multiplies everything said since the previous "tỷ" (the cycle restarts:
    /// "một nghìn hai trăm ba mươi tư tỷ"), and "tỷ tỷ" is 10¹⁸. The parts said must get
    /// strictly smaller from left to right.
    fn read_words(text: &str) -> Result<i128, String> {
        let (negative, body) = match text.strip_prefix("Âm ") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let body = body.strip_suffix(" đồng").ok_or("does not end with « đồng»")?;
        let mut chars = body.chars();
        let first = chars.next().ok_or("no number")?;
        if first.is_uppercase() == negative {
            return Err("only the very first letter is a capital".into());
        }
        let lower: String = first.to_lowercase().chain(chars).collect();
        let tokens: Vec<&str> = lower.split(' ').collect();
        if tokens == ["không"] {
            return if negative { Err("«Âm không»".into()) } else { Ok(0) };
        }

        let mut parts: Vec<u128> = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let (group, next) = read_group(&tokens, i, parts.is_empty())?;
            i = next;
            parts.push(group);
            let mut scaled = false;
            if let Some(m) = tokens.get(i).and_then(|w| match *w {
                "nghìn" | "ngàn" => Some(1_000),
                "triệu" => Some(1_000_000),
                _ => None,
            }) {
                if let Some(last) = parts.last_mut() {
                    *last *= m;
                }
                i += 1;
                scaled = true;
            }
            let mut ty = 0u32;
            while tokens.get(i) == Some(&"tỷ") {
                ty += 1;
                i += 1;
            }
            if ty > 0 {
                let scale = 1_000_000_000u128.pow(ty);
                let mut period = 0;
                while let Some(&last) = parts.last().filter(|&&p| p < scale) {
                    period += last;
                    parts.pop();
                }
                parts.push(period * scale);
                scaled = true;
            }
            if !scaled && i < tokens.len() {
                return Err(format!("a group without its scale word before word {i} («{}»)", tokens[i]));
            }
            if parts.windows(2).any(|w| w[0] <= w[1]) {
                return Err(format!("parts not decreasing: {parts:?}"));
            }
        }
        let value = i128::try_from(parts.iter().sum::<u128>()).map_err(|e| e.to_string())?;
        Ok(if negative { -value } else { value })
    }

    #[test]
    fn the_reader_reads_the_reference() {
        for (text, n) in [
            ("Một triệu hai trăm năm mươi nghìn đồng", 1_250_000),
            ("Một triệu không trăm linh năm nghìn đồng", 1_005_000),
            ("Một triệu không trăm linh năm đồng", 1_000_005),
            (
                "Một nghìn hai trăm ba mươi tư tỷ năm trăm sáu mươi bảy triệu tám trăm chín mươi nghìn \
                 một trăm hai mươi ba đồng",
                1_234_567_890_123,
            ),
            ("Một nghìn tỷ đồng", 1_000_000_000_000),
            ("Một tỷ tỷ không trăm linh năm tỷ đồng", 1_000_000_005_000_000_000),
            ("Không đồng", 0),
            ("Âm hai mươi mốt đồng", -21),
        ] {
            assert_eq!(read_words(text), Ok(n), "{text}");
        }
        // And refuses what the reference calls wrong.
        for text in [
            "Một triệu năm nghìn đồng",        // 1.005.000 needs «không trăm linh năm»
            "Không trăm năm đồng",             // the leading group never says «không trăm»
            "Ba trăm hai mươi năm nghìn đồng", // lăm
            "Hai mươi một đồng",               // mốt
            "Mười năm đồng",                   // lăm
            "Một trăm năm đồng",               // linh năm
            "Một trăm linh mươi đồng",
            "Một tỷ hai tỷ đồng",
            "hai đồng",
            "Hai",
        ] {
            assert!(read_words(text).is_err(), "{text}");
        }
    }

    /// A three-digit group, biased towards the digits the rules single out: zeros, 1, 4, 5, 10–19.
    fn group() -> impl Strategy<Value = u64> {
        let d = || prop_oneof![Just(0u64), Just(1), Just(4), Just(5), 0u64..10];
        prop_oneof![
            3 => Just(0u64),
            3 => 0u64..1000,
            3 => (d(), d(), d()).prop_map(|(h, t, u)| h * 100 + t * 10 + u),
        ]
    }

    /// Amounts across the whole range of `i64`, with many all-zero groups, of either sign.
    fn amount() -> impl Strategy<Value = i64> {
        prop_oneof![
            any::<i64>(),
            0i64..1_000,
            0..=MAX_INPUT,
            (proptest::collection::vec(group(), 1..=7), any::<bool>()).prop_map(|(groups, negative)| {
                let mut n = groups.iter().fold(0u128, |n, &g| n * 1000 + u128::from(g));
                if n > i64::MAX as u128 {
                    n %= 1_000_000_000_000_000_000;
                }
                let n = i64::try_from(n).unwrap_or_default();
                if negative { -n } else { n }
            }),
        ]
    }

    fn style() -> impl Strategy<Value = WordsStyle> {
        (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(ngan, le, bon)| WordsStyle {
            thousand: if ngan { ThousandWord::Ngan } else { ThousandWord::Nghin },
            zero_ten: if le { ZeroTenWord::Le } else { ZeroTenWord::Linh },
            four: if bon { FourWord::Bon } else { FourWord::Tu },
        })
    }

    /// `text` has `phrase` as whole words.
    fn has(text: &str, phrase: &str) -> bool {
        format!(" {} ", text.to_lowercase()).contains(&format!(" {phrase} "))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn display_parse_round_trip(n in 0..=MAX_INPUT, suffix in prop::sample::select(vec!["", " ₫", "₫", " đ", " VND", " đồng"])) {
            let d = Vnd::new(n);
            prop_assert_eq!(Vnd::parse(&d.display()), Ok(d));
            prop_assert_eq!(Vnd::parse(&d.grouped()), Ok(d));
            prop_assert_eq!(Vnd::parse(&format!("{n}{suffix}")), Ok(d));
            prop_assert_eq!(Vnd::parse(&format!("{}{suffix}", d.grouped().replace('.', ","))), Ok(d));
            prop_assert_eq!(Vnd::parse(&format!("{}{suffix}", d.grouped().replace('.', " "))), Ok(d));
            prop_assert_eq!(Vnd::parse_signed(&Vnd::new(-n).display()), Ok(Vnd::new(-n)));
            if n > 0 {
                prop_assert_eq!(Vnd::parse(&Vnd::new(-n).display()), Err(MoneyParseError::Negative));
            }
        }

        #[test]
        fn amounts_above_the_limit_are_refused(n in MAX_INPUT + 1..=i64::MAX) {
            prop_assert_eq!(Vnd::parse(&Vnd::new(n).display()), Err(MoneyParseError::TooLarge));
            prop_assert_eq!(Vnd::parse_signed(&Vnd::new(-n).display()), Err(MoneyParseError::TooLarge));
        }

        #[test]
        fn whatever_parses_has_the_digits_typed(s in "[0-9]{0,7}([., ][0-9]{0,4}){0,6}( ?(₫|đ|VND))?") {
            if let Ok(d) = Vnd::parse(&s) {
                let typed: String = s.chars().filter(char::is_ascii_digit).collect();
                prop_assert_eq!(typed.parse::<i64>().ok(), Some(d.value()));
                prop_assert!((0..=MAX_INPUT).contains(&d.value()));
                // Every group after a separator has three digits, so nothing decimal got in.
                prop_assert!(s.trim_matches(|c: char| !c.is_ascii_digit()).split(['.', ',', ' ']).skip(1).all(|g| g.len() == 3));
            }
        }

        #[test]
        fn words_read_back_to_the_amount(n in amount()) {
            let text = Vnd::new(n).in_words();
            prop_assert_eq!(read_words(&text), Ok(i128::from(n)), "{}", text);
        }

        #[test]
        fn words_read_back_in_every_style(n in amount(), style in style()) {
            let text = Vnd::new(n).in_words_with(style);
            prop_assert_eq!(read_words(&text), Ok(i128::from(n)), "{}", text);
            let (thousand, other_thousand) = match style.thousand {
                ThousandWord::Nghin => ("nghìn", "ngàn"),
                ThousandWord::Ngan => ("ngàn", "nghìn"),
            };
            let (zero_ten, other_zero_ten) = match style.zero_ten {
                ZeroTenWord::Linh => ("linh", "lẻ"),
                ZeroTenWord::Le => ("lẻ", "linh"),
            };
            prop_assert!(!has(&text, other_thousand), "{}", text);
            prop_assert!(!has(&text, other_zero_ten), "{}", text);
            let four_after_tens = if style.four == FourWord::Tu { "mươi bốn" } else { "mươi tư" };
            prop_assert!(!has(&text, four_after_tens), "{}", text);
            // The chosen words appear where the digits call for them.
            let digits = n.unsigned_abs().to_string();
            // The thousands of every nine-digit period: of đồng, of tỷ, of tỷ tỷ.
            let thousands = (0..3).any(|period| !(u128::from(n.unsigned_abs()) / 1000u128.pow(3 * period + 1)).is_multiple_of(1000));
            prop_assert_eq!(has(&text, thousand), thousands, "{}", text);
            if digits.len() >= 3 && digits.ends_with(|c: char| c != '0') && digits[digits.len() - 2..].starts_with('0') {
                prop_assert!(has(&text, zero_ten), "{}", text);
            }
        }

        #[test]
        fn words_follow_the_spelling_rules(n in amount()) {
            let text = Vnd::new(n).in_words();
            prop_assert!(!text.contains("  "), "{}", text);
            prop_assert_eq!(text.trim(), text.as_str());
            prop_assert!(text.ends_with(" đồng"), "{}", text);
            prop_assert!(text.starts_with(|c: char| c.is_uppercase()), "{}", text);
            prop_assert_eq!(text.chars().filter(|c| c.is_uppercase()).count(), 1, "{}", text);
            prop_assert_eq!(text.starts_with("Âm "), n < 0, "{}", text);
            for wrong in [
                "mươi một", // 21 is hai mươi mốt
                "mười năm", // 15 is mười lăm
                "mươi năm", // 25 is hai mươi lăm
                "linh mươi",
                "lẻ mươi",
                "linh mười",
                "mười mốt",
                "mười tư",
                "linh mốt",
                "linh lăm",
                "linh tư",
                "không mươi",
                "một mươi",
                "mươi bốn", // the default says tư
                "nhăm",
                "ngàn",
                "lẻ",
            ] {
                prop_assert!(!has(&text, wrong), "«{}» in {}", wrong, text);
            }
            prop_assert_eq!(has(&text, "không"), text.contains("không trăm") || n == 0, "{}", text);
            prop_assert_eq!(text == "Không đồng", n == 0);
        }
    }
}

// --- Funding: caps hold, breakdowns sum, month by month equals the whole (issue D, point 8) ---

mod funding_rules {
    use domain::funding::{Assumptions, PolicyKind, ProjectedVillage, Scenario, SimPolicy, Terms, YearMonth, simulate};
    use domain::money::Vnd;
    use proptest::prelude::*;
    use time::Month;

    fn terms() -> impl Strategy<Value = Terms> {
        (
            1i64..=10_000_000,
            proptest::option::of(1u32..=36),
            proptest::option::of(1i64..=60_000_000),
            2023i32..=2027,
            1u8..=12,
            1u8..=28,
            proptest::option::of(1i64..=1500),
        )
            .prop_map(|(amount, cap_months, cap_year, y, m, d, len)| {
                let from = time::Date::from_calendar_date(y, Month::try_from(m).expect("m"), d).expect("day");
                Terms {
                    kind: PolicyKind::TeamMonth,
                    amount: Vnd::new(amount),
                    effective_from: from,
                    effective_to: len.map(|l| from + time::Duration::days(l)),
                    cap_months,
                    cap_per_year: cap_year.map(Vnd::new),
                }
            })
    }

    fn period() -> impl Strategy<Value = Vec<YearMonth>> {
        (2023i32..=2027, 1u8..=12, 1u32..=60)
            .prop_map(|(y, m, n)| YearMonth::new(y, Month::try_from(m).expect("m")).span(n))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn caps_never_give_way(t in terms(), months in period(), already in 0u32..=40) {
            let none = |_: i32| Vnd::ZERO;
            let paid = t.paid_months(&months, already);
            if let Some(cap) = t.cap_months {
                prop_assert!(paid.len() <= cap.saturating_sub(already) as usize);
            }
            prop_assert!(paid.iter().all(|m| t.counts(*m)), "only months in force");
            let owed = t.owed(&months, already, &none).expect("owed");
            prop_assert!(owed.value() <= t.amount.value() * paid.len() as i64);
            prop_assert!(owed.value() >= 0);
            // Each calendar year held to the cap per year.
            if let Some(cap) = t.cap_per_year {
                let mut years: Vec<i32> = months.iter().map(|m| m.year).collect();
                years.dedup();
                for y in years {
                    let in_year: Vec<YearMonth> = months.iter().copied().filter(|m| m.year == y).collect();
                    let that_year = t.owed(&in_year, already, &none).expect("owed");
                    prop_assert!(that_year.value() <= cap.value(), "{} > {} in {}", that_year.value(), cap.value(), y);
                }
            }
        }

        #[test]
        fn month_by_month_comes_to_the_whole(t in terms(), months in period()) {
            // Computing each month in turn, counting what came before, owes what the whole period
            // owes at once: the entitlements of a year add up to the simulator's figure.
            let none = |_: i32| Vnd::ZERO;
            let whole = t.owed(&months, 0, &none).expect("whole");
            let mut counted = 0u32;
            let mut by_year: std::collections::BTreeMap<i32, i64> = std::collections::BTreeMap::new();
            let mut sum = 0i64;
            for m in &months {
                let year_sum = by_year.get(&m.year).copied().unwrap_or(0);
                let owed = t.owed(&[*m], counted, &|_| Vnd::new(year_sum)).expect("month");
                // As the store counts: a month counts against the cap when something was owed.
                counted += u32::from(owed.value() > 0);
                *by_year.entry(m.year).or_default() += owed.value();
                sum += owed.value();
            }
            prop_assert_eq!(sum, whole.value());
        }

        #[test]
        fn breakdowns_sum_to_totals(
            t in terms(),
            months in period(),
            villages in proptest::collection::vec((0usize..5, any::<bool>(), 0i64..15, 0usize..3), 0..60),
            member_kind in any::<bool>(),
        ) {
            let paths = ["49/502/20335/", "49/502/20341/", "49/518/20380/"];
            let projected: Vec<ProjectedVillage> = villages
                .iter()
                .map(|(row, has_team, members, p)| ProjectedVillage {
                    row: *row,
                    commune_path: paths[*p].to_owned(),
                    has_team: *has_team,
                    members: if *has_team { *members } else { 0 },
                })
                .collect();
            let kind = if member_kind { PolicyKind::MemberMonth } else { PolicyKind::TeamMonth };
            let policy = SimPolicy { terms: Terms { kind, ..t.clone() }, scope_path: "49/502/".into(), one_off_row: None };
            let none = |_: i32| Vnd::ZERO;
            let per_head = policy.terms.owed(&months, 0, &none).expect("per head").value();
            for scenario in Scenario::ALL {
                let rows = simulate(&policy, scenario, &projected, 5, &months, Assumptions::default()).expect("sim");
                prop_assert_eq!(rows.len(), 5);
                let total: i64 = rows.iter().map(|d| d.value()).sum();
                // Counted independently: heads inside the scope, by scenario.
                let heads: i64 = projected
                    .iter()
                    .filter(|v| v.commune_path.starts_with("49/502/"))
                    .map(|v| match (scenario, v.has_team, kind) {
                        (_, true, PolicyKind::TeamMonth) => 1,
                        (_, true, _) => v.members,
                        (Scenario::CurrentTeams, false, _) => 0,
                        (Scenario::FullCoverage, false, PolicyKind::TeamMonth) => 1,
                        (Scenario::FullCoverage, false, _) => 5,
                    })
                    .sum();
                prop_assert_eq!(total, per_head * heads);
                prop_assert!(rows.iter().all(|d| d.value() >= 0));
            }
        }
    }
}
