//! The graduated response: concerns, triage, stage changes and their rules, parents told,
//! needs and processes, through the API and the pages.

use serde_json::json;

use crate::both;
use crate::helpers::*;

both!(
    a_teacher_raises_a_concern_and_the_senco_places_the_pupil_on_school_action,
    stage_changes_follow_the_framework_rules_and_422s_name_the_rule,
    corrections_supersede_entries_and_the_history_is_append_only,
    parents_not_told_stays_on_the_dashboard_until_recorded,
    needs_come_from_the_code_list_valid_on_their_date,
    statutory_processes_are_recorded_beside_the_stage,
    parents_never_see_concerns_and_stages_to_map_are_listed,
    welsh_legacy_stages_follow_the_code_settings,
    a_school_under_the_2001_code_records_a_statement_today_and_reports_it_as_e,
);

/// Issue 17, point 4: a school working under the 2001 Code (school A) records a statement
/// whatever the date, and the census reports it as E with a note; a pupil arriving with an
/// EHC plan may be recorded at a statement rather than only taken off the register.
async fn a_school_under_the_2001_code_records_a_statement_today_and_reports_it_as_e(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let path = format!("/api/v1/pupils/{}/stage-changes", app.fx.p1);
    for (st, on) in [
        ("school_action", "2026-09-07"),
        ("school_action_plus", "2026-10-05"),
        ("statement", "2026-11-02"),
    ] {
        let mut body = stage(st, on);
        body["specialists"] = json!("Educational psychologist");
        let r = c.post_json(&path, &body).await;
        assert_eq!(r.status, 201, "{st} on {on}: {}", r.body);
    }
    let csv = c.get("/census.csv?date=2026-11-10").await;
    assert_eq!(csv.status, 200);
    let amelia = csv
        .body
        .lines()
        .find(|l| l.contains("Thornbury"))
        .unwrap()
        .to_string();
    assert!(amelia.contains("\"E\""), "{amelia}");
    assert!(
        amelia.contains("A statement is reported as E (EHC plan) after S ended"),
        "{amelia}"
    );

    // Bethan arrived with an EHC plan (an imported entry under the 2014 Code).
    record_stage(
        app,
        &app.fx.p2,
        &app.fx.school_a,
        senco_domain::school::FrameworkKey::England2014,
        senco_domain::framework::Stage::EhcPlan,
        time::macros::date!(2024 - 09 - 04),
    )
    .await;
    let r = c
        .post_json(
            &format!("/api/v1/pupils/{}/stage-changes", app.fx.p2),
            &json!({"stage": "statement", "effective_on": "2026-10-01", "reason": "Arrived with an EHC plan", "decided_with": "Local authority", "specialists": "Educational psychologist"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        app.store
            .current_stage(&app.fx.p2)
            .await
            .unwrap()
            .unwrap()
            .stage
            .as_str(),
        "statement"
    );
}

async fn welsh_legacy_stages_follow_the_code_settings(app: &TestApp) {
    // A Welsh school works under both systems; the legacy codes end on 31 August 2025 by
    // default, which operators may extend.
    let user = app.store.user_by_email(SENCO_B).await.unwrap();
    let hash = senco_app::credentials::hash_passphrase(
        &senco_domain::person::Passphrase::parse(PASSPHRASE).unwrap(),
    )
    .unwrap();
    let mut tx = app.store.begin().await.unwrap();
    let id = senco_store::Store::insert_user(
        &mut tx,
        &senco_store::users::NewUser {
            email: "senco@w.example",
            name: "ALNCo W",
            role: senco_domain::role::Role::Senco,
            school_id: Some(&app.fx.school_w),
            la_id: None,
            password_hash: Some(&hash),
            must_change_password: false,
        },
        app.clock.now(),
    )
    .await
    .unwrap();
    senco_store::commit(tx).await.unwrap();
    let _ = (user, id);
    let c = app.signed_in("senco@w.example").await;
    let path = format!("/api/v1/pupils/{}/stage-changes", app.fx.p4);
    // Newly identified after 1 September 2021: the Wales Code takes no new learners
    // (issue 17, point 2), whatever the legacy code settings.
    let mut new_learner = stage("school_action", "2025-01-10");
    new_learner["framework"] = json!("wales_2002");
    let refused = c.post_json(&path, &new_learner).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(
        refused.json()["errors"][0]["reason"],
        "closed_to_new_learners",
        "{}",
        refused.body
    );
    // On the register under the Wales Code before the ALN system began: still theirs.
    record_stage(
        app,
        &app.fx.p4,
        &app.fx.school_w,
        senco_domain::school::FrameworkKey::Wales2002,
        senco_domain::framework::Stage::SchoolAction,
        time::macros::date!(2020 - 01 - 06),
    )
    .await;
    let mut legacy = stage("school_action_plus", "2026-10-01");
    legacy["framework"] = json!("wales_2002");
    legacy["specialists"] = json!("Educational psychologist");
    let refused = c.post_json(&path, &legacy).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("31 August 2025"),
        "{}",
        refused.body
    );
    let mut tx = app.store.begin().await.unwrap();
    senco_store::Store::set_setting(&mut tx, "census.wales_legacy_until", "2027-08-31")
        .await
        .unwrap();
    senco_store::commit(tx).await.unwrap();
    assert_eq!(c.post_json(&path, &legacy).await.status, 201);
    let mut idp = stage("school_idp", "2026-11-02");
    idp["framework"] = json!("wales_aln_2021");
    let moved = c.post_json(&path, &idp).await;
    assert_eq!(
        moved.status, 201,
        "moving a learner across to an IDP: {}",
        moved.body
    );
    assert_eq!(
        app.store
            .current_stage(&app.fx.p4)
            .await
            .unwrap()
            .unwrap()
            .stage
            .as_str(),
        "school_idp"
    );
}

fn stage(stage: &str, on: &str) -> serde_json::Value {
    json!({"stage": stage, "effective_on": on, "reason": "Little progress despite targeted teaching", "decided_with": "Class teacher"})
}

async fn a_teacher_raises_a_concern_and_the_senco_places_the_pupil_on_school_action(app: &TestApp) {
    let teacher = app.signed_in(TEACHER_A).await;
    let r = teacher
        .post_json(
            &format!("/api/v1/pupils/{}/concerns", app.fx.p1),
            &json!({"areas": ["cognition_and_learning"], "triggers": ["little_or_no_progress"], "tried": "Phonics group three times a week", "result": "Reading age unchanged after six weeks"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let concern_id = r.json()["id"].as_str().unwrap().to_string();
    // A teacher cannot raise one for a pupil they do not teach; a parent never.
    let r = teacher
        .post_json(
            &format!("/api/v1/pupils/{}/concerns", app.fx.p2),
            &json!({"areas": ["cognition_and_learning"], "tried": "x", "result": "y"}),
        )
        .await;
    assert_eq!(r.status, 404);
    let bad = teacher
        .post_json(
            &format!("/api/v1/pupils/{}/concerns", app.fx.p1),
            &json!({"areas": [], "tried": "", "result": ""}),
        )
        .await;
    assert_eq!(bad.status, 422);
    let fields: Vec<String> = bad.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["areas", "tried", "result"]);
    // The SENCO sees it awaiting triage, on the concerns page and the home page.
    let senco = app.signed_in(SENCO_A).await;
    let list = senco.get("/concerns").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains(&format!("/concerns/{concern_id}")));
    assert!(
        senco
            .get("/")
            .await
            .body
            .contains(&format!("/concerns/{concern_id}"))
    );
    let page = senco.get(&format!("/concerns/{concern_id}")).await;
    assert!(page.body.contains("Reading age unchanged"));
    let missing = senco
        .post_page(&format!("/concerns/{concern_id}"), &[("version", "1")])
        .await;
    assert_eq!(missing.status, 422);
    assert!(missing.body.contains("Select what happens next"));
    let placed = senco
        .post_page(
            &format!("/concerns/{concern_id}"),
            &[
                ("version", "1"),
                ("decision", "place"),
                ("stage", "england_2001:school_action"),
                ("effective_on_day", "2"),
                ("effective_on_month", "11"),
                ("effective_on_year", "2026"),
                ("reason", "Concern confirmed"),
                ("parents_told_how", "meeting"),
                ("parents_told_on_day", "3"),
                ("parents_told_on_month", "11"),
                ("parents_told_on_year", "2026"),
            ],
        )
        .await;
    assert_eq!(placed.status, 303, "{}", placed.body);
    let pupil = senco.get(&format!("/pupils/{}", app.fx.p1)).await;
    assert!(
        pupil.body.contains("School Action"),
        "the current stage is shown"
    );
    assert!(!pupil.body.contains("Parents not yet told"));
    let stale = senco
        .post_page(
            &format!("/concerns/{concern_id}"),
            &[("version", "1"), ("decision", "monitor")],
        )
        .await;
    assert_eq!(
        stale.status, 409,
        "a decided concern cannot be decided again"
    );
    assert!(stale.body.contains("Someone else decided"));
    assert_eq!(
        app.audits(Some(&app.fx.p1), "create", "allowed").await,
        2,
        "concern and stage change"
    );
}

async fn stage_changes_follow_the_framework_rules_and_422s_name_the_rule(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let path = format!("/api/v1/pupils/{}/stage-changes", app.fx.p1);
    let rule = |r: &Resp| {
        r.json()["errors"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let refused = async |key: &str, on: &str, reason: &str| {
        let r = c.post_json(&path, &stage(key, on)).await;
        assert_eq!(
            (r.status, rule(&r).as_str()),
            (422, reason),
            "{key} on {on}"
        );
    };
    refused("school_action", "2027-01-01", "date_in_future").await;
    refused("school_action", "2020-01-01", "before_enrolment").await;
    refused("sen_support", "2026-10-01", "stage_not_in_framework").await;
    refused("early_years_action", "2026-10-01", "early_years_only").await;
    refused("stage_six", "2026-10-01", "unknown_value").await;
    let ok = c
        .post_json(&path, &stage("school_action", "2026-10-01"))
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    refused("statement", "2026-10-05", "move_not_allowed").await;
    refused("school_action", "2026-10-06", "already_on_stage").await;
    let no_specialists = c
        .post_json(&path, &stage("school_action_plus", "2026-11-02"))
        .await;
    assert_eq!(no_specialists.status, 422);
    assert_eq!(no_specialists.json()["errors"][0]["field"], "specialists");
    let mut plus = stage("school_action_plus", "2026-11-02");
    plus["specialists"] = json!("Educational psychologist (referral made)");
    let up = c.post_json(&path, &plus).await;
    assert_eq!(up.status, 201, "{}", up.body);
    let off = c.post_json(&path, &stage("no_sen", "2026-11-20")).await;
    assert_eq!(off.status, 201, "{}", off.body);
    let current = app.store.current_stage(&app.fx.p1).await.unwrap().unwrap();
    assert_eq!(current.stage.as_str(), "no_sen");
    // Teachers read SEN records but cannot change stages; parents neither.
    for email in [TEACHER_A, PARENT_P] {
        let r = app
            .signed_in(email)
            .await
            .post_json(&path, &stage("school_action", "2026-11-21"))
            .await;
        assert_eq!(r.status, 404, "{email}");
    }
    let doc = app.client().get("/api/v1/openapi.json").await.json();
    assert!(doc["paths"]["/api/v1/pupils/{id}/stage-changes"]["post"].is_object());
}

async fn corrections_supersede_entries_and_the_history_is_append_only(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let path = format!("/api/v1/pupils/{}/stage-changes", app.fx.p2);
    let first = c
        .post_json(&path, &stage("school_action", "2026-10-01"))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut correction = stage("school_action", "2026-09-15");
    correction["supersedes"] = json!(first);
    correction["reason"] = json!("The decision was in September: date corrected");
    let r = c.post_json(&path, &correction).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let history = app.store.stage_changes(&app.fx.p2).await.unwrap();
    assert_eq!(history.len(), 2, "the corrected entry stays");
    let current = app.store.current_stage(&app.fx.p2).await.unwrap().unwrap();
    assert_eq!(current.since.to_string(), "2026-09-15");
    let twice = c.post_json(&path, &correction).await;
    assert_eq!(twice.status, 422, "an entry can be corrected once");
    let page = c.get(&format!("/pupils/{}", app.fx.p2)).await;
    assert!(page.body.contains("Corrected"));
    assert!(
        app.refuses("UPDATE stage_changes SET stage = 'statement'")
            .await,
        "stage history cannot be edited"
    );
}

async fn parents_not_told_stays_on_the_dashboard_until_recorded(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let path = format!("/api/v1/pupils/{}/stage-changes", app.fx.p1);
    let id = c
        .post_json(&path, &stage("school_action", "2026-10-01"))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let home = c.get("/").await;
    assert!(home.body.contains("Parents not yet told of a change"));
    assert!(home.body.contains("Amelia Thornbury: School Action"));
    let (status, letter) = c
        .get_bytes(&format!("/pupils/{}/stage-changes/{id}/letter", app.fx.p1))
        .await;
    assert_eq!(status, 200);
    let text = pdf_text(&letter);
    assert!(
        text.contains("Amelia Thornbury")
            && text.contains("School Action")
            && text.contains("Pat Parent"),
        "{text}"
    );
    let (status, _) = app
        .signed_in(PARENT_P)
        .await
        .get_bytes(&format!("/pupils/{}/stage-changes/{id}/letter", app.fx.p1))
        .await;
    assert_eq!(status, 404, "letters are for the school to send");
    let form_path = format!("/pupils/{}/stage-changes/{id}/parents-told", app.fx.p1);
    assert_eq!(c.get(&form_path).await.status, 200);
    let bad = c
        .post_page(
            &form_path,
            &[
                ("parents_told_on_day", "1"),
                ("parents_told_on_month", "12"),
                ("parents_told_on_year", "2026"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("today or in the past")
            && bad.body.contains("Select how parents were told")
    );
    let ok = c
        .post_page(
            &form_path,
            &[
                ("parents_told_on_day", "2"),
                ("parents_told_on_month", "10"),
                ("parents_told_on_year", "2026"),
                ("parents_told_how", "letter"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert!(
        !c.get("/")
            .await
            .body
            .contains("Amelia Thornbury: School Action")
    );
}

async fn needs_come_from_the_code_list_valid_on_their_date(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let path = format!("/pupils/{}/needs/new", app.fx.p1);
    let form = c.get(&path).await;
    assert!(
        form.body.contains("value=\"SEMH\"") && !form.body.contains("value=\"BESD\""),
        "BESD is not offered today"
    );
    let besd = c
        .post_page(
            &path,
            &[
                ("code", "BESD"),
                ("rank", "1"),
                ("starts_on_day", "1"),
                ("starts_on_month", "10"),
                ("starts_on_year", "2026"),
            ],
        )
        .await;
    assert_eq!(besd.status, 422);
    assert!(besd.body.contains("BESD"), "{}", besd.body);
    let ok = c
        .post_page(
            &path,
            &[
                ("code", "SPLD"),
                ("rank", "1"),
                ("starts_on_day", "1"),
                ("starts_on_month", "10"),
                ("starts_on_year", "2026"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let second_primary = c.post_page(&path, &[("code", "SLCN"), ("rank", "1")]).await;
    assert!(second_primary.body.contains("already has a primary need"));
    let secondary = c.post_page(&path, &[("code", "SLCN"), ("rank", "2")]).await;
    assert_eq!(secondary.status, 303);
    let needs = app.store.needs(&app.fx.p1).await.unwrap();
    assert_eq!(
        needs
            .iter()
            .map(|n| (n.code.as_str(), n.rank))
            .collect::<Vec<_>>(),
        [("SPLD", 1), ("SLCN", 2)]
    );
    // Welsh categories at a Welsh school: none of the fixture's staff work there, so check the list.
    let settings = senco_domain::census::CodeSettings::default();
    let welsh = senco_app::sen::need_choices(
        senco_domain::school::Country::Wales,
        time::macros::date!(2026 - 11 - 23),
        &settings,
    );
    assert_eq!(welsh.len(), 15);
}

async fn statutory_processes_are_recorded_beside_the_stage(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let path = format!("/pupils/{}/processes/new", app.fx.p1);
    let form = c.get(&path).await;
    assert!(form.body.contains("Request for statutory assessment"));
    assert!(
        !form.body.contains("35 school days"),
        "the ALN decision is for Welsh schools"
    );
    let wrong = c
        .post_page(
            &path,
            &[
                ("kind", "aln_decision"),
                ("started_on_day", "1"),
                ("started_on_month", "10"),
                ("started_on_year", "2026"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    let order = c
        .post_page(
            &path,
            &[
                ("kind", "statutory_assessment"),
                ("started_on_day", "5"),
                ("started_on_month", "10"),
                ("started_on_year", "2026"),
                ("decided_on_day", "1"),
                ("decided_on_month", "10"),
                ("decided_on_year", "2026"),
            ],
        )
        .await;
    assert!(order.body.contains("on or after the start"));
    let ok = c
        .post_page(
            &path,
            &[
                ("kind", "statutory_assessment"),
                ("started_on_day", "5"),
                ("started_on_month", "10"),
                ("started_on_year", "2026"),
                ("notes", "Parents asked too"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert!(
        c.get(&format!("/pupils/{}", app.fx.p1))
            .await
            .body
            .contains("Request for statutory assessment")
    );
}

async fn parents_never_see_concerns_and_stages_to_map_are_listed(app: &TestApp) {
    let teacher = app.signed_in(TEACHER_A).await;
    let r = teacher
        .post_json(&format!("/api/v1/pupils/{}/concerns", app.fx.p1), &json!({"areas": ["sensory_and_or_physical"], "tried": "Seat at the front", "result": "Still struggles to see the board"}))
        .await;
    let concern_id = r.json()["id"].as_str().unwrap().to_string();
    let parent = app.signed_in(PARENT_P).await;
    assert_eq!(
        parent.get(&format!("/concerns/{concern_id}")).await.status,
        404
    );
    assert_eq!(parent.get("/concerns").await.status, 404);
    let page = parent.get(&format!("/pupils/{}", app.fx.p1)).await;
    assert!(!page.body.contains("Still struggles"));
    assert!(!page.body.contains("Raise a concern"));
    // A stage from a framework the school does not work under shows as one to map.
    let mut tx = app.store.begin().await.unwrap();
    let id = senco_store::Store::insert_stage_change(
        &mut tx,
        &app.fx.p2,
        &app.fx.school_a,
        &senco_store::sen::NewStageChange {
            imported: true,
            ..given_stage(
                senco_domain::school::FrameworkKey::England2014,
                senco_domain::framework::Stage::SenSupport,
                time::macros::date!(2025 - 09 - 01),
                &senco_domain::history::StageReason::Given(
                    "Imported from the previous school".into(),
                ),
            )
        },
        app.clock.now(),
    )
    .await
    .unwrap();
    let current = senco_store::sen::CurrentStage {
        framework: senco_domain::school::FrameworkKey::England2014,
        stage: senco_domain::framework::Stage::SenSupport,
        since: time::macros::date!(2025 - 09 - 01),
        stage_change_id: id,
    };
    senco_store::Store::set_current_stage(&mut tx, &app.fx.p2, &app.fx.school_a, Some(&current))
        .await
        .unwrap();
    senco_store::commit(tx).await.unwrap();
    let home = app.signed_in(SENCO_A).await.get("/").await;
    assert!(home.body.contains("Stages to map"));
    assert!(
        home.body.contains("Bethan Quill: SEN support"),
        "{}",
        home.body
    );
}
