//! The Common Transfer File's SEN history: writing an import (pupils matched, created or
//! transferred as the CSV import does, then the stage history and needs that are new) and
//! reading a school's pupils with their histories for an export.
//!
//! The caller has checked every code against the dated national table; here each new stage
//! entry is checked against the pupil's history as stored ([`history::check_import`]), known
//! entries (the same, or written with the same code on the same day) are recognised and
//! skipped, and everything is written in the caller's transaction, so a refusal anywhere
//! writes nothing.

use std::collections::{HashMap, HashSet};

use senco_domain::Date;
use senco_domain::census::{CodeSettings, transfer_code};
use senco_domain::framework::Stage;
use senco_domain::history::{self, Entry, NewEntry};
use senco_domain::school::FrameworkKey;
use sqlx::Row;

use crate::audit::AuditEvent;
use crate::census::CensusFacts;
use crate::imports::{CHUNK, Columns, ImportCommit, ImportError, ImportOutcome, ImportRow};
use crate::pupils::{PUPIL_COLUMNS, pupil_from_row};
use crate::sen::{CHANGE_COLUMNS, StageChange, change_from_row};
use crate::{Result, Sql, Store, StoreError, Tx, ds, flag, new_id, ts};

/// A stage entry from the file, its code already checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportedStage {
    pub framework: FrameworkKey,
    pub stage: Stage,
    pub effective: Date,
}

/// A ranked need from the file, its code already checked (stored form: "SPLD").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedNeed {
    pub code: String,
    pub rank: i64,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
}

/// A pupil of the file: their details (as a pupil import row) and SEN history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtfPupil {
    pub row: ImportRow,
    /// How the pupil is named in messages: "U201200112345 (Sam Example)".
    pub label: String,
    pub stages: Vec<ImportedStage>,
    pub needs: Vec<ImportedNeed>,
}

/// A pupil whose history cannot be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtfProblem {
    pub pupil: String,
    pub message: String,
}

/// Why a CTF import was not written.
#[derive(Debug, thiserror::Error)]
pub enum CtfImportError {
    #[error("some pupils' histories cannot be added")]
    Problems(Vec<CtfProblem>),
    #[error(transparent)]
    Pupils(#[from] ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a CTF import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CtfOutcome {
    pub pupils: ImportOutcome,
    pub stages_added: usize,
    pub stages_known: usize,
    pub needs_added: usize,
    pub needs_known: usize,
}

struct NewChange {
    id: String,
    seq: i64,
    pupil_id: String,
    stage: ImportedStage,
}

impl Store {
    /// Writes a CTF import in `tx`: the pupils as [`Store::commit_pupil_import`] does (new
    /// pupils with an enrolment, details updated, transfers only when accepted), then each
    /// pupil's stage entries and needs that the record does not hold yet (stage entries
    /// marked imported), the derived current stages, and an audit row per pupil whose
    /// history grew plus one for the import. Refuses, writing nothing, when any entry
    /// cannot be added; the caller commits `tx`.
    pub async fn commit_ctf_import(
        tx: &mut Tx,
        pupils: &[CtfPupil],
        settings: &CodeSettings,
        commit: &ImportCommit<'_>,
    ) -> std::result::Result<CtfOutcome, CtfImportError> {
        let rows: Vec<ImportRow> = pupils.iter().map(|p| p.row.clone()).collect();
        let (outcome, requested) =
            Self::commit_pupils(tx, &rows, Columns::default(), commit, "ctf_import").await?;
        let ImportCommit {
            school_id,
            audit,
            today,
            now,
            ..
        } = *commit;

        // Every pupil of the file is now the school's: find them by UPN.
        let held = Held::read(tx, school_id).await?;
        let mut out = CtfOutcome {
            pupils: outcome,
            ..CtfOutcome::default()
        };
        let additions = Additions::plan(pupils, &requested, &held, settings, today, &mut out)?;

        // A few statements for thousands of entries.
        insert_stage_changes(tx, school_id, audit, now, &additions.new_changes).await?;
        insert_needs(tx, school_id, audit, now, &additions.new_needs).await?;
        replace_current_stages(tx, school_id, &additions.currents).await?;
        let events = history_events(&additions.touched, audit, school_id);
        Self::audit_many_in(tx, &events).await?;
        Ok(out)
    }

    /// The pupils of `school_id` (on roll or not), those with one of `upns` when given, with
    /// their stage histories and needs, in three queries.
    pub async fn ctf_facts(&self, school_id: &str, upns: Option<&[String]>) -> Result<CensusFacts> {
        let mut q = Sql::new(format!(
            "SELECT {PUPIL_COLUMNS} FROM pupils p LEFT JOIN reg_groups g ON g.id = p.reg_group_id WHERE p.school_id = "
        ));
        q.bind(school_id.to_string());
        if let Some(upns) = upns {
            if upns.is_empty() {
                return Ok(CensusFacts::default());
            }
            q.push(" AND p.upn IN (").bind_list(upns).push(")");
        }
        q.push(" ORDER BY p.legal_surname, p.legal_forename, p.id");
        let pupils = q
            .build()
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(pupil_from_row)
            .collect::<Result<Vec<_>>>()?;
        self.with_histories(school_id, pupils).await
    }
}

/// What the school holds already of the file's pupils, read in three queries: their ids by
/// UPN, their stage histories and their needs.
struct Held {
    ids: HashMap<String, String>,
    changes: HashMap<String, Vec<StageChange>>,
    needs: HashMap<String, Vec<(String, i64, String)>>,
}

impl Held {
    async fn read(tx: &mut Tx, school_id: &str) -> Result<Held> {
        let mut ids: HashMap<String, String> = HashMap::new();
        for r in sqlx::query("SELECT id, upn FROM pupils WHERE school_id = $1 AND upn IS NOT NULL")
            .bind(school_id)
            .fetch_all(&mut **tx)
            .await
            .map_err(StoreError::from)?
        {
            ids.insert(
                r.try_get("upn").map_err(StoreError::from)?,
                r.try_get("id").map_err(StoreError::from)?,
            );
        }
        let wanted: HashSet<&str> = ids.values().map(String::as_str).collect();
        let sql = format!(
            "SELECT {CHANGE_COLUMNS} FROM stage_changes c WHERE c.school_id = $1 ORDER BY c.pupil_id, c.seq"
        );
        let mut changes: HashMap<String, Vec<StageChange>> = HashMap::new();
        for r in sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(school_id)
            .fetch_all(&mut **tx)
            .await
            .map_err(StoreError::from)?
        {
            let c = change_from_row(&r)?;
            if wanted.contains(c.pupil_id.as_str()) {
                changes.entry(c.pupil_id.clone()).or_default().push(c);
            }
        }
        let mut needs: HashMap<String, Vec<(String, i64, String)>> = HashMap::new();
        for r in
            sqlx::query("SELECT pupil_id, code, rank, starts_on FROM needs WHERE school_id = $1")
                .bind(school_id)
                .fetch_all(&mut **tx)
                .await
                .map_err(StoreError::from)?
        {
            let pupil_id: String = r.try_get("pupil_id").map_err(StoreError::from)?;
            needs.entry(pupil_id).or_default().push((
                r.try_get("code").map_err(StoreError::from)?,
                r.try_get("rank").map_err(StoreError::from)?,
                r.try_get("starts_on").map_err(StoreError::from)?,
            ));
        }
        Ok(Held {
            ids,
            changes,
            needs,
        })
    }
}

/// What a CTF import adds to the histories held, each entry checked against the pupil's
/// history; the pupils whose histories grew, with how many stages and needs.
struct Additions<'a> {
    new_changes: Vec<NewChange>,
    new_needs: Vec<(String, &'a ImportedNeed)>,
    /// (pupil, framework, stage, since, stage change) for each pupil whose stage in force
    /// may have changed.
    currents: Vec<(String, FrameworkKey, Stage, Date, String)>,
    touched: Vec<(String, usize, usize)>,
}

impl<'a> Additions<'a> {
    /// The entries of `pupils` that the school does not hold yet, counting in `out` those
    /// added and known. Refuses with every pupil whose history cannot take them.
    fn plan(
        pupils: &'a [CtfPupil],
        requested: &HashSet<String>,
        held: &Held,
        settings: &CodeSettings,
        today: Date,
        out: &mut CtfOutcome,
    ) -> std::result::Result<Additions<'a>, CtfImportError> {
        let Held {
            ids,
            changes,
            needs,
        } = held;
        let mut problems = Vec::new();
        let mut new_changes: Vec<NewChange> = Vec::new();
        let mut new_needs: Vec<(String, &ImportedNeed)> = Vec::new();
        let mut currents: Vec<(String, FrameworkKey, Stage, Date, String)> = Vec::new();
        let mut touched: Vec<(String, usize, usize)> = Vec::new();
        for p in pupils {
            // A pupil of another school is asked for, not moved (SR-07): their history comes
            // with their record when their school releases it, not from this file.
            if p.row
                .fields
                .upn
                .as_ref()
                .is_some_and(|u| requested.contains(u))
            {
                continue;
            }
            let Some(pupil_id) = p.row.fields.upn.as_ref().and_then(|u| ids.get(u)) else {
                problems.push(CtfProblem {
                    pupil: p.label.clone(),
                    message: "the pupil was not found after the import".into(),
                });
                continue;
            };
            let stored = changes.get(pupil_id).map(Vec::as_slice).unwrap_or(&[]);
            let mut entries: Vec<Entry> = stored
                .iter()
                .map(|c| Entry {
                    id: c.seq as u64,
                    framework: c.framework,
                    stage: c.stage,
                    effective: c.effective_on,
                    supersedes: c
                        .supersedes
                        .as_ref()
                        .and_then(|id| stored.iter().find(|h| &h.id == id))
                        .map(|h| h.seq as u64),
                })
                .collect();
            let mut id_of: HashMap<u64, String> = stored
                .iter()
                .map(|c| (c.seq as u64, c.id.clone()))
                .collect();
            let mut next_seq = stored.iter().map(|c| c.seq).max().unwrap_or(0) + 1;
            let mut stages = p.stages.clone();
            stages.sort_by_key(|s| s.effective);
            let mut added = 0;
            for s in &stages {
                // Known: the same entry, or one from the same day that a transfer file
                // writes with the same code (a School Action interval read back as K).
                let code = |f, st| transfer_code(f, st, s.effective, settings).ok();
                let known = history::current(&entries).iter().any(|e| {
                    e.effective == s.effective
                        && ((e.framework, e.stage) == (s.framework, s.stage)
                            || code(e.framework, e.stage)
                                .is_some_and(|c| Some(c) == code(s.framework, s.stage)))
                });
                if known {
                    out.stages_known += 1;
                    continue;
                }
                let new = NewEntry {
                    framework: s.framework,
                    stage: s.stage,
                    effective: s.effective,
                    supersedes: None,
                };
                if let Err(e) = history::check_import(&entries, &new, today) {
                    problems.push(CtfProblem {
                        pupil: p.label.clone(),
                        message: format!("{} from {}: {e}", s.stage.label(), ds(s.effective)),
                    });
                    continue;
                }
                let id = new_id();
                entries.push(Entry {
                    id: next_seq as u64,
                    framework: s.framework,
                    stage: s.stage,
                    effective: s.effective,
                    supersedes: None,
                });
                id_of.insert(next_seq as u64, id.clone());
                new_changes.push(NewChange {
                    id,
                    seq: next_seq,
                    pupil_id: pupil_id.clone(),
                    stage: *s,
                });
                next_seq += 1;
                added += 1;
            }
            if added > 0
                && let Some(e) = history::in_force(&entries, today)
                && let Some(change_id) = id_of.get(&e.id)
            {
                currents.push((
                    pupil_id.clone(),
                    e.framework,
                    e.stage,
                    e.effective,
                    change_id.clone(),
                ));
            }
            let held = needs.get(pupil_id).map(Vec::as_slice).unwrap_or(&[]);
            let mut needs_added = 0;
            let mut seen: HashSet<(&str, i64, Date)> = HashSet::new();
            for n in &p.needs {
                let start = ds(n.starts_on);
                if held
                    .iter()
                    .any(|(c, r, s)| c == &n.code && *r == n.rank && s == &start)
                    || !seen.insert((n.code.as_str(), n.rank, n.starts_on))
                {
                    out.needs_known += 1;
                    continue;
                }
                new_needs.push((pupil_id.clone(), n));
                needs_added += 1;
            }
            out.stages_added += added;
            out.needs_added += needs_added;
            if added + needs_added > 0 {
                touched.push((pupil_id.clone(), added, needs_added));
            }
        }
        if !problems.is_empty() {
            return Err(CtfImportError::Problems(problems));
        }
        Ok(Additions {
            new_changes,
            new_needs,
            currents,
            touched,
        })
    }
}

/// Inserts the new stage entries, marked imported, a chunk of rows a statement.
async fn insert_stage_changes(
    tx: &mut Tx,
    school_id: &str,
    audit: &AuditEvent,
    now: time::OffsetDateTime,
    new_changes: &[NewChange],
) -> Result<()> {
    for chunk in new_changes.chunks(CHUNK / 15) {
        let mut q = Sql::new(
            "INSERT INTO stage_changes (id, seq, pupil_id, school_id, framework, stage, effective_on, \
             reason, imported, recorded_by, recorded_at) VALUES ",
        );
        for (i, c) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(c.id.clone()).push(", ").bind(c.seq);
            q.push(", ")
                .bind(c.pupil_id.clone())
                .push(", ")
                .bind(school_id);
            q.push(", ").bind(c.stage.framework.as_str());
            q.push(", ").bind(c.stage.stage.as_str());
            q.push(", ").bind(ds(c.stage.effective));
            q.push(", ").bind("Imported from a Common Transfer File");
            q.push(", ").bind(flag(true)).push(", ");
            match &audit.actor_user_id {
                Some(u) => q.bind(u.clone()),
                None => q.push("NULL"),
            };
            q.push(", ").bind(ts(now)).push(")");
        }
        q.build()
            .execute(&mut **tx)
            .await
            .map_err(StoreError::from)?;
    }
    Ok(())
}

/// Inserts the new needs, a chunk of rows a statement.
async fn insert_needs(
    tx: &mut Tx,
    school_id: &str,
    audit: &AuditEvent,
    now: time::OffsetDateTime,
    new_needs: &[(String, &ImportedNeed)],
) -> Result<()> {
    for chunk in new_needs.chunks(CHUNK / 9) {
        let mut q = Sql::new(
            "INSERT INTO needs (id, pupil_id, school_id, code, rank, starts_on, ends_on, recorded_by, recorded_at) VALUES ",
        );
        for (i, (pupil_id, n)) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(new_id()).push(", ").bind(pupil_id.clone());
            q.push(", ").bind(school_id).push(", ").bind(n.code.clone());
            q.push(", ")
                .bind(n.rank)
                .push(", ")
                .bind(ds(n.starts_on))
                .push(", ");
            match n.ends_on {
                Some(d) => q.bind(ds(d)),
                None => q.push("NULL"),
            };
            q.push(", ");
            match &audit.actor_user_id {
                Some(u) => q.bind(u.clone()),
                None => q.push("NULL"),
            };
            q.push(", ").bind(ts(now)).push(")");
        }
        q.build()
            .execute(&mut **tx)
            .await
            .map_err(StoreError::from)?;
    }
    Ok(())
}

/// Replaces the current stages of the pupils whose histories grew.
async fn replace_current_stages(
    tx: &mut Tx,
    school_id: &str,
    currents: &[(String, FrameworkKey, Stage, Date, String)],
) -> Result<()> {
    let changed: Vec<String> = currents.iter().map(|c| c.0.clone()).collect();
    for chunk in changed.chunks(CHUNK) {
        let mut q = Sql::new("DELETE FROM current_stages WHERE pupil_id IN (");
        q.bind_list(chunk).push(")");
        q.build()
            .execute(&mut **tx)
            .await
            .map_err(StoreError::from)?;
    }
    for chunk in currents.chunks(CHUNK / 6) {
        let mut q = Sql::new(
            "INSERT INTO current_stages (pupil_id, school_id, framework, stage, since, stage_change_id) VALUES ",
        );
        for (i, (pupil_id, framework, stage, since, change_id)) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(pupil_id.clone()).push(", ").bind(school_id);
            q.push(", ")
                .bind(framework.as_str())
                .push(", ")
                .bind(stage.as_str());
            q.push(", ")
                .bind(ds(*since))
                .push(", ")
                .bind(change_id.clone());
            q.push(")");
        }
        q.build()
            .execute(&mut **tx)
            .await
            .map_err(StoreError::from)?;
    }
    Ok(())
}

/// An audit event per pupil whose history grew, naming what grew.
fn history_events(
    touched: &[(String, usize, usize)],
    audit: &AuditEvent,
    school_id: &str,
) -> Vec<AuditEvent> {
    let events: Vec<AuditEvent> = touched
        .iter()
        .map(|(pupil_id, stages, needs)| {
            let mut e = audit.clone();
            e.school_id = Some(school_id.to_string());
            e.pupil_id = Some(pupil_id.clone());
            e.record_type = "sen_history";
            e.record_id = Some(pupil_id.clone());
            e.action = "import";
            e.outcome = "allowed";
            let mut fields = Vec::new();
            if *stages > 0 {
                fields.push("stage_changes");
            }
            if *needs > 0 {
                fields.push("needs");
            }
            e.fields = Some(fields.join(","));
            e
        })
        .collect();
    events
}
