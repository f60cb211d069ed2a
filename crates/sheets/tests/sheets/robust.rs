//! No input makes the readers panic: any bytes as CSV, any bytes as a workbook.

use proptest::prelude::*;
use sheets::columns::{data_rows, detect_header};
use sheets::read_file;

use super::files::simple_workbook;

/// A fixed seed: damaged workbooks can make calamine ask for absurd allocations (the process
/// aborts, no panic to catch), so these runs must be the same on every machine. The fuzz targets
/// and a changed seed explore further by hand.
fn fixed(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_2026), ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(fixed(200))]

    #[test]
    fn any_bytes_as_csv(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(book) = read_file("x.csv", &bytes) {
            for sheet in &book.sheets {
                if let Some(header) = detect_header(sheet) {
                    let _ = data_rows(sheet, &header).count();
                }
            }
        }
    }

    #[test]
    fn any_text_cells_as_csv(rows in prop::collection::vec(prop::collection::vec("[a-zA-Z0-9 ,\"\\n\\(\\)àáạảãâăđêôơưĐÔƠƯ¸µ©¬®«ªñöôâ]{0,12}", 0..6), 0..12)) {
        let text: String = rows.iter().map(|r| r.join(",")).collect::<Vec<_>>().join("\n");
        let with_header = format!("STT,Họ và tên,SĐT\n{text}");
        let book = read_file("x.csv", with_header.as_bytes()).expect("text with a header reads");
        let header = detect_header(&book.sheets[0]).expect("the header is found");
        let _ = data_rows(&book.sheets[0], &header).count();
    }

    #[test]
    fn any_bytes_as_a_workbook(bytes in prop::collection::vec(any::<u8>(), 0..400), xls in any::<bool>()) {
        let _ = read_file(if xls { "x.xls" } else { "x.xlsx" }, &bytes);
    }

    #[test]
    fn damaged_workbooks(cut in 0usize..4000, flip in 0usize..4000) {
        let mut bytes = simple_workbook(&[&["STT", "Họ và tên"], &["1", "Nguyễn Văn An"]]);
        if flip < bytes.len() {
            bytes[flip] ^= 0x55;
        }
        bytes.truncate(cut.min(bytes.len()));
        let _ = read_file("x.xlsx", &bytes);
    }
}

fn small_xls() -> Vec<u8> {
    use super::biff::{BiffSheet, Cell, xls};
    xls(&[BiffSheet {
        name: "Sheet1",
        cells: vec![(0, 0, Cell::Text("Họ và tên")), (1, 0, Cell::Text("Nguyễn Văn An")), (1, 1, Cell::Number(1.0))],
        merged: vec![(0, 0, 0, 1)],
    }])
}

proptest! {
    #![proptest_config(fixed(300))]

    /// A damaged .xls: bytes changed in the workbook stream (from 1536: after the header, FAT
    /// and directory) or anywhere.
    #[test]
    fn damaged_xls(flips in prop::collection::vec((0usize..6000, any::<u8>()), 1..4), cut in 0usize..6000) {
        let mut bytes = small_xls();
        for (at, value) in flips {
            let at = at % bytes.len();
            bytes[at] = value;
        }
        bytes.truncate(cut.max(512));
        let _ = read_file("x.xls", &bytes);
    }
}
