//! Importing a school's pupils from a file: the plan (what would change) and its commit.
//!
//! [`Store::plan_pupil_import`] matches each checked row with the importing school's pupils
//! by UPN: a match is an update (with its field-by-field changes) or unchanged, anything
//! unknown is new. A UPN held at another school of the installation is a transfer only when
//! the row's date of birth is that pupil's (SR-07): the importing school may then ask for the
//! record, and [`Store::commit_pupil_import`] files a request that the holding school (or its
//! authority) decides ([`crate::transfers`]); the pupil does not move at the import. A UPN
//! of another school's pupil whose date of birth differs is a probe: a problem on its row,
//! listed in [`ImportPlan::probes`] for the caller to audit and count. The commit plans
//! again inside the writing transaction and writes everything, with an audit row per pupil,
//! or nothing.

use std::collections::{HashMap, HashSet};

use senco_domain::Date;
use senco_domain::pupil::{SamePupil, same_pupil};
use sqlx::Row;
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::pupil_tables::ENDED_ON_TRANSFER;
pub use crate::pupil_tables::PUPIL_RECORD_TABLES;
use crate::pupils::{PUPIL_COLUMNS, Pupil, PupilFields, pupil_from_row};
use crate::{Result, Sql, Store, StoreError, Tx, ds, flag, new_id, ts};

/// How an import is written: into which school, whether pupils enrolled elsewhere may be
/// transferred, the audit event its rows are built from (who, channel, request) and the
/// day and time it is written.
#[derive(Debug, Clone, Copy)]
pub struct ImportCommit<'a> {
    pub school_id: &'a str,
    pub accept_transfers: bool,
    pub audit: &'a AuditEvent,
    pub today: Date,
    pub now: OffsetDateTime,
}

/// Which optional columns the file has: a detail without a column keeps its stored value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Columns {
    pub former_upn: bool,
    pub preferred_forename: bool,
    pub preferred_surname: bool,
    pub year: bool,
    pub reg_group: bool,
}

/// A checked row of the file. `fields.reg_group_id` is ignored: the group is named in
/// `reg_group` and made when the school has none of that name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub row: u64,
    pub fields: PupilFields,
    pub reg_group: Option<String>,
}

/// One detail that an update changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

/// An existing pupil of the school whose details change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedUpdate {
    pub row: u64,
    pub pupil_id: String,
    pub after: PupilFields,
    pub reg_group: Option<String>,
    pub changes: Vec<FieldChange>,
}

/// A UPN that belongs to a pupil of another school whose date of birth the row matches. The
/// plan holds only the row and whether the surname differs: who the pupil is and what their
/// record holds is never read by the importing school; the holding school decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTransfer {
    pub row: u64,
    pub upn: String,
    /// The file's legal surname is not the one the holding school records (a changed name,
    /// or a mistake): the holding school is shown this when it decides.
    pub surname_differs: bool,
}

/// A UPN named by the importing school that belongs to another school's pupil whose date of
/// birth the row does not match: someone guessing, or a mistake. Never shown to the
/// importer beyond "this UPN cannot be used"; the caller audits it for the holding school
/// (`upn_probe`) and counts it against the importer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub row: u64,
    pub pupil_id: String,
    pub school_id: String,
}

/// A row the database refuses (a UPN already used as another pupil's former UPN, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanProblem {
    pub row: u64,
    /// `upn` or `former_upn`.
    pub field: &'static str,
    pub value: String,
    pub code: &'static str,
    pub reason: &'static str,
}

/// What an import would do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportPlan {
    pub creates: Vec<ImportRow>,
    pub updates: Vec<PlannedUpdate>,
    pub unchanged: Vec<u64>,
    pub transfers: Vec<PlannedTransfer>,
    pub problems: Vec<PlanProblem>,
    /// Registration groups the school does not have yet (made by the import).
    pub new_reg_groups: Vec<String>,
    /// UPNs of other schools' pupils that the rows do not match (each also a problem).
    pub probes: Vec<Probe>,
}

/// Why an import was not written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Some rows have problems (the plan lists them).
    #[error("some rows have problems")]
    Problems(Box<ImportPlan>),
    /// Some UPNs belong to pupils of other schools and the transfers were not accepted.
    #[error("transfers were not confirmed")]
    TransfersNotAccepted(Box<ImportPlan>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Transfers asked of the schools holding the records (none moves at the import).
    pub transfer_requests: usize,
}

/// A pupil of another school holding a UPN (as current or former UPN). The date of birth
/// and surname are read only to decide whether a row is that pupil; they never leave the
/// store's planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpnElsewhere {
    pub upn: String,
    pub pupil_id: String,
    pub school_id: String,
    /// Whether the UPN is that pupil's former UPN (not a transfer: a conflict).
    pub as_former: bool,
    date_of_birth: Date,
    surname: String,
}

/// Placeholders per statement stay well under both engines' limits.
pub(crate) const CHUNK: usize = 500;

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn changes(
    before: &PupilFields,
    after: &PupilFields,
    groups: &HashMap<String, String>,
) -> Vec<FieldChange> {
    let group_name = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| {
                groups
                    .iter()
                    .find(|(_, v)| *v == id)
                    .map(|(k, _)| k.clone())
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    let mut push = |field: &'static str, b: String, a: String| {
        if b != a {
            out.push(FieldChange {
                field,
                before: b,
                after: a,
            });
        }
    };
    push("upn", opt(&before.upn), opt(&after.upn));
    push(
        "former_upn",
        opt(&before.former_upn),
        opt(&after.former_upn),
    );
    push(
        "legal_forename",
        before.legal_forename.clone(),
        after.legal_forename.clone(),
    );
    push(
        "legal_surname",
        before.legal_surname.clone(),
        after.legal_surname.clone(),
    );
    push(
        "preferred_forename",
        opt(&before.preferred_forename),
        opt(&after.preferred_forename),
    );
    push(
        "preferred_surname",
        opt(&before.preferred_surname),
        opt(&after.preferred_surname),
    );
    push(
        "date_of_birth",
        ds(before.date_of_birth),
        ds(after.date_of_birth),
    );
    push("sex", before.sex.code().into(), after.sex.code().into());
    let year = |y: Option<i64>| y.map(|y| y.to_string()).unwrap_or_default();
    push(
        "year_override",
        year(before.year_override),
        year(after.year_override),
    );
    if before.reg_group_id != after.reg_group_id {
        push(
            "reg_group",
            group_name(&before.reg_group_id),
            group_name(&after.reg_group_id),
        );
    }
    out
}

/// The stored details after applying a row to an existing pupil: what the file has, and the
/// stored value where the file has no column (or Senco keeps its own, such as flags).
fn merged(
    before: &PupilFields,
    row: &ImportRow,
    columns: Columns,
    group_id: Option<String>,
) -> PupilFields {
    let f = &row.fields;
    PupilFields {
        upn: f.upn.clone(),
        former_upn: if columns.former_upn {
            f.former_upn.clone()
        } else {
            before.former_upn.clone()
        },
        legal_forename: f.legal_forename.clone(),
        legal_surname: f.legal_surname.clone(),
        preferred_forename: if columns.preferred_forename {
            f.preferred_forename.clone()
        } else {
            before.preferred_forename.clone()
        },
        preferred_surname: if columns.preferred_surname {
            f.preferred_surname.clone()
        } else {
            before.preferred_surname.clone()
        },
        date_of_birth: f.date_of_birth,
        sex: f.sex,
        year_override: if columns.year {
            f.year_override
        } else {
            before.year_override
        },
        reg_group_id: if columns.reg_group {
            group_id
        } else {
            before.reg_group_id.clone()
        },
        looked_after: before.looked_after,
        eal: before.eal,
        fsm: before.fsm,
        language: before.language,
    }
}

const IN_USE: &str = "The UPN is recorded as another pupil's former UPN";
const NOT_MATCHED: &str = "The UPN belongs to a pupil at another school whose details do not match this row: check the UPN and date of birth, or ask the pupil's previous school";
const FORMER_IN_USE: &str = "The former UPN belongs to another pupil";

impl Store {
    /// The pupils of other schools that hold any of `upns`, as current or former UPN.
    ///
    /// **This is the only read across schools in the import**, and it answers no more than
    /// which UPNs are taken and by which pupil id: no name, no date of birth, no SEN data.
    /// Everything else the import reads is the importing school's own. Under PostgreSQL
    /// row-level security it widens the transaction to every school for this query only.
    pub async fn upns_held_elsewhere(
        tx: &mut Tx,
        school_id: &str,
        upns: &[String],
    ) -> Result<Vec<UpnElsewhere>> {
        let prior = crate::tenancy::widen(tx).await?;
        let mut out = Vec::new();
        for chunk in upns.chunks(CHUNK) {
            let mut q = Sql::new(
                "SELECT id, school_id, upn, former_upn, date_of_birth, legal_surname FROM pupils WHERE school_id <> ",
            );
            q.bind(school_id.to_string());
            q.push(" AND (upn IN (").bind_list(chunk);
            q.push(") OR former_upn IN (").bind_list(chunk).push("))");
            let rows = q.build().fetch_all(&mut **tx).await?;
            let wanted: HashSet<&String> = chunk.iter().collect();
            for r in rows {
                let id: String = r.try_get("id")?;
                let school: String = r.try_get("school_id")?;
                let upn: Option<String> = r.try_get("upn")?;
                let former: Option<String> = r.try_get("former_upn")?;
                let date_of_birth = crate::parse_ds(&r.try_get::<String, _>("date_of_birth")?)?;
                let surname: String = r.try_get("legal_surname")?;
                let held = |u: String, as_former: bool| UpnElsewhere {
                    upn: u,
                    pupil_id: id.clone(),
                    school_id: school.clone(),
                    as_former,
                    date_of_birth,
                    surname: surname.clone(),
                };
                if let Some(u) = upn.filter(|u| wanted.contains(u)) {
                    out.push(held(u, false));
                }
                if let Some(u) = former.filter(|u| wanted.contains(u)) {
                    out.push(held(u, true));
                }
            }
        }
        crate::tenancy::narrow(tx, prior).await?;
        Ok(out)
    }

    async fn school_pupils(tx: &mut Tx, school_id: &str) -> Result<Vec<Pupil>> {
        let q = format!(
            "SELECT {PUPIL_COLUMNS} FROM pupils p LEFT JOIN reg_groups g ON g.id = p.reg_group_id \
             WHERE p.school_id = $1"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(q))
            .bind(school_id)
            .fetch_all(&mut **tx)
            .await?;
        rows.iter().map(pupil_from_row).collect()
    }

    async fn school_groups(tx: &mut Tx, school_id: &str) -> Result<HashMap<String, String>> {
        let rows = sqlx::query("SELECT id, name FROM reg_groups WHERE school_id = $1")
            .bind(school_id)
            .fetch_all(&mut **tx)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("name")?, r.try_get("id")?)))
            .collect()
    }

    /// What importing `rows` into `school_id` would do. Reads only; run it in the writing
    /// transaction to commit (see [`Store::commit_pupil_import`]).
    pub async fn plan_pupil_import(
        tx: &mut Tx,
        school_id: &str,
        rows: &[ImportRow],
        columns: Columns,
    ) -> Result<ImportPlan> {
        Ok(Self::plan_inner(tx, school_id, rows, columns).await?.0)
    }

    async fn plan_inner(
        tx: &mut Tx,
        school_id: &str,
        rows: &[ImportRow],
        columns: Columns,
    ) -> Result<(ImportPlan, HashMap<u64, (String, String)>)> {
        let pupils = Self::school_pupils(tx, school_id).await?;
        let groups = Self::school_groups(tx, school_id).await?;
        let by_upn: HashMap<&str, &Pupil> = pupils
            .iter()
            .filter_map(|p| p.upn.as_deref().map(|u| (u, p)))
            .collect();
        let by_former: HashMap<&str, &Pupil> = pupils
            .iter()
            .filter_map(|p| p.former_upn.as_deref().map(|u| (u, p)))
            .collect();
        let mut wanted: Vec<String> = rows
            .iter()
            .flat_map(|r| [r.fields.upn.clone(), r.fields.former_upn.clone()])
            .flatten()
            .collect();
        wanted.sort();
        wanted.dedup();
        let elsewhere = Self::upns_held_elsewhere(tx, school_id, &wanted).await?;
        let holders: HashMap<&str, &UpnElsewhere> = elsewhere
            .iter()
            .filter(|e| !e.as_former)
            .map(|e| (e.upn.as_str(), e))
            .collect();
        let former_elsewhere: HashMap<&str, &str> = elsewhere
            .iter()
            .filter(|e| e.as_former)
            .map(|e| (e.upn.as_str(), e.pupil_id.as_str()))
            .collect();
        let mut plan = ImportPlan::default();
        let mut transfer_ids = HashMap::new();
        let mut new_groups: Vec<String> = Vec::new();
        for row in rows {
            if let Some(g) = &row.reg_group
                && columns.reg_group
                && !groups.contains_key(g)
                && !new_groups.contains(g)
            {
                new_groups.push(g.clone());
            }
            let upn = row.fields.upn.as_deref();
            let own = upn.and_then(|u| by_upn.get(u).copied());
            let holder = upn
                .and_then(|u| holders.get(u).copied())
                .filter(|_| own.is_none());
            // Another school's pupil is this row only if the date of birth is theirs; any
            // other row naming their UPN is a probe, refused without saying more (SR-07).
            let same = holder.map(|h| {
                same_pupil(
                    h.date_of_birth,
                    &h.surname,
                    row.fields.date_of_birth,
                    &row.fields.legal_surname,
                )
            });
            if let (Some(h), Some(SamePupil::No)) = (holder, same) {
                plan.probes.push(Probe {
                    row: row.row,
                    pupil_id: h.pupil_id.clone(),
                    school_id: h.school_id.clone(),
                });
                plan.problems.push(PlanProblem {
                    row: row.row,
                    field: "upn",
                    value: upn.unwrap_or_default().to_string(),
                    code: "not_matched",
                    reason: NOT_MATCHED,
                });
                continue;
            }
            let other = upn
                .and_then(|u| holders.get(u))
                .map(|h| h.pupil_id.as_str());
            // Whoever this row will be: a UPN or former UPN held by anyone else is a conflict.
            let me = own.map(|p| p.id.as_str()).or(other);
            let mut problems = Vec::new();
            if let Some(u) = upn {
                let held_as_former = by_former
                    .get(u)
                    .map(|p| p.id.as_str())
                    .filter(|id| Some(*id) != me)
                    .is_some()
                    || former_elsewhere.get(u).is_some_and(|id| Some(*id) != me);
                if held_as_former {
                    problems.push(PlanProblem {
                        row: row.row,
                        field: "upn",
                        value: u.to_string(),
                        code: "in_use",
                        reason: IN_USE,
                    });
                }
            }
            if let Some(f) = row
                .fields
                .former_upn
                .as_deref()
                .filter(|_| columns.former_upn)
            {
                let holders = [
                    by_upn.get(f).map(|p| p.id.as_str()),
                    by_former.get(f).map(|p| p.id.as_str()),
                    holders.get(f).map(|h| h.pupil_id.as_str()),
                    former_elsewhere.get(f).copied(),
                ];
                if holders.iter().flatten().any(|id| Some(*id) != me) {
                    problems.push(PlanProblem {
                        row: row.row,
                        field: "former_upn",
                        value: f.to_string(),
                        code: "in_use",
                        reason: FORMER_IN_USE,
                    });
                }
            }
            if !problems.is_empty() {
                plan.problems.extend(problems);
                continue;
            }
            match (own, other) {
                (Some(p), _) => {
                    let before = PupilFields::from(p);
                    let group_id = row.reg_group.as_ref().and_then(|g| groups.get(g).cloned());
                    let mut after = merged(&before, row, columns, group_id);
                    let mut ch = changes(&before, &after, &groups);
                    if columns.reg_group
                        && let Some(g) = &row.reg_group
                        && !groups.contains_key(g)
                    {
                        // A new group: its id comes at commit.
                        after.reg_group_id = None;
                        ch.retain(|c| c.field != "reg_group");
                        ch.push(FieldChange {
                            field: "reg_group",
                            before: p.reg_group_name.clone().unwrap_or_default(),
                            after: g.clone(),
                        });
                    }
                    if ch.is_empty() {
                        plan.unchanged.push(row.row);
                    } else {
                        plan.updates.push(PlannedUpdate {
                            row: row.row,
                            pupil_id: p.id.clone(),
                            after,
                            reg_group: row.reg_group.clone(),
                            changes: ch,
                        });
                    }
                }
                (None, Some(id)) => {
                    let school = holder.map(|h| h.school_id.clone()).unwrap_or_default();
                    transfer_ids.insert(row.row, (id.to_string(), school));
                    let surname_differs = same == Some(SamePupil::SurnameDiffers);
                    plan.transfers.push(PlannedTransfer {
                        row: row.row,
                        upn: upn.unwrap_or_default().to_string(),
                        surname_differs,
                    });
                }
                (None, None) => plan.creates.push(row.clone()),
            }
        }
        plan.new_reg_groups = new_groups;
        Ok((plan, transfer_ids))
    }

    /// Plans again inside `tx` and writes the whole import: new pupils with their enrolment,
    /// updates with their previous version, accepted transfers (the pupil and every record
    /// of theirs move to the importing school; the old enrolment ends `today` and a new one
    /// starts), new registration groups, and an audit row per pupil plus one for the import,
    /// built from `audit` (who, channel, request). Refuses, writing nothing, when any row has
    /// a problem or a transfer is not accepted. The caller commits `tx`.
    pub async fn commit_pupil_import(
        tx: &mut Tx,
        rows: &[ImportRow],
        columns: Columns,
        commit: &ImportCommit<'_>,
    ) -> Result<ImportOutcome, ImportError> {
        Self::commit_pupils(tx, rows, columns, commit, "pupil_import")
            .await
            .map(|(outcome, _)| outcome)
    }

    /// [`Store::commit_pupil_import`] with the record type of the import's summary audit row
    /// (`pupil_import`, `ctf_import`). Also returns the UPNs of the rows that became transfer
    /// requests (those pupils are not the school's yet).
    pub(crate) async fn commit_pupils(
        tx: &mut Tx,
        rows: &[ImportRow],
        columns: Columns,
        commit: &ImportCommit<'_>,
        summary_type: &'static str,
    ) -> Result<(ImportOutcome, HashSet<String>), ImportError> {
        let ImportCommit {
            school_id,
            accept_transfers,
            audit,
            today,
            now,
        } = *commit;
        let (plan, transfer_ids) = Self::plan_inner(tx, school_id, rows, columns).await?;
        if !plan.problems.is_empty() {
            return Err(ImportError::Problems(Box::new(plan)));
        }
        if !plan.transfers.is_empty() && !accept_transfers {
            return Err(ImportError::TransfersNotAccepted(Box::new(plan)));
        }
        let mut groups = Self::school_groups(tx, school_id).await?;
        for name in &plan.new_reg_groups {
            let id = Self::insert_reg_group(tx, school_id, name, None, None).await?;
            groups.insert(name.clone(), id);
        }
        let group_of = |name: &Option<String>| name.as_ref().and_then(|g| groups.get(g).cloned());
        let mut events = Vec::new();
        let event = |pupil_id: &str, action: &'static str, fields: Option<String>| {
            let mut e = audit.clone();
            e.school_id = Some(school_id.to_string());
            e.pupil_id = Some(pupil_id.to_string());
            e.record_type = "pupil";
            e.record_id = Some(pupil_id.to_string());
            e.action = action;
            e.outcome = "allowed";
            e.fields = fields;
            e
        };

        // New pupils: a few statements for thousands of rows.
        let mut created = Vec::with_capacity(plan.creates.len());
        for chunk in plan.creates.chunks(CHUNK / 20) {
            let mut q = Sql::new(
                "INSERT INTO pupils (id, school_id, upn, former_upn, legal_forename, legal_surname, \
                 preferred_forename, preferred_surname, date_of_birth, sex, year_override, reg_group_id, \
                 looked_after, eal, fsm, correspondence_language, search_text, version, created_at, updated_at) VALUES ",
            );
            let mut e = Sql::new(
                "INSERT INTO enrolments (id, pupil_id, school_id, starts_on, created_at) VALUES ",
            );
            for (i, row) in chunk.iter().enumerate() {
                let f = &row.fields;
                let id = new_id();
                let sep = if i == 0 { "(" } else { ", (" };
                q.push(sep).bind(id.clone()).push(", ").bind(school_id);
                for v in [&f.upn, &f.former_upn] {
                    q.push(", ");
                    bind_opt(&mut q, v);
                }
                q.push(", ").bind(f.legal_forename.clone());
                q.push(", ").bind(f.legal_surname.clone());
                for v in [&f.preferred_forename, &f.preferred_surname] {
                    q.push(", ");
                    bind_opt(&mut q, v);
                }
                q.push(", ").bind(ds(f.date_of_birth));
                q.push(", ").bind(f.sex.code());
                q.push(", ");
                match f.year_override {
                    Some(y) => q.bind(y),
                    None => q.push("NULL"),
                };
                q.push(", ");
                bind_opt(&mut q, &group_of(&row.reg_group));
                q.push(", ").bind(flag(f.looked_after));
                q.push(", ").bind(flag(f.eal));
                q.push(", ").bind(flag(f.fsm));
                q.push(", ").bind(f.language.as_str());
                q.push(", ").bind(f.search_text());
                q.push(", 1, ")
                    .bind(ts(now))
                    .push(", ")
                    .bind(ts(now))
                    .push(")");
                e.push(sep).bind(new_id()).push(", ").bind(id.clone());
                e.push(", ").bind(school_id).push(", ").bind(ds(today));
                e.push(", ").bind(ts(now)).push(")");
                created.push(id);
            }
            q.build()
                .execute(&mut **tx)
                .await
                .map_err(|e| crate::duplicate(e, "a pupil with this UPN is already recorded"))?;
            e.build()
                .execute(&mut **tx)
                .await
                .map_err(StoreError::from)?;
        }
        for id in &created {
            events.push(event(id, "create", None));
        }

        // Updates keep their previous version, as edits on the pupil's page do.
        let pupils = Self::school_pupils(tx, school_id).await?;
        let by_id: HashMap<&str, &Pupil> = pupils.iter().map(|p| (p.id.as_str(), p)).collect();
        for u in &plan.updates {
            let before = by_id.get(u.pupil_id.as_str()).ok_or(StoreError::NotFound)?;
            let mut after = u.after.clone();
            if columns.reg_group {
                after.reg_group_id = group_of(&u.reg_group);
            }
            let changed = after.changed_fields(&PupilFields::from(*before));
            Self::update_pupil(
                tx,
                before,
                &after,
                before.version,
                audit.actor_user_id.as_deref(),
                now,
            )
            .await?;
            events.push(event(&u.pupil_id, "update", Some(changed.join(","))));
        }

        // Accepted transfers: a request to the school holding each record, which decides
        // (SR-07). The pupil and their record stay where they are until then.
        let mut requested = 0;
        for t in &plan.transfers {
            let (id, from) = transfer_ids.get(&t.row).ok_or(StoreError::NotFound)?;
            let row = rows
                .iter()
                .find(|r| r.row == t.row)
                .ok_or(StoreError::NotFound)?;
            let request = crate::transfers::NewTransferRequest {
                pupil_id: id,
                from_school_id: from,
                to_school_id: school_id,
                upn: &t.upn,
                legal_forename: &row.fields.legal_forename,
                legal_surname: &row.fields.legal_surname,
                surname_differs: t.surname_differs,
                source: summary_type,
                requested_by: audit.actor_user_id.as_deref(),
                requested_label: &audit.actor_label,
            };
            if let Some(request_id) = Self::request_transfer(tx, &request, now).await? {
                requested += 1;
                let mut e = event(id, "create", None);
                // The request belongs to the holding school, whose SENCO reads the pupil's
                // access log.
                e.school_id = Some(from.clone());
                e.record_type = "transfer_request";
                e.record_id = Some(request_id);
                events.push(e);
            }
        }

        let mut summary = audit.clone();
        summary.school_id = Some(school_id.to_string());
        summary.record_type = summary_type;
        summary.action = "create";
        summary.outcome = "allowed";
        events.push(summary);
        Self::audit_many_in(tx, &events).await?;
        let outcome = ImportOutcome {
            created: created.len(),
            updated: plan.updates.len(),
            unchanged: plan.unchanged.len(),
            transfer_requests: requested,
        };
        Ok((outcome, plan.transfers.into_iter().map(|t| t.upn).collect()))
    }

    /// Moves a pupil and every record of theirs to `to_school`: the old enrolment ends
    /// `today` and a new one starts; the old school's teaching links end, and the
    /// registration group (the old school's) is cleared. Only a released transfer request
    /// calls this ([`Store::release_transfer`]).
    pub(crate) async fn move_pupil(
        tx: &mut Tx,
        pupil_id: &str,
        to_school: &str,
        today: Date,
        now: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE pupils SET school_id = $2, reg_group_id = NULL, updated_at = $3 WHERE id = $1",
        )
        .bind(pupil_id)
        .bind(to_school)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        for table in PUPIL_RECORD_TABLES {
            // SQL-SAFE: table names from the constant PUPIL_RECORD_TABLES.
            let q = format!("UPDATE {table} SET school_id = $2 WHERE pupil_id = $1");
            sqlx::query(sqlx::AssertSqlSafe(q))
                .bind(pupil_id)
                .bind(to_school)
                .execute(&mut **tx)
                .await?;
        }
        // The old school's teaching links end. The new school is now the last school: a
        // retention review of the old one's no longer applies, and the old enrolment ends
        // as a transfer out (SR-30).
        for table in ENDED_ON_TRANSFER {
            // SQL-SAFE: table names from the constant ENDED_ON_TRANSFER.
            let q = format!("DELETE FROM {table} WHERE pupil_id = $1");
            sqlx::query(sqlx::AssertSqlSafe(q))
                .bind(pupil_id)
                .execute(&mut **tx)
                .await?;
        }
        sqlx::query(
            "UPDATE enrolments SET ends_on = CASE WHEN starts_on > $2 THEN starts_on ELSE $2 END, \
             leaving = 'transferred_out' WHERE pupil_id = $1 AND ends_on IS NULL",
        )
        .bind(pupil_id)
        .bind(ds(today))
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO enrolments (id, pupil_id, school_id, starts_on, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(pupil_id)
        .bind(to_school)
        .bind(ds(today))
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Keeps an uploaded file for the preview and confirmation, sweeping any older than a
    /// day. Returns its id.
    pub async fn keep_pupil_import(
        &self,
        school_id: &str,
        user_id: &str,
        file_name: &str,
        data: &[u8],
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM pupil_imports WHERE created_at < $1")
            .bind(ts(now - time::Duration::days(1)))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO pupil_imports (id, school_id, user_id, file_name, data, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(school_id)
        .bind(user_id)
        .bind(file_name)
        .bind(data.to_vec())
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A kept file (its name and bytes), only for the person who uploaded it, at their school.
    pub async fn kept_pupil_import(
        &self,
        id: &str,
        school_id: &str,
        user_id: &str,
    ) -> Result<(String, Vec<u8>)> {
        let row = sqlx::query(
            "SELECT file_name, data FROM pupil_imports WHERE id = $1 AND school_id = $2 AND user_id = $3",
        )
        .bind(id)
        .bind(school_id)
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok((row.try_get("file_name")?, row.try_get("data")?))
    }

    /// Removes a kept file (after its import is written).
    pub async fn drop_pupil_import(tx: &mut Tx, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM pupil_imports WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

pub(crate) fn bind_opt(q: &mut Sql, v: &Option<String>) {
    match v {
        Some(s) => {
            q.bind(s.clone());
        }
        None => {
            q.push("NULL");
        }
    }
}
