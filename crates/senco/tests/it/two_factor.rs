//! SR-14: staff, specialists and officers sign in with a passphrase and a code from an
//! authenticator app; a waiting session reaches nothing; a code works once; recovery codes
//! work once; parents may choose.

use senco_domain::totp::{Secret, code_at};
use senco_web::WebConfig;

use crate::helpers::{Client, Clock, Db, PARENT_P, PASSPHRASE, SENCO_A, TestApp};

async fn spawn(db: Db) -> Option<TestApp> {
    TestApp::spawn_with(db, WebConfig::default()).await
}

fn location(r: &crate::helpers::Resp) -> &str {
    r.header("location").unwrap_or("")
}

async fn sign_in(app: &TestApp, email: &str) -> (Client, String) {
    let c = app.client();
    let r = c
        .post_form("/sign-in", &[("email", email), ("password", PASSPHRASE)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    (c, location(&r).to_string())
}

fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + key.len();
    html[start..].split('"').next().unwrap().to_string()
}

fn recovery_codes(html: &str) -> Vec<String> {
    let list = html
        .split("senco-recovery-codes")
        .nth(1)
        .expect("no recovery codes")
        .split("</ul>")
        .next()
        .unwrap();
    list.split("<code>")
        .skip(1)
        .map(|s| s.split("</code>").next().unwrap().to_string())
        .collect()
}

/// Sets up two-factor sign-in on the account page: a wrong code first, then the right one.
async fn set_up(app: &TestApp, c: &Client) -> (Secret, Vec<String>) {
    let page = c.get("/account/two-factor").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let secret_text = hidden(&page.body, "secret");
    let secret = Secret::from_base32(&secret_text).expect("a Base32 key");
    let csrf = hidden(&page.body, "csrf_token");
    // A wrong code is refused with a specific message and the same key is offered again.
    let r = c
        .post_form(
            "/account/two-factor",
            &[
                ("csrf_token", &csrf),
                ("secret", &secret_text),
                ("code", "12345"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("6-digit"), "{}", r.body);
    assert_eq!(hidden(&r.body, "secret"), secret_text);
    let code = code_at(&secret, app.clock.now().unix_timestamp());
    let r = c
        .post_form(
            "/account/two-factor",
            &[
                ("csrf_token", &csrf),
                ("secret", &secret_text),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let codes = recovery_codes(&r.body);
    assert_eq!(codes.len(), 8);
    (secret, codes)
}

/// Sets up two-factor sign-in for `email` through the pages; returns the key and recovery codes.
async fn enrol(app: &TestApp, email: &str) -> (Secret, Vec<String>) {
    let (c, to) = sign_in(app, email).await;
    assert_eq!(to, "/", "no key yet: the passphrase alone opens a session");
    // Staff cannot do anything until they set it up, by page or API.
    let r = c.get("/").await;
    assert_eq!(r.status, 303);
    assert_eq!(location(&r), "/account/two-factor");
    assert_eq!(c.get("/api/v1/schools").await.status, 401);
    let (secret, codes) = set_up(app, &c).await;
    assert_eq!(
        c.get("/").await.status,
        200,
        "enrolled staff reach their pages"
    );
    (secret, codes)
}

async fn staff_need_a_code(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let (secret, codes) = enrol(&app, SENCO_A).await;

    // The passphrase alone now gives a waiting session that reaches nothing.
    let (c, to) = sign_in(&app, SENCO_A).await;
    assert_eq!(to, "/sign-in/code");
    let r = c.get("/").await;
    assert_eq!((r.status, location(&r)), (303, "/sign-in/code"));
    let r = c.get(&format!("/pupils/{}", app.fx.p1)).await;
    assert_eq!((r.status, location(&r)), (303, "/sign-in/code"));
    assert_eq!(c.get("/api/v1/schools").await.status, 401);
    assert_eq!(c.get("/sign-in/code").await.status, 200);

    // The code used to set up is spent: the same 30-second step is refused.
    let spent = code_at(&secret, app.clock.now().unix_timestamp());
    let r = c.post_form("/sign-in/code", &[("code", &spent)]).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("used already"), "{}", r.body);
    let r = c.post_form("/sign-in/code", &[("code", "000000x")]).await;
    assert_eq!(r.status, 422);

    // The next code works once, and gives a new session token.
    app.clock.advance(time::Duration::seconds(30));
    let code = code_at(&secret, app.clock.now().unix_timestamp());
    let before = c.cookie();
    let r = c.post_form("/sign-in/code", &[("code", &code)]).await;
    assert_eq!((r.status, location(&r)), (303, "/"), "{}", r.body);
    assert_ne!(
        c.cookie(),
        before,
        "the session token changes after the second step"
    );
    assert_eq!(c.get("/").await.status, 200);

    let (again, _) = sign_in(&app, SENCO_A).await;
    let r = again.post_form("/sign-in/code", &[("code", &code)]).await;
    assert_eq!(r.status, 422, "a code cannot be replayed");

    // A recovery code works once (spaces and case do not matter).
    let typed = format!(" {} ", codes[0].to_uppercase());
    let r = again.post_form("/sign-in/code", &[("code", &typed)]).await;
    assert_eq!((r.status, location(&r)), (303, "/"), "{}", r.body);
    let (third, _) = sign_in(&app, SENCO_A).await;
    let r = third
        .post_form("/sign-in/code", &[("code", &codes[0])])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("recovery code"), "{}", r.body);

    // A passphrase reset does not skip the code.
    let token = crate::auth::reset_link(&app, SENCO_A).await;
    let new = "a brand new long passphrase";
    let r = app
        .client()
        .post_form(
            "/sign-in/reset",
            &[("token", &token), ("new", new), ("confirm", new)],
        )
        .await;
    assert_eq!(r.status, 303);
    let r = app
        .client()
        .post_form("/sign-in", &[("email", SENCO_A), ("password", new)])
        .await;
    assert_eq!((r.status, location(&r)), (303, "/sign-in/code"));

    // Every attempt is in the audit log.
    app.wait_for_audit(None, "second_factor", "allowed", 2)
        .await;
    assert!(app.wait_for_audit(None, "second_factor", "failed", 4).await >= 4);
    app.stop().await;
}

async fn parents_may_choose(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let (c, to) = sign_in(&app, PARENT_P).await;
    assert_eq!(to, "/");
    assert_eq!(
        c.get("/").await.status,
        200,
        "parents are not forced to set it up"
    );
    let (secret, _) = set_up(&app, &c).await;
    let (c, to) = sign_in(&app, PARENT_P).await;
    assert_eq!(to, "/sign-in/code");
    app.clock.advance(time::Duration::seconds(30));
    let code = code_at(&secret, app.clock.now().unix_timestamp());
    let r = c.post_form("/sign-in/code", &[("code", &code)]).await;
    assert_eq!((r.status, location(&r)), (303, "/"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sr_14_staff_need_a_code_sqlite() {
    staff_need_a_code(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sr_14_staff_need_a_code_postgres() {
    staff_need_a_code(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sr_14_parents_may_choose_sqlite() {
    parents_may_choose(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sr_14_parents_may_choose_postgres() {
    parents_may_choose(Db::Postgres).await;
}

/// SR-18: replacing a key that is on needs the passphrase again; until then the old key
/// stays the one that works.
async fn replacing_the_key_needs_the_passphrase(db: Db) {
    let Some(app) = spawn(db).await else { return };
    let (c, _) = sign_in(&app, SENCO_A).await;
    let (old, _) = set_up(&app, &c).await;
    let page = c.get("/account/two-factor").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Replace my key"), "{}", page.body);
    let new_text = hidden(&page.body, "secret");
    let new = Secret::from_base32(&new_text).unwrap();
    let csrf = hidden(&page.body, "csrf_token");
    let code = code_at(&new, app.clock.now().unix_timestamp());
    for current in ["", "not my passphrase"] {
        let r = c
            .post_form(
                "/account/two-factor",
                &[
                    ("csrf_token", &csrf),
                    ("secret", &new_text),
                    ("code", &code),
                    ("current", current),
                ],
            )
            .await;
        assert_eq!(r.status, 422, "{current:?}");
        assert!(
            r.body.contains("Enter your current passphrase"),
            "{}",
            r.body
        );
        assert_eq!(hidden(&r.body, "secret"), new_text, "the new key is kept");
    }
    // The old key still signs in.
    app.clock.advance(time::Duration::seconds(30));
    let (other, to) = sign_in(&app, SENCO_A).await;
    assert_eq!(to, "/sign-in/code");
    let r = other
        .post_form(
            "/sign-in/code",
            &[("code", &code_at(&old, app.clock.now().unix_timestamp()))],
        )
        .await;
    assert_eq!((r.status, location(&r)), (303, "/"));
    // With the passphrase, the new key replaces it.
    let code = code_at(&new, app.clock.now().unix_timestamp());
    let r = c
        .post_form(
            "/account/two-factor",
            &[
                ("csrf_token", &csrf),
                ("secret", &new_text),
                ("code", &code),
                ("current", PASSPHRASE),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(recovery_codes(&r.body).len(), 8);
    app.clock.advance(time::Duration::seconds(30));
    let (third, _) = sign_in(&app, SENCO_A).await;
    let now = app.clock.now().unix_timestamp();
    let r = third
        .post_form("/sign-in/code", &[("code", &code_at(&old, now))])
        .await;
    assert_eq!(r.status, 422, "the old key no longer works");
    let r = third
        .post_form("/sign-in/code", &[("code", &code_at(&new, now))])
        .await;
    assert_eq!((r.status, location(&r)), (303, "/"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sr_18_staff_reauthenticate_before_replacing_their_key_sqlite() {
    replacing_the_key_needs_the_passphrase(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sr_18_staff_reauthenticate_before_replacing_their_key_postgres() {
    replacing_the_key_needs_the_passphrase(Db::Postgres).await;
}
