//! Reading submitted forms whose fields repeat (checkboxes), and turning domain issues into
//! GOV.UK form errors.

use senco_domain::Date;
use senco_domain::pupil::date_from_parts;

use super::{FormErrors, PageError};
use senco_app::sen::{Issue, SenError};

/// A submitted form as name/value pairs, in order (checkboxes repeat their name).
#[derive(Debug, Clone, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of a field, or "".
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of a repeated field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether a checkbox or radio value was sent.
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == value)
    }

    /// A date from the three boxes `NAME_day`, `NAME_month`, `NAME_year`.
    pub fn date(&self, name: &str) -> Option<Result<Date, ()>> {
        date_from_parts(
            &self.get(&format!("{name}_day")),
            &self.get(&format!("{name}_month")),
            &self.get(&format!("{name}_year")),
        )
    }

    /// Sets the three boxes of a date (to pre-fill a form).
    pub fn set_date(&mut self, name: &str, d: Date) {
        self.0.push((format!("{name}_day"), d.day().to_string()));
        self.0
            .push((format!("{name}_month"), u8::from(d.month()).to_string()));
        self.0.push((format!("{name}_year"), d.year().to_string()));
    }

    /// Sets a field.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.push((name.to_string(), value.into()));
    }
}

/// The fields that are dates (their error links go to the day box).
const DATE_FIELDS: [&str; 11] = [
    "effective_on",
    "parents_told_on",
    "raised_on",
    "starts_on",
    "started_on",
    "decided_on",
    "from_on",
    "to_on",
    "entry_on",
    "exit_on",
    "on",
];

/// The field errors to show a form again with when a save was refused as invalid; any other
/// failure becomes the error page.
pub fn invalid_form(e: SenError) -> Result<FormErrors, PageError> {
    match e {
        SenError::Invalid(issues) => Ok(form_errors(&issues)),
        SenError::Conflict => Err(PageError::Internal(anyhow::anyhow!("unexpected conflict"))),
        SenError::Store(e) => Err(e.into()),
    }
}

/// 200 for a form shown fresh, 422 for one shown again with errors.
pub fn status_of(errors: &FormErrors) -> axum::http::StatusCode {
    if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// The field errors for a refused save; a change made meanwhile becomes an error on
/// `conflict_field` (the caller answers 409 and shows the current version).
pub fn refused(e: SenError, conflict_field: &str) -> Result<FormErrors, PageError> {
    match e {
        SenError::Invalid(issues) => Ok(form_errors(&issues)),
        SenError::Conflict => {
            let mut errors = FormErrors::default();
            errors.add(conflict_field, senco_i18n::EN.prov_changed_meanwhile);
            Ok(errors)
        }
        SenError::Store(e) => Err(e.into()),
    }
}

/// GOV.UK form errors for domain issues.
pub fn form_errors(issues: &[Issue]) -> FormErrors {
    let mut errors = FormErrors::default();
    for i in issues {
        let target = if DATE_FIELDS.contains(&i.field) {
            format!("{}-day", i.field)
        } else {
            i.field.to_string()
        };
        errors.add_linked(i.field, target, i.message.clone());
    }
    errors
}
