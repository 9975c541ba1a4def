//! A problem with a field of a request: a code and its values, never words.
//!
//! The domain and the use cases say what is wrong (`Problem::new("review_on",
//! "review_past_limit", "plan.review_past_limit").with("limit", date)`); only the catalogue
//! (`senco_i18n::Messages::problem`) turns a problem into a sentence, in the reader's
//! language, with its values put where that language wants them.

use std::borrow::Cow;

use crate::Date;

/// A value a problem's message names (`{date}` in the catalogue's words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text the user entered or a name from the records, shown as it is.
    Text(String),
    /// A quantity (the catalogue groups its thousands).
    Number(i64),
    /// A date, which the catalogue writes in its own way.
    Date(Date),
    /// Another problem, whose words go inside this one's ("Target 2: {problem}").
    Problem(Box<Problem>),
    /// Choices, which the catalogue lists in its own way ("A, B or C").
    List(Vec<Value>),
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field, by the name the form or request gives it (`review_on`, `target_2_by`).
    pub field: Cow<'static, str>,
    /// A stable snake_case reason, the rule broken (`missing`, `not_a_date`,
    /// `review_past_limit`): what a program reading the API can act on.
    pub reason: &'static str,
    /// The catalogue entry whose words describe the problem (`plan.starts_on_missing`).
    pub code: &'static str,
    /// The values the message names, by name.
    pub values: Vec<(&'static str, Value)>,
}

impl Problem {
    /// A problem with `field`, for the rule `reason`, described by the catalogue's `code`.
    pub fn new(
        field: impl Into<Cow<'static, str>>,
        reason: &'static str,
        code: &'static str,
    ) -> Self {
        Problem {
            field: field.into(),
            reason,
            code,
            values: Vec::new(),
        }
    }

    /// The problem with the value `name` for its message.
    #[must_use]
    pub fn with(mut self, name: &'static str, value: impl Into<Value>) -> Self {
        self.values.push((name, value.into()));
        self
    }

    /// The same problem reported against another field (a form inside a form).
    #[must_use]
    pub fn in_field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        self.field = field.into();
        self
    }

    /// The value named `name`, if the problem has one.
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}

impl From<Date> for Value {
    fn from(v: Date) -> Self {
        Value::Date(v)
    }
}

impl From<Problem> for Value {
    fn from(v: Problem) -> Self {
        Value::Problem(Box::new(v))
    }
}

macro_rules! number_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::Number(i64::try_from(v).unwrap_or(i64::MAX))
            }
        }
    )*};
}
number_from!(i64, i32, u8, u16, u32, u64, usize);

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_problem_carries_its_values_by_name() {
        let p = Problem::new("review_on", "review_past_limit", "plan.review_past_limit")
            .with("months", 6usize)
            .with("limit", date!(2025 - 01 - 31));
        assert_eq!(p.value("months"), Some(&Value::Number(6)));
        assert_eq!(p.value("limit"), Some(&Value::Date(date!(2025 - 01 - 31))));
        assert_eq!(p.value("other"), None);
        let moved = p.clone().in_field("decision.review_on");
        assert_eq!(moved.field, "decision.review_on");
        assert_eq!(moved.code, p.code);
    }
}
