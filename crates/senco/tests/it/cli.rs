use std::io::Write;
use std::process::{Command, Output, Stdio};

fn senco(args: &[&str], stdin: Option<&str>) -> Output {
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

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
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
    let o = senco(
        &[
            "user",
            "add",
            "--database-url",
            &db,
            "--email",
            "First.Admin@Example.org",
            "--name",
            "First Admin",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("a long enough passphrase\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
    let short = senco(
        &[
            "user",
            "add",
            "--database-url",
            &db,
            "--email",
            "b@example.org",
            "--name",
            "B",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("too short\n"),
    );
    assert!(!short.status.success());
    assert!(text(&short).contains("12"), "{}", text(&short));
    let bad_role = senco(
        &[
            "user",
            "add",
            "--database-url",
            &db,
            "--email",
            "c@example.org",
            "--name",
            "C",
            "--role",
            "wizard",
            "--password-stdin",
        ],
        Some("a long enough passphrase\n"),
    );
    assert!(text(&bad_role).contains("--role must be one of"));
    let no_school = senco(
        &[
            "user",
            "add",
            "--database-url",
            &db,
            "--email",
            "d@example.org",
            "--name",
            "D",
            "--role",
            "senco",
            "--password-stdin",
        ],
        Some("a long enough passphrase\n"),
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
    let rt = tokio::runtime::Runtime::new().unwrap();
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
    senco(
        &[
            "user",
            "add",
            "--database-url",
            &real,
            "--email",
            "a@example.org",
            "--name",
            "A",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("a long enough passphrase"),
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
