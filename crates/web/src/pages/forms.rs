//! Reading submitted forms whose fields repeat (checkboxes), and turning domain issues into
//! GOV.UK form errors.

use senco_domain::Date;
use senco_domain::entry::DateEntry;
use senco_domain::pupil::date_from_parts;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, FromRequest, Request};
use serde::de::DeserializeOwned;

use super::{FormErrors, PageError};
use crate::AppState;
use crate::auth::SessionExt;
use crate::lang::words;
use senco_app::sen::SenError;
use senco_domain::problem::Problem;

/// A submitted form as name/value pairs, in order (checkboxes repeat their name).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Fields(pub Vec<(String, String)>);

/// A form that carries the session's CSRF token.
pub trait CsrfToken {
    /// The token the form was submitted with ("" when it has none).
    fn csrf_token(&self) -> &str;
}

impl CsrfToken for Fields {
    fn csrf_token(&self) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == "csrf_token")
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

/// Implements [`CsrfToken`] for form structs with a `csrf_token` field.
macro_rules! csrf_field {
    ($($form:ty),* $(,)?) => {
        $(impl $crate::pages::forms::CsrfToken for $form {
            fn csrf_token(&self) -> &str {
                &self.csrf_token
            }
        })*
    };
}
pub(crate) use csrf_field;

/// A page form read together with its CSRF check against the signed-in session (SR-11):
/// `fresh` is false when the token is missing, wrong or from another session. What a stale
/// form shows stays the handler's choice (its own form again, with "form expired" on its
/// first field, or a redirect), made after its access checks, so a record that may not be
/// seen is still "not found" whatever the token.
pub struct Checked<T> {
    pub form: T,
    pub fresh: bool,
}

impl<T> FromRequest<AppState> for Checked<T>
where
    T: DeserializeOwned + CsrfToken + Send,
{
    type Rejection = FormRejection;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let session = crate::auth::resolved_session(state, &parts).await;
        let Form(form) = Form::<T>::from_request(Request::from_parts(parts, body), state).await?;
        let fresh = session.is_some_and(|p| p.csrf_ok(form.csrf_token()));
        Ok(Checked { form, fresh })
    }
}

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
    pub fn date(&self, name: &str) -> DateEntry {
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

    /// A new form whose one date field `name` shows `d` (a date form's default).
    pub fn with_date(name: &str, d: Date) -> Self {
        let mut form = Fields::default();
        form.set_date(name, d);
        form
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
            errors.add(conflict_field, words().prov_changed_meanwhile);
            Ok(errors)
        }
        SenError::Store(e) => Err(e.into()),
    }
}

/// GOV.UK form errors for the problems a use case found, in the catalogue's words.
pub fn form_errors(issues: &[Problem]) -> FormErrors {
    let mut errors = FormErrors::default();
    for i in issues {
        let target = if DATE_FIELDS.contains(&&*i.field) {
            format!("{}-day", i.field)
        } else {
            i.field.to_string()
        };
        errors.add_linked(i.field.to_string(), target, words().problem(i));
    }
    errors
}
