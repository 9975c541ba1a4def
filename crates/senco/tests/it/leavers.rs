//! Issue 19, point 6: a pupil's leaving is recorded from their page and the API (it was
//! possible only at the command line); it ends their enrolment, feeding retention, and a
//! known destination addresses their CTF.

use serde_json::json;
use sqlx::Row;

use crate::both;
use crate::helpers::*;

both!(
    a_senco_records_a_leaver_from_the_pupil_page,
    the_api_records_a_leaver_with_the_same_rules,
    a_leavers_ctf_is_addressed_to_their_new_school,
);

/// The pupil's enrolment at their school: (ends_on, leaving, destination).
async fn enrolment(app: &TestApp, pupil: &str) -> (Option<String>, Option<String>, Option<String>) {
    let r = sqlx::query(
        "SELECT ends_on, leaving, destination_laestab FROM enrolments WHERE pupil_id = $1",
    )
    .bind(pupil)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    (
        r.get("ends_on"),
        r.get("leaving"),
        r.get("destination_laestab"),
    )
}

async fn leaving_audits(app: &TestApp, pupil: &str) -> i64 {
    sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE pupil_id = $1 AND record_type = 'enrolment'",
    )
    .bind(pupil)
    .fetch_one(app.store.pool())
    .await
    .unwrap()
    .get("n")
}

async fn a_senco_records_a_leaver_from_the_pupil_page(app: &TestApp) {
    let m = &senco_i18n::EN;
    let p = &app.fx.p2;
    let c = app.signed_in(SENCO_A).await;
    let page = c.get(&format!("/pupils/{p}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&format!("href=\"/pupils/{p}/leaving\"")));

    let form = c.get(&format!("/pupils/{p}/leaving")).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains(m.leaving_title));
    // Dated today (the test clock's 23 November 2026).
    assert!(
        form.body
            .contains("name=\"left_on_day\" type=\"text\" inputmode=\"numeric\" value=\"23\"")
    );

    // Refused: a date in the future and a destination that is not a DfE number. Every
    // problem is named, what was typed is kept, and nothing changes.
    let bad = c
        .post_page(
            &format!("/pupils/{p}/leaving"),
            &[
                ("left_on_day", "24"),
                ("left_on_month", "11"),
                ("left_on_year", "2026"),
                ("destination", "88-62"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains(m.left_on_future));
    // (The page escapes the apostrophe of "school's".)
    assert!(bad.body.contains("DfE number as 7 digits"), "{}", bad.body);
    assert!(bad.body.contains("value=\"88-62\""), "{}", bad.body);
    let before_joining = c
        .post_page(
            &format!("/pupils/{p}/leaving"),
            &[
                ("left_on_day", "1"),
                ("left_on_month", "9"),
                ("left_on_year", "2024"),
                ("destination", "886 2001"),
            ],
        )
        .await;
    assert_eq!(before_joining.status, 422);
    assert!(
        before_joining
            .body
            .contains("The leaving date is before the enrolment started on 4 September 2024"),
        "{}",
        before_joining.body
    );
    assert!(before_joining.body.contains(m.destination_own_school));
    assert_eq!(enrolment(app, p).await, (None, None, None));
    assert_eq!(leaving_audits(app, p).await, 0);

    // Without a form token: shown again, nothing recorded.
    let stale = c
        .post_form(
            &format!("/pupils/{p}/leaving"),
            &[
                ("left_on_day", "20"),
                ("left_on_month", "11"),
                ("left_on_year", "2026"),
            ],
        )
        .await;
    assert_ne!(stale.status, 303);
    assert_eq!(enrolment(app, p).await, (None, None, None));

    // Recorded: the enrolment ends, marked as a transfer to the named school, audited.
    let ok = c
        .post_page(
            &format!("/pupils/{p}/leaving"),
            &[
                ("left_on_day", "20"),
                ("left_on_month", "11"),
                ("left_on_year", "2026"),
                ("destination", "886/2002"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let to = ok.headers["location"].to_str().unwrap().to_string();
    assert_eq!(to, format!("/pupils/{p}?flash=leaving_recorded"));
    assert_eq!(
        enrolment(app, p).await,
        (
            Some("2026-11-20".into()),
            Some("transferred_out".into()),
            Some("8862002".into())
        )
    );
    assert_eq!(leaving_audits(app, p).await, 1);
    let after = c.get(&to).await;
    assert!(after.body.contains(m.flash_leaving_recorded));
    assert!(after.body.contains("Moved to school 8862002"));
    assert!(after.body.contains("20 November 2026"));
    assert!(
        !after
            .body
            .contains(&format!("href=\"/pupils/{p}/leaving\""))
    );

    // Once left, there is nothing more to record.
    assert_eq!(c.get(&format!("/pupils/{p}/leaving")).await.status, 404);
    let again = c
        .post_page(
            &format!("/pupils/{p}/leaving"),
            &[
                ("left_on_day", "21"),
                ("left_on_month", "11"),
                ("left_on_year", "2026"),
            ],
        )
        .await;
    assert_eq!(again.status, 404);
    assert_eq!(leaving_audits(app, p).await, 1);
}

async fn the_api_records_a_leaver_with_the_same_rules(app: &TestApp) {
    let p = &app.fx.p1;
    // Who may not change the pupil's details may not record their leaving, and sees no link.
    for email in [PARENT_P, SENCO_B, OFFICER_1] {
        let c = app.signed_in(email).await;
        let r = c
            .post_json(
                &format!("/api/v1/pupils/{p}/leaving"),
                &json!({"left_on": "2026-11-20"}),
            )
            .await;
        assert_eq!(r.status, 404, "{email}: {}", r.body);
        assert_eq!(
            c.get(&format!("/pupils/{p}/leaving")).await.status,
            404,
            "{email}"
        );
        let page = c.get(&format!("/pupils/{p}")).await;
        assert!(!page.body.contains("/leaving\""), "{email}");
    }
    assert_eq!(enrolment(app, p).await, (None, None, None));

    let c = app.signed_in(SENCO_A).await;
    let url = format!("/api/v1/pupils/{p}/leaving");
    let missing = c.post_json(&url, &json!({})).await;
    assert_eq!(missing.status, 422, "{}", missing.body);
    assert_eq!(missing.json()["errors"][0]["field"], "left_on");
    assert_eq!(missing.json()["errors"][0]["reason"], "missing");
    let bad = c
        .post_json(
            &url,
            &json!({"left_on": "2026-13-01", "destination": "1234567"}),
        )
        .await;
    assert_eq!(bad.status, 422);
    let reasons: Vec<String> = bad.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["field"].as_str().unwrap(),
                e["reason"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(reasons, ["left_on:date", "destination:laestab"]);
    assert_eq!(enrolment(app, p).await, (None, None, None));
    assert_eq!(leaving_audits(app, p).await, 0);

    let ok = c
        .post_json(
            &url,
            &json!({"left_on": "2026-11-20", "transferred_out": true}),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(
        ok.json(),
        json!({"left_on": "2026-11-20", "destination": null, "transferred_out": true})
    );
    assert_eq!(
        enrolment(app, p).await,
        (
            Some("2026-11-20".into()),
            Some("transferred_out".into()),
            None
        )
    );
    let again = c.post_json(&url, &json!({"left_on": "2026-11-21"})).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(leaving_audits(app, p).await, 1);

    let doc = c.get("/api/v1/openapi.json").await.json();
    assert!(doc["paths"]["/api/v1/pupils/{id}/leaving"]["post"].is_object());
}

async fn a_leavers_ctf_is_addressed_to_their_new_school(app: &TestApp) {
    use senco_app::ctf::{Selection, export};
    let p = &app.fx.p1;
    let school = app.store.school(&app.fx.school_a).await.unwrap();
    let settings = senco_app::sen::stored_code_settings(&app.store)
        .await
        .unwrap();
    let selection = Selection::Upns(vec!["B801200005001".into()]);
    let unknown = ("MMM".to_string(), "XXX".to_string());
    let now = time::macros::datetime!(2026-11-23 10:00 UTC);
    let before = export(
        &app.store,
        &school,
        &selection,
        unknown.clone(),
        &settings,
        now,
    )
    .await
    .unwrap();
    assert_eq!(
        (
            before.ctf.header.dest.lea.as_str(),
            before.ctf.header.dest.estab.as_str()
        ),
        ("MMM", "XXX")
    );

    let c = app.signed_in(SENCO_A).await;
    let r = c
        .post_json(
            &format!("/api/v1/pupils/{p}/leaving"),
            &json!({"left_on": "2026-11-20", "destination": "886 2002"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let after = export(&app.store, &school, &selection, unknown, &settings, now)
        .await
        .unwrap();
    assert_eq!(
        (
            after.ctf.header.dest.lea.as_str(),
            after.ctf.header.dest.estab.as_str()
        ),
        ("886", "2002")
    );
    // A destination given at export wins.
    let given = export(
        &app.store,
        &school,
        &selection,
        ("672".into(), "2003".into()),
        &settings,
        now,
    )
    .await
    .unwrap();
    assert_eq!(given.ctf.header.dest.lea, "672");
}
