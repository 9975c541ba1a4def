//! A school's frameworks by date (issue 19, point 2): the facts a change of framework is
//! checked against and previewed with. The rows of `school_frameworks` are only ever added
//! (`Store::insert_school_framework`); a period's end is the day before the next starts.
//!
//! The counts read pupil tables across the school for an administrator, who reaches no
//! pupil: they run as the installation (`tenancy::within`) and return numbers, never
//! records.

use senco_domain::Date;
use senco_domain::framework::Stage;
use senco_domain::school::FrameworkKey;
use sqlx::Row;

use crate::tenancy::{Tenant, within};
use crate::{Result, Store, Tx, closed, ds, parse_ds};

/// How many pupils on roll are at one stage of one framework now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageCount {
    pub framework: FrameworkKey,
    pub stage: Stage,
    pub pupils: i64,
}

impl Store {
    /// The pupils on roll at the school on `today` who are on the SEN register, counted by
    /// the framework and stage in force for them. Numbers only.
    pub async fn register_stage_counts(
        &self,
        school_id: &str,
        today: Date,
    ) -> Result<Vec<StageCount>> {
        let query = sqlx::query(
            "SELECT cs.framework, cs.stage, COUNT(*) AS pupils FROM current_stages cs \
             JOIN pupils p ON p.id = cs.pupil_id \
             WHERE p.school_id = $1 AND cs.stage <> 'no_sen' AND EXISTS (\
               SELECT 1 FROM enrolments e WHERE e.pupil_id = p.id AND e.school_id = p.school_id \
               AND e.starts_on <= $2 AND (e.ends_on IS NULL OR e.ends_on >= $2)) \
             GROUP BY cs.framework, cs.stage ORDER BY cs.framework, cs.stage",
        )
        .bind(school_id)
        .bind(ds(today))
        .fetch_all(self.pool());
        let rows = within(Tenant::Installation, query).await?;
        rows.iter()
            .map(|r| {
                Ok(StageCount {
                    framework: closed(r, "current_stages", "framework", FrameworkKey::parse)?,
                    stage: closed(r, "current_stages", "stage", Stage::parse)?,
                    pupils: r.try_get("pupils")?,
                })
            })
            .collect()
    }

    /// The effective date of the latest stage change recorded at the school (imported
    /// history from other schools aside), as `tx` sees it. `tx` must have been begun as the
    /// installation.
    pub async fn last_stage_change_on(tx: &mut Tx, school_id: &str) -> Result<Option<Date>> {
        let row = sqlx::query(
            "SELECT MAX(effective_on) AS last FROM stage_changes \
             WHERE school_id = $1 AND imported = 0",
        )
        .bind(school_id)
        .fetch_one(&mut **tx)
        .await?;
        let last: Option<String> = row.try_get("last")?;
        last.as_deref().map(parse_ds).transpose()
    }

    /// The school's frameworks with the day each started, oldest first, as `tx` sees them.
    pub async fn school_framework_starts_in(
        tx: &mut Tx,
        school_id: &str,
    ) -> Result<Vec<(FrameworkKey, Date)>> {
        let rows = sqlx::query(
            "SELECT framework, started_on FROM school_frameworks WHERE school_id = $1 \
             ORDER BY started_on",
        )
        .bind(school_id)
        .fetch_all(&mut **tx)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    closed(r, "school_frameworks", "framework", FrameworkKey::parse)?,
                    parse_ds(&r.try_get::<String, _>("started_on")?)?,
                ))
            })
            .collect()
    }
}
