//! Access that needs a second person (issue 16, point 2; SR-02, SR-06): accounts with SEN
//! access made by someone without it, and parents' sign-ins linked to a child by someone
//! without it, wait here until the school's SENCO or head teacher (or, for an account of
//! no school, another administrator) approves them.

use senco_domain::role::Role;
use sqlx::Row;
use time::OffsetDateTime;

use crate::{Result, Sql, Store, StoreError, Tx, closed, parse_ts, ts};

/// An account waiting for approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAccount {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub school_id: Option<String>,
    pub la_id: Option<String>,
    /// Whose SENCO or head teacher approves; `None`: another administrator.
    pub approval_school_id: Option<String>,
    pub requested_by: Option<String>,
    pub requested_label: String,
    pub requested_at: OffsetDateTime,
}

/// A parent's sign-in waiting to be linked to a child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLink {
    pub contact_id: String,
    pub pupil_id: String,
    pub school_id: String,
    pub contact_name: String,
    pub relationship: String,
    pub user_id: String,
    pub email: String,
    pub requested_by: Option<String>,
    pub requested_label: String,
}

/// Which pending requests to list.
#[derive(Debug, Clone)]
pub enum ApprovalScope {
    /// The school's own (its SENCO or head teacher).
    School(String),
    /// Accounts of no school, and of schools in `orphans` (which have no SENCO or head
    /// teacher to approve): the installation's administrators.
    Installation { orphans: Vec<String> },
}

const LINK_COLUMNS: &str = "c.id, c.pupil_id, c.school_id, c.name, c.relationship, \
     c.pending_user_id, u.email, c.link_requested_by, COALESCE(r.email, '') AS requested_label";

const PENDING_COLUMNS: &str = "u.id, u.email, u.name, u.role, u.school_id, u.la_id, u.approval_school_id, \
     u.requested_by, COALESCE(r.email, '') AS requested_label, u.created_at";

fn pending_from_row(r: &sqlx::any::AnyRow) -> Result<PendingAccount> {
    Ok(PendingAccount {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        role: closed(r, "users", "role", Role::parse)?,
        school_id: r.try_get("school_id")?,
        la_id: r.try_get("la_id")?,
        approval_school_id: r.try_get("approval_school_id")?,
        requested_by: r.try_get("requested_by")?,
        requested_label: r.try_get("requested_label")?,
        requested_at: parse_ts(&r.try_get::<String, _>("created_at")?)?,
    })
}

fn link_from_row(r: &sqlx::any::AnyRow) -> Result<PendingLink> {
    Ok(PendingLink {
        contact_id: r.try_get("id")?,
        pupil_id: r.try_get("pupil_id")?,
        school_id: r.try_get("school_id")?,
        contact_name: r.try_get("name")?,
        relationship: r.try_get("relationship")?,
        user_id: r.try_get("pending_user_id")?,
        email: r.try_get("email")?,
        requested_by: r.try_get("link_requested_by")?,
        requested_label: r.try_get("requested_label")?,
    })
}

impl Store {
    /// Holds a new account until it is approved: disabled, with who asked and whose SENCO
    /// or head teacher approves (`None`: another administrator). `requested_by` is `None`
    /// for the command line's operator, who has no account.
    pub async fn hold_for_approval(
        tx: &mut Tx,
        user_id: &str,
        approval_school_id: Option<&str>,
        requested_by: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE users SET approval = 'pending', approval_school_id = $2, requested_by = $3, \
             disabled_at = $4, updated_at = $4 WHERE id = $1",
        )
        .bind(user_id)
        .bind(approval_school_id)
        .bind(requested_by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Accounts waiting for approval in `scope`, oldest first.
    pub async fn pending_accounts(&self, scope: &ApprovalScope) -> Result<Vec<PendingAccount>> {
        let mut q = Sql::new(format!(
            "SELECT {PENDING_COLUMNS} FROM users u LEFT JOIN users r ON r.id = u.requested_by \
             WHERE u.approval = 'pending' AND "
        ));
        match scope {
            ApprovalScope::School(s) => {
                q.push("u.approval_school_id = ").bind(s.clone());
            }
            ApprovalScope::Installation { orphans } => {
                q.push("(u.approval_school_id IS NULL");
                if !orphans.is_empty() {
                    q.push(" OR u.approval_school_id IN (")
                        .bind_list(orphans)
                        .push(")");
                }
                q.push(")");
            }
        }
        q.push(" ORDER BY u.created_at, u.id");
        let rows = q.build().fetch_all(self.pool()).await?;
        rows.iter().map(pending_from_row).collect()
    }

    /// One account waiting for approval.
    pub async fn pending_account(&self, id: &str) -> Result<PendingAccount> {
        let sql = format!(
            "SELECT {PENDING_COLUMNS} FROM users u LEFT JOIN users r ON r.id = u.requested_by \
             WHERE u.approval = 'pending' AND u.id = $1"
        );
        self.one_by_id(sql, id, pending_from_row).await
    }

    /// Approves (the account is enabled) or refuses (it stays disabled) a pending account.
    /// `Conflict` when it is no longer pending.
    pub async fn decide_account(
        tx: &mut Tx,
        id: &str,
        approve: bool,
        now: OffsetDateTime,
    ) -> Result<()> {
        let sql = if approve {
            "UPDATE users SET approval = NULL, disabled_at = NULL, updated_at = $2 \
             WHERE id = $1 AND approval = 'pending'"
        } else {
            "UPDATE users SET approval = 'refused', updated_at = $2 WHERE id = $1 AND approval = 'pending'"
        };
        let done = sqlx::query(sql)
            .bind(id)
            .bind(ts(now))
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    /// Schools among `schools` with no active SENCO or head teacher to approve accounts.
    pub async fn schools_without_approvers(&self, schools: &[String]) -> Result<Vec<String>> {
        if schools.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new("SELECT s.id FROM schools s WHERE s.id IN (");
        q.bind_list(schools).push(
            ") AND NOT EXISTS (SELECT 1 FROM users u WHERE u.school_id = s.id \
             AND u.role IN ('senco', 'head') AND u.disabled_at IS NULL)",
        );
        let rows = q.build().fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("id")?))
            .collect()
    }

    /// Records a parent's sign-in to be linked to a contact once approved.
    pub async fn request_parent_link(
        tx: &mut Tx,
        contact_id: &str,
        user_id: &str,
        requested_by: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE contacts SET pending_user_id = $2, link_requested_by = $3 WHERE id = $1",
        )
        .bind(contact_id)
        .bind(user_id)
        .bind(requested_by)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Parents' sign-ins waiting to be linked to children of `school_id`.
    pub async fn pending_links(&self, school_id: &str) -> Result<Vec<PendingLink>> {
        let sql = format!(
            "SELECT {LINK_COLUMNS} FROM contacts c JOIN users u ON u.id = c.pending_user_id \
             LEFT JOIN users r ON r.id = c.link_requested_by \
             WHERE c.school_id = $1 AND c.pending_user_id IS NOT NULL ORDER BY c.created_at, c.id"
        );
        self.all_by_id(sql, school_id, link_from_row).await
    }

    /// One pending link of `school_id`.
    pub async fn pending_link(&self, contact_id: &str, school_id: &str) -> Result<PendingLink> {
        let sql = format!(
            "SELECT {LINK_COLUMNS} FROM contacts c JOIN users u ON u.id = c.pending_user_id \
             LEFT JOIN users r ON r.id = c.link_requested_by \
             WHERE c.id = $1 AND c.school_id = $2 AND c.pending_user_id IS NOT NULL"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(contact_id)
            .bind(school_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        link_from_row(&row)
    }

    /// Links (approve) or drops (refuse) a pending parent's sign-in. `Conflict` when it is
    /// no longer pending for that account.
    pub async fn decide_link(
        tx: &mut Tx,
        contact_id: &str,
        user_id: &str,
        approve: bool,
        now: OffsetDateTime,
    ) -> Result<()> {
        let sql = if approve {
            "UPDATE contacts SET user_id = pending_user_id, pending_user_id = NULL, \
             link_requested_by = NULL, updated_at = $3 WHERE id = $1 AND pending_user_id = $2"
        } else {
            "UPDATE contacts SET pending_user_id = NULL, link_requested_by = NULL, updated_at = $3 \
             WHERE id = $1 AND pending_user_id = $2"
        };
        let done = sqlx::query(sql)
            .bind(contact_id)
            .bind(user_id)
            .bind(ts(now))
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    /// Whether the account has a passphrase yet (one invited has none until it chooses).
    pub async fn has_passphrase(&self, user_id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(row.try_get::<Option<String>, _>("password_hash")?.is_some())
    }

    /// How many requests wait for `school_id`'s SENCO or head teacher.
    pub async fn pending_approvals_for_school(&self, school_id: &str) -> Result<i64> {
        let accounts: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM users WHERE approval = 'pending' AND approval_school_id = $1",
        )
        .bind(school_id)
        .fetch_one(self.pool())
        .await?
        .try_get("n")?;
        let links: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM contacts WHERE school_id = $1 AND pending_user_id IS NOT NULL",
        )
        .bind(school_id)
        .fetch_one(self.pool())
        .await?
        .try_get("n")?;
        Ok(accounts + links)
    }
}
