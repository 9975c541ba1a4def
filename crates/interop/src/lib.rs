//! Interoperability: CSV, the Common Transfer File and census returns (comes with the data issue).
//! Also the checking of uploaded specialists' reports ([`upload`]): a type allow-list by magic
//! bytes, a size cap, archive limits for DOCX and the stripping of image metadata.

pub mod upload;
