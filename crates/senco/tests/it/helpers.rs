//! Starting the real server on a random port with a fresh database, and a small HTTP client
//! that keeps the session cookie and the form token.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use senco::startup::{Application, ServerConfig};
pub use senco_app::Clock;
use senco_domain::Date;
use senco_domain::calendar::DateRange;
use senco_domain::history::StageReason;
use senco_domain::person::{CorrespondenceLanguage, Passphrase, Sex};
use senco_domain::role::Role;
use senco_domain::school::{Country, FrameworkKey, Phase};
use senco_store::Store;
use senco_store::pupils::{NewContact, PupilFields};
use senco_store::schools::NewSchool;
use senco_store::sen::NewStageChange;
use senco_store::users::NewUser;
use senco_web::WebConfig;
use time::OffsetDateTime;
use time::macros::{date, datetime};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A clock the test can move.
#[derive(Debug)]
pub struct TestClock(pub Mutex<OffsetDateTime>);

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    pub fn advance(&self, d: time::Duration) {
        *self.0.lock().unwrap() += d;
    }
}

/// Everything the servers of this test binary log, as JSON lines (installed once, before
/// the first server starts; with `TEST_LOG` set it is also written to standard error).
pub fn log_capture() -> Arc<Mutex<Vec<u8>>> {
    static CAPTURE: std::sync::OnceLock<Arc<Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let buffer = Arc::new(Mutex::new(Vec::new()));
            let echo = std::env::var_os("TEST_LOG").is_some();
            let sink = buffer.clone();
            let filter = tracing_subscriber::EnvFilter::new(
                "senco=trace,senco_app=trace,senco_web=trace,senco_store=trace,senco_domain=trace,sqlx=debug,tower_http=trace,axum=trace",
            );
            senco::telemetry::init_with(senco::cli::LogFormat::Json, filter, move || Capture {
                sink: sink.clone(),
                echo,
            })
            .expect("the log capture is the only subscriber of the test binary");
            buffer
        })
        .clone()
}

/// A writer into the capture buffer.
struct Capture {
    sink: Arc<Mutex<Vec<u8>>>,
    echo: bool,
}

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.sink.lock().unwrap().extend_from_slice(buf);
        if self.echo {
            let _ = std::io::stderr().write_all(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The passphrase of every fixture account.
pub const PASSPHRASE: &str = "correct horse battery staple";

/// A running server with its database.
pub struct TestApp {
    pub base: String,
    /// The database URL (for running the command line against the same database).
    pub database_url: String,
    pub store: Store,
    pub clock: Arc<TestClock>,
    pub fx: Fixture,
    pub outbox: std::path::PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    drop_pg: Option<(String, String)>,
    temp: Option<std::path::PathBuf>,
}

pub fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("senco-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The PostgreSQL admin URL for tests, or `None` (the test then says it was skipped).
pub fn postgres_url() -> Option<String> {
    std::env::var("SENCO_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

fn with_database(url: &str, name: &str) -> String {
    let (base, _) = url
        .rsplit_once('/')
        .expect("postgres URL with a database name");
    format!("{base}/{name}")
}

pub async fn admin_exec(url: &str, sql: String) {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .expect("admin statement");
}

/// A database URL for a fresh, empty database, and what to clean up afterwards.
pub async fn fresh_database(
    db: Db,
) -> Option<(String, Option<(String, String)>, std::path::PathBuf)> {
    let dir = temp_dir();
    match db {
        Db::Sqlite => Some((format!("sqlite://{}/senco.db", dir.display()), None, dir)),
        Db::Postgres => {
            let Some(admin) = postgres_url() else {
                eprintln!(
                    "skipped: SENCO_TEST_POSTGRES_URL is not set, so this PostgreSQL test did not run"
                );
                return None;
            };
            let name = format!("senco_test_{}", uuid::Uuid::new_v4().simple());
            admin_exec(&admin, format!("CREATE DATABASE {name}")).await;
            Some((with_database(&admin, &name), Some((admin, name)), dir))
        }
    }
}

impl TestApp {
    /// Starts Senco on a fresh database seeded with the fixture. `None` when the database is
    /// not available (PostgreSQL without SENCO_TEST_POSTGRES_URL).
    ///
    /// The fixture accounts have no two-factor key, so this server does not insist on one;
    /// `two_factor.rs` starts servers that do ([`TestApp::spawn_with`]).
    pub async fn spawn(db: Db) -> Option<TestApp> {
        let web = WebConfig {
            require_two_factor: false,
            ..WebConfig::default()
        };
        Self::spawn_with(db, web).await
    }

    /// Starts Senco on a fresh database with no accounts and no records at all (a new
    /// installation); `fx` is empty.
    pub async fn spawn_empty(db: Db) -> Option<TestApp> {
        Self::spawn_seeded(db, WebConfig::default(), false).await
    }

    pub async fn spawn_with(db: Db, web: WebConfig) -> Option<TestApp> {
        Self::spawn_seeded(db, web, true).await
    }

    async fn spawn_seeded(db: Db, mut web: WebConfig, seed: bool) -> Option<TestApp> {
        log_capture();
        let (url, drop_pg, dir) = fresh_database(db).await?;
        let clock = Arc::new(TestClock(Mutex::new(datetime!(2026-11-23 10:00 UTC))));
        let store = Store::connect(&url).await.expect("open store");
        store.migrate(clock.now()).await.expect("migrate");
        let fx = if seed {
            seed_fixture(&store, clock.now()).await
        } else {
            Fixture {
                school_a: String::new(),
                school_b: String::new(),
                school_w: String::new(),
                group_3b: String::new(),
                p1: String::new(),
                p2: String::new(),
                p3: String::new(),
                p4: String::new(),
                accounts: Vec::new(),
            }
        };
        web.audit_flush = Duration::from_millis(5);
        web.assets_dir =
            std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/dist"));
        let outbox = dir.join("outbox");
        let database_url = url.clone();
        let config = ServerConfig {
            database_url: url.clone(),
            bind: "127.0.0.1:0".parse().unwrap(),
            web,
            mail: senco::mail::Delivery::Files(outbox.clone()),
        };
        let app = Application::build_with_store(config, store.clone(), clock.clone())
            .await
            .expect("build app");
        let base = format!("http://{}", app.address().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async move {
            let _ = rx.await;
        }));
        Some(TestApp {
            base,
            database_url,
            store,
            clock,
            fx,
            outbox,
            stop: Some(tx),
            server: Some(server),
            drop_pg,
            temp: Some(dir),
        })
    }

    /// The PostgreSQL admin URL and database name of this app's database (`None` on SQLite).
    pub fn postgres_database(&self) -> Option<(&str, &str)> {
        self.drop_pg.as_ref().map(|(a, n)| (a.as_str(), n.as_str()))
    }

    /// Starts a second server on this app's database and clock, with another store (for
    /// example one connected as a different database role).
    pub async fn second_server(&self, store: Store, web: WebConfig) -> (String, impl FnOnce()) {
        let config = ServerConfig {
            database_url: String::new(),
            bind: "127.0.0.1:0".parse().unwrap(),
            web: WebConfig {
                audit_flush: Duration::from_millis(5),
                assets_dir: std::path::PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../assets/dist"
                )),
                ..web
            },
            mail: senco::mail::Delivery::Files(self.outbox.clone()),
        };
        let app = Application::build_with_store(config, store, self.clock.clone())
            .await
            .expect("build the second app");
        let base = format!("http://{}", app.address().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async move {
            let _ = rx.await;
        }));
        (base, move || {
            let _ = tx.send(());
        })
    }

    /// Stops the server (flushing the audit queue) and removes the database.
    pub async fn stop(mut self) {
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.store.close().await;
        if let Some((admin, name)) = self.drop_pg.take() {
            admin_exec(
                &admin,
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await;
        }
        if let Some(dir) = self.temp.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    /// A client with no session.
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// A client signed in as the fixture account `email`.
    pub async fn signed_in(&self, email: &str) -> Client {
        let c = self.client();
        let r = c
            .post_form("/sign-in", &[("email", email), ("password", PASSPHRASE)])
            .await;
        assert_eq!(r.status, 303, "sign in as {email}: {}", r.body);
        assert!(c.cookie().is_some(), "no session cookie for {email}");
        c.refresh_csrf().await;
        c
    }

    /// Waits until the read-audit queue has written the expected rows (bounded, no timing
    /// assertion: it only waits for the writer).
    pub async fn wait_for_audit(
        &self,
        pupil_id: Option<&str>,
        action: &str,
        outcome: &str,
        at_least: i64,
    ) -> i64 {
        for _ in 0..200 {
            let n = self.audits(pupil_id, action, outcome).await;
            if n >= at_least {
                return n;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.audits(pupil_id, action, outcome).await
    }

    /// Whether the database refuses `sql` (append-only tables refuse updates and deletes).
    pub async fn refuses(&self, sql: &str) -> bool {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(self.store.pool())
            .await
            .is_err()
    }

    /// The number a `SELECT COUNT(*) ..` query counts, with `binds` as `$1`, `$2`, ...
    pub async fn count(&self, sql: &str, binds: &[&str]) -> i64 {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
        for b in binds {
            q = q.bind(b.to_string());
        }
        sqlx::Row::try_get::<i64, _>(&q.fetch_one(self.store.pool()).await.unwrap(), 0).unwrap()
    }

    /// `table: n` for each of `tables` (a table name, optionally with a `WHERE`): what a
    /// refused change must leave as it was.
    pub async fn row_counts(&self, tables: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        for table in tables {
            let n = self
                .count(&format!("SELECT COUNT(*) AS n FROM {table}"), &[])
                .await;
            out.push(format!("{table}: {n}"));
        }
        out
    }

    /// How many audit rows have this action and outcome (about `pupil_id`, when given).
    pub async fn audits(&self, pupil_id: Option<&str>, action: &str, outcome: &str) -> i64 {
        self.store
            .audit_count(pupil_id, action, outcome)
            .await
            .unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(dir) = self.temp.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn title(&self) -> String {
        let start = self.body.find("<title>").map(|i| i + 7).unwrap_or(0);
        let end = self.body[start..]
            .find("</title>")
            .map(|i| i + start)
            .unwrap_or(start);
        self.body[start..end].trim().to_string()
    }
}

/// An HTTP client that keeps Senco's session cookie itself (the `__Host-` cookie is Secure,
/// and tests talk plain HTTP on loopback) and the page's form token.
pub struct Client {
    http: reqwest::Client,
    base: String,
    cookie: Mutex<Option<String>>,
    csrf: Mutex<String>,
    bearer: Option<String>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            cookie: Mutex::new(None),
            csrf: Mutex::new(String::new()),
            bearer: None,
        }
    }

    pub fn with_token(base: &str, token: &str) -> Client {
        Client {
            bearer: Some(token.to_string()),
            ..Client::new(base)
        }
    }

    pub fn cookie(&self) -> Option<String> {
        self.cookie.lock().unwrap().clone()
    }

    pub fn set_cookie(&self, value: Option<String>) {
        *self.cookie.lock().unwrap() = value;
    }

    pub fn csrf(&self) -> String {
        self.csrf.lock().unwrap().clone()
    }

    /// Reads the form token from the home page.
    pub async fn refresh_csrf(&self) {
        let r = self.get("/").await;
        if let Some(token) = find_csrf(&r.body) {
            *self.csrf.lock().unwrap() = token;
        }
    }

    pub async fn send(&self, mut req: reqwest::RequestBuilder) -> Resp {
        if let Some(c) = self.cookie() {
            req = req.header("cookie", format!("__Host-senco={c}"));
        }
        if let Some(t) = &self.bearer {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        for v in headers.get_all("set-cookie") {
            let v = v.to_str().unwrap_or("");
            if let Some(rest) = v.strip_prefix("__Host-senco=") {
                let value = rest.split(';').next().unwrap_or("").to_string();
                self.set_cookie(if value.is_empty() { None } else { Some(value) });
            }
        }
        let body = r.text().await.unwrap_or_default();
        Resp {
            status,
            headers,
            body,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(self.http.get(self.url(path))).await
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        self.send(self.http.post(self.url(path)).form(form)).await
    }

    /// Posts a form with this session's form token added.
    pub async fn post_page(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        let token = self.csrf();
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("csrf_token", &token));
        self.send(self.http.post(self.url(path)).form(&fields))
            .await
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Resp {
        self.send(self.http.post(self.url(path)).json(body)).await
    }

    pub async fn patch_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        if_match: Option<&str>,
    ) -> Resp {
        let mut req = self.http.patch(self.url(path)).json(body);
        if let Some(tag) = if_match {
            req = req.header("if-match", tag);
        }
        self.send(req).await
    }

    pub fn raw(&self) -> &reqwest::Client {
        &self.http
    }
}

/// The value of the first `csrf_token` hidden input in a page.
pub fn find_csrf(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf_token\" value=\"")? + "name=\"csrf_token\" value=\"".len();
    let end = html[at..].find('"')? + at;
    Some(html[at..end].to_string())
}

/// The records the tests use, with their relationships:
/// - school A (authority 1): pupil 1 in teacher A's group 3B, supported by TA A, child of
///   parent P (parental responsibility), contact of parent N (no parental responsibility),
///   with a requested (not consented) involvement of specialist X;
///   pupil 2 not taught by teacher A, child of parent R whose contact is restricted, with an
///   active, consented involvement of specialist S;
/// - school B (authority 1): pupil 3, shared with authority 1;
/// - school W (authority 2, Wales): pupil 4.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub school_a: String,
    pub school_b: String,
    pub school_w: String,
    pub group_3b: String,
    pub p1: String,
    pub p2: String,
    pub p3: String,
    pub p4: String,
    pub accounts: Vec<(&'static str, Role)>,
}

pub const SENCO_A: &str = "senco@a.example";
pub const TEACHER_A: &str = "teacher@a.example";
pub const TA_A: &str = "ta@a.example";
pub const HEAD_A: &str = "head@a.example";
pub const SCHOOL_ADMIN_A: &str = "office@a.example";
pub const SENCO_B: &str = "senco@b.example";
pub const PARENT_P: &str = "parent.p@example.net";
pub const PARENT_R: &str = "parent.r@example.net";
pub const PARENT_N: &str = "parent.n@example.net";
pub const SPECIALIST_S: &str = "ep.s@la1.example";
pub const SPECIALIST_X: &str = "salt.x@la1.example";
pub const OFFICER_1: &str = "officer@la1.example";
pub const OFFICER_2: &str = "officer@la2.example";
pub const ADMIN: &str = "admin@senco.example";

fn fields(
    forename: &str,
    surname: &str,
    upn: Option<&str>,
    dob: Date,
    group: Option<String>,
) -> PupilFields {
    PupilFields {
        upn: upn.map(str::to_string),
        former_upn: None,
        legal_forename: forename.into(),
        legal_surname: surname.into(),
        preferred_forename: None,
        preferred_surname: None,
        date_of_birth: dob,
        sex: Sex::Female,
        year_override: None,
        reg_group_id: group,
        looked_after: false,
        eal: false,
        fsm: false,
        language: CorrespondenceLanguage::English,
    }
}

/// Seeds the fixture described on [`Fixture`].
pub async fn seed_fixture(store: &Store, now: OffsetDateTime) -> Fixture {
    let hash =
        senco_app::credentials::hash_passphrase(&Passphrase::parse(PASSPHRASE).unwrap()).unwrap();
    let mut tx = store.begin().await.unwrap();
    let la1 = Store::insert_authority(&mut tx, "886", "Northmoor", Country::England, now)
        .await
        .unwrap();
    let la2 = Store::insert_authority(&mut tx, "672", "Glannau", Country::Wales, now)
        .await
        .unwrap();
    let school =
        |la: String, urn: &'static str, estab: &'static str, name: &'static str, country| {
            (la, urn, estab, name, country)
        };
    let specs = [
        school(la1.clone(), "100001", "2001", "School A", Country::England),
        school(la1.clone(), "100002", "2002", "School B", Country::England),
        school(la2.clone(), "100003", "2003", "Ysgol W", Country::Wales),
    ];
    let mut ids = Vec::new();
    for (la, urn, estab, name, country) in &specs {
        let id = Store::insert_school(
            &mut tx,
            &NewSchool {
                la_id: la,
                urn,
                estab_number: estab,
                name,
                phase: Phase::Primary,
                country: *country,
                maintained: true,
            },
            now,
        )
        .await
        .unwrap();
        let framework = if *country == Country::England {
            FrameworkKey::England2001
        } else {
            FrameworkKey::Wales2002
        };
        Store::insert_school_framework(&mut tx, &id, framework, date!(2002 - 01 - 01))
            .await
            .unwrap();
        ids.push(id);
    }
    Store::insert_school_framework(
        &mut tx,
        &ids[2],
        FrameworkKey::WalesAln2021,
        date!(2021 - 09 - 01),
    )
    .await
    .unwrap();
    Store::insert_term(
        &mut tx,
        &la1,
        None,
        DateRange::new(date!(2026 - 09 - 02), date!(2026 - 10 - 23)).unwrap(),
    )
    .await
    .unwrap();
    let (a, b, w) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
    let accounts: Vec<(&'static str, Role, Option<&String>, Option<&String>)> = vec![
        (SENCO_A, Role::Senco, Some(&a), None),
        (TEACHER_A, Role::Teacher, Some(&a), None),
        (TA_A, Role::TeachingAssistant, Some(&a), None),
        (HEAD_A, Role::Head, Some(&a), None),
        (SCHOOL_ADMIN_A, Role::SchoolAdmin, Some(&a), None),
        (SENCO_B, Role::Senco, Some(&b), None),
        (PARENT_P, Role::Parent, None, None),
        (PARENT_R, Role::Parent, None, None),
        (PARENT_N, Role::Parent, None, None),
        (SPECIALIST_S, Role::Specialist, None, None),
        (SPECIALIST_X, Role::Specialist, None, None),
        (OFFICER_1, Role::LaOfficer, None, Some(&la1)),
        (OFFICER_2, Role::LaOfficer, None, Some(&la2)),
        (ADMIN, Role::Admin, None, None),
    ];
    let mut user_ids = std::collections::HashMap::new();
    for (email, role, school, la) in &accounts {
        let id = Store::insert_user(
            &mut tx,
            &NewUser {
                email,
                name: &format!("{} user", role.label()),
                role: *role,
                school_id: school.map(String::as_str),
                la_id: la.map(String::as_str),
                password_hash: Some(&hash),
                must_change_password: false,
            },
            now,
        )
        .await
        .unwrap();
        user_ids.insert(*email, id);
    }
    let group = Store::insert_reg_group(&mut tx, &a, "3B", Some(3), Some(&user_ids[TEACHER_A]))
        .await
        .unwrap();
    let enrolled = date!(2024 - 09 - 04);
    let p1 = Store::insert_pupil(
        &mut tx,
        &a,
        &fields(
            "Amelia",
            "Thornbury",
            Some("B801200005001"),
            date!(2017 - 10 - 12),
            Some(group.clone()),
        ),
        enrolled,
        now,
    )
    .await
    .unwrap();
    let p2 = Store::insert_pupil(
        &mut tx,
        &a,
        &fields("Bethan", "Quill", None, date!(2018 - 10 - 01), None),
        enrolled,
        now,
    )
    .await
    .unwrap();
    let p3 = Store::insert_pupil(
        &mut tx,
        &b,
        &fields("Cerys", "Marlowe", None, date!(2016 - 05 - 20), None),
        enrolled,
        now,
    )
    .await
    .unwrap();
    let p4 = Store::insert_pupil(
        &mut tx,
        &w,
        &fields("Dafydd", "Penlan", None, date!(2015 - 07 - 07), None),
        enrolled,
        now,
    )
    .await
    .unwrap();
    Store::insert_teaching_assignment(&mut tx, &a, &user_ids[TA_A], &p1)
        .await
        .unwrap();
    let contact = |name: &'static str, pr: bool, restricted: bool, user: &'static str| NewContact {
        name,
        relationship: "Parent",
        parental_responsibility: pr,
        restricted,
        email: Some(user),
        phone: None,
        user_id: None,
    };
    for (pupil, c, user) in [
        (&p1, contact("Pat Parent", true, false, PARENT_P), PARENT_P),
        (&p1, contact("Nia Nopr", false, false, PARENT_N), PARENT_N),
        (
            &p2,
            contact("Rob Restricted", true, true, PARENT_R),
            PARENT_R,
        ),
    ] {
        let c = NewContact {
            user_id: Some(&user_ids[user]),
            ..c
        };
        Store::insert_contact(&mut tx, pupil, &a, &c, now)
            .await
            .unwrap();
    }
    Store::insert_involvement(
        &mut tx,
        &p2,
        &a,
        &user_ids[SPECIALIST_S],
        "active",
        Some(date!(2026 - 11 - 01)),
        now,
    )
    .await
    .unwrap();
    Store::insert_involvement(
        &mut tx,
        &p1,
        &a,
        &user_ids[SPECIALIST_X],
        "requested",
        None,
        now,
    )
    .await
    .unwrap();
    Store::insert_la_share(&mut tx, &p3, &b, &la1, now)
        .await
        .unwrap();
    senco_store::commit(tx).await.unwrap();
    Fixture {
        school_a: a.clone(),
        school_b: b.clone(),
        school_w: w.clone(),
        group_3b: group,
        p1,
        p2,
        p3,
        p4,
        accounts: accounts.iter().map(|(e, r, _, _)| (*e, *r)).collect(),
    }
}

/// Runs an async test body on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Db::Sqlite).await {
                        super::$name(&app).await;
                        app.stop().await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Db::Postgres).await {
                        super::$name(&app).await;
                        app.stop().await;
                    }
                }
            )*
        }
    };
}

/// Two tests, one per engine, for a test function that takes the engine (`fn(Db)`) because it
/// starts its own server: `engines!(f => f_sqlite, f_postgres);`.
#[macro_export]
macro_rules! engines {
    ($($test:ident => $sqlite:ident, $postgres:ident);* $(;)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $sqlite() {
                $test($crate::helpers::Db::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $postgres() {
                $test($crate::helpers::Db::Postgres).await;
            }
        )*
    };
}

/// The text of a PDF, whitespace folded (needs `pdftotext` from poppler-utils).
pub fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    let file = std::env::temp_dir().join(format!("senco-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (Debian package poppler-utils) is needed to read PDFs in tests");
    let _ = std::fs::remove_file(&file);
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl Client {
    /// The raw bytes of a GET (for PDFs and CSV).
    pub async fn get_bytes(&self, path: &str) -> (u16, Vec<u8>) {
        let mut req = self.http.get(self.url(path));
        if let Some(c) = self.cookie() {
            req = req.header("cookie", format!("__Host-senco={c}"));
        }
        if let Some(t) = &self.bearer {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.bytes().await.unwrap_or_default().to_vec())
    }
}

/// Records an entry of a pupil's stage history straight through the store (the stage in
/// force is not updated: tests of the history itself, the census and the schema use it).
pub async fn record_stage(
    app: &TestApp,
    pupil: &str,
    school: &str,
    framework: FrameworkKey,
    stage: senco_domain::framework::Stage,
    on: Date,
) -> String {
    let mut tx = app.store.begin().await.unwrap();
    let reason = StageReason::Given("Progress well below that of peers".into());
    let id = Store::insert_stage_change(
        &mut tx,
        pupil,
        school,
        &given_stage(framework, stage, on, &reason),
        app.clock.now(),
    )
    .await
    .unwrap();
    senco_store::commit(tx).await.unwrap();
    id
}

/// A stage change made for `reason` on `on`, with nothing else recorded about it.
pub fn given_stage(
    framework: FrameworkKey,
    stage: senco_domain::framework::Stage,
    on: Date,
    reason: &StageReason,
) -> NewStageChange<'_> {
    NewStageChange {
        framework,
        stage,
        effective_on: on,
        reason,
        decided_by: None,
        decided_with: None,
        specialists: None,
        supersedes: None,
        imported: false,
        recorded_by: None,
    }
}

/// Records `codes` as a pupil's needs from `on`, ranked in their order.
pub async fn insert_needs(
    tx: &mut senco_store::Tx,
    pupil: &str,
    school: &str,
    codes: &[&str],
    on: Date,
    now: OffsetDateTime,
) {
    for (i, code) in codes.iter().enumerate() {
        Store::insert_need(
            tx,
            pupil,
            school,
            &senco_store::sen::NewNeed {
                code,
                rank: i as i64 + 1,
                starts_on: on,
                recorded_by: None,
            },
            now,
        )
        .await
        .unwrap();
    }
}

/// The token of the newest invitation (or reset) link emailed to `email`, if any.
pub async fn invitation_token(app: &TestApp, email: &str) -> Option<String> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT body FROM outbox WHERE to_address = $1 AND body LIKE '%/sign-in/reset?token=%' \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(email)
    .fetch_optional(app.store.pool())
    .await
    .unwrap();
    let (body,) = row?;
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/sign-in/reset?token="))?;
    Some(link.split("token=").nth(1)?.to_string())
}

/// Chooses a first passphrase through an invitation link.
pub async fn accept_invitation(app: &TestApp, token: &str, passphrase: &str) {
    let c = app.client();
    let page = c.get(&format!("/sign-in/reset?token={token}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let r = c
        .post_form(
            "/sign-in/reset",
            &[
                ("token", token),
                ("new", passphrase),
                ("confirm", passphrase),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}

/// Runs the `senco` binary on the test database, with `file` (its name and bytes) written to a
/// temporary folder and its path added as the last argument.
pub async fn cli_file(
    app: &TestApp,
    args: &[&str],
    file: Option<(&str, &[u8])>,
) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("senco-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    if let Some((name, bytes)) = file {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        args.push(path.display().to_string());
    }
    args.extend(["--database-url".to_string(), app.database_url.clone()]);
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_senco"))
            .args(&args)
            .env("USER", "ci-operator")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let _ = std::fs::remove_dir_all(dir);
    out
}

/// What a command printed, standard output then standard error.
pub fn cli_output(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Writes a value outside its set into a closed-set column behind Senco's back, as a
/// corruption would: `update` binds the value as `$1` and the row's id as `$2`.
pub async fn corrupt(app: &TestApp, update: &'static str, value: &str, id: &str) {
    sqlx::query(update)
        .bind(value)
        .bind(id)
        .execute(app.store.pool())
        .await
        .unwrap();
}

/// Asserts that a read failed as `StoreError::Corrupt` naming this table, column and value.
pub fn assert_corrupt<T: std::fmt::Debug>(
    read: Result<T, senco_store::StoreError>,
    table: &str,
    column: &str,
    value: &str,
) {
    match read {
        Err(senco_store::StoreError::Corrupt {
            table: t,
            column: c,
            value: v,
        }) => assert_eq!((t, c, v.as_str()), (table, column, value)),
        other => panic!("expected {table}.{column} to be corrupt, got {other:?}"),
    }
}
