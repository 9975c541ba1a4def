//! User administration: installation administrators manage every account, school
//! administrators the accounts of their own school.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::person::{Email, PersonName};
use senco_domain::policy::{Action, Relation, Resource};
use senco_domain::role::Role;
use senco_store::Store;
use senco_store::schools::School;
use senco_store::users::{NewUser, User, UserScope};
use serde::Deserialize;

use super::forms::{Checked, csrf_field};
use super::pupils::Choice;
use super::sign_in::FlashQuery;
use super::{FormErrors, PageChrome, PageError, Section, flash_message};
use crate::AppState;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::lang::words;
use senco_app::access::require;
use senco_app::principal::Principal;

pub use senco_app::staff::assignable_roles;

fn scope_for(p: &Principal, relation: Relation) -> UserScope {
    match (relation, &p.user.school_id) {
        (Relation::OwnSchool, Some(s)) => UserScope::School(s.clone()),
        (Relation::OwnSchool, None) => UserScope::School(String::new()),
        _ => UserScope::All,
    }
}

async fn visible_schools(
    state: &AppState,
    p: &Principal,
    relation: Relation,
) -> Result<Vec<School>, PageError> {
    Ok(senco_app::staff::visible_schools(&state.store, p, relation).await?)
}

#[derive(Template, WebTemplate)]
#[template(path = "users.html")]
struct UsersPage {
    page: PageChrome,
    users: Vec<(User, String)>,
    can_add: bool,
}

/// GET /admin/users
pub async fn index(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Query(q): Query<FlashQuery>,
) -> Result<impl IntoResponse, PageError> {
    let relation = require(&p, Resource::Users, Action::Read)?;
    let users = state.store.users(&scope_for(&p, relation)).await?;
    let schools = visible_schools(&state, &p, relation).await?;
    let users = users
        .into_iter()
        .map(|u| {
            let school = u
                .school_id
                .as_ref()
                .and_then(|id| schools.iter().find(|s| &s.id == id))
                .map(|s| s.name.clone())
                .unwrap_or_default();
            (u, school)
        })
        .collect();
    Ok(UsersPage {
        page: PageChrome::signed_in(&state, &p, words().users_title, Section::Users)
            .with_flash(flash_message(q.flash.as_deref())),
        users,
        can_add: require(&p, Resource::Users, Action::Create).is_ok(),
    })
}

/// The add-user form, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    school: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "user_form.html")]
struct UserFormPage {
    page: PageChrome,
    form: UserForm,
    errors: FormErrors,
    roles: Vec<Choice>,
    schools: Vec<Choice>,
}

#[derive(Template, WebTemplate)]
#[template(path = "user_created.html")]
struct UserCreatedPage {
    page: PageChrome,
    email: String,
    /// Waiting for a second person's approval (no invitation sent yet).
    pending: bool,
}

async fn form_page(
    state: &AppState,
    p: &Principal,
    relation: Relation,
    form: UserForm,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let roles = assignable_roles(relation)
        .into_iter()
        .map(|r| Choice {
            value: r.as_str().to_string(),
            label: r.label().to_string(),
        })
        .collect();
    let schools = visible_schools(state, p, relation)
        .await?
        .into_iter()
        .map(|s| Choice {
            value: s.urn.clone(),
            label: format!("{} ({})", s.name, s.urn),
        })
        .collect();
    let status = super::forms::status_of(&errors);
    let page = UserFormPage {
        page: PageChrome::signed_in(state, p, words().add_user_title, Section::Users)
            .with_errors(&errors),
        form,
        errors,
        roles,
        schools,
    };
    Ok((status, page).into_response())
}

/// GET /admin/users/new
pub async fn new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
) -> Result<Response, PageError> {
    let relation = require(&p, Resource::Users, Action::Create)?;
    form_page(
        &state,
        &p,
        relation,
        UserForm::default(),
        FormErrors::default(),
    )
    .await
}

/// POST /admin/users/new: creates the account without a passphrase. Its person is emailed an
/// invitation link to choose one; nobody else ever sees a credential. An account that would
/// read SEN content its maker cannot waits, disabled and uninvited, for a second person's
/// approval (`senco_app::approvals`).
pub async fn create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Checked { form, fresh }: Checked<UserForm>,
) -> Result<Response, PageError> {
    let relation = require(&p, Resource::Users, Action::Create)?;
    let m = words();
    let mut errors = FormErrors::default();
    if !fresh {
        errors.add("name", m.form_expired);
    }
    let name = PersonName::parse(&form.name)
        .map_err(|_| errors.add("name", m.enter_full_name))
        .ok();
    let email = match Email::parse(&form.email) {
        Ok(e) => Some(e),
        Err(senco_domain::person::EmailError::Empty) => {
            errors.add("email", m.enter_email);
            None
        }
        Err(_) => {
            errors.add("email", m.email_format);
            None
        }
    };
    let role = Role::parse(&form.role).filter(|r| assignable_roles(relation).contains(r));
    if role.is_none() {
        errors.add("role", m.choose_role);
    }
    let schools = visible_schools(&state, &p, relation).await?;
    let school = schools.iter().find(|s| s.urn == form.school);
    let needs_school = role.is_some_and(|r| r.requires_school() || r == Role::LaOfficer);
    if needs_school && school.is_none() {
        errors.add("school", m.choose_school);
    }
    let (Some(name), Some(email), Some(role), true) = (name, email, role, errors.is_empty()) else {
        return form_page(&state, &p, relation, form, errors).await;
    };
    let (school_id, la_id) = match (role, school) {
        (Role::LaOfficer, Some(s)) => (None, Some(s.la_id.clone())),
        (r, Some(s)) if r.requires_school() => (Some(s.id.clone()), None),
        _ => (None, None),
    };
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let new_user = NewUser {
        email: email.as_str(),
        name: name.as_str(),
        role,
        school_id: school_id.as_deref(),
        la_id: la_id.as_deref(),
        password_hash: None,
        must_change_password: false,
    };
    let event = rid.actor(&p).event(&state, "user", "create", "allowed");
    let maker = (p.user.role, Some(p.user.id.as_str()));
    let created = match senco_app::staff::create_in(
        &mut tx,
        &state.settings.public_url,
        &event,
        maker,
        &new_user,
        now,
    )
    .await
    {
        Ok(c) => c,
        Err(senco_store::StoreError::Duplicate(_)) => {
            drop(tx);
            let mut errors = FormErrors::default();
            errors.add("email", m.email_in_use);
            return form_page(&state, &p, relation, form, errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    let pending = created.pending;
    senco_store::commit(tx).await?;
    let title = if pending {
        m.user_pending_title
    } else {
        m.user_added_title
    };
    Ok(UserCreatedPage {
        page: PageChrome::signed_in(&state, &p, title, Section::Users),
        email: email.as_str().to_string(),
        pending,
    }
    .into_response())
}

/// The disable form.
#[derive(Debug, Default, Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    csrf_token: String,
}

/// POST /admin/users/{id}/disable: ends every session and token of the account at once.
pub async fn disable(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form: _, fresh }: Checked<DisableForm>,
) -> Result<Response, PageError> {
    let relation = require(&p, Resource::Users, Action::Update)?;
    let target = state.store.user(&id).await?;
    let in_scope = match scope_for(&p, relation) {
        UserScope::All => true,
        UserScope::School(s) => target.school_id.as_deref() == Some(s.as_str()),
    };
    if !in_scope || target.id == p.user.id {
        return Err(PageError::NotFound);
    }
    if !fresh {
        return Ok(Redirect::to("/admin/users").into_response());
    }
    let mut tx = state.store.begin().await?;
    Store::disable_user(&mut tx, &target.id, state.now()).await?;
    let actor = rid.actor(&p);
    let e = actor
        .event(&state, "user", "update", "allowed")
        .record(target.id.clone())
        .school(target.school_id.clone())
        .fields("disabled".to_string());
    Store::audit_in(&mut tx, &e).await?;
    senco_store::commit(tx).await?;
    Ok(Redirect::to("/admin/users?flash=user_disabled").into_response())
}

csrf_field!(DisableForm, UserForm);
