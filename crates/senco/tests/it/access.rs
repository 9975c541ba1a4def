use senco_web::routes::{Access, route_table};

use crate::both;
use crate::helpers::*;

both!(
    sr_09_every_role_reaches_exactly_the_pupils_the_matrix_allows,
    sr_03_forbidden_and_missing_pupils_get_identical_404s_and_refusals_are_audited,
    sr_01_anonymous_requests_never_reach_a_protected_route,
    every_signed_in_page_answers_every_role_without_error,
    contacts_are_shown_only_to_school_staff_who_may_see_them,
    sr_04_closing_an_involvement_removes_a_specialists_access_on_the_next_request,
    sr_05_officers_see_only_records_shared_with_their_own_authority,
    a_corrupt_stored_role_is_an_error_not_a_default,
);

/// (account, pupil, expected status of the pupil page and of the API).
fn expectations(fx: &Fixture) -> Vec<(&'static str, &str, u16)> {
    let (p1, p2, p3, p4) = (
        fx.p1.as_str(),
        fx.p2.as_str(),
        fx.p3.as_str(),
        fx.p4.as_str(),
    );
    vec![
        (SENCO_A, p1, 200),
        (SENCO_A, p2, 200),
        (SENCO_A, p3, 404),
        (SENCO_A, p4, 404),
        (TEACHER_A, p1, 200),
        (TEACHER_A, p2, 404),
        (TEACHER_A, p3, 404),
        (TA_A, p1, 200),
        (TA_A, p2, 404),
        (TA_A, p3, 404),
        (HEAD_A, p1, 200),
        (HEAD_A, p2, 200),
        (HEAD_A, p3, 404),
        (SCHOOL_ADMIN_A, p1, 200),
        (SCHOOL_ADMIN_A, p2, 200),
        (SCHOOL_ADMIN_A, p3, 404),
        (SENCO_B, p1, 404),
        (SENCO_B, p3, 200),
        (SENCO_B, p4, 404),
        // Own child, other child, restricted parent, contact without parental responsibility.
        (PARENT_P, p1, 200),
        (PARENT_P, p2, 404),
        (PARENT_P, p3, 404),
        (PARENT_R, p2, 404),
        (PARENT_R, p1, 404),
        (PARENT_N, p1, 404),
        // Specialists: only with an accepted or active involvement and consent.
        (SPECIALIST_S, p2, 200),
        (SPECIALIST_S, p1, 404),
        (SPECIALIST_X, p1, 404),
        (SPECIALIST_X, p2, 404),
        // Officers: only records shared with their own authority.
        (OFFICER_1, p3, 200),
        (OFFICER_1, p1, 404),
        (OFFICER_1, p4, 404),
        (OFFICER_2, p3, 404),
        (OFFICER_2, p4, 404),
        // Administrators run the installation and see no pupil.
        (ADMIN, p1, 404),
        (ADMIN, p3, 404),
        (ADMIN, p4, 404),
    ]
}

async fn sr_09_every_role_reaches_exactly_the_pupils_the_matrix_allows(app: &TestApp) {
    for (email, pupil, expected) in expectations(&app.fx) {
        let c = app.signed_in(email).await;
        let page = c.get(&format!("/pupils/{pupil}")).await;
        assert_eq!(page.status, expected, "{email} page of {pupil}");
        let api = c.get(&format!("/api/v1/pupils/{pupil}")).await;
        assert_eq!(api.status, expected, "{email} API of {pupil}");
        // Lists use the same scope as single records.
        let list = c.get("/api/v1/pupils?per_page=200").await;
        assert_eq!(list.status, 200, "{email} list");
        let listed = list.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == pupil);
        assert_eq!(listed, expected == 200, "{email} list contains {pupil}");
    }
}

async fn sr_03_forbidden_and_missing_pupils_get_identical_404s_and_refusals_are_audited(
    app: &TestApp,
) {
    let c = app.signed_in(PARENT_P).await;
    let before = app.audits(Some(&app.fx.p2), "read", "denied").await;
    let forbidden = c.get(&format!("/pupils/{}", app.fx.p2)).await;
    let missing = c.get("/pupils/00000000-0000-7000-8000-000000000000").await;
    assert_eq!(forbidden.status, 404);
    assert_eq!(forbidden.body, missing.body, "page bodies differ");
    let forbidden = c.get(&format!("/api/v1/pupils/{}", app.fx.p2)).await;
    let missing = c
        .get("/api/v1/pupils/00000000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(forbidden.status, 404);
    assert_eq!(forbidden.body, missing.body, "API bodies differ");
    assert_eq!(
        forbidden.header("content-type"),
        Some("application/problem+json")
    );
    assert!(forbidden.header("x-request-id").is_some());
    assert!(
        !forbidden
            .body
            .contains(forbidden.header("x-request-id").unwrap())
    );
    let after = app.audits(Some(&app.fx.p2), "read", "denied").await;
    assert_eq!(after - before, 2, "each refusal is audited once");
}

fn sample_path(path: &str, pupil: &str) -> String {
    path.replace("{id}", pupil)
}

async fn sr_01_anonymous_requests_never_reach_a_protected_route(app: &TestApp) {
    let c = app.client();
    let routes = route_table();
    assert!(routes.len() >= 15, "the route table is suspiciously small");
    for route in routes {
        for method in route.methods {
            let url = c.url(&sample_path(route.path, &app.fx.p1));
            let req = c
                .raw()
                .request(method.parse().unwrap(), url)
                .header("content-type", "application/x-www-form-urlencoded");
            let r = c.send(req).await;
            match route.access {
                Access::Page => {
                    assert_eq!(r.status, 303, "{method} {}", route.path);
                    assert_eq!(
                        r.header("location"),
                        Some("/sign-in"),
                        "{method} {}",
                        route.path
                    );
                }
                Access::Api => assert_eq!(r.status, 401, "{method} {}", route.path),
                // Its own token (`/metrics`): absent here, so not there at all.
                Access::Token => assert!(
                    matches!(r.status, 401 | 404),
                    "{method} {}: {}",
                    route.path,
                    r.status
                ),
                Access::Public => assert!(
                    r.status < 500 && r.status != 401,
                    "{method} {}: {}",
                    route.path,
                    r.status
                ),
            }
        }
    }
}

async fn every_signed_in_page_answers_every_role_without_error(app: &TestApp) {
    for (email, role) in app.fx.accounts.clone() {
        let c = app.signed_in(email).await;
        for route in route_table() {
            if !route.methods.contains(&"GET") || route.access == Access::Public {
                continue;
            }
            let path = sample_path(route.path, &app.fx.p1);
            let r = c.get(&path).await;
            assert!(
                matches!(r.status, 200 | 404),
                "{email} ({role:?}) GET {path}: {}",
                r.status
            );
        }
        let users = c.get("/admin/users").await.status;
        let expected = if matches!(
            role,
            senco_domain::role::Role::Admin | senco_domain::role::Role::SchoolAdmin
        ) {
            200
        } else {
            404
        };
        assert_eq!(users, expected, "{email} /admin/users");
        let new_pupil = c.get("/pupils/new").await.status;
        let expected = if matches!(
            role,
            senco_domain::role::Role::Senco | senco_domain::role::Role::SchoolAdmin
        ) {
            200
        } else {
            404
        };
        assert_eq!(new_pupil, expected, "{email} /pupils/new");
        let audit = c.get(&format!("/pupils/{}/audit", app.fx.p1)).await.status;
        let expected = if email == SENCO_A { 200 } else { 404 };
        assert_eq!(audit, expected, "{email} audit trail");
    }
}

async fn contacts_are_shown_only_to_school_staff_who_may_see_them(app: &TestApp) {
    for (email, shown) in [
        (SENCO_A, true),
        (HEAD_A, true),
        (SCHOOL_ADMIN_A, true),
        (TEACHER_A, true),
        (TA_A, false),
        (PARENT_P, false),
    ] {
        let c = app.signed_in(email).await;
        let r = c.get(&format!("/pupils/{}", app.fx.p1)).await;
        assert_eq!(r.status, 200, "{email}");
        assert_eq!(
            r.body.contains("Pat Parent"),
            shown,
            "{email} sees contacts"
        );
    }
}

async fn sr_04_closing_an_involvement_removes_a_specialists_access_on_the_next_request(
    app: &TestApp,
) {
    let c = app.signed_in(SPECIALIST_S).await;
    assert_eq!(
        c.get(&format!("/api/v1/pupils/{}", app.fx.p2)).await.status,
        200
    );
    sqlx::query("UPDATE involvements SET status = 'closed' WHERE pupil_id = $1")
        .bind(&app.fx.p2)
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(
        c.get(&format!("/api/v1/pupils/{}", app.fx.p2)).await.status,
        404
    );
}

/// SR-05: an officer reaches a pupil only while the school shares the record with the
/// officer's own authority; the other authority's officer never does; lists agree.
async fn sr_05_officers_see_only_records_shared_with_their_own_authority(app: &TestApp) {
    let fx = &app.fx;
    let one = app.signed_in(OFFICER_1).await;
    let two = app.signed_in(OFFICER_2).await;
    assert_eq!(one.get(&format!("/pupils/{}", fx.p3)).await.status, 200);
    for p in [&fx.p1, &fx.p2, &fx.p4] {
        assert_eq!(one.get(&format!("/pupils/{p}")).await.status, 404, "{p}");
    }
    let listed: Vec<String> = one.get("/api/v1/pupils?per_page=200").await.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, std::slice::from_ref(&fx.p3));
    assert_eq!(two.get(&format!("/pupils/{}", fx.p3)).await.status, 404);
    let none = two.get("/api/v1/pupils?per_page=200").await.json();
    assert_eq!(none["items"].as_array().unwrap().len(), 0, "{none}");
    // The school withdraws the share: the officer's next request is refused.
    sqlx::query("UPDATE la_shares SET revoked_at = '2026-11-23T10:00:00Z' WHERE pupil_id = $1")
        .bind(fx.p3.clone())
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(one.get(&format!("/pupils/{}", fx.p3)).await.status, 404);
    assert_eq!(
        one.get(&format!("/api/v1/pupils/{}", fx.p3)).await.status,
        404
    );
    // The list reads the live shares first (migration 0015's partial index): a revoked
    // share leaves it, and its count, at once too.
    let after = one.get("/api/v1/pupils?per_page=200").await.json();
    assert_eq!(after["items"].as_array().unwrap().len(), 0, "{after}");
    assert_eq!(after["total"], 0, "{after}");
}

/// Parse at the edge (issue 18, point 3): an account's role comes back from the store as a
/// `Role`, for a signed-in user and for an account waiting for approval alike. A role
/// corrupted behind Senco's back (the CHECK dropped, as the file's or tables' owner could)
/// is `StoreError::Corrupt`, never a blank label.
async fn a_corrupt_stored_role_is_an_error_not_a_default(app: &TestApp) {
    let id = app.store.user_by_email(TEACHER_A).await.unwrap().id;
    let mut conn = app.store.pool().acquire().await.unwrap();
    let unguard = match app.store.backend() {
        senco_store::Backend::Sqlite => "PRAGMA ignore_check_constraints = ON",
        senco_store::Backend::Postgres => "ALTER TABLE users DROP CONSTRAINT users_role_check",
    };
    sqlx::raw_sql(unguard).execute(&mut *conn).await.unwrap();
    sqlx::query("UPDATE users SET role = 'role_nine', approval = 'pending', approval_school_id = school_id WHERE id = $1")
        .bind(&id)
        .execute(&mut *conn)
        .await
        .unwrap();
    if app.store.backend() == senco_store::Backend::Sqlite {
        sqlx::raw_sql("PRAGMA ignore_check_constraints = OFF")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    drop(conn);
    assert_corrupt(app.store.user(&id).await, "users", "role", "role_nine");
    let scope = senco_store::approvals::ApprovalScope::School(app.fx.school_a.clone());
    assert_corrupt(
        app.store.pending_accounts(&scope).await,
        "users",
        "role",
        "role_nine",
    );
}
