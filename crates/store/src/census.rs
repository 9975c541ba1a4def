//! What a census return reads: the pupils on roll at a school on the census date, with
//! their stage history and needs, in three queries however many pupils there are.

use std::collections::HashMap;

use senco_domain::Date;
use sqlx::Row;

use crate::pupils::{PUPIL_COLUMNS, Pupil, pupil_from_row};
use crate::scope::Scope;
use crate::sen::{CHANGE_COLUMNS, Need, StageChange, change_from_row, opt_date};
use crate::{Result, Sql, Store, ds, parse_ds, parse_ts};

/// The facts behind a census return.
#[derive(Debug, Clone, Default)]
pub struct CensusFacts {
    /// On roll on the date, by surname then forename.
    pub pupils: Vec<Pupil>,
    /// Each pupil's stage history in recording order.
    pub changes: HashMap<String, Vec<StageChange>>,
    /// Each pupil's needs, ended ones included.
    pub needs: HashMap<String, Vec<Need>>,
}

impl Store {
    /// The pupils of `school_id` in `scope` with an enrolment there covering `on`, and their
    /// stage histories and needs.
    pub async fn census_facts(
        &self,
        scope: &Scope,
        school_id: &str,
        on: Date,
    ) -> Result<CensusFacts> {
        let mut q = Sql::new(format!(
            "SELECT {PUPIL_COLUMNS} FROM pupils p LEFT JOIN reg_groups g ON g.id = p.reg_group_id WHERE p.school_id = "
        ));
        q.bind(school_id.to_string())
            .push(" AND EXISTS (SELECT 1 FROM enrolments e WHERE e.pupil_id = p.id AND e.school_id = p.school_id AND e.starts_on <= ")
            .bind(ds(on))
            .push(" AND (e.ends_on IS NULL OR e.ends_on >= ")
            .bind(ds(on))
            .push("))");
        scope.push_predicate(&mut q);
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

    /// `pupils` (all of `school_id`) with their stage histories and needs, in two queries
    /// over the school.
    pub(crate) async fn with_histories(
        &self,
        school_id: &str,
        pupils: Vec<Pupil>,
    ) -> Result<CensusFacts> {
        let wanted: std::collections::HashSet<String> =
            pupils.iter().map(|p| p.id.clone()).collect();

        let sql = format!(
            "SELECT {CHANGE_COLUMNS} FROM stage_changes c WHERE c.school_id = $1 ORDER BY c.pupil_id, c.seq"
        );
        let mut changes: HashMap<String, Vec<StageChange>> = HashMap::new();
        for r in sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(school_id)
            .fetch_all(self.pool())
            .await?
        {
            let c = change_from_row(&r)?;
            if wanted.contains(&c.pupil_id) {
                changes.entry(c.pupil_id.clone()).or_default().push(c);
            }
        }
        let mut needs: HashMap<String, Vec<Need>> = HashMap::new();
        for r in sqlx::query(
            "SELECT id, pupil_id, code, rank, starts_on, ends_on, recorded_at FROM needs \
             WHERE school_id = $1 ORDER BY pupil_id, rank, starts_on",
        )
        .bind(school_id)
        .fetch_all(self.pool())
        .await?
        {
            let pupil_id: String = r.try_get("pupil_id")?;
            if !wanted.contains(&pupil_id) {
                continue;
            }
            needs.entry(pupil_id).or_default().push(Need {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                rank: r.try_get("rank")?,
                starts_on: parse_ds(&r.try_get::<String, _>("starts_on")?)?,
                ends_on: opt_date(&r, "ends_on")?,
                recorded_at: parse_ts(&r.try_get::<String, _>("recorded_at")?)?,
            });
        }
        Ok(CensusFacts {
            pupils,
            changes,
            needs,
        })
    }
}
