//! SR-07 canary crawl: school B's records carry a unique marker; every account on school A's
//! side (and the other authority's officer) crawls every page, download and API list it can
//! reach, searches for the marker, and reads its email. The marker must appear nowhere.

use std::collections::{BTreeSet, VecDeque};

use serde_json::json;

use crate::both;
use crate::helpers::*;

both!(sr_07_school_b_data_never_reaches_school_a);

/// Unusual enough to appear nowhere by chance; letters only, so names accept it.
const MARKER: &str = "Zzqcanaryb";

/// School B's SENCO records a pupil, a concern, a stage and a plan, all marked.
async fn seed_school_b(app: &TestApp) -> String {
    let b = app.signed_in(SENCO_B).await;
    let upn = senco_domain::upn::Upn::permanent(886, 2002, 17, 424).unwrap();
    let r = b
        .post_json(
            "/api/v1/pupils",
            &json!({
                "school_urn": "100002", "legal_forename": MARKER, "legal_surname": format!("{MARKER}son"),
                "date_of_birth": "2017-04-12", "sex": "M", "upn": upn.as_str()
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let pupil = r.json()["id"].as_str().unwrap().to_string();
    let r = b
        .post_json(
            &format!("/api/v1/pupils/{pupil}/concerns"),
            &json!({"areas": ["cognition_and_learning"], "triggers": ["little_or_no_progress"],
                    "tried": format!("{MARKER} reading group"), "result": format!("{MARKER} no change")}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = b
        .post_json(
            &format!("/api/v1/pupils/{pupil}/stage-changes"),
            &json!({"stage": "school_action", "effective_on": "2026-11-23",
                    "reason": format!("{MARKER} little progress"), "decided_with": "Class teacher"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = b
        .post_json(
            &format!("/api/v1/pupils/{pupil}/plans"),
            &json!({
                "starts_on": "2026-11-23", "review_on": "2027-03-26",
                "nature": format!("{MARKER} finds decoding hard"),
                "targets": [{"area": "cognition_and_learning", "target": format!("Read {MARKER} words"),
                             "strategies": "Flash cards 10 minutes a day", "success_criteria": "Reads 90 of 100 words correctly"}],
                "provision": [{"what": format!("{MARKER} phonics"), "who": "Teaching assistant", "how_often": "20 minutes, 3 times a week"}]
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Provision and outside specialists, marked too.
    let r = b
        .post_json(
            "/api/v1/provisions",
            &json!({"name": format!("{MARKER} reading group"), "kind": "small_group", "area": "cognition_and_learning",
                    "group_size": 3, "sessions_per_week": 2, "minutes_per_session": 30, "cost_basis": "staff_time", "cost_pence": 1700}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let provision = r.json()["id"].as_str().unwrap().to_string();
    let r = b
        .post_json(
            &format!("/api/v1/pupils/{pupil}/allocations"),
            &json!({"provision_id": provision, "from_on": "2026-09-07", "to_on": "2026-10-16",
                    "measure_name": format!("{MARKER} reading age"), "measure_unit": "months", "entry_value": 80.0, "entry_on": "2026-09-04"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let allocation = r.json()["id"].as_str().unwrap().to_string();
    let r = b
        .post_json(
            &format!("/api/v1/allocations/{allocation}/sessions"),
            &json!({"on": "2026-09-08", "status": "cancelled", "reason": format!("{MARKER} staff absent")}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = b
        .post_page(
            "/specialists/agencies",
            &[
                ("kind", "educational_psychology"),
                ("agency_name", &format!("{MARKER} psychology service")),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = b.get("/specialists").await;
    let at = page.body.find("id=\"agency_id\"").unwrap();
    let agency = page.body[at..]
        .split("<option value=\"")
        .nth(2)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let r = b
        .post_json(
            &format!("/api/v1/pupils/{pupil}/involvements"),
            &json!({"agency_id": agency, "referral_on": "2026-11-20", "reason": format!("{MARKER} assessment"),
                    "consent_on": "2026-11-20", "consent_by": format!("{MARKER} mother")}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let involvement = r.json()["id"].as_str().unwrap().to_string();
    let r = b
        .post_json(
            &format!("/api/v1/involvements/{involvement}/notes"),
            &json!({"kind": "advice", "on": "2026-11-21", "body": format!("{MARKER} advice")}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let pdf = format!("%PDF-1.4\n% {MARKER}\n%%EOF\n");
    let r = b
        .send(
            b.raw()
                .post(b.url(&format!(
                    "/api/v1/involvements/{involvement}/reports?title={MARKER}%20report&file_name={MARKER}.pdf"
                )))
                .header("content-type", "application/octet-stream")
                .body(pdf.into_bytes()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // The marker is really there for school B.
    let own = b.get(&format!("/pupils/{pupil}")).await;
    assert!(own.body.contains(MARKER), "school B sees its own pupil");
    pupil
}

fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|h| h.starts_with('/') && !h.starts_with("//"))
        .map(|h| h.split('#').next().unwrap().replace("&amp;", "&"))
        .collect()
}

async fn crawl(app: &TestApp, email: &str, pupil_b: &str) -> usize {
    let c = app.signed_in(email).await;
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<String> = [
        "/",
        "/pupils",
        "/register",
        "/register.csv",
        "/concerns",
        "/target-bank",
        "/provision",
        "/provision-map",
        "/provision-map.csv",
        "/provision/impact",
        "/specialists",
        "/api/v1/pupils?per_page=100",
        "/api/v1/schools",
        "/api/v1/reviews/due",
        &format!("/api/v1/pupils?q={MARKER}"),
    ]
    .into_iter()
    .map(String::from)
    .collect();
    // Guessing school B's pupil id gets the same answer as a made-up one.
    for path in [
        format!("/pupils/{pupil_b}"),
        format!("/api/v1/pupils/{pupil_b}"),
    ] {
        let r = c.get(&path).await;
        assert!(!r.body.contains(MARKER), "{email}: {path}");
        assert!(
            r.status == 404 || r.status == 303,
            "{email}: {path} gave {}",
            r.status
        );
    }
    while let Some(path) = queue.pop_front() {
        if seen.len() >= 150 || !seen.insert(path.clone()) {
            continue;
        }
        if path.starts_with("/assets") || path == "/sign-out" {
            continue;
        }
        let (status, bytes) = c.get_bytes(&path).await;
        let text = if bytes.starts_with(b"%PDF") {
            pdf_text(&bytes)
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        assert!(
            !text.to_lowercase().contains(&MARKER.to_lowercase()),
            "{email} reached school B's data at {path} ({status})"
        );
        if status == 200 {
            queue.extend(links(&text));
        }
    }
    // Searching by the marker finds nothing either.
    c.refresh_csrf().await;
    let r = c.post_page("/pupils", &[("q", MARKER)]).await;
    assert_eq!(r.status, 200, "{email}: {}", r.body);
    assert!(
        !r.body.contains(pupil_b) && !r.body.contains(&format!("{MARKER}son")),
        "{email}: the pupil search shows school B's pupil"
    );
    seen.len()
}

async fn sr_07_school_b_data_never_reaches_school_a(app: &TestApp) {
    let pupil_b = seed_school_b(app).await;
    let mut pages = 0;
    for email in [
        SENCO_A,
        TEACHER_A,
        TA_A,
        HEAD_A,
        SCHOOL_ADMIN_A,
        PARENT_P,
        PARENT_R,
        PARENT_N,
        SPECIALIST_S,
        SPECIALIST_X,
        OFFICER_2,
    ] {
        pages += crawl(app, email, &pupil_b).await;
    }
    assert!(pages > 60, "the crawl reached only {pages} pages");
    // No email to anyone on school A's side mentions it.
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT to_address, subject, body FROM outbox")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
    for (to, subject, body) in rows {
        if to != SENCO_B {
            assert!(
                !subject.contains(MARKER) && !body.contains(MARKER),
                "email to {to}"
            );
        }
    }
}
