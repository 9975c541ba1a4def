//! `senco generate` (issue 9): a synthetic local authority written with the bulk loader.
//! Proportions within tolerances, determinism, a valid audit chain, consistent derived
//! stages, and the server serving the data to a generated SENCO (with two-factor sign-in).

use senco_domain::totp::{Secret, code_at};
use senco_synth::GenerateOptions;
use sqlx::Row;

use crate::helpers::*;

const OPTS: GenerateOptions = GenerateOptions {
    schools: 3,
    pupils: 2_000,
    seed: 9,
};

async fn sign_in_with_code(app: &TestApp, email: &str, passphrase: &str, key: &str) -> Client {
    let c = app.client();
    let r = c
        .post_form("/sign-in", &[("email", email), ("password", passphrase)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/sign-in/code"));
    let secret = Secret::from_base32(key).unwrap();
    let code = code_at(&secret, app.clock.now().unix_timestamp());
    let r = c.post_form("/sign-in/code", &[("code", &code)]).await;
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/")),
        "{}",
        r.body
    );
    c.refresh_csrf().await;
    c
}

async fn a_generated_authority_is_realistic_valid_and_served(app: &TestApp) {
    let summary = senco::commands::generate::seed(&app.store, &OPTS, app.clock.now())
        .await
        .unwrap();
    assert_eq!(summary.schools, 3);
    let pupils = app.count("SELECT COUNT(*) FROM pupils", &[]).await;
    assert_eq!(pupils, summary.pupils as i64);
    assert!((1_800..=2_200).contains(&pupils), "{pupils} pupils");

    // About 12% on SEN support and 3% with an EHC plan.
    let support = app
        .count(
            "SELECT COUNT(*) FROM current_stages WHERE stage = 'sen_support'",
            &[],
        )
        .await;
    let ehc = app
        .count(
            "SELECT COUNT(*) FROM current_stages WHERE stage = 'ehc_plan'",
            &[],
        )
        .await;
    let share = |n: i64| n as f64 / pupils as f64;
    assert!(
        (0.10..=0.14).contains(&share(support)),
        "{support} on SEN support"
    );
    assert!((0.02..=0.04).contains(&share(ehc)), "{ehc} with EHC plans");
    let on_register = support + ehc;

    // Two or three plans each, three or four targets a plan, a review for every closed one
    // with an outcome per target; needs, concerns, provision, sessions, involvements.
    let plans = app.count("SELECT COUNT(*) FROM plans", &[]).await;
    assert!(
        plans >= 2 * on_register * 8 / 10 && plans <= 3 * on_register,
        "{plans} plans"
    );
    let bad_plans = app.count("SELECT COUNT(*) FROM (SELECT plan_id, COUNT(*) AS n FROM plan_targets GROUP BY plan_id) t \
         WHERE n < 3 OR n > 4", &[])
    .await;
    assert_eq!(bad_plans, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM plans WHERE status = 'closed'", &[])
            .await,
        app.count("SELECT COUNT(*) FROM reviews", &[]).await
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM plans", &[]).await,
        app.count("SELECT COUNT(*) FROM plan_versions", &[]).await,
        "every plan keeps its version 1"
    );
    assert!(
        app.count("SELECT COUNT(*) FROM target_outcomes", &[]).await >= 3 * (plans - on_register)
    );
    assert!(app.count("SELECT COUNT(*) FROM needs", &[]).await >= on_register);
    assert!(
        app.count(
            "SELECT COUNT(*) FROM concerns WHERE status = 'awaiting_triage'",
            &[]
        )
        .await
            > 0
    );
    assert!(app.count("SELECT COUNT(*) FROM allocations", &[]).await >= on_register);
    assert!(
        app.count("SELECT COUNT(*) FROM delivery_sessions", &[])
            .await
            > on_register
    );
    assert!(app.count("SELECT COUNT(*) FROM involvements", &[]).await >= ehc);
    assert_eq!(app.count("SELECT COUNT(*) FROM la_shares", &[]).await, ehc);

    // The derived current stage is the last entry of each pupil's history.
    let inconsistent = app.count("SELECT COUNT(*) FROM current_stages c JOIN stage_changes s ON s.id = c.stage_change_id \
         WHERE s.seq <> (SELECT MAX(seq) FROM stage_changes x WHERE x.pupil_id = c.pupil_id) \
         OR s.stage <> c.stage OR s.effective_on <> c.since OR s.school_id <> c.school_id", &[])
    .await;
    assert_eq!(inconsistent, 0);
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT pupil_id) FROM stage_changes", &[])
            .await,
        on_register
    );

    // The chain is whole, with an audit row per record made.
    let check = app.store.verify_audit().await.unwrap();
    assert_eq!(check.first_bad, None);
    assert!(check.rows > pupils);

    // Deterministic: the same seed makes the same pupils and UPNs, and these are the ones
    // written.
    let today = senco_domain::calendar::london_date(app.clock.now());
    let a = senco_synth::generate::generate(today, &OPTS);
    let b = senco_synth::generate::generate(today, &OPTS);
    let upns = |g: &senco_synth::generate::Authority| {
        let mut v: Vec<String> = g.dataset.authorities[0]
            .schools
            .iter()
            .flat_map(|s| &s.pupils)
            .filter_map(|p| p.upn.as_ref().map(|u| u.as_str().to_string()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(upns(&a), upns(&b));
    let stored: Vec<String> =
        sqlx::query("SELECT upn FROM pupils WHERE upn IS NOT NULL ORDER BY upn")
            .fetch_all(app.store.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>("upn").unwrap())
            .collect();
    let mut stored = stored;
    stored.sort();
    assert_eq!(stored, upns(&a));
    let other = GenerateOptions { seed: 10, ..OPTS };
    assert_ne!(
        upns(&senco_synth::generate::generate(today, &other)),
        upns(&a)
    );

    // A generated SENCO signs in (passphrase and code) and sees the register, a pupil page,
    // a plan and the chronology.
    let senco = summary.accounts.iter().find(|a| a.role == "senco").unwrap();
    for role in ["head", "teacher", "la_officer"] {
        assert!(summary.accounts.iter().any(|a| a.role == role), "no {role}");
    }
    let c = sign_in_with_code(
        app,
        &senco.email,
        &summary.passphrase,
        senco.totp_secret.as_deref().unwrap(),
    )
    .await;
    let r = c.get("/register").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c.get("/register?stage=ehc_plan").await;
    assert_eq!(r.status, 200);
    let school_urn = senco.school_urn.unwrap().to_string();
    let row = sqlx::query(
        "SELECT c.pupil_id AS pupil, (SELECT id FROM plans p WHERE p.pupil_id = c.pupil_id AND p.status = 'active') AS plan \
         FROM current_stages c JOIN schools s ON s.id = c.school_id WHERE s.urn = $1 ORDER BY c.pupil_id LIMIT 1",
    )
    .bind(&school_urn)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    let pupil: String = row.try_get("pupil").unwrap();
    let plan: String = row.try_get("plan").unwrap();
    let r = c.get(&format!("/pupils/{pupil}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(c.get(&format!("/plans/{plan}")).await.status, 200);
    assert_eq!(
        c.get(&format!("/pupils/{pupil}/chronology")).await.status,
        200
    );
    assert_eq!(c.get("/").await.status, 200);

    // The officer sees exactly the pupils with EHC plans (shared with the authority).
    let officer = summary
        .accounts
        .iter()
        .find(|a| a.role == "la_officer")
        .unwrap();
    let o = sign_in_with_code(
        app,
        &officer.email,
        &summary.passphrase,
        officer.totp_secret.as_deref().unwrap(),
    )
    .await;
    let r = o.get("/api/v1/pupils").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["total"].as_i64(), Some(ehc));

    // The database now holds data: generating again is refused without --force.
    let refused = senco::commands::generate::run(&app.database_url, &OPTS, false, true).await;
    assert!(refused.is_err());
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_generated_authority_is_realistic_valid_and_served() {
        if let Some(app) = crate::helpers::TestApp::spawn_empty(crate::helpers::Db::Sqlite).await {
            super::a_generated_authority_is_realistic_valid_and_served(&app).await;
            app.stop().await;
        }
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_generated_authority_is_realistic_valid_and_served() {
        if let Some(app) = crate::helpers::TestApp::spawn_empty(crate::helpers::Db::Postgres).await
        {
            super::a_generated_authority_is_realistic_valid_and_served(&app).await;
            app.stop().await;
        }
    }
}
