//! The languages Senco speaks and writes in: one type for a person's language, a page's,
//! a letter's and a PDF's (English and Welsh).

use serde::{Deserialize, Serialize};

/// A language of the interface, letters and documents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    English,
    Welsh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::English, Lang::Welsh];

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::English => "english",
            Lang::Welsh => "welsh",
        }
    }

    /// Accepts the [`as_str`](Self::as_str) key.
    pub fn parse(s: &str) -> Option<Lang> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The BCP 47 tag, for `lang` attributes and the PDF's language.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::English => "en",
            Lang::Welsh => "cy",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Lang::English => "English",
            Lang::Welsh => "Welsh",
        }
    }
}
