use std::io::Write;
use std::process::{Command, Output, Stdio};

pub(crate) fn senco(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_senco"))
        .args(args)
        .env_remove("SENCO_DATABASE_URL")
        .env("USER", "ci-operator")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run senco");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

pub(crate) fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `senco user add` of an account of `role` with its passphrase on standard input.
fn user_add(db: &str, email: &str, name: &str, role: &str, passphrase: &str) -> Output {
    senco(
        &[
            "user",
            "add",
            "--database-url",
            db,
            "--email",
            email,
            "--name",
            name,
            "--role",
            role,
            "--password-stdin",
        ],
        Some(passphrase),
    )
}

fn temp_db() -> (String, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("senco-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    (format!("sqlite://{}/senco.db", dir.display()), dir)
}

#[test]
fn every_command_has_help() {
    let top = senco(&["--help"], None);
    assert!(top.status.success());
    for command in ["serve", "demo", "migrate", "user", "token"] {
        assert!(
            text(&top).contains(command),
            "{command} missing from --help"
        );
        let o = senco(&[command, "--help"], None);
        assert!(o.status.success(), "{command} --help");
        assert!(text(&o).contains("Usage"), "{command} --help");
    }
    for sub in [
        ["user", "add"],
        ["user", "list"],
        ["user", "disable"],
        ["user", "set-password"],
        ["user", "reset-two-factor"],
        ["token", "create"],
    ] {
        let o = senco(&[sub[0], sub[1], "--help"], None);
        assert!(
            o.status.success() && text(&o).contains("--database-url"),
            "{sub:?}"
        );
    }
}

#[test]
fn an_operator_creates_the_first_administrator_and_a_token() {
    let (db, dir) = temp_db();
    let o = user_add(
        &db,
        "First.Admin@Example.org",
        "First Admin",
        "admin",
        "a long enough passphrase\n",
    );
    assert!(o.status.success(), "{}", text(&o));
    let short = user_add(&db, "b@example.org", "B", "admin", "too short\n");
    assert!(!short.status.success());
    assert!(text(&short).contains("12"), "{}", text(&short));
    let bad_role = user_add(
        &db,
        "c@example.org",
        "C",
        "wizard",
        "a long enough passphrase\n",
    );
    assert!(text(&bad_role).contains("--role must be one of"));
    let no_school = user_add(
        &db,
        "d@example.org",
        "D",
        "senco",
        "a long enough passphrase\n",
    );
    assert!(text(&no_school).contains("needs --school"));
    let list = senco(&["user", "list", "--database-url", &db], None);
    assert!(
        text(&list).contains("first.admin@example.org"),
        "{}",
        text(&list)
    );
    let token = senco(
        &[
            "token",
            "create",
            "--database-url",
            &db,
            "--email",
            "first.admin@example.org",
            "--name",
            "ci",
        ],
        None,
    );
    assert!(token.status.success(), "{}", text(&token));
    let printed = String::from_utf8_lossy(&token.stdout).trim().to_string();
    assert_eq!(printed.len(), 64);
    let set = senco(
        &[
            "user",
            "set-password",
            "--database-url",
            &db,
            "--email",
            "first.admin@example.org",
            "--password-stdin",
        ],
        Some("another long passphrase\n"),
    );
    assert!(set.status.success(), "{}", text(&set));
    // A lost phone: the operator removes the two-factor key and recovery codes.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let admin_id = rt.block_on(async {
        let store = senco_store::Store::connect(&db).await.unwrap();
        let user = store
            .user_by_email("first.admin@example.org")
            .await
            .unwrap();
        let mut tx = store.begin().await.unwrap();
        senco_store::Store::set_totp(&mut tx, &user.id, "GEZDGNBVGY3TQOJQ", 1, &["h".into()])
            .await
            .unwrap();
        senco_store::commit(tx).await.unwrap();
        assert!(store.totp(&user.id).await.unwrap().is_some());
        store.close().await;
        user.id
    });
    let reset = senco(
        &[
            "user",
            "reset-two-factor",
            "--database-url",
            &db,
            "--email",
            "first.admin@example.org",
        ],
        None,
    );
    assert!(reset.status.success(), "{}", text(&reset));
    rt.block_on(async {
        let store = senco_store::Store::connect(&db).await.unwrap();
        assert_eq!(store.totp(&admin_id).await.unwrap(), None);
        let codes: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM recovery_codes")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(codes.0, 0);
        assert_eq!(
            store.audit_count(None, "update", "allowed").await.unwrap(),
            2,
            "passphrase and two-factor reset"
        );
        store.close().await;
    });
    let disable = senco(
        &[
            "user",
            "disable",
            "--database-url",
            &db,
            "--email",
            "first.admin@example.org",
        ],
        None,
    );
    assert!(disable.status.success(), "{}", text(&disable));
    let again = senco(
        &[
            "user",
            "disable",
            "--database-url",
            &db,
            "--email",
            "first.admin@example.org",
        ],
        None,
    );
    assert!(!again.status.success());
    // Every change was audited under the operator's name.
    rt.block_on(async {
        let store = senco_store::Store::connect(&db).await.unwrap();
        let n = store.audit_count(None, "create", "allowed").await.unwrap();
        assert_eq!(n, 2, "account and token creation");
        let row: (String,) = sqlx::query_as("SELECT actor_label FROM audit_log LIMIT 1")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(row.0, "os:ci-operator");
        store.close().await;
    });
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn demo_replaces_only_demo_data() {
    let (db, dir) = temp_db();
    let o = senco(
        &["demo", "--no-serve", "--json", "--database-url", &db],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(summary["sample_pupils"].as_array().unwrap().len() >= 3);
    let again = senco(&["demo", "--no-serve", "--database-url", &db], None);
    assert!(!again.status.success());
    assert!(text(&again).contains("--force"));
    let forced = senco(
        &["demo", "--no-serve", "--force", "--database-url", &db],
        None,
    );
    assert!(forced.status.success(), "{}", text(&forced));
    assert!(text(&forced).contains("passphrase"));
    let (real, real_dir) = temp_db();
    user_add(
        &real,
        "a@example.org",
        "A",
        "admin",
        "a long enough passphrase",
    );
    let refused = senco(
        &["demo", "--no-serve", "--force", "--database-url", &real],
        None,
    );
    assert!(!refused.status.success());
    assert!(text(&refused).contains("refusing"), "{}", text(&refused));
    let migrate = senco(&["migrate", "--database-url", &real], None);
    assert!(text(&migrate).contains("up to date"));
    let bad_url = senco(&["migrate", "--database-url", "mysql://x"], None);
    assert!(!bad_url.status.success());
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(real_dir);
}

#[test]
fn operators_change_settings_with_checked_values() {
    let (db, dir) = temp_db();
    let list = senco(&["settings", "list", "--database-url", &db], None);
    assert!(list.status.success(), "{}", text(&list));
    assert!(text(&list).contains("census.wales_legacy_until"));
    let ok = senco(
        &[
            "settings",
            "set",
            "census.wales_legacy_until",
            "2026-08-31",
            "--database-url",
            &db,
        ],
        None,
    );
    assert!(ok.status.success(), "{}", text(&ok));
    let bad = senco(
        &[
            "settings",
            "set",
            "census.wales_legacy_until",
            "31/08/2026",
            "--database-url",
            &db,
        ],
        None,
    );
    assert!(!bad.status.success());
    assert!(text(&bad).contains("YYYY-MM-DD"));
    let unknown = senco(
        &["settings", "set", "colour", "blue", "--database-url", &db],
        None,
    );
    assert!(text(&unknown).contains("not a setting"));
    let no_school = senco(
        &[
            "settings",
            "set",
            "review_policy.999999",
            "termly",
            "--database-url",
            &db,
        ],
        None,
    );
    assert!(text(&no_school).contains("no school has URN"));
    let shortfall = |value: &str| {
        senco(
            &[
                "settings",
                "set",
                "provision.shortfall_percent",
                value,
                "--database-url",
                &db,
            ],
            None,
        )
    };
    assert!(!shortfall("120").status.success());
    assert!(text(&shortfall("0")).contains("from 1 to 100"));
    assert!(shortfall("85").status.success());
    let list = senco(&["settings", "list", "--database-url", &db], None);
    assert!(text(&list).contains("2026-08-31"));
    assert!(text(&list).contains("provision.shortfall_percent"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sr_27_audit_verify_reports_an_intact_log_and_a_removed_tail() {
    let (db, dir) = temp_db();
    let add = user_add(
        &db,
        "a@example.org",
        "A",
        "admin",
        "a long enough passphrase",
    );
    assert!(add.status.success(), "{}", text(&add));
    senco(
        &[
            "settings",
            "set",
            "census.besd_until",
            "2014-08-31",
            "--database-url",
            &db,
        ],
        None,
    );
    let ok = senco(&["audit", "verify", "--database-url", &db], None);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("intact: 2 rows"), "{}", text(&ok));
    // Removing the last row (the triggers dropped first, as an attacker with the file could).
    let path = db.trim_start_matches("sqlite://");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&format!("sqlite://{path}")).await.unwrap();
        sqlx::raw_sql("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
            .execute(&mut conn)
            .await
            .unwrap();
    });
    let broken = senco(&["audit", "verify", "--database-url", &db], None);
    assert!(!broken.status.success());
    assert!(
        text(&broken).contains("tampered with at row 2"),
        "{}",
        text(&broken)
    );
    let trail = senco(
        &["audit", "pupil", "--pupil", "nobody", "--database-url", &db],
        None,
    );
    assert!(trail.status.success());
    assert!(String::from_utf8_lossy(&trail.stdout).starts_with("when_utc,who,role"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sr_15_senco_user_bootstrap_prints_a_code_only_while_there_are_no_accounts() {
    let (db, dir) = temp_db();
    let list = senco(&["user", "list", "--database-url", &db], None);
    assert!(list.status.success(), "{}", text(&list));
    let first = senco(&["user", "bootstrap", "--database-url", &db], None);
    assert!(first.status.success(), "{}", text(&first));
    let printed = String::from_utf8_lossy(&first.stdout).to_string();
    let code = printed.lines().last().unwrap().trim().to_string();
    assert_eq!(code.len(), 64, "{printed}");
    assert!(printed.contains("/setup"));
    let add = user_add(
        &db,
        "b@example.org",
        "B",
        "admin",
        "a long enough passphrase",
    );
    assert!(add.status.success(), "{}", text(&add));
    let refused = senco(&["user", "bootstrap", "--database-url", &db], None);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("already has accounts"));
    let _ = std::fs::remove_dir_all(dir);
}

/// SR-27 (issue 16, point 6): `senco audit verify` prints the head to keep outside the
/// database, and checks the chain against anchors given with `--anchor` or read from a log.
#[test]
fn sr_27_audit_verify_checks_the_chain_against_anchors_kept_outside_the_database() {
    let (db, dir) = temp_db();
    let set = |value: &str| {
        let o = senco(
            &[
                "settings",
                "set",
                "census.besd_until",
                value,
                "--database-url",
                &db,
            ],
            None,
        );
        assert!(o.status.success(), "{}", text(&o));
    };
    set("2014-08-31");
    set("2014-08-30");
    let first = senco(&["audit", "verify", "--database-url", &db], None);
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains("No anchors given"),
        "{}",
        text(&first)
    );
    assert!(
        text(&first).contains("senco_audit_anchor=2:"),
        "{}",
        text(&first)
    );
    // The output (or the server's log) is kept elsewhere, and read back later.
    let log = dir.join("anchors.log");
    std::fs::write(&log, text(&first)).unwrap();
    set("2014-08-29");
    let log_arg = log.to_str().unwrap();
    let ok = senco(
        &[
            "audit",
            "verify",
            "--anchors",
            log_arg,
            "--anchor",
            "0:genesis",
            "--database-url",
            &db,
        ],
        None,
    );
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(
        text(&ok).contains("passes through all 2 anchors"),
        "{}",
        text(&ok)
    );
    // An anchor the chain does not pass through names its row.
    let wrong = format!("1:{}", "0".repeat(64));
    let bad = senco(
        &["audit", "verify", "--anchor", &wrong, "--database-url", &db],
        None,
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("tampered with at row 1") && text(&bad).contains("anchor"),
        "{}",
        text(&bad)
    );
    let beyond = format!("9:{}", "0".repeat(64));
    let bad = senco(
        &[
            "audit",
            "verify",
            "--anchor",
            &beyond,
            "--database-url",
            &db,
        ],
        None,
    );
    assert!(
        text(&bad).contains("the log ends before it"),
        "{}",
        text(&bad)
    );
    let bad = senco(
        &[
            "audit",
            "verify",
            "--anchor",
            "nonsense",
            "--database-url",
            &db,
        ],
        None,
    );
    assert!(!bad.status.success());
    assert!(text(&bad).contains("SEQ:HASH"), "{}", text(&bad));
    let empty = dir.join("empty.log");
    std::fs::write(&empty, "nothing here\n").unwrap();
    let bad = senco(
        &[
            "audit",
            "verify",
            "--anchors",
            empty.to_str().unwrap(),
            "--database-url",
            &db,
        ],
        None,
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("holds no audit anchors"),
        "{}",
        text(&bad)
    );
    let _ = std::fs::remove_dir_all(dir);
}
