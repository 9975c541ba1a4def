//! Interoperability: pupils from an MIS CSV export ([`pupils_csv`]); the Common Transfer File
//! and census returns come later.
//! Also the checking of uploaded specialists' reports ([`upload`]): a type allow-list by magic
//! bytes, a size cap, archive limits for DOCX and the stripping of image metadata.

pub mod pupils_csv;
pub mod upload;
