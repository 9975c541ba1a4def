//! Provision: the catalogue, allocations with measures, the delivery log and its shortfall,
//! the provision map, the impact report, and the Action Plus rule, through pages and API.

use senco_domain::calendar::DateRange;
use senco_store::Store;
use serde_json::json;
use time::macros::date;

use crate::both;
use crate::helpers::*;

both!(
    a_reading_group_is_set_up_allocated_delivered_and_its_shortfall_shown,
    bad_delivery_input_gets_a_clear_error_and_changes_nothing,
    bad_provision_input_keeps_what_was_typed,
    the_map_and_impact_report_add_up_and_costs_stay_with_leaders,
    whoever_runs_a_provision_supports_its_pupils_and_other_schools_see_nothing,
    action_plus_without_a_specialist_is_flagged_on_the_register_and_dashboard,
    editing_a_provision_or_allocation_meanwhile_is_refused,
    a_corrupt_stored_area_is_an_error_not_a_default,
);

/// Mondays, Wednesdays and Fridays of the six school weeks from 7 September 2026.
fn session_days() -> Vec<String> {
    let mut out = Vec::new();
    for week in 0..6 {
        for day in [0, 2, 4] {
            let d = date!(2026 - 09 - 07) + time::Duration::days(week * 7 + day);
            out.push(d.to_string());
        }
    }
    out
}

async fn reading_group(c: &Client) -> serde_json::Value {
    let r = c
        .post_json(
            "/api/v1/provisions",
            &json!({
                "name": "Reading catch-up group", "kind": "small_group", "area": "cognition_and_learning",
                "staff_role": "Teaching assistant", "group_size": 3, "sessions_per_week": 3,
                "minutes_per_session": 30, "cost_basis": "staff_time", "cost_pence": 1800,
                "expected_gain": 6.0
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()
}

async fn allocate(c: &Client, pupil: &str, provision: &str, entry: f64) -> serde_json::Value {
    let r = c
        .post_json(
            &format!("/api/v1/pupils/{pupil}/allocations"),
            &json!({
                "provision_id": provision, "from_on": "2026-09-07", "to_on": "2026-10-16",
                "measure_name": "Reading age", "measure_unit": "months", "entry_value": entry,
                "entry_on": "2026-09-04"
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()
}

async fn sessions_of(c: &Client, allocation: &str) -> i64 {
    let r = c
        .get(&format!("/api/v1/allocations/{allocation}/sessions"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["total"].as_i64().unwrap()
}

async fn a_reading_group_is_set_up_allocated_delivered_and_its_shortfall_shown(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    let group = reading_group(&senco).await;
    let id = group["id"].as_str().unwrap();
    assert_eq!(group["cost_pence"], 1800);
    let a1 = allocate(&senco, &app.fx.p1, id, 84.0).await;
    let a2 = allocate(&senco, &app.fx.p2, id, 90.0).await;
    assert_eq!(a1["delivery"]["planned"], 18, "3 a week for 6 school weeks");
    // £18 an hour, 30 minutes, shared by 3: £3 a session; 18 sessions: £54.
    assert_eq!(a1["cost_pence"], 5400);
    // Nothing recorded yet: every planned session counts against the school.
    assert_eq!(a1["delivery"]["unrecorded"], 18);
    assert_eq!(a1["delivery"]["shortfall"], true);

    // The group register, a session at a time: two sessions cancelled by the school, and
    // pupil 2 absent once (which does not count against the school).
    let days = session_days();
    let (a1, a2) = (a1["id"].as_str().unwrap(), a2["id"].as_str().unwrap());
    for (i, day) in days.iter().enumerate() {
        let (y, rest) = day.split_once('-').unwrap();
        let (m, d) = rest.split_once('-').unwrap();
        let cancelled = i == 4 || i == 11;
        let (s1, s2) = if cancelled {
            ("cancelled", "cancelled")
        } else if i == 7 {
            ("delivered", "pupil_absent")
        } else {
            ("delivered", "delivered")
        };
        let reason = if cancelled {
            "Teaching assistant covering a class"
        } else {
            ""
        };
        let (k1, k2) = (format!("status_{a1}"), format!("status_{a2}"));
        let (m1, m2) = (format!("minutes_{a1}"), format!("minutes_{a2}"));
        let r = senco
            .post_page(
                &format!("/provision/{id}/register"),
                &[
                    ("on_day", d),
                    ("on_month", m),
                    ("on_year", y),
                    (k1.as_str(), s1),
                    (k2.as_str(), s2),
                    (m1.as_str(), "30"),
                    (m2.as_str(), "30"),
                    ("reason", reason),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{day}: {}", r.body);
    }
    // A day already recorded shows what was recorded and is not recorded twice.
    let again = senco
        .get(&format!("/provision/{id}/register?day=7&month=9&year=2026"))
        .await;
    assert_eq!(again.body.matches("Recorded").count(), 2, "{}", again.body);
    let r = senco
        .post_page(
            &format!("/provision/{id}/register"),
            &[("on_day", "7"), ("on_month", "9"), ("on_year", "2026")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("already recorded for every pupil"));
    let one = senco.get(&format!("/api/v1/allocations/{a1}")).await.json();
    assert_eq!(one["delivery"]["delivered"], 16);
    assert_eq!(one["delivery"]["cancelled"], 2);
    assert_eq!(one["delivery"]["school_percent"], 88);
    assert_eq!(one["delivery"]["shortfall"], true);
    assert_eq!(one["delivery"]["minutes_delivered"], 480);
    let two = senco.get(&format!("/api/v1/allocations/{a2}")).await.json();
    assert_eq!(two["delivery"]["pupil_absent"], 1);
    assert_eq!(two["delivery"]["delivered"], 15);
    assert_eq!(two["delivery"]["school_percent"], 88);

    // The shortfall shows on the pupil's page, the provision's page and the parent's view.
    let page = senco.get(&format!("/pupils/{}", app.fx.p1)).await;
    assert!(
        page.body.contains("Reading catch-up group"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Shortfall"));
    assert!(page.body.contains("16 of 18"));
    let provision = senco.get(&format!("/provision/{id}")).await;
    assert!(provision.body.contains("Shortfall"));
    assert!(provision.body.contains("Amelia Thornbury"));
    let parent = app.signed_in(PARENT_P).await;
    let view = parent.get(&format!("/pupils/{}", app.fx.p1)).await;
    assert_eq!(view.status, 200);
    assert!(view.body.contains("Reading catch-up group"));
    assert!(view.body.contains("Shortfall"));
    assert!(!view.body.contains("£"), "parents do not see costs");
    let detail = parent.get(&format!("/allocations/{a1}")).await;
    assert_eq!(detail.status, 200);
    assert!(!detail.body.contains("Record a session"));
    assert!(!detail.body.contains("£"));
    // A parent cannot record delivery, nor see the other child's allocation.
    let r = parent
        .post_json(
            &format!("/api/v1/allocations/{a1}/sessions"),
            &json!({"on": "2026-10-16", "status": "delivered", "minutes": 30}),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(parent.get(&format!("/allocations/{a2}")).await.status, 404);

    // The threshold is a setting: at 80%, 88% is no longer a shortfall.
    let mut tx = app.store.begin().await.unwrap();
    Store::set_setting(&mut tx, "provision.shortfall_percent", "80")
        .await
        .unwrap();
    senco_store::commit(tx).await.unwrap();
    let relaxed = senco.get(&format!("/api/v1/allocations/{a1}")).await.json();
    assert_eq!(relaxed["delivery"]["shortfall"], false);
    let mut tx = app.store.begin().await.unwrap();
    Store::set_setting(&mut tx, "provision.shortfall_percent", "90")
        .await
        .unwrap();
    senco_store::commit(tx).await.unwrap();

    // The API is in the OpenAPI document.
    let doc = app.client().get("/api/v1/openapi.json").await.json();
    for path in [
        "/api/v1/provisions",
        "/api/v1/provisions/{id}",
        "/api/v1/pupils/{id}/allocations",
        "/api/v1/allocations/{id}",
        "/api/v1/allocations/{id}/sessions",
        "/api/v1/pupils/{id}/involvements",
        "/api/v1/involvements/{id}",
        "/api/v1/involvements/{id}/notes",
        "/api/v1/involvements/{id}/reports",
        "/api/v1/reports/{id}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }

    // Exit scores give the impact.
    for (a, exit) in [(a1, 92.0), (a2, 94.0)] {
        let r = senco
            .patch_json(
                &format!("/api/v1/allocations/{a}"),
                &json!({"exit_value": exit, "exit_on": "2026-10-16"}),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let impact = senco.get("/provision/impact").await;
    assert_eq!(impact.status, 200);
    // Gains of 8 and 4 months: +6.0 on average, one of two met the expected 6.
    assert!(impact.body.contains("+6.0"), "{}", impact.body);
    assert!(impact.body.contains("1 of 2 (50%)"), "{}", impact.body);

    // Every change was audited.
    assert!(app.audits(Some(&app.fx.p1), "create", "allowed").await >= 17);
}

async fn bad_delivery_input_gets_a_clear_error_and_changes_nothing(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    let group = reading_group(&senco).await;
    let a = allocate(&senco, &app.fx.p1, group["id"].as_str().unwrap(), 84.0).await;
    let a = a["id"].as_str().unwrap();
    let path = format!("/api/v1/allocations/{a}/sessions");
    let ok = senco
        .post_json(
            &path,
            &json!({"on": "2026-09-07", "status": "delivered", "minutes": 30}),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let bad = [
        (
            json!({"on": "2026-09-08", "status": "delivered", "minutes": -5}),
            "minutes_range",
        ),
        (
            json!({"on": "2026-10-19", "status": "delivered", "minutes": 30}),
            "outside_allocation",
        ),
        (
            json!({"on": "2026-09-04", "status": "delivered", "minutes": 30}),
            "outside_allocation",
        ),
        (
            json!({"on": "2026-09-08", "status": "cancelled"}),
            "reason_missing",
        ),
        (
            json!({"on": "2026-09-07", "status": "delivered", "minutes": 30}),
            "already_recorded",
        ),
        (
            json!({"on": "2026-09-08", "status": "maybe", "minutes": 30}),
            "missing",
        ),
        (
            json!({"on": "8 September", "status": "delivered", "minutes": 30}),
            "not_a_date",
        ),
    ];
    for (body, reason) in bad {
        let r = senco.post_json(&path, &body).await;
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        assert_eq!(
            r.header("content-type"),
            Some("application/problem+json"),
            "{body}"
        );
        let errors = r.json()["errors"].clone();
        assert!(
            errors
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["reason"] == reason),
            "{body}: {errors}"
        );
    }
    // A register with one bad line records no line at all.
    let b = allocate(&senco, &app.fx.p2, group["id"].as_str().unwrap(), 80.0).await;
    let b = b["id"].as_str().unwrap();
    let (k1, k2) = (format!("status_{a}"), format!("status_{b}"));
    let (m1, m2) = (format!("minutes_{a}"), format!("minutes_{b}"));
    let r = senco
        .post_page(
            &format!("/provision/{}/register", group["id"].as_str().unwrap()),
            &[
                ("on_day", "9"),
                ("on_month", "9"),
                ("on_year", "2026"),
                (k1.as_str(), "delivered"),
                (k2.as_str(), "delivered"),
                (m1.as_str(), "30"),
                (m2.as_str(), "-10"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body
            .contains("Minutes must be a whole number between 1 and 600")
    );
    assert!(
        r.body.contains("value=\"-10\""),
        "the form keeps what was typed"
    );
    assert_eq!(sessions_of(&senco, a).await, 1);
    assert_eq!(sessions_of(&senco, b).await, 0);
    // An allocation ending before it starts, or with half a measure, is refused.
    let r = senco
        .post_json(
            &format!("/api/v1/pupils/{}/allocations", app.fx.p1),
            &json!({"provision_id": group["id"], "from_on": "2026-11-02", "to_on": "2026-10-01", "entry_value": 3.0}),
        )
        .await;
    assert_eq!(r.status, 422);
    let fields: Vec<String> = r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert!(fields.contains(&"to_on".to_string()), "{fields:?}");
    assert!(fields.contains(&"measure_name".to_string()), "{fields:?}");
    let list = senco
        .get(&format!("/api/v1/pupils/{}/allocations", app.fx.p1))
        .await;
    assert_eq!(list.json()["total"], 1);
}

async fn bad_provision_input_keeps_what_was_typed(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    let r = senco
        .post_page(
            "/provision/new",
            &[
                ("name", "Lego therapy"),
                ("kind", "small_group"),
                ("area", "communication_and_interaction"),
                ("group_size", "0"),
                ("sessions_per_week", "2"),
                ("minutes_per_session", "-20"),
                ("cost_basis", "staff_time"),
                ("cost", "£12.345"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.title().starts_with("Error: "));
    assert!(r.body.contains("value=\"Lego therapy\""));
    assert!(r.body.contains("The group size must be between 1 and 60"));
    assert!(
        r.body
            .contains("Minutes per session must be between 1 and 600")
    );
    assert!(
        r.body
            .contains("Enter the cost in pounds, for example 15.50")
    );
    let list = senco.get("/api/v1/provisions").await.json();
    assert_eq!(list["total"], 0, "nothing was saved");
    let ok = senco
        .post_page(
            "/provision/new",
            &[
                ("name", "Lego therapy"),
                ("kind", "small_group"),
                ("area", "communication_and_interaction"),
                ("group_size", "3"),
                ("sessions_per_week", "2"),
                ("minutes_per_session", "20"),
                ("cost_basis", "staff_time"),
                ("cost", "£12.50"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let shown = senco.get(ok.header("location").unwrap()).await;
    assert!(shown.body.contains("Provision saved"));
    assert!(shown.body.contains("£12.50 an hour"));
    // The same name twice is refused.
    let again = senco
        .post_json(
            "/api/v1/provisions",
            &json!({"name": "Lego therapy", "kind": "equipment", "area": "sensory_and_or_physical", "cost_basis": "per_item", "cost_pence": 500}),
        )
        .await;
    assert_eq!(again.status, 422);
    assert_eq!(again.json()["errors"][0]["reason"], "duplicate");
    // Teachers read the catalogue but cannot add to it.
    let teacher = app.signed_in(TEACHER_A).await;
    assert_eq!(teacher.get("/provision").await.status, 200);
    assert_eq!(teacher.get("/provision/new").await.status, 404);
    let r = teacher
        .post_json(
            "/api/v1/provisions",
            &json!({"name": "Spelling", "kind": "small_group", "area": "cognition_and_learning", "group_size": 4, "sessions_per_week": 1, "minutes_per_session": 20, "cost_basis": "staff_time", "cost_pence": 1500}),
        )
        .await;
    assert_eq!(r.status, 404);
}

async fn the_map_and_impact_report_add_up_and_costs_stay_with_leaders(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    let group = reading_group(&senco).await;
    let gid = group["id"].as_str().unwrap();
    let kit = senco
        .post_json(
            "/api/v1/provisions",
            &json!({"name": "Writing slope", "kind": "equipment", "area": "sensory_and_or_physical", "cost_basis": "per_item", "cost_pence": 2499}),
        )
        .await;
    assert_eq!(kit.status, 201, "{}", kit.body);
    let kit = kit.json();
    assert_eq!(kit["sessions_per_week"], 0);
    allocate(&senco, &app.fx.p1, gid, 84.0).await;
    allocate(&senco, &app.fx.p2, gid, 80.0).await;
    let r = senco
        .post_json(
            &format!("/api/v1/pupils/{}/allocations", app.fx.p1),
            &json!({"provision_id": kit["id"], "from_on": "2026-09-07", "to_on": "2027-07-16"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let map = senco.get("/provision-map").await;
    assert_eq!(map.status, 200);
    // Pupil 1 (born 2017) is in Year 4 and pupil 2 (born 2018) in Year 3 in 2026/27.
    assert!(map.body.contains("Year 3"), "{}", map.body);
    assert!(map.body.contains("Year 4"));
    // 2 x £54 for the group and £24.99 for the slope.
    assert!(map.body.contains("£132.99"), "{}", map.body);
    assert!(map.body.contains("£78.99"), "pupil 1's cost");
    let (status, csv) = senco.get_bytes("/provision-map.csv").await;
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("\"Provision\",\"Area of need\",\"Year group\",\"Pupil\",\"Cost\""));
    assert!(csv.contains("\"Writing slope\",\"Sensory and/or physical\",\"Year 4\",\"Amelia Thornbury\",\"£24.99\""), "{csv}");
    assert!(csv.contains("\"Total\""));
    // Teachers and teaching assistants see who gets what, not what it costs.
    let teacher = app.signed_in(TEACHER_A).await;
    let map = teacher.get("/provision-map").await;
    assert_eq!(map.status, 200);
    assert!(!map.body.contains('£'));
    let (_, csv) = teacher.get_bytes("/provision-map.csv").await;
    assert!(!String::from_utf8(csv).unwrap().contains("Cost"));
    let list = teacher.get("/api/v1/provisions").await.json();
    assert!(list["items"][0].get("cost_pence").is_none());
    let mine = teacher
        .get(&format!("/api/v1/pupils/{}/allocations", app.fx.p1))
        .await
        .json();
    assert!(mine["items"][0].get("cost_pence").is_none());
    // The head teacher sees costs; parents, specialists and officers see no map at all.
    let head = app.signed_in(HEAD_A).await;
    assert!(head.get("/provision-map").await.body.contains('£'));
    for email in [PARENT_P, SPECIALIST_S, OFFICER_1, ADMIN, SCHOOL_ADMIN_A] {
        let c = app.signed_in(email).await;
        assert_eq!(c.get("/provision-map").await.status, 404, "{email}");
        assert_eq!(c.get("/provision").await.status, 404, "{email}");
        assert_eq!(c.get("/api/v1/provisions").await.status, 404, "{email}");
    }
    // Other school years: last year's map is empty.
    let last = senco.get("/provision-map?year=2025").await;
    assert!(last.body.contains("2025/26"));
    assert!(last.body.contains("Nothing on the map yet"));
    assert!(last.body.contains("/provision-map?year=2026"));
    let (_, csv) = senco.get_bytes("/provision-map.csv?year=2025").await;
    assert_eq!(
        String::from_utf8(csv).unwrap().lines().count(),
        2,
        "header and total"
    );
    // The impact report waits for exit measures.
    let impact = senco.get("/provision/impact").await;
    assert!(impact.body.contains("No results yet"));
}

async fn whoever_runs_a_provision_supports_its_pupils_and_other_schools_see_nothing(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    let ta = app.signed_in(TA_A).await;
    // The TA supports pupil 1 only.
    assert_eq!(ta.get(&format!("/pupils/{}", app.fx.p2)).await.status, 404);
    let ta_id = app.store.user_by_email(TA_A).await.unwrap().id;
    let r = senco
        .post_json(
            "/api/v1/provisions",
            &json!({"name": "Social skills", "kind": "small_group", "area": "social_emotional_and_mental_health", "staff_user_id": ta_id, "group_size": 4, "sessions_per_week": 1, "minutes_per_session": 45, "cost_basis": "staff_time", "cost_pence": 1600}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let provision = r.json()["id"].as_str().unwrap().to_string();
    let a = allocate(&senco, &app.fx.p2, &provision, 3.0).await;
    let a = a["id"].as_str().unwrap();
    // Running the group, the TA now supports pupil 2 and records the sessions.
    assert_eq!(ta.get(&format!("/pupils/{}", app.fx.p2)).await.status, 200);
    let r = ta
        .post_json(
            &format!("/api/v1/allocations/{a}/sessions"),
            &json!({"on": "2026-09-07", "status": "delivered", "minutes": 45}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let register = ta
        .get(&format!(
            "/provision/{provision}/register?day=9&month=9&year=2026"
        ))
        .await;
    assert_eq!(register.status, 200);
    assert!(register.body.contains("Bethan Quill"));
    // A teacher who does not teach pupil 2 sees neither the allocation nor its register line.
    let teacher = app.signed_in(TEACHER_A).await;
    assert_eq!(teacher.get(&format!("/allocations/{a}")).await.status, 404);
    let r = teacher
        .get(&format!(
            "/provision/{provision}/register?day=9&month=9&year=2026"
        ))
        .await;
    assert!(!r.body.contains("Bethan Quill"));
    // Another school's SENCO: identical 404s, no way to allocate to this school's provision.
    let other = app.signed_in(SENCO_B).await;
    let missing = other
        .get("/provision/00000000-0000-7000-8000-000000000000")
        .await;
    let forbidden = other.get(&format!("/provision/{provision}")).await;
    assert_eq!(forbidden.status, 404);
    assert_eq!(forbidden.body, missing.body);
    assert_eq!(other.get(&format!("/allocations/{a}")).await.status, 404);
    let api_missing = other
        .get("/api/v1/allocations/00000000-0000-7000-8000-000000000000")
        .await;
    let api_forbidden = other.get(&format!("/api/v1/allocations/{a}")).await;
    assert_eq!(api_forbidden.status, 404);
    assert_eq!(api_forbidden.body, api_missing.body);
    let r = other
        .post_json(
            &format!("/api/v1/pupils/{}/allocations", app.fx.p3),
            &json!({"provision_id": provision, "from_on": "2026-09-07", "to_on": "2026-10-16"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["field"], "provision_id");
    assert!(app.audits(Some(&app.fx.p2), "read", "denied").await >= 2);
}

async fn action_plus_without_a_specialist_is_flagged_on_the_register_and_dashboard(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    // Pupil 1's only involvement (a request) is closed.
    let mut tx = app.store.begin().await.unwrap();
    sqlx::query("UPDATE involvements SET status = 'closed' WHERE pupil_id = $1")
        .bind(&app.fx.p1)
        .execute(&mut *tx)
        .await
        .unwrap();
    senco_store::commit(tx).await.unwrap();
    let path = format!("/api/v1/pupils/{}/stage-changes", app.fx.p1);
    let sa = json!({"stage": "school_action", "effective_on": "2026-10-05", "reason": "Little progress", "decided_with": "Class teacher"});
    assert_eq!(senco.post_json(&path, &sa).await.status, 201);
    let plus = json!({"stage": "school_action_plus", "effective_on": "2026-11-02", "reason": "Still little progress", "decided_with": "Class teacher", "specialists": "Educational psychologist to be asked"});
    let r = senco.post_json(&path, &plus).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Pupil 2 on Action Plus too, with an active specialist.
    let path2 = format!("/api/v1/pupils/{}/stage-changes", app.fx.p2);
    assert_eq!(senco.post_json(&path2, &sa).await.status, 201);
    assert_eq!(senco.post_json(&path2, &plus).await.status, 201);
    let register = senco.get("/register").await;
    assert_eq!(register.body.matches("No specialist involved").count(), 1);
    let dashboard = senco.get("/").await;
    let (_, section) = dashboard
        .body
        .split_once("Action Plus with no outside specialist")
        .expect("the dashboard lists pupils on Action Plus without a specialist");
    assert!(
        section.contains("Amelia Thornbury: School Action Plus"),
        "{section}"
    );
    assert!(!section.contains("Bethan Quill"), "{section}");
}

async fn editing_a_provision_or_allocation_meanwhile_is_refused(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    let group = reading_group(&senco).await;
    let id = group["id"].as_str().unwrap();
    let mut body = json!({
        "name": "Reading catch-up group", "kind": "small_group", "area": "cognition_and_learning",
        "group_size": 4, "sessions_per_week": 3, "minutes_per_session": 30,
        "cost_basis": "staff_time", "cost_pence": 1800
    });
    let first = senco
        .patch_json(&format!("/api/v1/provisions/{id}"), &body, Some("\"v1\""))
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    body["group_size"] = json!(2);
    let stale = senco
        .patch_json(&format!("/api/v1/provisions/{id}"), &body, Some("\"v1\""))
        .await;
    assert_eq!(stale.status, 412);
    let now = senco.get(&format!("/api/v1/provisions/{id}")).await.json();
    assert_eq!(now["group_size"], 4);
    // The page form shows both: a conflict keeps what was typed.
    let page = senco
        .post_page(
            &format!("/provision/{id}/edit"),
            &[
                ("version", "1"),
                ("name", "Reading group (renamed)"),
                ("kind", "small_group"),
                ("area", "cognition_and_learning"),
                ("group_size", "5"),
                ("sessions_per_week", "3"),
                ("minutes_per_session", "30"),
                ("cost_basis", "staff_time"),
                ("cost", "18"),
            ],
        )
        .await;
    assert_eq!(page.status, 409);
    assert!(page.body.contains("Reading group (renamed)"));
    let a = allocate(&senco, &app.fx.p1, id, 84.0).await;
    let a = a["id"].as_str().unwrap();
    let ok = senco
        .patch_json(
            &format!("/api/v1/allocations/{a}"),
            &json!({"to_on": "2026-10-09"}),
            Some("\"v1\""),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["delivery"]["planned"], 15);
    let stale = senco
        .patch_json(
            &format!("/api/v1/allocations/{a}"),
            &json!({"exit_value": 90.0, "exit_on": "2026-10-09"}),
            Some("\"v1\""),
        )
        .await;
    assert_eq!(stale.status, 412);
    let exit_before_entry = senco
        .patch_json(
            &format!("/api/v1/allocations/{a}"),
            &json!({"exit_value": 90.0, "exit_on": "2026-09-01"}),
            None,
        )
        .await;
    assert_eq!(exit_before_entry.status, 422);
    // Term dates later in the year do not change what is planned for an ended allocation.
    let la = sqlx::query_scalar::<_, String>("SELECT la_id FROM schools WHERE id = $1")
        .bind(&app.fx.school_a)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let mut tx = app.store.begin().await.unwrap();
    Store::insert_term(
        &mut tx,
        &la,
        None,
        DateRange::new(date!(2026 - 11 - 02), date!(2026 - 12 - 18)).unwrap(),
    )
    .await
    .unwrap();
    senco_store::commit(tx).await.unwrap();
    let again = senco.get(&format!("/api/v1/allocations/{a}")).await.json();
    assert_eq!(again["delivery"]["planned"], 15);
}

/// Parse at the edge (issue 18, point 3): a provision's kind, area and cost basis come back
/// from the store as domain types. An area corrupted behind Senco's back (raw SQL; kind and
/// cost basis have CHECKs, the area has none) is an error, not a blank label: the store
/// refuses to read it and the API answers a problem document.
async fn a_corrupt_stored_area_is_an_error_not_a_default(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    let id = reading_group(&senco).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    corrupt(
        app,
        "UPDATE provisions SET area = $1 WHERE id = $2",
        "area_nine",
        &id,
    )
    .await;
    assert_corrupt(
        app.store.provision_by_id(&id).await,
        "provisions",
        "area",
        "area_nine",
    );
    let api = senco.get(&format!("/api/v1/provisions/{id}")).await;
    assert_eq!(api.status, 500, "{}", api.body);
    assert_eq!(api.header("content-type"), Some("application/problem+json"));
}
