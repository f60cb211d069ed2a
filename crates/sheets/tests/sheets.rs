//! The one integration test binary of the sheets crate: files the tests build in each layout
//! and encoding, read back as a person would see them.

mod sheets {
    pub mod biff;
    mod columns;
    pub mod files;
    mod legacy;
    mod read;
    mod robust;
    mod write;
}
