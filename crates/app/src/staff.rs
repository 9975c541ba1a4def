//! Staff accounts: one made in a form, or many invited at once from a CSV file (issue 19,
//! point 4).
//!
//! Every account is made the same way ([`create_in`]): an account that would read SEN
//! content, made by someone who does not, waits for a second person's approval
//! ([`crate::approvals`]); every other gets its invitation email through the outbox. A file
//! is imported all or nothing: [`preview`] checks every row against the database (the
//! school, the maker's right to give the role, an email already in use, the registration
//! groups named) and [`apply`] writes nothing unless every row is right.

use std::collections::HashSet;

use senco_domain::policy::Relation;
use senco_domain::role::Role;
use senco_i18n::{Messages, fill};
use senco_interop::staff_csv::{self, RowProblem, StaffFileError, StaffRow, teaches_groups};
use senco_store::audit::AuditEvent;
use senco_store::schools::{Authority, RegGroup, School, SchoolScope};
use senco_store::users::NewUser;
use senco_store::{Store, StoreError, Tx};
use time::OffsetDateTime;

use crate::approvals::{invite_at, needs_approval};
use crate::principal::Principal;

/// An account just made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: String,
    /// Waiting for a second person's approval (no invitation sent yet).
    pub pending: bool,
}

/// Makes `new` in `tx`: held for approval when `maker` does not read SEN content and the new
/// account would, otherwise invited by email. Records `event` (the maker's "user create"
/// event) for it. `maker` is the maker's role and account (`None`: the command line).
pub async fn create_in(
    tx: &mut Tx,
    public_url: &str,
    event: &AuditEvent,
    maker: (Role, Option<&str>),
    new: &NewUser<'_>,
    now: OffsetDateTime,
) -> Result<Created, StoreError> {
    let id = Store::insert_user(tx, new, now).await?;
    let pending = needs_approval(maker.0, new.role);
    let mut e = event
        .clone()
        .record(id.clone())
        .school(new.school_id.map(str::to_string));
    if pending {
        // Approved by the school's SENCO or head teacher; with no school, another
        // administrator.
        Store::hold_for_approval(tx, &id, new.school_id, maker.1, now).await?;
        e = e.fields("pending_approval".to_string());
    } else {
        invite_at(tx, public_url, &id, new.email, now).await?;
    }
    Store::audit_in(tx, &e).await?;
    Ok(Created { id, pending })
}

/// What the maker may give: these roles, at these schools (and, for local-authority
/// officers, these schools' authorities or any authority listed).
#[derive(Debug, Clone, Default)]
pub struct StaffScope {
    pub roles: Vec<Role>,
    pub schools: Vec<School>,
    pub authorities: Vec<Authority>,
}

/// The roles an administrator at `relation` may give.
pub fn assignable_roles(relation: Relation) -> Vec<Role> {
    match relation {
        Relation::Installation => Role::ALL
            .into_iter()
            .filter(|r| *r != Role::Parent)
            .collect(),
        Relation::OwnSchool => vec![
            Role::Senco,
            Role::Teacher,
            Role::TeachingAssistant,
            Role::Head,
            Role::SchoolAdmin,
        ],
        _ => Vec::new(),
    }
}

/// The schools whose accounts an administrator at `relation` manages: every school for the
/// installation's, their own for a school's.
pub async fn visible_schools(
    store: &Store,
    p: &Principal,
    relation: Relation,
) -> Result<Vec<School>, StoreError> {
    Ok(match (relation, &p.user.school_id) {
        (Relation::Installation, _) => store.schools(&SchoolScope::All).await?,
        (_, Some(s)) => {
            store
                .schools(&SchoolScope::Schools(vec![s.clone()]))
                .await?
        }
        _ => Vec::new(),
    })
}

/// What `p`, managing accounts at `relation`, may give.
pub async fn scope_of(
    store: &Store,
    p: &Principal,
    relation: Relation,
) -> Result<StaffScope, StoreError> {
    let authorities = if relation == Relation::Installation {
        store.authorities().await?
    } else {
        Vec::new()
    };
    Ok(StaffScope {
        roles: assignable_roles(relation),
        schools: visible_schools(store, p, relation).await?,
        authorities,
    })
}

/// A row of a file, checked against the database.
#[derive(Debug, Clone)]
pub struct PreviewRow {
    pub row: StaffRow,
    pub school: Option<School>,
    /// A local-authority officer's authority.
    pub authority: Option<Authority>,
    pub groups: Vec<RegGroup>,
    /// Will wait for approval rather than be invited at once.
    pub pending: bool,
}

/// What a file would do.
#[derive(Debug, Clone, Default)]
pub struct StaffPreview {
    pub rows: Vec<PreviewRow>,
    pub problems: Vec<RowProblem>,
}

impl StaffPreview {
    /// Every row is right and there is someone to invite.
    pub fn ready(&self) -> bool {
        self.problems.is_empty() && !self.rows.is_empty()
    }

    pub fn pending(&self) -> usize {
        self.rows.iter().filter(|r| r.pending).count()
    }
}

/// The words of a file that is not a staff file.
pub fn file_reason(m: &Messages, e: &StaffFileError) -> String {
    match e {
        StaffFileError::File(f) => f.to_string(),
        StaffFileError::MissingColumns(c) => {
            fill(m.staff_file_missing_columns, &[("columns", &c.join(", "))])
        }
    }
}

/// The preview's summary line: how many are invited at once and how many wait for approval.
pub fn summary(m: &Messages, p: &StaffPreview) -> String {
    let pending = p.pending();
    fill(
        m.staff_preview_summary,
        &[
            ("rows", &p.rows.len().to_string()),
            ("invited", &(p.rows.len() - pending).to_string()),
            ("pending", &pending.to_string()),
        ],
    )
}

/// Why a file was not imported.
#[derive(Debug)]
pub enum StaffImportError {
    /// Not a staff file at all.
    File(StaffFileError),
    /// Rows with problems: nothing was written.
    Problems(StaffPreview),
    Store(StoreError),
}

impl From<StoreError> for StaffImportError {
    fn from(e: StoreError) -> Self {
        StaffImportError::Store(e)
    }
}

/// Checks a file against the database for a maker of `maker` role with `scope`.
pub async fn preview(
    store: &Store,
    scope: &StaffScope,
    maker: Role,
    bytes: &[u8],
) -> Result<StaffPreview, StaffImportError> {
    let file = staff_csv::parse(bytes).map_err(StaffImportError::File)?;
    let (rows, mut problems) = staff_csv::check(&file);
    let mut out = Vec::new();
    let mut claimed: HashSet<String> = HashSet::new();
    for row in rows {
        let mut found = Vec::new();
        let mut problem = |column: &'static str, value: &str, code: &'static str| {
            found.push(RowProblem {
                line: row.line,
                column,
                value: value.to_string(),
                code,
            })
        };
        if !scope.roles.contains(&row.role) {
            problem("role", row.role.as_str(), "role_not_yours");
        }
        match store.user_by_email(row.email.as_str()).await {
            Ok(_) => problem("email", row.email.as_str(), "email_in_use"),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        let written = row.school.clone().unwrap_or_default();
        let school = scope.schools.iter().find(|s| s.urn == written).cloned();
        let authority = if row.role.requires_la() {
            let of_school = school.as_ref().map(|s| s.la_id.clone());
            scope
                .authorities
                .iter()
                .find(|a| Some(&a.id) == of_school.as_ref() || a.code == written)
                .cloned()
        } else {
            None
        };
        let known = if row.role.requires_la() {
            authority.is_some()
        } else {
            school.is_some()
        };
        if row.school.is_some() && !known {
            problem("school", &written, "school_unknown");
        }
        let mut groups = Vec::new();
        if let (Some(s), true) = (&school, teaches_groups(row.role) && !row.groups.is_empty()) {
            let all = store.reg_groups(&s.id).await?;
            for name in &row.groups {
                match all.iter().find(|g| g.name.eq_ignore_ascii_case(name)) {
                    None => problem("groups", name, "group_unknown"),
                    Some(g) if g.teacher_user_id.is_some() => {
                        problem("groups", name, "group_has_teacher")
                    }
                    Some(g) if !claimed.insert(g.id.clone()) => {
                        problem("groups", name, "group_repeated")
                    }
                    Some(g) => groups.push(g.clone()),
                }
            }
        }
        if found.is_empty() {
            out.push(PreviewRow {
                pending: needs_approval(maker, row.role),
                row,
                school,
                authority,
                groups,
            });
        } else {
            problems.extend(found);
        }
    }
    problems.sort_by_key(|p| p.line);
    Ok(StaffPreview {
        rows: out,
        problems,
    })
}

/// Imports a file, all or nothing: makes every account (each invited or held for approval)
/// and makes teachers and teaching assistants the teachers of the groups named. `event` is
/// the maker's "user create" event; `public_url` the address in the invitations' links.
pub async fn apply(
    store: &Store,
    public_url: &str,
    scope: &StaffScope,
    event: &AuditEvent,
    maker: (Role, Option<&str>),
    bytes: &[u8],
    now: OffsetDateTime,
) -> Result<StaffPreview, StaffImportError> {
    let preview = preview(store, scope, maker.0, bytes).await?;
    if !preview.ready() {
        return Err(StaffImportError::Problems(preview));
    }
    let mut tx = store.begin().await?;
    for r in &preview.rows {
        let new = NewUser {
            email: r.row.email.as_str(),
            name: r.row.name.as_str(),
            role: r.row.role,
            school_id: r
                .school
                .as_ref()
                .filter(|_| r.row.role.requires_school())
                .map(|s| s.id.as_str()),
            la_id: r.authority.as_ref().map(|a| a.id.as_str()),
            password_hash: None,
            must_change_password: false,
        };
        let created = create_in(&mut tx, public_url, event, maker, &new, now).await?;
        for g in &r.groups {
            Store::set_reg_group_teacher(&mut tx, &g.id, &created.id).await?;
        }
    }
    senco_store::commit(tx).await?;
    Ok(preview)
}
