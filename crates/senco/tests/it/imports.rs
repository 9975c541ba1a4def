//! Importing pupils from an MIS CSV export (issue 6): `senco import pupils` and the upload
//! pages, on SQLite and PostgreSQL. Every bad input gets a clear error and leaves the
//! database exactly as it was.

use std::process::{Command, Output};

use senco_domain::person::{CorrespondenceLanguage, Sex};
use senco_domain::upn::Upn;
use senco_store::Store;
use senco_store::pupils::{NewContact, PupilFields};
use sqlx::Row;
use time::macros::date;

use crate::both;
use crate::helpers::*;

both!(
    the_command_line_creates_updates_and_moves_transferred_pupils,
    sr_21_bad_files_at_the_command_line_get_a_clear_error_and_change_nothing,
    a_school_admin_uploads_checks_and_confirms_an_import,
    sr_21_bad_uploads_get_a_clear_error_and_change_nothing,
    every_table_of_a_pupils_record_moves_on_a_transfer,
    sr_07_an_import_never_moves_another_schools_pupil_on_a_guessed_upn,
    sr_07_a_matching_import_asks_and_only_the_holding_side_decides,
    sr_07_a_burst_of_unmatched_upns_is_refused_and_flagged,
    sr_07_a_new_pupil_with_another_schools_upn_is_an_audited_probe,
);

/// Tables with `pupil_id` and `school_id` that a transfer deliberately leaves alone.
const STAY: &[&str] = &[
    "enrolments",
    "teaching_assignments",
    "audit_log",
    // Retention (SR-30): a transfer ends the old school's review, and the destruction log
    // keeps ids only.
    "retention_reviews",
    "destruction_log",
    // Transfer requests (SR-07) belong to the school that held the record when asked.
    "transfer_requests",
];

async fn every_table_of_a_pupils_record_moves_on_a_transfer(app: &TestApp) {
    let sql = match app.store.backend() {
        senco_store::Backend::Sqlite => {
            "SELECT m.name AS t FROM sqlite_master m JOIN pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND c.name = 'pupil_id' \
             AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) s WHERE s.name = 'school_id')"
        }
        senco_store::Backend::Postgres => {
            "SELECT c.table_name::text AS t FROM information_schema.columns c \
             WHERE c.table_schema = 'public' AND c.column_name = 'pupil_id' \
             AND EXISTS (SELECT 1 FROM information_schema.columns s WHERE s.table_schema = 'public' \
             AND s.table_name = c.table_name AND s.column_name = 'school_id')"
        }
    };
    let mut tables: Vec<String> = sqlx::query(sql)
        .fetch_all(app.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("t"))
        .filter(|t| !STAY.contains(&t.as_str()))
        .collect();
    tables.sort();
    let mut moved: Vec<String> = senco_store::imports::PUPIL_RECORD_TABLES
        .iter()
        .map(|t| t.to_string())
        .collect();
    moved.sort();
    assert_eq!(
        tables, moved,
        "a new pupil table must move on a transfer (or stay, on purpose)"
    );
}

const URN_A: &str = "100001";

fn upn(serial: u16) -> String {
    Upn::permanent(801, 2000, 17, serial)
        .unwrap()
        .as_str()
        .to_string()
}

/// A pupil at school B with a UPN, a contact and a version: the one a file for school A
/// names as a transfer. Returns the pupil's id and UPN.
async fn pupil_at_b(app: &TestApp) -> (String, String) {
    let upn = Upn::permanent(886, 2002, 19, 42)
        .unwrap()
        .as_str()
        .to_string();
    let now = app.clock.now();
    let mut tx = app.store.begin().await.unwrap();
    let f = PupilFields {
        upn: Some(upn.clone()),
        former_upn: None,
        legal_forename: "Hidden".into(),
        legal_surname: "Elsewhere-Secret".into(),
        preferred_forename: None,
        preferred_surname: None,
        date_of_birth: date!(2016 - 05 - 05),
        sex: Sex::Female,
        year_override: None,
        reg_group_id: None,
        looked_after: false,
        eal: false,
        fsm: false,
        language: CorrespondenceLanguage::English,
    };
    let id = Store::insert_pupil(&mut tx, &app.fx.school_b, &f, date!(2023 - 09 - 04), now)
        .await
        .unwrap();
    Store::insert_contact(
        &mut tx,
        &id,
        &app.fx.school_b,
        &NewContact {
            name: "Carer Secret",
            relationship: "Parent",
            parental_responsibility: true,
            restricted: false,
            email: None,
            phone: None,
            user_id: None,
        },
        now,
    )
    .await
    .unwrap();
    senco_store::commit(tx).await.unwrap();
    (id, upn)
}

/// Everything an import could change, as text.
async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut out = app
        .row_counts(&[
            "pupils",
            "enrolments",
            "pupil_versions",
            "reg_groups",
            "contacts",
            // Sign-ins are audited too; only pupils' rows count here.
            "audit_log WHERE pupil_id IS NOT NULL OR record_type = 'pupil_import'",
        ])
        .await;
    let rows = sqlx::query(
        "SELECT id, school_id, legal_surname, version, updated_at FROM pupils ORDER BY id",
    )
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    for r in rows {
        out.push(format!(
            "{} {} {} {} {}",
            r.get::<String, _>("id"),
            r.get::<String, _>("school_id"),
            r.get::<String, _>("legal_surname"),
            r.get::<i64, _>("version"),
            r.get::<String, _>("updated_at"),
        ));
    }
    out
}

async fn senco_cli(app: &TestApp, file: &[u8], extra: &[&str]) -> Output {
    let dir = std::env::temp_dir().join(format!("senco-import-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pupils.csv");
    std::fs::write(&path, file).unwrap();
    let mut args: Vec<String> = vec![
        "import".into(),
        "pupils".into(),
        path.display().to_string(),
        "--school".into(),
        URN_A.into(),
        "--database-url".into(),
        app.database_url.clone(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_senco"))
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

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn good_file(transfer_upn: &str) -> String {
    format!(
        "UPN,Legal Surname,Legal Forename,DOB,Gender,Year,Reg Group,Ethnicity\r\n\
         B801200005001,Thornbury-Hale,Amelia,12/10/2017,F,,3B,WBRI\r\n\
         {},Newby,Nia,01/02/2018,F,,3B,WBRI\r\n\
         {transfer_upn},Elsewhere,Erin,05/05/2016,F,,4C,WBRI\r\n",
        upn(1)
    )
}

async fn the_command_line_creates_updates_and_moves_transferred_pupils(app: &TestApp) {
    let (moved, transfer_upn) = pupil_at_b(app).await;
    let file = good_file(&transfer_upn);
    let before = snapshot(app).await;

    // The dry run shows everything as JSON and writes nothing.
    let o = senco_cli(app, file.as_bytes(), &["--dry-run", "--report", "json"]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["rows"], 3);
    assert_eq!(report["encoding"], "UTF-8");
    assert_eq!(report["ignored_columns"], serde_json::json!(["Ethnicity"]));
    assert_eq!(report["creates"], serde_json::json!([3]));
    assert_eq!(report["updates"][0]["row"], 2);
    assert_eq!(
        report["updates"][0]["changes"],
        serde_json::json!([{"field": "legal_surname", "before": "Thornbury", "after": "Thornbury-Hale"}])
    );
    // The date of birth matches, the surname does not (the holding school will check).
    assert_eq!(
        report["transfers"],
        serde_json::json!([{"row": 4, "upn": transfer_upn, "surname_differs": true}])
    );
    assert_eq!(report["new_reg_groups"], serde_json::json!(["4C"]));
    // Nothing of the pupil at the other school is revealed.
    assert!(!stdout(&o).contains("Secret"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("Hidden"));
    assert_eq!(snapshot(app).await, before);

    // Without accepting the transfer: refused, nothing written.
    let o = senco_cli(app, file.as_bytes(), &[]).await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--accept-transfers"), "{}", stderr(&o));
    assert_eq!(snapshot(app).await, before);

    // Accepted: all of it, at once; the pupil of school B is asked for, not moved (SR-07).
    let o = senco_cli(app, file.as_bytes(), &["--accept-transfers"]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("1 new, 1 updated, 0 unchanged, 1 transfers to ask for"),
        "{}",
        stdout(&o)
    );
    let scope = senco_store::pupils::Scope::Operator;
    let p1 = app.store.pupil(&scope, &app.fx.p1).await.unwrap();
    assert_eq!(p1.legal_surname, "Thornbury-Hale");
    assert_eq!(p1.version, 2);
    assert_eq!(p1.reg_group_name.as_deref(), Some("3B"));
    let t = app.store.pupil(&scope, &moved).await.unwrap();
    assert_eq!(t.school_id, app.fx.school_b, "not moved by the import");
    let requests = app
        .store
        .transfer_requests(std::slice::from_ref(&app.fx.school_b))
        .await
        .unwrap();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let request = &requests[0];
    assert_eq!(request.to_school_id, app.fx.school_a);
    assert_eq!(request.legal_surname, "Elsewhere");
    assert!(request.surname_differs);

    // School B's SENCO releases the record: the pupil and their record move.
    let senco_b = app.signed_in(SENCO_B).await;
    let page = senco_b.get("/transfers").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&transfer_upn), "{}", page.body);
    let page = senco_b.get(&format!("/transfers/{}", request.id)).await;
    assert!(
        page.body.contains("Hidden Elsewhere-Secret"),
        "their own record's name"
    );
    assert!(page.body.contains("The surname given is not the one"));
    let r = senco_b
        .post_page(
            &format!("/transfers/{}", request.id),
            &[("action", "release"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let t = app.store.pupil(&scope, &moved).await.unwrap();
    assert_eq!(t.school_id, app.fx.school_a);
    // The record moved with the pupil; the old enrolment ended and a new one began.
    let contacts = app.store.contacts(&moved).await.unwrap();
    assert_eq!(contacts.len(), 1);
    let school: String = sqlx::query("SELECT school_id FROM contacts WHERE pupil_id = $1")
        .bind(&moved)
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get("school_id");
    assert_eq!(school, app.fx.school_a);
    let enrolments = app.store.enrolments(&moved).await.unwrap();
    assert_eq!(enrolments.len(), 2, "{enrolments:?}");
    let old = enrolments
        .iter()
        .find(|e| e.school_id == app.fx.school_b)
        .unwrap();
    assert!(old.ends_on.is_some());
    let new = enrolments
        .iter()
        .find(|e| e.school_id == app.fx.school_a)
        .unwrap();
    assert!(new.ends_on.is_none());
    // The pages' reads are written by the audit queue: wait for them before checking.
    app.wait_for_audit(Some(&moved), "read", "allowed", 1).await;
    // Audited: a row per pupil and one for the import, the request and its release, and
    // the chain still holds.
    for (record, action, channel) in [
        ("pupil", "create", "cli"),
        ("pupil", "update", "cli"),
        ("transfer_request", "create", "cli"),
        ("transfer_request", "release", "web"),
    ] {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log WHERE record_type = $1 AND action = $2 AND channel = $3",
        )
        .bind(record)
        .bind(action)
        .bind(channel)
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get("n");
        assert_eq!(n, 1, "{record} {action}");
    }
    assert_eq!(app.store.verify_audit().await.unwrap().first_bad, None);

    // Importing the same file again: the joined pupil's details from the file are now an
    // update of the school's own pupil; nothing else changes.
    let again = snapshot(app).await;
    let o = senco_cli(app, file.as_bytes(), &["--dry-run"]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("0 new, 1 updated, 2 unchanged, 0 transfers to ask for"),
        "{}",
        stdout(&o)
    );
    assert_eq!(snapshot(app).await, again);
}

fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

async fn sr_21_bad_files_at_the_command_line_get_a_clear_error_and_change_nothing(app: &TestApp) {
    let header = "UPN,Surname,Forename,DOB,Sex\n";
    let row = |upn: &str, dob: &str| format!("{upn},Newby,Nia,{dob},F\n");
    let ok = row(&upn(1), "01/02/2018");
    let big = format!("{header}{}", "x".repeat(11 * 1024 * 1024));
    let cases: Vec<(&str, Vec<u8>, Vec<&str>, &str)> = vec![
        (
            "UTF-16 without a byte-order mark",
            utf16le(&format!("{header}{ok}"), false),
            vec![],
            "not a CSV file in UTF-8, Windows-1252 or UTF-16",
        ),
        (
            "a spreadsheet's own format",
            b"PK\x03\x04\x14\x00\x06\x00".to_vec(),
            vec![],
            "not a CSV file",
        ),
        (
            "duplicate UPNs",
            format!("{header}{ok}{ok}").into_bytes(),
            vec![],
            "The same UPN is on row 3 too",
        ),
        (
            "a date of birth in the future",
            format!("{header}{}", row(&upn(1), "01/01/2099")).into_bytes(),
            vec![],
            "Date of birth must be today or in the past",
        ),
        (
            "a wrong check letter",
            format!("{header}{}", row("A801200005001", "01/02/2018")).into_bytes(),
            vec![],
            "UPN check letter is wrong",
        ),
        (
            "a missing required column",
            format!("UPN,Surname,Forename,Sex\n{},Newby,Nia,F\n", upn(1)).into_bytes(),
            vec![],
            "Choose the column that holds Date of birth",
        ),
        (
            "a column mapped twice",
            format!("{header}{ok}").into_bytes(),
            vec!["--mapping", "legal_forename=Surname"],
            "is chosen for more than one field",
        ),
        (
            "a field mapped twice",
            format!("{header}{ok}").into_bytes(),
            vec!["--mapping", "sex=Sex", "--mapping", "sex=DOB"],
            "Sex is mapped more than once",
        ),
        (
            "a ragged row",
            format!("{header}{ok}{},Short\n", upn(2)).into_bytes(),
            vec![],
            "The row has 2 cells where the header has 5",
        ),
        (
            "a file over the size limit",
            big.into_bytes(),
            vec![],
            "too large",
        ),
    ];
    let before = snapshot(app).await;
    for (what, bytes, extra, message) in cases {
        let o = senco_cli(app, &bytes, &extra).await;
        assert!(!o.status.success(), "{what}: {}", stdout(&o));
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(all.contains(message), "{what}: {all}");
        assert!(
            all.contains("Error:") || all.contains("error"),
            "{what}: {all}"
        );
        assert_eq!(snapshot(app).await, before, "{what} changed the database");
    }
    // Good encodings are accepted: Windows-1252 and UTF-16 with a byte-order mark.
    let cp1252 = [
        header.as_bytes(),
        format!("{},O\x00Brien,Si", upn(3)).as_bytes(),
    ]
    .concat();
    let mut cp1252: Vec<u8> = cp1252
        .into_iter()
        .map(|b| if b == 0 { 0x92 } else { b })
        .collect();
    cp1252.extend(b"\xE2n,01/02/2018,F\n");
    let o = senco_cli(app, &cp1252, &["--dry-run"]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Windows-1252"), "{}", stdout(&o));
    let o = senco_cli(app, &utf16le(&format!("{header}{ok}"), true), &[]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("1 new"), "{}", stdout(&o));
}

/// A multipart body with the form token and one file.
fn multipart(token: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "senco-import-boundary-51c2";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(c: &Client, bytes: &[u8]) -> Resp {
    let (ct, body) = multipart(&c.csrf(), "pupils.csv", bytes);
    c.send(
        c.raw()
            .post(c.url("/pupils/import/upload"))
            .header("content-type", ct)
            .body(body),
    )
    .await
}

/// The mapping as the page pre-fills it (every select's chosen column).
fn mapping_of(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in html.split("<select").skip(1) {
        let Some(name) = part
            .split("name=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
        else {
            continue;
        };
        let chosen = part
            .split("</select>")
            .next()
            .unwrap_or("")
            .split("<option value=\"")
            .skip(1)
            .find(|o| o.contains("\" selected"))
            .and_then(|o| o.split('"').next())
            .unwrap_or("0");
        out.push((name.to_string(), chosen.to_string()));
    }
    out
}

async fn a_school_admin_uploads_checks_and_confirms_an_import(app: &TestApp) {
    let (moved, transfer_upn) = pupil_at_b(app).await;
    let admin = app.signed_in(SCHOOL_ADMIN_A).await;
    let page = admin.get("/pupils").await;
    assert!(
        page.body.contains("/pupils/import"),
        "link on the pupils page"
    );
    let page = admin.get("/pupils/import").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    // Who may not import gets the same 404 as a missing page.
    for who in [TEACHER_A, PARENT_P, ADMIN, OFFICER_1] {
        let c = app.signed_in(who).await;
        assert_eq!(c.get("/pupils/import").await.status, 404, "{who}");
    }

    let before = snapshot(app).await;
    let r = upload(&admin, good_file(&transfer_upn).as_bytes()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").unwrap().to_string();
    let page = admin.get(&location).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Ethnicity"), "ignored column shown");
    assert!(page.body.contains("Thornbury-Hale"), "the change is shown");
    assert!(page.body.contains(&transfer_upn));
    assert!(!page.body.contains("Secret"), "nothing of the other pupil");
    assert!(!page.body.contains("Hidden"));
    let mapping = mapping_of(&page.body);
    assert!(
        mapping.contains(&("map_upn".to_string(), "1".to_string())),
        "{mapping:?}"
    );
    // Another account, even at the same school, cannot see the kept file.
    let senco = app.signed_in(SENCO_A).await;
    assert_eq!(senco.get(&location).await.status, 404);
    let other = app.signed_in(SENCO_B).await;
    assert_eq!(other.get(&location).await.status, 404);

    // Confirming without accepting the transfer: asked to confirm, nothing written.
    let mut form: Vec<(&str, &str)> = mapping
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    form.push(("action", "confirm"));
    let r = admin.post_page(&location, &form).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("Confirm the transfers"));
    assert_eq!(snapshot(app).await, before);

    // Choosing one column twice is shown, with the form kept.
    let mut twice = form.clone();
    for f in twice.iter_mut() {
        if f.0 == "map_legal_forename" {
            f.1 = "2";
        }
    }
    let r = admin.post_page(&location, &twice).await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("is chosen for more than one field"),
        "{}",
        r.body
    );
    assert_eq!(snapshot(app).await, before);

    form.push(("accept_transfers", "yes"));
    let r = admin.post_page(&location, &form).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Pupils imported"));
    assert!(r.body.contains("id=\"created\">1<"), "{}", r.body);
    assert!(r.body.contains("id=\"transfer-requests\">1<"), "{}", r.body);
    assert!(r.body.contains("href=\"/transfers\""));
    // Asked for, not moved (SR-07): the school administrator follows the request.
    let t = app
        .store
        .pupil(&senco_store::pupils::Scope::Operator, &moved)
        .await
        .unwrap();
    assert_eq!(t.school_id, app.fx.school_b);
    let page = admin.get("/transfers").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&transfer_upn));
    assert!(page.body.contains("School B"));
    assert!(
        !page.body.contains("Secret"),
        "nothing of school B's record"
    );
    // The kept file is gone once imported.
    assert_eq!(admin.get(&location).await.status, 404);
    let audited: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE record_type = 'pupil_import' AND actor_label = $1",
    )
    .bind(SCHOOL_ADMIN_A)
    .fetch_one(app.store.pool())
    .await
    .unwrap()
    .get("n");
    assert_eq!(audited, 1);
}

async fn sr_21_bad_uploads_get_a_clear_error_and_change_nothing(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    let before = snapshot(app).await;
    let header = "UPN,Surname,Forename,DOB,Sex\n";
    // Refused at upload, with the reason on the form.
    for (bytes, message) in [
        (
            utf16le(&format!("{header}{},A,B,01/02/2018,F\n", upn(1)), false),
            "not a CSV file",
        ),
        (Vec::new(), "The file is empty"),
    ] {
        let r = upload(&senco, &bytes).await;
        assert_eq!(r.status, 422, "{message}");
        assert!(r.body.contains(message), "{message}: {}", r.body);
    }
    // Just over the limit: refused by the check; far over: refused at the door.
    let big = vec![b'a'; 10 * 1024 * 1024 + 10];
    let r = upload(&senco, &big).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("smaller than 10 MB"));
    assert_eq!(
        crate::specialists::declared_length_status(app, "/pupils/import/upload", 12 * 1024 * 1024)
            .await,
        413
    );
    assert_eq!(snapshot(app).await, before);

    // Problems in rows: listed by row, column, value and reason; confirming is refused.
    let file = format!(
        "{header}{},Newby,Nia,01/01/2099,F\nA801200005001,Bad,Upn,01/02/2018,F\n{},Dup,One,01/02/2018,M\n{},Dup,Two,01/02/2018,M\n{},Short\n",
        upn(1),
        upn(2),
        upn(2),
        upn(3)
    );
    let r = upload(&senco, file.as_bytes()).await;
    assert_eq!(r.status, 303);
    let location = r.header("location").unwrap().to_string();
    let page = senco.get(&location).await;
    assert_eq!(page.status, 422);
    for text in [
        "01/01/2099",
        "Date of birth must be today or in the past",
        "UPN check letter is wrong",
        "The same UPN is on row 5 too",
        "The row has 2 cells where the header has 5",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    assert!(
        !page.body.contains("value=\"confirm\""),
        "no confirm button"
    );
    let mut form: Vec<(String, String)> = mapping_of(&page.body);
    form.push(("action".into(), "confirm".into()));
    let form: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = senco.post_page(&location, &form).await;
    assert_eq!(r.status, 422);
    // A missing required column.
    let r = upload(
        &senco,
        format!("UPN,Surname,Forename,Sex\n{},A,B,F\n", upn(1)).as_bytes(),
    )
    .await;
    let page = senco.get(r.header("location").unwrap()).await;
    assert_eq!(page.status, 422);
    assert!(
        page.body
            .contains("Choose the column that holds Date of birth")
    );
    // A forged form token is refused.
    let r = upload(
        &senco,
        format!("{header}{},A,B,01/02/2018,F\n", upn(1)).as_bytes(),
    )
    .await;
    let location = r.header("location").unwrap().to_string();
    let r = senco
        .send(
            senco
                .raw()
                .post(senco.url(&location))
                .form(&[("csrf_token", "forged"), ("action", "confirm")]),
        )
        .await;
    assert_ne!(r.status, 200);
    assert!(!r.body.contains("Pupils imported"));
    // Nothing but the kept files (which are not pupil records) changed.
    assert_eq!(snapshot(app).await, before);
}

/// Uploads `file` as `c` and returns the preview's address and page.
async fn preview_of(c: &Client, file: &str) -> (String, Resp) {
    let r = upload(c, file.as_bytes()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").unwrap().to_string();
    let page = c.get(&location).await;
    (location, page)
}

/// Confirms a previewed import, accepting transfers.
async fn confirm(c: &Client, location: &str, page: &Resp) -> Resp {
    let mapping = mapping_of(&page.body);
    let mut form: Vec<(&str, &str)> = mapping
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    form.push(("action", "confirm"));
    form.push(("accept_transfers", "yes"));
    c.post_page(location, &form).await
}

async fn probes_of(app: &TestApp, pupil: &str) -> i64 {
    app.audits(Some(pupil), "upn_probe", "denied").await
}

/// Issue 16, point 1: a school administrator of school A names school B's pupil's UPN with
/// a made-up name and date of birth. Before, the preview listed a transfer and confirming
/// moved the pupil with their whole record to school A.
async fn sr_07_an_import_never_moves_another_schools_pupil_on_a_guessed_upn(app: &TestApp) {
    let (pupil, upn) = pupil_at_b(app).await;
    let admin = app.signed_in(SCHOOL_ADMIN_A).await;
    let file =
        format!("UPN,Legal Surname,Legal Forename,DOB,Gender\r\n{upn},Guess,Gail,01/01/2015,F\r\n");
    let before = snapshot(app).await;
    let (location, page) = preview_of(&admin, &file).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("id=\"transfers\">0<"), "{}", page.body);
    assert!(
        page.body.contains("whose details do not match this row"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Secret") && !page.body.contains("Hidden"));
    // The probe is audited for school B's pupil, by school A's administrator.
    assert_eq!(probes_of(app, &pupil).await, 1);
    let rows = app.store.audit_for_pupil_all(&pupil).await.unwrap();
    let probe = rows.iter().find(|r| r.event.action == "upn_probe").unwrap();
    assert_eq!(probe.event.actor_label, SCHOOL_ADMIN_A);
    assert_eq!(
        probe.event.school_id.as_deref(),
        Some(app.fx.school_b.as_str())
    );

    // Confirming anyway, transfers accepted: refused, nothing written, nothing moved.
    let r = confirm(&admin, &location, &page).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let t = app
        .store
        .pupil(&senco_store::pupils::Scope::Operator, &pupil)
        .await
        .unwrap();
    assert_eq!(t.school_id, app.fx.school_b);
    // Nothing changed but the audit log, which holds the two probes (preview and confirm).
    let records = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .filter(|l| !l.starts_with("audit_log"))
            .collect()
    };
    assert_eq!(records(snapshot(app).await), records(before));
    assert_eq!(probes_of(app, &pupil).await, 2);
    assert!(
        app.store
            .transfer_requests(std::slice::from_ref(&app.fx.school_b))
            .await
            .unwrap()
            .is_empty()
    );
    // School B's SENCO still has the pupil, and sees the probe in the access log.
    let senco_b = app.signed_in(SENCO_B).await;
    assert_eq!(senco_b.get(&format!("/pupils/{pupil}")).await.status, 200);
    let log = senco_b.get(&format!("/pupils/{pupil}/audit")).await;
    assert!(log.body.contains("upn_probe"), "{}", log.body);
}

/// A matching row (UPN and date of birth) files a request; the school asking follows it but
/// cannot decide it; the holding school declines or releases; the authority may approve.
async fn sr_07_a_matching_import_asks_and_only_the_holding_side_decides(app: &TestApp) {
    let (pupil, upn) = pupil_at_b(app).await;
    let admin = app.signed_in(SCHOOL_ADMIN_A).await;
    let file = format!(
        "UPN,Legal Surname,Legal Forename,DOB,Gender\r\n{upn},Elsewhere-Secret,Hidden,05/05/2016,F\r\n"
    );
    let (location, page) = preview_of(&admin, &file).await;
    assert!(page.body.contains("id=\"transfers\">1<"), "{}", page.body);
    assert!(!page.body.contains("is not the one that school records"));
    let r = confirm(&admin, &location, &page).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(probes_of(app, &pupil).await, 0, "a match is not a probe");
    let scope = senco_store::pupils::Scope::Operator;
    assert_eq!(
        app.store.pupil(&scope, &pupil).await.unwrap().school_id,
        app.fx.school_b
    );
    let request = app
        .store
        .transfer_requests(std::slice::from_ref(&app.fx.school_a))
        .await
        .unwrap()
        .remove(0);
    let path = format!("/transfers/{}", request.id);

    // The holding school's SENCO is told, by an email that names no pupil.
    let (subject, body): (String, String) = sqlx::query_as(
        "SELECT subject, body FROM outbox WHERE to_address = $1 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(SENCO_B)
    .fetch_one(app.store.pool())
    .await
    .expect("an email to the holding school's SENCO");
    assert!(subject.contains("asked for a pupil's record"), "{subject}");
    assert!(!body.contains(&upn) && !body.contains("Hidden") && !body.contains("Elsewhere"));
    // The asking side sees it, without decision buttons, and cannot decide by posting.
    let senco_a = app.signed_in(SENCO_A).await;
    let page = senco_a.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("Release the record</button>"));
    assert!(!page.body.contains("held-name"), "nothing of B's record");
    let r = senco_a
        .post_page(&path, &[("action", "release"), ("confirm", "yes")])
        .await;
    assert_eq!(r.status, 404);
    // Nobody else sees it: a teacher of B, a school in another authority, a parent.
    for who in [TEACHER_A, PARENT_P, OFFICER_2] {
        let c = app.signed_in(who).await;
        assert_eq!(c.get(&path).await.status, 404, "{who}");
    }
    assert_eq!(
        app.store.pupil(&scope, &pupil).await.unwrap().school_id,
        app.fx.school_b
    );

    // The holding school: the dashboard counts it; releasing needs the confirmation.
    let senco_b = app.signed_in(SENCO_B).await;
    let home = senco_b.get("/").await;
    assert!(
        home.body.contains("Transfers waiting for a decision"),
        "{}",
        home.body
    );
    let r = senco_b.post_page(&path, &[("action", "release")]).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("Confirm that the pupil has left"));
    let r = senco_b.post_page(&path, &[("action", "decline")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        app.store.pupil(&scope, &pupil).await.unwrap().school_id,
        app.fx.school_b
    );
    // Decided: a second decision is refused, and the asking school sees "Declined".
    let r = senco_b
        .post_page(&path, &[("action", "release"), ("confirm", "yes")])
        .await;
    assert_eq!(r.status, 409, "decided already: {}", r.body);
    let list = admin.get("/transfers").await;
    assert!(list.body.contains("Declined"), "{}", list.body);

    // Asked again; this time the authority's officer approves it for the school.
    let (location, page) = preview_of(&admin, &file).await;
    let r = confirm(&admin, &location, &page).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let pending: Vec<_> = app
        .store
        .transfer_requests(std::slice::from_ref(&app.fx.school_a))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.status == senco_store::transfers::TransferStatus::Pending)
        .collect();
    assert_eq!(pending.len(), 1);
    let officer = app.signed_in(OFFICER_1).await;
    let list = officer.get("/transfers").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains(&upn));
    let r = officer
        .post_page(
            &format!("/transfers/{}", pending[0].id),
            &[("action", "release"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let moved = app.store.pupil(&scope, &pupil).await.unwrap();
    assert_eq!(moved.school_id, app.fx.school_a);
    assert_eq!(app.store.contacts(&pupil).await.unwrap().len(), 1);
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE record_type = 'transfer_request' \
         AND action = 'release' AND fields = 'authority' AND actor_label = $1",
    )
    .bind(OFFICER_1)
    .fetch_one(app.store.pool())
    .await
    .unwrap()
    .get("n");
    assert_eq!(n, 1);
    // Let the audit queue write the pages' reads (flushed every 50 ms) before checking.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.store.verify_audit().await.unwrap().first_bad, None);
}

/// Pupils of school B with UPNs, for guessing at.
async fn pupils_at_b(app: &TestApp, n: u16) -> Vec<(String, String)> {
    let now = app.clock.now();
    let mut tx = app.store.begin().await.unwrap();
    let mut out = Vec::new();
    for serial in 0..n {
        let upn = Upn::permanent(886, 2002, 19, 100 + serial)
            .unwrap()
            .as_str()
            .to_string();
        let f = PupilFields {
            upn: Some(upn.clone()),
            former_upn: None,
            legal_forename: "Hidden".into(),
            legal_surname: format!("Guessed{serial}"),
            preferred_forename: None,
            preferred_surname: None,
            date_of_birth: date!(2016 - 05 - 05),
            sex: Sex::Female,
            year_override: None,
            reg_group_id: None,
            looked_after: false,
            eal: false,
            fsm: false,
            language: CorrespondenceLanguage::English,
        };
        let id = Store::insert_pupil(&mut tx, &app.fx.school_b, &f, date!(2023 - 09 - 04), now)
            .await
            .unwrap();
        out.push((id, upn));
    }
    senco_store::commit(tx).await.unwrap();
    out
}

/// A file of guessed UPNs: past the limit (10 a day) the preview shows nothing of the file,
/// the burst is audited, and the account's later imports and UPN entries are refused
/// before anything is looked up.
async fn sr_07_a_burst_of_unmatched_upns_is_refused_and_flagged(app: &TestApp) {
    let guessed = pupils_at_b(app, 11).await;
    let admin = app.signed_in(SCHOOL_ADMIN_A).await;
    let mut file = String::from("UPN,Legal Surname,Legal Forename,DOB,Gender\r\n");
    for (_, upn) in &guessed {
        file.push_str(&format!("{upn},Guess,Gail,01/01/2015,F\r\n"));
    }
    let (_, page) = preview_of(&admin, &file).await;
    assert_eq!(page.status, 429, "{}", page.body);
    assert!(page.body.contains("Too many UPNs"), "{}", page.body);
    for (_, upn) in &guessed {
        assert!(
            !page.body.contains(upn.as_str()),
            "nothing of the file is listed"
        );
    }
    for (id, _) in &guessed {
        assert_eq!(probes_of(app, id).await, 1);
    }
    assert_eq!(app.audits(None, "upn_probe_burst", "throttled").await, 1);
    // A file with only a new pupil is refused too, for the rest of the day.
    let fresh = format!(
        "UPN,Legal Surname,Legal Forename,DOB,Gender\r\n{},Newby,Nia,01/02/2018,F\r\n",
        upn(77)
    );
    let (_, page) = preview_of(&admin, &fresh).await;
    assert_eq!(page.status, 429);
    // And so is a UPN typed for a new pupil in the API, whoever holds it.
    let r = admin
        .post_json(
            "/api/v1/pupils",
            &serde_json::json!({"school_urn": URN_A, "legal_forename": "Nia", "legal_surname": "Newby",
                                "date_of_birth": "2018-02-01", "sex": "F", "upn": upn(78)}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("too_many_attempts"), "{}", r.body);
    // Another account of the school is not held back.
    let senco = app.signed_in(SENCO_A).await;
    let (_, page) = preview_of(&senco, &fresh).await;
    assert_eq!(page.status, 200, "{}", page.body);
}

/// `POST /api/v1/pupils` answering `in_use` told anyone whether a UPN was taken: another
/// school's UPN with another date of birth is now an audited, counted probe.
async fn sr_07_a_new_pupil_with_another_schools_upn_is_an_audited_probe(app: &TestApp) {
    let (pupil, upn) = pupil_at_b(app).await;
    let admin = app.signed_in(SCHOOL_ADMIN_A).await;
    let r = admin
        .post_json(
            "/api/v1/pupils",
            &serde_json::json!({"school_urn": URN_A, "legal_forename": "Gail", "legal_surname": "Guess",
                                "date_of_birth": "2015-01-01", "sex": "F", "upn": upn}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("in_use"), "{}", r.body);
    assert!(!r.body.contains("Secret"));
    assert_eq!(probes_of(app, &pupil).await, 1);
    // Nothing was created.
    let n = app
        .count(
            "SELECT COUNT(*) AS n FROM pupils WHERE legal_surname = 'Guess'",
            &[],
        )
        .await;
    assert_eq!(n, 0);
}
