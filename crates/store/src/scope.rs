//! Who is asking, as far as pupil queries need to know ([`Scope`]), and the one SQL
//! predicate that restricts pupils to what they may reach: the access policy's reach for
//! the person ([`senco_domain::policy::pupil_reach`]), used alike for lists, counts and
//! single records, so a list can never show what a direct link refuses.

use senco_domain::policy::{Relation, pupil_reach};
use senco_domain::role::Role;

use crate::Sql;

/// Who is asking, as far as pupil queries need to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// A signed-in user (or API token) with a role.
    User {
        user_id: String,
        role: Role,
        school_id: Option<String>,
        la_id: Option<String>,
    },
    /// Someone at the server's command line (who can read the database file anyway);
    /// audited under their operating-system name.
    Operator,
}

impl Scope {
    /// The relationship through which this scope reaches pupils.
    pub fn relation(&self) -> Option<Relation> {
        match self {
            Scope::User { role, .. } => pupil_reach(*role),
            Scope::Operator => None,
        }
    }

    /// Adds `AND (predicate)` restricting the pupil alias `p` to this scope.
    pub(crate) fn push_predicate(&self, q: &mut Sql) {
        let Scope::User {
            user_id,
            role,
            school_id,
            la_id,
        } = self
        else {
            return;
        };
        let school = school_id.clone().unwrap_or_default();
        match pupil_reach(*role) {
            Some(Relation::OwnSchool) => {
                q.push(" AND p.school_id = ").bind(school);
            }
            Some(Relation::Teaches) => {
                // The teacher's pupils are read first, from the teacher's side (their groups,
                // assignments and provisions), rather than probing each pupil of the school
                // three times (BENCHMARKS.md, issue 9).
                q.push(" AND p.school_id = ").bind(school);
                q.push(" AND p.id IN (SELECT tp.id FROM pupils tp JOIN reg_groups g ON g.id = tp.reg_group_id WHERE g.teacher_user_id = ")
                    .bind(user_id.clone())
                    .push(" UNION SELECT ta.pupil_id FROM teaching_assignments ta WHERE ta.user_id = ")
                    .bind(user_id.clone())
                    // Whoever runs an active provision supports the pupils allocated to it.
                    .push(" UNION SELECT al.pupil_id FROM allocations al JOIN provisions pv ON pv.id = al.provision_id \
                           WHERE pv.active = 1 AND pv.staff_user_id = ")
                    .bind(user_id.clone())
                    .push(")");
            }
            Some(Relation::OwnChild) => {
                q.push(" AND EXISTS (SELECT 1 FROM contacts c WHERE c.pupil_id = p.id AND c.user_id = ")
                    .bind(user_id.clone())
                    .push(" AND c.parental_responsibility = 1 AND c.restricted = 0)");
            }
            Some(Relation::ReferredTo) => {
                q.push(" AND EXISTS (SELECT 1 FROM involvements i WHERE i.pupil_id = p.id AND i.specialist_user_id = ")
                    .bind(user_id.clone())
                    .push(" AND i.status IN ('accepted', 'active') AND i.consent_recorded_on IS NOT NULL)");
            }
            Some(Relation::SharedWithAuthority) => {
                let la = la_id.clone().unwrap_or_default();
                // Driven from the authority's live shares (the partial index `la_shares_live`,
                // migration 0015), not a probe per pupil of the authority.
                q.push(" AND p.id IN (SELECT s.pupil_id FROM la_shares s WHERE s.revoked_at IS NULL AND s.la_id = ")
                    .bind(la.clone())
                    .push(") AND p.school_id IN (SELECT id FROM schools WHERE la_id = ")
                    .bind(la)
                    .push(")");
            }
            Some(Relation::OwnAuthority | Relation::Installation) | None => {
                q.push(" AND 1 = 0");
            }
        }
    }
}
