//! Issue 19, point 2: the administrator changes a school's framework from a date, after a
//! preview of what it means for the pupils on its SEN register, through the pages, the API
//! and the command line. Nothing changes until confirmed; a refused change changes nothing;
//! the pupils' stage history is never touched; only the administrator may do it.

use senco_domain::framework::Stage;
use senco_domain::school::FrameworkKey;
use senco_store::Store;
use senco_store::sen::CurrentStage;
use serde_json::json;
use sqlx::Row;
use time::macros::date;

use crate::both;
use crate::helpers::*;
use crate::school_register::{cli, out};

both!(
    the_administrator_previews_and_confirms_a_change_through_the_pages,
    the_api_previews_with_dry_run_and_refuses_a_change_that_would_rewrite_history,
    only_the_administrator_may_change_a_schools_framework,
    the_command_line_previews_changes_and_lists_frameworks,
);

/// School A's frameworks, every stage entry and every current stage, as text.
async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut rows = Vec::new();
    for q in [
        "SELECT school_id, framework, started_on FROM school_frameworks ORDER BY school_id, started_on",
        "SELECT id, pupil_id, framework, stage, effective_on FROM stage_changes ORDER BY id",
        "SELECT pupil_id, framework, stage, since FROM current_stages ORDER BY pupil_id",
    ] {
        for r in sqlx::query(sqlx::AssertSqlSafe(q))
            .fetch_all(app.store.pool())
            .await
            .unwrap()
        {
            let cols: Vec<String> = (0..r.len())
                .map(|i| r.try_get::<String, _>(i).unwrap_or_default())
                .collect();
            rows.push(cols.join("|"));
        }
    }
    rows
}

async fn audit_count(app: &TestApp, outcome: &str) -> i64 {
    sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE record_type = 'school_framework' AND outcome = $1",
    )
    .bind(outcome)
    .fetch_one(app.store.pool())
    .await
    .unwrap()
    .get("n")
}

/// Puts p1 at School Action (from January 2025) and p2 at a statement (from 2 March 2026),
/// both under the 2001 Code at School A.
async fn seed_stages(app: &TestApp) {
    let fx = &app.fx;
    for (pupil, stage, on) in [
        (&fx.p1, Stage::SchoolAction, date!(2025 - 01 - 10)),
        (&fx.p2, Stage::Statement, date!(2026 - 03 - 02)),
    ] {
        let id = record_stage(
            app,
            pupil,
            &fx.school_a,
            FrameworkKey::England2001,
            stage,
            on,
        )
        .await;
        let mut tx = app.store.begin().await.unwrap();
        Store::set_current_stage(
            &mut tx,
            pupil,
            &fx.school_a,
            Some(&CurrentStage {
                framework: FrameworkKey::England2001,
                stage,
                since: on,
                stage_change_id: id,
            }),
        )
        .await
        .unwrap();
        senco_store::commit(tx).await.unwrap();
    }
}

fn change_form<'a>(
    framework: &'a str,
    day: &'a str,
    month: &'a str,
    year: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("framework", framework),
        ("starts_on_day", day),
        ("starts_on_month", month),
        ("starts_on_year", year),
    ]
}

async fn the_administrator_previews_and_confirms_a_change_through_the_pages(app: &TestApp) {
    seed_stages(app).await;
    let admin = app.signed_in(ADMIN).await;
    let school = format!("/admin/schools/{}", app.fx.school_a);
    assert!(
        admin
            .get(&school)
            .await
            .body
            .contains(&format!("{school}/frameworks"))
    );
    let path = format!("{school}/frameworks");
    let page = admin.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("SEN Code of Practice 2001 (England)"),
        "{}",
        page.body
    );
    // Only the frameworks of the school's country are offered.
    assert!(page.body.contains("value=\"england_2014\""));
    assert!(!page.body.contains("value=\"wales_aln_2021\""));

    // A form with problems says so, on its fields.
    let before = snapshot(app).await;
    let r = admin
        .post_page(&path, &change_form("", "31", "2", "2027"))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Select the new framework"), "{}", r.body);
    assert!(
        r.body
            .contains("The date the new framework starts must be a real date")
    );

    // The preview: each current stage, its pupils and what it becomes. Nothing is written.
    let r = admin
        .post_page(&path, &change_form("england_2014", "1", "9", "2026"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Check the change of framework"));
    assert!(
        r.body
            .contains("SEND Code of Practice 2014 (England) applies from 1 September 2026")
    );
    assert!(
        r.body
            .contains("SEN Code of Practice 2001 (England) ends on 31 August 2026")
    );
    assert!(r.body.contains("Becomes SEN support"), "{}", r.body);
    assert!(r.body.contains("Needs a decision: EHC plan or SEN support"));
    assert!(r.body.contains("Pupils whose stage needs a decision: 1"));
    assert_eq!(snapshot(app).await, before, "a preview writes nothing");
    assert_eq!(audit_count(app, "allowed").await, 0);

    // Confirming writes the new period (the previous one ends the day before), audited.
    let mut confirm = change_form("england_2014", "1", "9", "2026");
    confirm.push(("confirm", "yes"));
    let r = admin.post_page(&path, &confirm).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("{path}?flash=changed").as_str())
    );
    let page = admin.get(&format!("{path}?flash=changed")).await;
    assert!(page.body.contains("Framework changed"));
    assert!(page.body.contains("31 August 2026"), "{}", page.body);
    let after = snapshot(app).await;
    let added: Vec<&String> = after.iter().filter(|r| !before.contains(r)).collect();
    assert_eq!(
        added,
        [&format!("{}|england_2014|2026-09-01", app.fx.school_a)],
        "only the new period; the pupils' history and current stages are untouched"
    );
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(audit_count(app, "allowed").await, 1);
    // The school now works under the new framework from its date.
    let s = app.store.school(&app.fx.school_a).await.unwrap();
    assert_eq!(
        s.framework_on(date!(2026 - 08 - 31)),
        Some(FrameworkKey::England2001)
    );
    assert_eq!(
        s.framework_on(date!(2026 - 09 - 01)),
        Some(FrameworkKey::England2014)
    );

    // Confirming the same change again is refused and changes nothing.
    let r = admin.post_page(&path, &confirm).await;
    assert_eq!(r.status, 422);
    assert!(
        r.body
            .contains("The school already works under this framework"),
        "{}",
        r.body
    );
    assert_eq!(snapshot(app).await, after);
}

async fn the_api_previews_with_dry_run_and_refuses_a_change_that_would_rewrite_history(
    app: &TestApp,
) {
    seed_stages(app).await;
    let admin = app.signed_in(ADMIN).await;
    // By URN or by id.
    let path = "/api/v1/admin/schools/100001/frameworks";
    let list = admin.get(path).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(
        list.json()["items"],
        json!([{"framework": "england_2001", "name": "SEN Code of Practice 2001 (England)",
                "starts_on": "2002-01-01", "ends_on": null}])
    );
    let by_id = admin
        .get(&format!(
            "/api/v1/admin/schools/{}/frameworks",
            app.fx.school_a
        ))
        .await;
    assert_eq!(by_id.json(), list.json());
    let before = snapshot(app).await;

    // Each refusal names its field and rule, and changes nothing.
    for (body, field, reason) in [
        (
            json!({"framework": "england_2014", "starts_on": "2026-03-02"}),
            "starts_on",
            "rewrites_history",
        ),
        (
            json!({"framework": "england_2014", "starts_on": "2001-09-01"}),
            "starts_on",
            "before_current_start",
        ),
        (
            json!({"framework": "wales_aln_2021", "starts_on": "2026-12-01"}),
            "framework",
            "wrong_country",
        ),
        (
            json!({"framework": "england_2001", "starts_on": "2026-12-01"}),
            "framework",
            "already_in_force",
        ),
        (
            json!({"framework": "scotland", "starts_on": ""}),
            "framework",
            "missing",
        ),
        (
            json!({"framework": "england_2014", "starts_on": "2026-02-30"}),
            "starts_on",
            "not_a_date",
        ),
    ] {
        let r = admin.post_json(path, &body).await;
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        let e = &r.json()["errors"][0];
        assert_eq!(
            (e["field"].as_str(), e["reason"].as_str()),
            (Some(field), Some(reason)),
            "{body}"
        );
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(snapshot(app).await, before);

    // A dry run answers the preview and writes nothing.
    let change = json!({"framework": "england_2014", "starts_on": "2026-03-03", "dry_run": true});
    let r = admin.post_json(path, &change).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let preview = r.json();
    assert_eq!(preview["dry_run"], true);
    assert_eq!(
        preview["pupils"],
        json!([
            {"framework": "england_2001", "stage": "school_action", "pupils": 1,
             "outcome": "maps_to", "options": ["sen_support"]},
            {"framework": "england_2001", "stage": "statement", "pupils": 1,
             "outcome": "needs_decision", "options": ["ehc_plan", "sen_support"]},
        ])
    );
    assert_eq!(preview["needing_decision"], 1);
    assert_eq!(preview["periods"][0]["ends_on"], "2026-03-02");
    assert_eq!(snapshot(app).await, before);
    let r = admin
        .post_json(
            &format!("{path}?dry_run=true"),
            &json!({"framework": "england_2014", "starts_on": "2026-03-03"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(snapshot(app).await, before);

    // The change itself: the day after the last recorded stage change.
    let r = admin
        .post_json(
            path,
            &json!({"framework": "england_2014", "starts_on": "2026-03-03"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let list = admin.get(path).await.json();
    assert_eq!(list["items"][0]["ends_on"], "2026-03-02");
    assert_eq!(list["items"][1]["framework"], "england_2014");
    assert_eq!(list["items"][1]["ends_on"], serde_json::Value::Null);
    // Going back to a framework left is refused.
    let r = admin
        .post_json(
            path,
            &json!({"framework": "england_2001", "starts_on": "2027-01-01"}),
        )
        .await;
    assert_eq!(r.json()["errors"][0]["reason"], "used_before");
}

async fn only_the_administrator_may_change_a_schools_framework(app: &TestApp) {
    let before = snapshot(app).await;
    let page = format!("/admin/schools/{}/frameworks", app.fx.school_a);
    let api = "/api/v1/admin/schools/100001/frameworks";
    let mut confirm = change_form("england_2014", "1", "9", "2026");
    confirm.push(("confirm", "yes"));
    for email in [SENCO_A, HEAD_A, SCHOOL_ADMIN_A, OFFICER_1, PARENT_P] {
        let c = app.signed_in(email).await;
        assert_eq!(c.get(&page).await.status, 404, "{email}");
        assert_eq!(c.post_page(&page, &confirm).await.status, 404, "{email}");
        assert_eq!(c.get(api).await.status, 404, "{email}");
        let r = c
            .post_json(
                api,
                &json!({"framework": "england_2014", "starts_on": "2026-09-01"}),
            )
            .await;
        assert_eq!(r.status, 404, "{email}");
    }
    assert_eq!(snapshot(app).await, before);
    assert_eq!(audit_count(app, "denied").await, 20);
    assert_eq!(audit_count(app, "allowed").await, 0);
}

async fn the_command_line_previews_changes_and_lists_frameworks(app: &TestApp) {
    seed_stages(app).await;
    let before = snapshot(app).await;
    let args = [
        "school",
        "framework",
        "100001",
        "--framework",
        "england_2014",
        "--from",
        "2026-09-01",
    ];
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    let o = cli(app, &dry, None).await;
    assert!(o.status.success(), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains("england_2001: 2002-01-01 to 2026-08-31"),
        "{text}"
    );
    assert!(
        text.contains("school_action (england_2001), pupils: 1. Becomes sen_support"),
        "{text}"
    );
    assert!(text.contains("Dry run: nothing was written."));
    assert_eq!(snapshot(app).await, before);

    let o = cli(
        app,
        &[
            "school",
            "framework",
            "100001",
            "--framework",
            "england_2014",
            "--from",
            "2026-03-01",
        ],
        None,
    )
    .await;
    assert!(!o.status.success());
    assert!(out(&o).contains("starts_on:"), "{}", out(&o));
    assert_eq!(snapshot(app).await, before);

    let o = cli(app, &args, None).await;
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("Changed the framework of school 100001."));
    let o = cli(app, &["school", "frameworks", "100001"], None).await;
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "england_2001: 2002-01-01 to 2026-08-31\nengland_2014: from 2026-09-01\n"
    );
    // Ysgol W made the Welsh move to ALN in 2021.
    let o = cli(app, &["school", "frameworks", "100003"], None).await;
    assert!(String::from_utf8_lossy(&o.stdout).contains("wales_aln_2021: from 2021-09-01"));
    let cli_audit: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE record_type = 'school_framework' AND channel = 'cli'",
    )
    .fetch_one(app.store.pool())
    .await
    .unwrap()
    .get("n");
    assert_eq!(cli_audit, 1);
}
