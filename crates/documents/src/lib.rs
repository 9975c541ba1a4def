//! Documents: accessible, tagged PDFs (PDF/UA-1, A4, clear print) made with
//! typst from plain data.
//!
//! Callers pass plain structs ([`Document`], [`ParentLetter`]) and get PDF
//! bytes back. Nothing here does I/O or reads the clock: dates are passed in.
//! User text only ever reaches typst as string literals ([`escape`]), so it
//! is printed as written and cannot run code.
//!
//! - [`render`]: a generic document of headings, paragraphs, key-value
//!   lists, tables and signature lines.
//! - [`parent_letter`]: the letter telling parents about a change of stage.
//!
//! Rendering is synchronous CPU work (about 10 to 50 ms for a letter in a
//! debug build): from async code, call it through `spawn_blocking`. The
//! embedded fonts and typst's standard library are loaded once per process.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)
)]

mod document;
pub mod escape;
mod letter;
mod templates;
mod world;

pub use document::{Block, Document, Lang, render};
pub use letter::{ParentLetter, parent_letter};
pub use senco_domain::Date;

/// Why a document could not be made: typst's diagnostics, joined into one
/// message. The messages describe the template, never the user text in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not make the PDF: {0}")]
pub struct DocumentError(String);

impl DocumentError {
    pub(crate) fn new(message: String) -> Self {
        Self(message)
    }

    /// Joins typst's diagnostics into one error.
    pub(crate) fn typst(diagnostics: &[typst::diag::SourceDiagnostic]) -> Self {
        let lines: Vec<String> = diagnostics.iter().map(world::describe).collect();
        Self(lines.join("; "))
    }

    /// The diagnostics, joined with `; `.
    pub fn message(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod test_support;
