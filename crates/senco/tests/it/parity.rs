//! Issue 17, point 12: what the pages can do, the API can do, with the same rules and the
//! same answers for each role: needs, processes, the stage history and parents being told,
//! concern listing and triage, the census return, a pupil's plans, agencies and sharing
//! reports.

use serde_json::{Value, json};

use crate::both;
use crate::helpers::*;
use crate::matrix::populate;

both!(
    each_role_gets_from_the_api_what_the_page_shows,
    needs_processes_and_parents_told_follow_the_page_rules,
    concerns_are_listed_and_triaged_through_the_api,
    the_census_return_through_the_api_is_the_pages,
    agencies_people_and_report_sharing_through_the_api,
    the_new_routes_are_in_the_openapi_document,
);

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// For every role, each new API read answers when the page shows the same thing, and
/// lists what the page lists.
async fn each_role_gets_from_the_api_what_the_page_shows(app: &TestApp) {
    let w = populate(app).await;
    let p = &w.pupil;
    for email in [
        SENCO_A,
        HEAD_A,
        TEACHER_A,
        TA_A,
        SCHOOL_ADMIN_A,
        PARENT_P,
        SPECIALIST_S,
        OFFICER_1,
        ADMIN,
        SENCO_B,
    ] {
        let c = app.signed_in(email).await;
        let page = c.get(&format!("/pupils/{p}")).await;
        let shows = |marker: &str| page.status == 200 && page.body.contains(marker);
        let m = &senco_i18n::EN;
        // Needs: listed where the page lists them, the same codes.
        let needs = c.get(&format!("/api/v1/pupils/{p}/needs")).await;
        assert_eq!(
            needs.status == 200,
            shows(&format!("<strong>{}</strong>", w.need)),
            "{email} needs: {}",
            needs.status
        );
        if needs.status == 200 {
            assert_eq!(needs.json()["items"][0]["code"], w.need, "{email}");
        }
        // Processes and the stage history: where the page shows them.
        let processes = c.get(&format!("/api/v1/pupils/{p}/processes")).await;
        assert_eq!(
            processes.status == 200,
            shows(&format!(">{}</dt>", m.processes_heading)),
            "{email} processes: {}",
            processes.status
        );
        let history = c.get(&format!("/api/v1/pupils/{p}/stage-changes")).await;
        assert_eq!(
            history.status == 200,
            shows(&format!(">{}</caption>", m.stage_history)),
            "{email} history: {}",
            history.status
        );
        if history.status == 200 {
            let h = history.json();
            assert_eq!(h["items"][0]["id"], w.stage_change.as_str());
            assert_eq!(h["items"][0]["stage"], "school_action");
            assert_eq!(h["items"][0]["parents_told_how"], "meeting");
        }
        // Plans: the ones the page links to, no more.
        let plans = c.get(&format!("/api/v1/pupils/{p}/plans")).await;
        assert_eq!(
            plans.status == 200,
            shows(&format!(">{}</h3>", m.plans_heading)),
            "{email} plans: {}",
            plans.status
        );
        if plans.status == 200 {
            let listed = ids(&plans.json());
            assert!(!listed.is_empty(), "{email}");
            for id in &listed {
                assert!(page.body.contains(&format!("/plans/{id}")), "{email} {id}");
            }
            let linked = page.body.matches("href=\"/plans/").count();
            assert_eq!(listed.len(), linked, "{email}: {listed:?}");
        }
        // The concern list, the census and the agencies: where the pages answer.
        for (api, html) in [
            ("/api/v1/concerns", "/concerns"),
            ("/api/v1/census?date=2026-11-02", "/census?date=2026-11-02"),
            ("/api/v1/agencies", "/specialists"),
            (
                &format!("/api/v1/concerns/{}", w.concern) as &str,
                &format!("/concerns/{}", w.concern) as &str,
            ),
        ] {
            let a = c.get(api).await;
            let h = c.get(html).await;
            assert_eq!(a.status, h.status, "{email} {api}: {}", a.body);
            if a.status == 404 {
                assert_eq!(a.header("content-type"), Some("application/problem+json"));
            }
        }
    }
    // The concern list names what the page names.
    let senco = app.signed_in(SENCO_A).await;
    let list = senco.get("/api/v1/concerns").await.json();
    assert_eq!(ids(&list), vec![w.concern.clone()]);
    assert_eq!(list["items"][0]["status"], "awaiting_triage");
    assert_eq!(
        list["items"][0]["areas"],
        json!(["communication_and_interaction"])
    );
    // Another school's SENCO: the pupil's records are not there.
    let b = app.signed_in(SENCO_B).await;
    for path in [
        format!("/api/v1/pupils/{p}/needs"),
        format!("/api/v1/pupils/{p}/processes"),
        format!("/api/v1/pupils/{p}/stage-changes"),
        format!("/api/v1/pupils/{p}/plans"),
        format!("/api/v1/concerns/{}", w.concern),
    ] {
        assert_eq!(b.get(&path).await.status, 404, "{path}");
    }
    assert_eq!(b.get("/api/v1/concerns").await.json()["total"], 0);
    assert_eq!(b.get("/api/v1/agencies").await.json()["total"], 0);
}

/// The audit rows of a record: the same as the page writes (a session's are `web`, a
/// token's `api`).
async fn audit_of(app: &TestApp, record_id: &str) -> Vec<(String, String, String, String)> {
    sqlx::query_as(
        "SELECT record_type, action, outcome, actor_role FROM audit_log WHERE record_id = $1 ORDER BY seq",
    )
    .bind(record_id)
    .fetch_all(app.store.pool())
    .await
    .unwrap()
}

async fn needs_processes_and_parents_told_follow_the_page_rules(app: &TestApp) {
    let p = app.fx.p1.clone();
    let senco = app.signed_in(SENCO_A).await;
    let r = senco
        .post_json(
            &format!("/api/v1/pupils/{p}/stage-changes"),
            &json!({"stage": "school_action", "effective_on": "2026-10-01", "reason": "Little progress"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let change = r.json()["id"].as_str().unwrap().to_string();
    // A need: the primary one once; the page's rules answer a second.
    let r = senco
        .post_json(
            &format!("/api/v1/pupils/{p}/needs"),
            &json!({"code": "spld", "rank": 1, "starts_on": "2026-10-01"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let need = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        audit_of(app, &need).await,
        vec![(
            "need".to_string(),
            "create".to_string(),
            "allowed".to_string(),
            "senco".to_string()
        )]
    );
    let r = senco
        .post_json(
            &format!("/api/v1/pupils/{p}/needs"),
            &json!({"code": "MLD", "rank": 1}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["reason"], "rank_taken");
    let r = senco
        .post_json(
            &format!("/api/v1/pupils/{p}/needs"),
            &json!({"code": "NOPE", "rank": 2}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["field"], "code");
    let needs = senco.get(&format!("/api/v1/pupils/{p}/needs")).await.json();
    assert_eq!(needs["total"], 1);
    assert_eq!(needs["items"][0]["code"], "SPLD");
    assert_eq!(needs["items"][0]["starts_on"], "2026-10-01");
    assert!(needs["items"][0]["ends_on"].is_null());
    // Processes: the ALN decision is Welsh only; the dates are checked.
    let r = senco
        .post_json(
            &format!("/api/v1/pupils/{p}/processes"),
            &json!({"kind": "aln_decision", "started_on": "2026-10-01"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["reason"], "wales_only");
    let r = senco
        .post_json(
            &format!("/api/v1/pupils/{p}/processes"),
            &json!({"kind": "statutory_assessment", "started_on": "2026-10-01", "decided_on": "2026-11-02",
                    "outcome": "Assessment agreed", "notes": "Requested with the parents"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let processes = senco
        .get(&format!("/api/v1/pupils/{p}/processes"))
        .await
        .json();
    assert_eq!(processes["items"][0]["decided_on"], "2026-11-02");
    assert_eq!(processes["items"][0]["outcome"], "Assessment agreed");
    // Parents told: on the entry; a date in the future is refused, another pupil's entry
    // is not there.
    let told = format!("/api/v1/pupils/{p}/stage-changes/{change}/parents-told");
    let r = senco
        .post_json(
            &told,
            &json!({"parents_told_on": "2027-01-01", "parents_told_how": "letter"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["reason"], "in_future");
    let r = senco
        .post_json(
            &told,
            &json!({"parents_told_on": "2026-10-02", "parents_told_how": "letter"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let history = senco
        .get(&format!("/api/v1/pupils/{p}/stage-changes"))
        .await
        .json();
    assert_eq!(history["items"][0]["parents_told_on"], "2026-10-02");
    assert_eq!(history["items"][0]["parents_told_how"], "letter");
    let other = format!(
        "/api/v1/pupils/{}/stage-changes/{change}/parents-told",
        app.fx.p2
    );
    let r = senco
        .post_json(
            &other,
            &json!({"parents_told_on": "2026-10-02", "parents_told_how": "letter"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    // The same on the page: the chronology shows what the API recorded.
    let page = senco.get(&format!("/pupils/{p}/chronology")).await.body;
    assert!(page.contains("Request for statutory assessment"), "{page}");
    // A teacher reads needs but records nothing; a teaching assistant does not read needs.
    let teacher = app.signed_in(TEACHER_A).await;
    assert_eq!(
        teacher
            .get(&format!("/api/v1/pupils/{p}/needs"))
            .await
            .status,
        200
    );
    for (path, body) in [
        (
            format!("/api/v1/pupils/{p}/needs"),
            json!({"code": "MLD", "rank": 3}),
        ),
        (
            format!("/api/v1/pupils/{p}/processes"),
            json!({"kind": "statutory_assessment", "started_on": "2026-10-01"}),
        ),
        (
            told.clone(),
            json!({"parents_told_on": "2026-10-02", "parents_told_how": "letter"}),
        ),
    ] {
        assert_eq!(teacher.post_json(&path, &body).await.status, 404, "{path}");
    }
    let ta = app.signed_in(TA_A).await;
    assert_eq!(
        ta.get(&format!("/api/v1/pupils/{p}/needs")).await.status,
        404
    );
    assert_eq!(
        ta.get(&format!("/api/v1/pupils/{p}/stage-changes"))
            .await
            .status,
        200
    );
}

async fn concerns_are_listed_and_triaged_through_the_api(app: &TestApp) {
    let p = app.fx.p1.clone();
    let teacher = app.signed_in(TEACHER_A).await;
    let raise = json!({"areas": ["cognition_and_learning"], "triggers": ["little_or_no_progress"],
                       "tried": "Reading group", "result": "No change"});
    let mut concerns = Vec::new();
    for _ in 0..3 {
        let r = teacher
            .post_json(&format!("/api/v1/pupils/{p}/concerns"), &raise)
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        concerns.push(r.json()["id"].as_str().unwrap().to_string());
    }
    // The teacher raised them; the SENCO reads and decides.
    assert_eq!(teacher.get("/api/v1/concerns").await.status, 404);
    let senco = app.signed_in(SENCO_A).await;
    let list = senco.get("/api/v1/concerns").await.json();
    assert_eq!(list["total"], 3);
    assert_eq!(list["items"][0]["pupil_id"], p.as_str());
    let one = senco
        .get(&format!("/api/v1/concerns/{}", concerns[0]))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.header("etag"), Some("\"v1\""));
    assert_eq!(one.json()["triggers"], json!(["little_or_no_progress"]));
    let triage = |id: &str| format!("/api/v1/concerns/{id}/triage");
    // Monitor, with the version read.
    let r = senco
        .raw()
        .post(senco.url(&triage(&concerns[0])))
        .header("if-match", "\"v1\"")
        .json(&json!({"decision": "monitor"}));
    let r = senco.send(r).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "monitoring");
    assert_eq!(r.header("etag"), Some("\"v2\""));
    // A stale version is refused and changes nothing.
    let r = senco
        .raw()
        .post(senco.url(&triage(&concerns[0])))
        .header("if-match", "\"v1\"")
        .json(&json!({"decision": "close", "reason": "Progress made"}));
    let r = senco.send(r).await;
    assert_eq!(r.status, 412, "{}", r.body);
    // Closing needs a reason; then it is closed, and not decided again.
    let r = senco
        .post_json(&triage(&concerns[0]), &json!({"decision": "close"}))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["field"], "reason");
    let r = senco
        .post_json(
            &triage(&concerns[0]),
            &json!({"decision": "close", "reason": "Progress made"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["outcome_reason"], "Progress made");
    let r = senco
        .post_json(&triage(&concerns[0]), &json!({"decision": "monitor"}))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    // Placing on a stage follows the framework's rules: School Action Plus needs the
    // specialists; a stage the framework does not know is refused.
    let r = senco
        .post_json(
            &triage(&concerns[1]),
            &json!({"decision": "place", "stage": "school_action_plus", "effective_on": "2026-11-02",
                    "reason": "Complex needs"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["field"], "specialists");
    let r = senco
        .post_json(
            &triage(&concerns[1]),
            &json!({"decision": "place", "stage": "ehc_plan", "effective_on": "2026-11-02",
                    "reason": "Complex needs"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = senco
        .post_json(
            &triage(&concerns[1]),
            &json!({"decision": "place", "stage": "school_action", "effective_on": "2026-11-02",
                    "reason": "Little progress with phonics", "parents_told_on": "2026-11-03",
                    "parents_told_how": "meeting"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let placed = r.json();
    assert_eq!(placed["status"], "placed");
    let change = placed["stage_change_id"].as_str().unwrap();
    let history = senco
        .get(&format!("/api/v1/pupils/{p}/stage-changes"))
        .await
        .json();
    assert_eq!(history["items"][0]["id"], change);
    assert_eq!(history["items"][0]["parents_told_how"], "meeting");
    let register = senco.get("/api/v1/register").await.json();
    assert_eq!(register["items"][0]["stage"], "school_action");
    // The list holds what is still open, as the page does.
    assert_eq!(
        ids(&senco.get("/api/v1/concerns").await.json()),
        vec![concerns[2].clone()]
    );
    let r = senco
        .post_json(&triage(&concerns[2]), &json!({"decision": "ignore"}))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["field"], "decision");
    // Another school's SENCO, the head teacher (reads, does not decide).
    let b = app.signed_in(SENCO_B).await;
    assert_eq!(
        b.post_json(&triage(&concerns[2]), &json!({"decision": "monitor"}))
            .await
            .status,
        404
    );
    let head = app.signed_in(HEAD_A).await;
    assert_eq!(head.get("/api/v1/concerns").await.json()["total"], 1);
    assert_eq!(
        head.post_json(&triage(&concerns[2]), &json!({"decision": "monitor"}))
            .await
            .status,
        404
    );
    let missing = senco
        .post_json(
            &triage("00000000-0000-7000-8000-000000000000"),
            &json!({"decision": "monitor"}),
        )
        .await;
    assert_eq!(missing.status, 404);
}

async fn the_census_return_through_the_api_is_the_pages(app: &TestApp) {
    let p = app.fx.p1.clone();
    let senco = app.signed_in(SENCO_A).await;
    let r = senco
        .post_json(
            &format!("/api/v1/pupils/{p}/stage-changes"),
            &json!({"stage": "school_action", "effective_on": "2026-10-01", "reason": "Little progress"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = senco.get("/api/v1/census?date=2026-11-02").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let ret = r.json();
    assert_eq!(ret["census_date"], "2026-11-02");
    assert_eq!(ret["school_urn"], "100001");
    let line = ret["pupils"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["pupil_id"] == p.as_str())
        .expect("the pupil's line")
        .clone();
    assert_eq!(line["stage"], "school_action");
    assert!(line["provision"].is_string(), "{line}");
    assert_eq!(
        ret["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["pupils"].as_i64().unwrap())
            .sum::<i64>(),
        ret["total"].as_i64().unwrap()
    );
    // The files are the page's files, byte for byte.
    for ext in ["csv", "xml"] {
        let (api_status, api) = senco
            .get_bytes(&format!("/api/v1/census.{ext}?date=2026-11-02"))
            .await;
        let (page_status, page) = senco
            .get_bytes(&format!("/census.{ext}?date=2026-11-02"))
            .await;
        assert_eq!((api_status, page_status), (200, 200));
        // The generation time is the same clock's.
        assert_eq!(api, page, "{ext}");
    }
    // A date that is not a date is a problem document naming the field.
    for bad in ["date=2026-02-30", "date=yesterday"] {
        for path in ["/api/v1/census", "/api/v1/census.csv", "/api/v1/census.xml"] {
            let r = senco.get(&format!("{path}?{bad}")).await;
            assert_eq!(r.status, 422, "{path}?{bad}");
            assert_eq!(r.header("content-type"), Some("application/problem+json"));
            assert_eq!(r.json()["errors"][0]["field"], "date");
        }
    }
    // Audited as the page is: one list, and an export for each file, the API's two and the
    // page's two (reads are queued); refused dates audit nothing.
    let mut actions = Vec::new();
    for _ in 0..300 {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT action FROM audit_log WHERE record_type = 'census_return' ORDER BY action",
        )
        .fetch_all(app.store.pool())
        .await
        .unwrap();
        actions = rows.into_iter().map(|r| r.0).collect();
        if actions.len() >= 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        actions,
        vec!["export", "export", "export", "export", "list"]
    );
    // Teachers and officers have no census return.
    for email in [TEACHER_A, OFFICER_1, SCHOOL_ADMIN_A] {
        let c = app.signed_in(email).await;
        assert_eq!(c.get("/api/v1/census").await.status, 404, "{email}");
        assert_eq!(c.get("/api/v1/census.csv").await.status, 404, "{email}");
    }
}

async fn agencies_people_and_report_sharing_through_the_api(app: &TestApp) {
    // The populated pupil's school lists one agency already.
    let w = populate(app).await;
    let senco = app.signed_in(SENCO_A).await;
    let r = senco
        .post_json(
            "/api/v1/agencies",
            &json!({"kind": "educational_psychology", "name": "Riverside Educational Psychology",
                    "email": "eps@northmoor.example"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let agency = r.json()["id"].as_str().unwrap().to_string();
    let r = senco
        .post_json(
            "/api/v1/agencies",
            &json!({"kind": "educational_psychology", "name": "Riverside Educational Psychology"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["reason"], "duplicate");
    assert_eq!(r.json()["errors"][0]["field"], "name");
    let r = senco
        .post_json(
            &format!("/api/v1/agencies/{agency}/people"),
            &json!({"name": "Dr Sam Ellis", "role": "Educational psychologist", "email": SPECIALIST_S}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = senco
        .post_json(
            &format!("/api/v1/agencies/{agency}/people"),
            &json!({"name": "Jo", "email": "not an address"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["field"], "email");
    let list = senco.get("/api/v1/agencies").await.json();
    assert_eq!(list["total"], 2);
    let ours = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == agency.as_str())
        .unwrap()
        .clone();
    assert_eq!(ours["kind"], "educational_psychology");
    assert_eq!(ours["email"], "eps@northmoor.example");
    assert_eq!(ours["people"][0]["name"], "Dr Sam Ellis");
    assert_eq!(ours["people"][0]["has_account"], true);
    // The page lists the same.
    let page = senco.get("/specialists").await.body;
    assert!(page.contains("Dr Sam Ellis"));
    // A teacher reads the list and adds nothing; another school does not see the agency.
    let teacher = app.signed_in(TEACHER_A).await;
    assert_eq!(teacher.get("/api/v1/agencies").await.json()["total"], 2);
    let r = teacher
        .post_json(
            "/api/v1/agencies",
            &json!({"kind": "camhs", "name": "Child and adolescent mental health"}),
        )
        .await;
    assert_eq!(r.status, 404);
    let b = app.signed_in(SENCO_B).await;
    let r = b
        .post_json(
            &format!("/api/v1/agencies/{agency}/people"),
            &json!({"name": "Someone Else"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    // Sharing a report with parents, and the parent sees it only then.
    let shared = senco
        .patch_json(
            &format!("/api/v1/reports/{}", w.report),
            &json!({"shared_with_parents": false}),
            None,
        )
        .await;
    assert_eq!(shared.status, 200, "{}", shared.body);
    assert_eq!(shared.json()["shared_with_parents"], false);
    let parent = app.signed_in(PARENT_P).await;
    assert_eq!(
        parent
            .get(&format!("/api/v1/reports/{}", w.report))
            .await
            .status,
        404
    );
    let r = senco
        .patch_json(
            &format!("/api/v1/reports/{}", w.report),
            &json!({"shared_with_parents": true}),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        parent
            .get(&format!("/api/v1/reports/{}", w.report))
            .await
            .status,
        200
    );
    // Parents and specialists do not decide what is shared.
    for c in [&parent, &app.signed_in(SPECIALIST_S).await] {
        let r = c
            .patch_json(
                &format!("/api/v1/reports/{}", w.report),
                &json!({"shared_with_parents": false}),
                None,
            )
            .await;
        assert_eq!(r.status, 404);
    }
}

async fn the_new_routes_are_in_the_openapi_document(app: &TestApp) {
    let doc = app.client().get("/api/v1/openapi.json").await.json();
    for (path, methods) in [
        ("/api/v1/pupils/{id}/needs", &["get", "post"][..]),
        ("/api/v1/pupils/{id}/processes", &["get", "post"]),
        ("/api/v1/pupils/{id}/stage-changes", &["get", "post"]),
        (
            "/api/v1/pupils/{id}/stage-changes/{change}/parents-told",
            &["post"],
        ),
        ("/api/v1/pupils/{id}/plans", &["get", "post"]),
        ("/api/v1/concerns", &["get"]),
        ("/api/v1/concerns/{id}", &["get"]),
        ("/api/v1/concerns/{id}/triage", &["post"]),
        ("/api/v1/census", &["get"]),
        ("/api/v1/census.csv", &["get"]),
        ("/api/v1/census.xml", &["get"]),
        ("/api/v1/agencies", &["get", "post"]),
        ("/api/v1/agencies/{id}/people", &["post"]),
        ("/api/v1/reports/{id}", &["get", "patch"]),
    ] {
        for m in methods {
            let op = &doc["paths"][path][m];
            assert!(op.is_object(), "{m} {path} is not described");
            for status in ["401", "404"] {
                assert!(
                    op["responses"][status]["content"]["application/problem+json"].is_object(),
                    "{m} {path} {status}"
                );
            }
            if *m != "get" {
                assert!(op["responses"]["422"].is_object(), "{m} {path} 422");
            }
        }
    }
}
