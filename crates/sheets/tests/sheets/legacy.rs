//! Legacy encodings: real names typed in TCVN3 and VNI, read back as Unicode; nothing else
//! touched.

use std::borrow::Cow;

use proptest::prelude::*;
use sheets::legacy::{Encoding, SourceEncoding, decode_as, decode_bytes, detect, encode, to_unicode};
use unicode_normalization::UnicodeNormalization;

const NAMES: [&str; 13] = [
    "Nguyễn Thị Hương",
    "Trần Văn Đức",
    "Phường Hải Châu",
    "Thôn Phú Ninh",
    "Lê Thị Hà",
    "Võ Văn Kiệt",
    "Đặng Thị Ngọc Ánh",
    "Tổ công nghệ số cộng đồng thôn Trường Thọ",
    "Xã Tam Thăng, thành phố Tam Kỳ",
    "Phạm Quốc Khánh",
    "Huỳnh Thị Thuỳ Dương",
    "Chủ tịch UBND xã",
    "Tổ CNSCĐ thôn Đông",
];

#[test]
fn names_in_tcvn3_are_what_the_tables_say() {
    // By hand from the table: ễ 0xD4, ị 0xDE, ư 0xAD, ơ 0xAC; ầ 0xC7, ă 0xA8, Đ 0xA7, ứ 0xF8.
    assert_eq!(encode("Nguyễn Thị Hương", Encoding::Tcvn3), "Nguy\u{D4}n Th\u{DE} H\u{AD}\u{AC}ng");
    assert_eq!(encode("Trần Văn Đức", Encoding::Tcvn3), "Tr\u{C7}n V\u{A8}n \u{A7}\u{F8}c");
    assert_eq!(encode("Phường Hải Châu", Encoding::Tcvn3), "Ph\u{AD}\u{EA}ng H\u{B6}i Ch\u{A9}u");
    assert_eq!(encode("Thôn Phú Ninh", Encoding::Tcvn3), "Th\u{AB}n Ph\u{F3} Ninh");
}

#[test]
fn names_in_vni_are_what_the_tables_say() {
    assert_eq!(encode("Nguyễn Thị Hương", Encoding::Vni), "Nguyeãn Thò Höông");
    assert_eq!(encode("Trần Văn Đức", Encoding::Vni), "Traàn Vaên Ñöùc");
    assert_eq!(encode("Phường Hải Châu", Encoding::Vni), "Phöôøng Haûi Chaâu");
    assert_eq!(encode("Thôn Phú Ninh", Encoding::Vni), "Thoân Phuù Ninh");
    assert_eq!(encode("TRẦN VĂN ĐỨC", Encoding::Vni), "TRAÀN VAÊN ÑÖÙC");
}

#[test]
fn legacy_names_are_detected_and_converted() {
    for name in NAMES {
        for encoding in [Encoding::Tcvn3, Encoding::Vni] {
            let typed = encode(name, encoding);
            assert_eq!(detect(&typed), encoding, "{name} in {encoding:?}: {typed}");
            assert_eq!(to_unicode(&typed), name, "{name} in {encoding:?}: {typed}");
        }
    }
}

#[test]
fn capitals_typed_in_the_abc_h_fonts_come_back_in_capitals() {
    let typed = encode("DANH SÁCH THÀNH VIÊN TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG", Encoding::Tcvn3);
    assert_eq!(
        typed,
        "DANH S\u{B8}CH TH\u{B5}NH VI\u{A3}N T\u{E6} C\u{A4}NG NGH\u{D6} S\u{E8} C\u{E9}NG \u{A7}\u{E5}NG"
    );
    assert_eq!(to_unicode(&typed), "DANH SÁCH THÀNH VIÊN TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG");
    assert_eq!(to_unicode(&encode("TRẦN VĂN ĐỨC", Encoding::Tcvn3)), "TRẦN VĂN ĐỨC");
    // A title-case word with one capital stays in lower case after it.
    assert_eq!(to_unicode(&encode("Lê Hà", Encoding::Tcvn3)), "Lê Hà");
}

#[test]
fn unicode_english_numbers_and_western_words_are_left_alone() {
    let keep = [
        "Nguyễn Thị Hương",
        "Võ Thị Hà",
        "Lê Hà",
        "Bà Rịa",
        "Hồ Chí Minh",
        "Café",
        "Café Hà",
        "Müller",
        "São Paulo",
        "Crème brûlée",
        "déjà vu",
        "naïve",
        "El Niño",
        "Zürich",
        "0905123456",
        "049190000123",
        "to.truong@gmail.com",
        "Team leader",
        "Tổng cộng",
        "28/08/2024",
        "1.500.000 ₫",
        "§ 3",
        "SĐT",
        "",
    ];
    for text in keep {
        assert_eq!(detect(text), Encoding::Unicode, "{text}");
        assert!(matches!(to_unicode(text), Cow::Borrowed(t) if t == text), "{text}");
    }
}

#[test]
fn decomposed_unicode_comes_back_composed() {
    let decomposed: String = "Nguyễn Thị Hương".nfd().collect();
    assert_eq!(to_unicode(&decomposed), "Nguyễn Thị Hương");
}

#[test]
fn csv_bytes_in_each_encoding() {
    let text = "STT,Họ và tên,Thôn\r\n1,Nguyễn Thị Hương,Thôn Phú Ninh\r\n";
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    assert_eq!(decode_bytes(&bom), (text.to_owned(), SourceEncoding::Utf8Bom));
    assert_eq!(decode_bytes(text.as_bytes()), (text.to_owned(), SourceEncoding::Utf8));
    let cp1258 = super::files::windows_1258(text);
    assert_eq!(decode_bytes(&cp1258), (text.to_owned(), SourceEncoding::Windows1258));
    for (encoding, source) in [(Encoding::Tcvn3, SourceEncoding::Tcvn3), (Encoding::Vni, SourceEncoding::Vni)] {
        let typed = encode(text, encoding);
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&typed);
        assert!(!unmappable);
        assert_eq!(decode_bytes(&bytes), (text.to_owned(), source), "{encoding:?}");
    }
}

// ----- properties --------------------------------------------------------------------------

const INITIALS: [&str; 24] = [
    "b", "c", "ch", "d", "đ", "g", "gi", "h", "k", "kh", "l", "m", "n", "ng", "nh", "ph", "qu", "r", "s", "t", "th",
    "tr", "v", "x",
];
const NUCLEI: [&str; 30] = [
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao", "ay", "âu", "eo", "iê", "oa", "oi", "ôi",
    "ơi", "ua", "uô", "uy", "ưa", "ươ", "yê", "iêu", "ươi",
];
const FINALS: [&str; 9] = ["", "c", "ch", "m", "n", "ng", "nh", "p", "t"];
const TONE_MARKS: [&str; 6] = ["", "\u{301}", "\u{300}", "\u{309}", "\u{303}", "\u{323}"];

/// A Vietnamese syllable: initial (or none), a vowel cluster with its tone, a final.
fn syllable(with_initial: bool) -> impl Strategy<Value = String> {
    (0..INITIALS.len(), any::<bool>(), 0..NUCLEI.len(), 0..FINALS.len(), 0..TONE_MARKS.len())
        .prop_map(move |(i, has_initial, n, f, t)| {
            let initial = if with_initial || has_initial { INITIALS[i] } else { "" };
            // The tone on the main vowel, as Vietnamese spelling places it.
            let nucleus: Vec<char> = NUCLEI[n].chars().collect();
            // What Vietnamese spelling allows: some clusters take no final, some need one,
            // and after -c, -ch, -p, -t only the sắc and nặng tones.
            let open_only = ["ai", "ao", "ay", "âu", "eo", "oi", "ôi", "ơi", "ua", "ưa", "iêu", "ươi"];
            let final_ = if open_only.contains(&NUCLEI[n]) {
                ""
            } else if FINALS[f].is_empty() && ["ă", "â", "iê", "yê", "uô", "ươ"].contains(&NUCLEI[n]) {
                "n"
            } else {
                FINALS[f]
            };
            let tone = if ["c", "ch", "p", "t"].contains(&final_) && ![0, 1, 5].contains(&t) { 1 } else { t };
            let at = match (nucleus.len(), final_.is_empty()) {
                (1, _) => 0,
                (2, false) => 1,
                (2, true) if ["iê", "yê", "uô", "ươ"].contains(&NUCLEI[n]) => 1,
                (2, true) => 0,
                _ => 1,
            };
            let mut s = initial.to_owned();
            for (k, v) in nucleus.iter().enumerate() {
                s.push(*v);
                if k == at {
                    s.push_str(TONE_MARKS[tone]);
                }
            }
            s.push_str(final_);
            s.nfc().collect::<String>()
        })
        // Leave out the few combinations the spelling does not have (-ch after o, -c after i …).
        .prop_filter("a Vietnamese syllable", |s| sheets::legacy::is_syllable(s))
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Text as a cell holds it: 1–5 syllables, all lower case, all title case or all capitals
/// (after "NGUYỄN": TCVN3 knows capitals by a word with two of them).
fn vietnamese_cell() -> impl Strategy<Value = String> {
    (0..3u8, prop::collection::vec(syllable(true), 1..5), prop::collection::vec(syllable(false), 0..3)).prop_map(
        |(style, words, lower_words)| match style {
            0 => words.into_iter().chain(lower_words).collect::<Vec<_>>().join(" "),
            1 => words.iter().map(|w| capitalise(w)).collect::<Vec<_>>().join(" "),
            _ => format!("NGUYỄN {}", words.join(" ").to_uppercase()),
        },
    )
}

proptest! {
    #[test]
    fn any_text_converts_without_panic(s in any::<String>()) {
        let out = to_unicode(&s);
        prop_assert!(unicode_normalization::is_nfc(&out));
        let _ = detect(&s);
    }

    #[test]
    fn any_8bit_text_converts_without_panic(s in "[\\x00-\\xff€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]{0,40}") {
        let out = to_unicode(&s);
        prop_assert!(unicode_normalization::is_nfc(&out));
        let _ = decode_as(&s, Encoding::Tcvn3);
        let _ = decode_as(&s, Encoding::Vni);
    }

    #[test]
    fn any_bytes_decode_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let (text, _) = decode_bytes(&bytes);
        prop_assert!(unicode_normalization::is_nfc(&text));
    }

    #[test]
    fn vni_round_trip(cell in vietnamese_cell()) {
        prop_assert_eq!(decode_as(&encode(&cell, Encoding::Vni), Encoding::Vni), Some(cell));
    }

    #[test]
    fn tcvn3_round_trip(cell in vietnamese_cell()) {
        prop_assert_eq!(decode_as(&encode(&cell, Encoding::Tcvn3), Encoding::Tcvn3), Some(cell));
    }

    /// Typed in one legacy font, a cell comes back as it was, or is left as typed when it also
    /// reads as Vietnamese as it stands; it is read in the other font only when that reading
    /// is every bit as Vietnamese (a lone "Hî" is VNI "Hỵ" or TCVN3 "Hợ": no way to tell).
    #[test]
    fn detection_never_converts_to_something_else(cell in vietnamese_cell()) {
        for (encoding, other) in [(Encoding::Tcvn3, Encoding::Vni), (Encoding::Vni, Encoding::Tcvn3)] {
            let typed = encode(&cell, encoding);
            let out = to_unicode(&typed);
            if out != cell && out != typed {
                let other_reading = decode_as(&typed, other);
                prop_assert_eq!(other_reading.as_deref(), Some(&*out));
                prop_assert!(out.split(' ').all(sheets::legacy::is_syllable), "{:?}: {} → {}", encoding, typed, out);
            }
        }
    }

    #[test]
    fn unicode_vietnamese_is_left_alone(cell in vietnamese_cell()) {
        prop_assert!(matches!(to_unicode(&cell), Cow::Borrowed(t) if t == cell));
        prop_assert_eq!(detect(&cell), Encoding::Unicode);
    }
}
