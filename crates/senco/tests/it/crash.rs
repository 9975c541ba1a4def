//! Reliability (SR-33, SR-34, SR-37, §3 F): the real `senco` binary killed with SIGKILL while
//! four writers save records through the API, and while `senco migrate` rewrites a table of an
//! authority-sized database; the SQLite settings on every pooled connection; a database that
//! a newer or another Senco migrated is refused.
//!
//! Kill points come from a seeded generator: the seed is printed, and `SENCO_CRASH_SEED`
//! repeats it. `SENCO_CRASH_ROUNDS` raises the number of kill -9 rounds (never below 50).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use senco_store::Store;
use serde_json::json;
use sqlx::Row;
use time::macros::datetime;

use crate::engines;
use crate::helpers::*;

/// Rounds of the kill -9 harness in CI (SR-33 asks for at least 50).
const KILL_ROUNDS: usize = 50;
/// Rounds of the harness on PostgreSQL (a killed client cannot corrupt PostgreSQL; what is
/// checked there is that every acknowledged write is present and whole).
const KILL_ROUNDS_POSTGRES: usize = 10;
/// Concurrent writers in each round.
const WRITERS: usize = 4;
/// Rounds of killing `senco migrate` part-way on SQLite.
const MIGRATION_ROUNDS: usize = 10;
/// The schema version the migration fixture is built at: the next migration (8) rebuilds the
/// involvements table, copying every row, so it runs long enough to be killed inside.
const OLD_VERSION: i64 = 7;
/// The size of the migration fixture: an authority's pupils and their involvements.
const FIXTURE_SCHOOLS: i64 = 40;
const FIXTURE_PUPILS: i64 = 20_000;
const FIXTURE_INVOLVEMENTS: i64 = 60_000;

/// A small deterministic generator (SplitMix64), so that a failing round can be repeated.
struct Rng(u64);

impl Rng {
    fn from_env(what: &str) -> Rng {
        let seed = std::env::var("SENCO_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            // The real server runs on the real clock, and so do the kill points.
            .unwrap_or_else(|| senco_app::SystemClock.now().unix_timestamp_nanos() as u64);
        println!("{what}: SENCO_CRASH_SEED={seed}");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number from `lo` to `hi` inclusive.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn kill_rounds(base: usize) -> usize {
    std::env::var("SENCO_CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .map_or(base, |n| n.max(base))
}

/// Runs the `senco` binary with its output in files of `dir` (a pipe nobody reads would
/// block it).
fn spawn_senco(args: &[&str], dir: &Path, name: &str) -> Child {
    let out = std::fs::File::create(dir.join(format!("{name}.out"))).unwrap();
    let err = std::fs::File::create(dir.join(format!("{name}.err"))).unwrap();
    Command::new(env!("CARGO_BIN_EXE_senco"))
        .args(args)
        .env_remove("SENCO_DATABASE_URL")
        .env("USER", "ci-operator")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("run senco")
}

fn output_of(dir: &Path, name: &str) -> String {
    let out = std::fs::read_to_string(dir.join(format!("{name}.out"))).unwrap_or_default();
    let err = std::fs::read_to_string(dir.join(format!("{name}.err"))).unwrap_or_default();
    format!("{out}{err}")
}

/// Waits for a child to end by itself (a command that must fail or finish), killing it after
/// a generous bound so that a wrongly running server cannot hang the test.
fn wait_bounded(child: &mut Child) -> Option<std::process::ExitStatus> {
    for _ in 0..1200 {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// A `senco serve` child on `url`, once it has said where it listens.
struct Server {
    child: Child,
    base: String,
}

async fn start_server(url: &str, dir: &Path, round: usize) -> Server {
    let name = format!("serve-{round}");
    let outbox = dir.join("outbox");
    let mut child = spawn_senco(
        &[
            "serve",
            "--database-url",
            url,
            "--bind",
            "127.0.0.1:0",
            "--outbox-dir",
            outbox.to_str().unwrap(),
            "--assets-dir",
            dir.to_str().unwrap(),
        ],
        dir,
        &name,
    );
    for _ in 0..1200 {
        let out = std::fs::read_to_string(dir.join(format!("{name}.out"))).unwrap_or_default();
        if let Some(at) = out.find("Senco is listening on ") {
            let base = out[at + "Senco is listening on ".len()..]
                .lines()
                .next()
                .unwrap()
                .trim()
                .to_string();
            return Server { child, base };
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the server stopped ({status}) before listening: {}",
                output_of(dir, &name)
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = child.kill();
    panic!("the server never said where it listens");
}

/// What the writers save, each one user action and so one transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// A plan with four targets and two lines of provision (plan, targets, provision, the
    /// first version and the audit row together).
    Plan,
    /// A concern raised about a pupil.
    Concern,
    /// A new entry in the school's provision catalogue.
    Provision,
    /// A delivered session of an allocation.
    Session,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::Plan => "plans",
            Kind::Concern => "concerns",
            Kind::Provision => "provisions",
            Kind::Session => "delivery_sessions",
        }
    }
}

/// What every round's writers share: the records they write about and the counters that
/// keep their values unique across rounds.
struct Target {
    token: String,
    pupils: Vec<String>,
    allocation: String,
    /// Days after the allocation's start already given to a session (never reused, so no
    /// write is refused as a duplicate even when an unacknowledged one was kept).
    next_session_day: AtomicI64,
    session_days: i64,
    next_name: AtomicI64,
}

const ALLOCATION_FROM: time::Date = time::macros::date!(2020 - 09 - 01);

fn plan_body(n: i64) -> serde_json::Value {
    let target = |i: i64| {
        json!({
            "area": "cognition_and_learning",
            "target": format!("Read {} of the first 100 high-frequency words (plan {n})", 60 + i * 10),
            "strategies": "Flash cards for 10 minutes every morning with the teaching assistant",
            "success_criteria": format!("Reads {} of 100 words correctly in two checks a week apart", 60 + i * 10),
        })
    };
    json!({
        "starts_on": "2026-11-02", "review_on": "2027-02-26",
        "nature": format!("Finds decoding unfamiliar words hard (plan {n})"),
        "targets": [target(0), target(1), target(2), target(3)],
        "provision": [
            {"what": "Phonics group", "who": "Teaching assistant", "how_often": "20 minutes, 3 times a week", "group_size": 4},
            {"what": "Access to a quiet space", "who": "Class teacher", "how_often": "daily"}
        ]
    })
}

/// Sends one write. `Ok(Some(id))` once the server answered 2xx with the new id (the write is
/// acknowledged), `Ok(None)` when there is nothing left to write of this kind, `Err` when
/// the server is gone (the write may or may not have been kept).
async fn write_once(
    http: &reqwest::Client,
    base: &str,
    t: &Target,
    kind: Kind,
    writer: usize,
    unexpected: &Mutex<Vec<String>>,
) -> Result<Option<String>, ()> {
    let n = t.next_name.fetch_add(1, Ordering::SeqCst);
    let pupil = &t.pupils[writer % t.pupils.len()];
    let (path, body) = match kind {
        Kind::Plan => (format!("/api/v1/pupils/{pupil}/plans"), plan_body(n)),
        Kind::Concern => (
            format!("/api/v1/pupils/{pupil}/concerns"),
            json!({"areas": ["cognition_and_learning"], "tried": format!("Phonics group three times a week ({n})"), "result": "Reading age unchanged after six weeks"}),
        ),
        Kind::Provision => (
            "/api/v1/provisions".to_string(),
            json!({"name": format!("Reading group {n}"), "kind": "small_group", "area": "cognition_and_learning", "staff_role": "Teaching assistant", "group_size": 4, "sessions_per_week": 3, "minutes_per_session": 30, "cost_basis": "staff_time", "cost_pence": 1800}),
        ),
        Kind::Session => {
            let day = t.next_session_day.fetch_add(1, Ordering::SeqCst);
            if day >= t.session_days {
                return Ok(None);
            }
            let on = ALLOCATION_FROM + time::Duration::days(day);
            (
                format!("/api/v1/allocations/{}/sessions", t.allocation),
                json!({"on": on.to_string(), "status": "delivered", "minutes": 30}),
            )
        }
    };
    let response = http
        .post(format!("{base}{path}"))
        .bearer_auth(&t.token)
        .json(&body)
        .send()
        .await
        .map_err(|_| ())?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|_| ())?;
    if !(200..300).contains(&status) {
        unexpected
            .lock()
            .unwrap()
            .push(format!("{kind:?}: {status} {text}"));
        return Ok(None);
    }
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|_| ())?;
    Ok(value["id"].as_str().map(str::to_string))
}

/// Seeds the database once: the fixture's schools, accounts and pupils through the store, a
/// token for the SENCO, then, through the running server, what the writers build on.
async fn seed_for_crash(url: &str, dir: &Path) -> Target {
    let now = datetime!(2026-11-23 10:00 UTC);
    let store = Store::connect(url).await.expect("open store");
    store.migrate(now).await.expect("migrate");
    let fx = seed_fixture(&store, now).await;
    let token = senco_app::credentials::random_token();
    let user = store.user_by_email(SENCO_A).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    Store::insert_token(
        &mut tx,
        &user.id,
        "crash harness",
        &senco_app::credentials::hash_token(&token),
        now,
    )
    .await
    .unwrap();
    senco_store::commit(tx).await.unwrap();
    store.close().await;

    let mut server = start_server(url, dir, 0).await;
    let c = Client::with_token(&server.base, &token);
    for pupil in [&fx.p1, &fx.p2] {
        let r = c
            .post_json(
                &format!("/api/v1/pupils/{pupil}/stage-changes"),
                &json!({"stage": "school_action", "effective_on": "2026-10-01", "reason": "Little progress", "parents_told_on": "2026-10-02", "parents_told_how": "meeting"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let group = c
        .post_json(
            "/api/v1/provisions",
            &json!({"name": "Reading catch-up group", "kind": "small_group", "area": "cognition_and_learning", "staff_role": "Teaching assistant", "group_size": 3, "sessions_per_week": 3, "minutes_per_session": 30, "cost_basis": "staff_time", "cost_pence": 1800}),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    let allocation = c
        .post_json(
            &format!("/api/v1/pupils/{}/allocations", fx.p1),
            &json!({"provision_id": group.json()["id"], "from_on": ALLOCATION_FROM.to_string(), "to_on": "2027-07-16"}),
        )
        .await;
    assert_eq!(allocation.status, 201, "{}", allocation.body);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    // Sessions may not be in the future: the days from the allocation's start to yesterday.
    let today = senco_app::SystemClock.now().date();
    Target {
        token,
        pupils: vec![fx.p1.clone(), fx.p2.clone()],
        allocation: allocation.json()["id"].as_str().unwrap().to_string(),
        next_session_day: AtomicI64::new(0),
        session_days: (today - ALLOCATION_FROM).whole_days(),
        next_name: AtomicI64::new(0),
    }
}

async fn ids_of(store: &Store, sql: &str) -> HashSet<String> {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>(0).unwrap())
        .collect()
}

/// Reopens the database after a kill and checks it: intact, every acknowledged write there
/// and whole, the audit chain sound.
async fn check_after_kill(url: &str, acked: &[(Kind, String)], round: usize) {
    let store = Store::connect(url).await.expect("reopen after the kill");
    if store.backend() == senco_store::Backend::Sqlite {
        let integrity: Vec<String> = sqlx::query("PRAGMA integrity_check")
            .fetch_all(store.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>(0).unwrap())
            .collect();
        assert_eq!(integrity, ["ok"], "round {round}: integrity_check");
        let fk = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(store.pool())
            .await
            .unwrap();
        assert!(
            fk.is_empty(),
            "round {round}: foreign_key_check found {} rows",
            fk.len()
        );
    }
    let mut present: BTreeMap<Kind, HashSet<String>> = BTreeMap::new();
    for kind in [Kind::Plan, Kind::Concern, Kind::Provision, Kind::Session] {
        let sql = format!("SELECT id FROM {}", kind.table());
        present.insert(kind, ids_of(&store, &sql).await);
    }
    let audited = ids_of(
        &store,
        "SELECT record_id FROM audit_log WHERE action = 'create' AND record_id IS NOT NULL",
    )
    .await;
    for (kind, id) in acked {
        assert!(
            present[kind].contains(id),
            "round {round}: the acknowledged {kind:?} {id} is gone"
        );
        assert!(
            audited.contains(id),
            "round {round}: the acknowledged {kind:?} {id} has no audit row"
        );
    }
    // No half-applied action: every plan has its four targets, its two lines of provision
    // and its first version.
    let broken: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM plans p WHERE \
           (SELECT COUNT(*) FROM plan_targets t WHERE t.plan_id = p.id) <> 4 \
           OR (SELECT COUNT(*) FROM plan_provision v WHERE v.plan_id = p.id) <> 2 \
           OR NOT EXISTS (SELECT 1 FROM plan_versions v WHERE v.plan_id = p.id)",
    )
    .fetch_one(store.pool())
    .await
    .unwrap()
    .try_get("n")
    .unwrap();
    assert_eq!(broken, 0, "round {round}: plans without all their parts");
    let audit = store.verify_audit().await.unwrap();
    assert_eq!(
        audit.first_bad, None,
        "round {round}: the audit chain is broken"
    );
    store.close().await;
}

async fn kill_minus_nine_rounds(db: Db, rounds: usize) {
    let Some((url, drop_pg, dir)) = fresh_database(db).await else {
        return;
    };
    let mut rng = Rng::from_env(&format!("kill -9 harness on {db:?}"));
    let target = Arc::new(seed_for_crash(&url, &dir).await);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut acked: Vec<(Kind, String)> = Vec::new();
    let started = Instant::now();
    for round in 1..=rounds {
        let mut server = start_server(&url, &dir, round).await;
        let unexpected = Arc::new(Mutex::new(Vec::new()));
        let mut writers = Vec::new();
        for writer in 0..WRITERS {
            let (http, base, target, unexpected) = (
                http.clone(),
                server.base.clone(),
                target.clone(),
                unexpected.clone(),
            );
            writers.push(tokio::spawn(async move {
                let kinds = [Kind::Plan, Kind::Concern, Kind::Provision, Kind::Session];
                let mut mine = Vec::new();
                for i in writer.. {
                    let kind = kinds[i % kinds.len()];
                    match write_once(&http, &base, &target, kind, writer, &unexpected).await {
                        Ok(Some(id)) => mine.push((kind, id)),
                        Ok(None) => {}
                        Err(()) => break,
                    }
                }
                mine
            }));
        }
        let delay = rng.range(50, 400);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        // SIGKILL on Unix: no shutdown, no flush.
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        let mut this_round = 0;
        for w in writers {
            let mine = w.await.unwrap();
            this_round += mine.len();
            acked.extend(mine);
        }
        let unexpected = unexpected.lock().unwrap().clone();
        assert!(
            unexpected.is_empty(),
            "round {round}: refused writes {unexpected:?}\n{}",
            output_of(&dir, &format!("serve-{round}"))
        );
        println!("round {round}: killed after {delay} ms, {this_round} writes acknowledged");
        check_after_kill(&url, &acked, round).await;
    }
    println!(
        "{db:?}: {rounds} rounds, {} acknowledged writes all kept, in {:.1} s",
        acked.len(),
        started.elapsed().as_secs_f64()
    );
    for kind in [Kind::Plan, Kind::Concern, Kind::Provision, Kind::Session] {
        let n = acked.iter().filter(|(k, _)| *k == kind).count();
        println!("  {kind:?}: {n} acknowledged");
        assert!(
            n > 0,
            "no {kind:?} was ever acknowledged: the harness did not write"
        );
    }
    cleanup(drop_pg, &dir).await;
}

async fn cleanup(drop_pg: Option<(String, String)>, dir: &Path) {
    if let Some((admin, name)) = drop_pg {
        admin_exec(
            &admin,
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )
        .await;
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sr_33_kill_minus_nine_loses_no_acknowledged_write_sqlite() {
    kill_minus_nine_rounds(Db::Sqlite, kill_rounds(KILL_ROUNDS)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sr_33_kill_minus_nine_loses_no_acknowledged_write_postgres() {
    kill_minus_nine_rounds(Db::Postgres, kill_rounds(KILL_ROUNDS_POSTGRES)).await;
}

// ---------------------------------------------------------------------------------------
// SR-34: the SQLite settings.

async fn pragma(conn: &mut sqlx::AnyConnection, name: &str) -> String {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
        .fetch_one(conn)
        .await
        .unwrap();
    row.try_get::<String, _>(0)
        .map(|s| s.to_ascii_lowercase())
        .unwrap_or_else(|_| row.try_get::<i64, _>(0).unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sr_34_every_pooled_connection_has_the_required_pragmas() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    // The pool holds at most 8 connections: holding 8 at once reads every one of them, the
    // server's own (the test server shares this store).
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(app.store.pool().acquire().await.unwrap());
    }
    for (i, conn) in held.iter_mut().enumerate() {
        let conn: &mut sqlx::AnyConnection = conn;
        assert_eq!(pragma(conn, "journal_mode").await, "wal", "connection {i}");
        assert_eq!(
            pragma(conn, "synchronous").await,
            "2",
            "connection {i}: FULL"
        );
        assert_eq!(pragma(conn, "foreign_keys").await, "1", "connection {i}");
        let busy: i64 = pragma(conn, "busy_timeout").await.parse().unwrap();
        assert!(busy >= 5000, "connection {i}: busy_timeout {busy}");
        assert_eq!(pragma(conn, "secure_delete").await, "1", "connection {i}");
    }
    drop(held);
    app.stop().await;
}

#[test]
fn sr_34_a_wrong_setting_refuses_to_start() {
    // An in-memory database cannot be in WAL mode (its journal stays in memory, and nothing
    // would survive a restart): Senco reads the setting back and refuses to start.
    let dir = std::env::temp_dir().join(format!("senco-pragma-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = spawn_senco(
        &[
            "serve",
            "--database-url",
            "sqlite::memory:",
            "--bind",
            "127.0.0.1:0",
        ],
        &dir,
        "serve",
    );
    let status = wait_bounded(&mut child).expect("senco serve kept running on a wrong setting");
    let text = output_of(&dir, "serve");
    assert!(!status.success(), "{text}");
    assert!(
        text.contains("SQLite setting journal_mode is memory, expected wal"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------------------------
// SR-37: migrations.

/// Every table, index and trigger with its SQL, on SQLite; every column, index, constraint,
/// trigger and policy on PostgreSQL: what a schema version is.
async fn schema_of(store: &Store) -> Vec<String> {
    let sql = match store.backend() {
        senco_store::Backend::Sqlite => {
            "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') AS s FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
        }
        senco_store::Backend::Postgres => {
            "SELECT s FROM ( \
               SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || COALESCE(column_default, '') AS s \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
               UNION ALL SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() \
               UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
                 FROM pg_constraint WHERE connamespace = current_schema()::regnamespace \
               UNION ALL SELECT 'trigger ' || tgrelid::regclass::text || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal \
               UNION ALL SELECT 'policy ' || tablename || ' ' || policyname FROM pg_policies WHERE schemaname = current_schema() \
               UNION ALL SELECT 'rls ' || relname || ' ' || relrowsecurity::text || relforcerowsecurity::text FROM pg_class \
                 WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' \
             ) x ORDER BY s"
        }
    };
    sqlx::query(sql)
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>("s").unwrap())
        .collect()
}

/// The schema of every version from [`OLD_VERSION`] to the latest, each from a fresh
/// database migrated that far.
async fn reference_schemas(db: Db) -> BTreeMap<i64, Vec<String>> {
    let now = datetime!(2026-11-23 10:00 UTC);
    let mut out = BTreeMap::new();
    for version in OLD_VERSION..=senco_store::migrate::latest_version() {
        let (url, drop_pg, dir) = fresh_database(db).await.unwrap();
        let store = Store::connect(&url).await.unwrap();
        store.migrate_to(version, now).await.unwrap();
        assert_eq!(store.schema_version().await.unwrap(), version);
        out.insert(version, schema_of(&store).await);
        store.close().await;
        cleanup(drop_pg, &dir).await;
    }
    out
}

/// An authority's records at schema version 7, written with plain SQL because the store's
/// inserts are for the current schema.
async fn old_fixture(url: &str) {
    let store = Store::connect(url).await.unwrap();
    store
        .migrate_to(OLD_VERSION, datetime!(2026-11-23 10:00 UTC))
        .await
        .unwrap();
    let at = "'2026-01-05T09:00:00.000000Z'";
    let n = |count: i64| {
        format!("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})")
    };
    let school_of_pupil = |pupil: &str| format!("'s' || (({pupil}) % {FIXTURE_SCHOOLS} + 1)");
    let statements = [
        format!(
            "INSERT INTO local_authorities (id, code, name, country, created_at) VALUES ('la1', '886', 'Northmoor', 'england', {at})"
        ),
        format!(
            "INSERT INTO schools (id, la_id, urn, estab_number, name, phase, country, maintained, created_at) \
             {} SELECT 's' || i, 'la1', CAST(100000 + i AS TEXT), CAST(2000 + i AS TEXT), 'School ' || i, 'primary', 'england', 1, {at} FROM n",
            n(FIXTURE_SCHOOLS)
        ),
        format!(
            "INSERT INTO users (id, email, name, role, la_id, created_at, updated_at) \
             {} SELECT 'u' || i, 'specialist' || i || '@la1.example', 'Specialist ' || i, 'specialist', 'la1', {at}, {at} FROM n",
            n(200)
        ),
        format!(
            "INSERT INTO pupils (id, school_id, legal_forename, legal_surname, date_of_birth, sex, search_text, created_at, updated_at) \
             {} SELECT 'p' || i, {}, 'Forename' || i, 'Surname' || i, '2016-05-01', 'F', 'forename' || i || ' surname' || i, {at}, {at} FROM n",
            n(FIXTURE_PUPILS),
            school_of_pupil("i - 1")
        ),
        format!(
            "INSERT INTO involvements (id, pupil_id, school_id, specialist_user_id, status, consent_recorded_on, created_at) \
             {} SELECT 'i' || i, 'p' || ((i - 1) % {FIXTURE_PUPILS} + 1), {}, 'u' || (i % 200 + 1), 'active', '2026-01-05', {at} FROM n",
            n(FIXTURE_INVOLVEMENTS),
            school_of_pupil(&format!("(i - 1) % {FIXTURE_PUPILS}"))
        ),
    ];
    let mut tx = store.begin().await.unwrap();
    for sql in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    senco_store::commit(tx).await.unwrap();
    if store.backend() == senco_store::Backend::Sqlite {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(store.pool())
            .await
            .unwrap();
    }
    store.close().await;
}

/// After a kill: the database is intact, at a version it fully has, with every record.
async fn check_migrated_state(
    url: &str,
    schemas: &BTreeMap<i64, Vec<String>>,
    context: &str,
) -> i64 {
    let store = Store::connect(url).await.expect("reopen after the kill");
    if store.backend() == senco_store::Backend::Sqlite {
        let integrity: String = sqlx::query("PRAGMA integrity_check")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(integrity, "ok", "{context}");
        let fk = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(store.pool())
            .await
            .unwrap();
        assert!(fk.is_empty(), "{context}: foreign_key_check");
    }
    let version = store.schema_version().await.unwrap();
    let expected = schemas
        .get(&version)
        .unwrap_or_else(|| panic!("{context}: version {version} is not one of the expected"));
    let found = schema_of(&store).await;
    let extra: Vec<&String> = found.iter().filter(|s| !expected.contains(s)).collect();
    let missing: Vec<&String> = expected.iter().filter(|s| !found.contains(s)).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "{context}: the schema is not exactly version {version}'s: extra {extra:#?}, missing {missing:#?}"
    );
    let count = |table: &'static str| {
        let store = store.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) AS n FROM {table}"
            )))
            .fetch_one(store.pool())
            .await
            .unwrap()
            .try_get::<i64, _>("n")
            .unwrap()
        }
    };
    assert_eq!(count("pupils").await, FIXTURE_PUPILS, "{context}");
    assert_eq!(
        count("involvements").await,
        FIXTURE_INVOLVEMENTS,
        "{context}"
    );
    let matched: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM involvements i JOIN pupils p ON p.id = i.pupil_id AND p.school_id = i.school_id \
         WHERE i.status = 'active' AND i.consent_recorded_on = '2026-01-05'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap()
    .try_get("n")
    .unwrap();
    assert_eq!(
        matched, FIXTURE_INVOLVEMENTS,
        "{context}: involvements changed"
    );
    store.close().await;
    version
}

/// Runs `senco migrate` to the end and checks the result.
fn migrate_to_the_end(url: &str, dir: &Path, name: &str) {
    let mut child = spawn_senco(&["migrate", "--database-url", url], dir, name);
    let status = wait_bounded(&mut child).expect("senco migrate did not finish");
    assert!(status.success(), "{}", output_of(dir, name));
}

fn wal_size(db_file: &Path) -> u64 {
    let mut wal = db_file.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(PathBuf::from(wal))
        .map(|m| m.len())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sr_37_a_migration_killed_part_way_leaves_the_previous_version_intact_sqlite() {
    let started = Instant::now();
    let mut rng = Rng::from_env("migration kill on SQLite");
    let schemas = reference_schemas(Db::Sqlite).await;
    let (url, _, dir) = fresh_database(Db::Sqlite).await.unwrap();
    old_fixture(&url).await;
    let fixture = dir.join("senco.db");
    let fixture_size = std::fs::metadata(&fixture).unwrap().len();
    let latest = senco_store::migrate::latest_version();
    // How long a whole run takes here, so that odd rounds can kill at any moment of one.
    let calibration = dir.join("calibration");
    std::fs::create_dir_all(&calibration).unwrap();
    std::fs::copy(&fixture, calibration.join("senco.db")).unwrap();
    let whole_run = Instant::now();
    migrate_to_the_end(
        &format!("sqlite://{}", calibration.join("senco.db").display()),
        &calibration,
        "calibration",
    );
    let whole_run = whole_run.elapsed().as_millis() as u64;
    let mut interrupted_in_the_rewrite = 0;
    let mut outcomes = Vec::new();
    for round in 0..MIGRATION_ROUNDS {
        let round_dir = dir.join(format!("round-{round}"));
        std::fs::create_dir_all(&round_dir).unwrap();
        let db_file = round_dir.join("senco.db");
        std::fs::copy(&fixture, &db_file).unwrap();
        let round_url = format!("sqlite://{}", db_file.display());
        // Even rounds kill once the migration has written a random amount to the write-ahead
        // log, early in the rewrite of the involvements table (migration 8 copies every row in
        // one transaction, so its pages reach the log before its commit); odd rounds kill at
        // a random moment of a whole run, which may fall in any migration or after them all.
        let (threshold, deadline) = if round % 2 == 0 {
            (rng.range(1, fixture_size / 4), u64::MAX)
        } else {
            (u64::MAX, rng.range(0, whole_run))
        };
        let name = format!("migrate-{round}");
        let spawned = Instant::now();
        let mut child = spawn_senco(
            &["migrate", "--database-url", &round_url],
            &round_dir,
            &name,
        );
        let mut seen = 0;
        let finished = loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "{}", output_of(&round_dir, &name));
                break true;
            }
            seen = wal_size(&db_file);
            if seen >= threshold || spawned.elapsed().as_millis() as u64 >= deadline {
                child.kill().unwrap();
                child.wait().unwrap();
                break false;
            }
            std::thread::sleep(Duration::from_micros(500));
        };
        let context = format!("round {round} (killed at {seen} bytes of log)");
        let version = check_migrated_state(&round_url, &schemas, &context).await;
        if !finished {
            // The log held pages while the database still said version 7: migration 8 was
            // part-way, and the crash left version 7 exactly.
            if version == OLD_VERSION && seen > 0 {
                interrupted_in_the_rewrite += 1;
            }
        } else {
            assert_eq!(version, latest, "{context}");
        }
        outcomes.push(if finished {
            "finished".to_string()
        } else {
            format!("killed at version {version}")
        });
        // Running it again completes.
        migrate_to_the_end(&round_url, &round_dir, &format!("again-{round}"));
        assert_eq!(
            check_migrated_state(&round_url, &schemas, &format!("{context}, run again")).await,
            latest
        );
        let _ = std::fs::remove_dir_all(&round_dir);
    }
    println!(
        "SQLite: {MIGRATION_ROUNDS} rounds on {FIXTURE_PUPILS} pupils and {FIXTURE_INVOLVEMENTS} involvements \
         ({fixture_size} bytes, a whole run {whole_run} ms): {outcomes:?}, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        interrupted_in_the_rewrite > 0,
        "no round was killed inside migration 8: {outcomes:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sr_37_a_migration_killed_part_way_leaves_the_previous_version_intact_postgres() {
    let Some((url, drop_pg, dir)) = fresh_database(Db::Postgres).await else {
        return;
    };
    let schemas = reference_schemas(Db::Postgres).await;
    old_fixture(&url).await;
    let latest = senco_store::migrate::latest_version();
    // Hold the involvements table, so that migration 8 stops inside its transaction, after
    // its first statements (the agencies tables) and at its first change of the table.
    sqlx::any::install_default_drivers();
    let mut holder = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE involvements IN ACCESS EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .unwrap();
    let mut child = spawn_senco(&["migrate", "--database-url", &url], &dir, "migrate");
    let watcher = Store::connect(&url).await.unwrap();
    let mut waiting_pid = None;
    for _ in 0..1200 {
        let row = sqlx::query(
            "SELECT MIN(pid) AS pid FROM pg_locks WHERE NOT granted AND relation = 'involvements'::regclass",
        )
        .fetch_one(watcher.pool())
        .await
        .unwrap();
        if let Some(pid) = row.try_get::<Option<i32>, _>("pid").unwrap() {
            waiting_pid = Some(pid);
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "senco migrate ended before reaching migration 8: {}",
            output_of(&dir, "migrate")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = waiting_pid.expect("migration 8 never waited for the involvements table");
    child.kill().unwrap();
    child.wait().unwrap();
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();
    // The server ends the killed client's session (rolling its transaction back) once it
    // finds the connection closed.
    for _ in 0..1200 {
        let left: i64 = sqlx::query("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE pid = $1")
            .bind(pid)
            .fetch_one(watcher.pool())
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    watcher.close().await;
    let version = check_migrated_state(&url, &schemas, "PostgreSQL, killed in migration 8").await;
    assert_eq!(version, OLD_VERSION);
    migrate_to_the_end(&url, &dir, "again");
    assert_eq!(
        check_migrated_state(&url, &schemas, "PostgreSQL, run again").await,
        latest
    );
    cleanup(drop_pg, &dir).await;
}

async fn refuses_newer_and_unknown(db: Db) {
    let Some((url, drop_pg, dir)) = fresh_database(db).await else {
        return;
    };
    let store = Store::connect(&url).await.unwrap();
    store
        .migrate(datetime!(2026-11-23 10:00 UTC))
        .await
        .unwrap();
    let latest = senco_store::migrate::latest_version();
    let refused = |what: &str, expect: &str| {
        for command in ["serve", "migrate"] {
            let name = format!("{command}-{what}");
            let mut args = vec![command, "--database-url", &url];
            if command == "serve" {
                args.extend(["--bind", "127.0.0.1:0"]);
            }
            let mut child = spawn_senco(&args, &dir, &name);
            let status = wait_bounded(&mut child)
                .unwrap_or_else(|| panic!("senco {command} kept running on a database {what}"));
            let text = output_of(&dir, &name);
            assert!(!status.success(), "{command} on a database {what}: {text}");
            assert!(text.contains(expect), "{command}, {what}: {text}");
        }
    };
    let exec = |sql: String| {
        let store = store.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(store.pool())
                .await
                .unwrap();
        }
    };
    // A newer Senco migrated this database.
    exec(format!(
        "INSERT INTO senco_migrations (version, name, checksum, applied_at) VALUES ({}, 'from_the_future', '0', '2027-01-01T00:00:00.000000Z')",
        latest + 1
    ))
    .await;
    assert!(matches!(
        store.require_current_schema().await,
        Err(senco_store::StoreError::SchemaTooNew { .. })
    ));
    refused(
        "migrated by a newer Senco",
        &format!("newer than this Senco knows ({latest})"),
    );
    exec(format!(
        "DELETE FROM senco_migrations WHERE version = {}",
        latest + 1
    ))
    .await;
    store.require_current_schema().await.unwrap();
    // Another branch's migration under a number this build uses for something else.
    exec("UPDATE senco_migrations SET name = 'another_branch' WHERE version = 3".into()).await;
    refused(
        "with another branch's migration",
        "records migration 3 (another_branch), which this Senco does not have",
    );
    exec("UPDATE senco_migrations SET name = 'plans' WHERE version = 3".into()).await;
    // A gap: a migration recorded as applied is missing from the sequence.
    exec("DELETE FROM senco_migrations WHERE version = 5".into()).await;
    refused(
        "missing a migration",
        "lacks migration 5 but records later ones",
    );
    store.close().await;
    cleanup(drop_pg, &dir).await;
}

engines!(
    refuses_newer_and_unknown =>
    sr_37_senco_refuses_a_newer_schema_or_a_migration_it_does_not_know_sqlite,
    sr_37_senco_refuses_a_newer_schema_or_a_migration_it_does_not_know_postgres
);
