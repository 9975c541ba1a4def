use crate::both;
use crate::helpers::*;

both!(
    sr_26_a_senco_finds_a_pupil_by_name_and_the_read_is_audited,
    search_terms_never_appear_in_urls_and_filters_narrow_the_list,
    adding_a_pupil_with_mistakes_shows_every_error_and_keeps_what_was_typed,
    adding_a_pupil_then_changing_their_details,
    two_people_editing_the_same_pupil_never_overwrite_each_other,
    every_role_gets_a_dashboard,
    sr_29_the_senco_sees_who_has_read_a_record,
);

async fn sr_26_a_senco_finds_a_pupil_by_name_and_the_read_is_audited(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let list = c.get("/pupils").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Thornbury") && list.body.contains("Quill"));
    let found = c.post_page("/pupils", &[("q", "thornb")]).await;
    assert_eq!(found.status, 200);
    assert!(
        found
            .body
            .contains(&format!("href=\"/pupils/{}\"", app.fx.p1))
    );
    assert!(!found.body.contains("Quill"));
    let page = c.get(&format!("/pupils/{}", app.fx.p1)).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("<h1 class=\"govuk-heading-l\">Amelia Thornbury</h1>")
    );
    assert_eq!(
        page.title(),
        "Pupil record – Senco",
        "the title names no pupil"
    );
    assert!(page.body.contains("B801200005001"));
    assert!(page.body.contains("School A"), "enrolments are listed");
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let reads = app
        .wait_for_audit(Some(&app.fx.p1), "read", "allowed", 2)
        .await;
    assert!(
        reads >= 2,
        "the pupil read and the contacts read are audited: {reads}"
    );
}

async fn search_terms_never_appear_in_urls_and_filters_narrow_the_list(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let page = c.get("/pupils").await;
    assert!(
        page.body
            .contains("<form method=\"post\" action=\"/pupils\"")
    );
    let by_group = c.post_page("/pupils", &[("group", &app.fx.group_3b)]).await;
    assert!(by_group.body.contains("Thornbury") && !by_group.body.contains("Quill"));
    let by_year = c.post_page("/pupils", &[("year", "4")]).await;
    assert!(by_year.body.contains("Thornbury") && !by_year.body.contains("Quill"));
    let none = c.post_page("/pupils", &[("q", "zzzz")]).await;
    assert!(none.body.contains("No pupils match your search"));
    assert!(
        none.body.contains("value=\"zzzz\""),
        "the search box keeps the words"
    );
}

async fn adding_a_pupil_with_mistakes_shows_every_error_and_keeps_what_was_typed(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let r = c
        .post_page(
            "/pupils/new",
            &[
                ("legal_forename", "Siân"),
                ("legal_surname", ""),
                ("upn", "Q207000016049"),
                ("date_of_birth_day", "31"),
                ("date_of_birth_month", "4"),
                ("date_of_birth_year", "2020"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.title().starts_with("Error: "));
    for (href, message) in [
        ("#upn", "UPN check letter does not match"),
        ("#legal_surname", "legal last name"),
        ("#date_of_birth-day", "Date of birth must be a real date"),
        ("#sex", "Select the pupil"),
    ] {
        assert!(
            r.body.contains(&format!("href=\"{href}\"")),
            "summary links to {href}"
        );
        assert!(r.body.contains(message), "{message}");
    }
    assert!(r.body.contains("value=\"Siân\""));
    assert!(r.body.contains("value=\"Q207000016049\""));
    assert!(r.body.contains("value=\"31\""));
    assert_eq!(
        app.signed_in(SENCO_A)
            .await
            .get("/api/v1/pupils")
            .await
            .json()["total"],
        2,
        "nothing was added"
    );
}

async fn adding_a_pupil_then_changing_their_details(app: &TestApp) {
    let c = app.signed_in(SCHOOL_ADMIN_A).await;
    let r = c
        .post_page(
            "/pupils/new",
            &[
                ("legal_forename", "Owain"),
                ("legal_surname", "Glyndŵr"),
                ("upn", "Y886200118017"),
                ("sex", "M"),
                ("date_of_birth_day", "1"),
                ("date_of_birth_month", "9"),
                ("date_of_birth_year", "2018"),
                ("reg_group", &app.fx.group_3b),
                ("correspondence_language", "welsh"),
                ("eal", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").unwrap().to_string();
    assert!(location.ends_with("?flash=pupil_added"));
    let page = c.get(&location).await;
    assert!(page.body.contains("Pupil added"));
    assert!(page.body.contains("Owain Glyndŵr"));
    assert!(page.body.contains("Welsh"));
    let id = location
        .trim_start_matches("/pupils/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let edit = c.get(&format!("/pupils/{id}/edit")).await;
    assert!(edit.body.contains("value=\"Glyndŵr\""));
    let saved = c
        .post_page(
            &format!("/pupils/{id}/edit"),
            &[
                ("version", "1"),
                ("legal_forename", "Owain"),
                ("legal_surname", "Glyndŵr"),
                ("upn", "Y886200118017"),
                ("preferred_forename", "Owi"),
                ("sex", "M"),
                ("date_of_birth_day", "1"),
                ("date_of_birth_month", "9"),
                ("date_of_birth_year", "2018"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = c.get(&format!("/pupils/{id}")).await;
    assert!(page.body.contains("Owi Glyndŵr"));
    let (rows, _) = app.store.audit_for_pupil(&id, 10, 0).await.unwrap();
    let update = rows.iter().find(|r| r.event.action == "update").unwrap();
    assert_eq!(
        update.event.fields.as_deref(),
        Some("preferred_forename,reg_group_id,eal,language")
    );
}

async fn two_people_editing_the_same_pupil_never_overwrite_each_other(app: &TestApp) {
    let first = app.signed_in(SENCO_A).await;
    let second = app.signed_in(SCHOOL_ADMIN_A).await;
    let path = format!("/pupils/{}/edit", app.fx.p1);
    let base = |surname: &'static str| {
        vec![
            ("version", "1"),
            ("legal_forename", "Amelia"),
            ("legal_surname", surname),
            ("sex", "F"),
            ("date_of_birth_day", "12"),
            ("date_of_birth_month", "10"),
            ("date_of_birth_year", "2017"),
            ("upn", "B801200005001"),
        ]
    };
    assert_eq!(
        first.post_page(&path, &base("Thornbury-Ash")).await.status,
        303
    );
    let conflict = second.post_page(&path, &base("Thornberry")).await;
    assert_eq!(conflict.status, 409);
    assert!(conflict.body.contains("Someone else changed these details"));
    assert!(
        conflict.body.contains("Thornbury-Ash"),
        "the saved version is shown"
    );
    assert!(
        conflict.body.contains("value=\"Thornberry\""),
        "the typed version is kept"
    );
    assert!(
        conflict.body.contains("name=\"version\" value=\"2\""),
        "resending after review is possible"
    );
    let now = first
        .get(&format!("/api/v1/pupils/{}", app.fx.p1))
        .await
        .json();
    assert_eq!(now["legal_surname"], "Thornbury-Ash");
}

async fn every_role_gets_a_dashboard(app: &TestApp) {
    for (email, expected) in [
        (SENCO_A, "Pupils on roll"),
        (TEACHER_A, "Pupils you teach"),
        (PARENT_P, "Amelia Thornbury"),
        (PARENT_R, "No children are linked"),
        (SPECIALIST_S, "Bethan Quill"),
        (OFFICER_1, "School B"),
        (ADMIN, "Local authorities"),
    ] {
        let r = app.signed_in(email).await.get("/").await;
        assert_eq!(r.status, 200, "{email}");
        assert!(
            r.body.contains(expected),
            "{email} dashboard shows {expected}"
        );
    }
}

async fn sr_29_the_senco_sees_who_has_read_a_record(app: &TestApp) {
    let teacher = app.signed_in(TEACHER_A).await;
    assert_eq!(
        teacher.get(&format!("/pupils/{}", app.fx.p1)).await.status,
        200
    );
    app.wait_for_audit(Some(&app.fx.p1), "read", "allowed", 1)
        .await;
    let senco = app.signed_in(SENCO_A).await;
    let page = senco.get(&format!("/pupils/{}/audit", app.fx.p1)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(TEACHER_A));
}

mod users {
    use crate::helpers::*;

    crate::both!(an_administrator_adds_a_user_who_then_chooses_their_own_passphrase);

    async fn an_administrator_adds_a_user_who_then_chooses_their_own_passphrase(app: &TestApp) {
        let admin = app.signed_in(ADMIN).await;
        let form = admin.get("/admin/users/new").await;
        assert!(form.body.contains("School A (100001)"));
        let missing = admin
            .post_page(
                "/admin/users/new",
                &[
                    ("name", "New Teacher"),
                    ("email", "not-an-email"),
                    ("role", "teacher"),
                ],
            )
            .await;
        assert_eq!(missing.status, 422);
        assert!(
            missing
                .body
                .contains("Enter an email address in the correct format")
        );
        assert!(
            missing
                .body
                .contains("Select the school this person works at")
        );
        assert!(missing.body.contains("value=\"New Teacher\""));
        let created = admin
            .post_page(
                "/admin/users/new",
                &[
                    ("name", "New Teacher"),
                    ("email", "new.teacher@a.example"),
                    ("role", "teacher"),
                    ("school", "100001"),
                ],
            )
            .await;
        assert_eq!(created.status, 200, "{}", created.body);
        // A teacher reads SEN content the administrator does not: a second person approves
        // (SR-02), and nobody but the teacher ever sees a credential.
        assert!(
            created.body.contains("Account waiting for approval"),
            "{}",
            created.body
        );
        assert!(!created.body.contains("<code>"), "no passphrase is shown");
        let again = admin
            .post_page(
                "/admin/users/new",
                &[
                    ("name", "Again"),
                    ("email", "new.teacher@a.example"),
                    ("role", "teacher"),
                    ("school", "100001"),
                ],
            )
            .await;
        assert!(again.body.contains("already exists"));
        // A school administrator cannot make an administrator.
        let office = app.signed_in(SCHOOL_ADMIN_A).await;
        let r = office
            .post_page(
                "/admin/users/new",
                &[
                    ("name", "X"),
                    ("email", "x@a.example"),
                    ("role", "admin"),
                    ("school", "100001"),
                ],
            )
            .await;
        assert!(r.body.contains("Select a role"));
        // Until approved: no invitation, no sign-in.
        assert!(
            invitation_token(app, "new.teacher@a.example")
                .await
                .is_none()
        );
        let user = app
            .store
            .user_by_email("new.teacher@a.example")
            .await
            .unwrap();
        assert_eq!(user.school_id.as_deref(), Some(app.fx.school_a.as_str()));
        assert!(user.disabled);
        // The administrator who asked cannot approve it; school A's SENCO can.
        let own = admin.get("/admin/approvals").await;
        assert!(!own.body.contains("new.teacher@a.example"), "{}", own.body);
        let r = admin
            .post_page(
                &format!("/admin/approvals/accounts/{}", user.id),
                &[("action", "approve")],
            )
            .await;
        assert_eq!(r.status, 404);
        let senco = app.signed_in(SENCO_A).await;
        let list = senco.get("/admin/approvals").await;
        assert!(list.body.contains("new.teacher@a.example"), "{}", list.body);
        let r = senco
            .post_page(
                &format!("/admin/approvals/accounts/{}", user.id),
                &[("action", "approve")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        // The invitation is the only way in: the teacher chooses their own passphrase.
        let token = invitation_token(app, "new.teacher@a.example")
            .await
            .expect("an invitation once approved");
        accept_invitation(app, &token, "the new teacher's passphrase").await;
        let c = app.client();
        let r = c
            .post_form(
                "/sign-in",
                &[
                    ("email", "new.teacher@a.example"),
                    ("password", "the new teacher's passphrase"),
                ],
            )
            .await;
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location"), Some("/"));
    }
}

mod contacts {
    use crate::helpers::*;

    crate::both!(a_school_adds_a_parent_with_a_sign_in_who_then_sees_only_their_child);

    async fn a_school_adds_a_parent_with_a_sign_in_who_then_sees_only_their_child(app: &TestApp) {
        let senco = app.signed_in(SENCO_A).await;
        let path = format!("/pupils/{}/contacts/new", app.fx.p2);
        assert_eq!(senco.get(&path).await.status, 200);
        // Teachers may read contacts but not add them; another school may not either.
        assert_eq!(
            app.signed_in(TEACHER_A)
                .await
                .get(&format!("/pupils/{}/contacts/new", app.fx.p1))
                .await
                .status,
            404
        );
        assert_eq!(app.signed_in(SENCO_B).await.get(&path).await.status, 404);
        let bad = senco
            .post_page(
                &path,
                &[
                    ("name", "Gwen Quill"),
                    ("email", "gwen@"),
                    ("account", "yes"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422);
        for message in [
            "Select the person",
            "Select whether this person has parental responsibility",
            "correct format",
        ] {
            assert!(bad.body.contains(message), "{message}");
        }
        assert!(bad.body.contains("value=\"Gwen Quill\""));
        let staff = senco
            .post_page(
                &path,
                &[
                    ("name", "Gwen Quill"),
                    ("relationship", "Mother"),
                    ("parental_responsibility", "yes"),
                    ("email", TEACHER_A),
                    ("account", "yes"),
                ],
            )
            .await;
        assert!(staff.body.contains("belongs to a staff account"));
        let ok = senco
            .post_page(
                &path,
                &[
                    ("name", "Gwen Quill"),
                    ("relationship", "Mother"),
                    ("parental_responsibility", "yes"),
                    ("email", "gwen.quill@example.net"),
                    ("account", "yes"),
                ],
            )
            .await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        assert!(!ok.body.contains("<code>"), "no passphrase is shown");
        // The SENCO reads the child's record: the link needs nobody else, and the parent is
        // invited to choose a passphrase.
        let token = invitation_token(app, "gwen.quill@example.net")
            .await
            .expect("an invitation");
        let first = "gwen's first passphrase";
        accept_invitation(app, &token, first).await;
        let page = senco.get(&format!("/pupils/{}", app.fx.p2)).await;
        assert!(page.body.contains("Gwen Quill"));
        let c = app.client();
        let r = c
            .post_form(
                "/sign-in",
                &[("email", "gwen.quill@example.net"), ("password", first)],
            )
            .await;
        assert_eq!(r.header("location"), Some("/"));
        assert_eq!(c.get(&format!("/pupils/{}", app.fx.p2)).await.status, 200);
        assert_eq!(c.get(&format!("/pupils/{}", app.fx.p1)).await.status, 404);
        // A restricted contact's sign-in shows nothing.
        let restricted = senco
            .post_page(
                &format!("/pupils/{}/contacts/new", app.fx.p1),
                &[
                    ("name", "Ray Stricted"),
                    ("relationship", "Father"),
                    ("parental_responsibility", "yes"),
                    ("restricted", "yes"),
                    ("phone", "07700 900123"),
                ],
            )
            .await;
        assert_eq!(restricted.status, 303);
        let page = senco.get(&format!("/pupils/{}", app.fx.p1)).await;
        assert!(
            page.body.contains("Ray Stricted") && page.body.contains("Restricted by court order")
        );
        assert_eq!(app.audits(Some(&app.fx.p1), "create", "allowed").await, 1);
    }
}

mod approvals {
    use crate::helpers::*;
    use sqlx::Row;

    crate::both!(
        sr_02_a_school_administrator_cannot_give_sen_access_alone,
        sr_02_the_installation_administrator_cannot_make_a_senco_alone,
        sr_02_a_school_administrator_cannot_link_a_parent_alone,
    );

    async fn create(c: &Client, name: &str, email: &str, role: &str, urn: &str) -> Resp {
        c.post_page(
            "/admin/users/new",
            &[
                ("name", name),
                ("email", email),
                ("role", role),
                ("school", urn),
            ],
        )
        .await
    }

    /// Issue 16, point 2: a school administrator (no SEN content) made a SENCO account, was
    /// shown its first passphrase, signed in as it and downloaded the register with needs.
    async fn sr_02_a_school_administrator_cannot_give_sen_access_alone(app: &TestApp) {
        let office = app.signed_in(SCHOOL_ADMIN_A).await;
        let r = create(
            &office,
            "Sam Senco",
            "sam.senco@a.example",
            "senco",
            "100001",
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("Account waiting for approval"));
        assert!(!r.body.contains("<code>"), "no credential is shown");
        let user = app
            .store
            .user_by_email("sam.senco@a.example")
            .await
            .unwrap();
        assert!(user.disabled, "nothing works until approved");
        assert!(invitation_token(app, "sam.senco@a.example").await.is_none());
        // Nor can the account's passphrase be reset before approval.
        app.client()
            .post_form("/sign-in/forgot", &[("email", "sam.senco@a.example")])
            .await;
        assert!(invitation_token(app, "sam.senco@a.example").await.is_none());
        // Audited as a request, and shown to the school's SENCO and on their home page.
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log WHERE record_type = 'user' AND action = 'create' \
             AND fields = 'pending_approval' AND actor_label = $1",
        )
        .bind(SCHOOL_ADMIN_A)
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get("n");
        assert_eq!(n, 1);
        let senco = app.signed_in(SENCO_A).await;
        let home = senco.get("/").await;
        assert!(
            home.body.contains("Waiting for your approval"),
            "{}",
            home.body
        );
        // Another school's SENCO cannot approve it, nor can the one who asked.
        for who in [SENCO_B, SCHOOL_ADMIN_A, TEACHER_A] {
            let c = app.signed_in(who).await;
            let r = c
                .post_page(
                    &format!("/admin/approvals/accounts/{}", user.id),
                    &[("action", "approve")],
                )
                .await;
            assert_eq!(r.status, 404, "{who}");
        }
        assert!(app.store.user(&user.id).await.unwrap().disabled);
        let r = senco
            .post_page(
                &format!("/admin/approvals/accounts/{}", user.id),
                &[("action", "approve")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert!(!app.store.user(&user.id).await.unwrap().disabled);
        let token = invitation_token(app, "sam.senco@a.example").await.unwrap();
        accept_invitation(app, &token, "sam's own long passphrase").await;
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log WHERE record_type = 'user' AND action = 'update' \
             AND fields = 'approved' AND actor_label = $1",
        )
        .bind(SENCO_A)
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get("n");
        assert_eq!(n, 1);

        // An account without SEN access needs nobody else: invited at once.
        let r = create(
            &office,
            "Olly Office",
            "olly@a.example",
            "school_admin",
            "100001",
        )
        .await;
        assert!(
            r.body.contains("An invitation has been emailed"),
            "{}",
            r.body
        );
        assert!(invitation_token(app, "olly@a.example").await.is_some());
        // Refusing leaves the account disabled for good.
        create(&office, "Tia Teacher", "tia@a.example", "teacher", "100001").await;
        let tia = app.store.user_by_email("tia@a.example").await.unwrap();
        let r = senco
            .post_page(
                &format!("/admin/approvals/accounts/{}", tia.id),
                &[("action", "refuse")],
            )
            .await;
        assert_eq!(r.status, 303);
        assert!(app.store.user(&tia.id).await.unwrap().disabled);
        assert!(invitation_token(app, "tia@a.example").await.is_none());
    }

    /// The installation administrator (never SEN content) made a SENCO at another school
    /// and signed in as it.
    async fn sr_02_the_installation_administrator_cannot_make_a_senco_alone(app: &TestApp) {
        let admin = app.signed_in(ADMIN).await;
        let r = create(&admin, "Bea Senco", "bea@b.example", "senco", "100002").await;
        assert!(
            r.body.contains("Account waiting for approval"),
            "{}",
            r.body
        );
        let bea = app.store.user_by_email("bea@b.example").await.unwrap();
        let r = admin
            .post_page(
                &format!("/admin/approvals/accounts/{}", bea.id),
                &[("action", "approve")],
            )
            .await;
        assert_eq!(r.status, 404, "not their own request");
        // School A's SENCO is not school B's.
        let r = app
            .signed_in(SENCO_A)
            .await
            .post_page(
                &format!("/admin/approvals/accounts/{}", bea.id),
                &[("action", "approve")],
            )
            .await;
        assert_eq!(r.status, 404);
        let r = app
            .signed_in(SENCO_B)
            .await
            .post_page(
                &format!("/admin/approvals/accounts/{}", bea.id),
                &[("action", "approve")],
            )
            .await;
        assert_eq!(r.status, 303);
        assert!(invitation_token(app, "bea@b.example").await.is_some());
        // An officer of no school waits for another administrator.
        let r = create(
            &admin,
            "Olu Officer",
            "olu@la1.example",
            "la_officer",
            "100001",
        )
        .await;
        assert!(
            r.body.contains("Account waiting for approval"),
            "{}",
            r.body
        );
        let list = admin.get("/admin/approvals").await;
        assert!(
            !list.body.contains("olu@la1.example"),
            "not shown to who asked"
        );
        assert!(
            app.store
                .user_by_email("olu@la1.example")
                .await
                .unwrap()
                .disabled
        );
    }

    /// A school administrator made a parent sign-in on a child's contacts and signed in as
    /// that parent.
    async fn sr_02_a_school_administrator_cannot_link_a_parent_alone(app: &TestApp) {
        let parent = app.signed_in(PARENT_P).await;
        let child = app.fx.p2.clone();
        assert_eq!(parent.get(&format!("/pupils/{child}")).await.status, 404);
        let office = app.signed_in(SCHOOL_ADMIN_A).await;
        let r = office
            .post_page(
                &format!("/pupils/{child}/contacts/new"),
                &[
                    ("name", "Pat Parent"),
                    ("relationship", "Mother"),
                    ("parental_responsibility", "yes"),
                    ("email", PARENT_P),
                    ("account", "yes"),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.body
                .contains("when the school’s SENCO or head teacher approves it")
        );
        assert_eq!(
            parent.get(&format!("/pupils/{child}")).await.status,
            404,
            "not linked until approved"
        );
        let (contact,): (String,) = sqlx::query_as(
            "SELECT id FROM contacts WHERE pupil_id = $1 AND pending_user_id IS NOT NULL",
        )
        .bind(&child)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        // The head teacher may approve it; the school administrator may not.
        let r = office
            .post_page(
                &format!("/admin/approvals/links/{contact}"),
                &[("action", "approve")],
            )
            .await;
        assert_eq!(r.status, 404);
        let head = app.signed_in(HEAD_A).await;
        let list = head.get("/admin/approvals").await;
        assert!(list.body.contains("Pat Parent (Mother)"), "{}", list.body);
        let r = head
            .post_page(
                &format!("/admin/approvals/links/{contact}"),
                &[("action", "approve")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(parent.get(&format!("/pupils/{child}")).await.status, 200);
        assert_eq!(app.audits(Some(&child), "update", "allowed").await, 1);
    }
}
