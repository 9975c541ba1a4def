//! SR-27 (issue 16, point 6): `senco audit verify` accepted forged history. A row inserted
//! with empty hash columns passed as "written before the hash chain existed" and showed in
//! the pupil's trail; a row deleted and the unkeyed chain recomputed passed as intact. Now
//! every new row must carry its chain, unhashed rows are accepted only before the chain's
//! first row, and the head is kept outside the database (the server's log, every backup)
//! for `verify` to check the chain against.

use senco::commands::backup::{backup, restore};
use senco_store::Backend;
use senco_store::audit::{AuditAnchor, AuditEvent, AuditRecord, row_hash};
use sqlx::Row;

use crate::both;
use crate::helpers::*;

both!(
    sr_27_an_unhashed_row_after_the_chain_start_fails_verify,
    sr_27_a_recomputed_chain_fails_against_an_earlier_anchor,
    sr_27_a_backup_records_the_chain_head_and_a_restore_checks_it,
    sr_27_the_server_logs_the_chain_head,
    sr_27_a_prune_moves_the_start_and_earlier_anchors_are_reported_as_pruned,
);

/// An audit row about `pupil`, written through the store as the server would.
async fn audit(app: &TestApp, pupil: &str, action: &'static str) {
    app.store
        .audit(&AuditEvent {
            at: app.clock.now(),
            request_id: None,
            channel: "web",
            actor_user_id: None,
            actor_label: SENCO_A.to_string(),
            actor_role: Some("senco".into()),
            school_id: Some(app.fx.school_a.clone()),
            pupil_id: Some(pupil.to_string()),
            record_type: "pupil",
            record_id: Some(pupil.to_string()),
            action,
            outcome: "allowed",
            fields: None,
        })
        .await
        .unwrap();
}

/// Drops every guard on the audit log, as someone with the database file (SQLite) or the
/// tables' owner (PostgreSQL) could.
async fn drop_guards(app: &TestApp) {
    let sql = match app.store.backend() {
        Backend::Sqlite => {
            "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; \
             DROP TRIGGER audit_log_sealed"
        }
        Backend::Postgres => {
            "DROP TRIGGER audit_log_append_only ON audit_log; \
             DROP TRIGGER audit_log_delete_needs_a_permit ON audit_log; \
             DROP TRIGGER audit_log_prune_only ON audit_log; \
             ALTER TABLE audit_log DROP CONSTRAINT audit_log_sealed"
        }
    };
    sqlx::raw_sql(sql).execute(app.store.pool()).await.unwrap();
}

const PLANT: &str = "INSERT INTO audit_log (at, channel, actor_label, school_id, pupil_id, \
     record_type, record_id, action, outcome, prev_hash, hash) \
     VALUES ('2026-11-23T10:00:00Z', 'web', 'forged@a.example', $1, $2, 'pupil', $2, 'read', \
     'allowed', $3, $4)";

async fn sr_27_an_unhashed_row_after_the_chain_start_fails_verify(app: &TestApp) {
    let p1 = app.fx.p1.clone();
    audit(app, &p1, "read").await;
    audit(app, &p1, "update").await;
    assert_eq!(app.store.verify_audit().await.unwrap().first_bad, None);
    // An insert without the chain is refused, with the guards in place (SQLite: a trigger;
    // PostgreSQL: a check the server's role cannot drop, see tenancy.rs).
    for (prev, hash) in [(None, None), (Some(""), Some("")), (Some("genesis"), None)] {
        let r = sqlx::query(PLANT)
            .bind(&app.fx.school_a)
            .bind(&p1)
            .bind(prev)
            .bind(hash)
            .execute(app.store.pool())
            .await;
        assert!(
            r.is_err(),
            "an unhashed audit row was accepted: {prev:?}, {hash:?}"
        );
    }
    // A row planted with the guards dropped is named by verify.
    drop_guards(app).await;
    let seq: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("{PLANT} RETURNING seq")))
        .bind(&app.fx.school_a)
        .bind(&p1)
        .bind(None::<String>)
        .bind(None::<String>)
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get("seq");
    let check = app.store.verify_audit().await.unwrap();
    let (bad, why) = check.first_bad.expect("the planted row is found");
    assert_eq!(bad, seq, "{check:?}");
    assert!(why.contains("no hash"), "{why}");
    // ... and the pupil's trail does not show it as genuine.
    let trail = app.store.audit_for_pupil_all(&p1).await.unwrap();
    assert!(!trail.is_empty());
    assert!(
        trail
            .iter()
            .all(|r| r.event.actor_label != "forged@a.example"),
        "{trail:?}"
    );
    let (_, total) = app.store.audit_for_pupil(&p1, 50, 0).await.unwrap();
    assert_eq!(total, trail.len() as i64);
    // Nor does a row numbered below the chain's first row by hand pass as one from before it.
    let low = match app.store.backend() {
        Backend::Sqlite => {
            "INSERT INTO audit_log (seq, at, channel, actor_label, pupil_id, \
             record_type, action, outcome) VALUES (-5, '2020-01-01T00:00:00Z', 'web', \
             'forged@a.example', $1, 'pupil', 'read', 'allowed')"
        }
        Backend::Postgres => {
            "INSERT INTO audit_log (seq, at, channel, actor_label, pupil_id, \
             record_type, action, outcome) OVERRIDING SYSTEM VALUE VALUES (-5, \
             '2020-01-01T00:00:00Z', 'web', 'forged@a.example', $1, 'pupil', 'read', 'allowed')"
        }
    };
    sqlx::query(low)
        .bind(&p1)
        .execute(app.store.pool())
        .await
        .unwrap();
    let check = app.store.verify_audit().await.unwrap();
    assert_eq!(check.first_bad.map(|(s, _)| s), Some(-5), "{check:?}");
    let trail = app.store.audit_for_pupil_all(&p1).await.unwrap();
    assert!(
        trail
            .iter()
            .all(|r| r.event.actor_label != "forged@a.example"),
        "{trail:?}"
    );
}

/// Every row in order, as `row_hash` reads them.
async fn rows(app: &TestApp) -> Vec<(i64, AuditRecord)> {
    let rows = sqlx::query(
        "SELECT seq, at, request_id, channel, actor_label, actor_role, school_id, pupil_id, \
         record_type, record_id, action, outcome, fields FROM audit_log ORDER BY seq",
    )
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.get("seq"),
                AuditRecord {
                    at: senco_store::parse_ts(&r.get::<String, _>("at")).unwrap(),
                    request_id: r.get("request_id"),
                    channel: r.get("channel"),
                    actor_label: r.get("actor_label"),
                    actor_role: r.get("actor_role"),
                    school_id: r.get("school_id"),
                    pupil_id: r.get("pupil_id"),
                    record_type: r.get("record_type"),
                    record_id: r.get("record_id"),
                    action: r.get("action"),
                    outcome: r.get("outcome"),
                    fields: r.get("fields"),
                },
            )
        })
        .collect()
}

/// What someone who can write to the database does after removing rows: recompute the
/// (unkeyed) chain from its start and move the head.
async fn recompute_chain(app: &TestApp) {
    let start: String = sqlx::query("SELECT anchor_hash FROM audit_chain_head WHERE id = 1")
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get("anchor_hash");
    let mut prev = start;
    let mut last = 0;
    for (seq, record) in rows(app).await {
        let hash = row_hash(&prev, &record);
        sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
            .bind(&prev)
            .bind(&hash)
            .bind(seq)
            .execute(app.store.pool())
            .await
            .unwrap();
        prev = hash;
        last = seq;
    }
    sqlx::query("UPDATE audit_chain_head SET last_seq = $1, hash = $2 WHERE id = 1")
        .bind(last)
        .bind(&prev)
        .execute(app.store.pool())
        .await
        .unwrap();
}

async fn sr_27_a_recomputed_chain_fails_against_an_earlier_anchor(app: &TestApp) {
    let p1 = app.fx.p1.clone();
    for action in ["read", "update", "export"] {
        audit(app, &p1, action).await;
    }
    let anchor = app.store.audit_head().await.unwrap();
    assert!(anchor.seq > 0);
    audit(app, &p1, "read").await;
    let check = app
        .store
        .verify_audit_against(std::slice::from_ref(&anchor))
        .await
        .unwrap();
    assert_eq!(check.first_bad, None, "{check:?}");
    assert_eq!(check.anchors_checked, 1);
    // The start of the chain is an anchor too.
    let genesis = AuditAnchor::parse("0:genesis").unwrap();
    let check = app.store.verify_audit_against(&[genesis]).await.unwrap();
    assert_eq!(check.first_bad, None, "{check:?}");
    // Someone who can write to the database removes the export row and recomputes the chain.
    drop_guards(app).await;
    let (removed,): (i64,) =
        sqlx::query_as("SELECT MAX(seq) FROM audit_log WHERE action = 'export'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = $1")
        .bind(removed)
        .execute(app.store.pool())
        .await
        .unwrap();
    recompute_chain(app).await;
    // The database alone cannot tell (this is why the anchor exists) ...
    assert_eq!(app.store.verify_audit().await.unwrap().first_bad, None);
    // ... but the chain no longer passes through the anchor kept outside it.
    let check = app
        .store
        .verify_audit_against(std::slice::from_ref(&anchor))
        .await
        .unwrap();
    let (bad, why) = check.first_bad.expect("the recomputed chain is caught");
    assert_eq!(bad, anchor.seq.max(removed), "{check:?}");
    assert!(why.contains("anchor"), "{why}");
    // Removing the anchored row and everything after it, and recomputing, is caught too.
    sqlx::query("DELETE FROM audit_log WHERE seq >= $1")
        .bind(anchor.seq)
        .execute(app.store.pool())
        .await
        .unwrap();
    recompute_chain(app).await;
    assert_eq!(app.store.verify_audit().await.unwrap().first_bad, None);
    let check = app
        .store
        .verify_audit_against(std::slice::from_ref(&anchor))
        .await
        .unwrap();
    let (bad, why) = check.first_bad.expect("the cut chain is caught");
    assert_eq!(bad, anchor.seq);
    assert!(why.contains("log ends before it"), "{why}");
}

async fn sr_27_a_backup_records_the_chain_head_and_a_restore_checks_it(app: &TestApp) {
    audit(app, &app.fx.p1.clone(), "read").await;
    let head = app.store.audit_head().await.unwrap();
    let dir = temp_dir();
    let file = dir.join("b.senco");
    let summary = backup(&app.database_url, &file, None, app.clock.now(), None)
        .await
        .unwrap();
    // The manifest holds the head in the backup's snapshot, before the backup's own row.
    assert_eq!(summary.manifest.audit_head, Some(head.to_string()));
    assert!(app.store.audit_head().await.unwrap().seq > head.seq);
    let anchor = AuditAnchor::parse(summary.manifest.audit_head.as_deref().unwrap()).unwrap();
    assert_eq!(anchor, head);
    let check = app.store.verify_audit_against(&[anchor]).await.unwrap();
    assert_eq!((check.first_bad, check.anchors_checked), (None, 1));
    // A restore checks the restored chain against it.
    let target = match app.postgres_database() {
        None => format!("sqlite://{}", dir.join("restored.db").display()),
        Some(_) => {
            let _ = std::fs::remove_dir_all(&dir);
            return; // the PostgreSQL restore path is covered by backup.rs; the manifest is the same
        }
    };
    let restored = restore(&file, &target, None, false, None).await.unwrap();
    assert_eq!(restored.manifest.audit_head, Some(head.to_string()));
    let _ = std::fs::remove_dir_all(&dir);
}

async fn sr_27_the_server_logs_the_chain_head(app: &TestApp) {
    // The server logged the head at start (no row has been written since); nothing else
    // than a sequence number and a hash.
    let head = app.store.audit_head().await.unwrap();
    let want = format!("\"{}\":\"{head}\"", AuditAnchor::LOG_FIELD);
    let capture = log_capture();
    let mut found = false;
    for _ in 0..200 {
        let text = String::from_utf8_lossy(&capture.lock().unwrap()).to_string();
        if text.contains(&want) {
            found = true;
            assert!(AuditAnchor::find_all(&text).contains(&head));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(found, "the server did not log the audit chain head {head}");
}

async fn sr_27_a_prune_moves_the_start_and_earlier_anchors_are_reported_as_pruned(app: &TestApp) {
    let p1 = app.fx.p1.clone();
    let earliest = app.store.audit_head().await.unwrap();
    audit(app, &p1, "read").await;
    audit(app, &p1, "read").await;
    let early = app.store.audit_head().await.unwrap();
    app.clock.advance(time::Duration::days(2));
    audit(app, &p1, "update").await;
    let late = app.store.audit_head().await.unwrap();
    let out = app
        .store
        .prune_audit(
            app.clock.now() - time::Duration::days(1),
            &senco_app::retention::job_event(app.clock.now()),
        )
        .await
        .unwrap();
    let check = app
        .store
        .verify_audit_against(&[earliest.clone(), early.clone(), late.clone()])
        .await
        .unwrap();
    // The last pruned row is the chain's start now: an anchor there is checked against it,
    // one before it can no longer be.
    assert_eq!(out.anchor_seq, early.seq, "{out:?}");
    assert_eq!(check.first_bad, None, "{check:?}");
    assert_eq!(
        (check.anchors_checked, check.anchors_pruned),
        (2, 1),
        "{check:?}"
    );
    // A forged start (the anchor moved without the rows) is caught against the earlier anchor.
    sqlx::query("UPDATE audit_chain_head SET anchor_hash = $1 WHERE id = 1")
        .bind("0".repeat(64))
        .execute(app.store.pool())
        .await
        .unwrap();
    let check = app
        .store
        .verify_audit_against(std::slice::from_ref(&early))
        .await
        .unwrap();
    assert!(check.first_bad.is_some(), "{check:?}");
}
