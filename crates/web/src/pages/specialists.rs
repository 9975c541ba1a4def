//! Outside specialists' pages: the school's agencies and people, a referral, an involvement
//! with its consent, status, notes and reports, report uploads and downloads, and turning a
//! recommendation into a plan strategy.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::policy::{Action, Resource};
use senco_domain::specialist::{AgencyKind, InvolvementStatus, NoteKind};
use senco_interop::upload::FileKind;
use senco_store::pupils::Pupil;
use senco_store::specialists::{Involvement, Note, Report};

use super::forms::Checked;
use super::forms::{Fields, refused, status_of};
use super::pupils::Choice;
use super::sign_in::FlashQuery;
use super::{FormErrors, PageChrome, PageError, Section, flash_message};
use crate::AppState;
use crate::auth::SessionExt;
use crate::auth::SignedIn;
use crate::http::RequestId;
use crate::http::download_headers;
use crate::lang::words;
use senco_app::access::{may, pupil_for, require};
use senco_app::principal::Principal;
use senco_app::sen::SenError;
use senco_app::specialists::{
    AgencyInput, NoteInput, PersonInput, ReferralInput, StatusInput, add_agency, add_note,
    add_person, change_involvement, reach_involvement, recommendation_to_strategy, refer,
    share_report, upload_report, visible_involvement, visible_involvements, visible_reports,
};

/// An agency with its people, as listed.
pub struct AgencyRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub contact: String,
    pub people: Vec<(String, String, bool)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "specialists.html")]
struct SpecialistsPage {
    page: PageChrome,
    agencies: Vec<AgencyRow>,
    kinds: Vec<Choice>,
    agency_choices: Vec<Choice>,
    can_add: bool,
    form: Fields,
    errors: FormErrors,
}

fn kind_choices() -> Vec<Choice> {
    Choice::all(&AgencyKind::ALL, AgencyKind::as_str, AgencyKind::label)
}

async fn specialists_page(
    state: &AppState,
    p: &Principal,
    form: Fields,
    errors: FormErrors,
    flash: Option<&'static str>,
) -> Result<Response, PageError> {
    require(p, Resource::Agencies, Action::Read)?;
    let school = p.user.school_id.clone().ok_or(PageError::NotFound)?;
    let agencies = state.store.agencies(&school).await?;
    let people = state.store.people(&school).await?;
    let rows = agencies
        .iter()
        .map(|a| AgencyRow {
            id: a.id.clone(),
            name: a.name.clone(),
            kind: a.kind.label(),
            contact: [a.email.clone(), a.phone.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
            people: people
                .iter()
                .filter(|x| x.agency_id == a.id)
                .map(|x| {
                    let name = if x.role.is_empty() {
                        x.name.clone()
                    } else {
                        format!("{} ({})", x.name, x.role)
                    };
                    (
                        name,
                        x.email.clone().unwrap_or_default(),
                        x.user_id.is_some(),
                    )
                })
                .collect(),
        })
        .collect();
    let status = status_of(&errors);
    let page = SpecialistsPage {
        page: PageChrome::signed_in(state, p, words().spec_title, Section::Specialists)
            .with_errors(&errors)
            .with_flash(flash),
        agency_choices: agencies
            .iter()
            .map(|a| Choice {
                value: a.id.clone(),
                label: a.name.clone(),
            })
            .collect(),
        agencies: rows,
        kinds: kind_choices(),
        can_add: require(p, Resource::Agencies, Action::Create).is_ok(),
        form,
        errors,
    };
    Ok((status, page).into_response())
}

/// GET /specialists
pub async fn index(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Query(q): Query<FlashQuery>,
) -> Result<Response, PageError> {
    let flash = flash_message(q.flash.as_deref());
    specialists_page(&state, &p, Fields::default(), FormErrors::default(), flash).await
}

/// POST /specialists/agencies
pub async fn agency_create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    require(&p, Resource::Agencies, Action::Create)?;
    let school = p.user.school_id.clone().ok_or(PageError::NotFound)?;
    if !fresh {
        let errors = FormErrors::expired("agency_name");
        return specialists_page(&state, &p, form, errors, None).await;
    }
    let input = AgencyInput {
        kind: form.get("kind"),
        name: form.get("agency_name"),
        email: form.get("agency_email"),
        phone: form.get("agency_phone"),
    };
    match add_agency(&state, &actor, &school, &input).await {
        Ok(_) => Ok(Redirect::to("/specialists?flash=agency_added").into_response()),
        Err(e) => {
            let errors = refused(e, "status")?;
            specialists_page(&state, &p, form, errors, None).await
        }
    }
}

/// POST /specialists/people
pub async fn person_create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    require(&p, Resource::Agencies, Action::Create)?;
    let school = p.user.school_id.clone().ok_or(PageError::NotFound)?;
    if !fresh {
        let errors = FormErrors::expired("person_name");
        return specialists_page(&state, &p, form, errors, None).await;
    }
    let input = PersonInput {
        agency_id: form.get("agency_id"),
        name: form.get("person_name"),
        role: form.get("person_role"),
        email: form.get("person_email"),
    };
    match add_person(&state, &actor, &school, &input).await {
        Ok(_) => Ok(Redirect::to("/specialists?flash=person_added").into_response()),
        Err(e) => {
            let errors = refused(e, "status")?;
            specialists_page(&state, &p, form, errors, None).await
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "involvement_form.html")]
struct ReferralPage {
    page: PageChrome,
    pupil_id: String,
    pupil_name: String,
    agencies: Vec<Choice>,
    people: Vec<Choice>,
    form: Fields,
    errors: FormErrors,
}

async fn referral_page(
    state: &AppState,
    p: &Principal,
    pupil: &Pupil,
    form: Fields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let agencies = state.store.agencies(&pupil.school_id).await?;
    let people = state.store.people(&pupil.school_id).await?;
    let status = status_of(&errors);
    let page = ReferralPage {
        page: PageChrome::signed_in(state, p, words().spec_refer_title, Section::Pupils)
            .with_errors(&errors),
        pupil_id: pupil.id.clone(),
        pupil_name: pupil.display_name(),
        people: people
            .iter()
            .map(|x| Choice {
                value: x.id.clone(),
                label: format!(
                    "{} ({})",
                    x.name,
                    agencies
                        .iter()
                        .find(|a| a.id == x.agency_id)
                        .map(|a| a.name.as_str())
                        .unwrap_or("")
                ),
            })
            .collect(),
        agencies: agencies
            .into_iter()
            .map(|a| Choice {
                label: format!("{} ({})", a.name, a.kind.label()),
                value: a.id,
            })
            .collect(),
        form,
        errors,
    };
    Ok((status, page).into_response())
}

/// GET /pupils/{id}/involvements/new
pub async fn refer_new(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::Involvement, Action::Create).await?;
    let form = Fields::with_date("referral_on", state.today());
    referral_page(&state, &p, &pupil, form, FormErrors::default()).await
}

/// POST /pupils/{id}/involvements/new
pub async fn refer_create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let pupil = pupil_for(&state, &actor, &id, Resource::Involvement, Action::Create).await?;
    if !fresh {
        let errors = FormErrors::expired("agency_id");
        return referral_page(&state, &p, &pupil, form, errors).await;
    }
    let input = ReferralInput {
        agency_id: form.get("agency_id"),
        person_id: form.get("person_id"),
        referral_on: form.date("referral_on"),
        reason: form.get("reason"),
        consent_on: form.date("consent_on"),
        consent_by: form.get("consent_by"),
    };
    match refer(&state, &actor, &pupil, &input).await {
        Ok(id) => {
            Ok(Redirect::to(&format!("/involvements/{id}?flash=referral_made")).into_response())
        }
        Err(e) => {
            let errors = refused(e, "status")?;
            referral_page(&state, &p, &pupil, form, errors).await
        }
    }
}

/// A note as shown.
pub struct NoteRow {
    pub id: String,
    pub kind: &'static str,
    pub on: String,
    pub body: String,
    pub by: String,
    pub recommendation: bool,
    pub used: bool,
}

/// A report as shown.
pub struct ReportRow {
    pub id: String,
    pub title: String,
    pub file_name: String,
    pub kind: &'static str,
    pub size: String,
    pub uploaded: String,
    pub by: String,
    pub shared: bool,
}

fn size_text(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

fn report_row(r: &Report) -> ReportRow {
    ReportRow {
        id: r.id.clone(),
        title: r.title.clone(),
        file_name: r.file_name.clone(),
        kind: FileKind::parse(&r.kind).map(|k| k.label()).unwrap_or(""),
        size: size_text(r.size_bytes),
        uploaded: words().long_date(senco_domain::calendar::london_date(r.uploaded_at)),
        by: r.uploaded_by_name.clone().unwrap_or_default(),
        shared: r.shared_with_parents,
    }
}

fn who(i: &Involvement) -> String {
    let agency = i.agency_name.clone().unwrap_or_default();
    match (&i.person_name, &i.specialist_name) {
        (Some(person), _) => format!("{person}, {agency}"),
        (None, Some(user)) => format!("{user}, {agency}"),
        (None, None) => agency,
    }
    .trim_matches([',', ' '])
    .to_string()
}

/// An involvement as listed on a pupil's page.
pub struct InvolvementRow {
    pub id: String,
    pub who: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub referral_on: String,
    pub consent: bool,
}

/// The involvements part of a pupil's page.
pub async fn pupil_rows(
    state: &AppState,
    p: &Principal,
    pupil: &Pupil,
) -> Result<Vec<InvolvementRow>, PageError> {
    Ok(visible_involvements(state, p, &pupil.id)
        .await?
        .iter()
        .map(|i| InvolvementRow {
            id: i.id.clone(),
            who: who(i),
            kind: i.agency_kind.map(|k| k.label()).unwrap_or(""),
            status: i.status.label(),
            referral_on: i
                .referral_on
                .map(|d| words().long_date(d))
                .unwrap_or_default(),
            consent: i.consent_on.is_some(),
        })
        .collect())
}

#[derive(Template, WebTemplate)]
#[template(path = "involvement.html")]
struct InvolvementPage {
    page: PageChrome,
    inv: Involvement,
    who: String,
    kind: &'static str,
    status: &'static str,
    referral_on: String,
    consent: String,
    notes: Vec<NoteRow>,
    reports: Vec<ReportRow>,
    statuses: Vec<Choice>,
    note_kinds: Vec<Choice>,
    targets: Vec<Choice>,
    can_update: bool,
    can_note: bool,
    /// Whether the reports section is shown at all (not to teachers).
    can_read_reports: bool,
    can_upload: bool,
    can_share: bool,
    can_read_notes: bool,
    can_strategy: bool,
    upload_limit: String,
    form: Fields,
    errors: FormErrors,
}

async fn involvement_page(
    state: &AppState,
    p: &Principal,
    inv: Involvement,
    pupil: &Pupil,
    form: Fields,
    errors: FormErrors,
    flash: Option<&'static str>,
) -> Result<Response, PageError> {
    let can_read_notes = may(p, Resource::InvolvementNotes, Action::Read);
    let notes = if can_read_notes {
        state
            .store
            .notes(std::slice::from_ref(&inv.id))
            .await?
            .into_iter()
            .map(|n| NoteRow {
                id: n.id.clone(),
                kind: n.kind.label(),
                on: words().long_date(n.on),
                body: n.body.clone(),
                by: n.author_name.clone().unwrap_or_default(),
                recommendation: n.kind == NoteKind::Recommendation,
                used: n.strategy_target_id.is_some(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let reports = visible_reports(state, p, std::slice::from_ref(&inv))
        .await?
        .iter()
        .map(report_row)
        .collect();
    let can_strategy = may(p, Resource::PupilSen, Action::Update);
    let targets = if can_strategy {
        senco_app::provision::pupil_targets(state, pupil)
            .await?
            .into_iter()
            .map(|(value, label)| Choice { value, label })
            .collect()
    } else {
        Vec::new()
    };
    let open = inv.status.is_open();
    let status = status_of(&errors);
    let page = InvolvementPage {
        page: PageChrome::signed_in(state, p, words().spec_involvement_title, Section::Pupils)
            .with_errors(&errors)
            .with_flash(flash),
        who: who(&inv),
        kind: inv.agency_kind.map(|k| k.label()).unwrap_or(""),
        status: inv.status.label(),
        referral_on: inv
            .referral_on
            .map(|d| words().long_date(d))
            .unwrap_or_default(),
        consent: match (&inv.consent_on, &inv.consent_by, inv.consent_withdrawn_on) {
            (Some(on), Some(by), _) => format!("{} ({by})", words().long_date(*on)),
            (None, _, Some(w)) => format!(
                "{} {}",
                words().spec_consent_withdrawn,
                words().long_date(w)
            ),
            _ => words().spec_no_consent.to_string(),
        },
        notes,
        reports,
        statuses: Choice::all(
            &InvolvementStatus::ALL,
            InvolvementStatus::as_str,
            InvolvementStatus::label,
        ),
        note_kinds: Choice::all(&NoteKind::ALL, NoteKind::as_str, NoteKind::label),
        targets,
        can_update: may(p, Resource::Involvement, Action::Update),
        can_note: open && may(p, Resource::InvolvementNotes, Action::Create),
        can_read_reports: may(p, Resource::SpecialistReports, Action::Read),
        can_upload: open && may(p, Resource::SpecialistReports, Action::Create),
        can_share: may(p, Resource::SpecialistReports, Action::Update),
        can_read_notes,
        can_strategy,
        upload_limit: size_text(i64::try_from(state.config.upload_limit).unwrap_or(i64::MAX)),
        inv,
        form,
        errors,
    };
    Ok((status, page).into_response())
}

fn defaults(state: &AppState, inv: &Involvement) -> Fields {
    let mut form = Fields::default();
    form.set("status", inv.status.as_str());
    form.set_date("on", state.today());
    form.set("kind", "visit");
    form
}

/// GET /involvements/{id}
pub async fn show(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Query(q): Query<FlashQuery>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (inv, pupil) =
        reach_involvement(&state, &actor, &id, Resource::Involvement, Action::Read).await?;
    let form = defaults(&state, &inv);
    let flash = flash_message(q.flash.as_deref());
    involvement_page(&state, &p, inv, &pupil, form, FormErrors::default(), flash).await
}

/// POST /involvements/{id}/status: status and consent (the SENCO).
pub async fn status_update(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (inv, pupil) =
        reach_involvement(&state, &actor, &id, Resource::Involvement, Action::Update).await?;
    if !fresh {
        let errors = FormErrors::expired("status");
        return involvement_page(&state, &p, inv, &pupil, form, errors, None).await;
    }
    let version = form.get("version").parse::<i64>().unwrap_or(-1);
    let input = StatusInput {
        status: form.get("status"),
        consent_on: form.date("consent_on"),
        consent_by: form.get("consent_by"),
        withdraw_consent: form.has("withdraw_consent", "yes"),
    };
    match change_involvement(&state, &actor, &inv, version, &input).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/involvements/{}?flash=involvement_updated",
            inv.id
        ))
        .into_response()),
        Err(e) => {
            let conflict = matches!(e, SenError::Conflict);
            let errors = refused(e, "status")?;
            let fresh = visible_involvement(&state, &p, &inv.id)
                .await?
                .unwrap_or(inv);
            let mut r = involvement_page(&state, &p, fresh, &pupil, form, errors, None).await?;
            if conflict {
                *r.status_mut() = StatusCode::CONFLICT;
            }
            Ok(r)
        }
    }
}

/// POST /involvements/{id}/notes
pub async fn note_create(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (inv, pupil) = reach_involvement(
        &state,
        &actor,
        &id,
        Resource::InvolvementNotes,
        Action::Create,
    )
    .await?;
    if !fresh {
        let errors = FormErrors::expired("body");
        return involvement_page(&state, &p, inv, &pupil, form, errors, None).await;
    }
    let input = NoteInput {
        kind: form.get("kind"),
        on: form.date("on"),
        body: form.get("body"),
    };
    match add_note(&state, &actor, &inv, &input).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/involvements/{}?flash=note_added", inv.id)).into_response())
        }
        Err(e) => {
            let errors = refused(e, "status")?;
            involvement_page(&state, &p, inv, &pupil, form, errors, None).await
        }
    }
}

/// Reads an upload form: the token, the title and the file (name and bytes), within the
/// upload limit (a larger body is cut off by the route's limit and refused).
async fn read_upload(mut multipart: Multipart) -> Result<(Fields, String, Vec<u8>), &'static str> {
    let mut fields = Fields::default();
    let mut file_name = String::new();
    let mut bytes = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(words().spec_upload_unreadable),
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            file_name = field.file_name().unwrap_or("").to_string();
            bytes = field
                .bytes()
                .await
                .map_err(|_| words().spec_upload_unreadable)?
                .to_vec();
        } else {
            let value = field
                .text()
                .await
                .map_err(|_| words().spec_upload_unreadable)?;
            fields.set(&name, value);
        }
    }
    Ok((fields, file_name, bytes))
}

/// POST /involvements/{id}/reports (multipart)
pub async fn report_upload(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (inv, pupil) = reach_involvement(
        &state,
        &actor,
        &id,
        Resource::SpecialistReports,
        Action::Create,
    )
    .await?;
    let (form, file_name, bytes) = match read_upload(multipart).await {
        Ok(x) => x,
        Err(msg) => {
            let mut errors = FormErrors::default();
            errors.add("file", msg);
            let form = defaults(&state, &inv);
            return involvement_page(&state, &p, inv, &pupil, form, errors, None).await;
        }
    };
    if !p.csrf_ok(&form.get("csrf_token")) {
        let errors = FormErrors::expired("file");
        return involvement_page(&state, &p, inv, &pupil, form, errors, None).await;
    }
    match upload_report(&state, &actor, &inv, &form.get("title"), &file_name, &bytes).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/involvements/{}?flash=report_uploaded", inv.id))
                .into_response(),
        ),
        Err(e) => {
            let errors = refused(e, "status")?;
            involvement_page(&state, &p, inv, &pupil, form, errors, None).await
        }
    }
}

/// GET /reports/{id}/download (audited before it is sent)
pub async fn download(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (report, _, _) =
        senco_app::specialists::reach_report(&state, &actor, &id, Action::Read).await?;
    senco_app::specialists::audit_download(&state, &actor, &report).await?;
    let data = state.store.report_data(&report.id).await?;
    let mut r = (StatusCode::OK, data).into_response();
    for (k, v) in download_headers(&report) {
        r.headers_mut().insert(k, v);
    }
    Ok(r)
}

/// POST /reports/{id}/share: shares a report with parents, or stops sharing it.
pub async fn share(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let (report, inv, pupil) =
        senco_app::specialists::reach_report(&state, &actor, &id, Action::Update).await?;
    if !fresh {
        let errors = FormErrors::expired("file");
        let form = defaults(&state, &inv);
        return involvement_page(&state, &p, inv, &pupil, form, errors, None).await;
    }
    let shared = form.get("shared") == "yes";
    match share_report(&state, &actor, &report, shared).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/involvements/{}?flash={}",
            inv.id,
            if shared {
                "report_shared"
            } else {
                "report_unshared"
            }
        ))
        .into_response()),
        Err(e) => Err(match e {
            SenError::Store(e) => e.into(),
            _ => PageError::Internal(anyhow::anyhow!("sharing a report failed")),
        }),
    }
}

/// POST /involvement-notes/{id}/strategy: a recommendation becomes a plan strategy.
pub async fn strategy(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    rid: RequestId,
    Path(id): Path<String>,
    Checked { form, fresh }: Checked<Fields>,
) -> Result<Response, PageError> {
    let actor = rid.actor(&p);
    let involvement_id = form.get("involvement_id");
    let (inv, pupil) = reach_involvement(
        &state,
        &actor,
        &involvement_id,
        Resource::PupilSen,
        Action::Update,
    )
    .await?;
    let notes: Vec<Note> = state.store.notes(std::slice::from_ref(&inv.id)).await?;
    let Some(note) = notes.into_iter().find(|n| n.id == id) else {
        return Err(PageError::NotFound);
    };
    if !fresh {
        let errors = FormErrors::expired("target_id");
        let form = defaults(&state, &inv);
        return involvement_page(&state, &p, inv, &pupil, form, errors, None).await;
    }
    match recommendation_to_strategy(&state, &actor, &pupil, &note, &form.get("target_id")).await {
        Ok(plan_id) => {
            Ok(Redirect::to(&format!("/plans/{plan_id}?flash=strategy_added")).into_response())
        }
        Err(e) => {
            let errors = refused(e, "status")?;
            let form = defaults(&state, &inv);
            involvement_page(&state, &p, inv, &pupil, form, errors, None).await
        }
    }
}
