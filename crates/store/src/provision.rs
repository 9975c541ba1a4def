//! Provision: a school's catalogue of help, pupils' allocations to it (with entry and exit
//! measures), and the delivery log of sessions.
//!
//! Allocations and sessions are pupil data: every query that returns them joins the pupil
//! and applies the caller's [`Scope`], so a list never shows a pupil a direct link refuses.
//! The catalogue itself belongs to a school and holds no pupil data.

use senco_domain::Date;
use senco_domain::census::AreaOfNeed;
use senco_domain::provision::{CostBasis, MeasureUnit, ProvisionKind, SessionStatus};
use sqlx::Row;
use time::OffsetDateTime;

use crate::scope::Scope;
use crate::{
    AnyRow, Result, Sql, Store, StoreError, Tx, closed, ds, duplicate, new_id, parse_ds, ts,
};

/// A measure in thousandths, as stored.
fn to_milli(v: f64) -> i64 {
    (v * 1000.0).round() as i64
}

fn from_milli(v: Option<i64>) -> Option<f64> {
    v.map(|m| m as f64 / 1000.0)
}

fn opt_date(row: &AnyRow, col: &str) -> Result<Option<Date>> {
    row.try_get::<Option<String>, _>(col)?
        .map(|s| parse_ds(&s))
        .transpose()
}

/// A catalogue entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Provision {
    pub id: String,
    pub school_id: String,
    pub fields: ProvisionFields,
    /// The name of the person who runs it, if one is named.
    pub staff_name: Option<String>,
    pub version: i64,
}

/// What a catalogue entry records (numbers already checked by the domain).
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionFields {
    pub name: String,
    pub kind: ProvisionKind,
    pub area: AreaOfNeed,
    pub description: String,
    pub staff_role: String,
    /// The member of staff who runs it: they support the pupils allocated to it.
    pub staff_user_id: Option<String>,
    pub group_size: i64,
    pub sessions_per_week: i64,
    pub minutes_per_session: i64,
    pub cost_basis: CostBasis,
    pub cost_pence: i64,
    /// The gain from entry to exit measure that counts as success.
    pub expected_gain: Option<f64>,
    pub active: bool,
}

/// A measure's name and unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub name: String,
    pub unit: MeasureUnit,
}

/// A pupil's allocation to a provision.
#[derive(Debug, Clone, PartialEq)]
pub struct Allocation {
    pub id: String,
    pub provision_id: String,
    pub provision_name: String,
    pub pupil_id: String,
    pub pupil_name: String,
    pub pupil_date_of_birth: Date,
    pub pupil_year_override: Option<i64>,
    pub school_id: String,
    pub from_on: Date,
    pub to_on: Date,
    pub sessions_per_week: i64,
    /// Ids of the plan targets this provision works towards.
    pub targets: Vec<String>,
    pub measure: Option<Measure>,
    pub entry: Option<(f64, Date)>,
    pub exit: Option<(f64, Date)>,
    pub version: i64,
}

/// Input for a new allocation.
#[derive(Debug, Clone)]
pub struct NewAllocation<'a> {
    pub provision_id: &'a str,
    pub pupil_id: &'a str,
    pub school_id: &'a str,
    pub from_on: Date,
    pub to_on: Date,
    pub sessions_per_week: i64,
    pub targets: &'a [String],
    pub measure: Option<&'a Measure>,
    pub entry: Option<(f64, Date)>,
    pub created_by: Option<&'a str>,
}

/// One recorded session for one pupil.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub allocation_id: String,
    pub on: Date,
    pub minutes: i64,
    pub status: SessionStatus,
    pub reason: Option<String>,
    pub recorded_by_name: Option<String>,
}

/// Input for a session.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub allocation: &'a Allocation,
    pub on: Date,
    pub minutes: i64,
    pub status: SessionStatus,
    pub reason: Option<&'a str>,
    pub recorded_by: Option<&'a str>,
}

const PROVISION_COLUMNS: &str = "v.id, v.school_id, v.name, v.kind, v.area, v.description, v.staff_role, \
    v.staff_user_id, u.name AS staff_name, v.group_size, v.sessions_per_week, v.minutes_per_session, \
    v.cost_basis, v.cost_pence, v.expected_gain_milli, v.active, v.version";

/// Binds a catalogue entry's fields as `$3` to `$15` and `now` as `$16`, in the order
/// both the insert and the update name them.
fn bind_fields<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    f: &'q ProvisionFields,
    now: OffsetDateTime,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    q.bind(&f.name)
        .bind(f.kind.as_str())
        .bind(f.area.as_str())
        .bind(&f.description)
        .bind(&f.staff_role)
        .bind(f.staff_user_id.as_deref())
        .bind(f.group_size)
        .bind(f.sessions_per_week)
        .bind(f.minutes_per_session)
        .bind(f.cost_basis.as_str())
        .bind(f.cost_pence)
        .bind(f.expected_gain.map(to_milli))
        .bind(i64::from(f.active))
        .bind(ts(now))
}

fn provision_from_row(r: &AnyRow) -> Result<Provision> {
    Ok(Provision {
        id: r.try_get("id")?,
        school_id: r.try_get("school_id")?,
        staff_name: r.try_get("staff_name")?,
        version: r.try_get("version")?,
        fields: ProvisionFields {
            name: r.try_get("name")?,
            kind: closed(r, "provisions", "kind", ProvisionKind::parse)?,
            area: closed(r, "provisions", "area", AreaOfNeed::parse)?,
            description: r.try_get("description")?,
            staff_role: r.try_get("staff_role")?,
            staff_user_id: r.try_get("staff_user_id")?,
            group_size: r.try_get("group_size")?,
            sessions_per_week: r.try_get("sessions_per_week")?,
            minutes_per_session: r.try_get("minutes_per_session")?,
            cost_basis: closed(r, "provisions", "cost_basis", CostBasis::parse)?,
            cost_pence: r.try_get("cost_pence")?,
            expected_gain: from_milli(r.try_get("expected_gain_milli")?),
            active: r.try_get::<i64, _>("active")? != 0,
        },
    })
}

const ALLOCATION_COLUMNS: &str = "a.id, a.provision_id, v.name AS provision_name, a.pupil_id, a.school_id, \
    a.from_on, a.to_on, a.sessions_per_week, a.targets, a.measure_name, a.measure_unit, a.entry_milli, \
    a.entry_on, a.exit_milli, a.exit_on, a.version, p.legal_forename, p.legal_surname, \
    p.preferred_forename, p.preferred_surname, p.date_of_birth, p.year_override";

fn allocation_from_row(r: &AnyRow) -> Result<Allocation> {
    let name: Option<String> = r.try_get("measure_name")?;
    let unit: Option<String> = r.try_get("measure_unit")?;
    let measure = match (name, unit) {
        (Some(name), Some(unit)) => Some(Measure {
            name,
            unit: MeasureUnit::parse(&unit)
                .ok_or_else(|| StoreError::Malformed(format!("measure unit {unit:?}")))?,
        }),
        _ => None,
    };
    let entry_value = from_milli(r.try_get("entry_milli")?);
    let exit_value = from_milli(r.try_get("exit_milli")?);
    let forename: Option<String> = r.try_get("preferred_forename")?;
    let surname: Option<String> = r.try_get("preferred_surname")?;
    let pupil_name = format!(
        "{} {}",
        forename
            .map(Ok)
            .unwrap_or_else(|| r.try_get::<String, _>("legal_forename"))?,
        surname
            .map(Ok)
            .unwrap_or_else(|| r.try_get::<String, _>("legal_surname"))?
    );
    let targets: String = r.try_get("targets")?;
    Ok(Allocation {
        id: r.try_get("id")?,
        provision_id: r.try_get("provision_id")?,
        provision_name: r.try_get("provision_name")?,
        pupil_id: r.try_get("pupil_id")?,
        pupil_name,
        pupil_date_of_birth: parse_ds(&r.try_get::<String, _>("date_of_birth")?)?,
        pupil_year_override: r.try_get("year_override")?,
        school_id: r.try_get("school_id")?,
        from_on: parse_ds(&r.try_get::<String, _>("from_on")?)?,
        to_on: parse_ds(&r.try_get::<String, _>("to_on")?)?,
        sessions_per_week: r.try_get("sessions_per_week")?,
        targets: targets
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        measure,
        entry: entry_value.zip(opt_date(r, "entry_on")?),
        exit: exit_value.zip(opt_date(r, "exit_on")?),
        version: r.try_get("version")?,
    })
}

/// How allocations are listed.
#[derive(Debug, Clone, Copy)]
pub enum AllocationsOf<'a> {
    Pupil(&'a str),
    Provision(&'a str),
    School(&'a str),
    One(&'a str),
}

impl Store {
    /// Adds a catalogue entry. A name already used at the school is a duplicate.
    pub async fn insert_provision(
        tx: &mut Tx,
        school_id: &str,
        f: &ProvisionFields,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        let q = sqlx::query(
            "INSERT INTO provisions (id, school_id, name, kind, area, description, staff_role, staff_user_id, \
             group_size, sessions_per_week, minutes_per_session, cost_basis, cost_pence, expected_gain_milli, active, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)",
        )
        .bind(&id)
        .bind(school_id);
        bind_fields(q, f, now)
            .execute(&mut **tx)
            .await
            .map_err(|e| duplicate(e, "provision_name"))?;
        Ok(id)
    }

    /// Changes a catalogue entry if `expected_version` is still current.
    pub async fn update_provision(
        tx: &mut Tx,
        id: &str,
        expected_version: i64,
        f: &ProvisionFields,
        now: OffsetDateTime,
    ) -> Result<()> {
        let q = sqlx::query(
            "UPDATE provisions SET name = $3, kind = $4, area = $5, description = $6, staff_role = $7, \
             staff_user_id = $8, group_size = $9, sessions_per_week = $10, minutes_per_session = $11, \
             cost_basis = $12, cost_pence = $13, expected_gain_milli = $14, active = $15, updated_at = $16, \
             version = version + 1 WHERE id = $1 AND version = $2",
        )
        .bind(id)
        .bind(expected_version);
        let done = bind_fields(q, f, now)
            .execute(&mut **tx)
            .await
            .map_err(|e| duplicate(e, "provision_name"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    /// A school's catalogue by name (retired entries last).
    pub async fn provisions(&self, school_id: &str) -> Result<Vec<Provision>> {
        let sql = format!(
            "SELECT {PROVISION_COLUMNS} FROM provisions v LEFT JOIN users u ON u.id = v.staff_user_id \
             WHERE v.school_id = $1 ORDER BY v.active DESC, v.name"
        );
        self.all_by_id(sql, school_id, provision_from_row).await
    }

    /// One catalogue entry of a school (another school's entry is not found).
    pub async fn provision(&self, school_id: &str, id: &str) -> Result<Provision> {
        let sql = format!(
            "SELECT {PROVISION_COLUMNS} FROM provisions v LEFT JOIN users u ON u.id = v.staff_user_id \
             WHERE v.id = $1 AND v.school_id = $2"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(school_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        provision_from_row(&row)
    }

    /// The catalogue entry an allocation names, whichever school's catalogue holds it: an
    /// allocation keeps naming the entry of the school that made it after the pupil moves
    /// (the pupil's portable record and subject-access bundle describe it).
    pub async fn provision_by_id(&self, id: &str) -> Result<Provision> {
        let sql = format!(
            "SELECT {PROVISION_COLUMNS} FROM provisions v LEFT JOIN users u ON u.id = v.staff_user_id \
             WHERE v.id = $1"
        );
        self.one_by_id(sql, id, provision_from_row).await
    }

    /// Adds an allocation.
    pub async fn insert_allocation(
        tx: &mut Tx,
        a: &NewAllocation<'_>,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO allocations (id, provision_id, pupil_id, school_id, from_on, to_on, sessions_per_week, \
             targets, measure_name, measure_unit, entry_milli, entry_on, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)",
        )
        .bind(&id)
        .bind(a.provision_id)
        .bind(a.pupil_id)
        .bind(a.school_id)
        .bind(ds(a.from_on))
        .bind(ds(a.to_on))
        .bind(a.sessions_per_week)
        .bind(a.targets.join(","))
        .bind(a.measure.map(|m| m.name.clone()))
        .bind(a.measure.map(|m| m.unit.as_str()))
        .bind(a.entry.map(|(v, _)| to_milli(v)))
        .bind(a.entry.map(|(_, d)| ds(d)))
        .bind(a.created_by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Sets an allocation's end date and exit measure if `expected_version` is current.
    pub async fn update_allocation_end(
        tx: &mut Tx,
        id: &str,
        expected_version: i64,
        to_on: Date,
        exit: Option<(f64, Date)>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE allocations SET to_on = $3, exit_milli = $4, exit_on = $5, updated_at = $6, \
             version = version + 1 WHERE id = $1 AND version = $2",
        )
        .bind(id)
        .bind(expected_version)
        .bind(ds(to_on))
        .bind(exit.map(|(v, _)| to_milli(v)))
        .bind(exit.map(|(_, d)| ds(d)))
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    /// Allocations whose pupil is in `scope`, by start date then pupil surname.
    pub async fn allocations(
        &self,
        scope: &Scope,
        of: AllocationsOf<'_>,
    ) -> Result<Vec<Allocation>> {
        let mut q = Sql::new(format!(
            "SELECT {ALLOCATION_COLUMNS} FROM allocations a JOIN provisions v ON v.id = a.provision_id \
             JOIN pupils p ON p.id = a.pupil_id WHERE "
        ));
        match of {
            AllocationsOf::Pupil(id) => q.push("a.pupil_id = ").bind(id),
            AllocationsOf::Provision(id) => q.push("a.provision_id = ").bind(id),
            AllocationsOf::School(id) => q.push("a.school_id = ").bind(id),
            AllocationsOf::One(id) => q.push("a.id = ").bind(id),
        };
        scope.push_predicate(&mut q);
        q.push(" ORDER BY a.from_on DESC, p.legal_surname, p.legal_forename, a.id");
        let rows = q.build().fetch_all(self.pool()).await?;
        rows.iter().map(allocation_from_row).collect()
    }

    /// One allocation whose pupil is in `scope`.
    pub async fn allocation(&self, scope: &Scope, id: &str) -> Result<Allocation> {
        self.allocations(scope, AllocationsOf::One(id))
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)
    }

    /// The pupil of an allocation, for auditing a refused attempt (no other detail).
    pub async fn allocation_pupil_unscoped_for_audit(&self, id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT pupil_id FROM allocations WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get("pupil_id")).transpose()?)
    }

    /// Records a session. A second record for the same allocation and day is a duplicate.
    pub async fn insert_delivery_session(
        tx: &mut Tx,
        s: &NewSession<'_>,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO delivery_sessions (id, allocation_id, provision_id, pupil_id, school_id, on_date, minutes, \
             status, reason, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(&s.allocation.id)
        .bind(&s.allocation.provision_id)
        .bind(&s.allocation.pupil_id)
        .bind(&s.allocation.school_id)
        .bind(ds(s.on))
        .bind(s.minutes)
        .bind(s.status.as_str())
        .bind(s.reason)
        .bind(s.recorded_by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await
        .map_err(|e| duplicate(e, "session_recorded"))?;
        Ok(id)
    }

    /// The sessions of some allocations (already reached through a scope), by date.
    pub async fn sessions(&self, allocation_ids: &[String]) -> Result<Vec<Session>> {
        let mut out = Vec::new();
        for chunk in allocation_ids.chunks(500) {
            let mut q = Sql::new(
                "SELECT s.id, s.allocation_id, s.on_date, s.minutes, s.status, s.reason, u.name AS recorded_by_name \
                 FROM delivery_sessions s LEFT JOIN users u ON u.id = s.recorded_by WHERE s.allocation_id IN (",
            );
            q.bind_list(chunk).push(") ORDER BY s.on_date, s.id");
            for r in q.build().fetch_all(self.pool()).await? {
                let status: String = r.try_get("status")?;
                out.push(Session {
                    id: r.try_get("id")?,
                    allocation_id: r.try_get("allocation_id")?,
                    on: parse_ds(&r.try_get::<String, _>("on_date")?)?,
                    minutes: r.try_get("minutes")?,
                    status: SessionStatus::parse(&status)
                        .ok_or_else(|| StoreError::Malformed(format!("status {status:?}")))?,
                    reason: r.try_get("reason")?,
                    recorded_by_name: r.try_get("recorded_by_name")?,
                });
            }
        }
        Ok(out)
    }

    /// How many open (not closed) specialist involvements each of some pupils (already
    /// reached through a scope) has; pupils with none are absent.
    pub async fn open_involvement_counts(
        &self,
        pupil_ids: &[String],
    ) -> Result<std::collections::HashMap<String, u32>> {
        let mut out = std::collections::HashMap::new();
        for chunk in pupil_ids.chunks(500) {
            let mut q = Sql::new(
                "SELECT pupil_id, COUNT(*) AS n FROM involvements WHERE status <> 'closed' AND pupil_id IN (",
            );
            q.bind_list(chunk).push(") GROUP BY pupil_id");
            for r in q.build().fetch_all(self.pool()).await? {
                out.insert(
                    r.try_get("pupil_id")?,
                    u32::try_from(r.try_get::<i64, _>("n")?).unwrap_or(u32::MAX),
                );
            }
        }
        Ok(out)
    }
}
