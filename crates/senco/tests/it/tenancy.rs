//! SR-08 on PostgreSQL: row-level security on every pupil table, tested as `senco_app`, a
//! login role that owns nothing (created by `scripts/test-postgres.sh`), the way a
//! production server should connect. On SQLite the schema meta-test in `ops.rs` and the
//! canary crawl carry tenancy; these tests say they were skipped there.

use senco_store::Store;
use senco_store::pupils::{PupilFilter, Scope};
use senco_store::tenancy::{Tenant, within};
use sqlx::{Connection, Row};

use crate::helpers::*;

/// The fixture on PostgreSQL, the database granted to `senco_app`, and its URL as that role.
async fn as_app_role() -> Option<(TestApp, String)> {
    let app = TestApp::spawn(Db::Postgres).await?;
    let (admin, name) = app.postgres_database().expect("a PostgreSQL app");
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    // What `senco migrate --grant-to senco_app` does, as the tables' owner.
    app.store
        .grant_to("senco_app")
        .await
        .expect("grant to senco_app");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "GRANT CONNECT ON DATABASE {name} TO senco_app"
    )))
    .execute(app.store.pool())
    .await
    .unwrap();
    for bad in ["", "senco_app; DROP TABLE pupils", "Senco", "a-b"] {
        assert!(app.store.grant_to(bad).await.is_err(), "{bad:?}");
    }
    let app_url = url
        .replacen("://senco_test:senco_test@", "://senco_app:senco_app@", 1)
        .replacen("://senco_test@", "://senco_app@", 1);
    assert!(
        app_url.contains("senco_app"),
        "the test database URL must name the senco_test role (scripts/test-postgres.sh)"
    );
    Some((app, app_url))
}

/// Waits (bounded) until the app role's connections have gone, so that the test database
/// can be dropped: its owner may not end another role's backends.
async fn stop(app: TestApp) {
    let (_, name) = app.postgres_database().unwrap();
    let name = name.to_string();
    for _ in 0..200 {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 AND usename = 'senco_app'",
        )
        .bind(name.clone())
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get(0);
        if n == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.stop().await;
}

async fn raw(url: &str) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(url)
        .await
        .expect("connect as senco_app (run scripts/test-postgres.sh to create the role)")
}

async fn count(conn: &mut sqlx::AnyConnection, sql: &str, bind: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(bind.to_string())
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get::<i64, _>(0)
}

async fn set_schools(conn: &mut sqlx::AnyConnection, value: &str) {
    sqlx::query("SELECT set_config('senco.schools', $1, false)")
        .bind(value.to_string())
        .execute(&mut *conn)
        .await
        .unwrap();
}

/// Tables that carry a school but hold no pupil's data: the school's set-up, catalogue and
/// staff. Every other table with a `school_id` (or a `pupil_id`) must have the policy.
const NOT_PUPIL_DATA: &[&str] = &[
    "school_frameworks",
    "calendar_entries",
    "users",
    "reg_groups",
    "provisions",
    "agencies",
    "agency_people",
    "target_bank",
    // The audit log outlives the records and is read by `senco audit verify` as a whole
    // chain; it holds ids only and is append-only (SR-26).
    "audit_log",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sr_08_every_pupil_table_forces_row_level_security_with_a_policy() {
    let Some(app) = TestApp::spawn(Db::Postgres).await else {
        return;
    };
    let rows = sqlx::query(
        "SELECT c.relname::text AS t, c.relrowsecurity AS on_, c.relforcerowsecurity AS forced, \
         (SELECT COUNT(*) FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname \
            AND p.qual LIKE '%senco_may_touch(school_id)%' AND p.with_check LIKE '%senco_may_touch(school_id)%') AS policies \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND EXISTS (SELECT 1 FROM information_schema.columns col \
            WHERE col.table_schema = 'public' AND col.table_name = c.relname AND col.column_name IN ('pupil_id', 'school_id')) \
         ORDER BY 1",
    )
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    let mut checked = 0;
    for r in &rows {
        let table: String = r.get("t");
        if NOT_PUPIL_DATA.contains(&table.as_str()) {
            continue;
        }
        checked += 1;
        assert!(
            r.get::<bool, _>("on_"),
            "{table}: row-level security is off"
        );
        assert!(
            r.get::<bool, _>("forced"),
            "{table}: row-level security is not forced"
        );
        assert_eq!(r.get::<i64, _>("policies"), 1, "{table}: no tenant policy");
    }
    assert!(checked >= 25, "only {checked} tables checked");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sr_08_as_the_app_role_other_schools_are_hidden_unset_fails_closed_and_writes_are_checked()
{
    let Some((app, url)) = as_app_role().await else {
        return;
    };
    let (a, b) = (app.fx.school_a.clone(), app.fx.school_b.clone());
    let mut conn = raw(&url).await;
    let role: String = sqlx::query("SELECT current_user::text")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    assert_eq!(role, "senco_app");

    // Nothing set: no pupil rows at all, in any pupil table.
    for table in ["pupils", "needs", "contacts", "involvements", "la_shares"] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE school_id <> $1");
        assert_eq!(count(&mut conn, &sql, "").await, 0, "{table} unset");
    }
    // Empty is the same as unset.
    set_schools(&mut conn, "").await;
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) FROM pupils WHERE id <> $1", "").await,
        0
    );

    // School A only: A's pupils, none of B's, even when asked for by id.
    set_schools(&mut conn, &a).await;
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) FROM pupils WHERE school_id = $1",
            &a
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) FROM pupils WHERE school_id = $1",
            &b
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) FROM pupils WHERE id = $1",
            &app.fx.p3
        )
        .await,
        0
    );
    // Updates and deletes of B's rows touch nothing.
    let updated = sqlx::query("UPDATE pupils SET legal_surname = 'Changed' WHERE id = $1")
        .bind(app.fx.p3.clone())
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(updated.rows_affected(), 0);
    let deleted = sqlx::query("DELETE FROM la_shares WHERE school_id = $1")
        .bind(b.clone())
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 0);
    // Writing a row for school B, or moving A's pupil there, is refused by WITH CHECK.
    let insert = sqlx::query(
        "INSERT INTO la_shares (id, pupil_id, school_id, la_id, shared_at) \
         SELECT 'forged', $1, $2, la_id, '2026-11-23T10:00:00Z' FROM schools WHERE id = $2",
    )
    .bind(app.fx.p3.clone())
    .bind(b.clone())
    .execute(&mut conn)
    .await
    .expect_err("a cross-school insert must be refused");
    assert!(
        insert.to_string().contains("row-level security"),
        "{insert}"
    );
    let moved = sqlx::query("UPDATE pupils SET school_id = $1 WHERE id = $2")
        .bind(b.clone())
        .bind(app.fx.p1.clone())
        .execute(&mut conn)
        .await
        .expect_err("moving a pupil out of the request's schools must be refused");
    assert!(moved.to_string().contains("row-level security"), "{moved}");

    // The table owner's view is unchanged: the refused writes did nothing.
    let owner_b: i64 = sqlx::query("SELECT COUNT(*) FROM pupils WHERE school_id = $1")
        .bind(b.clone())
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(owner_b, 1);
    conn.close().await.unwrap();

    // Through the store: even the operator's unrestricted query sees only the request's
    // schools, and nothing without one.
    let store = Store::connect(&url).await.unwrap();
    let filter = PupilFilter::default();
    let seen = within(
        Tenant::Schools(vec![a.clone()]),
        store.pupils(&Scope::Operator, &filter, 1, 100),
    )
    .await
    .unwrap();
    assert!(!seen.items.is_empty());
    assert!(seen.items.iter().all(|p| p.school_id == a), "{seen:?}");
    let none = within(
        Tenant::Nothing,
        store.pupils(&Scope::Operator, &filter, 1, 100),
    )
    .await
    .unwrap();
    assert!(none.items.is_empty(), "{none:?}");
    store.close().await;
    stop(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sr_08_the_server_works_as_the_app_role_and_each_request_sees_its_own_school() {
    let Some((app, url)) = as_app_role().await else {
        return;
    };
    let store = Store::connect(&url).await.unwrap();
    let (base, stop_second) = app
        .second_server(
            store.clone(),
            senco_web::WebConfig {
                require_two_factor: false,
                ..senco_web::WebConfig::default()
            },
        )
        .await;
    let c = Client::new(&base);
    let r = c
        .post_form("/sign-in", &[("email", SENCO_A), ("password", PASSPHRASE)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    c.refresh_csrf().await;
    assert_eq!(c.get(&format!("/pupils/{}", app.fx.p1)).await.status, 200);
    assert_eq!(c.get(&format!("/pupils/{}", app.fx.p3)).await.status, 404);
    let b = Client::new(&base);
    let r = b
        .post_form("/sign-in", &[("email", SENCO_B), ("password", PASSPHRASE)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    b.refresh_csrf().await;
    assert_eq!(b.get(&format!("/pupils/{}", app.fx.p3)).await.status, 200);
    assert_eq!(b.get(&format!("/pupils/{}", app.fx.p1)).await.status, 404);
    stop_second();
    store.close().await;
    stop(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sr_30_the_app_role_can_neither_write_a_prune_permit_nor_delete_audit_or_destruction_rows()
{
    let Some((app, url)) = as_app_role().await else {
        return;
    };
    let mut e = senco_app::retention::job_event(app.clock.now());
    e.record_type = "setting";
    app.store.audit(&e).await.unwrap();
    {
        let mut conn = raw(&url).await;
        set_schools(&mut conn, "*").await;
        for sql in [
            "DELETE FROM audit_log WHERE seq = (SELECT MIN(seq) FROM audit_log)",
            "INSERT INTO audit_prune_permit (id, up_to_seq) VALUES (1, 1000000)",
            "DELETE FROM audit_log",
            "UPDATE audit_log SET action = 'read'",
            "DELETE FROM destruction_log",
        ] {
            assert!(
                sqlx::query(sql).execute(&mut conn).await.is_err(),
                "senco_app may run {sql}"
            );
        }
        // It may read the permit table, which no committed transaction leaves a row in.
        assert_eq!(
            count(
                &mut conn,
                "SELECT COUNT(*) FROM audit_prune_permit WHERE $1 = ''",
                ""
            )
            .await,
            0
        );
    }
    stop(app).await;
}

/// SR-27 (issue 16, point 6): as the server's role, an audit row without its hash chain was
/// accepted and passed `senco audit verify` as "written before the chain existed". It is
/// refused now, and the role cannot drop the check (it owns no table).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sr_27_the_app_role_cannot_write_an_audit_row_without_its_hash_chain() {
    let Some((app, url)) = as_app_role().await else {
        return;
    };
    {
        let mut conn = raw(&url).await;
        set_schools(&mut conn, "*").await;
        for (prev, hash) in [(None, None), (Some(""), Some("")), (Some("genesis"), None)] {
            let r = sqlx::query(
                "INSERT INTO audit_log (at, channel, actor_label, record_type, action, outcome, \
                 prev_hash, hash) VALUES ('2026-11-23T10:00:00Z', 'web', 'forged@a.example', \
                 'pupil', 'read', 'allowed', $1, $2)",
            )
            .bind(prev)
            .bind(hash)
            .execute(&mut conn)
            .await;
            assert!(
                r.is_err(),
                "senco_app wrote an unhashed audit row: {prev:?} {hash:?}"
            );
        }
        for sql in [
            "ALTER TABLE audit_log DROP CONSTRAINT audit_log_sealed",
            "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        ] {
            assert!(
                sqlx::query(sql).execute(&mut conn).await.is_err(),
                "senco_app may run {sql}"
            );
        }
    }
    assert_eq!(app.store.verify_audit().await.unwrap().first_bad, None);
    stop(app).await;
}
