//! The portable full record (issue 6, point 4): `senco export record` and
//! `senco import record`, on SQLite and PostgreSQL. A fully populated pupil is exported,
//! imported into a fresh database and exported again: the two files hold the same record.
//! Every bad file gets a clear error and leaves the receiving database as it was.

use std::process::{Command, Output};

use senco_domain::school::{Country, Phase};
use senco_store::Store;
use senco_store::pupils::{PupilFilter, Scope};
use senco_store::schools::NewSchool;
use serde_json::Value;

use crate::both;
use crate::helpers::*;
use crate::matrix::populate;

both!(a_full_record_moves_to_a_fresh_database_unchanged_and_bad_files_change_nothing,);

const URN_NEW: &str = "300001";

async fn senco_at(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_senco"))
            .args(&args)
            .env_remove("SENCO_DATABASE_URL")
            .env("USER", "ci-operator")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn said(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Whether a string is a UUID (an id of either database).
fn is_id(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// The record with what an import changes on purpose set aside: ids become their order of
/// first appearance (so references are still compared), the export time and source school
/// go, stage entries are all imported, involvements are closed history without an account.
fn normalised(mut v: Value) -> Value {
    fn ids(v: &mut Value, seen: &mut Vec<String>) {
        match v {
            Value::String(s) if is_id(s) => {
                let n = match seen.iter().position(|x| x == s) {
                    Some(n) => n,
                    None => {
                        seen.push(s.clone());
                        seen.len() - 1
                    }
                };
                *s = format!("id#{n}");
            }
            Value::Array(items) => items.iter_mut().for_each(|i| ids(i, seen)),
            Value::Object(map) => map.values_mut().for_each(|i| ids(i, seen)),
            _ => {}
        }
    }
    let obj = v.as_object_mut().unwrap();
    obj.remove("exported_at");
    obj.remove("source_school");
    for e in obj["stage_history"].as_array_mut().unwrap() {
        e["imported"] = Value::Bool(true);
    }
    for i in obj["specialists"].as_array_mut().unwrap() {
        i["status"] = "closed".into();
        i["closed_on"] = Value::Null;
        i["specialist_name"] = Value::Null;
    }
    let mut seen = Vec::new();
    ids(&mut v, &mut seen);
    v
}

async fn receiving_school(store: &Store, now: time::OffsetDateTime) {
    let mut tx = store.begin().await.unwrap();
    let la = Store::insert_authority(&mut tx, "887", "Southmoor", Country::England, now)
        .await
        .unwrap();
    Store::insert_school(
        &mut tx,
        &NewSchool {
            la_id: &la,
            urn: URN_NEW,
            estab_number: "2001",
            name: "Southmoor Primary",
            phase: Phase::Primary,
            country: Country::England,
            maintained: true,
        },
        now,
    )
    .await
    .unwrap();
    senco_store::commit(tx).await.unwrap();
}

async fn a_full_record_moves_to_a_fresh_database_unchanged_and_bad_files_change_nothing(
    app: &TestApp,
) {
    let w = populate(app).await;
    let upn = app
        .store
        .pupil(&Scope::Operator, &w.pupil)
        .await
        .unwrap()
        .upn
        .expect("pupil 1 has a UPN");
    let dir = std::env::temp_dir().join(format!("senco-record-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("record.json");
    let path = file.display().to_string();

    // Export by UPN, audited once for the pupil.
    let before = app.audits(Some(&w.pupil), "export", "allowed").await;
    let o = senco_at(
        [
            "export",
            "record",
            "--pupil",
            &upn,
            "-o",
            &path,
            "--database-url",
            &app.database_url,
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    assert!(o.status.success(), "{}", said(&o));
    assert_eq!(
        app.audits(Some(&w.pupil), "export", "allowed").await,
        before + 1
    );
    let bytes = std::fs::read(&file).unwrap();
    let exported: Value = serde_json::from_slice(&bytes).unwrap();
    for key in [
        "stage_history",
        "needs",
        "concerns",
        "plans",
        "reviews",
        "provision",
        "specialists",
        "documents",
    ] {
        assert!(
            !exported[key].as_array().unwrap().is_empty(),
            "{key} is empty: the test pupil should have one of everything"
        );
    }
    assert!(
        !exported["reviews"][0]["outcomes"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        !exported["provision"][0]["sessions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        exported["specialists"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| !i["notes"].as_array().unwrap().is_empty())
    );
    // The file follows the published schema.
    let schema: Value =
        serde_json::from_str(include_str!("../../../../docs/record.schema.json")).unwrap();
    assert_eq!(
        senco_interop::record::schema_gaps(&schema, &exported),
        Vec::<String>::new()
    );
    // The same by id, to standard output.
    let o = senco_at(
        [
            "export",
            "record",
            "--pupil",
            &w.pupil,
            "--database-url",
            &app.database_url,
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    assert!(o.status.success(), "{}", said(&o));
    let again: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(normalised(again), normalised(exported.clone()));

    // Import into a fresh database of the same engine.
    let db = match app.store.backend() {
        senco_store::Backend::Sqlite => Db::Sqlite,
        senco_store::Backend::Postgres => Db::Postgres,
    };
    let target = TestApp::spawn_empty(db).await.unwrap();
    receiving_school(&target.store, target.clock.now()).await;
    let import = |file: String| {
        senco_at(
            [
                "import",
                "record",
                &file,
                "--school",
                URN_NEW,
                "--database-url",
                &target.database_url,
            ]
            .map(String::from)
            .to_vec(),
        )
    };

    // Bad files first: each is refused with a clear message and changes nothing.
    let counts = target.store.record_row_counts().await.unwrap();
    let mut cases: Vec<(&str, Vec<u8>, &str)> = vec![(
        "truncated",
        bytes[..bytes.len() / 2].to_vec(),
        "not valid JSON",
    )];
    let mut unknown = exported.clone();
    unknown["plans"][0]["targets"][0]["colour"] = "blue".into();
    cases.push((
        "unknown field",
        unknown.to_string().into_bytes(),
        "unknown field `colour`",
    ));
    let mut newer = exported.clone();
    newer["version"] = 2.into();
    cases.push((
        "wrong version",
        newer.to_string().into_bytes(),
        "version 2, which this Senco cannot read",
    ));
    let mut bad_stage = exported.clone();
    bad_stage["stage_history"][0]["stage"] = "stage_x".into();
    cases.push((
        "unknown stage",
        bad_stage.to_string().into_bytes(),
        "stage_history[1]",
    ));
    let mut bad_need = exported.clone();
    bad_need["needs"][0]["code"] = "XYZ".into();
    cases.push((
        "unknown need",
        bad_need.to_string().into_bytes(),
        "needs[1]",
    ));
    let mut bad_report = exported.clone();
    bad_report["documents"][0]["sha256"] = "00".into();
    cases.push((
        "damaged report",
        bad_report.to_string().into_bytes(),
        "do not match their SHA-256",
    ));
    for (what, body, says) in cases {
        let f = dir.join(format!("{}.json", what.replace(' ', "-")));
        std::fs::write(&f, body).unwrap();
        let o = import(f.display().to_string()).await;
        assert!(!o.status.success(), "{what}: {}", said(&o));
        assert!(said(&o).contains(says), "{what}: {}", said(&o));
        assert!(
            said(&o).contains("cannot be imported") || said(&o).contains("nothing was written"),
            "{what}: {}",
            said(&o)
        );
        assert_eq!(
            target.store.record_row_counts().await.unwrap(),
            counts,
            "{what} changed the database"
        );
    }

    // The good file.
    let o = import(path.clone()).await;
    assert!(o.status.success(), "{}", said(&o));
    assert!(said(&o).contains("Southmoor Primary"), "{}", said(&o));
    let pupils = target
        .store
        .pupils(&Scope::Operator, &PupilFilter::default(), 1, 10)
        .await
        .unwrap();
    assert_eq!(pupils.items.len(), 1);
    let new_id = pupils.items[0].id.clone();
    assert_ne!(new_id, w.pupil);
    let current = target.store.current_stage(&new_id).await.unwrap();
    assert_eq!(
        current.map(|c| c.stage),
        app.store
            .current_stage(&w.pupil)
            .await
            .unwrap()
            .map(|c| c.stage)
    );
    let reexported = senco_app::portable_record::export(
        &target.store,
        &Scope::Operator,
        &new_id,
        target.clock.now(),
        senco_i18n::messages(senco_domain::lang::Lang::English),
    )
    .await
    .unwrap();
    let reexported = serde_json::to_value(&reexported).unwrap();
    assert!(
        reexported["stage_history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["imported"] == true)
    );
    assert!(
        reexported["specialists"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "closed" && i["specialist_name"].is_null())
    );
    assert_eq!(reexported["source_school"]["urn"], URN_NEW);
    assert_eq!(normalised(reexported), normalised(exported.clone()));
    // The report's bytes are the same.
    assert_eq!(target.audits(Some(&new_id), "import", "allowed").await, 1);

    // A second import of the same child is refused: they are in Senco now.
    let counts = target.store.record_row_counts().await.unwrap();
    let o = import(path.clone()).await;
    assert!(!o.status.success(), "{}", said(&o));
    assert!(said(&o).contains(&upn), "{}", said(&o));
    assert!(said(&o).contains("senco import pupils"), "{}", said(&o));
    assert_eq!(target.store.record_row_counts().await.unwrap(), counts);

    target.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
