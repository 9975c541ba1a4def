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
        let start = created.body.find("<code>").unwrap() + 6;
        let end = created.body[start..].find("</code>").unwrap() + start;
        let first = created.body[start..end].to_string();
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
        // The new teacher must choose a passphrase first, and an invitation was written.
        let c = app.client();
        let r = c
            .post_form(
                "/sign-in",
                &[("email", "new.teacher@a.example"), ("password", &first)],
            )
            .await;
        assert_eq!(r.header("location"), Some("/account/passphrase"));
        let user = app
            .store
            .user_by_email("new.teacher@a.example")
            .await
            .unwrap();
        assert_eq!(user.school_id.as_deref(), Some(app.fx.school_a.as_str()));
        for _ in 0..300 {
            if std::fs::read_dir(&app.outbox)
                .map(|d| d.count() > 0)
                .unwrap_or(false)
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let mail: Vec<_> = std::fs::read_dir(&app.outbox).unwrap().collect();
        assert_eq!(mail.len(), 1);
        let text = std::fs::read_to_string(mail[0].as_ref().unwrap().path()).unwrap();
        assert!(text.contains("To: new.teacher@a.example"));
        assert!(!text.contains(&first), "the passphrase is never emailed");
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
        let start = ok.body.find("<code>").unwrap() + 6;
        let first = ok.body[start..start + ok.body[start..].find("</code>").unwrap()].to_string();
        let page = senco.get(&format!("/pupils/{}", app.fx.p2)).await;
        assert!(page.body.contains("Gwen Quill"));
        let c = app.client();
        let r = c
            .post_form(
                "/sign-in",
                &[("email", "gwen.quill@example.net"), ("password", &first)],
            )
            .await;
        assert_eq!(r.header("location"), Some("/account/passphrase"));
        let form = c.get("/account/passphrase").await;
        let token = find_csrf(&form.body).unwrap();
        let changed = c
            .post_form(
                "/account/passphrase",
                &[
                    ("csrf_token", &token),
                    ("current", &first),
                    ("new", "gwen's own passphrase"),
                    ("confirm", "gwen's own passphrase"),
                ],
            )
            .await;
        assert_eq!(changed.status, 303);
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
        assert_eq!(
            app.store
                .audit_count(Some(&app.fx.p1), "create", "allowed")
                .await
                .unwrap(),
            1
        );
    }
}
