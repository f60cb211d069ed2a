//! Excel and CSV in and out for the community digital technology teams (Tổ công nghệ số cộng
//! đồng): reading the lists provinces really keep (.xlsx, .xls, .csv, title rows, merged and
//! two-row headers, text typed in TCVN3 or VNI fonts), recognising their columns, and writing
//! lists and reports back out as .xlsx and CSV.
//!
//! Pure work on bytes: no database, no network, no async. The web and the command line hand
//! it the bytes of an upload and store what it reads.

#![forbid(unsafe_code)]

pub mod columns;
pub mod legacy;
pub mod read;
pub mod write;

pub use columns::{Field, HeaderMatch, RawRow};
pub use read::{Sheet, Workbook, read_file};
pub use write::{Column, Kind, Table, Value};

/// What can go wrong reading or writing a sheet; the message is for the person who sent it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SheetError {
    /// Nothing in the file.
    #[error("Tệp trống: không có dữ liệu nào để đọc.")]
    Empty,
    /// A file name that is neither Excel nor CSV.
    #[error("Không nhận loại tệp “{0}”: chỉ nhận tệp Excel (.xlsx, .xls) hoặc CSV (.csv).")]
    UnknownExtension(String),
    /// The bytes are not a workbook (or CSV) that can be read.
    #[error(
        "Không đọc được tệp “{name}”: tệp bị hỏng hoặc không phải tệp {kind}. Hãy mở tệp bằng Excel, lưu lại rồi gửi lại."
    )]
    Unreadable {
        /// The file name as sent.
        name: String,
        /// "Excel" or "CSV".
        kind: &'static str,
        /// The reader's own words, for the log, not the screen.
        detail: String,
    },
    /// A column given in an override that the sheet does not have.
    #[error("Không có cột “{0}” trong bảng: hãy ghi chữ cái của cột (A, B, C …) hoặc đúng tiêu đề cột.")]
    UnknownColumn(String),
    /// A field name given in an override that is not one of ours.
    #[error(
        "Không hiểu “{0}” là thông tin gì: hãy chọn một trong các mục như Họ và tên, Số điện thoại, Chức danh, Thôn, Xã …"
    )]
    UnknownField(String),
    /// Writing the workbook failed.
    #[error("Không tạo được tệp Excel: {0}")]
    Write(String),
}
