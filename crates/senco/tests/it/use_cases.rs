//! The use cases called directly, without HTTP (issue 18): `senco_app` on a temporary
//! SQLite database seeded with the fixture, as the pages, the API and the command line call
//! it. A use case needs only an `App` and an `Actor`; what the web crate adds (sessions,
//! forms, wire types) is not needed to exercise the rules, the access checks and the audit.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use senco_app::access::Actor;
use senco_app::principal::{Channel, Principal};
use senco_app::sen::{SenError, StageChangeInput};
use senco_app::{App, Clock};
use senco_domain::entry::Entry;
use senco_domain::framework::Stage;
use senco_store::Store;
use senco_store::pupils::PupilFields;
use time::macros::{date, datetime};

use crate::helpers::*;

/// A store on a fresh temporary SQLite file with the fixture, and the use cases' `App`.
async fn app() -> (App, Fixture, tokio::task::JoinHandle<()>) {
    let dir = temp_dir();
    let clock: Arc<dyn Clock> = Arc::new(TestClock(Mutex::new(datetime!(2026-11-23 10:00 UTC))));
    let store = Store::connect(&format!("sqlite://{}/senco.db", dir.display()))
        .await
        .unwrap();
    store.migrate(clock.now()).await.unwrap();
    let fx = seed_fixture(&store, clock.now()).await;
    let (audit, writer) =
        senco_app::audit::AuditSink::start(store.clone(), Duration::from_millis(5));
    let app = App {
        store,
        settings: Arc::new(senco_app::Settings::default()),
        clock,
        audit,
        pdfs: Default::default(),
    };
    (app, fx, writer)
}

async fn principal(app: &App, email: &str) -> Principal {
    Principal {
        user: app.store.user_by_email(email).await.unwrap(),
        channel: Channel::Session,
        session: None,
        mfa_pending: false,
    }
}

fn new_pupil() -> PupilFields {
    PupilFields {
        upn: None,
        former_upn: None,
        legal_forename: "Ada".into(),
        legal_surname: "Byron".into(),
        preferred_forename: None,
        preferred_surname: None,
        date_of_birth: date!(2018 - 03 - 14),
        sex: senco_domain::person::Sex::Female,
        year_override: None,
        reg_group_id: None,
        looked_after: false,
        eal: false,
        fsm: false,
        language: senco_domain::person::CorrespondenceLanguage::English,
    }
}

fn school_action(on: time::Date) -> StageChangeInput {
    StageChangeInput {
        framework: None,
        stage: Some(Stage::SchoolAction),
        effective_on: Entry::Valid(on),
        reason: "Reading has not moved in two terms despite small-group phonics".into(),
        decided_with: "Class teacher".into(),
        specialists: String::new(),
        supersedes: None,
        parents_told_on: Entry::Blank,
        parents_told_how: String::new(),
    }
}

async fn digest(app: &App) -> Vec<senco_store::backup::TableDigest> {
    let mut conn = app.store.pool().acquire().await.unwrap();
    senco_store::backup::digest_tables(&mut conn, app.store.backend(), |_| {})
        .await
        .unwrap()
        .into_iter()
        .filter(|t| !["audit_log", "audit_chain_head"].contains(&t.name.as_str()))
        .collect()
}

/// A SENCO adds a pupil and places her on School Action: the register shows her there, and
/// both changes are in the audit log with the SENCO's name on them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_senco_adds_a_pupil_and_places_her_on_school_action() {
    let (app, fx, _writer) = app().await;
    let p = principal(&app, SENCO_A).await;
    let actor = Actor {
        principal: &p,
        request_id: None,
    };
    let id = senco_app::pupils::create_pupil(
        &app,
        &actor,
        &fx.school_a,
        &new_pupil(),
        date!(2026 - 09 - 02),
    )
    .await
    .unwrap();
    let pupil = app.store.pupil(&p.scope(), &id).await.unwrap();
    senco_app::sen::record_stage_change(
        &app,
        &actor,
        &pupil,
        &school_action(date!(2026 - 11 - 20)),
    )
    .await
    .unwrap();

    let rows = senco_app::register::rows(
        &app,
        &p,
        &senco_app::register::Filters::default(),
        Some(fx.school_a.clone()),
        senco_app::register::Sort::default(),
    )
    .await
    .unwrap();
    let row = rows
        .iter()
        .find(|r| r.pupil.id == id)
        .expect("on the register");
    assert_eq!(row.current.stage, Stage::SchoolAction);

    let audit = app.store.audit_for_pupil_all(&id).await.unwrap();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|r| (r.event.record_type.as_str(), r.event.action.as_str()))
        .collect();
    assert!(actions.contains(&("pupil", "create")), "{actions:?}");
    assert!(actions.contains(&("stage_change", "create")), "{actions:?}");
    assert!(audit.iter().all(|r| r.event.actor_label == SENCO_A));
}

/// A stage change the rules refuse (no stage chosen; a date before the pupil was born)
/// answers with the problems, naming their fields, and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_stage_change_names_its_problems_and_changes_nothing() {
    let (app, fx, _writer) = app().await;
    let p = principal(&app, SENCO_A).await;
    let actor = Actor {
        principal: &p,
        request_id: None,
    };
    let pupil = app.store.pupil(&p.scope(), &fx.p1).await.unwrap();
    let before = digest(&app).await;
    let mut input = school_action(date!(2026 - 11 - 20));
    input.stage = None;
    match senco_app::sen::record_stage_change(&app, &actor, &pupil, &input).await {
        Err(SenError::Invalid(issues)) => {
            assert!(issues.iter().any(|i| i.field == "stage"), "{issues:?}")
        }
        other => panic!("expected the missing stage to be refused: {other:?}"),
    }
    assert_eq!(before, digest(&app).await);
}

/// The register of a teacher holds only the pupils they teach: pupil 2 of school A is not
/// in teacher A's groups, and a parent has no register at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_register_follows_who_is_asking() {
    let (app, fx, _writer) = app().await;
    let senco = principal(&app, SENCO_A).await;
    let senco_actor = Actor {
        principal: &senco,
        request_id: None,
    };
    for id in [&fx.p1, &fx.p2] {
        let pupil = app.store.pupil(&senco.scope(), id).await.unwrap();
        senco_app::sen::record_stage_change(
            &app,
            &senco_actor,
            &pupil,
            &school_action(date!(2026 - 11 - 20)),
        )
        .await
        .unwrap();
    }
    let read = |p: Principal| {
        let app = app.clone();
        let school = fx.school_a.clone();
        async move {
            senco_app::register::rows(
                &app,
                &p,
                &senco_app::register::Filters::default(),
                Some(school),
                senco_app::register::Sort::default(),
            )
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.pupil.id)
            .collect::<Vec<_>>()
        }
    };
    let all = read(principal(&app, SENCO_A).await).await;
    assert!(all.contains(&fx.p1) && all.contains(&fx.p2), "{all:?}");
    let taught = read(principal(&app, TEACHER_A).await).await;
    assert!(taught.contains(&fx.p1), "{taught:?}");
    assert!(!taught.contains(&fx.p2), "{taught:?}");
    assert!(!senco_app::register::register_allowed(
        &principal(&app, PARENT_P).await
    ));
}
