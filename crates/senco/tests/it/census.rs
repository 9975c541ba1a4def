//! The school census SEN return (issue 6): the page with its counts and problems, the CSV
//! and XML downloads, who may reach it, and `senco export census`.

use senco_domain::Date;
use senco_domain::framework::Stage;
use senco_domain::school::FrameworkKey;
use senco_store::Store;
use time::macros::date;

use crate::both;
use crate::cli::{senco, text};
use crate::helpers::*;

both!(
    the_return_gives_each_pupil_on_roll_a_code_and_lists_every_problem,
    only_sencos_and_head_teachers_reach_the_return,
    the_command_line_writes_the_return_and_fails_on_errors,
    a_welsh_learner_off_the_register_before_the_cut_over_is_n_after_it,
    a_census_before_2004_asks_no_need_types_for_p_and_s,
);

const CENSUS: &str = "2026-10-01";

async fn place(app: &TestApp, pupil: &str, school: &str, stage: Stage, on: Date, needs: &[&str]) {
    record_stage(app, pupil, school, FrameworkKey::England2014, stage, on).await;
    let mut tx = app.store.begin().await.unwrap();
    insert_needs(&mut tx, pupil, school, needs, on, app.clock.now()).await;
    senco_store::commit(tx).await.unwrap();
}

/// p1 (Amelia Thornbury) on SEN support with SPLD and SLCN; p2 (Bethan Quill) with an EHC
/// plan but no need recorded; p3 in school B on SEN support with MLD.
async fn seed(app: &TestApp) {
    let (a, b) = (&app.fx.school_a, &app.fx.school_b);
    let from = date!(2026 - 09 - 10);
    place(
        app,
        &app.fx.p1,
        a,
        Stage::SenSupport,
        from,
        &["SPLD", "SLCN"],
    )
    .await;
    place(app, &app.fx.p2, a, Stage::EhcPlan, from, &[]).await;
    place(app, &app.fx.p3, b, Stage::SenSupport, from, &["MLD"]).await;
}

async fn the_return_gives_each_pupil_on_roll_a_code_and_lists_every_problem(app: &TestApp) {
    seed(app).await;
    let c = app.signed_in(SENCO_A).await;
    // The register offers it.
    assert!(c.get("/register").await.body.contains("href=\"/census\""));
    let r = c.get(&format!("/census?date={CENSUS}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("1 October 2026"), "{}", r.body);
    assert!(r.body.contains("Bethan Quill"));
    assert!(r.body.contains("Provision code E needs a primary need"));
    assert!(!r.body.contains("Marlowe"), "school B's pupil appears");
    assert!(r.body.contains(&format!("/census.csv?date={CENSUS}")));

    let csv = c.get(&format!("/census.csv?date={CENSUS}")).await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.header("content-disposition")
            .unwrap_or("")
            .starts_with("attachment; filename=\"sen-census-100001-2026-10-01.csv\""),
        "{:?}",
        csv.headers
    );
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 3, "{}", csv.body);
    let amelia = lines.iter().find(|l| l.contains("Thornbury")).unwrap();
    assert!(
        amelia.contains("\"B801200005001\"") && amelia.contains("\"K\",\"SPLD\",\"SLCN\""),
        "{amelia}"
    );
    let bethan = lines.iter().find(|l| l.contains("Quill")).unwrap();
    assert!(bethan.contains("\"E\",\"\",\"\""), "{bethan}");

    let xml = c.get(&format!("/census.xml?date={CENSUS}")).await;
    assert_eq!(xml.status, 200);
    assert!(
        xml.header("content-type")
            .unwrap_or("")
            .starts_with("application/xml")
    );
    for part in [
        "censusDate=\"2026-10-01\"",
        "<School URN=\"100001\"",
        "<Count SENprovision=\"E\" pupils=\"1\"/>",
        "<Count SENprovision=\"K\" pupils=\"1\"/>",
        "<SENneed rank=\"2\" code=\"SLCN\" unconfirmed=\"false\"/>",
        "rule=\"no_primary_need\"",
    ] {
        assert!(xml.body.contains(part), "{part} missing: {}", xml.body);
    }
    app.wait_for_audit(None, "export", "allowed", 2).await;

    // Before anyone was enrolled: an empty return, said plainly.
    let r = c.get("/census?date=2024-01-18").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("No pupils were on roll"), "{}", r.body);
    // A date that is not one is refused on the field, and what was typed is kept.
    let r = c.get("/census?date=31%2F01%2F2027").await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Enter the census date as a real date"));
    assert!(r.body.contains("value=\"31/01/2027\""), "{}", r.body);
    assert_eq!(c.get("/census.csv?date=soon").await.status, 400);
}

async fn only_sencos_and_head_teachers_reach_the_return(app: &TestApp) {
    for (email, allowed) in [
        (SENCO_A, true),
        (HEAD_A, true),
        (TEACHER_A, false),
        (TA_A, false),
        (SCHOOL_ADMIN_A, false),
        (PARENT_P, false),
        (SPECIALIST_S, false),
        (OFFICER_1, false),
        (ADMIN, false),
    ] {
        let c = app.signed_in(email).await;
        for path in [
            "/census",
            "/census.csv?date=2026-10-01",
            "/census.xml?date=2026-10-01",
        ] {
            let status = c.get(path).await.status;
            assert_eq!(status == 200, allowed, "{email} {path}: {status}");
            if !allowed {
                assert_eq!(status, 404, "{email} {path}");
            }
        }
        let register = c.get("/register").await.body;
        assert_eq!(register.contains("href=\"/census\""), allowed, "{email}");
    }
    let anonymous = app.client();
    let r = anonymous.get("/census").await;
    assert_eq!(r.status, 303);
}

async fn the_command_line_writes_the_return_and_fails_on_errors(app: &TestApp) {
    seed(app).await;
    let db = app.database_url.as_str();
    let o = senco(
        &[
            "export",
            "census",
            "--database-url",
            db,
            "--school",
            "100001",
            "--date",
            CENSUS,
        ],
        None,
    );
    let out = text(&o);
    assert!(!o.status.success(), "an error in the return fails: {out}");
    let csv = String::from_utf8_lossy(&o.stdout);
    assert!(csv.starts_with("\"UPN\",\"Surname\""), "{csv}");
    assert!(csv.contains("\"K\",\"SPLD\",\"SLCN\""));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("error: Bethan Quill (no UPN): Provision code E needs a primary need"),
        "{err}"
    );
    assert!(
        err.contains("2 pupils on roll on 2026-10-01 at School A (E 1, K 1)"),
        "{err}"
    );

    let file = std::env::temp_dir().join(format!("census-{}.xml", uuid::Uuid::new_v4()));
    let o = senco(
        &[
            "export",
            "census",
            "--database-url",
            db,
            "--school",
            "100002",
            "--date",
            CENSUS,
            "--format",
            "xml",
            "-o",
            file.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let xml = std::fs::read_to_string(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(
        xml.contains("<Count SENprovision=\"K\" pupils=\"1\"/>"),
        "{xml}"
    );
    assert!(xml.contains("<SENneed rank=\"1\" code=\"MLD\""), "{xml}");
    assert!(!xml.contains("<Problem"), "{xml}");

    for (args, says) in [
        (
            vec!["--school", "100001", "--date", "21/01/2027"],
            "--date must be a date",
        ),
        (
            vec!["--school", "999999", "--date", CENSUS],
            "no school has URN 999999",
        ),
    ] {
        let mut all = vec!["export", "census", "--database-url", db];
        all.extend(args);
        let o = senco(&all, None);
        assert!(!o.status.success());
        assert!(text(&o).contains(says), "{}", text(&o));
    }
    assert!(app.audits(None, "export", "allowed").await >= 2);
}

fn census_cli(app: &TestApp, urn: &str, on: &str) -> std::process::Output {
    senco(
        &[
            "export",
            "census",
            "--database-url",
            app.database_url.as_str(),
            "--school",
            urn,
            "--date",
            on,
        ],
        None,
    )
}

/// Issue 17, point 3: N (no special provision) does not lapse with the Welsh legacy codes.
async fn a_welsh_learner_off_the_register_before_the_cut_over_is_n_after_it(app: &TestApp) {
    let w = &app.fx.school_w;
    record_stage(
        app,
        &app.fx.p4,
        w,
        FrameworkKey::Wales2002,
        Stage::SchoolAction,
        date!(2024 - 09 - 10),
    )
    .await;
    record_stage(
        app,
        &app.fx.p4,
        w,
        FrameworkKey::Wales2002,
        Stage::NoSen,
        date!(2025 - 07 - 01),
    )
    .await;
    let o = census_cli(app, "100003", CENSUS);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(!out.contains("is not valid"), "{out}");
    assert!(out.contains("at Ysgol W (N 1)"), "{out}");
}

/// Issue 17, point 9: need types were collected only from January 2004, so a census before
/// then reports P and S without them, and from then on asks for a primary need.
async fn a_census_before_2004_asks_no_need_types_for_p_and_s(app: &TestApp) {
    let b = &app.fx.school_b;
    let mut ids = Vec::new();
    for forename in ["Peter", "Sian"] {
        let mut tx = app.store.begin().await.unwrap();
        let id = Store::insert_pupil(
            &mut tx,
            b,
            &senco_store::pupils::PupilFields {
                upn: None,
                former_upn: None,
                legal_forename: forename.into(),
                legal_surname: "Early".into(),
                preferred_forename: None,
                preferred_surname: None,
                date_of_birth: date!(1994 - 05 - 05),
                sex: senco_domain::person::Sex::Male,
                year_override: None,
                reg_group_id: None,
                looked_after: false,
                eal: false,
                fsm: false,
                language: senco_domain::person::CorrespondenceLanguage::English,
            },
            date!(2001 - 09 - 05),
            app.clock.now(),
        )
        .await
        .unwrap();
        senco_store::commit(tx).await.unwrap();
        ids.push(id);
    }
    for (id, stage) in ids.iter().zip([Stage::SchoolActionPlus, Stage::Statement]) {
        record_stage(
            app,
            id,
            b,
            FrameworkKey::England2001,
            stage,
            date!(2002 - 09 - 10),
        )
        .await;
    }
    let o = census_cli(app, "100002", "2003-01-16");
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(!out.contains("primary need"), "{out}");
    assert!(out.contains("(P 1, S 1)"), "{out}");
    // From the January 2004 census a primary need is asked for.
    let o = census_cli(app, "100002", "2004-01-15");
    let out = text(&o);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("error: Peter Early (no UPN): Provision code P needs a primary need"),
        "{out}"
    );
}
