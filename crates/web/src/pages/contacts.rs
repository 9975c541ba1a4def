//! Adding a pupil's parents and carers, optionally with a parent sign-in.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::person::{Email, EmailError, PersonName};
use senco_domain::policy::{Action, Resource};
use senco_domain::role::Role;
use senco_store::Store;
use senco_store::pupils::{NewContact, Pupil};
use senco_store::users::NewUser;
use serde::Deserialize;

use super::forms::{Checked, csrf_field};
use super::{FormErrors, PageChrome, PageError, Section};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::pupil_for;
use senco_app::principal::Principal;

/// The form, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    relationship: String,
    #[serde(default)]
    parental_responsibility: String,
    #[serde(default)]
    restricted: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    account: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "contact_form.html")]
struct ContactPage {
    page: PageChrome,
    pupil_id: String,
    pupil_name: String,
    form: ContactForm,
    errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "contact_added.html")]
struct AddedPage {
    page: PageChrome,
    pupil_id: String,
    email: String,
    /// The sign-in waits for the SENCO's or head teacher's approval before it is linked.
    pending: bool,
}

fn form_page(
    state: &AppState,
    p: &Principal,
    pupil: &Pupil,
    form: ContactForm,
    errors: FormErrors,
) -> Response {
    let status = super::forms::status_of(&errors);
    let page = ContactPage {
        page: PageChrome::signed_in(state, p, words().add_contact_title, Section::Pupils)
            .with_errors(&errors),
        pupil_id: pupil.id.clone(),
        pupil_name: pupil.display_name(),
        form,
        errors,
    };
    (status, page).into_response()
}

/// GET /pupils/{id}/contacts/new
pub async fn new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilContacts, Action::Create).await?;
    Ok(form_page(
        &state,
        &p,
        &pupil,
        ContactForm {
            parental_responsibility: "yes".into(),
            ..ContactForm::default()
        },
        FormErrors::default(),
    ))
}

/// POST /pupils/{id}/contacts/new
pub async fn create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<ContactForm>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::PupilContacts, Action::Create).await?;
    let m = words();
    let mut errors = FormErrors::default();
    if !fresh {
        errors.add("name", m.form_expired);
    }
    let name = PersonName::parse(&form.name)
        .map_err(|_| errors.add("name", m.enter_contact_name))
        .ok();
    let relationship = m
        .relationships
        .iter()
        .find(|r| **r == form.relationship)
        .copied();
    if relationship.is_none() {
        errors.add("relationship", m.choose_relationship);
    }
    let pr = match form.parental_responsibility.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            errors.add_linked(
                "parental_responsibility",
                "parental_responsibility",
                m.choose_pr,
            );
            None
        }
    };
    let wants_account = form.account.is_some();
    let email = match Email::parse(&form.email) {
        Ok(e) => Some(e),
        Err(EmailError::Empty) => {
            if wants_account {
                errors.add("email", m.account_needs_email);
            }
            None
        }
        Err(_) => {
            errors.add("email", m.email_format);
            None
        }
    };
    let phone = form.phone.trim().chars().take(40).collect::<String>();
    let (Some(name), Some(relationship), Some(pr), true) =
        (name, relationship, pr, errors.is_empty())
    else {
        return Ok(form_page(&state, &p, &pupil, form, errors));
    };
    let result = async {
        let now = state.now();
        let mut tx = state.store.begin().await?;
        // Linking a parent's sign-in gives them the child's SEN record: whoever cannot read
        // it themselves (a school administrator) only asks, and the SENCO or head teacher
        // approves (SR-02).
        let pending = senco_app::approvals::needs_approval(p.user.role, Role::Parent);
        let user_id = match (&email, wants_account) {
            (Some(email), true) => match state.store.user_for_sign_in(email.as_str()).await? {
                Some((existing, _)) if existing.role == Role::Parent => Some(existing.id),
                Some(_) => return Ok(Err(())),
                None => {
                    let new = NewUser {
                        email: email.as_str(),
                        name: name.as_str(),
                        role: Role::Parent,
                        school_id: None,
                        la_id: None,
                        password_hash: None,
                        must_change_password: false,
                    };
                    let uid = Store::insert_user(&mut tx, &new, now).await?;
                    let e = actor
                        .event(&state, "user", "create", "allowed")
                        .record(uid.clone())
                        .school(pupil.school_id.clone());
                    Store::audit_in(&mut tx, &e).await?;
                    // Invited now only when the link needs no approval; else on approval.
                    if !pending {
                        senco_app::approvals::invite(&mut tx, &state, &uid, email.as_str(), now)
                            .await?;
                    }
                    Some(uid)
                }
            },
            _ => None,
        };
        let linked_now = user_id.as_deref().filter(|_| !pending);
        let contact = NewContact {
            name: name.as_str(),
            relationship,
            parental_responsibility: pr,
            restricted: form.restricted.is_some(),
            email: email.as_ref().map(|e| e.as_str()),
            phone: Some(phone.as_str()).filter(|s| !s.is_empty()),
            user_id: linked_now,
        };
        let contact_id =
            Store::insert_contact(&mut tx, &pupil.id, &pupil.school_id, &contact, now).await?;
        let mut e = actor
            .event(&state, "contact", "create", "allowed")
            .school(pupil.school_id.clone())
            .pupil(pupil.id.clone())
            .record(contact_id.clone());
        if let (Some(uid), true) = (&user_id, pending) {
            Store::request_parent_link(&mut tx, &contact_id, uid, &p.user.id).await?;
            e.fields = Some("pending_link".into());
        }
        Store::audit_in(&mut tx, &e).await?;
        senco_store::commit(tx).await?;
        Ok::<_, anyhow::Error>(Ok(user_id.map(|_| pending)))
    }
    .await
    .map_err(PageError::Internal)?;
    Ok(match result {
        Ok(None) => {
            Redirect::to(&format!("/pupils/{}?flash=contact_added", pupil.id)).into_response()
        }
        Ok(Some(pending)) => AddedPage {
            page: PageChrome::signed_in(&state, &p, m.contact_added, Section::Pupils),
            pupil_id: pupil.id.clone(),
            email: email.map(|e| e.as_str().to_string()).unwrap_or_default(),
            pending,
        }
        .into_response(),
        Err(()) => {
            let mut errors = FormErrors::default();
            errors.add("email", m.email_not_a_parent);
            form_page(&state, &p, &pupil, form, errors)
        }
    })
}

csrf_field!(ContactForm);
