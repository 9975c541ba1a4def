//! Every table that holds rows about a pupil, in one list ([`PUPIL_TABLES`]), with how its
//! rows are tied to the pupil and what a transfer to another school and the destruction of
//! the pupil's records do with them. Transfers (which move [`PUPIL_RECORD_TABLES`]),
//! retention ([`DESTROYED_TABLES`], [`ID_ONLY_LOGS`]), the portable record and the bulk
//! loader all read it, so a new table is added once, here; a test fails when a migration
//! adds a table with a `pupil_id` column that is not listed.

/// How a table's rows are tied to a pupil.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyed {
    /// The table of pupils itself: by its `id`.
    Id,
    /// By a `pupil_id` column.
    PupilId,
}

/// What a transfer to another school does with a table's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnTransfer {
    /// They move with the pupil: their `school_id` becomes the new school's.
    Moves,
    /// They stay as they are (the history of schools, requests and logs; the pupil's own
    /// row is updated on its own).
    Stays,
    /// They end: teaching links, and the old school's retention review.
    Ends,
}

/// What destroying a pupil's records does with a table's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDestruction {
    /// They are deleted.
    Deleted,
    /// They keep the pupil's id, never content (SR-26, SR-30).
    KeepsIds,
}

/// One table holding rows about a pupil.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PupilTable {
    pub name: &'static str,
    pub keyed: Keyed,
    pub on_transfer: OnTransfer,
    pub on_destruction: OnDestruction,
}

const fn table(
    name: &'static str,
    on_transfer: OnTransfer,
    on_destruction: OnDestruction,
) -> PupilTable {
    PupilTable {
        name,
        keyed: Keyed::PupilId,
        on_transfer,
        on_destruction,
    }
}

const fn record(name: &'static str) -> PupilTable {
    table(name, OnTransfer::Moves, OnDestruction::Deleted)
}

/// Every table holding rows about a pupil, in an order that satisfies the foreign keys
/// when deleting (children first); `pupils` comes after every table that refers to it.
pub const PUPIL_TABLES: &[PupilTable] = &[
    table(
        "transfer_requests",
        OnTransfer::Stays,
        OnDestruction::Deleted,
    ),
    record("target_outcomes"),
    record("involvement_notes"),
    record("involvement_reports"),
    record("delivery_sessions"),
    record("allocations"),
    record("parent_contributions"),
    record("reviews"),
    record("plan_versions"),
    record("plan_provision"),
    record("plan_targets"),
    record("plans"),
    record("parent_notifications"),
    record("current_stages"),
    record("concerns"),
    record("stage_changes"),
    record("needs"),
    record("processes"),
    record("la_shares"),
    record("involvements"),
    record("contacts"),
    table(
        "teaching_assignments",
        OnTransfer::Ends,
        OnDestruction::Deleted,
    ),
    table("enrolments", OnTransfer::Stays, OnDestruction::Deleted),
    record("pupil_versions"),
    table(
        "retention_reviews",
        OnTransfer::Ends,
        OnDestruction::Deleted,
    ),
    PupilTable {
        name: "pupils",
        keyed: Keyed::Id,
        on_transfer: OnTransfer::Stays,
        on_destruction: OnDestruction::Deleted,
    },
    table("audit_log", OnTransfer::Stays, OnDestruction::KeepsIds),
    table(
        "destruction_log",
        OnTransfer::Stays,
        OnDestruction::KeepsIds,
    ),
];

/// What a list derived from [`PUPIL_TABLES`] takes.
#[derive(Clone, Copy)]
enum Select {
    /// Rows that move with the pupil on a transfer.
    Moves,
    /// Rows that a transfer deletes.
    Ends,
    /// Rows keyed by `pupil_id` that destruction deletes (every table but `pupils`).
    Destroyed,
    /// Rows that keep the pupil's id after destruction.
    KeepsIds,
}

const fn selected(t: &PupilTable, s: Select) -> bool {
    match s {
        Select::Moves => matches!(t.on_transfer, OnTransfer::Moves),
        Select::Ends => matches!(t.on_transfer, OnTransfer::Ends),
        Select::Destroyed => {
            matches!(t.keyed, Keyed::PupilId) && matches!(t.on_destruction, OnDestruction::Deleted)
        }
        Select::KeepsIds => matches!(t.on_destruction, OnDestruction::KeepsIds),
    }
}

const fn count(s: Select) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < PUPIL_TABLES.len() {
        if selected(&PUPIL_TABLES[i], s) {
            n += 1;
        }
        i += 1;
    }
    n
}

const fn names<const N: usize>(s: Select) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut i, mut n) = (0, 0);
    while i < PUPIL_TABLES.len() {
        if selected(&PUPIL_TABLES[i], s) {
            out[n] = PUPIL_TABLES[i].name;
            n += 1;
        }
        i += 1;
    }
    out
}

const MOVES: usize = count(Select::Moves);
const ENDS: usize = count(Select::Ends);
const DESTROYED: usize = count(Select::Destroyed);
const KEEPS_IDS: usize = count(Select::KeepsIds);

/// Every table holding a pupil's record by `pupil_id` and `school_id`, whose rows move with
/// the pupil on a transfer. Enrolments (the history of schools) and the audit log stay as
/// they are; teaching assignments end.
pub const PUPIL_RECORD_TABLES: &[&str] = &names::<MOVES>(Select::Moves);

/// The tables whose rows of a pupil a transfer deletes: the old school's teaching links
/// and retention review.
pub const ENDED_ON_TRANSFER: &[&str] = &names::<ENDS>(Select::Ends);

/// Every table a pupil's destruction empties of their rows, in an order that satisfies the
/// foreign keys (children first); `pupils` itself goes last.
pub const DESTROYED_TABLES: &[&str] = &names::<DESTROYED>(Select::Destroyed);

/// Tables that keep a pupil's id after destruction: ids only, never content (SR-26, SR-30).
pub const ID_ONLY_LOGS: &[&str] = &names::<KEEPS_IDS>(Select::KeepsIds);

/// Whether `table` holds rows about a pupil.
pub fn is_pupil_table(table: &str) -> bool {
    PUPIL_TABLES.iter().any(|t| t.name == table)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables that a migration creates or rebuilds with a `pupil_id` column, from the
    /// SQL text of both engines' migrations.
    fn tables_with_pupil_id(sql: &str) -> Vec<String> {
        let mut out = Vec::new();
        let lower = sql.to_lowercase();
        for part in lower.split("create table").skip(1) {
            let name: String = part
                .trim_start()
                .trim_start_matches("if not exists")
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // The body up to the end of the statement.
            let body = part.split(");").next().unwrap_or(part);
            let has = body
                .lines()
                .any(|l| l.trim_start().starts_with("pupil_id "));
            if has {
                out.push(name.trim_end_matches("_new").to_string());
            }
        }
        out
    }

    #[test]
    fn every_table_with_a_pupil_id_column_is_registered() {
        for dir in ["migrations/sqlite", "migrations/postgres"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            let mut found = 0;
            for entry in std::fs::read_dir(&path).unwrap() {
                let file = entry.unwrap().path();
                let sql = std::fs::read_to_string(&file).unwrap();
                for t in tables_with_pupil_id(&sql) {
                    found += 1;
                    assert!(
                        is_pupil_table(&t),
                        "{t} ({}) has a pupil_id column: add it to PUPIL_TABLES",
                        file.display()
                    );
                }
            }
            assert!(found >= 25, "{dir}: {found}");
        }
    }

    #[test]
    fn the_derived_lists_are_what_retention_and_transfers_need() {
        assert_eq!(PUPIL_TABLES.len(), 28);
        assert_eq!(DESTROYED_TABLES.len(), 25);
        assert_eq!(DESTROYED_TABLES[0], "transfer_requests");
        assert!(!DESTROYED_TABLES.contains(&"pupils"));
        assert_eq!(ID_ONLY_LOGS, ["audit_log", "destruction_log"]);
        assert_eq!(PUPIL_RECORD_TABLES.len(), 21);
        for t in PUPIL_RECORD_TABLES {
            assert!(DESTROYED_TABLES.contains(t), "{t}");
        }
        for t in ["enrolments", "teaching_assignments", "retention_reviews"] {
            assert!(!PUPIL_RECORD_TABLES.contains(&t), "{t}");
        }
        assert_eq!(
            ENDED_ON_TRANSFER,
            ["teaching_assignments", "retention_reviews"]
        );
        let mut names: Vec<&str> = PUPIL_TABLES.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), PUPIL_TABLES.len());
    }
}
