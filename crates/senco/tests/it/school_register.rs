//! Issue 19, point 1: the administrator sets up authorities and schools through pages, the
//! API and the command line, and imports them from a national register's CSV extract; an
//! edit on an older version is refused; anyone else is refused (and audited); a register
//! file with bad rows is refused whole and changes nothing; closed schools stay.

use std::process::Output;

use serde_json::json;
use sqlx::Row;

use crate::both;
use crate::helpers::*;

both!(
    the_administrator_keeps_authorities_and_schools_through_pages,
    others_are_refused_and_the_refusal_is_audited,
    the_api_creates_and_changes_with_if_match,
    the_register_import_previews_applies_and_refuses_bad_files_whole,
    the_register_import_through_the_pages,
    the_command_line_sets_up_and_imports,
);

const SAMPLE: &[u8] = include_bytes!("../../../interop/tests/data/gias_sample.csv");

/// Everything the set-up could change, as text.
async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for q in [
        "SELECT id, code, name, country, version FROM local_authorities ORDER BY id",
        "SELECT id, la_id, urn, estab_number, name, phase, closed, COALESCE(closed_on, '') AS closed_on, \
         town, postcode, version FROM schools ORDER BY id",
        "SELECT school_id, framework FROM school_frameworks ORDER BY school_id, framework",
    ] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(q))
            .fetch_all(app.store.pool())
            .await
            .unwrap();
        for r in rows {
            let cols: Vec<String> = (0..r.len())
                .map(|i| {
                    r.try_get::<String, _>(i)
                        .or_else(|_| r.try_get::<i64, _>(i).map(|n| n.to_string()))
                        .unwrap_or_default()
                })
                .collect();
            out.push(cols.join("|"));
        }
    }
    out
}

async fn audit_count(app: &TestApp, record_type: &str, outcome: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE record_type = $1 AND outcome = $2")
        .bind(record_type)
        .bind(outcome)
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get("n")
}

fn location(r: &Resp) -> String {
    r.header("location").unwrap_or_default().to_string()
}

async fn the_administrator_keeps_authorities_and_schools_through_pages(app: &TestApp) {
    let admin = app.signed_in(ADMIN).await;
    let list = admin.get("/admin/schools").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("School A"), "{}", list.body);
    assert!(list.body.contains("href=\"/admin/schools\""), "navigation");

    // An authority: a wrong code keeps what was typed.
    let bad = admin
        .post_page(
            "/admin/authorities/new",
            &[("code", "99"), ("name", "Fenshire typed"), ("country", "")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("Fenshire typed"));
    assert!(bad.body.contains("govuk-error-summary"));
    let ok = admin
        .post_page(
            "/admin/authorities/new",
            &[("code", "873"), ("name", "Fenshire"), ("country", "")],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(location(&ok), "/admin/authorities?flash=authority_added");
    let flashed = admin.get(&location(&ok)).await;
    assert!(flashed.body.contains("Local authority added"));
    let authorities = admin.get("/admin/authorities?q=fen").await;
    assert!(
        authorities.body.contains("Fenshire"),
        "{}",
        authorities.body
    );
    assert!(!authorities.body.contains("Northmoor"), "searched");
    // The same code again is refused.
    let twice = admin
        .post_page(
            "/admin/authorities/new",
            &[("code", "873"), ("name", "Again"), ("country", "")],
        )
        .await;
    assert_eq!(twice.status, 422);

    // A school, with a form that keeps what was typed.
    let fields = |urn: &'static str, name: &'static str| {
        vec![
            ("la_code", "873"),
            ("urn", urn),
            ("establishment_number", "2101"),
            ("name", name),
            ("phase", "primary"),
            ("maintained", "yes"),
            ("street", "1 Fen Road"),
            ("town", "Ely"),
            ("postcode", "cb7 4aa"),
            ("telephone", "01353 000000"),
            ("website", "www.fen.example"),
            ("language_medium", ""),
            ("closed_on", ""),
        ]
    };
    let bad = admin
        .post_page("/admin/schools/new", &fields("12", "Fen Primary typed"))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("Fen Primary typed"));
    assert!(bad.body.contains("1 Fen Road"));
    let made = admin
        .post_page("/admin/schools/new", &fields("120001", "Fen Primary"))
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let flashed = location(&made);
    let page_path = flashed.split('?').next().unwrap().to_string();
    let page = admin.get(&flashed).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Fen Primary"));
    assert!(page.body.contains("CB7 4AA"), "the postcode, tidied");
    assert!(page.body.contains("School added"));
    let id = page_path.rsplit('/').next().unwrap().to_string();
    let framework: String =
        sqlx::query("SELECT framework FROM school_frameworks WHERE school_id = $1")
            .bind(&id)
            .fetch_one(app.store.pool())
            .await
            .unwrap()
            .get("framework");
    assert_eq!(framework, "england_2014");

    // An edit made on the version read is saved; one made on an older version is refused
    // and changes nothing.
    let form = admin.get(&format!("{page_path}/edit")).await;
    assert!(
        form.body.contains("name=\"version\" value=\"1\""),
        "{}",
        form.body
    );
    let mut renamed = fields("120001", "Fen Community Primary");
    renamed.push(("version", "1"));
    let saved = admin
        .post_page(&format!("{page_path}/edit"), &renamed)
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let before = snapshot(app).await;
    let mut stale = fields("120001", "Fen Stale Primary");
    stale.push(("version", "1"));
    let refused = admin.post_page(&format!("{page_path}/edit"), &stale).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("Someone changed these details"));
    assert!(
        refused.body.contains("Fen Community Primary"),
        "the current details"
    );
    assert_eq!(snapshot(app).await, before);

    // Closing keeps the school, listed as closed.
    let mut closing = fields("120001", "Fen Community Primary");
    closing.retain(|(k, _)| *k != "closed_on");
    closing.extend([
        ("version", "2"),
        ("closed", "yes"),
        ("closed_on", "2026-07-31"),
    ]);
    let closed = admin
        .post_page(&format!("{page_path}/edit"), &closing)
        .await;
    assert_eq!(closed.status, 303, "{}", closed.body);
    let list = admin.get("/admin/schools?q=fen").await;
    assert!(list.body.contains("Fen Community Primary"));
    assert!(list.body.contains("govuk-tag--grey"), "{}", list.body);
    let rows: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM schools WHERE urn = '120001' AND closed = 1")
            .fetch_one(app.store.pool())
            .await
            .unwrap()
            .get("n");
    assert_eq!(rows, 1);
    // Each change has its audit row with the fields changed, never their values.
    let fields_changed: Vec<String> = sqlx::query(
        "SELECT fields FROM audit_log WHERE record_type = 'school' AND action = 'update' \
         AND record_id = $1 ORDER BY seq",
    )
    .bind(&id)
    .fetch_all(app.store.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| r.get::<Option<String>, _>("fields").unwrap_or_default())
    .collect();
    assert_eq!(fields_changed, ["name", "closed,closed_on"]);
}

async fn others_are_refused_and_the_refusal_is_audited(app: &TestApp) {
    let before = snapshot(app).await;
    for email in [SENCO_A, SCHOOL_ADMIN_A, HEAD_A, OFFICER_1] {
        let c = app.signed_in(email).await;
        assert_eq!(c.get("/admin/schools").await.status, 404, "{email}");
        assert_eq!(c.get("/admin/authorities").await.status, 404, "{email}");
        let r = c
            .post_page(
                "/admin/authorities/new",
                &[("code", "873"), ("name", "Fenshire"), ("country", "")],
            )
            .await;
        assert_eq!(r.status, 404, "{email}");
        let r = c
            .post_json(
                "/api/v1/admin/schools",
                &json!({"la_code": "886", "urn": "120002", "establishment_number": "2102",
                        "name": "Sneaky", "phase": "primary"}),
            )
            .await;
        assert_eq!(r.status, 404, "{email}: {}", r.body);
        let r = c
            .send(
                c.raw()
                    .post(c.url("/api/v1/admin/schools/import"))
                    .header("content-type", "text/csv")
                    .body(SAMPLE.to_vec()),
            )
            .await;
        assert_eq!(r.status, 404, "{email}");
    }
    assert_eq!(snapshot(app).await, before);
    assert!(audit_count(app, "school", "denied").await >= 8);
    assert!(audit_count(app, "authority", "denied").await >= 8);
    // The navigation offers the pages to administrators only.
    let senco = app.signed_in(SENCO_A).await;
    assert!(
        !senco
            .get("/")
            .await
            .body
            .contains("href=\"/admin/schools\"")
    );
}

async fn the_api_creates_and_changes_with_if_match(app: &TestApp) {
    let admin = app.signed_in(ADMIN).await;
    let r = admin
        .post_json(
            "/api/v1/admin/authorities",
            &json!({"code": "681", "name": "Caerdydd"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["country"], "wales", "from the code");
    assert_eq!(r.header("etag"), Some("\"v1\""));
    let authority = r.json()["id"].as_str().unwrap().to_string();

    // Every problem by field; unknown members refused.
    let r = admin
        .post_json(
            "/api/v1/admin/schools",
            &json!({"la_code": "681", "urn": "1", "establishment_number": "x",
                    "name": "", "phase": "college", "language_medium": "klingon"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let fields: Vec<String> = r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        fields,
        [
            "urn",
            "establishment_number",
            "name",
            "phase",
            "language_medium"
        ]
    );
    let r = admin
        .post_json(
            "/api/v1/admin/schools",
            &json!({"la_code": "681", "urn": "400001", "establishment_number": "2001",
                    "name": "Ysgol Example", "phase": "primary", "school_id": "x"}),
        )
        .await;
    assert_eq!(r.status, 422, "mass assignment: {}", r.body);

    let r = admin
        .post_json(
            "/api/v1/admin/schools",
            &json!({"la_code": "681", "urn": "400001", "establishment_number": "2001",
                    "name": "Ysgol Example", "phase": "primary", "language_medium": "welsh",
                    "postcode": "CF10 1AA"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let school = r.json();
    let id = school["id"].as_str().unwrap().to_string();
    assert_eq!(school["language_medium"], "welsh");
    assert_eq!(school["country"], "wales");

    let path = format!("/api/v1/admin/schools/{id}");
    let r = admin
        .patch_json(&path, &json!({"town": "Caerdydd"}), Some("\"v1\""))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("etag"), Some("\"v2\""));
    let before = snapshot(app).await;
    let r = admin
        .patch_json(&path, &json!({"town": "Stale"}), Some("\"v1\""))
        .await;
    assert_eq!(r.status, 412, "{}", r.body);
    assert_eq!(snapshot(app).await, before);
    // Closing keeps it.
    let r = admin
        .patch_json(
            &path,
            &json!({"closed": true, "closed_on": "2026-08-31"}),
            Some("\"v2\""),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = admin.get(&path).await.json();
    assert_eq!(got["closed"], true);
    assert_eq!(got["closed_on"], "2026-08-31");
    assert_eq!(got["town"], "Caerdydd");
    let list = admin.get("/api/v1/admin/schools?search=ysgol").await.json();
    assert_eq!(list["total"], 2, "{list}");

    let r = admin
        .patch_json(
            &format!("/api/v1/admin/authorities/{authority}"),
            &json!({"name": "Cardiff"}),
            Some("\"v1\""),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let list = admin.get("/api/v1/admin/authorities").await.json();
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "Cardiff"),
        "{list}"
    );
    assert_eq!(admin.get("/api/v1/admin/schools/nope").await.status, 404);
}

async fn import(c: &Client, bytes: &[u8], dry_run: bool) -> Resp {
    let path = if dry_run {
        "/api/v1/admin/schools/import?dry_run=true"
    } else {
        "/api/v1/admin/schools/import"
    };
    c.send(
        c.raw()
            .post(c.url(path))
            .header("content-type", "text/csv")
            .body(bytes.to_vec()),
    )
    .await
}

async fn the_register_import_previews_applies_and_refuses_bad_files_whole(app: &TestApp) {
    let admin = app.signed_in(ADMIN).await;
    let r = admin
        .post_json(
            "/api/v1/admin/authorities",
            &json!({"code": "873", "name": "Cambridgeshire"}),
        )
        .await;
    assert_eq!(r.status, 201);

    // The dry run says what would happen and writes nothing.
    let before = snapshot(app).await;
    let r = import(&admin, SAMPLE, true).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let report = r.json();
    assert_eq!(report["written"], false);
    assert_eq!(report["format"], "gias");
    assert_eq!(report["new"].as_array().unwrap().len(), 4, "{report}");
    assert_eq!(report["other_authorities"], 1);
    assert_eq!(report["not_schools"], 1);
    assert_eq!(snapshot(app).await, before);

    let r = import(&admin, SAMPLE, false).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["written"], true);
    let closed: (i64, Option<String>) = {
        let row = sqlx::query("SELECT closed, closed_on FROM schools WHERE urn = '110003'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        (row.get("closed"), row.get("closed_on"))
    };
    assert_eq!(closed, (1, Some("2019-08-31".to_string())));
    assert_eq!(audit_count(app, "school", "allowed").await, 4);

    // The same file again changes nothing; a newer one changes field by field.
    let r = import(&admin, SAMPLE, true).await;
    assert_eq!(r.json()["unchanged"], 4, "{}", r.body);
    let newer = String::from_utf8(SAMPLE.to_vec())
        .unwrap()
        .replace("Hillside Primary School", "Hillside Church Primary School")
        .replace(
            "\"Open, but proposed to close\",01-09-2012,",
            "Closed,01-09-2012,31-12-2026",
        );
    let r = import(&admin, newer.as_bytes(), true).await;
    let report = r.json();
    let changed = report["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 2, "{report}");
    assert_eq!(
        changed[0]["changes"],
        json!([{"field": "name", "before": "Hillside Primary School", "after": "Hillside Church Primary School"}])
    );
    assert_eq!(changed[1]["closes"], true);
    assert_eq!(
        changed[1]["changes"],
        json!([{"field": "closed", "before": "no", "after": "yes"},
               {"field": "closed_on", "before": "", "after": "2026-12-31"}])
    );

    // A file with bad rows among good ones is refused whole, with every line named.
    let before = snapshot(app).await;
    let bad = format!(
        "{newer}110007,873,Cambridgeshire,2901,,Community school,Local authority maintained schools,Open,,,Primary,4,11,,,,,,NOTAPOSTCODE,,,,\n\
         110008,873,Cambridgeshire,2902,Odd School,Community school,Local authority maintained schools,Dormant,,,Primary,4,11,,,,,,,,,,\n"
    );
    let r = import(&admin, bad.as_bytes(), false).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let report = r.json();
    assert_eq!(report["written"], false);
    let problems: Vec<(u64, String, String)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["line"].as_u64().unwrap(),
                p["column"].as_str().unwrap().to_string(),
                p["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [
            (8, "EstablishmentName".to_string(), "missing".to_string()),
            (8, "Postcode".to_string(), "format".to_string()),
            (
                9,
                "EstablishmentStatus (name)".to_string(),
                "unknown_status".to_string()
            ),
        ]
    );
    assert_eq!(snapshot(app).await, before, "nothing changed");
    // A new school whose establishment number School A already has: named in the preview,
    // refused whole.
    let clash = format!(
        "{newer}110098,886,Northmoor,2001,Clash Primary,Community school,x,Open,,,Primary,4,11,,,,,,,,,,\n"
    );
    let r = import(&admin, clash.as_bytes(), true).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["problems"][0]["code"], "estab_in_use");
    assert_eq!(r.json()["problems"][0]["line"], 8);
    let r = import(&admin, clash.as_bytes(), false).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(snapshot(app).await, before);
    // Not a register file at all.
    let r = import(&admin, b"Name,Age\nA,1\n", false).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["reason"], "unknown_format");
    assert_eq!(snapshot(app).await, before);
}

/// A multipart body with the form token and one file.
pub(crate) fn multipart(token: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "senco-register-boundary-7f1";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"edubasealldata.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(c: &Client, bytes: &[u8]) -> Resp {
    let (ct, body) = multipart(&c.csrf(), bytes);
    c.send(
        c.raw()
            .post(c.url("/admin/schools/import/upload"))
            .header("content-type", ct)
            .body(body),
    )
    .await
}

async fn the_register_import_through_the_pages(app: &TestApp) {
    let admin = app.signed_in(ADMIN).await;
    let r = admin
        .post_page(
            "/admin/authorities/new",
            &[("code", "873"), ("name", "Cambridgeshire"), ("country", "")],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = admin.get("/admin/schools/import").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("enctype=\"multipart/form-data\""));

    // A bad file: the preview lists the rows and offers no confirmation.
    let before = snapshot(app).await;
    let bad = format!(
        "{}110009,873,Cambridgeshire,2903,Bad Row,Community school,x,Open,,,Primary,4,11,,,,,,ZZ,,,,\n",
        String::from_utf8(SAMPLE.to_vec()).unwrap()
    );
    let r = upload(&admin, bad.as_bytes()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let preview = admin.get(&location(&r)).await;
    assert_eq!(preview.status, 422, "{}", preview.body);
    assert!(preview.body.contains("id=\"problems\""));
    assert!(preview.body.contains("ZZ"));
    assert!(!preview.body.contains("Import these changes"));
    // Confirming it anyway changes nothing.
    let r = admin.post_page(&location(&r), &[]).await;
    assert_eq!(r.status, 422);
    assert_eq!(snapshot(app).await, before);

    // A good file: preview, then confirm.
    let r = upload(&admin, SAMPLE).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let kept = location(&r);
    let preview = admin.get(&kept).await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(preview.body.contains("Hillside Primary School"));
    assert!(preview.body.contains("Import these changes"));
    assert_eq!(snapshot(app).await, before, "a preview writes nothing");
    let done = admin.post_page(&kept, &[]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(location(&done), "/admin/schools?flash=imported");
    assert!(
        admin
            .get(&location(&done))
            .await
            .body
            .contains("Schools imported")
    );
    let list = admin.get("/admin/schools?q=873").await;
    assert!(list.body.contains("Old Mill Infant School"), "closed, kept");
    // The kept file is gone once imported.
    assert_eq!(admin.get(&kept).await.status, 404);
    // Another administrator cannot see someone else's upload.
    let r = upload(&admin, SAMPLE).await;
    let other = app.signed_in(SENCO_A).await;
    assert_eq!(other.get(&location(&r)).await.status, 404);
}

pub(crate) async fn cli(app: &TestApp, args: &[&str], file: Option<&[u8]>) -> Output {
    cli_file(app, args, file.map(|b| ("register.csv", b))).await
}

pub(crate) use crate::helpers::cli_output as out;

async fn the_command_line_sets_up_and_imports(app: &TestApp) {
    let o = cli(
        app,
        &[
            "authority",
            "add",
            "--code",
            "873",
            "--name",
            "Cambridgeshire",
        ],
        None,
    )
    .await;
    assert!(o.status.success(), "{}", out(&o));
    let o = cli(
        app,
        &["authority", "add", "--code", "12", "--name", "X"],
        None,
    )
    .await;
    assert!(!o.status.success());
    assert!(out(&o).contains("code:"), "{}", out(&o));
    let o = cli(app, &["authority", "list", "--search", "cambs"], None).await;
    assert!(o.status.success());
    let o = cli(app, &["authority", "list"], None).await;
    assert!(
        out(&o).contains("873\tCambridgeshire\tengland\t0"),
        "{}",
        out(&o)
    );
    let o = cli(
        app,
        &[
            "authority",
            "edit",
            "873",
            "--name",
            "Cambridgeshire County",
        ],
        None,
    )
    .await;
    assert!(o.status.success(), "{}", out(&o));

    let o = cli(
        app,
        &[
            "school",
            "add",
            "--urn",
            "130001",
            "--authority",
            "873",
            "--estab",
            "3001",
            "--name",
            "Cam Primary",
            "--phase",
            "primary",
        ],
        None,
    )
    .await;
    assert!(o.status.success(), "{}", out(&o));
    let o = cli(
        app,
        &["school", "edit", "130001", "--close", "2026-07-31"],
        None,
    )
    .await;
    assert!(o.status.success(), "{}", out(&o));
    let o = cli(app, &["school", "list", "--search", "cam"], None).await;
    assert!(
        out(&o).contains("130001\t873\t3001\tCam Primary\tprimary\tClosed"),
        "{}",
        out(&o)
    );

    // The dry run writes nothing; a bad file is refused whole; a good one is imported.
    let before = snapshot(app).await;
    let o = cli(app, &["import", "schools", "--dry-run"], Some(SAMPLE)).await;
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("4 new schools"), "{}", out(&o));
    assert!(out(&o).contains("Dry run"), "{}", out(&o));
    assert_eq!(snapshot(app).await, before);
    let bad = format!(
        "{}110010,873,Cambridgeshire,2904,Bad Date,Community school,x,Closed,,31-13-2020,Primary,4,11,,,,,,,,,,\n",
        String::from_utf8(SAMPLE.to_vec()).unwrap()
    );
    let o = cli(app, &["import", "schools"], Some(bad.as_bytes())).await;
    assert!(!o.status.success());
    assert!(out(&o).contains("Line 8, CloseDate"), "{}", out(&o));
    assert!(out(&o).contains("Nothing was imported"), "{}", out(&o));
    assert_eq!(snapshot(app).await, before);
    let o = cli(
        app,
        &["import", "schools", "--report", "json"],
        Some(SAMPLE),
    )
    .await;
    assert!(o.status.success(), "{}", out(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["written"], true);
    assert_eq!(report["new"].as_array().unwrap().len(), 4);
    let n = app
        .count(
            "SELECT COUNT(*) AS n FROM schools WHERE urn LIKE '1100%'",
            &[],
        )
        .await;
    assert_eq!(n, 4);
    // Changes from the command line are audited as the operator.
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE channel = 'cli' AND record_type IN ('school', 'authority')",
    )
    .fetch_one(app.store.pool())
    .await
    .unwrap()
    .get("n");
    assert_eq!(n, 3 + 4 + 1);
}
