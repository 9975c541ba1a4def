//! The rows of a pupil's subject-access bundle (SR-31) that the portable record
//! (`record.rs`, `senco_interop::record`) does not carry: earlier versions of the pupil's
//! details, who teaches them, shares with the local authority, when parents were told of
//! each stage change, the current stage and the size of each uploaded report. Contacts and
//! enrolments have readers of their own in `pupils.rs`; the access log is `audit.rs`'s.
//!
//! Callers reach the pupil through a `Scope` first (`Store::pupil`); these read by the
//! pupil's id, so on PostgreSQL they see what the request's tenant may see.

use sqlx::Row;
use time::OffsetDateTime;

use crate::{Result, Store, parse_ts};

/// An earlier version of a pupil's details, as it was before a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PupilVersion {
    pub id: String,
    pub version: i64,
    /// The details then, as JSON.
    pub data: String,
    /// The name of who made the change that replaced it.
    pub changed_by: Option<String>,
    pub changed_at: OffsetDateTime,
}

/// A member of staff linked to the pupil outside a registration group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeachingLink {
    pub id: String,
    pub name: String,
    pub role: String,
}

/// A decision to share the pupil's record with a local authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityShare {
    pub id: String,
    pub authority_code: String,
    pub authority_name: String,
    pub shared_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

/// When and how parents were told of a stage change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentNotification {
    pub id: String,
    pub stage_change_id: String,
    /// `YYYY-MM-DD`.
    pub informed_on: String,
    pub method: String,
    pub recorded_by: Option<String>,
    pub recorded_at: OffsetDateTime,
}

fn opt_ts(s: Option<String>) -> Result<Option<OffsetDateTime>> {
    s.map(|s| parse_ts(&s)).transpose()
}

impl Store {
    /// Every earlier version of a pupil's details, oldest first.
    pub async fn pupil_versions(&self, pupil_id: &str) -> Result<Vec<PupilVersion>> {
        let rows = sqlx::query(
            "SELECT v.id, v.version, v.data, u.name AS changed_by, v.changed_at FROM pupil_versions v \
             LEFT JOIN users u ON u.id = v.changed_by WHERE v.pupil_id = $1 ORDER BY v.version",
        )
        .bind(pupil_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PupilVersion {
                    id: r.try_get("id")?,
                    version: r.try_get("version")?,
                    data: r.try_get("data")?,
                    changed_by: r.try_get("changed_by")?,
                    changed_at: parse_ts(&r.try_get::<String, _>("changed_at")?)?,
                })
            })
            .collect()
    }

    /// The staff linked to a pupil by a teaching assignment, by name.
    pub async fn teaching_links(&self, pupil_id: &str) -> Result<Vec<TeachingLink>> {
        let rows = sqlx::query(
            "SELECT t.id, u.name, u.role FROM teaching_assignments t JOIN users u ON u.id = t.user_id \
             WHERE t.pupil_id = $1 ORDER BY u.name, t.id",
        )
        .bind(pupil_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TeachingLink {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    role: r.try_get("role")?,
                })
            })
            .collect()
    }

    /// Every share of a pupil's record with a local authority, withdrawn ones included,
    /// oldest first.
    pub async fn authority_shares(&self, pupil_id: &str) -> Result<Vec<AuthorityShare>> {
        let rows = sqlx::query(
            "SELECT s.id, a.code, a.name, s.shared_at, s.revoked_at FROM la_shares s \
             JOIN local_authorities a ON a.id = s.la_id WHERE s.pupil_id = $1 ORDER BY s.shared_at, s.id",
        )
        .bind(pupil_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuthorityShare {
                    id: r.try_get("id")?,
                    authority_code: r.try_get("code")?,
                    authority_name: r.try_get("name")?,
                    shared_at: parse_ts(&r.try_get::<String, _>("shared_at")?)?,
                    revoked_at: opt_ts(r.try_get("revoked_at")?)?,
                })
            })
            .collect()
    }

    /// Every record of parents being told of a stage change, oldest first.
    pub async fn parent_notifications(&self, pupil_id: &str) -> Result<Vec<ParentNotification>> {
        let rows = sqlx::query(
            "SELECT n.id, n.stage_change_id, n.informed_on, n.method, u.name AS recorded_by, n.recorded_at \
             FROM parent_notifications n LEFT JOIN users u ON u.id = n.recorded_by \
             WHERE n.pupil_id = $1 ORDER BY n.recorded_at, n.id",
        )
        .bind(pupil_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ParentNotification {
                    id: r.try_get("id")?,
                    stage_change_id: r.try_get("stage_change_id")?,
                    informed_on: r.try_get("informed_on")?,
                    method: r.try_get("method")?,
                    recorded_by: r.try_get("recorded_by")?,
                    recorded_at: parse_ts(&r.try_get::<String, _>("recorded_at")?)?,
                })
            })
            .collect()
    }
}
