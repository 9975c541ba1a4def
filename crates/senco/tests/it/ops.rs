use crate::both;
use crate::helpers::*;

both!(
    health_readiness_and_metrics_answer_and_metrics_name_route_templates,
    every_response_carries_the_security_headers,
    audit_rows_cannot_be_changed_or_deleted,
    every_table_with_pupil_data_carries_its_school,
    the_api_is_described_by_an_openapi_document,
    the_demo_data_loads_and_its_sign_ins_work,
);

async fn health_readiness_and_metrics_answer_and_metrics_name_route_templates(app: &TestApp) {
    let c = app.client();
    assert_eq!(c.get("/healthz").await.status, 200);
    assert_eq!(c.get("/readyz").await.body, "ready");
    let s = app.signed_in(SENCO_A).await;
    s.get(&format!("/pupils/{}", app.fx.p1)).await;
    let metrics = c.get("/metrics").await.body;
    assert!(metrics.contains("route=\"/pupils/{id}\""), "{metrics}");
    assert!(
        !metrics.contains(&app.fx.p1),
        "no raw path with an id in metrics"
    );
}

async fn every_response_carries_the_security_headers(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    for path in ["/", "/sign-in", "/api/v1/pupils", "/nope"] {
        let r = c.get(path).await;
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
        assert!(r.header("x-request-id").is_some(), "{path}");
    }
    let page = c.get("/").await;
    assert!(!page.body.contains("<script>"), "no inline scripts");
    assert!(!page.body.contains(" style=\""), "no inline styles");
}

async fn audit_rows_cannot_be_changed_or_deleted(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    c.get(&format!("/pupils/{}", app.fx.p1)).await;
    app.wait_for_audit(Some(&app.fx.p1), "read", "allowed", 1)
        .await;
    let update = sqlx::query("UPDATE audit_log SET outcome = 'edited'")
        .execute(app.store.pool())
        .await;
    assert!(update.is_err(), "updating audit rows must fail");
    let delete = sqlx::query("DELETE FROM audit_log")
        .execute(app.store.pool())
        .await;
    assert!(delete.is_err(), "deleting audit rows must fail");
    assert!(
        app.store
            .audit_count(Some(&app.fx.p1), "read", "allowed")
            .await
            .unwrap()
            >= 1
    );
}

async fn every_table_with_pupil_data_carries_its_school(app: &TestApp) {
    use sqlx::Row;
    let sql = match app.store.backend() {
        senco_store::Backend::Sqlite => {
            "SELECT m.name AS t, p.name AS c, p.\"notnull\" AS nn FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'"
        }
        senco_store::Backend::Postgres => {
            "SELECT table_name::text AS t, column_name::text AS c, CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS nn FROM information_schema.columns WHERE table_schema = 'public'"
        }
    };
    let rows = sqlx::query(sql).fetch_all(app.store.pool()).await.unwrap();
    let mut tables: std::collections::BTreeMap<String, Vec<(String, i64)>> = Default::default();
    for r in rows {
        tables
            .entry(r.get::<String, _>("t"))
            .or_default()
            .push((r.get("c"), r.get::<i64, _>("nn")));
    }
    // The audit log keeps ids only and outlives records, so its school may be empty.
    let exempt = ["audit_log"];
    let mut checked = 0;
    for (table, cols) in &tables {
        if exempt.contains(&table.as_str()) || !cols.iter().any(|(c, _)| c == "pupil_id") {
            continue;
        }
        checked += 1;
        let school = cols.iter().find(|(c, _)| c == "school_id");
        assert_eq!(
            school.map(|(_, nn)| *nn),
            Some(1),
            "{table} holds pupil data without a NOT NULL school_id"
        );
    }
    assert!(checked >= 6, "only {checked} tables checked");
    assert!(
        tables["pupils"]
            .iter()
            .any(|(c, nn)| c == "school_id" && *nn == 1)
    );
}

async fn the_api_is_described_by_an_openapi_document(app: &TestApp) {
    let doc = app.client().get("/api/v1/openapi.json").await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in ["/api/v1/schools", "/api/v1/pupils", "/api/v1/pupils/{id}"] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    let frameworks = &doc["components"]["schemas"]["Framework"]["enum"];
    assert_eq!(
        frameworks,
        &serde_json::json!([
            "england_2001",
            "wales_2002",
            "england_2014",
            "wales_aln_2021"
        ])
    );
    let roles = doc["components"]["schemas"]["Role"]["enum"]
        .as_array()
        .unwrap();
    assert!(roles.contains(&serde_json::json!("la_officer")));
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

async fn the_demo_data_loads_and_its_sign_ins_work(app: &TestApp) {
    // The fixture database is not empty, so load the demo into a database of its own.
    let Some((url, drop_pg, dir)) = fresh_database(match app.store.backend() {
        senco_store::Backend::Sqlite => Db::Sqlite,
        senco_store::Backend::Postgres => Db::Postgres,
    })
    .await
    else {
        return;
    };
    let store = senco_store::Store::connect(&url).await.unwrap();
    store.migrate(app.clock.now()).await.unwrap();
    let summary = senco::commands::demo::seed_demo(&store, 7).await.unwrap();
    assert!(
        (1400..=1700).contains(&summary.pupils),
        "{}",
        summary.pupils
    );
    assert_eq!(summary.authorities, 2);
    assert!(summary.schools >= 8);
    assert!(summary.passphrase.len() >= 12);
    for role in [
        "senco",
        "teacher",
        "teaching_assistant",
        "head",
        "school_admin",
        "parent",
        "specialist",
        "la_officer",
        "admin",
    ] {
        assert!(
            summary.accounts.iter().any(|a| a.role == role),
            "no {role} account"
        );
    }
    assert!(store.is_demo().await.unwrap());
    let senco = summary.accounts.iter().find(|a| a.role == "senco").unwrap();
    let (user, hash) = store.user_for_sign_in(&senco.email).await.unwrap().unwrap();
    assert!(senco_web::auth::verify_passphrase(
        &hash.unwrap(),
        &summary.passphrase
    ));
    let scope = senco_store::pupils::Scope::User {
        user_id: user.id,
        role: user.role,
        school_id: user.school_id,
        la_id: None,
    };
    let total = store
        .pupils(&scope, &Default::default(), 1, 1)
        .await
        .unwrap()
        .total;
    assert!(total > 10);
    store.close().await;
    if let Some((admin, name)) = drop_pg {
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let _ = std::fs::remove_dir_all(dir);
}
