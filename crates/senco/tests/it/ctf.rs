//! The Common Transfer File with SEN history (issue 6, point 2): `senco export ctf` then
//! `senco import ctf` into another installation gives the same history, on SQLite and
//! PostgreSQL; every bad file gets a clear error and leaves the database exactly as it was.

use std::process::{Command, Output};

use senco_domain::framework::Stage;
use senco_domain::person::{CorrespondenceLanguage, Sex};
use senco_domain::school::FrameworkKey;
use senco_domain::upn::Upn;
use senco_store::Store;
use senco_store::pupils::PupilFields;
use senco_store::sen::NewNeed;
use sqlx::Row;
use time::macros::date;

use crate::both;
use crate::helpers::*;

both!(
    export_then_import_gives_the_same_history,
    sr_23_bad_ctf_files_get_a_clear_error_and_change_nothing,
    a_ctf_export_imports_back_for_every_framework_and_date,
    a_ctf_crosses_the_border_with_its_codes_mapped,
);

const URN_A: &str = "100001";
const URN_B: &str = "100002";

fn upn(serial: u16) -> String {
    Upn::permanent(801, 2000, 17, serial)
        .unwrap()
        .as_str()
        .to_string()
}

async fn run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_senco"))
            .args(&args)
            .env("USER", "ci-operator")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn all(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("senco-ctf-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

async fn import(app: &TestApp, path: &std::path::Path) -> Output {
    run(vec![
        "import".into(),
        "ctf".into(),
        path.display().to_string(),
        "--school".into(),
        URN_A.into(),
        "--database-url".into(),
        app.database_url.clone(),
    ])
    .await
}

/// A pupil of school B with a history across both English frameworks and needs.
async fn pupil_with_history(app: &TestApp, serial: u16) -> String {
    let now = app.clock.now();
    let mut tx = app.store.begin().await.unwrap();
    let f = PupilFields {
        upn: Some(upn(serial)),
        former_upn: None,
        legal_forename: "Zoë".into(),
        legal_surname: "O'Hara & Sons".into(),
        preferred_forename: None,
        preferred_surname: None,
        date_of_birth: date!(2005 - 05 - 05),
        sex: Sex::Female,
        year_override: None,
        reg_group_id: None,
        looked_after: false,
        eal: false,
        fsm: false,
        language: CorrespondenceLanguage::English,
    };
    let school = app.fx.school_b.clone();
    let id = Store::insert_pupil(&mut tx, &school, &f, date!(2009 - 09 - 02), now)
        .await
        .unwrap();
    for (framework, stage, on) in [
        (
            FrameworkKey::England2001,
            Stage::SchoolAction,
            date!(2012 - 09 - 05),
        ),
        (
            FrameworkKey::England2001,
            Stage::SchoolActionPlus,
            date!(2013 - 09 - 04),
        ),
        (
            FrameworkKey::England2014,
            Stage::SenSupport,
            date!(2015 - 01 - 05),
        ),
        (
            FrameworkKey::England2014,
            Stage::EhcPlan,
            date!(2020 - 03 - 02),
        ),
    ] {
        let seeded = senco_domain::history::StageReason::Given("seeded".into());
        Store::insert_stage_change(
            &mut tx,
            &id,
            &school,
            &given_stage(framework, stage, on, &seeded),
            now,
        )
        .await
        .unwrap();
    }
    let spld = Store::insert_need(
        &mut tx,
        &id,
        &school,
        &NewNeed {
            code: "SPLD",
            rank: 1,
            starts_on: date!(2015 - 01 - 05),
            recorded_by: None,
        },
        now,
    )
    .await
    .unwrap();
    Store::end_need(&mut tx, &id, &spld, date!(2020 - 03 - 01))
        .await
        .unwrap();
    for (code, rank) in [("ASD", 1), ("SLCN", 2)] {
        Store::insert_need(
            &mut tx,
            &id,
            &school,
            &NewNeed {
                code,
                rank,
                starts_on: date!(2020 - 03 - 02),
                recorded_by: None,
            },
            now,
        )
        .await
        .unwrap();
    }
    senco_store::commit(tx).await.unwrap();
    id
}

/// The history of the pupil with `upn`, as comparable text.
async fn history(store: &Store, upn: &str) -> (Vec<String>, Vec<String>) {
    let rows = sqlx::query(
        "SELECT c.framework, c.stage, c.effective_on FROM stage_changes c JOIN pupils p ON p.id = c.pupil_id \
         WHERE p.upn = $1 ORDER BY c.effective_on",
    )
    .bind(upn)
    .fetch_all(store.pool())
    .await
    .unwrap();
    let stages = rows
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r.get::<String, _>("framework"),
                r.get::<String, _>("stage"),
                r.get::<String, _>("effective_on")
            )
        })
        .collect();
    let rows = sqlx::query(
        "SELECT n.code, n.rank, n.starts_on, n.ends_on FROM needs n JOIN pupils p ON p.id = n.pupil_id \
         WHERE p.upn = $1 ORDER BY n.starts_on, n.rank",
    )
    .bind(upn)
    .fetch_all(store.pool())
    .await
    .unwrap();
    let needs = rows
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {:?}",
                r.get::<String, _>("code"),
                r.get::<i64, _>("rank"),
                r.get::<String, _>("starts_on"),
                r.get::<Option<String>, _>("ends_on")
            )
        })
        .collect();
    (stages, needs)
}

/// Everything an import could change, as counts.
async fn snapshot(app: &TestApp) -> Vec<String> {
    app.row_counts(&[
        "pupils",
        "enrolments",
        "pupil_versions",
        "stage_changes",
        "current_stages",
        "needs",
        "audit_log WHERE pupil_id IS NOT NULL OR record_type IN ('pupil_import', 'ctf_import')",
    ])
    .await
}

async fn export_then_import_gives_the_same_history(app: &TestApp) {
    let db = if app.postgres_database().is_some() {
        Db::Postgres
    } else {
        Db::Sqlite
    };
    let id = pupil_with_history(app, 71).await;
    let the_upn = upn(71);
    let before = history(&app.store, &the_upn).await;
    assert_eq!(before.0.len(), 4);

    // An unknown UPN is refused and nothing is written.
    let file = temp("leaving.xml");
    let mut args: Vec<String> = vec![
        "export".into(),
        "ctf".into(),
        "--school".into(),
        URN_B.into(),
        "--database-url".into(),
        app.database_url.clone(),
        "-o".into(),
        file.display().to_string(),
    ];
    let mut wrong = args.clone();
    wrong.extend(["--upn".to_string(), upn(99)]);
    let o = run(wrong).await;
    assert!(!o.status.success());
    assert!(all(&o).contains(&upn(99)), "{}", all(&o));
    assert!(!file.exists());

    args.extend(["--upn".to_string(), the_upn.clone()]);
    let o = run(args).await;
    assert!(o.status.success(), "{}", all(&o));
    let xml = std::fs::read_to_string(&file).unwrap();
    assert!(xml.contains("<SENprovision>A</SENprovision>"), "{xml}");
    assert!(xml.contains("<StartDate>2012-09-05</StartDate>"), "{xml}");
    assert!(xml.contains("<EndDate>2013-09-03</EndDate>"), "{xml}");
    assert!(xml.contains("<LEA>886</LEA>"), "{xml}");
    assert!(xml.contains("<Estab>XXX</Estab>"), "{xml}");
    assert!(xml.contains("O&apos;Hara &amp; Sons"), "{xml}");
    // The export is audited for the pupil.
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE record_type = 'ctf_export' AND pupil_id = $1",
    )
    .bind(&id)
    .fetch_one(app.store.pool())
    .await
    .unwrap()
    .get("n");
    assert_eq!(n, 1);

    // Into a fresh installation: the same history, marked imported.
    let Some(other) = TestApp::spawn(db).await else {
        return;
    };
    let o = import(&other, &file).await;
    assert!(o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("1 new"), "{}", all(&o));
    assert!(all(&o).contains("4 stage entries added"), "{}", all(&o));
    assert_eq!(history(&other.store, &the_upn).await, before);
    let imported: i64 = sqlx::query("SELECT COUNT(*) AS n FROM stage_changes WHERE imported = 1")
        .fetch_one(other.store.pool())
        .await
        .unwrap()
        .get("n");
    assert_eq!(imported, 4);
    let stage: String = sqlx::query(
        "SELECT s.stage FROM current_stages s JOIN pupils p ON p.id = s.pupil_id WHERE p.upn = $1",
    )
    .bind(&the_upn)
    .fetch_one(other.store.pool())
    .await
    .unwrap()
    .get("stage");
    assert_eq!(stage, "ehc_plan");
    assert_eq!(other.store.verify_audit().await.unwrap().first_bad, None);

    // Again: nothing is duplicated.
    let o = import(&other, &file).await;
    assert!(o.status.success(), "{}", all(&o));
    assert!(
        all(&o).contains("0 stage entries added (4 already held)"),
        "{}",
        all(&o)
    );
    assert!(
        all(&o).contains("0 needs added (3 already held)"),
        "{}",
        all(&o)
    );
    assert_eq!(history(&other.store, &the_upn).await, before);
    other.stop().await;
    let _ = std::fs::remove_file(&file);
}

fn pupil_xml(upn: &str, dob: &str, sen: &str) -> String {
    format!(
        "<Pupil><UPN>{upn}</UPN><Surname>Newby</Surname><Forename>Nia</Forename>\
         <DOB>{dob}</DOB><Sex>F</Sex><SENhistory>{sen}</SENhistory></Pupil>"
    )
}

fn ctf_xml(pupils: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CTfile><Header><DocumentName>Common Transfer File</DocumentName>\
         </Header><CTFpupilData>{pupils}</CTFpupilData></CTfile>\n"
    )
}

fn sen(start: &str, code: &str) -> String {
    format!("<SEN><StartDate>{start}</StartDate><SENprovision>{code}</SENprovision></SEN>")
}

async fn sr_23_bad_ctf_files_get_a_clear_error_and_change_nothing(app: &TestApp) {
    let good = pupil_xml(&upn(1), "2015-02-01", &sen("2020-09-03", "K"));
    let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>\n<CTfile><Header><SupplierID>&lol2;</SupplierID></Header></CTfile>";
    let external = "<?xml version=\"1.0\"?>\n<!DOCTYPE CTfile [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<CTfile><Header><SupplierID>&xxe;</SupplierID></Header></CTfile>";
    let whole = ctf_xml(&good);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(whole.encode_utf16().flat_map(u16::to_le_bytes));
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "truncated XML",
            whole.as_bytes()[..whole.len() - 40].to_vec(),
            vec!["cut short"],
        ),
        ("entity expansion", laughs.as_bytes().to_vec(), vec!["DOCTYPE"]),
        ("an external entity", external.as_bytes().to_vec(), vec!["DOCTYPE"]),
        (
            "a wrong encoding",
            whole
                .replace("UTF-8", "ISO-8859-1")
                .into_bytes(),
            vec!["ISO-8859-1", "UTF-8 only"],
        ),
        ("a UTF-16 file", utf16, vec!["UTF-16"]),
        (
            "duplicate UPNs",
            ctf_xml(&format!("{good}{good}")).into_bytes(),
            vec![upn(1).leak(), "more than once"],
        ),
        (
            "a date of birth in the future",
            ctf_xml(&pupil_xml(&upn(2), "2099-01-01", "")).into_bytes(),
            vec![upn(2).leak(), "date_of_birth"],
        ),
        (
            "a stage code unknown to the framework",
            ctf_xml(&format!("{good}{}", pupil_xml(&upn(3), "2015-02-01", &sen("2020-09-03", "Z")))).into_bytes(),
            vec![upn(3).leak(), "\"Z\" is not a provision code"],
        ),
        (
            "A in England in 2016",
            ctf_xml(&pupil_xml(&upn(4), "2008-02-01", &sen("2016-09-01", "A"))).into_bytes(),
            vec![upn(4).leak(), "Nia Newby", "1 September 2016", "31 August 2015"],
        ),
        (
            "an unknown need code",
            ctf_xml(&pupil_xml(
                &upn(5),
                "2015-02-01",
                &format!(
                    "{}<SENneeds><SENneed><SENtypeRank>1</SENtypeRank><SENtype>XYZ</SENtype></SENneed></SENneeds>",
                    sen("2020-09-03", "K")
                ),
            ))
            .into_bytes(),
            vec![upn(5).leak(), "XYZ"],
        ),
    ];
    let before = snapshot(app).await;
    for (what, bytes, expect) in cases {
        let path = temp("bad.xml");
        std::fs::write(&path, &bytes).unwrap();
        let o = import(app, &path).await;
        assert!(!o.status.success(), "{what}: accepted\n{}", all(&o));
        for e in expect {
            assert!(all(&o).contains(e), "{what}: {e:?} not in\n{}", all(&o));
        }
        assert_eq!(snapshot(app).await, before, "{what} changed the database");
        let _ = std::fs::remove_file(&path);
    }

    // A 200 MB file is refused by its size, without being read (it is sparse).
    let path = temp("huge.xml");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(200 * 1024 * 1024).unwrap();
    drop(f);
    let o = import(app, &path).await;
    assert!(!o.status.success());
    assert!(all(&o).contains("too large"), "{}", all(&o));
    assert_eq!(
        snapshot(app).await,
        before,
        "the 200 MB file changed the database"
    );
    let _ = std::fs::remove_file(&path);

    // The good pupil alone is imported.
    let path = temp("good.xml");
    std::fs::write(&path, &whole).unwrap();
    let o = import(app, &path).await;
    assert!(o.status.success(), "{}", all(&o));
    assert_ne!(snapshot(app).await, before);
}

/// A pupil of `school` born 2004, enrolled in 2008, with `stages` recorded; their id.
async fn pupil_with_stages(
    app: &TestApp,
    school: &str,
    serial: u16,
    stages: &[(FrameworkKey, Stage, time::Date)],
) -> String {
    let mut tx = app.store.begin().await.unwrap();
    let f = PupilFields {
        upn: Some(upn(serial)),
        former_upn: None,
        legal_forename: "Rhys".into(),
        legal_surname: "Roundtrip".into(),
        preferred_forename: None,
        preferred_surname: None,
        date_of_birth: date!(2004 - 03 - 03),
        sex: Sex::Male,
        year_override: None,
        reg_group_id: None,
        looked_after: false,
        eal: false,
        fsm: false,
        language: CorrespondenceLanguage::English,
    };
    let id = Store::insert_pupil(&mut tx, school, &f, date!(2008 - 09 - 03), app.clock.now())
        .await
        .unwrap();
    senco_store::commit(tx).await.unwrap();
    for (framework, stage, on) in stages {
        record_stage(app, &id, school, *framework, *stage, *on).await;
    }
    id
}

async fn export_ctf(app: &TestApp, urn: &str, serial: u16) -> (std::path::PathBuf, String) {
    let file = temp("round-trip.xml");
    let o = run(vec![
        "export".into(),
        "ctf".into(),
        "--school".into(),
        urn.into(),
        "--database-url".into(),
        app.database_url.clone(),
        "-o".into(),
        file.display().to_string(),
        "--upn".into(),
        upn(serial),
    ])
    .await;
    assert!(o.status.success(), "{}", all(&o));
    let xml = std::fs::read_to_string(&file).unwrap();
    (file, xml)
}

async fn import_into(app: &TestApp, urn: &str, file: &std::path::Path) -> Output {
    run(vec![
        "import".into(),
        "ctf".into(),
        file.display().to_string(),
        "--school".into(),
        urn.into(),
        "--database-url".into(),
        app.database_url.clone(),
    ])
    .await
}

/// A stage recorded and the provision code a CTF writes for it.
type Written = (FrameworkKey, Stage, time::Date, &'static str);

/// Issue 17, point 5: every interval is written with the code in force on its first day
/// through the dated table, so the file imports back, into another installation and into
/// the school it came from, for each framework on both sides of every cut-over.
async fn a_ctf_export_imports_back_for_every_framework_and_date(app: &TestApp) {
    use FrameworkKey::{
        England2001 as E01, England2014 as E14, Wales2002 as W02, WalesAln2021 as ALN,
    };
    let english = [
        (E01, Stage::NoSen, date!(2009 - 09 - 02), "N"),
        (E01, Stage::SchoolAction, date!(2010 - 09 - 06), "A"),
        (E01, Stage::SchoolActionPlus, date!(2012 - 01 - 09), "P"),
        (E01, Stage::Statement, date!(2013 - 03 - 04), "S"),
        // After A and P ended, School Action Plus is written K.
        (E01, Stage::SchoolActionPlus, date!(2015 - 09 - 07), "K"),
        // After S ended, a statement is written E.
        (E01, Stage::Statement, date!(2018 - 04 - 03), "E"),
        (E14, Stage::SenSupport, date!(2019 - 09 - 02), "K"),
        (E14, Stage::EhcPlan, date!(2021 - 09 - 06), "E"),
        (E14, Stage::NoSen, date!(2023 - 09 - 04), "N"),
        // The example: School Action from 7 September 2026.
        (E01, Stage::SchoolAction, date!(2026 - 09 - 07), "K"),
    ];
    let welsh = [
        (W02, Stage::SchoolAction, date!(2015 - 09 - 07), "A"),
        (W02, Stage::Statement, date!(2020 - 09 - 07), "S"),
        (ALN, Stage::LaIdp, date!(2022 - 01 - 10), "LIDP"),
        (ALN, Stage::SchoolIdp, date!(2023 - 09 - 04), "SIDP"),
        // Off the register under the Wales Code after the legacy cut-over: still N.
        (W02, Stage::NoSen, date!(2025 - 10 - 06), "N"),
    ];
    let cases: [(&str, u16, &[Written]); 2] = [(URN_B, 81, &english), ("100003", 82, &welsh)];
    let db = if app.postgres_database().is_some() {
        Db::Postgres
    } else {
        Db::Sqlite
    };
    let Some(other) = TestApp::spawn(db).await else {
        return;
    };
    for (urn, serial, stages) in cases {
        let school = if urn == URN_B {
            app.fx.school_b.clone()
        } else {
            app.fx.school_w.clone()
        };
        let recorded: Vec<(FrameworkKey, Stage, time::Date)> =
            stages.iter().map(|(f, s, d, _)| (*f, *s, *d)).collect();
        pupil_with_stages(app, &school, serial, &recorded).await;
        let (file, xml) = export_ctf(app, urn, serial).await;
        let written: Vec<String> = xml
            .split("<SENprovision>")
            .skip(1)
            .map(|x| x.split('<').next().unwrap().to_string())
            .collect();
        let expected: Vec<String> = stages.iter().map(|(_, _, _, c)| c.to_string()).collect();
        assert_eq!(written, expected, "{xml}");

        // Into another installation's school of the same country.
        let dest = if urn == URN_B { URN_A } else { "100003" };
        let o = import_into(&other, dest, &file).await;
        assert!(o.status.success(), "{urn}: {}", all(&o));
        assert!(
            all(&o).contains(&format!("{} stage entries added", stages.len())),
            "{}",
            all(&o)
        );
        // Back into the school it came from: every record is already held.
        let o = import_into(app, urn, &file).await;
        assert!(o.status.success(), "{urn}: {}", all(&o));
        assert!(
            all(&o).contains(&format!(
                "0 stage entries added ({} already held)",
                stages.len()
            )),
            "{}",
            all(&o)
        );
        let _ = std::fs::remove_file(&file);
    }
    other.stop().await;
}

/// Records ranked needs (code, rank, start) for a pupil of `school`.
async fn needs_of(app: &TestApp, pupil: &str, school: &str, needs: &[(&str, i64, time::Date)]) {
    let mut tx = app.store.begin().await.unwrap();
    for (code, rank, on) in needs {
        Store::insert_need(
            &mut tx,
            pupil,
            school,
            &NewNeed {
                code,
                rank: *rank,
                starts_on: *on,
                recorded_by: None,
            },
            app.clock.now(),
        )
        .await
        .unwrap();
    }
    senco_store::commit(tx).await.unwrap();
}

/// Issue 17, point 8: a CTF crosses the border. A Welsh school importing a file from an
/// English school maps the DfE need codes (SPLD, SLCN, SEMH) and provision codes (K, E) to
/// Welsh ones instead of refusing the file; an English school importing a Welsh file maps
/// the Welsh ones (School Action and statements after England's codes ended, IDPs, the
/// Welsh need categories) back. The report says what was mapped, and for how many pupils.
/// A code with no sensible mapping (OTH) refuses the file, naming the pupil and the code,
/// and changes nothing, until an operator sets a mapping.
async fn a_ctf_crosses_the_border_with_its_codes_mapped(app: &TestApp) {
    use FrameworkKey::{England2014 as E14, Wales2002 as W02, WalesAln2021 as ALN};
    let db = if app.postgres_database().is_some() {
        Db::Postgres
    } else {
        Db::Sqlite
    };
    let Some(other) = TestApp::spawn(db).await else {
        return;
    };
    const URN_W: &str = "100003";
    let b = app.fx.school_b.clone();
    let w = app.fx.school_w.clone();

    // England to Wales: two pupils of school B on SEN support, one later with an EHC plan.
    let first = pupil_with_stages(
        app,
        &b,
        91,
        &[
            (E14, Stage::SenSupport, date!(2016 - 09 - 05)),
            (E14, Stage::EhcPlan, date!(2022 - 01 - 10)),
        ],
    )
    .await;
    needs_of(
        app,
        &first,
        &b,
        &[
            ("SPLD", 1, date!(2016 - 09 - 05)),
            ("SLCN", 2, date!(2016 - 09 - 05)),
            ("SEMH", 3, date!(2022 - 01 - 10)),
        ],
    )
    .await;
    let second = pupil_with_stages(
        app,
        &b,
        92,
        &[(E14, Stage::SenSupport, date!(2017 - 09 - 04))],
    )
    .await;
    needs_of(app, &second, &b, &[("SPLD", 1, date!(2017 - 09 - 04))]).await;
    let file = temp("to-wales.xml");
    let o = run(vec![
        "export".into(),
        "ctf".into(),
        "--school".into(),
        URN_B.into(),
        "--database-url".into(),
        app.database_url.clone(),
        "-o".into(),
        file.display().to_string(),
        "--upn".into(),
        upn(91),
        "--upn".into(),
        upn(92),
    ])
    .await;
    assert!(o.status.success(), "{}", all(&o));
    let o = import_into(&other, URN_W, &file).await;
    assert!(o.status.success(), "{}", all(&o));
    let out = all(&o);
    for line in [
        "SENprovision K mapped to A (School Action) for 2 pupils",
        "SENprovision E mapped to LIDP (Local-authority-maintained IDP) for 1 pupil",
        "SENtype SPLD mapped to DYSL (Dyslexia) for 2 pupils",
        "SENtype SLCN mapped to SLCD (Speech, language and communication difficulties) for 1 pupil",
        "SENtype SEMH mapped to BESD (Behavioural, emotional and social difficulties) for 1 pupil",
        "census.need_map.england.spld",
    ] {
        assert!(out.contains(line), "{line:?} not in\n{out}");
    }
    assert_eq!(
        history(&other.store, &upn(91)).await,
        (
            vec![
                "wales_2002 school_action 2016-09-05".to_string(),
                "wales_aln_2021 la_idp 2022-01-10".to_string(),
            ],
            vec![
                "DYSL 1 2016-09-05 None".to_string(),
                "SLCD 2 2016-09-05 None".to_string(),
                "BESD 3 2022-01-10 None".to_string(),
            ]
        )
    );
    let _ = std::fs::remove_file(&file);

    // Wales to England: a pupil of Ysgol W on School Action, then a statement, then an
    // IDP kept by the local authority, with Welsh need categories.
    let welsh = pupil_with_stages(
        app,
        &w,
        93,
        &[
            (W02, Stage::SchoolAction, date!(2016 - 09 - 05)),
            (W02, Stage::Statement, date!(2019 - 01 - 07)),
            (ALN, Stage::LaIdp, date!(2022 - 01 - 10)),
        ],
    )
    .await;
    needs_of(
        app,
        &welsh,
        &w,
        &[
            ("DYSL", 1, date!(2016 - 09 - 05)),
            ("ADHD", 2, date!(2016 - 09 - 05)),
            ("GLD", 1, date!(2019 - 01 - 07)),
        ],
    )
    .await;
    let (file, xml) = export_ctf(app, URN_W, 93).await;
    assert!(xml.contains("<LEA>672</LEA>"), "{xml}");
    let o = import_into(&other, URN_A, &file).await;
    assert!(o.status.success(), "{}", all(&o));
    let out = all(&o);
    for line in [
        "SENprovision A mapped to K (SEN support) for 1 pupil",
        "SENprovision S mapped to E (EHC plan) for 1 pupil",
        "SENprovision LIDP mapped to E (EHC plan) for 1 pupil",
        "SENtype DYSL mapped to SPLD (Specific learning difficulty) for 1 pupil",
        "SENtype ADHD mapped to SEMH (Social, emotional and mental health) for 1 pupil",
        "SENtype GLD mapped to MLD (Moderate learning difficulty) for 1 pupil",
    ] {
        assert!(out.contains(line), "{line:?} not in\n{out}");
    }
    assert_eq!(
        history(&other.store, &upn(93)).await,
        (
            vec![
                "england_2014 sen_support 2016-09-05".to_string(),
                "england_2014 ehc_plan 2019-01-07".to_string(),
                "england_2014 ehc_plan 2022-01-10".to_string(),
            ],
            vec![
                "SPLD 1 2016-09-05 None".to_string(),
                "SEMH 2 2016-09-05 None".to_string(),
                "MLD 1 2019-01-07 None".to_string(),
            ]
        )
    );
    let _ = std::fs::remove_file(&file);

    // No Welsh category fits OTH: the file is refused, naming the pupil, the code and the
    // setting, and nothing changes.
    let oth = ctf_xml(&pupil_xml(
        &upn(94),
        "2015-02-01",
        &format!(
            "{}<SENneeds><SENneed><SENtypeRank>1</SENtypeRank><SENtype>OTH</SENtype></SENneed></SENneeds>",
            sen("2020-09-03", "K")
        ),
    ));
    let path = temp("oth.xml");
    std::fs::write(&path, &oth).unwrap();
    let before = snapshot(&other).await;
    let o = import_into(&other, URN_W, &path).await;
    assert!(!o.status.success(), "{}", all(&o));
    for e in [
        upn(94).as_str(),
        "Nia Newby",
        "OTH",
        "no_need_mapping",
        "census.need_map.england.oth",
    ] {
        assert!(all(&o).contains(e), "{e:?} not in\n{}", all(&o));
    }
    assert_eq!(
        snapshot(&other).await,
        before,
        "a refused file changed the database"
    );

    // An English code is taken only where England used it on its date: K in 2012 is
    // refused, with the dated table's reason.
    let early = ctf_xml(&pupil_xml(&upn(95), "2005-02-01", &sen("2012-01-10", "K")));
    let early_path = temp("k-2012.xml");
    std::fs::write(&early_path, &early).unwrap();
    let o = import_into(&other, URN_W, &early_path).await;
    assert!(!o.status.success(), "{}", all(&o));
    for e in [
        upn(95).as_str(),
        "SENprovision K from 10 January 2012",
        "is not valid in England on that date",
        "1 September 2014",
        "code_not_yet_valid",
    ] {
        assert!(all(&o).contains(e), "{e:?} not in\n{}", all(&o));
    }
    assert_eq!(
        snapshot(&other).await,
        before,
        "a refused file changed the database"
    );
    let _ = std::fs::remove_file(&early_path);

    // Once an operator maps it, the same file imports, and the report names the mapping
    // as theirs (no "unconfirmed default" note on that line).
    let o = run(vec![
        "settings".into(),
        "set".into(),
        "census.need_map.england.oth".into(),
        "general_learning_difficulties".into(),
        "--database-url".into(),
        other.database_url.clone(),
    ])
    .await;
    assert!(o.status.success(), "{}", all(&o));
    let o = import_into(&other, URN_W, &path).await;
    assert!(o.status.success(), "{}", all(&o));
    let out = all(&o);
    let line = out
        .lines()
        .find(|l| {
            l.contains("SENtype OTH mapped to GLD (General learning difficulties) for 1 pupil")
        })
        .unwrap_or_else(|| panic!("no OTH line in\n{out}"));
    assert!(!line.contains("census.need_map"), "{line}");
    let _ = std::fs::remove_file(&path);
    other.stop().await;
}
