use crate::both;
use crate::helpers::*;

both!(
    health_readiness_and_metrics_answer_and_metrics_name_route_templates,
    every_response_carries_the_security_headers,
    audit_rows_cannot_be_changed_or_deleted,
    every_table_with_pupil_data_carries_its_school,
    the_stage_history_stays_append_only_in_every_column_but_its_school,
    the_api_is_described_by_an_openapi_document,
    the_demo_data_loads_and_its_sign_ins_work,
    compulsory_school_age_is_a_setting_per_country,
    sr_27_the_audit_log_is_a_hash_chain_and_verify_names_the_first_bad_row,
    sr_25_client_request_id_is_not_stored_verbatim,
    sr_01_metrics_need_a_token,
);

/// SR-25 and SR-26 (issue 16, point 5): anyone could fill the append-only audit log
/// through `X-Request-Id` (a 300,000-byte id was stored verbatim) or forge one ("admin did
/// this"). The audit row's request id is always Senco's own; a client's id is echoed
/// apart only when it is short and plain, and is never stored.
async fn sr_25_client_request_id_is_not_stored_verbatim(app: &TestApp) {
    let c = app.client();
    let huge = "a".repeat(300_000);
    let plain = "client-ref.42_A";
    for given in ["admin did this", huge.as_str(), plain] {
        let req = c
            .raw()
            .post(c.url("/sign-in"))
            .header("x-request-id", given)
            .form(&[("email", TEACHER_A), ("password", "wrong passphrase here")]);
        let r = c.send(req).await;
        assert!(r.status < 500, "{}", r.status);
        let own = r.header("x-request-id").expect("a request id").to_string();
        assert_ne!(own, given, "Senco's own id, not the client's");
        assert!(uuid::Uuid::parse_str(&own).is_ok(), "{own}");
        if given == plain {
            assert_eq!(r.header("x-client-request-id"), Some(plain));
        } else {
            assert_eq!(
                r.header("x-client-request-id"),
                None,
                "only a plain id is echoed"
            );
        }
        let (stored,): (Option<String>,) = sqlx::query_as(
            "SELECT request_id FROM audit_log WHERE action = 'sign_in' ORDER BY seq DESC LIMIT 1",
        )
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        assert_eq!(
            stored.as_deref(),
            Some(own.as_str()),
            "the audit row has Senco's id"
        );
    }
    let (n, longest): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MAX(LENGTH(request_id)) FROM audit_log WHERE request_id = $1 OR request_id = $2 OR request_id = $3 OR LENGTH(request_id) > 64",
    )
    .bind("admin did this")
    .bind(&huge)
    .bind(plain)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert_eq!(n, 0, "no client id is stored (longest {longest:?})");
}

/// SR-01 (issue 16, point 9): `/metrics` was open to anyone. It answers only with the
/// bearer token of `SENCO_METRICS_TOKEN`; with no token set it is not there at all.
async fn sr_01_metrics_need_a_token(app: &TestApp) {
    let c = app.client();
    assert_eq!(
        c.get("/metrics").await.status,
        404,
        "no token set: no metrics"
    );
    let signed_in = app.signed_in(ADMIN).await;
    assert_eq!(signed_in.get("/metrics").await.status, 404);
    let token = "metrics-token-0123456789abcdef";
    let (base, stop) = app
        .second_server(
            app.store.clone(),
            senco_web::config::WebConfig {
                require_two_factor: false,
                metrics_token: Some(token.to_string()),
                ..Default::default()
            },
        )
        .await;
    let anonymous = Client::new(&base);
    let r = anonymous.get("/metrics").await;
    assert_eq!(r.status, 401);
    assert!(!r.body.contains("senco_http_requests_total"));
    let wrong = Client::with_token(&base, "metrics-token-0123456789abcdeX");
    assert_eq!(wrong.get("/metrics").await.status, 401);
    let session = Client::with_token(&base, token);
    let r = session.get("/metrics").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("senco_http_requests_total"), "{}", r.body);
    stop();
}

async fn sr_27_the_audit_log_is_a_hash_chain_and_verify_names_the_first_bad_row(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    for pupil in [&app.fx.p1, &app.fx.p2] {
        c.get(&format!("/pupils/{pupil}")).await;
    }
    app.wait_for_audit(Some(&app.fx.p2), "read", "allowed", 1)
        .await;
    let check = app.store.verify_audit().await.unwrap();
    assert!(check.rows >= 3, "{check:?}");
    assert_eq!(check.first_bad, None, "{check:?}");
    // Someone with access to the database file drops the guard and edits a row.
    let drop = match app.store.backend() {
        senco_store::Backend::Sqlite => "DROP TRIGGER audit_log_no_update",
        senco_store::Backend::Postgres => "DROP TRIGGER audit_log_append_only ON audit_log",
    };
    sqlx::raw_sql(drop).execute(app.store.pool()).await.unwrap();
    let seq = app
        .count("SELECT MIN(seq) FROM audit_log WHERE action = 'read'", &[])
        .await;
    sqlx::query("UPDATE audit_log SET actor_label = 'someone-else@a.example' WHERE seq = $1")
        .bind(seq)
        .execute(app.store.pool())
        .await
        .unwrap();
    let check = app.store.verify_audit().await.unwrap();
    assert_eq!(check.first_bad.map(|(s, _)| s), Some(seq), "{check:?}");
}

async fn compulsory_school_age_is_a_setting_per_country(app: &TestApp) {
    use senco_domain::calendar::CompulsorySchoolAge;
    use senco_domain::school::Country;
    let england = app
        .store
        .compulsory_school_age(Country::England)
        .await
        .unwrap();
    assert_eq!(england, CompulsorySchoolAge::default_for(Country::England));
    let changed = CompulsorySchoolAge {
        start_age: 6,
        prescribed_days: vec![(time::Month::August, 31)],
    };
    let mut tx = app.store.begin().await.unwrap();
    senco_store::Store::set_compulsory_school_age(&mut tx, Country::Wales, &changed)
        .await
        .unwrap();
    senco_store::commit(tx).await.unwrap();
    assert_eq!(
        app.store
            .compulsory_school_age(Country::Wales)
            .await
            .unwrap(),
        changed
    );
    assert_eq!(
        app.store
            .compulsory_school_age(Country::England)
            .await
            .unwrap(),
        england
    );
}

async fn health_readiness_and_metrics_answer_and_metrics_name_route_templates(app: &TestApp) {
    let c = app.client();
    assert_eq!(c.get("/healthz").await.status, 200);
    assert_eq!(c.get("/readyz").await.body, "ready");
    let token = "metrics-token-0123456789abcdef";
    let (base, stop) = app
        .second_server(
            app.store.clone(),
            senco_web::config::WebConfig {
                require_two_factor: false,
                metrics_token: Some(token.to_string()),
                ..Default::default()
            },
        )
        .await;
    let s = Client::new(&base);
    let r = s
        .post_form("/sign-in", &[("email", SENCO_A), ("password", PASSPHRASE)])
        .await;
    assert_eq!(r.status, 303);
    s.get(&format!("/pupils/{}", app.fx.p1)).await;
    let metrics = Client::with_token(&base, token).get("/metrics").await.body;
    stop();
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
    assert!(
        app.refuses("UPDATE audit_log SET outcome = 'edited'").await,
        "updating audit rows must fail"
    );
    assert!(
        app.refuses("DELETE FROM audit_log").await,
        "deleting audit rows must fail"
    );
    assert!(app.audits(Some(&app.fx.p1), "read", "allowed").await >= 1);
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
    // SR-14: every staff account is enrolled in two-factor sign-in with the printed key;
    // parents are not.
    for a in &summary.accounts {
        let user = store.user_by_email(&a.email).await.unwrap();
        let stored = store.totp(&user.id).await.unwrap().map(|(key, _)| key);
        if a.role == "parent" {
            assert_eq!((stored, a.totp_secret.clone()), (None, None), "{}", a.email);
        } else {
            assert_eq!(stored.as_deref(), Some(summary.totp_secret.as_str()));
            assert_eq!(a.totp_secret.as_deref(), Some(summary.totp_secret.as_str()));
        }
    }
    let senco = summary.accounts.iter().find(|a| a.role == "senco").unwrap();
    let (user, hash) = store.user_for_sign_in(&senco.email).await.unwrap().unwrap();
    assert!(senco_app::credentials::check_passphrase(hash, &summary.passphrase).await);
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

mod mail {
    use std::sync::{Arc, Mutex};

    use senco::mail::{Delivery, deliver};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    use crate::helpers::*;

    /// A minimal SMTP server on loopback that records what it receives, refusing the
    /// recipients listed in `refuse`.
    async fn fake_smtp(refuse: &'static [&'static str]) -> (u16, Arc<Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let seen = got.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                    let mut data = None::<String>;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(body) = data.as_mut() {
                            if line == "." {
                                seen.lock().unwrap().push(std::mem::take(body));
                                data = None;
                                write.write_all(b"250 queued\r\n").await.unwrap();
                            } else {
                                body.push_str(&line);
                                body.push('\n');
                            }
                            continue;
                        }
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO")
                        {
                            b"250-fake\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("RCPT")
                            && refuse.iter().any(|r| line.contains(r))
                        {
                            b"550 no such user\r\n"
                        } else if upper.starts_with("DATA") {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        } else if upper.starts_with("QUIT") {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            break;
                        } else {
                            b"250 OK\r\n"
                        };
                        write.write_all(reply).await.unwrap();
                    }
                });
            }
        });
        (port, got)
    }

    #[tokio::test]
    async fn queued_email_is_sent_by_smtp_and_refusals_are_retried_later() {
        let (url, _, dir) = fresh_database(Db::Sqlite).await.unwrap();
        let store = senco_store::Store::connect(&url).await.unwrap();
        let clock = TestClock(Mutex::new(time::macros::datetime!(2026-11-23 10:00 UTC)));
        store.migrate(clock.now()).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        senco_store::Store::enqueue_email(
            &mut tx,
            "parent@example.net",
            "Your Senco account",
            "Hello",
            clock.now(),
        )
        .await
        .unwrap();
        senco_store::Store::enqueue_email(
            &mut tx,
            "gone@example.net",
            "Your Senco account",
            "Hello",
            clock.now(),
        )
        .await
        .unwrap();
        senco_store::commit(tx).await.unwrap();
        let (port, got) = fake_smtp(&["gone@example.net"]).await;
        let delivery = Delivery::Smtp {
            url: format!("smtp://127.0.0.1:{port}"),
            from: "Senco <senco@school.example>".into(),
        };
        deliver(&store, &clock, &delivery).await.unwrap();
        let received = got.lock().unwrap().clone();
        assert_eq!(received.len(), 1);
        assert!(
            received[0].contains("Subject: Your Senco account"),
            "{}",
            received[0]
        );
        assert!(received[0].contains("To: parent@example.net"));
        let pending = store.pending_emails(10).await.unwrap();
        assert_eq!(
            pending.len(),
            1,
            "the refused message waits for another try"
        );
        assert_eq!(pending[0].to_address, "gone@example.net");
        assert_eq!(pending[0].attempts, 1);
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A transfer may move a pupil's stage history to the new school and nothing else: every
/// other column refuses an update, including any added later (SQLite's trigger names its
/// columns, so this checks the list is complete; PostgreSQL compares whole rows).
async fn the_stage_history_stays_append_only_in_every_column_but_its_school(app: &TestApp) {
    use sqlx::Row;
    record_stage(
        app,
        &app.fx.p1,
        &app.fx.school_a,
        senco_domain::school::FrameworkKey::England2001,
        senco_domain::framework::Stage::SchoolAction,
        time::macros::date!(2026 - 09 - 10),
    )
    .await;
    let changed = sqlx::query("UPDATE stage_changes SET reason = 'Rewritten' WHERE pupil_id = $1")
        .bind(app.fx.p1.clone())
        .execute(app.store.pool())
        .await;
    assert!(changed.is_err(), "a stage change's content must not change");
    let moved = sqlx::query("UPDATE stage_changes SET school_id = $2 WHERE pupil_id = $1")
        .bind(app.fx.p1.clone())
        .bind(app.fx.school_b.clone())
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(moved.rows_affected(), 1);
    if app.store.backend() == senco_store::Backend::Sqlite {
        let trigger: String = sqlx::query(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'stage_changes_no_update'",
        )
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get(0);
        let columns = sqlx::query("SELECT name FROM pragma_table_info('stage_changes')")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
        for c in columns {
            let name: String = c.get(0);
            if name != "school_id" {
                assert!(
                    trigger.contains(&name),
                    "stage_changes.{name} is missing from the append-only trigger"
                );
            }
        }
    }
}
