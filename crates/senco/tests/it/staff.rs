//! Issue 19, point 4: staff invited in bulk from a CSV file, through the pages, the API and
//! the command line. Each person is emailed an invitation through the outbox, or waits for
//! approval when their account would read SEN records its maker cannot; teachers become the
//! teachers of the groups named. A file with any bad row invites nobody and changes nothing;
//! nobody can give a role or a school they do not manage.

use senco_store::Store;
use sqlx::Row;

use crate::both;
use crate::helpers::*;
use crate::school_register::{cli, multipart, out};

both!(
    staff_are_invited_from_a_file_through_the_pages,
    the_api_and_the_command_line_invite_all_or_nothing,
    nobody_gives_a_role_or_school_they_do_not_manage,
);

/// Accounts, pending approvals, groups' teachers and emails: everything an import can change.
async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for q in [
        "SELECT email || '|' || role || '|' || COALESCE(school_id, '') || '|' || COALESCE(la_id, '') \
         || '|' || COALESCE(approval, '') AS x FROM users ORDER BY email",
        "SELECT name || '|' || COALESCE(teacher_user_id, '') AS x FROM reg_groups ORDER BY name",
        "SELECT to_address AS x FROM outbox ORDER BY to_address",
    ] {
        for r in sqlx::query(sqlx::AssertSqlSafe(q))
            .fetch_all(app.store.pool())
            .await
            .unwrap()
        {
            out.push(r.get::<String, _>("x"));
        }
    }
    out
}

/// Adds a registration group without a teacher to School A.
async fn add_group(app: &TestApp, name: &str) {
    let a = app.store.school_id_by_urn("100001").await.unwrap().unwrap();
    let mut tx = app.store.begin().await.unwrap();
    Store::insert_reg_group(&mut tx, &a, name, Some(4), None)
        .await
        .unwrap();
    senco_store::commit(tx).await.unwrap();
}

async fn account(app: &TestApp, email: &str) -> (Option<String>, Option<String>, bool) {
    let r = sqlx::query(
        "SELECT approval, requested_by, disabled_at IS NOT NULL AS disabled FROM users WHERE email = $1",
    )
    .bind(email)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    let disabled: bool = r
        .try_get::<bool, _>("disabled")
        .or_else(|_| r.try_get::<i64, _>("disabled").map(|n| n != 0))
        .unwrap();
    (r.get("approval"), r.get("requested_by"), disabled)
}

async fn group_teacher(app: &TestApp, group: &str) -> Option<String> {
    sqlx::query("SELECT u.email FROM reg_groups g JOIN users u ON u.id = g.teacher_user_id WHERE g.name = $1")
        .bind(group)
        .fetch_optional(app.store.pool())
        .await
        .unwrap()
        .map(|r| r.get("email"))
}

async fn upload(c: &Client, text: &str) -> Resp {
    let (ct, body) = multipart(&c.csrf(), text.as_bytes());
    c.send(
        c.raw()
            .post(c.url("/admin/users/import/upload"))
            .header("content-type", ct)
            .body(body),
    )
    .await
}

async fn api_import(c: &Client, text: &str, dry_run: bool) -> Resp {
    let path = if dry_run {
        "/api/v1/admin/users/import?dry_run=true"
    } else {
        "/api/v1/admin/users/import"
    };
    c.send(
        c.raw()
            .post(c.url(path))
            .header("content-type", "text/csv")
            .body(text.to_string()),
    )
    .await
}

const GOOD: &str = "Name,Email,Role,School,Groups\n\
    Tess Teacher,tess@a.example,Teacher,100001,4C\n\
    Olly Office,olly@a.example,School administrator,100001,\n\
    Lara Officer,lara@la.example,Local authority officer,886,\n";

async fn staff_are_invited_from_a_file_through_the_pages(app: &TestApp) {
    add_group(app, "4C").await;
    let admin = app.signed_in(ADMIN).await;
    let users = admin.get("/admin/users").await;
    assert!(
        users.body.contains("href=\"/admin/users/import\""),
        "{}",
        users.body
    );
    let page = admin.get("/admin/users/import").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("enctype=\"multipart/form-data\""));

    // A file with bad rows: every problem is shown and nobody can be invited.
    let before = snapshot(app).await;
    let bad = format!(
        "{GOOD}Wiz Ard,wiz@a.example,wizard,100001,\n\
         Sam Again,{SENCO_A},SENCO,100001,\n\
         Tom Teacher,tom@a.example,Teacher,100001,3B; 9Z\n"
    );
    let r = upload(&admin, &bad).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"problems\""));
    for words in [
        "Enter a role",
        "An account with this email address already exists",
        "This group already has a teacher",
        "The school has no registration group of this name",
    ] {
        assert!(r.body.contains(words), "{words}: {}", r.body);
    }
    assert!(!r.body.contains("Invite these staff"));
    // Confirming the bad file anyway changes nothing.
    let r = admin
        .post_page("/admin/users/import", &[("csv", &bad)])
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(snapshot(app).await, before);

    // A good file: the preview says who is invited and who waits, and writes nothing.
    let r = upload(&admin, GOOD).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Check the staff to invite"));
    assert!(r.body.contains("tess@a.example") && r.body.contains("Northmoor"));
    assert!(r.body.contains("Waits for approval") && r.body.contains("Invitation emailed"));
    assert!(r.body.contains("Invite these staff"));
    assert_eq!(snapshot(app).await, before, "a preview writes nothing");

    // A stale form token shows the preview again and writes nothing.
    let r = admin
        .post_form(
            "/admin/users/import",
            &[("csv", GOOD), ("csrf_token", "stale")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(snapshot(app).await, before);

    let done = admin
        .post_page("/admin/users/import", &[("csv", GOOD)])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Staff invited"), "{}", done.body);
    // The teacher reads SEN records the administrator cannot: held, no invitation yet.
    let (approval, requested_by, disabled) = account(app, "tess@a.example").await;
    assert_eq!(approval.as_deref(), Some("pending"));
    assert!(requested_by.is_some() && disabled);
    assert!(invitation_token(app, "tess@a.example").await.is_none());
    assert_eq!(
        group_teacher(app, "4C").await.as_deref(),
        Some("tess@a.example")
    );
    // The school administrator reads no SEN records: invited at once.
    assert!(invitation_token(app, "olly@a.example").await.is_some());
    let la: String = sqlx::query(
        "SELECT l.code FROM users u JOIN local_authorities l ON l.id = u.la_id WHERE u.email = $1",
    )
    .bind("lara@la.example")
    .fetch_one(app.store.pool())
    .await
    .unwrap()
    .get("code");
    assert_eq!(la, "886");
    let audited: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE record_type = 'user' AND action = 'create' \
         AND outcome = 'allowed' AND channel = 'web'",
    )
    .fetch_one(app.store.pool())
    .await
    .unwrap()
    .get("n");
    assert_eq!(audited, 3);

    // The same file again: everyone is already there, nothing changes.
    let after = snapshot(app).await;
    let again = admin
        .post_page("/admin/users/import", &[("csv", GOOD)])
        .await;
    assert_eq!(again.status, 422, "{}", again.body);
    assert_eq!(snapshot(app).await, after);

    // The school's SENCO approves the teacher, who is then invited.
    let senco = app.signed_in(SENCO_A).await;
    let approvals = senco.get("/admin/approvals").await;
    assert!(
        approvals.body.contains("tess@a.example"),
        "{}",
        approvals.body
    );
}

async fn the_api_and_the_command_line_invite_all_or_nothing(app: &TestApp) {
    add_group(app, "4C").await;
    let admin = app.signed_in(ADMIN).await;
    let before = snapshot(app).await;

    let r = api_import(&admin, GOOD, true).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let report = r.json();
    assert_eq!(report["written"], false);
    assert_eq!(report["people"].as_array().unwrap().len(), 3);
    assert_eq!(report["people"][0]["groups"][0], "4C");
    assert_eq!(report["people"][0]["pending_approval"], true);
    assert_eq!(report["people"][2]["authority"], "886");
    assert_eq!(snapshot(app).await, before, "a dry run writes nothing");

    let bad = format!("{GOOD}Pat Parent,pat@example.net,parent,,\n,x,teacher,100001,\n");
    let r = api_import(&admin, &bad, false).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let codes: Vec<String> = r.json()["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{}:{}", p["line"], p["code"]))
        .collect();
    assert_eq!(
        codes,
        [
            "5:\"role_unknown\"",
            "6:\"name_missing\"",
            "6:\"email_format\""
        ]
    );
    assert_eq!(snapshot(app).await, before);
    let r = api_import(&admin, "name,email\nA,a@b.example\n", false).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["reason"], "missing_columns");

    let r = api_import(&admin, GOOD, false).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["written"], true);
    assert!(invitation_token(app, "olly@a.example").await.is_some());

    // The command line: a dry run first, then the import; the operator has no account, so
    // a held account names no requester and any administrator may approve it.
    let file = "name,email,role,school,groups\n\
                Cai Teacher,cai@a.example,teaching_assistant,100001,\n\
                Dee Specialist,dee@la.example,specialist,,\n";
    let before = snapshot(app).await;
    let o = cli(app, &["user", "import", "--dry-run"], Some(file.as_bytes())).await;
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("cai@a.example"), "{}", out(&o));
    assert_eq!(snapshot(app).await, before);
    let o = cli(
        app,
        &["user", "import", "--public-url", "https://senco.example"],
        Some(file.as_bytes()),
    )
    .await;
    assert!(o.status.success(), "{}", out(&o));
    let (approval, requested_by, _) = account(app, "cai@a.example").await;
    assert_eq!(approval.as_deref(), Some("pending"));
    assert_eq!(requested_by, None);
    let o = cli(app, &["user", "import"], Some(file.as_bytes())).await;
    assert!(!o.status.success(), "the same people twice");
    assert!(out(&o).contains("already exists"), "{}", out(&o));
}

async fn nobody_gives_a_role_or_school_they_do_not_manage(app: &TestApp) {
    let before = snapshot(app).await;
    for email in [SENCO_A, TEACHER_A, HEAD_A, PARENT_P, SPECIALIST_S] {
        let c = app.signed_in(email).await;
        assert_eq!(c.get("/admin/users/import").await.status, 404, "{email}");
        assert_eq!(api_import(&c, GOOD, true).await.status, 404, "{email}");
    }
    // A school's administrator invites for their own school only, and school roles only.
    let office = app.signed_in(SCHOOL_ADMIN_A).await;
    let file = "name,email,role,school\n\
                Bo Teacher,bo@b.example,teacher,100002\n\
                Al Admin,al@x.example,admin,\n\
                Ty Teacher,ty@a.example,teacher,100001\n";
    let r = api_import(&office, file, false).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let codes: Vec<String> = r.json()["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes, ["school_unknown", "role_not_yours"]);
    assert_eq!(snapshot(app).await, before);
    let r = api_import(
        &office,
        "name,email,role,school\nTy Teacher,ty@a.example,teacher,100001\n",
        false,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["people"][0]["pending_approval"], true);
}
