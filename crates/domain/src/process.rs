//! The notes of a statutory process: words a person gave, or a fact whose words the
//! catalogue writes when shown (issue 18: no generated sentence is stored).

/// Why a statutory process has the notes it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessNotes {
    /// Written by a person (or imported from another school's record): shown as it is.
    Given(String),
    /// A plan review decided to request a statutory assessment.
    PlanReviewRequest,
}

impl ProcessNotes {
    /// The code stored beside notes that are a fact (`None`: the words are stored).
    pub fn code(&self) -> Option<&'static str> {
        match self {
            ProcessNotes::Given(_) => None,
            ProcessNotes::PlanReviewRequest => Some("plan_review_request"),
        }
    }

    /// The words stored with the process: those given, or none for a fact.
    pub fn given(&self) -> Option<&str> {
        match self {
            ProcessNotes::Given(words) => Some(words),
            ProcessNotes::PlanReviewRequest => None,
        }
    }

    /// The notes a stored row holds (`None`: it has none): its code and the words stored.
    pub fn from_stored(code: Option<&str>, given: Option<String>) -> Option<Self> {
        match code {
            Some("plan_review_request") => Some(ProcessNotes::PlanReviewRequest),
            _ => given.map(ProcessNotes::Given),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_round_trip_through_their_stored_form() {
        for notes in [
            ProcessNotes::Given("Parents asked".into()),
            ProcessNotes::PlanReviewRequest,
        ] {
            assert_eq!(
                ProcessNotes::from_stored(notes.code(), notes.given().map(str::to_string)),
                Some(notes)
            );
        }
        assert_eq!(ProcessNotes::from_stored(None, None), None);
    }
}
