//! A small writer of Excel 97–2003 workbooks (.xls: BIFF8 records in an OLE2 compound file),
//! so that the tests build their .xls files as they build the others. It writes what an
//! office list needs: text (as Excel does, in the shared string table, one byte a character
//! when it can), numbers, dates and merged cells. Layout from [MS-XLS] and [MS-CFB].

/// A cell to write.
pub enum Cell<'a> {
    Text(&'a str),
    Number(f64),
    /// An Excel day number shown as a date.
    Date(f64),
}

/// A sheet: its name, cells by (row, column) and merged ranges (first row, last row, first
/// column, last column).
pub struct BiffSheet<'a> {
    pub name: &'a str,
    pub cells: Vec<(u16, u16, Cell<'a>)>,
    pub merged: Vec<(u16, u16, u16, u16)>,
}

fn record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&u16::try_from(data.len()).expect("a short record").to_le_bytes());
    out.extend_from_slice(data);
}

fn bof(kind: u16) -> Vec<u8> {
    let mut d = Vec::new();
    for v in [0x0600u16, kind, 0x0DBB, 0x07CC] {
        d.extend_from_slice(&v.to_le_bytes());
    }
    d.extend_from_slice(&0u32.to_le_bytes());
    d.extend_from_slice(&6u32.to_le_bytes());
    d
}

/// Characters as BIFF8 stores them: a flag byte, then one byte each when all fit in Latin-1,
/// else UTF-16LE.
fn chars(s: &str) -> (usize, Vec<u8>) {
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut out = Vec::new();
    if units.iter().all(|u| *u <= 0xFF) {
        out.push(0);
        out.extend(units.iter().map(|u| u.to_le_bytes()[0]));
    } else {
        out.push(1);
        out.extend(units.iter().flat_map(|u| u.to_le_bytes()));
    }
    (units.len(), out)
}

fn workbook_stream(sheets: &[BiffSheet<'_>]) -> Vec<u8> {
    let mut strings: Vec<&str> = Vec::new();
    for sheet in sheets {
        for (_, _, cell) in &sheet.cells {
            if let Cell::Text(t) = cell
                && !strings.contains(t)
            {
                strings.push(t);
            }
        }
    }
    // Globals, with the sheets' offsets patched in once known.
    let mut globals = Vec::new();
    record(&mut globals, 0x0809, &bof(0x0005));
    record(&mut globals, 0x0042, &1200u16.to_le_bytes());
    // XF 0: General; XF 1: the built-in date format 14.
    for ifmt in [0u16, 14] {
        let mut xf = vec![0u8; 20];
        xf[2..4].copy_from_slice(&ifmt.to_le_bytes());
        record(&mut globals, 0x00E0, &xf);
    }
    let mut patches = Vec::new();
    for sheet in sheets {
        let (cch, name) = chars(sheet.name);
        let mut d = vec![0u8; 6];
        d.push(u8::try_from(cch).expect("a short name"));
        d.extend_from_slice(&name);
        patches.push(globals.len() + 4);
        record(&mut globals, 0x0085, &d);
    }
    let mut sst = Vec::new();
    let count = u32::try_from(strings.len()).expect("few strings");
    sst.extend_from_slice(&count.to_le_bytes());
    sst.extend_from_slice(&count.to_le_bytes());
    for s in &strings {
        let (cch, bytes) = chars(s);
        sst.extend_from_slice(&u16::try_from(cch).expect("a short string").to_le_bytes());
        sst.extend_from_slice(&bytes);
    }
    record(&mut globals, 0x00FC, &sst);
    record(&mut globals, 0x000A, &[]);

    let mut stream = globals;
    for (sheet, patch) in sheets.iter().zip(patches) {
        let offset = u32::try_from(stream.len()).expect("a small stream");
        stream[patch..patch + 4].copy_from_slice(&offset.to_le_bytes());
        record(&mut stream, 0x0809, &bof(0x0010));
        let last_row = sheet.cells.iter().map(|c| c.0).max().unwrap_or(0);
        let last_col = sheet.cells.iter().map(|c| c.1).max().unwrap_or(0);
        let mut dim = Vec::new();
        dim.extend_from_slice(&0u32.to_le_bytes());
        dim.extend_from_slice(&(u32::from(last_row) + 1).to_le_bytes());
        dim.extend_from_slice(&0u16.to_le_bytes());
        dim.extend_from_slice(&(last_col + 1).to_le_bytes());
        dim.extend_from_slice(&0u16.to_le_bytes());
        record(&mut stream, 0x0200, &dim);
        for (row, col, cell) in &sheet.cells {
            let mut d = Vec::new();
            d.extend_from_slice(&row.to_le_bytes());
            d.extend_from_slice(&col.to_le_bytes());
            match cell {
                Cell::Text(t) => {
                    d.extend_from_slice(&0u16.to_le_bytes());
                    let index = strings.iter().position(|s| s == t).expect("in the table");
                    d.extend_from_slice(&u32::try_from(index).expect("few strings").to_le_bytes());
                    record(&mut stream, 0x00FD, &d);
                }
                Cell::Number(n) | Cell::Date(n) => {
                    let xf: u16 = if matches!(cell, Cell::Date(_)) { 1 } else { 0 };
                    d.extend_from_slice(&xf.to_le_bytes());
                    d.extend_from_slice(&n.to_le_bytes());
                    record(&mut stream, 0x0203, &d);
                }
            }
        }
        if !sheet.merged.is_empty() {
            let mut d = u16::try_from(sheet.merged.len()).expect("few").to_le_bytes().to_vec();
            for (r0, r1, c0, c1) in &sheet.merged {
                for v in [r0, r1, c0, c1] {
                    d.extend_from_slice(&v.to_le_bytes());
                }
            }
            record(&mut stream, 0x00E5, &d);
        }
        record(&mut stream, 0x000A, &[]);
    }
    stream
}

const FREE: u32 = 0xFFFF_FFFF;
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const FAT_SECTOR: u32 = 0xFFFF_FFFD;

fn directory_entry(name: &str, kind: u8, child: u32, start: u32, size: u32) -> Vec<u8> {
    let mut e = vec![0u8; 128];
    let units: Vec<u16> = name.encode_utf16().collect();
    for (i, u) in units.iter().enumerate() {
        e[i * 2..i * 2 + 2].copy_from_slice(&u.to_le_bytes());
    }
    let name_len = if name.is_empty() { 0 } else { (units.len() + 1) * 2 };
    e[64..66].copy_from_slice(&u16::try_from(name_len).expect("a short name").to_le_bytes());
    e[66] = kind;
    e[67] = 1; // black
    e[68..72].copy_from_slice(&FREE.to_le_bytes()); // left sibling: none
    e[72..76].copy_from_slice(&FREE.to_le_bytes()); // right sibling: none
    e[76..80].copy_from_slice(&child.to_le_bytes());
    e[116..120].copy_from_slice(&start.to_le_bytes());
    e[120..124].copy_from_slice(&size.to_le_bytes());
    e
}

/// The workbook as the bytes of an .xls file: the compound-file header, one FAT sector, one
/// directory sector, then the "Workbook" stream (made at least 4096 bytes long so that it
/// lives in ordinary sectors rather than the mini stream).
pub fn xls(sheets: &[BiffSheet<'_>]) -> Vec<u8> {
    let mut stream = workbook_stream(sheets);
    if stream.len() < 4096 {
        stream.resize(4096, 0);
    }
    let sectors = stream.len().div_ceil(512);
    assert!(sectors <= 126, "one FAT sector is enough for these tests");
    let mut header = vec![0u8; 512];
    header[0..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    for (at, v) in [(24, 0x003Eu16), (26, 3), (28, 0xFFFE), (30, 9), (32, 6)] {
        header[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }
    for (at, v) in [(44, 1u32), (48, 1), (56, 4096), (60, END_OF_CHAIN), (68, END_OF_CHAIN), (76, 0)] {
        header[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
    for i in 1..109 {
        header[76 + i * 4..80 + i * 4].copy_from_slice(&FREE.to_le_bytes());
    }
    let mut fat = vec![FREE; 128];
    fat[0] = FAT_SECTOR;
    fat[1] = END_OF_CHAIN;
    for i in 0..sectors {
        fat[2 + i] = if i + 1 == sectors { END_OF_CHAIN } else { u32::try_from(3 + i).expect("small") };
    }
    let mut out = header;
    out.extend(fat.iter().flat_map(|v| v.to_le_bytes()));
    out.extend(directory_entry("Root Entry", 5, 1, END_OF_CHAIN, 0));
    out.extend(directory_entry("Workbook", 2, FREE, 2, u32::try_from(stream.len()).expect("small")));
    out.extend(directory_entry("", 0, FREE, 0, 0));
    out.extend(directory_entry("", 0, FREE, 0, 0));
    stream.resize(sectors * 512, 0);
    out.extend(stream);
    out
}
