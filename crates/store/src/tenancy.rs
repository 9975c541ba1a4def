//! Which schools the database lets the current task touch (SR-08).
//!
//! On PostgreSQL every pupil-data table has row-level security keyed on the setting
//! `senco.schools` (migration 0010). The pool writes that setting on each connection as it
//! is handed out, from the [`Tenant`] of the task that asked for it:
//!
//! - a web request runs inside [`within`] with the schools its principal may reach, or
//!   [`Tenant::Nothing`] before anyone has signed in;
//! - Senco's own trusted work (the command line, migrations, background jobs, the tests'
//!   seeding), which runs outside any request, gets [`Tenant::Installation`].
//!
//! The database itself fails closed: a connection on which Senco set nothing (another
//! tool, connecting as the application role) sees and writes no pupil rows. On SQLite the
//! setting does not exist; the scoped queries and the schema meta-test carry tenancy there.

use std::future::Future;

use senco_domain::policy::{Relation, pupil_reach};
use sqlx::{AnyConnection, Row};

use crate::scope::Scope;
use crate::{Result, Store};

tokio::task_local! {
    static CURRENT: Tenant;
}

/// The schools a piece of work may touch in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tenant {
    /// No school: before sign-in, or a principal with no pupils anywhere.
    Nothing,
    /// These schools only.
    Schools(Vec<String>),
    /// Every school: Senco's own trusted work outside any request.
    Installation,
}

impl Tenant {
    /// The value of `senco.schools` for this tenant. School ids are UUIDs, so a comma never
    /// appears inside one; anything else is dropped rather than widening the list.
    pub fn setting(&self) -> String {
        match self {
            Tenant::Nothing => String::new(),
            Tenant::Installation => "*".to_string(),
            Tenant::Schools(ids) => ids
                .iter()
                .filter(|id| {
                    !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                })
                .cloned()
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

/// Runs `fut` with the database restricted to `tenant`.
pub async fn within<F: Future>(tenant: Tenant, fut: F) -> F::Output {
    CURRENT.scope(tenant, fut).await
}

/// The tenant of the current task ([`Tenant::Installation`] outside any [`within`]).
pub fn current() -> Tenant {
    CURRENT
        .try_with(Clone::clone)
        .unwrap_or(Tenant::Installation)
}

/// Writes the current task's tenant onto a PostgreSQL connection leaving the pool.
pub(crate) async fn apply(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT set_config('senco.schools', $1, false)")
        .bind(current().setting())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Store {
    /// PostgreSQL: lets `role` use every table (the server's role, which must own nothing so
    /// that row-level security holds for it). Refuses anything but a plain role name.
    pub async fn grant_to(&self, role: &str) -> Result<()> {
        if self.backend() != crate::Backend::Postgres {
            return Err(crate::StoreError::Malformed(
                "--grant-to is for PostgreSQL; SQLite has no roles".into(),
            ));
        }
        let plain = !role.is_empty()
            && role.len() <= 63
            && role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && role
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !plain {
            return Err(crate::StoreError::Malformed(format!(
                "not a plain role name (lower-case letters, digits and _): {role:?}"
            )));
        }
        // SQL-SAFE: `role` is checked to be a plain lower-case identifier just above (a role
        // name cannot be a bound parameter).
        let sql = format!(
            "GRANT USAGE ON SCHEMA public TO {role}; \
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}; \
             GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}; \
             REVOKE INSERT, UPDATE, DELETE ON audit_prune_permit FROM {role};"
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The schools `scope` may touch: its own school for school staff, its children's
    /// schools for a parent, the schools that referred pupils to a specialist, the
    /// authority's schools for its officers, none for installation administrators (who never
    /// see pupils). The lookup itself reads across schools, so it runs as the installation.
    pub async fn tenant_of(&self, scope: &Scope) -> Result<Tenant> {
        let Scope::User {
            user_id,
            role,
            school_id,
            la_id,
        } = scope
        else {
            return Ok(Tenant::Installation);
        };
        let (sql, key) = match pupil_reach(*role) {
            Some(Relation::OwnSchool | Relation::Teaches) => {
                return Ok(school_id
                    .clone()
                    .map_or(Tenant::Nothing, |s| Tenant::Schools(vec![s])));
            }
            Some(Relation::OwnChild) => (
                "SELECT DISTINCT school_id AS id FROM contacts WHERE user_id = $1",
                user_id,
            ),
            Some(Relation::ReferredTo) => (
                "SELECT school_id AS id FROM involvements WHERE specialist_user_id = $1 \
                 UNION SELECT school_id AS id FROM agency_people WHERE user_id = $1",
                user_id,
            ),
            Some(Relation::SharedWithAuthority) => match la_id {
                Some(la) => ("SELECT id FROM schools WHERE la_id = $1", la),
                None => return Ok(Tenant::Nothing),
            },
            Some(Relation::OwnAuthority | Relation::Installation) | None => {
                return Ok(Tenant::Nothing);
            }
        };
        let rows = within(Tenant::Installation, async {
            sqlx::query(sql).bind(key).fetch_all(self.pool()).await
        })
        .await?;
        let ids = rows
            .iter()
            .map(|r| r.try_get::<String, _>("id"))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(if ids.is_empty() {
            Tenant::Nothing
        } else {
            Tenant::Schools(ids)
        })
    }
}

/// Inside a transaction, lets the next statements see every school until [`narrow`] puts the
/// tenant back: for the few deliberate cross-school checks (is a UPN taken anywhere?), which
/// answer yes or no and return no record. Returns what to put back. A no-op on SQLite.
pub(crate) async fn widen(conn: &mut AnyConnection) -> Result<Option<String>> {
    if conn.backend_name() != "PostgreSQL" {
        return Ok(None);
    }
    let row = sqlx::query("SELECT coalesce(current_setting('senco.schools', true), '') AS v")
        .fetch_one(&mut *conn)
        .await?;
    let prior: String = row.try_get("v")?;
    sqlx::query("SELECT set_config('senco.schools', '*', false)")
        .execute(&mut *conn)
        .await?;
    Ok(Some(prior))
}

/// Puts back the tenant [`widen`] replaced.
pub(crate) async fn narrow(conn: &mut AnyConnection, prior: Option<String>) -> Result<()> {
    if let Some(prior) = prior {
        sqlx::query("SELECT set_config('senco.schools', $1, false)")
            .bind(prior)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_lists_only_well_formed_ids() {
        assert_eq!(Tenant::Nothing.setting(), "");
        assert_eq!(Tenant::Installation.setting(), "*");
        let t = Tenant::Schools(vec![
            "0190a1b2-0000-7000-8000-000000000001".into(),
            "x,*".into(),
            String::new(),
            "0190a1b2-0000-7000-8000-000000000002".into(),
        ]);
        assert_eq!(
            t.setting(),
            "0190a1b2-0000-7000-8000-000000000001,0190a1b2-0000-7000-8000-000000000002"
        );
        // An empty list is Nothing, never everything.
        assert_eq!(Tenant::Schools(vec![]).setting(), "");
        assert_eq!(Tenant::Schools(vec!["*".into()]).setting(), "");
    }

    #[tokio::test]
    async fn the_tenant_follows_the_task() {
        assert_eq!(current(), Tenant::Installation);
        let inner = within(Tenant::Nothing, async { current() }).await;
        assert_eq!(inner, Tenant::Nothing);
        assert_eq!(current(), Tenant::Installation);
    }
}
