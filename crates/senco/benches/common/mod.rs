//! What the import benchmarks share: a fresh SQLite database with one school, at the test
//! clock's time, and the audit event of the command line that imports into it.

use senco_domain::school::{Country, Phase};
use senco_store::Store;
use senco_store::audit::AuditEvent;
use senco_store::schools::{NewSchool, School};
use time::OffsetDateTime;

/// A fresh database in its own folder, holding one English secondary school.
pub struct Bench {
    pub dir: std::path::PathBuf,
    pub store: Store,
    pub school: School,
    pub now: OffsetDateTime,
    pub today: time::Date,
    /// The command line's audit event for pupils it creates.
    pub audit: AuditEvent,
}

impl Bench {
    /// Sets it up in a new folder named after `name` under the temporary directory.
    pub async fn new(name: &str) -> anyhow::Result<Bench> {
        let dir = std::env::temp_dir().join(format!("senco-bench-{name}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir)?;
        let store = Store::connect(&format!("sqlite://{}/senco.db", dir.display())).await?;
        let now = time::macros::datetime!(2026-11-23 10:00 UTC);
        let today = time::macros::date!(2026 - 11 - 23);
        store.migrate(now).await?;
        let mut tx = store.begin().await?;
        let la = Store::insert_authority(&mut tx, "801", "Bench", Country::England, now).await?;
        let school_id = Store::insert_school(
            &mut tx,
            &NewSchool {
                la_id: &la,
                urn: "199999",
                estab_number: "4000",
                name: "Bench Secondary",
                phase: Phase::Secondary,
                country: Country::England,
                maintained: true,
            },
            now,
        )
        .await?;
        senco_store::commit(tx).await?;
        let school = store.school(&school_id).await?;
        let audit = AuditEvent {
            at: now,
            request_id: None,
            channel: "cli",
            actor_user_id: None,
            actor_label: "os:bench".into(),
            actor_role: None,
            school_id: None,
            pupil_id: None,
            record_type: "pupil",
            record_id: None,
            action: "create",
            outcome: "allowed",
            fields: None,
        };
        Ok(Bench {
            dir,
            store,
            school,
            now,
            today,
            audit,
        })
    }

    /// Closes the database and removes its folder.
    pub async fn finish(self) {
        self.store.close().await;
        let _ = std::fs::remove_dir_all(self.dir);
    }
}
