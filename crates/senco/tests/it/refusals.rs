//! A refused request changes nothing (issue 17, point 1): every write endpoint of the API,
//! sent a body with one invalid field among valid ones, answers an error and leaves every
//! table but the audit log and the sign-in machinery exactly as it was, compared row by row
//! with the backup's table checksums.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::*;
use crate::matrix::populate;

both!(
    a_patch_of_a_plan_with_a_bad_status_saves_nothing,
    every_api_write_with_one_invalid_field_changes_nothing,
    api_errors_are_problem_documents,
    plans_reviews_and_provision_are_in_the_chronology,
);

/// Issue 17, point 10: plans, reviews and their outcomes, and provision allocations were
/// missing from a pupil's chronology.
async fn plans_reviews_and_provision_are_in_the_chronology(app: &TestApp) {
    let w = populate(app).await;
    let senco = app.signed_in(SENCO_A).await;
    let r = senco
        .get(&format!("/api/v1/pupils/{}/chronology", w.pupil))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let items = r.json();
    let items = items["items"].as_array().unwrap();
    let find = |kind: &str| {
        items
            .iter()
            .filter(|i| i["kind"] == kind)
            .cloned()
            .collect::<Vec<_>>()
    };
    // The reviewed plan, the one its review started, and the current one.
    assert_eq!(find("plan").len(), 3, "{items:?}");
    let agreed = find("plan_agreed");
    assert_eq!(agreed.len(), 1);
    assert_eq!(agreed[0]["date"], "2026-10-06");
    let review = find("review");
    assert_eq!(review.len(), 1, "{items:?}");
    assert_eq!(review[0]["date"], "2026-11-20");
    assert!(
        review[0]["detail"]
            .as_str()
            .unwrap()
            .contains("1 partly achieved"),
        "{review:?}"
    );
    assert_eq!(find("provision_started").len(), 1);
    assert_eq!(find("provision_ended").len(), 1);
    // Oldest first, still.
    let dates: Vec<&str> = items.iter().map(|i| i["date"].as_str().unwrap()).collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted);
    // The page shows them too.
    let page = senco.get(&format!("/pupils/{}/chronology", w.pupil)).await;
    assert!(page.body.contains("Plan reviewed"), "{}", page.body);
    assert!(page.body.contains("Provision started"));
}

/// Issue 17, point 11: the report upload answered a plain-text 400 when its query string
/// was missing. Every error of the API is a problem document.
async fn api_errors_are_problem_documents(app: &TestApp) {
    let w = populate(app).await;
    let senco = app.signed_in(SENCO_A).await;
    let upload = |query: &'static str| {
        let url = senco.url(&format!(
            "/api/v1/involvements/{}/reports{query}",
            w.involvement
        ));
        senco
            .raw()
            .post(url)
            .header("content-type", "application/octet-stream")
            .body(crate::matrix::PDF.to_vec())
    };
    let before = digest(app).await;
    for (what, req) in [
        ("no query string", upload("")),
        ("no file name", upload("?title=Report")),
        (
            "bad JSON",
            senco
                .raw()
                .post(senco.url("/api/v1/provisions"))
                .header("content-type", "application/json")
                .body("{"),
        ),
        (
            "no such route",
            senco.raw().get(senco.url("/api/v1/nothing-here")),
        ),
        (
            "wrong method",
            senco.raw().delete(senco.url("/api/v1/provisions")),
        ),
    ] {
        let r = senco.send(req).await;
        assert!(
            (400..500).contains(&r.status),
            "{what}: {} {}",
            r.status,
            r.body
        );
        assert_eq!(
            r.header("content-type"),
            Some("application/problem+json"),
            "{what}: {} {}",
            r.status,
            r.body
        );
        let doc: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(doc["status"], r.status, "{what}");
        assert!(doc["title"].is_string(), "{what}");
    }
    assert_eq!(changed(&before, &digest(app).await), Vec::<String>::new());
}

/// Tables a refused request may write: who asked, and the sessions they asked with.
const MAY_CHANGE: &[&str] = &[
    "audit_log",
    "audit_chain_head",
    "sessions",
    "sign_in_attempts",
    "api_tokens",
];

async fn digest(app: &TestApp) -> Vec<senco_store::backup::TableDigest> {
    let mut conn = app.store.pool().acquire().await.unwrap();
    senco_store::backup::digest_tables(&mut conn, app.store.backend(), |_| {})
        .await
        .unwrap()
        .into_iter()
        .filter(|t| !MAY_CHANGE.contains(&t.name.as_str()))
        .collect()
}

fn changed(
    before: &[senco_store::backup::TableDigest],
    after: &[senco_store::backup::TableDigest],
) -> Vec<String> {
    before
        .iter()
        .zip(after)
        .filter(|(b, a)| b.sha256 != a.sha256 || b.rows != a.rows)
        .map(|(b, _)| b.name.clone())
        .collect()
}

/// The report: `{"nature": "...", "status": "bogus"}` answered 422, yet `nature`
/// was saved and the version went from 2 to 3.
async fn a_patch_of_a_plan_with_a_bad_status_saves_nothing(app: &TestApp) {
    let w = populate(app).await;
    let senco = app.signed_in(SENCO_A).await;
    let plan = senco.get(&format!("/api/v1/plans/{}", w.plan)).await;
    let etag = plan.header("etag").unwrap().to_string();
    let version = plan.json()["version"].clone();
    let before = digest(app).await;
    let r = senco
        .patch_json(
            &format!("/api/v1/plans/{}", w.plan),
            &json!({"nature": "Saved although refused", "status": "bogus"}),
            Some(&etag),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{}",
        r.body
    );
    assert_eq!(changed(&before, &digest(app).await), Vec::<String>::new());
    let again = senco.get(&format!("/api/v1/plans/{}", w.plan)).await;
    assert_eq!(again.json()["version"], version);
    assert!(!again.body.contains("Saved although refused"));
    // A move the plan's status does not allow is refused the same way, with content.
    let r = senco
        .patch_json(
            &format!("/api/v1/plans/{}", w.plan),
            &json!({"nature": "Saved although refused", "status": "closed", "pastoral": "x"}),
            Some(&etag),
        )
        .await;
    if r.status != 200 {
        assert_eq!(changed(&before, &digest(app).await), Vec::<String>::new());
    }
}

/// Each write endpoint with valid fields and one that is wrong.
fn writes(w: &crate::matrix::World) -> Vec<(&'static str, String, Value)> {
    let p = &w.pupil;
    vec![
        (
            "POST",
            "/api/v1/pupils".into(),
            json!({"school_urn": "100001", "legal_forename": "Nia", "legal_surname": "Newby",
                   "date_of_birth": "2017-04-31", "sex": "F"}),
        ),
        (
            "PATCH",
            format!("/api/v1/pupils/{p}"),
            json!({"preferred_forename": "Amy", "sex": "X"}),
        ),
        (
            "POST",
            format!("/api/v1/pupils/{p}/plans"),
            json!({"starts_on": "2026-09-07", "review_on": "2030-01-01", "nature": "Reading",
                   "targets": [{"target": "Read 20 words", "strategies": "Daily practice",
                                "success_criteria": "20 words", "provision": "Group"}]}),
        ),
        (
            "PATCH",
            format!("/api/v1/plans/{}", w.plan),
            json!({"pastoral": "Check in at lunch", "review_on": "not a date"}),
        ),
        (
            "POST",
            format!("/api/v1/pupils/{p}/concerns"),
            json!({"areas": ["cognition_and_learning", "not_an_area"], "triggers": ["little_or_no_progress"],
                   "tried": "Reading group", "result": "No change"}),
        ),
        (
            "POST",
            "/api/v1/provisions".into(),
            json!({"name": "Group", "kind": "small_group", "area": "cognition_and_learning",
                   "group_size": 0, "sessions_per_week": 2, "minutes_per_session": 30,
                   "cost_basis": "staff_time", "cost_pence": 1700}),
        ),
        (
            "PATCH",
            format!("/api/v1/provisions/{}", w.provision),
            json!({"name": "Phonics catch-up", "kind": "small_group", "area": "cognition_and_learning",
                   "group_size": 3, "sessions_per_week": 2, "minutes_per_session": -30,
                   "cost_basis": "staff_time", "cost_pence": 1700}),
        ),
        (
            "POST",
            format!("/api/v1/pupils/{p}/allocations"),
            json!({"provision_id": w.provision, "from_on": "2026-10-16", "to_on": "2026-09-07"}),
        ),
        (
            "POST",
            format!("/api/v1/allocations/{}/sessions", w.allocation),
            json!({"on": "2026-09-08", "status": "delivered", "minutes": -5}),
        ),
        (
            "POST",
            format!("/api/v1/pupils/{p}/involvements"),
            json!({"agency_id": w.agency, "referral_on": "2026-13-20", "reason": "Referral"}),
        ),
        (
            "PATCH",
            format!("/api/v1/involvements/{}", w.involvement),
            json!({"status": "not_a_status"}),
        ),
        (
            "POST",
            format!("/api/v1/involvements/{}/notes", w.involvement),
            json!({"kind": "visit", "on": "2026-11-21", "body": ""}),
        ),
        (
            "POST",
            format!("/api/v1/pupils/{p}/stage-changes"),
            json!({"stage": "school_action", "effective_on": "2026-02-30", "reason": "x"}),
        ),
        // Issue 17, point 12: the API's writes for what the pages do.
        (
            "POST",
            format!("/api/v1/pupils/{p}/needs"),
            json!({"code": "MLD", "rank": 0, "starts_on": "2026-10-01"}),
        ),
        (
            "POST",
            format!("/api/v1/pupils/{p}/processes"),
            json!({"kind": "statutory_assessment", "started_on": "2026-10-01", "decided_on": "2026-09-01",
                   "outcome": "Agreed"}),
        ),
        (
            "POST",
            format!(
                "/api/v1/pupils/{p}/stage-changes/{}/parents-told",
                w.stage_change
            ),
            json!({"parents_told_on": "2026-10-03", "parents_told_how": "carrier_pigeon"}),
        ),
        (
            "POST",
            format!("/api/v1/concerns/{}/triage", w.concern),
            json!({"decision": "place", "stage": "school_action_plus", "effective_on": "2026-11-02",
                   "reason": "Little progress", "specialists": "Educational psychologist",
                   "parents_told_on": "2026-02-30", "parents_told_how": "letter"}),
        ),
        (
            "POST",
            format!("/api/v1/concerns/{}/triage", w.concern),
            json!({"decision": "close", "reason": " "}),
        ),
        (
            "POST",
            "/api/v1/agencies".into(),
            json!({"kind": "not_a_kind", "name": "Hearing support service"}),
        ),
        (
            "POST",
            format!("/api/v1/agencies/{}/people", w.agency),
            json!({"name": "Jo Adviser", "role": "Adviser", "email": "not an address"}),
        ),
        (
            "PATCH",
            format!("/api/v1/reports/{}", w.report),
            json!({"shared_with_parents": "yes"}),
        ),
    ]
}

async fn every_api_write_with_one_invalid_field_changes_nothing(app: &TestApp) {
    let w = populate(app).await;
    let senco = app.signed_in(SENCO_A).await;
    for (method, path, body) in writes(&w) {
        // PATCHes need the record's current version.
        let etag = if method == "PATCH" {
            senco.get(&path).await.header("etag").map(str::to_string)
        } else {
            None
        };
        let before = digest(app).await;
        let req = senco
            .raw()
            .request(method.parse().unwrap(), senco.url(&path))
            .json(&body);
        let req = match &etag {
            Some(e) => req.header("if-match", e),
            None => req,
        };
        let r = senco.send(req).await;
        assert!(
            (400..500).contains(&r.status),
            "{method} {path} {body}: {} {}",
            r.status,
            r.body
        );
        assert_eq!(
            r.header("content-type"),
            Some("application/problem+json"),
            "{method} {path}"
        );
        assert_eq!(
            changed(&before, &digest(app).await),
            Vec::<String>::new(),
            "{method} {path} {body} was refused ({}) but changed tables",
            r.status
        );
    }
}
