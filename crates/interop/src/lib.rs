//! Interoperability: CSV, the Common Transfer File and census returns.
//! - [`bank_holidays`]: the government's bank-holiday file (gov.uk/bank-holidays.json);
//! - [`calendar_file`]: term dates, INSET days and closures from a CSV or an iCalendar file;
//! - [`census`]: the school census SEN return as CSV and as Senco's documented XML;
//! - [`ctf`]: the DfE Common Transfer File (SEN history), read under hard limits and written;
//! - [`csv_out`]: CSV for spreadsheets (quoting, no formulas);
//! - [`record`]: the portable full record of a pupil's SEN history (`senco-record`, version 1);
//! - [`pupils_csv`]: pupils from an MIS CSV export (encodings, headers, mapping, checks);
//! - [`schools_csv`]: schools from the national registers' CSV extracts (GIAS, the Welsh list);
//! - [`staff_csv`]: staff to invite, from a CSV file (name, email, role, school, groups);
//! - [`upload`]: the checking of uploaded specialists' reports: a type allow-list by magic
//!   bytes, a size cap, archive limits for DOCX and the stripping of image metadata.

pub mod bank_holidays;
pub mod calendar_file;
pub mod census;
pub mod csv_out;
pub mod ctf;
pub mod pupils_csv;
pub mod record;
pub mod schools_csv;
pub mod staff_csv;
pub mod upload;
