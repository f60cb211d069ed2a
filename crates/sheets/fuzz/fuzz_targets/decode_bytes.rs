//! Any bytes as the content of a CSV file: decoding never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sheets::legacy::decode_bytes(data);
});
