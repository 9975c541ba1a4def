//! SR-35, SR-36: backups taken while Senco writes, encrypted with the backup key, restored and
//! checked against their manifest, and restore drills that boot Senco on the restored copy.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use senco::backup_file::{BodyReader, BodyWriter, Key, read_manifest, write_manifest};
use senco::commands::backup::{DrillSettings, backup, drill, restore};
use senco_store::Store;
use serde_json::json;
use sqlx::Row;

use crate::both;
use crate::cli::text;
use crate::helpers::*;

both!(
    sr_35_a_backup_taken_under_sustained_writes_is_consistent,
    sr_35_an_encrypted_backup_cannot_be_opened_without_the_key,
    sr_35_without_a_key_backup_warns_loudly,
    sr_36_restore_drill_compares_contents_and_boots_the_app,
    sr_36_restore_refuses_a_non_empty_database_without_force,
);

/// A folder for backup files, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        let d = std::env::temp_dir().join(format!("senco-backup-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn key(&self) -> Key {
        let path = self.join(&format!("key-{}", uuid::Uuid::new_v4().simple()));
        Key::generate().unwrap().write_new_file(&path).unwrap();
        Key::read_file(&path).unwrap()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An empty database to restore into, on the app's engine, dropped afterwards.
struct Target {
    url: String,
    pg: Option<(String, String)>,
}

impl Target {
    async fn new(app: &TestApp, dir: &Dir) -> Target {
        match app.postgres_database() {
            None => Target {
                url: format!(
                    "sqlite://{}",
                    dir.join(&format!("restored-{}.db", uuid::Uuid::new_v4().simple()))
                        .display()
                ),
                pg: None,
            },
            Some((admin, _)) => {
                let name = format!("senco_restore_{}", uuid::Uuid::new_v4().simple());
                exec(admin, &format!("CREATE DATABASE {name}")).await;
                let (base, _) = admin.rsplit_once('/').unwrap();
                Target {
                    url: format!("{base}/{name}"),
                    pg: Some((admin.to_string(), name)),
                }
            }
        }
    }

    async fn drop_it(self) {
        if let Some((admin, name)) = &self.pg {
            exec(
                admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await;
        }
    }
}

async fn exec(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await
        .unwrap();
}

fn plan_body() -> serde_json::Value {
    json!({
        "starts_on": "2026-11-02", "review_on": "2027-02-26",
        "nature": "Finds decoding unfamiliar words hard",
        "targets": [
            {"area": "cognition_and_learning", "target": "Read the first 100 high-frequency words", "strategies": "Flash cards 10 minutes a day", "success_criteria": "Reads 90 of 100 words correctly"},
            {"area": "cognition_and_learning", "target": "Blend CVC words", "strategies": "Phonics support", "success_criteria": "Reads 8 out of 10 unseen CVC words"},
            {"area": "communication_and_interaction", "target": "Take turns in a group game", "strategies": "Turn cards in a weekly group", "success_criteria": "Waits for a turn in 4 of 5 games"}
        ],
        "provision": [{"what": "Phonics group", "who": "Teaching assistant", "how_often": "20 minutes, 3 times a week", "group_size": 4}]
    })
}

async fn sr_35_a_backup_taken_under_sustained_writes_is_consistent(app: &TestApp) {
    let dir = Dir::new();
    let key = dir.key();
    let c = app.signed_in(SENCO_A).await;
    let r = c
        .post_json(
            &format!("/api/v1/pupils/{}/stage-changes", app.fx.p1),
            &json!({"stage": "school_action", "effective_on": "2026-10-01", "reason": "Little progress", "parents_told_on": "2026-10-02", "parents_told_how": "meeting"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let existing = app.count("SELECT COUNT(*) AS n FROM plans", &[]).await;
    // The writer saves plans of three targets each, one transaction per plan, through the
    // API, and counts the ones acknowledged.
    let acked = Arc::new(AtomicI64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acked, stop) = (acked.clone(), stop.clone());
        let path = format!("/api/v1/pupils/{}/plans", app.fx.p1);
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let r = c.post_json(&path, &plan_body()).await;
                assert_eq!(r.status, 201, "{}", r.body);
                acked.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    while acked.load(Ordering::SeqCst) < 3 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Take backups until one has plans committed while it ran (bounded; no timing asserted).
    let mut taken = None;
    for attempt in 0..10 {
        let file = dir.join(&format!("under-load-{attempt}.senco"));
        let before = acked.load(Ordering::SeqCst);
        let summary = backup(&app.database_url, &file, Some(&key), app.clock.now(), None)
            .await
            .expect("backup under load");
        let after = acked.load(Ordering::SeqCst);
        if after > before {
            taken = Some((file, summary, before, after));
            break;
        }
    }
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    let (file, summary, before, after) = taken.expect("no backup overlapped with the writer");
    let plans_in_manifest = summary
        .manifest
        .tables
        .iter()
        .find(|t| t.name == "plans")
        .unwrap()
        .rows;
    let targets_in_manifest = summary
        .manifest
        .tables
        .iter()
        .find(|t| t.name == "plan_targets")
        .unwrap()
        .rows;
    let written = plans_in_manifest - existing;
    assert!(
        written >= before && written <= after + 1,
        "{written} plans in the backup, {before} acknowledged before it began, {after} when it ended"
    );

    // Restore it: integrity_check (SQLite), counts and checksums, the audit chain.
    let target = Target::new(app, &dir).await;
    let restored = restore(&file, &target.url, Some(&key), false, None)
        .await
        .expect("restore");
    assert_eq!(restored.manifest, summary.manifest);
    let copy = Store::connect(&target.url).await.unwrap();
    let rows = sqlx::query(
        "SELECT p.id AS id, (SELECT COUNT(*) FROM plan_targets t WHERE t.plan_id = p.id) AS n, \
         (SELECT COUNT(*) FROM plan_versions v WHERE v.plan_id = p.id) AS versions FROM plans p",
    )
    .fetch_all(copy.pool())
    .await
    .unwrap();
    assert_eq!(rows.len() as i64, plans_in_manifest);
    let targets: i64 = rows.iter().map(|r| r.get::<i64, _>("n")).sum();
    assert_eq!(targets, targets_in_manifest);
    for r in &rows {
        assert_eq!(r.get::<i64, _>("n"), 3, "a plan without all its targets");
        assert!(
            r.get::<i64, _>("versions") >= 1,
            "a plan without its version"
        );
    }
    if copy.backend() == senco_store::Backend::Sqlite {
        let mut conn = copy.pool().acquire().await.unwrap();
        assert!(
            senco_store::backup::sqlite_checks(&mut conn)
                .await
                .unwrap()
                .is_empty()
        );
    }
    assert!(copy.verify_audit().await.unwrap().first_bad.is_none());
    copy.close().await;
    target.drop_it().await;
}

/// Adds a pupil with a marked surname, returning it.
async fn canary_pupil(app: &TestApp) -> String {
    let surname = "Quokkacanarybackup".to_string();
    let c = app.signed_in(SENCO_A).await;
    let r = c
        .post_json(
            "/api/v1/pupils",
            &json!({
                "school_urn": "100001", "upn": "p207000016049", "legal_forename": "Marnie",
                "legal_surname": surname, "date_of_birth": "2019-03-27", "sex": "F",
                "registration_group": "3B"
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    surname
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

async fn sr_35_an_encrypted_backup_cannot_be_opened_without_the_key(app: &TestApp) {
    let dir = Dir::new();
    let canary = canary_pupil(app).await;
    let key = dir.key();
    let file = dir.join("encrypted.senco");
    backup(&app.database_url, &file, Some(&key), app.clock.now(), None)
        .await
        .unwrap();
    let bytes = std::fs::read(&file).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"));
    assert!(bytes.starts_with(b"SENCOBAK"));
    assert!(
        !contains(&bytes, canary.as_bytes()),
        "the canary is in clear"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Without a key, the SQLite payload would hold the canary in clear: the check above can
    // see it.
    if app.postgres_database().is_none() {
        let plain = dir.join("plain.senco");
        backup(&app.database_url, &plain, None, app.clock.now(), None)
            .await
            .unwrap();
        assert!(contains(&std::fs::read(&plain).unwrap(), canary.as_bytes()));
    }

    let target = Target::new(app, &dir).await;
    let none = restore(&file, &target.url, None, false, None)
        .await
        .unwrap_err();
    assert!(format!("{none:#}").contains("encrypted"), "{none:#}");
    let wrong = restore(&file, &target.url, Some(&dir.key()), false, None)
        .await
        .unwrap_err();
    assert!(format!("{wrong:#}").contains("wrong key"), "{wrong:#}");
    let mut flipped = bytes.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x20;
    let flipped_file = dir.join("flipped.senco");
    std::fs::write(&flipped_file, &flipped).unwrap();
    let e = restore(&flipped_file, &target.url, Some(&key), false, None)
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("damaged"), "{e:#}");
    let cut_file = dir.join("cut.senco");
    std::fs::write(&cut_file, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let e = restore(&cut_file, &target.url, Some(&key), false, None)
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("truncated"), "{e:#}");
    let e = restore(
        &dir.join("key-missing"),
        &target.url,
        Some(&key),
        false,
        None,
    )
    .await
    .unwrap_err();
    assert!(format!("{e:#}").contains("could not open"), "{e:#}");
    let not_ours = dir.join("not-ours.senco");
    std::fs::write(
        &not_ours,
        b"SQLite format 3\0 and then some more bytes than a header",
    )
    .unwrap();
    let e = restore(&not_ours, &target.url, Some(&key), false, None)
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("not a Senco backup"), "{e:#}");
    // Nothing was written by the failed attempts; with the key, the canary comes back.
    restore(&file, &target.url, Some(&key), false, None)
        .await
        .expect("restore with the key");
    let copy = Store::connect(&target.url).await.unwrap();
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM pupils WHERE legal_surname = $1")
        .bind(&canary)
        .fetch_one(copy.pool())
        .await
        .unwrap()
        .get("n");
    assert_eq!(n, 1);
    copy.close().await;
    target.drop_it().await;
}

fn senco_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_senco"))
        .args(args)
        .env_remove("SENCO_DATABASE_URL")
        .env_remove("SENCO_BACKUP_KEY_FILE")
        .env("USER", "ci-operator")
        .output()
        .expect("run senco")
}

async fn sr_35_without_a_key_backup_warns_loudly(app: &TestApp) {
    let dir = Dir::new();
    let file = dir.join("unencrypted.senco");
    let file_s = file.to_str().unwrap();
    let o = senco_cli(&["backup", "--database-url", &app.database_url, file_s]);
    assert!(o.status.success(), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("WARNING") && stderr.contains("NOT BE ENCRYPTED"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("NOT encrypted"));
    let f = std::fs::File::open(&file).unwrap();
    let (header, mut body) = BodyReader::open(std::io::BufReader::new(f), None).unwrap();
    assert!(!header.encrypted);
    let manifest = read_manifest(&mut body).unwrap();
    assert!(!manifest.encrypted);
    assert_eq!(manifest.uploads.table, "involvement_reports");
    assert!(manifest.uploads.note.contains("inside the database"));

    // With a key file: no warning, and the manifest says so once decrypted.
    let key_file = dir.join("backup.key");
    let key_s = key_file.to_str().unwrap();
    let o = senco_cli(&["backup", "keygen", key_s]);
    assert!(o.status.success(), "{}", text(&o));
    let again = senco_cli(&["backup", "keygen", key_s]);
    assert!(!again.status.success(), "keygen replaced a key file");
    let enc = dir.join("encrypted.senco");
    let o = senco_cli(&[
        "backup",
        "--database-url",
        &app.database_url,
        "--key-file",
        key_s,
        enc.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("WARNING"));
    let key = Key::read_file(&key_file).unwrap();
    let f = std::fs::File::open(&enc).unwrap();
    let (header, mut body) = BodyReader::open(std::io::BufReader::new(f), Some(&key)).unwrap();
    assert!(header.encrypted);
    assert!(read_manifest(&mut body).unwrap().encrypted);
    // An existing file is never overwritten.
    let o = senco_cli(&["backup", "--database-url", &app.database_url, file_s]);
    assert!(!o.status.success());
    assert!(text(&o).contains("already exists"), "{}", text(&o));
}

async fn sr_36_restore_drill_compares_contents_and_boots_the_app(app: &TestApp) {
    let dir = Dir::new();
    let key = dir.key();
    let file = dir.join("nightly.senco");
    let summary = backup(&app.database_url, &file, Some(&key), app.clock.now(), None)
        .await
        .unwrap();
    let settings = DrillSettings {
        rto: Duration::from_secs(4 * 3600),
        scratch_url: None,
    };
    let clock: Arc<dyn Clock> = app.clock.clone();
    let report = drill(
        &app.store,
        &app.database_url,
        &file,
        Some(&key),
        &settings,
        clock.clone(),
        None,
    )
    .await
    .unwrap();
    assert!(report.passed, "{report:?}");
    assert_eq!(report.failed_step, None);
    assert_eq!(report.tables_checked, summary.manifest.tables.len() as i64);
    assert_eq!(report.rows_checked, summary.manifest.total_rows());
    assert_eq!(report.backup_file, "nightly.senco");
    assert_eq!(
        report.backup_created_at.map(senco_store::ts),
        Some(summary.manifest.created_at.clone())
    );
    assert!(report.duration_ms >= 0);
    // Stored in the live database, for the school's records.
    let stored = app.store.drills(10).await.unwrap();
    assert_eq!(stored, vec![report.clone()]);
    // The drill account exists only in the scratch copy, which is gone.
    let n = app
        .count(
            "SELECT COUNT(*) AS n FROM users WHERE email LIKE 'restore-drill-%'",
            &[],
        )
        .await;
    assert_eq!(n, 0);

    // A damaged backup fails the drill, and the failure is stored too.
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() - 10;
    bytes[at] ^= 1;
    let damaged = dir.join("damaged.senco");
    std::fs::write(&damaged, &bytes).unwrap();
    let failed = drill(
        &app.store,
        &app.database_url,
        &damaged,
        Some(&key),
        &settings,
        clock.clone(),
        None,
    )
    .await
    .unwrap();
    assert!(!failed.passed);
    assert_eq!(failed.failed_step.as_deref(), Some("restore"));
    assert!(failed.detail.as_deref().unwrap().contains("damaged"));
    // A drill slower than the recovery time objective fails (an objective of zero: any
    // drill takes longer).
    let strict = DrillSettings {
        rto: Duration::ZERO,
        scratch_url: None,
    };
    let slow = drill(
        &app.store,
        &app.database_url,
        &file,
        Some(&key),
        &strict,
        clock,
        None,
    )
    .await
    .unwrap();
    assert!(!slow.passed);
    assert_eq!(slow.failed_step.as_deref(), Some("rto"));
    assert_eq!(app.store.drills(10).await.unwrap().len(), 3);

    // The command line: exit status 0 for a good drill, non-zero for a failed one, and the
    // reports listed.
    let key_file = dir.join("cli.key");
    std::fs::write(&key_file, key.to_hex()).unwrap();
    let k = key_file.to_str().unwrap();
    let o = senco_cli(&[
        "restore",
        "--drill",
        "--database-url",
        &app.database_url,
        "--key-file",
        k,
        file.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("PASSED"), "{}", text(&o));
    let o = senco_cli(&[
        "backup",
        "drill",
        "--database-url",
        &app.database_url,
        "--key-file",
        k,
        damaged.to_str().unwrap(),
    ]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("FAILED"), "{}", text(&o));
    let o = senco_cli(&["backup", "drills", "--database-url", &app.database_url]);
    assert!(o.status.success(), "{}", text(&o));
    let listing = String::from_utf8_lossy(&o.stdout);
    assert_eq!(listing.lines().count(), 5, "{listing}");
    assert!(listing.contains("damaged.senco") && listing.contains("nightly.senco"));
}

async fn sr_36_restore_refuses_a_non_empty_database_without_force(app: &TestApp) {
    let dir = Dir::new();
    let key = dir.key();
    let file = dir.join("b.senco");
    backup(&app.database_url, &file, Some(&key), app.clock.now(), None)
        .await
        .unwrap();
    // The live database itself is not empty.
    let e = restore(&file, &app.database_url, Some(&key), false, None)
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("not empty"), "{e:#}");
    let target = Target::new(app, &dir).await;
    restore(&file, &target.url, Some(&key), false, None)
        .await
        .unwrap();
    let e = restore(&file, &target.url, Some(&key), false, None)
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("--force"), "{e:#}");
    let again = restore(&file, &target.url, Some(&key), true, None)
        .await
        .expect("--force replaces it");
    assert!(!again.manifest.tables.is_empty());
    // The wrong engine is refused before anything is touched.
    let other = match app.postgres_database() {
        None => "postgres://nobody@127.0.0.1:1/none".to_string(),
        Some(_) => format!("sqlite://{}", dir.join("other.db").display()),
    };
    let e = restore(&file, &other, Some(&key), false, None)
        .await
        .unwrap_err();
    assert!(
        format!("{e:#}").contains("backup: restore it into"),
        "{e:#}"
    );
    // A backup of a newer schema than this build knows is refused.
    let newer = dir.join("newer.senco");
    rewrite_manifest(&file, &newer, &key, |m| m.schema_version = 9999);
    let e = restore(&newer, &target.url, Some(&key), true, None)
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("newer than this Senco"), "{e:#}");
    // A manifest whose checksum for one table differs is named.
    let tampered = dir.join("tampered.senco");
    rewrite_manifest(&file, &tampered, &key, |m| {
        let t = m.tables.iter_mut().find(|t| t.name == "pupils").unwrap();
        t.sha256 = "0".repeat(64);
    });
    let e = restore(&tampered, &target.url, Some(&key), true, None)
        .await
        .unwrap_err();
    assert!(
        format!("{e:#}").contains("checksum mismatch in table pupils"),
        "{e:#}"
    );
    // SR-27: the restored audit chain must pass through the head the manifest recorded.
    let head = again
        .manifest
        .audit_head
        .clone()
        .expect("the manifest has the audit head");
    let other_head = dir.join("other-head.senco");
    rewrite_manifest(&file, &other_head, &key, |m| {
        let (seq, _) = head.split_once(':').unwrap();
        m.audit_head = Some(format!("{seq}:{}", "0".repeat(64)));
    });
    let e = restore(&other_head, &target.url, Some(&key), true, None)
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("anchor"), "{e:#}");
    target.drop_it().await;
}

/// Writes a copy of a backup with its manifest changed (as a newer or tampered file would be).
fn rewrite_manifest(
    from: &Path,
    to: &Path,
    key: &Key,
    change: impl FnOnce(&mut senco::backup_file::Manifest),
) {
    use std::io::Write;
    let f = std::fs::File::open(from).unwrap();
    let (header, mut body) = BodyReader::open(std::io::BufReader::new(f), Some(key)).unwrap();
    let mut manifest = read_manifest(&mut body).unwrap();
    change(&mut manifest);
    let out = std::fs::File::create(to).unwrap();
    let mut w = BodyWriter::start(out, header.engine, Some(key)).unwrap();
    write_manifest(&mut w, &manifest).unwrap();
    std::io::copy(&mut body, &mut w).unwrap();
    w.finish().unwrap().flush().unwrap();
}

#[test]
fn backup_and_restore_have_help_and_say_where_a_backup_goes() {
    for args in [
        &["backup", "--help"][..],
        &["backup", "keygen", "--help"],
        &["backup", "drill", "--help"],
        &["backup", "drills", "--help"],
        &["restore", "--help"],
    ] {
        let o = senco_cli(args);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("--database-url"), "{args:?}");
    }
    assert!(text(&senco_cli(&["restore", "--help"])).contains("--drill"));
    let o = senco_cli(&["backup", "--database-url", "sqlite:///nonexistent/senco.db"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("say where to write the backup"),
        "{}",
        text(&o)
    );
    let o = senco_cli(&[
        "backup",
        "--database-url",
        "sqlite:///nonexistent/senco.db",
        "/tmp/never-written.senco",
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("no database at"), "{}", text(&o));
}
