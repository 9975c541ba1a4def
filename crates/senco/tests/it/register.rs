//! The SEN register (page, CSV, API) and a pupil's chronology (page, API), on the stage
//! history seeded straight through the store.

use senco_domain::Date;
use senco_domain::framework::Stage;
use senco_domain::school::FrameworkKey;
use senco_store::Store;
use senco_store::sen::{CurrentStage, NewConcern, NewNeed, NewParentNotification};
use time::macros::date;

use crate::both;
use crate::helpers::*;

both!(
    the_register_lists_exactly_the_sen_pupils_of_each_scope,
    filters_narrow_the_register_and_counts_show_the_share_of_the_roll,
    the_register_sorts_by_its_columns_with_plain_links,
    sr_22_the_csv_download_is_an_attachment_with_formulas_neutralised,
    the_register_api_publishes_stage_ids_and_checks_its_filters,
    the_chronology_lists_events_oldest_first_and_parents_never_see_concerns,
);

/// Records a stage change and makes it the stage in force, with open needs (primary first).
async fn place(
    app: &TestApp,
    pupil: &str,
    school: &str,
    stage: Stage,
    on: Date,
    needs: &[&str],
) -> String {
    let now = app.clock.now();
    let mut tx = app.store.begin().await.unwrap();
    let reason =
        senco_domain::history::StageReason::Given("Reading well below that of peers".into());
    let id = Store::insert_stage_change(
        &mut tx,
        pupil,
        school,
        &given_stage(FrameworkKey::England2001, stage, on, &reason),
        now,
    )
    .await
    .unwrap();
    Store::set_current_stage(
        &mut tx,
        pupil,
        school,
        Some(&CurrentStage {
            framework: FrameworkKey::England2001,
            stage,
            since: on,
            stage_change_id: id.clone(),
        }),
    )
    .await
    .unwrap();
    insert_needs(&mut tx, pupil, school, needs, on, now).await;
    senco_store::commit(tx).await.unwrap();
    id
}

/// p1 (Thornbury, Year 4, group 3B) on School Action with SPLD; p2 (Quill, Year 3) on School
/// Action Plus with ASD and SLCN; p3 (Marlowe, school B) on School Action.
async fn seed(app: &TestApp) {
    let fx = &app.fx;
    place(
        app,
        &fx.p1,
        &fx.school_a,
        Stage::SchoolAction,
        date!(2026 - 10 - 01),
        &["SPLD"],
    )
    .await;
    place(
        app,
        &fx.p2,
        &fx.school_a,
        Stage::SchoolActionPlus,
        date!(2026 - 11 - 02),
        &["ASD", "SLCN"],
    )
    .await;
    place(
        app,
        &fx.p3,
        &fx.school_b,
        Stage::SchoolAction,
        date!(2026 - 09 - 15),
        &[],
    )
    .await;
}

/// Waits until at least `at_least` reads of the register at `school` are audited.
async fn register_reads(app: &TestApp, school: &str, at_least: i64) -> i64 {
    let count = || async {
        let row: (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM audit_log WHERE record_type = 'sen_register' AND action = 'list' \
             AND outcome = 'allowed' AND school_id = $1 AND pupil_id IS NULL",
        )
        .bind(school)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        row.0
    };
    for _ in 0..200 {
        let n = count().await;
        if n >= at_least {
            return n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    count().await
}

async fn the_register_lists_exactly_the_sen_pupils_of_each_scope(app: &TestApp) {
    seed(app).await;
    let fx = &app.fx;
    for (email, sees_p1, sees_p2) in [
        (SENCO_A, true, true),
        (HEAD_A, true, true),
        (TEACHER_A, true, false),
        (TA_A, true, false),
    ] {
        let c = app.signed_in(email).await;
        let r = c.get("/register").await;
        assert_eq!(r.status, 200, "{email}: {}", r.body);
        assert_eq!(r.title(), "SEN register – Senco");
        assert_eq!(
            r.body.contains(&format!("href=\"/pupils/{}\"", fx.p1)),
            sees_p1,
            "{email} and p1"
        );
        assert_eq!(r.body.contains("Thornbury"), sees_p1, "{email} and p1");
        assert_eq!(r.body.contains("Quill"), sees_p2, "{email} and p2");
        assert!(!r.body.contains("Marlowe"), "{email} sees school B");
        assert!(r.body.contains("School Action"));
        assert!(r.body.contains("1 October 2026"), "since, as a long date");
    }
    assert!(
        register_reads(app, &fx.school_a, 4).await >= 4,
        "reads audited"
    );

    let b = app.signed_in(SENCO_B).await;
    let r = b.get("/register").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Marlowe"));
    assert!(!r.body.contains("Thornbury") && !r.body.contains("Quill"));

    for email in [SCHOOL_ADMIN_A, PARENT_P, SPECIALIST_S, OFFICER_1, ADMIN] {
        let c = app.signed_in(email).await;
        for path in ["/register", "/register.csv", "/api/v1/register"] {
            let r = c.get(path).await;
            assert_eq!(r.status, 404, "{email} {path}");
            assert!(!r.body.contains("Thornbury"), "{email} {path}");
        }
    }

    // Off the register again: an explicit "no SEN" interval.
    place(
        app,
        &fx.p2,
        &fx.school_a,
        Stage::NoSen,
        date!(2026 - 11 - 20),
        &[],
    )
    .await;
    let r = app.signed_in(SENCO_A).await.get("/register").await;
    assert!(r.body.contains("Thornbury") && !r.body.contains("Quill"));
}

async fn filters_narrow_the_register_and_counts_show_the_share_of_the_roll(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let empty = c.get("/register").await;
    assert_eq!(empty.status, 200);
    assert!(empty.body.contains("Nobody is on the register yet"));

    seed(app).await;
    let teacher = app.store.user_by_email(TEACHER_A).await.unwrap().id;
    let only = |body: &str, p1: bool, p2: bool| {
        body.contains("Thornbury") == p1 && body.contains("Quill") == p2
    };
    let cases = [
        ("/register".to_string(), true, true),
        ("/register?stage=school_action".to_string(), true, false),
        (
            "/register?stage=school_action_plus".to_string(),
            false,
            true,
        ),
        ("/register?need=SPLD".to_string(), true, false),
        ("/register?need=slcn".to_string(), false, true),
        ("/register?year=4".to_string(), true, false),
        ("/register?year=3".to_string(), false, true),
        (format!("/register?group={}", app.fx.group_3b), true, false),
        (format!("/register?teacher={teacher}"), true, false),
        ("/register?stage=ehc_plan".to_string(), false, false),
        // Values that are not among the choices are ignored, as on the pupils page.
        ("/register?stage=bogus&need=%3Cb%3E".to_string(), true, true),
    ];
    for (path, p1, p2) in cases {
        let r = c.get(&path).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(only(&r.body, p1, p2), "{path}");
    }
    let none = c.get("/register?stage=ehc_plan").await;
    assert!(
        none.body
            .contains("No pupil on the register matches these filters")
    );
    let filtered = c.get("/register?stage=school_action&need=SPLD").await;
    assert!(
        filtered
            .body
            .contains("<option value=\"school_action\" selected>"),
        "the form keeps the filter"
    );
    assert!(
        filtered
            .body
            .contains("href=\"?stage=school_action&#38;need=SPLD&#38;sort=name&#38;dir=desc\""),
        "sort links keep the filters"
    );
    assert!(
        filtered.body.contains(
            "href=\"/register.csv?stage=school_action&#38;need=SPLD&#38;sort=name&#38;dir=asc\""
        ),
        "the download keeps the filters"
    );

    // Counts: 2 pupils on roll at school A, one on each stage.
    let page = c.get("/register").await;
    assert!(page.body.contains("Pupils on each stage"));
    assert!(page.body.contains("Pupils on roll: 2"));
    let counts = &page.body[page.body.find("Pupils on each stage").unwrap()..];
    let counts = &counts[..counts.find("</table>").unwrap()];
    for (label, n, share) in [
        ("School Action", 1, "50.0"),
        ("School Action Plus", 1, "50.0"),
        ("Statement of SEN", 0, "0.0"),
        ("On the register", 2, "100.0"),
    ] {
        let at = counts
            .find(&format!(">{label}</th>"))
            .unwrap_or_else(|| panic!("{label} row"));
        let row = &counts[at..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.contains(&format!(">{n}</td>")), "{label}: {row}");
        assert!(row.contains(&format!(">{share}</td>")), "{label}: {row}");
        assert!(row.contains("govuk-table__cell--numeric"));
    }
    // Teachers see only their pupils, so no school-wide figures.
    let t = app.signed_in(TEACHER_A).await.get("/register").await;
    assert!(!t.body.contains("Pupils on each stage"));
}

async fn the_register_sorts_by_its_columns_with_plain_links(app: &TestApp) {
    seed(app).await;
    let c = app.signed_in(SENCO_A).await;
    let first = |body: &str| {
        let t = body.find("Thornbury").unwrap();
        let q = body.find("Quill").unwrap();
        if t < q { "p1" } else { "p2" }
    };
    for (query, expected) in [
        ("", "p2"),
        ("?sort=name&dir=asc", "p2"),
        ("?sort=name&dir=desc", "p1"),
        ("?sort=stage&dir=asc", "p1"),
        ("?sort=stage&dir=desc", "p2"),
        ("?sort=since&dir=asc", "p1"),
        ("?sort=since&dir=desc", "p2"),
        ("?sort=year&dir=asc", "p2"),
        ("?sort=year&dir=desc", "p1"),
        ("?sort=need&dir=asc", "p2"),
        ("?sort=need&dir=desc", "p1"),
    ] {
        let r = c.get(&format!("/register{query}")).await;
        assert_eq!(r.status, 200);
        assert_eq!(first(&r.body), expected, "{query}");
    }
    let r = c.get("/register").await;
    assert_eq!(r.body.matches("aria-sort=").count(), 1);
    assert!(r.body.contains("aria-sort=\"ascending\""));
    let r = c.get("/register?sort=since&dir=desc").await;
    assert!(r.body.contains("aria-sort=\"descending\""));
    assert!(
        r.body.contains("href=\"?sort=since&#38;dir=asc\""),
        "the sorted column's link turns the order round: {}",
        &r.body[r.body.rfind("<thead").unwrap_or(0)..]
    );
    assert!(!r.body.contains("<script>") && !r.body.contains("style="));
}

async fn sr_22_the_csv_download_is_an_attachment_with_formulas_neutralised(app: &TestApp) {
    seed(app).await;
    sqlx::query("UPDATE pupils SET legal_surname = $1 WHERE id = $2")
        .bind("=HYPERLINK(\"x\")")
        .bind(&app.fx.p1)
        .execute(app.store.pool())
        .await
        .unwrap();
    let c = app.signed_in(SENCO_A).await;
    let page = c.get("/register").await;
    assert!(page.body.contains("Download as CSV"));
    let r = c.get("/register.csv").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"sen-register.csv\"")
    );
    let lines: Vec<&str> = r.body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "\"UPN\",\"Legal surname\",\"Legal forename\",\"Year\",\"Registration group\",\
         \"Framework\",\"Stage\",\"Since\",\"Primary need\",\"Other needs\""
    );
    assert_eq!(lines.len(), 3, "{}", r.body);
    let p1 = lines
        .iter()
        .find(|l| l.contains("B801200005001"))
        .expect("p1's row");
    assert!(
        p1.contains("\"'=HYPERLINK(\"\"x\"\")\""),
        "the formula is neutralised: {p1}"
    );
    assert!(p1.contains("\"Amelia\",\"4\",\"3B\""), "{p1}");
    assert!(
        p1.contains("\"School Action\",\"2026-10-01\",\"SPLD\",\"\""),
        "{p1}"
    );
    let p2 = lines.iter().find(|l| l.contains("Quill")).unwrap();
    assert!(p2.contains("\"ASD\",\"SLCN\""), "{p2}");
    // The same filters as the page.
    let only_p2 = c.get("/register.csv?stage=school_action_plus").await;
    assert!(only_p2.body.contains("Quill") && !only_p2.body.contains("B801200005001"));
    let t = app.signed_in(TEACHER_A).await.get("/register.csv").await;
    assert!(t.body.contains("B801200005001") && !t.body.contains("Quill"));
}

async fn the_register_api_publishes_stage_ids_and_checks_its_filters(app: &TestApp) {
    seed(app).await;
    let c = app.signed_in(SENCO_A).await;
    let r = c.get("/api/v1/register").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert_eq!(j["total"], 2);
    let quill = &j["items"][0];
    assert_eq!(quill["pupil_id"], app.fx.p2.as_str());
    assert_eq!(quill["legal_surname"], "Quill");
    assert_eq!(quill["stage"], "school_action_plus");
    assert_eq!(quill["framework"], "england_2001");
    assert_eq!(quill["since"], "2026-11-02");
    assert_eq!(quill["primary_need"], "ASD");
    assert_eq!(quill["needs"], serde_json::json!(["ASD", "SLCN"]));
    assert_eq!(quill["year_group"], "3");
    assert!(quill["upn"].is_null());
    assert_eq!(j["items"][1]["stage"], "school_action");
    assert_eq!(j["items"][1]["registration_group"], "3B");

    for (query, total) in [
        ("?stage=school_action", 1),
        ("?need=SLCN", 1),
        ("?year=4", 1),
        ("?school=100001", 2),
        ("?school=100002", 0),
        ("?school=999999", 0),
    ] {
        let r = c.get(&format!("/api/v1/register{query}")).await;
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        assert_eq!(r.json()["total"], total, "{query}");
    }
    let paged = c.get("/api/v1/register?per_page=1&page=2").await.json();
    assert_eq!(paged["total"], 2);
    assert_eq!(paged["items"].as_array().unwrap().len(), 1);
    assert_eq!(paged["items"][0]["legal_surname"], "Thornbury");

    for (query, field) in [
        ("?stage=bogus", "stage"),
        ("?need=XYZ", "need"),
        ("?year=99", "year"),
        ("?page=0", "page"),
    ] {
        let r = c.get(&format!("/api/v1/register{query}")).await;
        assert_eq!(r.status, 422, "{query}");
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        let j = r.json();
        assert_eq!(j["errors"][0]["field"], field, "{query}");
        if field != "page" {
            assert_eq!(j["errors"][0]["reason"], "unknown_value");
        }
    }
    let t = app.signed_in(TEACHER_A).await;
    assert_eq!(t.get("/api/v1/register").await.json()["total"], 1);
    let b = app.signed_in(SENCO_B).await;
    let j = b.get("/api/v1/register?school=100001").await.json();
    assert_eq!(j["total"], 0, "school A is outside B's view");

    let doc = app.client().get("/api/v1/openapi.json").await.body;
    assert!(doc.contains("/api/v1/register"));
    assert!(doc.contains("/api/v1/pupils/{id}/chronology"));
    assert!(doc.contains("school_action_plus"));
}

async fn the_chronology_lists_events_oldest_first_and_parents_never_see_concerns(app: &TestApp) {
    let fx = &app.fx;
    let now = app.clock.now();
    let teacher = app.store.user_by_email(TEACHER_A).await.unwrap().id;
    let mut tx = app.store.begin().await.unwrap();
    Store::insert_concern(
        &mut tx,
        &fx.p1,
        &fx.school_a,
        &NewConcern {
            raised_by: &teacher,
            raised_on: date!(2026 - 09 - 20),
            framework: FrameworkKey::England2001,
            areas: "cognition_and_learning",
            details: None,
            triggers: "",
            tried: "Small-group phonics",
            result: "Little progress",
        },
        now,
    )
    .await
    .unwrap();
    senco_store::commit(tx).await.unwrap();
    let change = place(
        app,
        &fx.p1,
        &fx.school_a,
        Stage::SchoolAction,
        date!(2026 - 10 - 01),
        &[],
    )
    .await;
    let mut tx = app.store.begin().await.unwrap();
    Store::insert_parent_notification(
        &mut tx,
        &fx.p1,
        &fx.school_a,
        &NewParentNotification {
            stage_change_id: &change,
            informed_on: date!(2026 - 10 - 05),
            method: "letter",
            recorded_by: None,
        },
        now,
    )
    .await
    .unwrap();
    Store::insert_need(
        &mut tx,
        &fx.p1,
        &fx.school_a,
        &NewNeed {
            code: "SPLD",
            rank: 1,
            starts_on: date!(2026 - 10 - 10),
            recorded_by: None,
        },
        now,
    )
    .await
    .unwrap();
    senco_store::commit(tx).await.unwrap();

    let path = format!("/pupils/{}/chronology", fx.p1);
    let c = app.signed_in(SENCO_A).await;
    let page = c.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.title(), "SEN chronology – Senco");
    assert!(!page.title().contains("Thornbury") && !page.title().contains("Amelia"));
    assert!(
        page.body
            .contains("<h1 class=\"govuk-heading-l\">Amelia Thornbury</h1>")
    );
    assert!(page.body.contains(&format!(
        "<a href=\"/pupils/{}\" class=\"govuk-back-link\">",
        fx.p1
    )));
    assert!(page.body.contains("Print this page"));
    let order: Vec<usize> = [
        "20 September 2026",
        "Concern raised by",
        "1 October 2026",
        "Reading well below that of peers",
        "5 October 2026",
        "Parents told",
        "10 October 2026",
        "SPLD",
    ]
    .iter()
    .map(|s| page.body.find(s).unwrap_or_else(|| panic!("{s} missing")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");

    let api = c.get(&format!("/api/v1/pupils/{}/chronology", fx.p1)).await;
    assert_eq!(api.status, 200);
    let j = api.json();
    assert_eq!(j["total"], 4);
    let kinds: Vec<&str> = j["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["concern", "stage_change", "parents_told", "need"]);
    assert_eq!(j["items"][1]["date"], "2026-10-01");
    assert_eq!(j["items"][1]["record_id"], change.as_str());
    assert_eq!(j["items"][2]["date"], "2026-10-05");

    // Parents see the chronology of their own child, without concerns.
    let parent = app.signed_in(PARENT_P).await;
    let page = parent.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("Concern raised"));
    assert!(page.body.contains("Parents told") && page.body.contains("SPLD"));
    let j = parent
        .get(&format!("/api/v1/pupils/{}/chronology", fx.p1))
        .await
        .json();
    assert_eq!(j["total"], 3);
    assert!(
        j["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["kind"] != "concern")
    );

    // Others with no SEN access to the pupil get the same 404 as for a missing pupil.
    for (email, pupil) in [
        (SCHOOL_ADMIN_A, &fx.p1),
        (OFFICER_1, &fx.p1),
        (PARENT_P, &fx.p2),
        (SPECIALIST_S, &fx.p1),
        (ADMIN, &fx.p1),
    ] {
        let c = app.signed_in(email).await;
        let r = c.get(&format!("/pupils/{pupil}/chronology")).await;
        assert_eq!(r.status, 404, "{email}");
        let r = c.get(&format!("/api/v1/pupils/{pupil}/chronology")).await;
        assert_eq!(r.status, 404, "{email} API");
    }
    // Even the specialist involved with p2 sees only p2's identity, needs, current plan and
    // their own involvement: not the chronology.
    let s = app.signed_in(SPECIALIST_S).await;
    assert_eq!(s.get(&format!("/pupils/{}", fx.p2)).await.status, 200);
    assert_eq!(
        s.get(&format!("/pupils/{}/chronology", fx.p2)).await.status,
        404
    );
}
