//! Plans and reviews through the API and pages: the review-date limit, quality warnings,
//! status, optimistic locking (412 and the conflict page), reviews that move the pupil and
//! carry targets forward, parents' views, PDFs and due reviews.

use serde_json::json;

use crate::helpers::*;
use crate::{both, engines};

both!(
    a_plan_needs_a_stage_and_a_review_date_within_the_limit,
    quality_checks_warn_without_blocking_and_status_follows_the_rules,
    sr_38_two_people_saving_the_same_plan_never_overwrite_silently,
    a_review_moves_the_pupil_up_and_carries_unmet_targets_forward,
    parents_add_views_and_see_the_plan_in_plain_language,
    plan_pdfs_hold_the_targets_and_due_reviews_are_listed,
    the_target_bank_fills_a_plan_and_schools_can_add_to_it,
    a_carried_target_must_be_one_of_the_pupils_own,
    sr_26_reviews_due_is_audited_and_asks_the_matrix,
    sr_10_plan_targets_ids_are_chosen_by_the_server,
    sr_03_missing_and_refused_ids_do_the_same_work,
    a_corrupt_stored_stage_is_an_error_not_a_default,
    a_review_that_requests_an_assessment_stores_the_fact,
);

/// Audit rows written for `actor` with this record type and outcome.
async fn audit_rows(app: &TestApp, actor: &str, record_type: &str, outcome: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_log WHERE actor_label = $1 AND record_type = $2 AND outcome = $3",
    )
    .bind(actor)
    .bind(record_type)
    .bind(outcome)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    n
}

/// Waits (bounded, no timing assertion) until the read-audit queue has written `at_least`
/// rows for `actor`.
async fn wait_for_rows(
    app: &TestApp,
    actor: &str,
    record_type: &str,
    outcome: &str,
    at_least: i64,
) -> i64 {
    for _ in 0..200 {
        let n = audit_rows(app, actor, record_type, outcome).await;
        if n >= at_least {
            return n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    audit_rows(app, actor, record_type, outcome).await
}

/// SR-26 (issue 16, point 3): the list of due reviews names children with plans and their
/// review dates, so it asks the matrix (a school administrator, who sees no SEN content,
/// is refused as not found) and every answer, given or refused, writes an audit row.
async fn sr_26_reviews_due_is_audited_and_asks_the_matrix(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    on_school_action(app, &senco, &app.fx.p1).await;
    let plan = senco
        .post_json(&format!("/api/v1/pupils/{}/plans", app.fx.p1), &plan_body())
        .await;
    assert_eq!(plan.status, 201, "{}", plan.body);
    let plan_id = plan.json()["id"].as_str().unwrap().to_string();
    let office = app.signed_in(SCHOOL_ADMIN_A).await;
    let refused = office.get("/api/v1/reviews/due?within=366d").await;
    assert_eq!(refused.status, 404, "{}", refused.body);
    assert!(!refused.body.contains(&plan_id));
    assert!(!refused.body.contains(&app.fx.p1));
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(
        audit_rows(app, SCHOOL_ADMIN_A, "reviews_due", "denied").await,
        1,
        "the refusal is audited at once"
    );
    let listed = senco.get("/api/v1/reviews/due?within=366d").await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert!(listed.body.contains(&plan_id), "{}", listed.body);
    assert_eq!(
        wait_for_rows(app, SENCO_A, "reviews_due", "allowed", 1).await,
        1,
        "the read is audited"
    );
}

/// SR-10 and SR-25 (issue 16, point 7): the server chooses the ids of new targets. A
/// target id that is not one of this plan's own (made up, or another school's, which gave
/// a 500 from the unique constraint) is a 422 naming the field, and a plan holds at most
/// `MAX_TARGETS` targets (3,000 were accepted), on create and on change alike.
async fn sr_10_plan_targets_ids_are_chosen_by_the_server(app: &TestApp) {
    use senco_domain::plan::MAX_TARGETS;
    let c = app.signed_in(SENCO_A).await;
    on_school_action(app, &c, &app.fx.p1).await;
    let path = format!("/api/v1/pupils/{}/plans", app.fx.p1);
    let mut chosen = plan_body();
    chosen["targets"][0]["id"] = json!("client-chosen-id");
    let r = c.post_json(&path, &chosen).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(r.json()["errors"][0]["field"], "targets[0].id");
    assert_eq!(r.json()["errors"][0]["reason"], "unknown_target");
    let created = c.post_json(&path, &plan_body()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let plan = created.json();
    let plan_id = plan["id"].as_str().unwrap().to_string();
    let own: Vec<String> = plan["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    // Another school's plan and its targets.
    let b = app.signed_in(SENCO_B).await;
    on_school_action(app, &b, &app.fx.p3).await;
    let theirs = b
        .post_json(&format!("/api/v1/pupils/{}/plans", app.fx.p3), &plan_body())
        .await;
    assert_eq!(theirs.status, 201, "{}", theirs.body);
    let their_target = theirs.json()["targets"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let plan_path = format!("/api/v1/plans/{plan_id}");
    for bad in ["made-up-by-the-client", their_target.as_str()] {
        let mut targets = plan["targets"].clone();
        targets.as_array_mut().unwrap().push(json!({
            "id": bad, "area": "cognition_and_learning", "target": "Spell ten exception words",
            "success_criteria": "Spells 8 out of 10 correctly"
        }));
        let r = c
            .patch_json(&plan_path, &json!({ "targets": targets }), None)
            .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert_eq!(r.json()["errors"][0]["field"], "targets[3].id");
        assert_eq!(r.json()["errors"][0]["reason"], "unknown_target");
    }
    let unchanged = c.get(&plan_path).await.json();
    assert_eq!(
        unchanged["version"], plan["version"],
        "a refusal changes nothing"
    );
    // A new target without an id gets one the server chose; kept targets keep theirs.
    let mut targets = plan["targets"].clone();
    targets.as_array_mut().unwrap().push(json!({
        "area": "cognition_and_learning", "target": "Spell ten exception words",
        "success_criteria": "Spells 8 out of 10 correctly"
    }));
    let r = c
        .patch_json(&plan_path, &json!({ "targets": targets }), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let ids: Vec<String> = r.json()["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids[..3], own[..]);
    assert!(!own.contains(&ids[3]) && ids[3] != their_target);
    // The cap, on change and on create.
    let many: Vec<serde_json::Value> = (0..=MAX_TARGETS)
        .map(|i| {
            json!({"area": "cognition_and_learning", "target": format!("Read {i} new words"),
                   "success_criteria": format!("Reads {i} of them correctly")})
        })
        .collect();
    let version = r.json()["version"].clone();
    let r = c
        .patch_json(&plan_path, &json!({ "targets": many }), None)
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["field"], "targets");
    assert_eq!(r.json()["errors"][0]["reason"], "too_many_targets");
    assert_eq!(c.get(&plan_path).await.json()["version"], version);
    let mut body = plan_body();
    body["targets"] = json!(many);
    let r = c.post_json(&path, &body).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["reason"], "too_many_targets");
    body["targets"] = json!(many[..MAX_TARGETS]);
    let r = c.post_json(&path, &body).await;
    assert_eq!(r.status, 201, "exactly the cap is allowed: {}", r.body);
}

/// Refusals audited for `actor`, whatever the record.
async fn denied_rows(app: &TestApp, actor: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_log WHERE actor_label = $1 AND outcome = 'denied'",
    )
    .bind(actor)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    n
}

/// SR-03 (issue 16, point 8): a refusal wrote an audit row and a miss did not, so a
/// refusal took measurably longer (2.46 ms against 0.94 ms). A probe of a missing id is
/// audited too, so both paths do the same work: each writes exactly one row, and the
/// answers are the same.
async fn sr_03_missing_and_refused_ids_do_the_same_work(app: &TestApp) {
    let b = app.signed_in(SENCO_B).await;
    on_school_action(app, &b, &app.fx.p3).await;
    let theirs = b
        .post_json(&format!("/api/v1/pupils/{}/plans", app.fx.p3), &plan_body())
        .await;
    assert_eq!(theirs.status, 201, "{}", theirs.body);
    let their_plan = theirs.json()["id"].as_str().unwrap().to_string();
    let missing = "00000000-0000-7000-8000-000000000000";
    let c = app.signed_in(SENCO_A).await;
    for (refused, absent) in [
        (
            format!("/api/v1/plans/{their_plan}"),
            format!("/api/v1/plans/{missing}"),
        ),
        (format!("/plans/{their_plan}"), format!("/plans/{missing}")),
        (
            format!("/api/v1/plans/{their_plan}/pdf"),
            format!("/api/v1/plans/{missing}/pdf"),
        ),
        (
            format!("/api/v1/pupils/{}", app.fx.p3),
            format!("/api/v1/pupils/{missing}"),
        ),
    ] {
        let before = denied_rows(app, SENCO_A).await;
        let r1 = c.get(&refused).await;
        let after_refusal = denied_rows(app, SENCO_A).await;
        let r2 = c.get(&absent).await;
        let after_miss = denied_rows(app, SENCO_A).await;
        assert_eq!(r1.status, 404, "{refused}");
        assert_eq!(r2.status, 404, "{absent}");
        assert_eq!(r1.body, r2.body, "{refused} and {absent} answer alike");
        assert_eq!(after_refusal - before, 1, "{refused} writes one audit row");
        assert_eq!(
            after_miss - after_refusal,
            1,
            "{absent} writes one audit row"
        );
    }
    for path in [
        format!("/api/v1/allocations/{missing}"),
        format!("/api/v1/involvements/{missing}"),
        format!("/allocations/{missing}"),
        format!("/involvements/{missing}"),
    ] {
        let before = denied_rows(app, SENCO_A).await;
        assert_eq!(c.get(&path).await.status, 404, "{path}");
        assert_eq!(
            denied_rows(app, SENCO_A).await - before,
            1,
            "{path} writes one audit row"
        );
    }
}

async fn the_target_bank_fills_a_plan_and_schools_can_add_to_it(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let bank = c.get("/target-bank?area=cognition_and_learning").await;
    assert_eq!(bank.status, 200);
    assert!(bank.body.contains("Blend three-letter CVC words"));
    assert!(
        !bank.body.contains("Take turns in a small-group game"),
        "filtered by area"
    );
    let found = c.get("/target-bank?q=number+bonds").await;
    assert!(found.body.contains("Recall number bonds to 10"));
    // "Use this target" fills the plan form.
    on_school_action(app, &c, &app.fx.p1).await;
    let id = c
        .post_json(&format!("/api/v1/pupils/{}/plans", app.fx.p1), &plan_body())
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let with_plan = c
        .get(&format!("/target-bank?plan={id}&q=number+bonds"))
        .await;
    let start = with_plan.body.find("use_target=").unwrap() + "use_target=".len();
    let bank_id: String = with_plan.body[start..]
        .chars()
        .take_while(|ch| *ch != '"')
        .collect();
    let form = c
        .get(&format!("/plans/{id}/edit?use_target={bank_id}"))
        .await;
    assert!(
        form.body.contains("Recall number bonds to 10"),
        "the bank target fills the next empty slot"
    );
    // A SENCO adds a school target; criteria must be measurable.
    let vague = c
        .post_page(
            "/target-bank",
            &[
                ("bank_area", "cognition_and_learning"),
                ("bank_target", "Improve spelling"),
                ("bank_success", "Better spelling"),
            ],
        )
        .await;
    assert_eq!(vague.status, 422);
    assert!(vague.body.contains("must be measurable"));
    let ok = c
        .post_page(
            "/target-bank",
            &[
                ("bank_area", "cognition_and_learning"),
                ("bank_target", "Spell ten common exception words"),
                (
                    "bank_success",
                    "Spells 8 out of 10 correctly in a dictation",
                ),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert!(
        c.get("/target-bank?q=exception")
            .await
            .body
            .contains("Spell ten common exception words")
    );
    // Another school's SENCO does not see it; parents have no bank.
    assert!(
        !app.signed_in(SENCO_B)
            .await
            .get("/target-bank?q=exception")
            .await
            .body
            .contains("Spell ten common")
    );
    assert_eq!(
        app.signed_in(PARENT_P)
            .await
            .get("/target-bank")
            .await
            .status,
        404
    );
}

async fn on_school_action(app: &TestApp, c: &Client, pupil: &str) {
    let r = c
        .post_json(
            &format!("/api/v1/pupils/{pupil}/stage-changes"),
            &json!({"stage": "school_action", "effective_on": "2026-10-01", "reason": "Little progress", "parents_told_on": "2026-10-02", "parents_told_how": "meeting"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let _ = app;
}

/// Issue 18, point 3: the store hands back typed values, and a value outside its set is an
/// error, never a default. A plan whose stored stage was corrupted behind Senco's back (raw
/// SQL; the column has no CHECK) was shown as a School Action plan; now reading it fails, so
/// the page answers the problem page and the API a problem document.
async fn a_corrupt_stored_stage_is_an_error_not_a_default(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    on_school_action(app, &c, &app.fx.p1).await;
    let plan = c
        .post_json(&format!("/api/v1/pupils/{}/plans", app.fx.p1), &plan_body())
        .await;
    assert_eq!(plan.status, 201, "{}", plan.body);
    let id = plan.json()["id"].as_str().unwrap().to_string();
    assert_eq!(c.get(&format!("/plans/{id}")).await.status, 200);
    sqlx::query("UPDATE plans SET stage = 'stage_nine' WHERE id = $1")
        .bind(&id)
        .execute(app.store.pool())
        .await
        .unwrap();
    let err = app.store.plan(&id).await.unwrap_err();
    assert!(
        matches!(
            &err,
            senco_store::StoreError::Corrupt {
                table: "plans",
                column: "stage",
                value,
            } if value == "stage_nine"
        ),
        "{err:?}"
    );
    let page = c.get(&format!("/plans/{id}")).await;
    assert_eq!(page.status, 500, "{}", page.body);
    assert!(!page.body.contains("School Action"), "{}", page.body);
    let api = c.get(&format!("/api/v1/plans/{id}")).await;
    assert_eq!(api.status, 500, "{}", api.body);
    assert_eq!(api.header("content-type"), Some("application/problem+json"));
}

fn plan_body() -> serde_json::Value {
    json!({
        "starts_on": "2026-11-02", "review_on": "2027-02-26",
        "nature": "Finds decoding unfamiliar words hard",
        "targets": [
            {"area": "cognition_and_learning", "target": "Read the first 100 high-frequency words", "strategies": "Flash cards 10 minutes a day", "success_criteria": "Reads 90 of 100 words correctly"},
            {"area": "cognition_and_learning", "target": "Blend CVC words", "strategies": "Support with phonics", "success_criteria": "Reads 8 out of 10 unseen CVC words"},
            {"area": "communication_and_interaction", "target": "Take turns in a group game", "strategies": "Turn cards in a weekly group", "success_criteria": "Will be better at turn taking"}
        ],
        "provision": [{"what": "Phonics group", "who": "Teaching assistant", "how_often": "20 minutes, 3 times a week", "group_size": 4}, {"what": "Access to a quiet space", "who": "Class teacher", "how_often": "as needed"}]
    })
}

/// A target carried forward names one of the pupil's own earlier targets: an unknown id
/// (found by schemathesis as a 500) or another child's target is refused, naming the field.
async fn a_carried_target_must_be_one_of_the_pupils_own(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    on_school_action(app, &c, &app.fx.p1).await;
    on_school_action(app, &c, &app.fx.p2).await;
    let mine = c
        .post_json(&format!("/api/v1/pupils/{}/plans", app.fx.p1), &plan_body())
        .await;
    assert_eq!(mine.status, 201, "{}", mine.body);
    let my_target = mine.json()["targets"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = c
        .post_json(&format!("/api/v1/pupils/{}/plans", app.fx.p2), &plan_body())
        .await;
    assert_eq!(other.status, 201, "{}", other.body);
    let their_target = other.json()["targets"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/pupils/{}/plans", app.fx.p1);
    for bad in ["no-such-target", their_target.as_str()] {
        let mut body = plan_body();
        body["targets"][0]["carried_from"] = json!(bad);
        let r = c.post_json(&path, &body).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], "targets[0].carried_from");
        assert_eq!(r.json()["errors"][0]["reason"], "unknown_target");
    }
    let mut body = plan_body();
    body["targets"][0]["carried_from"] = json!(my_target);
    let r = c.post_json(&path, &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["targets"][0]["carried_from"], json!(my_target));
}

async fn a_plan_needs_a_stage_and_a_review_date_within_the_limit(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let path = format!("/api/v1/pupils/{}/plans", app.fx.p1);
    let r = c.post_json(&path, &plan_body()).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["reason"], "no_plan_for_stage");
    on_school_action(app, &c, &app.fx.p1).await;
    let mut late = plan_body();
    late["review_on"] = json!("2027-05-03");
    let r = c.post_json(&path, &late).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["field"], "review_on");
    assert_eq!(r.json()["errors"][0]["reason"], "review_past_limit");
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("2 May 2027"),
        "{}",
        r.body
    );
    let mut missing = plan_body();
    missing["targets"][0]["success_criteria"] = json!("");
    let r = c.post_json(&path, &missing).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["errors"][0]["field"],
        "targets[0].success_criteria"
    );
    let ok = c.post_json(&path, &plan_body()).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.json()["status"], "draft");
    assert_eq!(ok.json()["stage"], "school_action");
    assert_eq!(ok.header("etag"), Some("\"v1\""));
    // Teachers read plans; parents read them; neither writes them.
    let plan_id = ok.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.signed_in(TEACHER_A)
            .await
            .get(&format!("/api/v1/plans/{plan_id}"))
            .await
            .status,
        200
    );
    assert_eq!(
        app.signed_in(PARENT_P)
            .await
            .post_json(&path, &plan_body())
            .await
            .status,
        404
    );
    assert_eq!(
        app.signed_in(SENCO_B)
            .await
            .get(&format!("/api/v1/plans/{plan_id}"))
            .await
            .status,
        404
    );
}

async fn quality_checks_warn_without_blocking_and_status_follows_the_rules(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    on_school_action(app, &c, &app.fx.p1).await;
    let r = c
        .post_json(&format!("/api/v1/pupils/{}/plans", app.fx.p1), &plan_body())
        .await;
    assert_eq!(r.status, 201);
    let body = r.json();
    let checks: Vec<&str> = body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["check"].as_str().unwrap())
        .collect();
    assert!(checks.contains(&"vague_wording"), "{checks:?}");
    assert!(
        checks.contains(&"success_criteria_not_measurable"),
        "{checks:?}"
    );
    assert!(
        checks.contains(&"provision_without_frequency"),
        "{checks:?}"
    );
    let id = body["id"].as_str().unwrap().to_string();
    // The page shows the same checks, linked to the fields.
    let page = c.get(&format!("/plans/{id}")).await;
    assert!(page.body.contains("support with"), "{}", page.body);
    let active = c
        .patch_json(
            &format!("/api/v1/plans/{id}"),
            &json!({"status": "active"}),
            None,
        )
        .await;
    assert_eq!(
        active.status, 422,
        "draft cannot jump to active: {}",
        active.body
    );
    let no_date = c
        .patch_json(
            &format!("/api/v1/plans/{id}"),
            &json!({"status": "agreed_with_parents"}),
            None,
        )
        .await;
    assert_eq!(no_date.status, 422);
    let agreed = c.patch_json(&format!("/api/v1/plans/{id}"), &json!({"status": "agreed_with_parents", "agreed_on": "2026-11-03", "agreed_how": "meeting"}), None).await;
    assert_eq!(agreed.status, 200, "{}", agreed.body);
    assert_eq!(agreed.json()["status"], "agreed_with_parents");
    let active = c
        .patch_json(
            &format!("/api/v1/plans/{id}"),
            &json!({"status": "active"}),
            None,
        )
        .await;
    assert_eq!(active.status, 200);
    // Fixing the vague target removes its warning.
    let mut targets = active.json()["targets"].clone();
    targets[1]["strategies"] = json!("Phonics group, 20 minutes four times a week");
    targets[2]["success_criteria"] =
        json!("Waits for a turn without prompting in 4 out of 5 games");
    let fixed = c
        .patch_json(
            &format!("/api/v1/plans/{id}"),
            &json!({"targets": targets}),
            None,
        )
        .await;
    assert_eq!(fixed.status, 200, "{}", fixed.body);
    let fixed = fixed.json();
    assert!(
        !fixed["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["field"].as_str().unwrap_or("").starts_with("targets")),
        "{fixed}"
    );
    assert_eq!(
        fixed["targets"][1]["id"], targets[1]["id"],
        "targets keep their identity"
    );
}

async fn sr_38_two_people_saving_the_same_plan_never_overwrite_silently(app: &TestApp) {
    // Two sessions (the SENCO at two desks, or the SENCO and the head) both load version 1.
    let c = app.signed_in(SENCO_A).await;
    let other = app.signed_in(SENCO_A).await;
    on_school_action(app, &c, &app.fx.p1).await;
    let id = c
        .post_json(&format!("/api/v1/pupils/{}/plans", app.fx.p1), &plan_body())
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/plans/{id}");
    assert_eq!(
        c.patch_json(&path, &json!({"nature": "First edit"}), Some("\"v1\""))
            .await
            .status,
        200
    );
    let stale = other
        .patch_json(
            &path,
            &json!({"nature": "Second, from an old copy"}),
            Some("\"v1\""),
        )
        .await;
    assert_eq!(stale.status, 412);
    assert_eq!(c.get(&path).await.json()["nature"], "First edit");
    // The page shows both versions and keeps what was typed.
    let token = other.csrf();
    let r = other
        .send(
            other
                .raw()
                .post(other.url(&format!("/plans/{id}/edit")))
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("version", "1"),
                    ("action", "save"),
                    ("starts_on_day", "2"),
                    ("starts_on_month", "11"),
                    ("starts_on_year", "2026"),
                    ("review_on_day", "26"),
                    ("review_on_month", "2"),
                    ("review_on_year", "2027"),
                    ("nature", "Typed over an old copy"),
                    ("target_count", "1"),
                    ("target_1_text", "Read 100 words"),
                    ("target_1_success", "Reads 90 of 100"),
                ]),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body.contains("Typed over an old copy"),
        "what was typed is kept"
    );
    assert!(r.body.contains("First edit"), "the saved version is shown");
    let versions = c.get(&format!("/plans/{id}/versions")).await;
    assert!(versions.body.contains("nature"), "{}", versions.body);
    assert_eq!(app.store.plan_versions(&id).await.unwrap().len(), 2);
}

async fn a_review_moves_the_pupil_up_and_carries_unmet_targets_forward(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    on_school_action(app, &c, &app.fx.p1).await;
    let plan = c
        .post_json(&format!("/api/v1/pupils/{}/plans", app.fx.p1), &plan_body())
        .await
        .json();
    let id = plan["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/plans/{id}");
    let review = json!({
        "held_on": "2026-11-20", "invited": ["parent", "teacher", "senco"], "attended": ["parent", "senco"],
        "outcomes": [
            {"target_id": plan["targets"][0]["id"], "outcome": "achieved", "evidence": "92 of 100"},
            {"target_id": plan["targets"][1]["id"], "outcome": "not_achieved", "evidence": "4 of 10"},
            {"target_id": plan["targets"][2]["id"], "outcome": "partly_achieved"}
        ],
        "decision": "move_up", "carry_forward": [plan["targets"][1]["id"]], "specialists": "Educational psychologist"
    });
    let draft = c.post_json(&format!("{path}/reviews"), &review).await;
    assert_eq!(draft.status, 422, "a draft plan cannot be reviewed");
    c.patch_json(&path, &json!({"status": "agreed_with_parents", "agreed_on": "2026-11-03", "agreed_how": "meeting"}), None).await;
    c.patch_json(&path, &json!({"status": "active"}), None)
        .await;
    let mut incomplete = review.clone();
    incomplete["outcomes"] = json!([]);
    let r = c.post_json(&format!("{path}/reviews"), &incomplete).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["errors"].as_array().unwrap().len(),
        3,
        "an outcome for every target"
    );
    let done = c.post_json(&format!("{path}/reviews"), &review).await;
    assert_eq!(done.status, 201, "{}", done.body);
    let done = done.json();
    assert!(done["stage_change_id"].is_string());
    let current = app.store.current_stage(&app.fx.p1).await.unwrap().unwrap();
    assert_eq!(current.stage.as_str(), "school_action_plus");
    let old = c.get(&path).await.json();
    assert_eq!(old["status"], "closed");
    assert_eq!(
        c.patch_json(&path, &json!({"nature": "x"}), None)
            .await
            .status,
        409,
        "a closed plan is read-only"
    );
    let next_id = done["next_plan_id"].as_str().unwrap();
    let next = c.get(&format!("/api/v1/plans/{next_id}")).await.json();
    assert_eq!(next["stage"], "school_action_plus");
    assert_eq!(next["status"], "draft");
    assert_eq!(next["previous_plan_id"], id.as_str());
    let carried: Vec<&serde_json::Value> = next["targets"].as_array().unwrap().iter().collect();
    assert_eq!(carried.len(), 1, "only the chosen unmet target");
    assert_eq!(carried[0]["carried_from"], plan["targets"][1]["id"]);
    assert_eq!(carried[0]["target"], "Blend CVC words");
    // The closed plan's PDF carries the review record.
    let (status, bytes) = c.get_bytes(&format!("/api/v1/plans/{id}/pdf")).await;
    assert_eq!(status, 200);
    let text = pdf_text(&bytes);
    assert!(text.contains("Review of 20 November 2026"), "{text}");
    assert!(
        text.contains("Not achieved") && text.contains("4 of 10"),
        "{text}"
    );
    // Parents were at the meeting, so they were told of the move there.
    let history = app.store.stage_changes(&app.fx.p1).await.unwrap();
    assert_eq!(
        history
            .last()
            .unwrap()
            .parents_told
            .as_ref()
            .map(|(_, how)| how.as_str()),
        Some("meeting")
    );
    // The row holds the fact, not a sentence (issue 18): the words are made when shown.
    use sqlx::Row;
    let row = sqlx::query("SELECT reason, reason_code FROM stage_changes WHERE id = $1")
        .bind(done["stage_change_id"].as_str().unwrap().to_string())
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(row.try_get::<String, _>("reason").unwrap(), "");
    assert_eq!(
        row.try_get::<Option<String>, _>("reason_code")
            .unwrap()
            .as_deref(),
        Some("review_decision")
    );
    let listed = c
        .get(&format!("/api/v1/pupils/{}/stage-changes", app.fx.p1))
        .await
        .json();
    let reasons: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["reason"].as_str())
        .collect();
    assert!(
        reasons.contains(&"Decision of the review of 20 November 2026"),
        "{reasons:?}"
    );
    // Moving up past the school's ladder is refused, naming the rule.
    let rule = senco_domain::plan::stage_after(
        senco_domain::framework::framework(senco_domain::school::FrameworkKey::England2001),
        senco_domain::framework::Stage::SchoolActionPlus,
        senco_domain::plan::ReviewDecision::MoveUp,
        &Default::default(),
    );
    assert!(rule.is_err());
}

async fn parents_add_views_and_see_the_plan_in_plain_language(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    on_school_action(app, &senco, &app.fx.p1).await;
    let id = senco
        .post_json(&format!("/api/v1/pupils/{}/plans", app.fx.p1), &plan_body())
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let parent = app.signed_in(PARENT_P).await;
    let page = parent.get(&format!("/plans/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("What we are working on"),
        "plain language for parents"
    );
    assert!(!page.body.contains("Change the plan"));
    let empty = parent.post_page(&format!("/plans/{id}/views"), &[]).await;
    assert_eq!(empty.status, 422);
    let sent = parent
        .post_page(
            &format!("/plans/{id}/views"),
            &[
                ("parent_views", "She reads with us every night"),
                ("child_views", "I like the word games"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let staff_view = senco.get(&format!("/plans/{id}")).await;
    assert!(staff_view.body.contains("She reads with us every night"));
    // A restricted parent and another school's staff see nothing.
    assert_eq!(
        app.signed_in(PARENT_R)
            .await
            .get(&format!("/plans/{id}"))
            .await
            .status,
        404
    );
    assert_eq!(
        app.signed_in(TEACHER_A)
            .await
            .post_page(&format!("/plans/{id}/views"), &[("parent_views", "x")])
            .await
            .status,
        404
    );
}

async fn plan_pdfs_hold_the_targets_and_due_reviews_are_listed(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    on_school_action(app, &c, &app.fx.p1).await;
    let mut body = plan_body();
    body["review_on"] = json!("2026-11-30");
    let id = c
        .post_json(&format!("/api/v1/pupils/{}/plans", app.fx.p1), &body)
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let pdf = c
        .send(c.raw().get(c.url(&format!("/api/v1/plans/{id}/pdf"))))
        .await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    let bytes = c
        .raw()
        .get(c.url(&format!("/plans/{id}/pdf")))
        .header("cookie", format!("__Host-senco={}", c.cookie().unwrap()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let file = std::env::temp_dir().join(format!("senco-plan-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&file, &bytes).unwrap();
    let text = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is needed for this test");
    let _ = std::fs::remove_file(&file);
    let text = String::from_utf8_lossy(&text.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for expected in [
        "Read the first 100",
        "Blend CVC words",
        "Amelia Thornbury",
        "Reads 8 out of 10 unseen CVC words",
    ] {
        assert!(
            text.contains(expected),
            "{expected} missing from the PDF: {text}"
        );
    }
    let due = c.get("/api/v1/reviews/due?within=14d").await;
    assert_eq!(due.status, 200);
    assert_eq!(due.json()["items"][0]["plan_id"], id.as_str());
    assert_eq!(c.get("/api/v1/reviews/due?within=soon").await.status, 422);
    assert!(c.get("/").await.body.contains("Plan reviews due"));
    let teacher_home = app.signed_in(TEACHER_A).await.get("/").await;
    assert!(
        teacher_home
            .body
            .contains("Amelia Thornbury: 30 November 2026"),
        "{}",
        teacher_home.body
    );
}

/// Migration 0019 (issue 18): the stage changes reviews made before it stored a sentence;
/// afterwards they hold the fact and read as before, and a reason someone wrote is kept.
async fn migration_0019_keeps_the_fact_of_earlier_reviews(db: Db) {
    use senco_domain::history::StageReason;
    let Some((url, drop_pg, dir)) = fresh_database(db).await else {
        return;
    };
    let store = senco_store::Store::connect(&url).await.unwrap();
    let now = time::macros::datetime!(2026-11-23 10:00 UTC);
    store.migrate_to(18, now).await.unwrap();
    let at = "'2026-01-05T09:00:00.000000Z'";
    let statements = [
        format!(
            "INSERT INTO local_authorities (id, code, name, country, created_at) VALUES ('la1', '886', 'Northmoor', 'england', {at})"
        ),
        format!(
            "INSERT INTO schools (id, la_id, urn, estab_number, name, phase, country, maintained, created_at) VALUES ('s1', 'la1', '100001', '2001', 'School 1', 'primary', 'england', 1, {at})"
        ),
        format!(
            "INSERT INTO pupils (id, school_id, legal_forename, legal_surname, date_of_birth, sex, search_text, created_at, updated_at) VALUES ('p1', 's1', 'Ada', 'Lovelace', '2016-05-01', 'F', 'ada lovelace', {at}, {at})"
        ),
        format!(
            "INSERT INTO stage_changes (id, seq, pupil_id, school_id, framework, stage, effective_on, reason, recorded_at) VALUES ('c1', 1, 'p1', 's1', 'england_2001', 'school_action', '2026-01-05', 'Little progress', {at})"
        ),
        format!(
            "INSERT INTO stage_changes (id, seq, pupil_id, school_id, framework, stage, effective_on, reason, recorded_at) VALUES ('c2', 2, 'p1', 's1', 'england_2001', 'school_action_plus', '2026-03-03', 'Decision of the review of 3 March 2026', {at})"
        ),
        format!(
            "INSERT INTO plans (id, pupil_id, school_id, framework, stage, status, starts_on, review_on, created_at, updated_at) VALUES ('pl1', 'p1', 's1', 'england_2001', 'school_action', 'closed', '2026-01-05', '2026-03-03', {at}, {at})"
        ),
        format!(
            "INSERT INTO reviews (id, plan_id, pupil_id, school_id, held_on, decision, stage_change_id, recorded_at) VALUES ('r1', 'pl1', 'p1', 's1', '2026-03-03', 'move_up', 'c2', {at})"
        ),
    ];
    let mut tx = store.begin().await.unwrap();
    for sql in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    senco_store::commit(tx).await.unwrap();
    store.migrate(now).await.unwrap();
    let history = store.stage_changes("p1").await.unwrap();
    let reasons: Vec<&StageReason> = history.iter().map(|c| &c.reason).collect();
    assert_eq!(
        reasons,
        [
            &StageReason::Given("Little progress".into()),
            &StageReason::ReviewDecision {
                held_on: time::macros::date!(2026 - 03 - 03)
            }
        ]
    );
    assert_eq!(
        senco_i18n::EN.stage_reason(reasons[1]),
        "Decision of the review of 3 March 2026"
    );
    use sqlx::Row;
    let stored: String = sqlx::query("SELECT reason FROM stage_changes WHERE id = 'c2'")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get("reason")
        .unwrap();
    assert_eq!(stored, "", "no sentence is left in the row");
    store.close().await;
    if let Some((admin, name)) = drop_pg {
        admin_exec(
            &admin,
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )
        .await;
    }
    let _ = std::fs::remove_dir_all(dir);
}

engines!(
    migration_0019_keeps_the_fact_of_earlier_reviews =>
    migration_0019_keeps_the_fact_of_earlier_reviews_sqlite,
    migration_0019_keeps_the_fact_of_earlier_reviews_postgres
);

/// Issue 18: the statutory process a review asks for stores the fact, and the words are
/// made when the process is shown.
async fn a_review_that_requests_an_assessment_stores_the_fact(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    on_school_action(app, &c, &app.fx.p1).await;
    let plan = c
        .post_json(&format!("/api/v1/pupils/{}/plans", app.fx.p1), &plan_body())
        .await
        .json();
    let path = format!("/api/v1/plans/{}", plan["id"].as_str().unwrap());
    c.patch_json(&path, &json!({"status": "agreed_with_parents", "agreed_on": "2026-11-03", "agreed_how": "meeting"}), None).await;
    c.patch_json(&path, &json!({"status": "active"}), None)
        .await;
    let outcomes: Vec<serde_json::Value> = plan["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| json!({"target_id": t["id"], "outcome": "partly_achieved"}))
        .collect();
    let review = json!({
        "held_on": "2026-11-20", "invited": ["parent", "senco"], "attended": ["parent", "senco"],
        "outcomes": outcomes, "decision": "request_statutory_assessment"
    });
    let done = c.post_json(&format!("{path}/reviews"), &review).await;
    assert_eq!(done.status, 201, "{}", done.body);
    let stored: (Option<String>, Option<String>) =
        sqlx::query_as("SELECT notes, notes_code FROM processes WHERE pupil_id = $1")
            .bind(app.fx.p1.clone())
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!(stored, (None, Some("plan_review_request".to_string())));
    let listed = c
        .get(&format!("/api/v1/pupils/{}/processes", app.fx.p1))
        .await
        .json();
    assert_eq!(listed["items"][0]["notes"], "Requested at a plan review");
    let chronology = c.get(&format!("/pupils/{}/chronology", app.fx.p1)).await;
    assert!(
        chronology.body.contains("Requested at a plan review"),
        "{}",
        chronology.body
    );
}
