use serde_json::json;

use crate::both;
use crate::helpers::*;

both!(
    schools_list_carries_urn_la_code_country_phase_and_framework,
    pupils_can_be_listed_filtered_and_paginated,
    a_pupil_is_added_read_and_changed_through_the_api,
    an_invalid_upn_gets_a_422_naming_what_is_wrong,
    a_stale_if_match_gets_412_and_changes_nothing,
    sr_10_unknown_fields_and_bad_json_are_refused_with_problem_documents,
    api_tokens_work_until_the_account_is_disabled,
    pupils_cannot_be_added_to_another_school,
);

async fn schools_list_carries_urn_la_code_country_phase_and_framework(app: &TestApp) {
    let c = app.signed_in(ADMIN).await;
    let r = c.get("/api/v1/schools").await;
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(body["total"], 3);
    let w = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["urn"] == "100003")
        .unwrap()
        .clone();
    assert_eq!(w["la_code"], "672");
    assert_eq!(w["country"], "wales");
    assert_eq!(w["phase"], "primary");
    assert_eq!(w["framework"], "wales_aln_2021");
    assert_eq!(w["frameworks"].as_array().unwrap().len(), 2);
    // A school's staff see their own school only.
    let c = app.signed_in(SENCO_A).await;
    let body = c.get("/api/v1/schools").await.json();
    assert_eq!(body["total"], 1);
    assert_eq!(body["items"][0]["framework"], "england_2001");
    // An officer sees the schools of their own authority.
    let body = app
        .signed_in(OFFICER_2)
        .await
        .get("/api/v1/schools")
        .await
        .json();
    assert_eq!(body["total"], 1);
    assert_eq!(body["items"][0]["id"], app.fx.school_w.as_str());
}

async fn pupils_can_be_listed_filtered_and_paginated(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let all = c.get("/api/v1/pupils").await.json();
    assert_eq!(all["total"], 2);
    let page = c.get("/api/v1/pupils?per_page=1&page=2").await.json();
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let by_name = c.get("/api/v1/pupils?q=thorn").await.json();
    assert_eq!(by_name["total"], 1);
    assert_eq!(by_name["items"][0]["legal_surname"], "Thornbury");
    let by_upn = c.get("/api/v1/pupils?q=b801200005001").await.json();
    assert_eq!(by_upn["total"], 1);
    let by_school = c.get("/api/v1/pupils?school=100002").await.json();
    assert_eq!(
        by_school["total"], 0,
        "another school's pupils stay hidden even when asked for"
    );
    // Amelia, born October 2017, is in Year 4 in 2026/27.
    let by_year = c.get("/api/v1/pupils?year=4").await.json();
    assert_eq!(by_year["total"], 1);
    assert_eq!(by_year["items"][0]["year_group"], "4");
    let capped = c.get("/api/v1/pupils?per_page=100000").await;
    assert_eq!(capped.status, 200);
    for bad in ["page=0", "per_page=-1", "per_page=x", "year=Z9"] {
        let r = c.get(&format!("/api/v1/pupils?{bad}")).await;
        assert_eq!(r.status, 422, "{bad}");
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
    }
}

async fn a_pupil_is_added_read_and_changed_through_the_api(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let r = c
        .post_json(
            "/api/v1/pupils",
            &json!({
                "school_urn": "100001", "upn": "p207000016049", "legal_forename": "Zoë",
                "legal_surname": "Nic Dhòmhnaill", "date_of_birth": "2019-03-27", "sex": "F",
                "registration_group": "3B", "eal": true
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    assert_eq!(
        created["upn"], "P207000016049",
        "UPNs are stored in capitals"
    );
    assert_eq!(created["registration_group"], "3B");
    assert_eq!(created["version"], 1);
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/pupils/{id}").as_str())
    );
    let got = c.get(&format!("/api/v1/pupils/{id}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("etag"), Some("\"v1\""));
    let changed = c
        .patch_json(
            &format!("/api/v1/pupils/{id}"),
            &json!({"preferred_forename": "Zo", "eal": false}),
            Some("\"v1\""),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.json()["preferred_forename"], "Zo");
    assert_eq!(changed.header("etag"), Some("\"v2\""));
    let cleared = c
        .patch_json(
            &format!("/api/v1/pupils/{id}"),
            &json!({"preferred_forename": null}),
            None,
        )
        .await;
    assert_eq!(
        cleared.json()["preferred_forename"],
        serde_json::Value::Null
    );
    // The change and its fields are audited, without the content.
    assert_eq!(app.audits(Some(&id), "create", "allowed").await, 1);
    let (rows, _) = app.store.audit_for_pupil(&id, 50, 0).await.unwrap();
    let update = rows.iter().find(|r| r.event.action == "update").unwrap();
    assert_eq!(update.event.fields.as_deref(), Some("preferred_forename"));
    assert!(
        !rows
            .iter()
            .any(|r| format!("{:?}", r.event).contains("Zo\""))
    );
    // The same UPN cannot be used twice.
    let dup = c
        .post_json(
            "/api/v1/pupils",
            &json!({"school_urn": "100001", "upn": "P207000016049", "legal_forename": "A", "legal_surname": "B", "date_of_birth": "2019-01-01", "sex": "M"}),
        )
        .await;
    assert_eq!(dup.status, 422);
    assert_eq!(dup.json()["errors"][0]["reason"], "in_use");
}

async fn an_invalid_upn_gets_a_422_naming_what_is_wrong(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    for (upn, reason) in [
        ("B20700001604", "length"),
        ("B2070000160X9", "format"),
        ("I207000016049", "format"),
        ("Q207000016049", "check_letter"),
        ("A999000016049", "la_code"),
    ] {
        let r = c
            .post_json(
                "/api/v1/pupils",
                &json!({"school_urn": "100001", "upn": upn, "legal_forename": "A", "legal_surname": "B", "date_of_birth": "2019-01-01", "sex": "F"}),
            )
            .await;
        assert_eq!(r.status, 422, "{upn}");
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        let body = r.json();
        assert_eq!(body["errors"][0]["field"], "upn", "{upn}");
        assert_eq!(body["errors"][0]["reason"], reason, "{upn}");
        assert!(body.get("request_id").is_none());
    }
    let r = c
        .post_json(
            "/api/v1/pupils",
            &json!({"school_urn": "100001", "legal_forename": "", "legal_surname": "B", "date_of_birth": "2090-01-01", "sex": "F"}),
        )
        .await;
    let fields: Vec<String> = r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["legal_forename", "date_of_birth"]);
}

async fn a_stale_if_match_gets_412_and_changes_nothing(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let path = format!("/api/v1/pupils/{}", app.fx.p1);
    let first = c
        .patch_json(&path, &json!({"fsm": true}), Some("\"v1\""))
        .await;
    assert_eq!(first.status, 200);
    let stale = c
        .patch_json(
            &path,
            &json!({"legal_surname": "Overwritten"}),
            Some("\"v1\""),
        )
        .await;
    assert_eq!(stale.status, 412);
    let now = c.get(&path).await.json();
    assert_eq!(now["legal_surname"], "Thornbury");
    assert_eq!(now["fsm"], true);
    assert_eq!(
        c.patch_json(&path, &json!({"fsm": false}), Some("garbage"))
            .await
            .status,
        412
    );
}

async fn sr_10_unknown_fields_and_bad_json_are_refused_with_problem_documents(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let path = format!("/api/v1/pupils/{}", app.fx.p1);
    // Mass assignment: fields that are not part of the API are refused, and nothing changes.
    let r = c
        .patch_json(
            &path,
            &json!({"school_id": app.fx.school_b, "version": 9}),
            None,
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let r = c
        .send(
            c.raw()
                .post(c.url("/api/v1/pupils"))
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = c
        .send(c.raw().post(c.url("/api/v1/pupils")).body("a=b"))
        .await;
    assert_eq!(r.status, 415);
    let r = c.get("/api/v1/no-such-thing").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let pupil = c.get(&path).await.json();
    assert_eq!(pupil["school_urn"], "100001");
    assert_eq!(pupil["version"], 1);
}

async fn api_tokens_work_until_the_account_is_disabled(app: &TestApp) {
    let token = senco_app::credentials::random_token();
    let user = app.store.user_by_email(HEAD_A).await.unwrap();
    let mut tx = app.store.begin().await.unwrap();
    senco_store::Store::insert_token(
        &mut tx,
        &user.id,
        "test",
        &senco_app::credentials::hash_token(&token),
        app.clock.now(),
    )
    .await
    .unwrap();
    senco_store::commit(tx).await.unwrap();
    let c = Client::with_token(&app.base, &token);
    assert_eq!(
        c.get(&format!("/api/v1/pupils/{}", app.fx.p1)).await.status,
        200
    );
    let wrong = Client::with_token(&app.base, "0123");
    assert_eq!(wrong.get("/api/v1/pupils").await.status, 401);
    let mut tx = app.store.begin().await.unwrap();
    senco_store::Store::disable_user(&mut tx, &user.id, app.clock.now())
        .await
        .unwrap();
    senco_store::commit(tx).await.unwrap();
    assert_eq!(c.get("/api/v1/pupils").await.status, 401);
}

async fn pupils_cannot_be_added_to_another_school(app: &TestApp) {
    for email in [SENCO_A, TEACHER_A, PARENT_P, ADMIN] {
        let c = app.signed_in(email).await;
        let r = c
            .post_json(
                "/api/v1/pupils",
                &json!({"school_urn": "100002", "legal_forename": "A", "legal_surname": "B", "date_of_birth": "2019-01-01", "sex": "F"}),
            )
            .await;
        assert_eq!(r.status, 422, "{email}");
        assert_eq!(r.json()["errors"][0]["field"], "school_urn");
    }
    // A child of school age needs a UPN; only early-years settings may leave it out.
    let c = app.signed_in(SENCO_A).await;
    let r = c
        .post_json(
            "/api/v1/pupils",
            &json!({"school_urn": "100001", "legal_forename": "A", "legal_surname": "B", "date_of_birth": "2018-01-01", "sex": "F"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["field"], "upn");
    assert_eq!(r.json()["errors"][0]["reason"], "missing");
    let total = app
        .signed_in(SENCO_B)
        .await
        .get("/api/v1/pupils")
        .await
        .json()["total"]
        .clone();
    assert_eq!(total, 1);
}
