//! Retention (SR-30) and the audit log's own retention, on SQLite and PostgreSQL with the
//! clock injected: the flag dates of a pupil born 1990-01-01, the review page's access,
//! approval and destruction that leaves no row, upload or byte of the pupil behind (SQLite:
//! not in the raw database or WAL file), the destruction log, and pruning the audit log
//! with `senco audit verify` still passing.

use senco_app::PdfCache;
use senco_domain::retention::RecordClass;
use senco_store::Store;
use senco_store::pupils::Scope;
use senco_store::retention::{DESTROYED_TABLES, ID_ONLY_LOGS, ReviewStatus};
use sqlx::{Column, Row};
use time::macros::{date, datetime};

use crate::helpers::*;
use crate::matrix::populate;

/// As `both!`, on a server whose own daily retention run is off: these tests move the clock
/// and run the review and destruction themselves, so nothing races them.
macro_rules! both_without_the_daily_run {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = super::spawn(Db::Sqlite).await {
                        super::$name(&app).await;
                        app.stop().await;
                    }
                }
            )*
            use crate::helpers::Db;
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = super::spawn(Db::Postgres).await {
                        super::$name(&app).await;
                        app.stop().await;
                    }
                }
            )*
            use crate::helpers::Db;
        }
    };
}

both_without_the_daily_run!(
    sr_30_an_sen_file_born_1990_is_flagged_on_2021_01_01_and_not_before,
    sr_30_after_approval_and_destruction_nothing_of_the_pupil_remains,
    sr_30_only_the_senco_and_head_teacher_decide_reviews,
    sr_30_the_audit_log_is_pruned_past_its_period_and_still_verifies,
    every_table_with_a_pupil_id_is_destroyed_or_keeps_ids_only,
    sr_30_the_server_flags_and_destroys_at_start_of_each_day,
    the_retention_commands_flag_list_approve_destroy_and_prune,
    a_corrupt_stored_class_is_an_error_not_a_default,
);

async fn spawn(db: Db) -> Option<TestApp> {
    let web = senco_web::WebConfig {
        require_two_factor: false,
        retention_job: false,
        ..senco_web::WebConfig::default()
    };
    TestApp::spawn_with(db, web).await
}

/// In the pupil's name and free-text fields; searched for in every table and the raw files.
const CANARY: &str = "CANARY7Q";

/// Makes pupil `p` born on `dob`, enrolled from 2001 and gone since `left` (not to another
/// school unless `transferred_out`).
async fn gone(app: &TestApp, p: &str, dob: &str, left: time::Date, transferred_out: bool) {
    sqlx::query("UPDATE pupils SET date_of_birth = $2 WHERE id = $1")
        .bind(p)
        .bind(dob)
        .execute(app.store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE enrolments SET starts_on = '2001-09-04' WHERE pupil_id = $1")
        .bind(p)
        .execute(app.store.pool())
        .await
        .unwrap();
    let mut tx = app.store.begin().await.unwrap();
    Store::record_leaving(&mut tx, p, left, transferred_out, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// An SEN need, so that the pupil has an SEN file.
async fn with_need(app: &TestApp, p: &str, school: &str) {
    sqlx::query(
        "INSERT INTO needs (id, pupil_id, school_id, code, rank, starts_on, recorded_at) \
         VALUES ($1, $2, $3, 'SPLD', 1, '2003-01-06', '2003-01-06T09:00:00.000000Z')",
    )
    .bind(senco_store::new_id())
    .bind(p)
    .bind(school)
    .execute(app.store.pool())
    .await
    .unwrap();
}

async fn review_on(
    app: &TestApp,
    at: time::OffsetDateTime,
) -> senco_store::retention::ReviewOutcome {
    *app.clock.0.lock().unwrap() = at;
    let now = app.clock.now();
    senco_app::retention::review(
        &app.store,
        senco_domain::calendar::london_date(now),
        now,
        &senco_app::retention::job_event(now),
    )
    .await
    .unwrap()
}

async fn review_of(app: &TestApp, p: &str) -> Option<senco_store::retention::RetentionReview> {
    app.store
        .retention_reviews(&Scope::Operator, None)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.pupil_id == p)
}

async fn sr_30_an_sen_file_born_1990_is_flagged_on_2021_01_01_and_not_before(app: &TestApp) {
    let (p1, p2) = (app.fx.p1.clone(), app.fx.p2.clone());
    with_need(app, &p1, &app.fx.school_a).await;
    gone(app, &p1, "1990-01-01", date!(2008 - 07 - 18), false).await;
    // Pupil 2 moved on to another school: this school is not the last.
    gone(app, &p2, "2009-03-02", date!(2020 - 09 - 01), true).await;

    review_on(app, datetime!(2020-12-31 10:00 UTC)).await;
    assert_eq!(review_of(app, &p1).await, None, "flagged a day early");
    let moved = review_of(app, &p2)
        .await
        .expect("the transferred pupil is due");
    assert_eq!(moved.class, RecordClass::TransferredOut);
    assert_eq!(moved.due_on, date!(2020 - 11 - 30));

    let out = review_on(app, datetime!(2021-01-01 10:00 UTC)).await;
    assert_eq!(out.flagged, 1);
    let r = review_of(app, &p1).await.expect("flagged on the day");
    assert_eq!(r.class, RecordClass::SenFile);
    assert_eq!(r.due_on, date!(2021 - 01 - 01));
    assert_eq!(r.status, ReviewStatus::Pending);
    assert!(app.audits(Some(&p1), "create", "allowed").await >= 1);
    // The next day's run flags nothing twice.
    assert_eq!(
        review_on(app, datetime!(2021-01-02 10:00 UTC))
            .await
            .flagged,
        0
    );

    // Kept with a reason until a date: reviewed again on that date, not before.
    let mut tx = app.store.begin().await.unwrap();
    Store::decide_retention(
        &mut tx,
        &r.id,
        &senco_store::retention::Decision::Keep {
            reason: "A claim is under way".into(),
            until: date!(2022 - 01 - 01),
        },
        "os:test",
        app.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        review_on(app, datetime!(2021-12-31 10:00 UTC))
            .await
            .reopened,
        0
    );
    assert_eq!(
        review_on(app, datetime!(2022-01-01 10:00 UTC))
            .await
            .reopened,
        1
    );
    assert_eq!(
        review_of(app, &p1).await.unwrap().status,
        ReviewStatus::Pending
    );

    // Back on roll (a new enrolment at the school): the review ends, even once approved.
    let mut tx = app.store.begin().await.unwrap();
    Store::decide_retention(
        &mut tx,
        &review_of(app, &p1).await.unwrap().id,
        &senco_store::retention::Decision::Approve,
        "os:test",
        app.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query(
        "INSERT INTO enrolments (id, pupil_id, school_id, starts_on, created_at) \
         VALUES ($1, $2, $3, '2022-01-04', '2022-01-04T09:00:00.000000Z')",
    )
    .bind(senco_store::new_id())
    .bind(&p1)
    .bind(&app.fx.school_a)
    .execute(app.store.pool())
    .await
    .unwrap();
    let now = app.clock.now();
    let (done, _) = senco_app::retention::destroy_approved(
        &app.store,
        &PdfCache::default(),
        now,
        &senco_app::retention::job_event(now),
    )
    .await
    .unwrap();
    assert!(done.is_empty(), "destroyed a pupil back on roll");
    assert_eq!(review_of(app, &p1).await, None);
    assert!(app.store.pupil(&Scope::Operator, &p1).await.is_ok());

    // The settings change the period.
    let mut tx = app.store.begin().await.unwrap();
    Store::set_setting(
        &mut tx,
        senco_store::retention::SETTING_TRANSFERRED_OUT_DAYS,
        "7",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        app.store
            .retention_settings()
            .await
            .unwrap()
            .transferred_out_days,
        7
    );
}

/// Every value of every row of every table but the two id-only logs, as text or bytes, that
/// contains `needle` (case-insensitively): (table, column).
async fn rows_holding(app: &TestApp, needle: &str) -> Vec<(String, String)> {
    let tables: Vec<String> = match app.store.backend() {
        senco_store::Backend::Sqlite => sqlx::query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(app.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("name"))
        .collect(),
        senco_store::Backend::Postgres => sqlx::query(
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        )
        .fetch_all(app.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("name"))
        .collect(),
    };
    assert!(tables.len() > 30, "only {} tables", tables.len());
    let needle = needle.to_ascii_lowercase();
    let mut found = Vec::new();
    for table in tables {
        if ID_ONLY_LOGS.contains(&table.as_str()) {
            continue;
        }
        let q = format!("SELECT * FROM {table}");
        for row in sqlx::query(sqlx::AssertSqlSafe(q))
            .fetch_all(app.store.pool())
            .await
            .unwrap()
        {
            for (i, col) in row.columns().iter().enumerate() {
                let text = match row.try_get::<Option<String>, _>(i) {
                    Ok(v) => v.unwrap_or_default().into_bytes(),
                    Err(_) => row
                        .try_get::<Option<Vec<u8>>, _>(i)
                        .ok()
                        .flatten()
                        .unwrap_or_default(),
                };
                if text
                    .to_ascii_lowercase()
                    .windows(needle.len())
                    .any(|w| w == needle.as_bytes())
                {
                    found.push((table.clone(), col.name().to_string()));
                }
            }
        }
    }
    found
}

fn file_holds(path: &std::path::Path, needle: &str) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    let needle = needle.to_ascii_lowercase();
    bytes
        .to_ascii_lowercase()
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

async fn exec(app: &TestApp, sql: &str, p: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(p)
        .execute(app.store.pool())
        .await
        .unwrap();
}

async fn sr_30_after_approval_and_destruction_nothing_of_the_pupil_remains(app: &TestApp) {
    let w = populate(app).await;
    let p = w.pupil.clone();
    // The canary in the pupil's names and free text, an upload and a form kept for its writer.
    let c = CANARY;
    for sql in [
        format!(
            "UPDATE pupils SET legal_surname = 'Surname{c}', preferred_forename = 'Fore{c}', search_text = 'fore{c} surname{c}' WHERE id = $1"
        ),
        format!(
            "UPDATE plans SET nature = 'Nature {c}', pupil_views = 'Views {c}' WHERE pupil_id = $1"
        ),
        format!("UPDATE concerns SET details = 'Details {c}' WHERE pupil_id = $1"),
        format!("UPDATE involvement_notes SET body = 'Note {c}' WHERE pupil_id = $1"),
        format!("UPDATE contacts SET name = 'Parent {c}' WHERE pupil_id = $1"),
        format!("UPDATE reviews SET progress = 'Progress {c}' WHERE pupil_id = $1"),
    ] {
        exec(app, &sql, &p).await;
    }
    let upload = format!("%PDF-1.4\n% report about {c}\n%%EOF\n").into_bytes();
    sqlx::query("UPDATE involvement_reports SET data = $2, title = $3 WHERE pupil_id = $1")
        .bind(&p)
        .bind(upload)
        .bind(format!("Report {c}"))
        .execute(app.store.pool())
        .await
        .unwrap();
    let senco_id = app.store.user_by_email(SENCO_A).await.unwrap().id;
    sqlx::query(
        "INSERT INTO form_drafts (id, user_id, path, body, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(senco_store::new_id())
    .bind(&senco_id)
    .bind(format!("/pupils/{p}/edit"))
    .bind(format!("legal_surname=Surname{c}"))
    .bind(senco_store::ts(app.clock.now()))
    .execute(app.store.pool())
    .await
    .unwrap();
    assert!(!rows_holding(app, CANARY).await.is_empty());
    let reports_before: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM involvement_reports WHERE pupil_id = $1")
            .bind(&p)
            .fetch_one(app.store.pool())
            .await
            .unwrap()
            .get("n");
    assert!(reports_before >= 1, "the pupil has an upload");

    gone(app, &p, "1990-01-01", date!(2008 - 07 - 18), false).await;
    review_on(app, datetime!(2021-01-01 10:00 UTC)).await;
    let r = review_of(app, &p).await.expect("flagged");

    // The SENCO sees the review and approves it, confirming.
    let s = app.signed_in(SENCO_A).await;
    let list = s.get("/retention").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains(&format!("Fore{c}")), "{}", list.body);
    assert!(list.body.contains(&format!("/retention/{}", r.id)));
    assert_eq!(s.get(&format!("/retention/{}", r.id)).await.status, 200);
    let unconfirmed = s
        .post_page(&format!("/retention/{}", r.id), &[("action", "approve")])
        .await;
    assert_eq!(unconfirmed.status, 422, "{}", unconfirmed.body);
    assert!(
        unconfirmed
            .body
            .contains("Confirm that the records should be destroyed")
    );
    let approved = s
        .post_page(
            &format!("/retention/{}", r.id),
            &[("action", "approve"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(
        approved.header("location"),
        Some("/retention?flash=retention_approved")
    );
    assert_eq!(
        review_of(app, &p).await.unwrap().status,
        ReviewStatus::Approved
    );

    // The run destroys it, in one transaction, then compacts.
    let cache = PdfCache::default();
    cache.put(
        (w.plan.clone(), 1, false),
        std::sync::Arc::new(b"%PDF".to_vec()),
    );
    let now = app.clock.now();
    let (done, compaction) = senco_app::retention::destroy_approved(
        &app.store,
        &cache,
        now,
        &senco_app::retention::job_event(now),
    )
    .await
    .unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].pupil_id, p);
    assert!(done[0].rows_removed > 20, "{} rows", done[0].rows_removed);
    assert!(compaction.unwrap().complete, "the WAL was not emptied");
    assert!(
        cache.get(&(w.plan.clone(), 1, false)).is_none(),
        "the PDF cache kept the plan"
    );

    // No row outside the two logs holds the pupil's id or the canary; no upload remains.
    assert_eq!(rows_holding(app, &p).await, Vec::<(String, String)>::new());
    assert_eq!(
        rows_holding(app, CANARY).await,
        Vec::<(String, String)>::new()
    );
    let reports: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM involvement_reports WHERE pupil_id = $1")
            .bind(&p)
            .fetch_one(app.store.pool())
            .await
            .unwrap()
            .get("n");
    assert_eq!(reports, 0);
    assert!(matches!(
        app.store.pupil(&Scope::Operator, &p).await,
        Err(senco_store::StoreError::NotFound)
    ));

    // The destruction log row: ids, class and dates, no name or content.
    let log = app.store.destruction_log(None).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].pupil_id, p);
    assert_eq!(log[0].class, "sen_file");
    assert_eq!(log[0].approved_by, senco_id);
    assert_eq!(log[0].due_on, date!(2021 - 01 - 01));
    let raw = sqlx::query("SELECT * FROM destruction_log")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    for i in 0..raw.columns().len() {
        if let Ok(Some(v)) = raw.try_get::<Option<String>, _>(i) {
            assert!(
                !v.to_ascii_lowercase()
                    .contains(&CANARY.to_ascii_lowercase()),
                "{v}"
            );
            assert!(!v.contains("Thornbury") && !v.contains("Amelia"), "{v}");
        }
    }
    // Append-only, like the audit log.
    assert!(app.refuses("DELETE FROM destruction_log").await);
    assert!(app.refuses("UPDATE destruction_log SET class = 'x'").await);
    // The destruction is audited, the audit log holds no canary, and the chain is intact.
    assert_eq!(app.audits(Some(&p), "destroy", "allowed").await, 1);
    let audit_canary: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE lower(coalesce(fields, '') || coalesce(record_id, '') || actor_label) LIKE $1",
    )
    .bind(format!("%{}%", CANARY.to_ascii_lowercase()))
    .fetch_one(app.store.pool())
    .await
    .unwrap()
    .get("n");
    assert_eq!(audit_canary, 0);
    assert_eq!(app.store.verify_audit().await.unwrap().first_bad, None);
    // The page lists the destruction by id only.
    let list = s.get("/retention").await;
    assert!(list.body.contains(&p));
    assert!(!list.body.contains(CANARY));

    // SQLite: the raw database and WAL files hold no trace (secure_delete, checkpoint, VACUUM).
    if app.store.backend() == senco_store::Backend::Sqlite {
        let file = std::path::PathBuf::from(app.database_url.trim_start_matches("sqlite://"));
        let wal = file.with_file_name("senco.db-wal");
        assert!(file.exists());
        assert!(
            !file_holds(&file, CANARY),
            "the database file holds the canary"
        );
        assert!(!file_holds(&wal, CANARY), "the WAL file holds the canary");
        assert!(!file_holds(&file, &format!("Surname{c}")));
    }
}

async fn sr_30_only_the_senco_and_head_teacher_decide_reviews(app: &TestApp) {
    let p = app.fx.p1.clone();
    let mut tx = app.store.begin().await.unwrap();
    let id = Store::insert_retention_review(
        &mut tx,
        &p,
        &app.fx.school_a,
        RecordClass::PupilRecord,
        date!(2026 - 11 - 01),
        app.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    for (email, list, review) in [
        (SENCO_A, 200, 200),
        (HEAD_A, 200, 200),
        (TEACHER_A, 404, 404),
        (TA_A, 404, 404),
        (SCHOOL_ADMIN_A, 404, 404),
        (PARENT_P, 404, 404),
        (SPECIALIST_S, 404, 404),
        (OFFICER_1, 404, 404),
        (ADMIN, 404, 404),
        // Another school's SENCO has their own (empty) list, and never school A's review.
        (SENCO_B, 200, 404),
    ] {
        let c = app.signed_in(email).await;
        let r = c.get("/retention").await;
        assert_eq!(r.status, list, "{email} GET /retention");
        if r.status == 200 {
            assert_eq!(r.body.contains("Amelia"), email != SENCO_B, "{email}");
        }
        assert_eq!(
            c.get(&format!("/retention/{id}")).await.status,
            review,
            "{email}"
        );
        let post = c
            .post_page(
                &format!("/retention/{id}"),
                &[("action", "approve"), ("confirm", "yes")],
            )
            .await;
        if review == 404 {
            assert_eq!(post.status, 404, "{email} POST");
        }
    }
    // The review is still pending after all the refused posts... the SENCO's was allowed.
    let r = app
        .store
        .retention_review(&Scope::Operator, &id)
        .await
        .unwrap();
    assert_eq!(r.status, ReviewStatus::Approved);
    assert_eq!(
        r.decided_by,
        Some(app.store.user_by_email(SENCO_A).await.unwrap().id)
    );

    // Keeping needs a reason and a date after today.
    let mut tx = app.store.begin().await.unwrap();
    sqlx::query("DELETE FROM retention_reviews WHERE id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await
        .unwrap();
    let id = Store::insert_retention_review(
        &mut tx,
        &p,
        &app.fx.school_a,
        RecordClass::PupilRecord,
        date!(2026 - 11 - 01),
        app.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let head = app.signed_in(HEAD_A).await;
    let path = format!("/retention/{id}");
    let bad = head
        .post_page(
            &path,
            &[
                ("action", "keep"),
                ("reason", " "),
                ("keep_until_day", "1"),
                ("keep_until_month", "1"),
                ("keep_until_year", "2020"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Enter why the records are kept"));
    assert!(bad.body.contains("Enter a real date after today"));
    let kept = head
        .post_page(
            &path,
            &[
                ("action", "keep"),
                ("reason", "An insurance claim is open"),
                ("keep_until_day", "1"),
                ("keep_until_month", "9"),
                ("keep_until_year", "2027"),
            ],
        )
        .await;
    assert_eq!(kept.status, 303, "{}", kept.body);
    let r = app
        .store
        .retention_review(&Scope::Operator, &id)
        .await
        .unwrap();
    assert_eq!(r.status, ReviewStatus::Kept);
    assert_eq!(r.reason.as_deref(), Some("An insurance claim is open"));
    assert_eq!(r.keep_until, Some(date!(2027 - 09 - 01)));
    assert!(
        head.get("/retention")
            .await
            .body
            .contains("Kept until 1 September 2027")
    );
}

async fn sr_30_the_audit_log_is_pruned_past_its_period_and_still_verifies(app: &TestApp) {
    let mut event = senco_app::retention::job_event(datetime!(2019-05-01 09:00 UTC));
    event.record_type = "setting";
    event.action = "update";
    for _ in 0..3 {
        app.store.audit(&event).await.unwrap();
    }
    let mut recent = event.clone();
    recent.at = app.clock.now();
    app.store.audit(&recent).await.unwrap();
    let before = app.store.verify_audit().await.unwrap();
    assert_eq!(before.first_bad, None);

    // Ordinary deletes are refused, as before.
    assert!(app.refuses("DELETE FROM audit_log").await);
    assert!(
        app.refuses("DELETE FROM audit_log WHERE seq = (SELECT MIN(seq) FROM audit_log)")
            .await
    );

    // The default period is 6 years: from 2026-11-23, rows before 2020-11-23 go.
    assert_eq!(app.store.audit_retention_years().await.unwrap(), 6);
    let today = senco_domain::calendar::london_date(app.clock.now());
    let cutoff = senco_domain::retention::audit_cutoff(today, 6).unwrap();
    assert_eq!(cutoff, date!(2020 - 11 - 23));
    let mut operator = recent.clone();
    operator.channel = "cli";
    let out = app
        .store
        .prune_audit(cutoff.midnight().assume_utc(), &operator)
        .await
        .unwrap();
    assert!(out.removed >= 3, "{} removed", out.removed);
    let old = app
        .count("SELECT COUNT(*) AS n FROM audit_log WHERE at < '2020'", &[])
        .await;
    assert_eq!(old, 0);
    let after = app.store.verify_audit().await.unwrap();
    assert_eq!(after.first_bad, None, "verify fails after a prune");
    assert!(after.rows >= 2 && after.rows < before.rows + 1);
    assert_eq!(app.audits(None, "prune", "allowed").await, 1);

    // Still refused after a prune, and the permit is gone.
    assert!(app.refuses("DELETE FROM audit_log").await);
    let permits = app
        .count("SELECT COUNT(*) AS n FROM audit_prune_permit", &[])
        .await;
    assert_eq!(permits, 0);
    // A changed anchor is found.
    sqlx::query("UPDATE audit_chain_head SET anchor_hash = 'forged' WHERE id = 1")
        .execute(app.store.pool())
        .await
        .unwrap();
    assert!(app.store.verify_audit().await.unwrap().first_bad.is_some());
}

/// Meta: every table with a `pupil_id` column is emptied by a destruction, or is one of the
/// two logs that keep ids only.
async fn every_table_with_a_pupil_id_is_destroyed_or_keeps_ids_only(app: &TestApp) {
    let sql = match app.store.backend() {
        senco_store::Backend::Sqlite => {
            "SELECT m.name AS t FROM sqlite_master m JOIN pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND c.name = 'pupil_id'"
        }
        senco_store::Backend::Postgres => {
            "SELECT table_name::text AS t FROM information_schema.columns \
             WHERE table_schema = 'public' AND column_name = 'pupil_id'"
        }
    };
    let mut tables: Vec<String> = sqlx::query(sql)
        .fetch_all(app.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("t"))
        .filter(|t| !ID_ONLY_LOGS.contains(&t.as_str()))
        .collect();
    tables.sort();
    let mut handled: Vec<String> = DESTROYED_TABLES.iter().map(|t| t.to_string()).collect();
    handled.sort();
    assert_eq!(
        tables, handled,
        "a table with pupil_id must be destroyed with the pupil"
    );
    // Every table of the pupil's record is among them.
    for t in senco_store::imports::PUPIL_RECORD_TABLES {
        assert!(DESTROYED_TABLES.contains(t), "{t}");
    }
}

async fn sr_30_the_server_flags_and_destroys_at_start_of_each_day(app: &TestApp) {
    let (p1, p2) = (app.fx.p1.clone(), app.fx.p2.clone());
    with_need(app, &p1, &app.fx.school_a).await;
    gone(app, &p1, "1990-01-01", date!(2008 - 07 - 18), false).await;
    // Pupil 2's destruction was approved earlier.
    gone(app, &p2, "1990-01-01", date!(2008 - 07 - 18), false).await;
    *app.clock.0.lock().unwrap() = datetime!(2021-01-01 07:00 UTC);
    let mut tx = app.store.begin().await.unwrap();
    let id = Store::insert_retention_review(
        &mut tx,
        &p2,
        &app.fx.school_a,
        RecordClass::PupilRecord,
        date!(2015 - 01 - 01),
        app.clock.now(),
    )
    .await
    .unwrap();
    Store::decide_retention(
        &mut tx,
        &id,
        &senco_store::retention::Decision::Approve,
        "os:test",
        app.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // A server with the daily run on (the default) does both as it starts.
    let store = Store::connect(&app.database_url).await.unwrap();
    let (_, stop) = app
        .second_server(store, senco_web::WebConfig::default())
        .await;
    let mut done = false;
    for _ in 0..400 {
        let flagged = review_of(app, &p1).await.is_some();
        let destroyed = app.store.destruction_log(None).await.unwrap().len() == 1;
        if flagged && destroyed {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stop();
    assert!(
        done,
        "the server's daily run did not flag pupil 1 and destroy pupil 2"
    );
    assert_eq!(
        review_of(app, &p1).await.unwrap().class,
        RecordClass::SenFile
    );
    assert_eq!(rows_holding(app, &p2).await, Vec::<(String, String)>::new());
}

async fn senco(args: &[&str]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_senco"))
            .args(&args)
            .env_remove("SENCO_DATABASE_URL")
            .env("USER", "ci-operator")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn said(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn the_retention_commands_flag_list_approve_destroy_and_prune(app: &TestApp) {
    let db = app.database_url.as_str();
    let (p1, p2) = (app.fx.p1.clone(), app.fx.p2.clone());
    with_need(app, &p1, &app.fx.school_a).await;
    sqlx::query("UPDATE pupils SET date_of_birth = '1990-01-01' WHERE id = $1")
        .bind(&p1)
        .execute(app.store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE enrolments SET starts_on = '2001-09-04' WHERE pupil_id = $1")
        .bind(&p1)
        .execute(app.store.pool())
        .await
        .unwrap();

    // Leaving, by UPN, as a plain leaver; pupil 2 moves on to another school.
    let o = senco(&[
        "retention",
        "leave",
        "--pupil",
        "B801200005001",
        "--on",
        "2008-07-18",
        "--database-url",
        db,
    ])
    .await;
    assert!(o.status.success(), "{}", said(&o));
    let o = senco(&[
        "retention",
        "leave",
        "--pupil",
        &p2,
        "--on",
        "2026-07-22",
        "--transferred-out",
        "--database-url",
        db,
    ])
    .await;
    assert!(o.status.success(), "{}", said(&o));
    let leaving: String = sqlx::query("SELECT leaving FROM enrolments WHERE pupil_id = $1")
        .bind(&p2)
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get("leaving");
    assert_eq!(leaving, "transferred_out");
    let early = senco(&[
        "retention",
        "leave",
        "--pupil",
        &app.fx.p3,
        "--on",
        "2020-07-22",
        "--database-url",
        db,
    ])
    .await;
    assert!(!early.status.success());
    assert!(
        said(&early).contains("before the enrolment started"),
        "{}",
        said(&early)
    );
    let again = senco(&[
        "retention",
        "leave",
        "--pupil",
        &p2,
        "--on",
        "2026-07-23",
        "--database-url",
        db,
    ])
    .await;
    assert!(!again.status.success());
    assert!(said(&again).contains("not on roll"), "{}", said(&again));

    // Settings are checked.
    let bad = senco(&[
        "settings",
        "set",
        "retention.sen_file_years",
        "0",
        "--database-url",
        db,
    ])
    .await;
    assert!(!bad.status.success());
    let o = senco(&[
        "settings",
        "set",
        "audit.retention_years",
        "7",
        "--database-url",
        db,
    ])
    .await;
    assert!(o.status.success(), "{}", said(&o));
    assert_eq!(app.store.audit_retention_years().await.unwrap(), 7);
    // A school's own period, over the installation's.
    let o = senco(&[
        "settings",
        "set",
        "retention.pupil_record_years.100001",
        "30",
        "--database-url",
        db,
    ])
    .await;
    assert!(o.status.success(), "{}", said(&o));
    let unknown = senco(&[
        "settings",
        "set",
        "retention.pupil_record_years.999999",
        "30",
        "--database-url",
        db,
    ])
    .await;
    assert!(!unknown.status.success());
    let school_a = app
        .store
        .retention_settings_for(&app.fx.school_a)
        .await
        .unwrap();
    assert_eq!(school_a.pupil_record_years, 30);
    assert_eq!(school_a.sen_file_years, 31);
    let school_b = app
        .store
        .retention_settings_for(&app.fx.school_b)
        .await
        .unwrap();
    assert_eq!(school_b.pupil_record_years, 25);
    let list = senco(&["settings", "list", "--database-url", db]).await;
    assert!(said(&list).contains("retention.transferred_out_days"));

    // Today (the system's) both are due: pupil 1's SEN file since 2021, pupil 2 since October.
    let o = senco(&["retention", "review", "--database-url", db]).await;
    assert!(o.status.success(), "{}", said(&o));
    assert!(said(&o).contains("2 pupils newly flagged"), "{}", said(&o));
    let o = senco(&["retention", "list", "--database-url", db]).await;
    let out = said(&o);
    assert!(
        out.contains(&format!("{p1},")) && out.contains("sen_file,2021-01-01,pending"),
        "{out}"
    );
    assert!(out.contains("transferred_out,2026-10-20,pending"), "{out}");
    assert!(
        !out.contains("Amelia") && !out.contains("Thornbury"),
        "{out}"
    );
    let review = review_of(app, &p1).await.unwrap().id;
    let o = senco(&[
        "retention",
        "keep",
        "--review",
        &review,
        "--reason",
        "",
        "--until",
        "2099-01-01",
        "--database-url",
        db,
    ])
    .await;
    assert!(!o.status.success());
    let o = senco(&[
        "retention",
        "approve",
        "--review",
        &review,
        "--actor",
        SENCO_A,
        "--database-url",
        db,
    ])
    .await;
    assert!(o.status.success(), "{}", said(&o));
    let o = senco(&["retention", "destroy", "--database-url", db]).await;
    assert!(o.status.success(), "{}", said(&o));
    assert!(
        said(&o).contains("1 pupils' records destroyed."),
        "{}",
        said(&o)
    );
    let o = senco(&["retention", "log", "--database-url", db]).await;
    assert!(said(&o).contains(&p1), "{}", said(&o));
    assert_eq!(
        app.store.destruction_log(None).await.unwrap()[0].approved_by,
        app.store.user_by_email(SENCO_A).await.unwrap().id
    );

    // The audit log: nothing older than 2000, then everything before today's fixture.
    let o = senco(&[
        "audit",
        "prune",
        "--before",
        "2000-01-01",
        "--database-url",
        db,
    ])
    .await;
    assert!(o.status.success(), "{}", said(&o));
    assert!(said(&o).contains("0 audit rows"), "{}", said(&o));
    let o = senco(&[
        "audit",
        "prune",
        "--before",
        "2026-11-24",
        "--database-url",
        db,
    ])
    .await;
    assert!(o.status.success(), "{}", said(&o));
    let o = senco(&["audit", "verify", "--database-url", db]).await;
    assert!(o.status.success(), "{}", said(&o));
    assert!(said(&o).contains("intact"), "{}", said(&o));
}

/// Parse at the edge (issue 18, point 3): the destruction log's class comes back from the
/// store as a `RecordClass`. A row written behind Senco's back with a class outside the set
/// (the log's column has no CHECK) is `StoreError::Corrupt`, not a blank label, and the
/// retention page answers the problem page.
async fn a_corrupt_stored_class_is_an_error_not_a_default(app: &TestApp) {
    sqlx::query(
        "INSERT INTO destruction_log (id, school_id, pupil_id, class, due_on, approved_by, \
         approved_at, destroyed_at, rows_removed) VALUES ('forged', $1, 'gone', 'class_nine', \
         '2026-01-01', 'someone', '2026-11-23T10:00:00Z', '2026-11-23T10:00:00Z', 1)",
    )
    .bind(&app.fx.school_a)
    .execute(app.store.pool())
    .await
    .unwrap();
    assert_corrupt(
        app.store.destruction_log(None).await,
        "destruction_log",
        "class",
        "class_nine",
    );
    let senco = app.signed_in(SENCO_A).await;
    assert_eq!(senco.get("/retention").await.status, 500);
}
