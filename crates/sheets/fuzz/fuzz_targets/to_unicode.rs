//! Any cell text: detection and conversion of TCVN3 / VNI never panic, and always give NFC.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sheets::legacy::{Encoding, decode_as, detect, to_unicode, to_unicode_with};

fn check(cell: &str) {
    let _ = detect(cell);
    let out = to_unicode(cell);
    assert!(unicode_normalization::is_nfc(&out));
    for encoding in [Encoding::Tcvn3, Encoding::Vni] {
        let _ = decode_as(cell, encoding);
        let _ = to_unicode_with(cell, encoding);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
    }
    // The bytes as Excel shows a cell typed in a legacy font: one Latin-1 character a byte.
    let latin: String = data.iter().map(|&b| char::from(b)).collect();
    check(&latin);
});
