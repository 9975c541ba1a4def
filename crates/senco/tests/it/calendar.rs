//! Issue 19, point 3: calendars. The administrator keeps an authority's and a school's
//! entries through the API; a school's own terms and INSET days change its deadlines; a
//! calendar file (CSV or iCalendar) is imported all or nothing, a bad one refused whole with
//! nothing changed; the bank holidays are replaced from a file in gov.uk's format.

use senco_domain::calendar::Deadline;
use serde_json::json;
use sqlx::Row;
use time::macros::date;

use crate::both;
use crate::helpers::*;
use crate::helpers::{cli_file as cli, cli_output as out};

both!(
    the_api_keeps_an_authoritys_calendar_and_refuses_others,
    a_schools_own_entries_change_its_deadlines,
    a_bad_csv_is_refused_whole_and_a_good_one_imported,
    an_icalendar_file_is_imported_for_a_school,
    the_bank_holidays_are_replaced_from_a_published_file,
);

/// The calendar entries, as text.
async fn entries(app: &TestApp) -> Vec<String> {
    sqlx::query(
        "SELECT COALESCE(school_id, '') AS school_id, kind, name, starts_on, ends_on \
         FROM calendar_entries ORDER BY starts_on, kind, name",
    )
    .fetch_all(app.store.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| {
        let col = |c: &str| r.get::<String, _>(c);
        format!(
            "{}|{}|{}|{}|{}",
            col("school_id"),
            col("kind"),
            col("name"),
            col("starts_on"),
            col("ends_on")
        )
    })
    .collect()
}

async fn authority_id(app: &TestApp) -> String {
    app.store
        .authority_by_code("886")
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn deadline(app: &TestApp, from: time::Date, n: u32) -> Deadline {
    let school = app.store.school(&app.fx.school_a).await.unwrap();
    senco_app::calendars::school_calendar(&app.store, &school)
        .await
        .unwrap()
        .add_school_days(from, n)
}

async fn the_api_keeps_an_authoritys_calendar_and_refuses_others(app: &TestApp) {
    let admin = app.signed_in(ADMIN).await;
    let la = authority_id(app).await;
    let path = format!("/api/v1/admin/authorities/{la}/calendar");
    let before = entries(app).await;

    // Every problem by field, and nothing written.
    let r = admin
        .post_json(
            &path,
            &json!({"kind": "holiday", "name": " ", "start": "2027-01-05", "end": "2027-01-04"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let fields: Vec<String> = r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["kind", "name", "end"], "{}", r.body);
    assert!(r.body.contains("Select the kind of entry"), "{}", r.body);
    assert_eq!(entries(app).await, before);

    let r = admin
        .post_json(
            &path,
            &json!({"kind": "term", "name": "Spring 1", "start": "2027-01-05", "end": "2027-02-12"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let list = admin.get(&path).await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Spring 1"), "{}", list.body);

    let r = admin
        .patch_json(
            &format!("/api/v1/admin/calendar/{id}"),
            &json!({"kind": "term", "name": "Spring term 1", "start": "2027-01-04", "end": "2027-02-12"}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["start"], "2027-01-04");

    // Others are answered "not found", and the refusal is audited.
    for email in [SENCO_A, OFFICER_1, SCHOOL_ADMIN_A] {
        let c = app.signed_in(email).await;
        assert_eq!(c.get(&path).await.status, 404, "{email}");
        let r = c
            .send(
                c.raw()
                    .delete(c.url(&format!("/api/v1/admin/calendar/{id}"))),
            )
            .await;
        assert_eq!(r.status, 404, "{email}");
    }
    let denied: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE record_type = 'calendar_entry' AND outcome = 'denied'",
    )
    .fetch_one(app.store.pool())
    .await
    .unwrap()
    .get("n");
    assert!(denied >= 6, "{denied}");

    let r = admin
        .send(
            admin
                .raw()
                .delete(admin.url(&format!("/api/v1/admin/calendar/{id}"))),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(entries(app).await, before);
    assert_eq!(
        admin
            .get(&format!("/api/v1/admin/calendar/{id}"))
            .await
            .status,
        404
    );
}

async fn a_schools_own_entries_change_its_deadlines(app: &TestApp) {
    // The authority's term ends on 23 October 2026: five school days from Tuesday 20
    // October run past it, so the deadline is estimated.
    let from = date!(2026 - 10 - 20);
    let d = deadline(app, from, 5).await;
    assert_eq!(d.date, date!(2026 - 10 - 27));
    assert!(d.estimated);

    let admin = app.signed_in(ADMIN).await;
    let school = format!("/api/v1/admin/schools/{}/calendar", app.fx.school_a);
    for body in [
        json!({"kind": "term", "name": "Autumn", "start": "2026-09-02", "end": "2026-12-18"}),
        json!({"kind": "inset", "name": "Training day", "start": "2026-10-26", "end": "2026-10-26"}),
    ] {
        let r = admin.post_json(&school, &body).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    // The school's own term replaces the authority's and its INSET day is not a school day.
    let d = deadline(app, from, 5).await;
    assert_eq!(d.date, date!(2026 - 10 - 28));
    assert!(!d.estimated);
    // School B keeps the authority's calendar.
    let b = app.store.school(&app.fx.school_b).await.unwrap();
    let cal = senco_app::calendars::school_calendar(&app.store, &b)
        .await
        .unwrap();
    assert!(cal.add_school_days(from, 5).estimated);
    let list = admin.get(&school).await;
    assert_eq!(list.json()["items"].as_array().unwrap().len(), 2);
}

async fn a_bad_csv_is_refused_whole_and_a_good_one_imported(app: &TestApp) {
    let before = entries(app).await;
    let bad = b"kind,name,start,end\nterm,Spring 1,2027-01-05,2027-02-12\nholiday,Half term,2027-02-15,2027-02-19\ninset,Training,2027-02-30,\n";
    let o = cli(
        app,
        &["calendar", "import", "--authority", "886"],
        Some(("bad.csv", bad)),
    )
    .await;
    assert!(!o.status.success(), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains("Line 3, kind: Select the kind of entry"),
        "{text}"
    );
    assert!(
        text.contains("Line 4, start: The date must be a real date"),
        "{text}"
    );
    assert!(text.contains("Line 4, end: Enter the date"), "{text}");
    assert_eq!(entries(app).await, before, "nothing was written");

    let good = b"kind,name,start,end\nterm,Spring 1,2027-01-05,2027-02-12\ninset,Training,04/01/2027,04/01/2027\n";
    let o = cli(
        app,
        &["calendar", "import", "--authority", "886", "--dry-run"],
        Some(("good.csv", good)),
    )
    .await;
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("Line 2: Term \"Spring 1\" from 2027-01-05 to 2027-02-12"),
        "{}",
        out(&o)
    );
    assert!(out(&o).contains("Dry run"), "{}", out(&o));
    assert_eq!(entries(app).await, before, "a dry run writes nothing");

    let o = cli(
        app,
        &["calendar", "import", "--authority", "886"],
        Some(("good.csv", good)),
    )
    .await;
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("2 entries added"), "{}", out(&o));
    let after = entries(app).await;
    assert_eq!(after.len(), before.len() + 2);
    assert!(
        after.contains(&"|inset|Training|2027-01-04|2027-01-04".to_string()),
        "{after:?}"
    );
}

async fn an_icalendar_file_is_imported_for_a_school(app: &TestApp) {
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Fenshire//Terms//EN\r\nBEGIN:VEVENT\r\nUID:a1\r\nSUMMARY:Spring term 1\r\nCATEGORIES:TERM\r\nDTSTART;VALUE=DATE:20270105\r\nDTEND;VALUE=DATE:20270213\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:a2\r\nSUMMARY:Polling day\r\nCATEGORIES:CLOSURE\r\nDTSTART;VALUE=DATE:20270506\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let o = cli(
        app,
        &["calendar", "import", "--school", "100001"],
        Some(("terms.ics", ics.as_bytes())),
    )
    .await;
    assert!(o.status.success(), "{}", out(&o));
    let after = entries(app).await;
    let a = &app.fx.school_a;
    assert!(
        after.contains(&format!("{a}|term|Spring term 1|2027-01-05|2027-02-12")),
        "{after:?}"
    );
    assert!(
        after.contains(&format!("{a}|closure|Polling day|2027-05-06|2027-05-06")),
        "{after:?}"
    );
    let o = cli(
        app,
        &["calendar", "import", "--school", "999999"],
        Some(("terms.ics", ics.as_bytes())),
    )
    .await;
    assert!(!o.status.success());
}

async fn the_bank_holidays_are_replaced_from_a_published_file(app: &TestApp) {
    // The shipped list: Monday 28 December 2026 is the Boxing Day substitute.
    let admin = app.signed_in(ADMIN).await;
    let r = admin.get("/api/v1/admin/bank-holidays").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("2026-12-28"), "{}", r.body);
    assert_eq!(
        app.signed_in(SENCO_A)
            .await
            .get("/api/v1/admin/bank-holidays")
            .await
            .status,
        404
    );
    let from = date!(2026 - 09 - 02);
    assert_eq!(deadline(app, from, 5).await.date, date!(2026 - 09 - 09));

    // A refused file changes nothing.
    let bad = br#"{"england-and-wales":{"events":[{"title":"x","date":"2026-09-31"}]}}"#;
    let o = cli(app, &["calendar", "bank-holidays"], Some(("bad.json", bad))).await;
    assert!(!o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("2026-09-31"), "{}", out(&o));
    assert!(app.store.bank_holidays().await.unwrap().is_none());

    // A new published list: an extra holiday on Thursday 3 September 2026.
    let file = br#"{
      "england-and-wales": {"division": "england-and-wales", "events": [
        {"title": "Summer bank holiday", "date": "2026-08-31", "notes": "", "bunting": true},
        {"title": "A new holiday", "date": "2026-09-03", "notes": "", "bunting": true}]},
      "scotland": {"division": "scotland", "events": [
        {"title": "St Andrew\u2019s Day", "date": "2026-11-30", "notes": "", "bunting": true}]}
    }"#;
    let o = cli(
        app,
        &["calendar", "bank-holidays", "--dry-run"],
        Some(("bank-holidays.json", file)),
    )
    .await;
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("england-and-wales: 2 bank holidays, 2026 to 2026"),
        "{}",
        out(&o)
    );
    assert!(app.store.bank_holidays().await.unwrap().is_none());
    let o = cli(
        app,
        &["calendar", "bank-holidays"],
        Some(("bank-holidays.json", file)),
    )
    .await;
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(deadline(app, from, 5).await.date, date!(2026 - 09 - 10));
    let r = admin.get("/api/v1/admin/bank-holidays").await;
    assert!(r.body.contains("A new holiday"), "{}", r.body);
}
