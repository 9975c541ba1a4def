//! Forward-only schema migrations, embedded in the binary, one folder per backend.
//!
//! Each migration runs in its own transaction together with the row that records it, so a
//! crash part-way leaves the previous version intact (PostgreSQL and SQLite both have
//! transactional DDL; `tests/it/crash.rs` kills `senco migrate` part-way to show it, SR-37).
//! A database whose schema is newer than this build knows is refused, and so is one that
//! records a migration this build does not have (another branch's, or a gap in the numbers).

use sqlx::Row;

use crate::{Backend, Result, Store, StoreError, ts};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "graduated_response",
        sqlite: include_str!("../migrations/sqlite/0002_graduated_response.sql"),
        postgres: include_str!("../migrations/postgres/0002_graduated_response.sql"),
    },
    Migration {
        version: 3,
        name: "plans",
        sqlite: include_str!("../migrations/sqlite/0003_plans.sql"),
        postgres: include_str!("../migrations/postgres/0003_plans.sql"),
    },
    Migration {
        version: 4,
        name: "audit_chain",
        sqlite: include_str!("../migrations/sqlite/0004_audit_chain.sql"),
        postgres: include_str!("../migrations/postgres/0004_audit_chain.sql"),
    },
    Migration {
        version: 5,
        name: "two_factor",
        sqlite: include_str!("../migrations/sqlite/0005_two_factor.sql"),
        postgres: include_str!("../migrations/postgres/0005_two_factor.sql"),
    },
    Migration {
        version: 6,
        name: "password_resets",
        sqlite: include_str!("../migrations/sqlite/0006_password_resets.sql"),
        postgres: include_str!("../migrations/postgres/0006_password_resets.sql"),
    },
    Migration {
        version: 7,
        name: "provision",
        sqlite: include_str!("../migrations/sqlite/0007_provision.sql"),
        postgres: include_str!("../migrations/postgres/0007_provision.sql"),
    },
    Migration {
        version: 8,
        name: "specialists",
        sqlite: include_str!("../migrations/sqlite/0008_specialists.sql"),
        postgres: include_str!("../migrations/postgres/0008_specialists.sql"),
    },
    Migration {
        version: 9,
        name: "form_drafts",
        sqlite: include_str!("../migrations/sqlite/0009_form_drafts.sql"),
        postgres: include_str!("../migrations/postgres/0009_form_drafts.sql"),
    },
    Migration {
        version: 10,
        name: "tenancy",
        sqlite: include_str!("../migrations/sqlite/0010_tenancy.sql"),
        postgres: include_str!("../migrations/postgres/0010_tenancy.sql"),
    },
    Migration {
        version: 11,
        name: "pupil_imports",
        sqlite: include_str!("../migrations/sqlite/0011_pupil_imports.sql"),
        postgres: include_str!("../migrations/postgres/0011_pupil_imports.sql"),
    },
    Migration {
        version: 12,
        name: "restore_drills",
        sqlite: include_str!("../migrations/sqlite/0012_restore_drills.sql"),
        postgres: include_str!("../migrations/postgres/0012_restore_drills.sql"),
    },
    Migration {
        version: 13,
        name: "retention",
        sqlite: include_str!("../migrations/sqlite/0013_retention.sql"),
        postgres: include_str!("../migrations/postgres/0013_retention.sql"),
    },
    Migration {
        version: 14,
        name: "load_indexes",
        sqlite: include_str!("../migrations/sqlite/0014_load_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0014_load_indexes.sql"),
    },
    Migration {
        version: 15,
        name: "scope_indexes",
        sqlite: include_str!("../migrations/sqlite/0015_scope_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0015_scope_indexes.sql"),
    },
    Migration {
        version: 16,
        name: "transfer_requests",
        sqlite: include_str!("../migrations/sqlite/0016_transfer_requests.sql"),
        postgres: include_str!("../migrations/postgres/0016_transfer_requests.sql"),
    },
    Migration {
        version: 17,
        name: "access_approvals",
        sqlite: include_str!("../migrations/sqlite/0017_access_approvals.sql"),
        postgres: include_str!("../migrations/postgres/0017_access_approvals.sql"),
    },
    Migration {
        version: 18,
        name: "audit_anchor",
        sqlite: include_str!("../migrations/sqlite/0018_audit_anchor.sql"),
        postgres: include_str!("../migrations/postgres/0018_audit_anchor.sql"),
    },
    Migration {
        version: 19,
        name: "stage_reason_code",
        sqlite: include_str!("../migrations/sqlite/0019_stage_reason_code.sql"),
        postgres: include_str!("../migrations/postgres/0019_stage_reason_code.sql"),
    },
    Migration {
        version: 20,
        name: "school_register",
        sqlite: include_str!("../migrations/sqlite/0020_school_register.sql"),
        postgres: include_str!("../migrations/postgres/0020_school_register.sql"),
    },
    Migration {
        version: 21,
        name: "leaving_destination",
        sqlite: include_str!("../migrations/sqlite/0021_leaving_destination.sql"),
        postgres: include_str!("../migrations/postgres/0021_leaving_destination.sql"),
    },
    Migration {
        version: 22,
        name: "calendars",
        sqlite: include_str!("../migrations/sqlite/0022_calendars.sql"),
        postgres: include_str!("../migrations/postgres/0022_calendars.sql"),
    },
    Migration {
        version: 23,
        name: "process_note_code",
        sqlite: include_str!("../migrations/sqlite/0023_process_note_code.sql"),
        postgres: include_str!("../migrations/postgres/0023_process_note_code.sql"),
    },
];

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

/// What [`Store::migrate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    pub applied: Vec<(i64, &'static str)>,
    pub version: i64,
}

fn checksum(sql: &str) -> String {
    // FNV-1a: enough to notice an edited migration, no dependency needed.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in sql.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl Store {
    /// The schema version recorded in the database (0 for a new database).
    pub async fn schema_version(&self) -> Result<i64> {
        self.ensure_migrations_table().await?;
        let row = sqlx::query("SELECT MAX(version) AS v FROM senco_migrations")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get::<Option<i64>, _>("v")?.unwrap_or(0))
    }

    async fn ensure_migrations_table(&self) -> Result<()> {
        // A server connecting as a role that owns nothing (SR-08) may not create tables, so
        // only create the table when it is missing.
        let exists = match self.backend() {
            Backend::Sqlite => {
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'senco_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'senco_migrations'"
            }
        };
        let n: i64 = sqlx::query(exists)
            .fetch_one(self.pool())
            .await?
            .try_get("n")?;
        if n > 0 {
            return Ok(());
        }
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS senco_migrations (\
               version BIGINT PRIMARY KEY, name TEXT NOT NULL, \
               checksum TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Brings the schema up to date.
    pub async fn migrate(&self, now: time::OffsetDateTime) -> Result<MigrationReport> {
        self.migrate_to(latest_version(), now).await
    }

    /// Brings the schema up to `target` and no further. Only tests call it with anything but
    /// [`latest_version`], to build a database as an older Senco left it (SR-37).
    pub async fn migrate_to(
        &self,
        target: i64,
        now: time::OffsetDateTime,
    ) -> Result<MigrationReport> {
        let current = self.schema_version().await?;
        let known = latest_version();
        if current > known || target > known {
            return Err(StoreError::SchemaTooNew {
                found: current.max(target),
                known,
            });
        }
        self.check_recorded().await?;
        let mut applied = Vec::new();
        for m in MIGRATIONS
            .iter()
            .filter(|m| m.version > current && m.version <= target)
        {
            let sql = match self.backend() {
                Backend::Sqlite => m.sqlite,
                Backend::Postgres => m.postgres,
            };
            let mut tx = self.begin().await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO senco_migrations (version, name, checksum, applied_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(m.version)
            .bind(m.name)
            .bind(checksum(sql))
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            applied.push((m.version, m.name));
        }
        Ok(MigrationReport {
            applied,
            version: target.max(current),
        })
    }

    /// Refuses a database that records a migration this build does not have: a version
    /// missing from the sequence, or one whose name is not this build's migration of that
    /// number (a database another branch of Senco migrated).
    async fn check_recorded(&self) -> Result<()> {
        let rows = sqlx::query("SELECT version, name FROM senco_migrations ORDER BY version")
            .fetch_all(self.pool())
            .await?;
        for (i, row) in rows.iter().enumerate() {
            let version: i64 = row.try_get("version")?;
            let name: String = row.try_get("name")?;
            // The i-th recorded migration must be this build's i-th (numbers may skip, as
            // 12 and 13 do while other branches hold them); past this build's last, the next
            // number.
            let expected = MIGRATIONS
                .get(i)
                .map(|m| m.version)
                .unwrap_or_else(|| latest_version() + (i - MIGRATIONS.len()) as i64 + 1);
            if version != expected {
                return Err(StoreError::MissingMigration(expected));
            }
            match MIGRATIONS.iter().find(|m| m.version == version) {
                Some(m) if m.name != name => {
                    return Err(StoreError::UnknownMigration { version, name });
                }
                // Known, or newer than this build (which the callers report as too new).
                _ => {}
            }
        }
        Ok(())
    }

    /// Refuses to serve a database whose schema is behind or ahead of this build.
    pub async fn require_current_schema(&self) -> Result<()> {
        let found = self.schema_version().await?;
        let known = latest_version();
        if found > known {
            return Err(StoreError::SchemaTooNew { found, known });
        }
        self.check_recorded().await?;
        if found < known {
            return Err(StoreError::Malformed(format!(
                "the database schema is at version {found}; run `senco migrate` to reach {known}"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_without_gaps() {
        let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        let expected: Vec<i64> = (1..=latest_version()).collect();
        assert_eq!(versions, expected);
    }

    #[test]
    fn checksums_differ_for_different_sql() {
        assert_ne!(checksum("a"), checksum("b"));
    }
}
