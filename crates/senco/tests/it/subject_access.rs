//! SR-31: the subject-access bundle, on SQLite and PostgreSQL. A meta-test lists every table
//! of the live schema and fails when one holding pupil data is neither in the bundle's
//! mapping (`senco_app::subject_access::TABLES`) nor exempt with a reason; a pupil with a row
//! in every such table gets all of them in the JSON, and every section and flag in the PDF;
//! only the SENCO may export, everyone else gets the 404 of a missing pupil; each export is
//! audited and shows in the pupil's access report.

use std::collections::BTreeSet;
use std::process::Command;

use senco_app::subject_access::{EXEMPT, TABLES, count_at};
use serde_json::{Value, json};
use sqlx::Row;

use crate::both;
use crate::helpers::*;
use crate::matrix::populate;

both!(
    sr_31_every_table_with_pupil_data_is_in_the_subject_access_export,
    sr_31_a_pupil_with_a_row_in_every_table_gets_all_of_them_in_the_bundle,
    sr_31_only_the_senco_exports_and_everyone_else_gets_the_404_of_a_missing_pupil,
    sr_31_a_transferred_pupils_bundle_is_made_at_the_new_school,
);

/// Issue 16, point 9: after a transfer, the new school's SENCO got "not found" for the
/// pupil's subject-access bundle.
async fn sr_31_a_transferred_pupils_bundle_is_made_at_the_new_school(app: &TestApp) {
    let w = populate(app).await;
    let pupil = w.pupil.clone();
    let now = app.clock.now();
    let mut tx = app.store.begin().await.unwrap();
    let id = senco_store::Store::request_transfer(
        &mut tx,
        &senco_store::transfers::NewTransferRequest {
            pupil_id: &pupil,
            from_school_id: &app.fx.school_a,
            to_school_id: &app.fx.school_b,
            upn: "A801200000001",
            legal_forename: "Amy",
            legal_surname: "Thornbury",
            surname_differs: false,
            source: "pupil_import",
            requested_by: None,
            requested_label: "os:test",
        },
        now,
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
    let request = app
        .store
        .transfer_request(&id, std::slice::from_ref(&app.fx.school_a))
        .await
        .unwrap();
    let mut tx = app.store.begin().await.unwrap();
    senco_store::Store::release_transfer(
        &mut tx,
        &request,
        None,
        senco_store::transfers::DecidedAs::School,
        time::macros::date!(2026 - 10 - 01),
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let senco_b = app.signed_in(SENCO_B).await;
    assert_eq!(senco_b.get(&format!("/pupils/{pupil}")).await.status, 200);
    let (status, _, body) = export(&senco_b, &pupil, "json").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (status, _, _) = export(&app.signed_in(SENCO_A).await, &pupil, "json").await;
    assert_eq!(status, 404, "the old school no longer holds the record");
}

/// Tables without a `pupil_id` that hold nothing about any pupil: the installation, schools
/// and their calendars and catalogues, accounts and their sign-in machinery. A new table
/// must be added here (or to the bundle, or exempted) on purpose, so that one reaching
/// pupils through another id cannot be missed.
const NOT_ABOUT_A_PUPIL: &[&str] = &[
    "local_authorities",
    "schools",
    "school_frameworks",
    "calendar_entries",
    "bank_holidays",
    "settings",
    "users",
    "sessions",
    "api_tokens",
    "sign_in_attempts",
    "reg_groups",
    "target_bank",
    "audit_chain_head",
    "recovery_codes",
    "password_resets",
    "provisions",
    "agencies",
    "agency_people",
    "senco_migrations",
    "restore_drills",
    "audit_prune_permit",
    // A national register's file of schools, kept between its preview and confirmation.
    "register_uploads",
];

/// Every table of the live schema, with whether it has a `pupil_id` column.
async fn schema(app: &TestApp) -> Vec<(String, bool)> {
    let sql = match app.store.backend() {
        senco_store::Backend::Sqlite => {
            "SELECT m.name AS t, EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'pupil_id') AS p \
             FROM sqlite_master m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
        senco_store::Backend::Postgres => {
            "SELECT c.relname::text AS t, EXISTS (SELECT 1 FROM information_schema.columns col \
             WHERE col.table_schema = 'public' AND col.table_name = c.relname AND col.column_name = 'pupil_id') AS p \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1"
        }
    };
    sqlx::query(sql)
        .fetch_all(app.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let has = match app.store.backend() {
                senco_store::Backend::Sqlite => r.get::<i64, _>("p") != 0,
                senco_store::Backend::Postgres => r.get::<bool, _>("p"),
            };
            (r.get::<String, _>("t"), has)
        })
        .collect()
}

fn mapped(table: &str) -> bool {
    TABLES.iter().any(|(t, _, _)| *t == table)
}

fn exempt(table: &str) -> bool {
    EXEMPT
        .iter()
        .any(|(t, reason)| *t == table && !reason.is_empty())
}

async fn sr_31_every_table_with_pupil_data_is_in_the_subject_access_export(app: &TestApp) {
    let tables = schema(app).await;
    let names: BTreeSet<&str> = tables.iter().map(|(t, _)| t.as_str()).collect();
    assert!(names.contains("pupils") && names.contains("audit_log"));
    let mut missing = Vec::new();
    let mut unclassified = Vec::new();
    for (table, has_pupil_id) in &tables {
        let t = table.as_str();
        if *has_pupil_id || t == "pupils" {
            if !mapped(t) && !exempt(t) {
                missing.push(t);
            }
        } else if !mapped(t) && !exempt(t) && !NOT_ABOUT_A_PUPIL.contains(&t) {
            unclassified.push(t);
        }
    }
    assert!(
        missing.is_empty(),
        "tables holding pupil data that the subject-access bundle lacks (add them to \
         senco_app::subject_access::TABLES, or to EXEMPT with a reason): {missing:?}"
    );
    assert!(
        unclassified.is_empty(),
        "tables without a pupil_id that nobody has classified (do they reach pupils through \
         another id? map them in TABLES, exempt them, or list them in NOT_ABOUT_A_PUPIL): \
         {unclassified:?}"
    );
    // Nothing stale: every mapped, exempt or set-aside table exists.
    for t in TABLES
        .iter()
        .map(|t| t.0)
        .chain(EXEMPT.iter().map(|e| e.0))
        .chain(NOT_ABOUT_A_PUPIL.iter().copied())
    {
        assert!(names.contains(t), "{t} is not a table");
    }
    // Every table that moves with a pupil on a transfer is in the bundle.
    for t in senco_store::imports::PUPIL_RECORD_TABLES {
        assert!(mapped(t), "{t}");
    }
    assert!(TABLES.len() >= 25);
}

/// A POST of the confirmation form, read as bytes.
async fn export(
    c: &Client,
    pupil: &str,
    format: &str,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = c
        .raw()
        .post(c.url(&format!("/pupils/{pupil}/subject-access")))
        .form(&[
            ("csrf_token", c.csrf().as_str()),
            ("requested_by", "Pat Parent (mother)"),
            ("received_on_day", "14"),
            ("received_on_month", "9"),
            ("received_on_year", "2026"),
            ("format", format),
        ]);
    if let Some(cookie) = c.cookie() {
        req = req.header("cookie", format!("__Host-senco={cookie}"));
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.unwrap().to_vec())
}

/// Rows of a table about a pupil.
async fn rows_of(app: &TestApp, table: &str, pupil: &str) -> i64 {
    let column = if table == "pupils" { "id" } else { "pupil_id" };
    let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(pupil.to_string())
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get::<i64, _>("n")
}

/// Pupil 1 with a row in every table holding pupil data: the matrix test's populated pupil,
/// plus an edit of their details, a statutory process and a parent's contribution.
async fn everything(app: &TestApp) -> String {
    let w = populate(app).await;
    let s = app.signed_in(SENCO_A).await;
    let p = &w.pupil;
    let r = s
        .patch_json(
            &format!("/api/v1/pupils/{p}"),
            &json!({"preferred_forename": "Millie"}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = s
        .post_page(
            &format!("/pupils/{p}/processes/new"),
            &[
                ("kind", "statutory_assessment"),
                ("started_on_day", "5"),
                ("started_on_month", "10"),
                ("started_on_year", "2026"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let parent = app.signed_in(PARENT_P).await;
    let r = parent
        .post_page(
            &format!("/plans/{}/views", w.plan),
            &[
                ("parent_views", "She reads with us every night"),
                ("child_views", "I like the word games"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // A need that is health information.
    let r = s
        .post_page(
            &format!("/pupils/{p}/needs/new"),
            &[
                ("code", "HI"),
                ("rank", "2"),
                ("starts_on_day", "1"),
                ("starts_on_month", "10"),
                ("starts_on_year", "2026"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    w.pupil
}

async fn sr_31_a_pupil_with_a_row_in_every_table_gets_all_of_them_in_the_bundle(app: &TestApp) {
    let pupil = everything(app).await;
    let senco = app.signed_in(SENCO_A).await;

    // The page action, and its confirmation page.
    let record = senco.get(&format!("/pupils/{pupil}")).await;
    assert!(
        record
            .body
            .contains(&format!("/pupils/{pupil}/subject-access"))
    );
    let confirm = senco.get(&format!("/pupils/{pupil}/subject-access")).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("everything Senco holds about"));
    assert!(confirm.body.contains("Thornbury"));

    // A bad date is refused with the form again, and nothing is exported.
    let before = app.audits(Some(&pupil), "export", "allowed").await;
    let bad = senco
        .post_page(
            &format!("/pupils/{pupil}/subject-access"),
            &[
                ("received_on_day", "31"),
                ("received_on_month", "2"),
                ("received_on_year", "2026"),
                ("format", "json"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("real date"));

    // The JSON bundle.
    let audit_before = rows_of(app, "audit_log", &pupil).await;
    let (status, headers, body) = export(&senco, &pupil, "json").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(
        header("content-disposition"),
        "attachment; filename=\"subject-access.json\""
    );
    assert!(header("cache-control").contains("no-store"));
    let bundle: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(bundle["format"], "senco-subject-access");
    assert_eq!(bundle["record"]["format"], "senco-record");
    assert_eq!(bundle["request"]["received_on"], "2026-09-14");
    assert_eq!(bundle["request"]["requested_by"], "Pat Parent (mother)");
    assert_eq!(
        bundle["request"]["deadlines"]["subject_access"],
        "2026-10-14"
    );
    assert_eq!(
        bundle["request"]["deadlines"]["subject_access_extended"],
        "2026-12-14"
    );
    // 15 school days after Monday 14 September 2026, in the fixture's autumn term.
    assert_eq!(
        bundle["request"]["deadlines"]["educational_record"],
        "2026-10-05"
    );
    // The record part is a valid portable record.
    let record_bytes = serde_json::to_vec(&bundle["record"]).unwrap();
    senco_interop::record::parse(&record_bytes).expect("the record part parses as senco-record");

    // Every table: as many items in the bundle as rows in the database, and at least one.
    for (table, path, _) in TABLES {
        let held = rows_of(app, table, &pupil).await;
        assert!(
            held >= 1,
            "the test pupil has no row in {table}: seed one so the test proves it"
        );
        let found = count_at(&bundle, path) as i64;
        if *table == "audit_log" {
            // Every row written before the export; reads queued meanwhile may follow.
            assert!(found >= audit_before, "{table}: {found} < {audit_before}");
        } else {
            assert_eq!(found, held, "{table} at {path}");
        }
    }
    // The reports travel with their contents.
    let doc = &bundle["record"]["documents"][0];
    assert!(!doc["data"].as_str().unwrap().is_empty());
    assert_eq!(doc["sha256"].as_str().unwrap().len(), 64);

    // Flags: each points at an item that exists.
    let review = bundle["review"].as_array().unwrap();
    let kinds: BTreeSet<&str> = review.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, BTreeSet::from(["health", "third_party"]));
    for f in review {
        let at = f["item"].as_str().unwrap();
        assert!(bundle.pointer(at).is_some(), "{at} is not in the bundle");
        assert!(!f["reason"].as_str().unwrap().is_empty());
    }
    let flagged = |kind: &str, prefix: &str| {
        review
            .iter()
            .any(|f| f["kind"] == kind && f["item"].as_str().unwrap().starts_with(prefix))
    };
    assert!(flagged("third_party", "/record/specialists/"));
    assert!(flagged("third_party", "/record/documents/"));
    assert!(flagged("third_party", "/contacts/"));
    assert!(flagged("third_party", "/record/plans/"));
    assert!(flagged("health", "/record/needs/"));
    assert!(flagged("health", "/record/statutory_processes/"));
    let hi = bundle["record"]["needs"]
        .as_array()
        .unwrap()
        .iter()
        .position(|n| n["code"] == "HI")
        .unwrap();
    let spld = bundle["record"]["needs"]
        .as_array()
        .unwrap()
        .iter()
        .position(|n| n["code"] == "SPLD")
        .unwrap();
    assert!(
        review
            .iter()
            .any(|f| f["item"] == format!("/record/needs/{hi}"))
    );
    assert!(
        !review
            .iter()
            .any(|f| f["item"] == format!("/record/needs/{spld}"))
    );

    // The PDF: the cover page, every section and caption, and the markers.
    let (status, headers, pdf) = export(&senco, &pupil, "pdf").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    assert_eq!(header("content-type"), "application/pdf");
    assert_eq!(
        header("content-disposition"),
        "attachment; filename=\"subject-access.pdf\""
    );
    assert!(header("cache-control").contains("no-store"));
    let raw = String::from_utf8_lossy(&pdf);
    assert!(raw.contains("/StructTreeRoot"), "not tagged");
    let text = pdf_text(&pdf);
    for want in [
        "Subject access bundle",
        "Amelia",
        "Pat Parent (mother)",
        "14 October 2026",
        "5 October 2026",
        "one calendar month",
        "15 school days",
        "[THIRD PARTY: check for redaction]",
        "[HEALTH DATA: review before disclosure]",
        "Working memory below the expected range",
        "She reads with us every night",
    ] {
        assert!(text.contains(want), "the PDF lacks {want:?}");
    }
    for (table, _, title) in TABLES {
        assert!(
            text.contains(title),
            "the PDF lacks the section of {table}: {title:?}"
        );
    }

    // Both exports are audited and in the pupil's access report.
    assert_eq!(
        app.audits(Some(&pupil), "export", "allowed").await,
        before + 2
    );
    let trail = app.store.audit_for_pupil_all(&pupil).await.unwrap();
    let exports: Vec<_> = trail
        .iter()
        .filter(|r| r.event.record_type == "subject_access" && r.event.action == "export")
        .collect();
    assert_eq!(exports.len(), 2);
    assert!(exports.iter().all(|r| r.event.actor_label == SENCO_A));
    let report = senco.get(&format!("/pupils/{pupil}/audit")).await;
    assert!(report.body.contains("subject_access"));

    // The command line: the same bundle, audited as the operator.
    let dir = std::env::temp_dir().join(format!("senco-sar-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    for format in ["json", "pdf"] {
        let file = dir.join(format!("bundle.{format}"));
        let args: Vec<String> = [
            "export",
            "subject-access",
            "--pupil",
            "B801200005001",
            "--format",
            format,
            "--received",
            "2026-09-14",
            "--output",
            &file.display().to_string(),
            "--database-url",
            &app.database_url,
        ]
        .map(String::from)
        .to_vec();
        let out = tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_senco"))
                .args(&args)
                .env_remove("SENCO_DATABASE_URL")
                .env("USER", "dpo")
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = std::fs::read(&file).unwrap();
        if format == "json" {
            let cli: Value = serde_json::from_slice(&bytes).unwrap();
            for (table, path, _) in TABLES {
                if *table != "audit_log" {
                    assert_eq!(count_at(&cli, path), count_at(&bundle, path), "{table}");
                }
            }
            assert_eq!(cli["prepared_by"]["account"], "os:dpo");
        } else {
            assert!(pdf_text(&bytes).contains("[HEALTH DATA: review before disclosure]"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let trail = app.store.audit_for_pupil_all(&pupil).await.unwrap();
    assert_eq!(
        trail
            .iter()
            .filter(|r| r.event.record_type == "subject_access"
                && r.event.action == "export"
                && r.event.channel == "cli")
            .count(),
        2
    );
}

async fn sr_31_only_the_senco_exports_and_everyone_else_gets_the_404_of_a_missing_pupil(
    app: &TestApp,
) {
    let pupil = app.fx.p1.clone();
    let missing = uuid::Uuid::now_v7().to_string();
    let senco = app.signed_in(SENCO_A).await;
    let (status, _, _) = export(&senco, &pupil, "json").await;
    assert_eq!(status, 200);
    let (_, _, not_there) = export(&senco, &missing, "json").await;
    for email in [
        TEACHER_A,
        TA_A,
        HEAD_A,
        SCHOOL_ADMIN_A,
        PARENT_P,
        SPECIALIST_S,
        OFFICER_1,
        ADMIN,
        SENCO_B,
    ] {
        let c = app.signed_in(email).await;
        let (status, _, body) = export(&c, &pupil, "json").await;
        assert_eq!(status, 404, "{email}");
        let (_, _, missing_body) = export(&c, &missing, "json").await;
        assert_eq!(
            String::from_utf8_lossy(&body),
            String::from_utf8_lossy(&missing_body),
            "{email}: a refusal must look like a missing pupil"
        );
        let page = c.get(&format!("/pupils/{pupil}/subject-access")).await;
        assert_eq!(page.status, 404, "{email}");
        let own = c.get(&format!("/pupils/{pupil}")).await;
        assert!(
            !own.body.contains("/subject-access"),
            "{email} is offered the export"
        );
    }
    assert_eq!(
        String::from_utf8_lossy(&not_there),
        String::from_utf8_lossy(
            &export(&app.signed_in(TEACHER_A).await, &missing, "json")
                .await
                .2
        )
    );
    // Every refusal is audited; only the SENCO's export is an export.
    let denied = app.audits(Some(&pupil), "export", "denied").await;
    assert!(denied >= 9, "{denied} refusals audited");
    assert_eq!(app.audits(Some(&pupil), "export", "allowed").await, 1);
    // Anonymous: the sign-in page.
    let anon = app.client();
    let r = anon.get(&format!("/pupils/{pupil}/subject-access")).await;
    assert_eq!(r.status, 303);
}
