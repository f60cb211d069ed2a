//! Any bytes uploaded as a .csv file: reading, finding the header and the rows never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sheets::columns::{data_rows, detect_header};

fuzz_target!(|data: &[u8]| {
    if let Ok(book) = sheets::read_file("fuzz.csv", data) {
        for sheet in &book.sheets {
            if let Some(header) = detect_header(sheet) {
                let _ = data_rows(sheet, &header).count();
            }
        }
    }
});
