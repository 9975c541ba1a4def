//! Outside specialists: agencies, referrals with consent, what a specialist may see, notes,
//! report uploads (checked, cleaned, audited, shared with parents on purpose), and a
//! recommendation becoming a plan strategy.

use serde_json::json;

use crate::both;
use crate::helpers::*;

both!(
    an_educational_psychologist_is_referred_consented_and_their_report_reaches_the_chronology,
    sr_24_uploads_of_the_wrong_kind_or_size_are_refused_and_nothing_is_stored,
    sr_24_image_reports_lose_their_location_and_downloads_are_safe_attachments,
    a_recommendation_becomes_a_strategy_of_the_plan,
    sr_04_withdrawing_consent_or_closing_removes_the_specialists_access_on_the_next_request,
    staff_see_involvements_as_the_matrix_allows_and_other_schools_see_nothing,
    sr_06_teaching_assistants_see_targets_and_strategies_but_not_diagnoses,
    specialists_read_the_current_plan_but_not_closed_ones,
);

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// A multipart form body with text fields and one file.
fn multipart(fields: &[(&str, &str)], file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "senco-test-boundary-7d3f";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload_page(c: &Client, involvement: &str, title: &str, name: &str, bytes: &[u8]) -> Resp {
    let token = c.csrf();
    let (ct, body) = multipart(&[("csrf_token", &token), ("title", title)], name, bytes);
    c.send(
        c.raw()
            .post(c.url(&format!("/involvements/{involvement}/reports")))
            .header("content-type", ct)
            .body(body),
    )
    .await
}

/// An educational psychology service with specialist S as its psychologist.
async fn ep_service(c: &Client) -> String {
    let r = c
        .post_page(
            "/specialists/agencies",
            &[
                ("kind", "educational_psychology"),
                ("agency_name", "Northmoor Educational Psychology Service"),
                ("agency_email", "eps@la1.example"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let agencies = c.get("/specialists").await;
    assert!(
        agencies
            .body
            .contains("Northmoor Educational Psychology Service")
    );
    let at = agencies
        .body
        .find("id=\"agency_id\"")
        .expect("the add-a-person form");
    let agency = agencies.body[at..]
        .split("<option value=\"")
        .nth(2)
        .and_then(|s| s.split('"').next())
        .expect("the agency is offered in the add-a-person form")
        .to_string();
    let r = c
        .post_page(
            "/specialists/people",
            &[
                ("agency_id", &agency),
                ("person_name", "Dr Sam Ellis"),
                ("person_role", "Educational psychologist"),
                ("person_email", SPECIALIST_S),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = c.get("/specialists").await;
    assert!(
        page.body
            .contains("Dr Sam Ellis (Educational psychologist)")
    );
    assert!(page.body.contains("Uses Senco"), "linked to S's account");
    agency
}

async fn person_id(c: &Client, pupil: &str) -> String {
    let form = c.get(&format!("/pupils/{pupil}/involvements/new")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let at = form.body.find("id=\"person_id\"").unwrap();
    form.body[at..]
        .split("<option value=\"")
        .nth(2)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string()
}

/// Refers pupil 1 to S through the pages; returns the involvement's id.
async fn refer_p1(app: &TestApp, c: &Client, consent: bool) -> String {
    let agency = ep_service(c).await;
    let person = person_id(c, &app.fx.p1).await;
    let mut form = vec![
        ("agency_id", agency.as_str()),
        ("person_id", person.as_str()),
        ("referral_on_day", "9"),
        ("referral_on_month", "11"),
        ("referral_on_year", "2026"),
        ("reason", "Assessment of reading and working memory"),
    ];
    if consent {
        form.extend([
            ("consent_on_day", "10"),
            ("consent_on_month", "11"),
            ("consent_on_year", "2026"),
            ("consent_by", "Pat Parent (mother)"),
        ]);
    }
    let r = c
        .post_page(&format!("/pupils/{}/involvements/new", app.fx.p1), &form)
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").unwrap();
    location
        .trim_start_matches("/involvements/")
        .split('?')
        .next()
        .unwrap()
        .to_string()
}

async fn an_educational_psychologist_is_referred_consented_and_their_report_reaches_the_chronology(
    app: &TestApp,
) {
    let senco = app.signed_in(SENCO_A).await;
    let id = refer_p1(app, &senco, false).await;
    let page = senco
        .get(&format!("/involvements/{id}?flash=referral_made"))
        .await;
    assert!(page.body.contains("Referral recorded"));
    assert!(
        page.body
            .contains("Dr Sam Ellis, Northmoor Educational Psychology Service")
    );
    assert!(page.body.contains("No consent recorded"));
    // Requested, no consent: the specialist cannot see the pupil.
    let s = app.signed_in(SPECIALIST_S).await;
    assert_eq!(s.get(&format!("/pupils/{}", app.fx.p1)).await.status, 404);
    // Accepting without consent is refused; with consent it is accepted.
    let r = senco
        .patch_json(
            &format!("/api/v1/involvements/{id}"),
            &json!({"status": "accepted"}),
            None,
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["reason"], "consent_required");
    let r = senco
        .post_page(
            &format!("/involvements/{id}/status"),
            &[
                ("version", "1"),
                ("status", "accepted"),
                ("consent_on_day", "10"),
                ("consent_on_month", "11"),
                ("consent_on_year", "2026"),
                ("consent_by", "Pat Parent (mother)"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Now S sees the pupil's identity, needs and current plan, not the history.
    let pupil = s.get(&format!("/pupils/{}", app.fx.p1)).await;
    assert_eq!(pupil.status, 200);
    assert!(pupil.body.contains("Amelia Thornbury"));
    assert!(
        !pupil.body.contains("/chronology"),
        "no history for specialists"
    );
    assert!(
        !pupil.body.contains("Provision"),
        "no provision for specialists"
    );
    assert_eq!(
        s.get(&format!("/pupils/{}/chronology", app.fx.p1))
            .await
            .status,
        404
    );
    assert_eq!(
        s.get(&format!("/api/v1/pupils/{}/allocations", app.fx.p1))
            .await
            .status,
        404,
        "nor the provision, through the API"
    );
    // S sees their own involvement only (not X's request for the same pupil).
    let list = s
        .get(&format!("/api/v1/pupils/{}/involvements", app.fx.p1))
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.json()["total"], 1);
    let all = senco
        .get(&format!("/api/v1/pupils/{}/involvements", app.fx.p1))
        .await;
    assert_eq!(all.json()["total"], 2);
    // S records a visit and uploads a report.
    let r = s
        .post_json(
            &format!("/api/v1/involvements/{id}/notes"),
            &json!({"kind": "visit", "on": "2026-11-16", "body": "Observed in a phonics lesson; assessed with standardised tests"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    s.refresh_csrf().await;
    let r = upload_page(
        &s,
        &id,
        "Educational psychology assessment",
        "EP report.pdf",
        PDF,
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let shown = senco.get(&format!("/involvements/{id}")).await;
    assert!(shown.body.contains("Educational psychology assessment"));
    assert!(shown.body.contains("Not shared"));
    // The parent sees who is involved, but not the report until the SENCO shares it.
    let parent = app.signed_in(PARENT_P).await;
    let inv = parent
        .get(&format!("/api/v1/involvements/{id}"))
        .await
        .json();
    assert_eq!(inv["reports"].as_array().unwrap().len(), 0);
    let report = senco
        .get(&format!("/api/v1/involvements/{id}"))
        .await
        .json()["reports"][0]
        .clone();
    let report_id = report["id"].as_str().unwrap();
    assert_eq!(report["kind"], "pdf");
    assert_eq!(
        parent
            .get(&format!("/reports/{report_id}/download"))
            .await
            .status,
        404
    );
    let r = senco
        .post_page(&format!("/reports/{report_id}/share"), &[("shared", "yes")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let before = app.audits(Some(&app.fx.p1), "download", "allowed").await;
    let (status, bytes) = parent
        .get_bytes(&format!("/reports/{report_id}/download"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(bytes, PDF);
    let after = app.audits(Some(&app.fx.p1), "download", "allowed").await;
    assert_eq!(after - before, 1, "every download is audited");
    // The chronology shows the referral, consent, visit and report.
    let chron = senco
        .get(&format!("/pupils/{}/chronology", app.fx.p1))
        .await;
    assert!(
        chron
            .body
            .contains("Referral to Northmoor Educational Psychology Service")
    );
    assert!(chron.body.contains("Consent to the referral"));
    assert!(
        chron
            .body
            .contains("Visit: Northmoor Educational Psychology Service")
    );
    assert!(
        chron
            .body
            .contains("Report: Educational psychology assessment")
    );
    let api = senco
        .get(&format!("/api/v1/pupils/{}/chronology", app.fx.p1))
        .await
        .json();
    assert!(
        api["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "report")
    );
    let parent_chron = parent
        .get(&format!("/pupils/{}/chronology", app.fx.p1))
        .await;
    assert!(
        parent_chron
            .body
            .contains("Report: Educational psychology assessment")
    );
    assert!(
        !parent_chron.body.contains("Observed in a phonics lesson"),
        "parents do not read the notes"
    );
}

async fn sr_24_uploads_of_the_wrong_kind_or_size_are_refused_and_nothing_is_stored(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    let id = refer_p1(app, &senco, true).await;
    let count = || async {
        senco
            .get(&format!("/api/v1/involvements/{id}"))
            .await
            .json()["reports"]
            .as_array()
            .unwrap()
            .len()
    };
    let html = b"<!doctype html><script>alert(1)</script>";
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde\0\0\0\0IEND\xaeB`\x82";
    let cases: Vec<(&str, &[u8], &str)> = vec![
        ("report.pdf", html, "not_allowed"),
        ("drawing.png", svg, "not_allowed"),
        ("scan.pdf", png, "extension_mismatch"),
        ("empty.pdf", b"", "empty"),
    ];
    for (name, bytes, reason) in cases {
        let r = senco
            .send(
                senco
                    .raw()
                    .post(senco.url(&format!(
                        "/api/v1/involvements/{id}/reports?title=Report&file_name={name}"
                    )))
                    .header("content-type", "application/octet-stream")
                    .body(bytes.to_vec()),
            )
            .await;
        assert_eq!(r.status, 422, "{name}: {}", r.body);
        assert_eq!(r.json()["errors"][0]["reason"], reason, "{name}");
        // The page shows the same error and keeps the title.
        let page = upload_page(&senco, &id, "Speech and language report", name, bytes).await;
        assert_eq!(page.status, 422, "{name}");
        assert!(page.body.contains("value=\"Speech and language report\""));
    }
    // Just over the limit: refused by the check; far over: refused at the door.
    let big = [PDF, &vec![b' '; 10 * 1024 * 1024]].concat();
    let r = upload_page(&senco, &id, "Big", "big.pdf", &big).await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("smaller than 10 MB"),
        "{}",
        &r.body[..200.min(r.body.len())]
    );
    // Far over: refused at the door from its declared length, before any of it is read.
    let path = format!("/involvements/{id}/reports");
    assert_eq!(
        declared_length_status(app, &path, 12 * 1024 * 1024).await,
        413
    );
    assert_eq!(count().await, 0, "nothing was stored");
    // Other routes keep the general limit.
    assert_eq!(
        declared_length_status(app, "/api/v1/provisions", 3 * 1024 * 1024).await,
        413
    );
}

/// The status answered to a POST that declares a body of `length` bytes and sends none (a
/// length limit must refuse it from the header alone).
pub(crate) async fn declared_length_status(app: &TestApp, path: &str, length: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/octet-stream\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = vec![0u8; 64];
    let n = stream.read(&mut head).await.unwrap();
    let text = String::from_utf8_lossy(&head[..n]).to_string();
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A JPEG with an EXIF segment holding a GPS position.
fn jpeg_with_gps() -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    j.extend([0xFF, 0xE0, 0x00, 0x10]);
    j.extend(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    let exif = b"Exif\0\0GPSLatitude 53.4808 N GPSLongitude 2.2426 W";
    j.extend([0xFF, 0xE1]);
    j.extend(u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
    j.extend(exif);
    j.extend([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
    j.extend([0x12, 0x34, 0x56, 0x78]);
    j.extend([0xFF, 0xD9]);
    j
}

async fn sr_24_image_reports_lose_their_location_and_downloads_are_safe_attachments(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    let id = refer_p1(app, &senco, true).await;
    let r = upload_page(
        &senco,
        &id,
        "Photo of handwriting",
        "../../etc/hand\"writing.jpg",
        &jpeg_with_gps(),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let report = senco
        .get(&format!("/api/v1/involvements/{id}"))
        .await
        .json()["reports"][0]
        .clone();
    let name = report["file_name"].as_str().unwrap();
    assert!(
        !name.contains('/') && !name.contains('"') && !name.contains(".."),
        "{name}"
    );
    assert!(name.ends_with(".jpg"));
    let r = senco
        .get(&format!(
            "/reports/{}/download",
            report["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
    assert!(
        r.header("content-disposition")
            .unwrap()
            .starts_with("attachment; filename=\"")
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(
        r.header("content-security-policy")
            .unwrap()
            .contains("sandbox")
    );
    let (_, bytes) = senco
        .get_bytes(&format!(
            "/api/v1/reports/{}",
            report["id"].as_str().unwrap()
        ))
        .await;
    assert!(bytes.starts_with(&[0xFF, 0xD8]));
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("GPSLatitude"), "the location is gone");
    assert!(text.contains("JFIF"));
    // A zip bomb posing as a Word document is refused.
    let mut docx = Vec::new();
    let name = b"word/document.xml";
    let types = b"[Content_Types].xml";
    let mut central = Vec::new();
    for (n, offset) in [(&types[..], 0u32), (&name[..], 0u32)] {
        let local_at = u32::try_from(docx.len()).unwrap();
        docx.extend(b"PK\x03\x04\x14\0\0\0\x08\0\0\0\0\0\0\0\0\0");
        docx.extend(10u32.to_le_bytes());
        docx.extend(50_000_000u32.to_le_bytes());
        docx.extend(u16::try_from(n.len()).unwrap().to_le_bytes());
        docx.extend(0u16.to_le_bytes());
        docx.extend(n);
        docx.extend([0u8; 10]);
        central.extend(b"PK\x01\x02\x14\0\x14\0\0\0\x08\0\0\0\0\0\0\0\0\0");
        central.extend(10u32.to_le_bytes());
        central.extend(50_000_000u32.to_le_bytes());
        central.extend(u16::try_from(n.len()).unwrap().to_le_bytes());
        central.extend([0u8; 8]);
        central.extend(0u32.to_le_bytes());
        central.extend((local_at + offset).to_le_bytes());
        central.extend(n);
    }
    let cd_at = u32::try_from(docx.len()).unwrap();
    let cd_len = u32::try_from(central.len()).unwrap();
    docx.extend(&central);
    docx.extend(b"PK\x05\x06\0\0\0\0\x02\0\x02\0");
    docx.extend(cd_len.to_le_bytes());
    docx.extend(cd_at.to_le_bytes());
    docx.extend(0u16.to_le_bytes());
    let r = upload_page(&senco, &id, "Notes", "notes.docx", &docx).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("expands to too much data"), "{}", r.body);
}

async fn a_recommendation_becomes_a_strategy_of_the_plan(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    let plan = p1_with_a_plan(app, &senco).await;
    let target = plan["targets"][1]["id"].as_str().unwrap().to_string();
    let id = refer_p1(app, &senco, true).await;
    let r = senco
        .post_json(
            &format!("/api/v1/involvements/{id}/notes"),
            &json!({"kind": "recommendation", "on": "2026-11-16", "body": "Use coloured overlays when reading"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let note = r.json()["id"].as_str().unwrap().to_string();
    let page = senco.get(&format!("/involvements/{id}")).await;
    assert!(page.body.contains("Add to the plan"), "{}", page.body);
    let r = senco
        .post_page(
            &format!("/involvement-notes/{note}/strategy"),
            &[("involvement_id", &id), ("target_id", &target)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        r.header("location")
            .unwrap()
            .contains("flash=strategy_added")
    );
    let after = senco
        .get(&format!("/api/v1/plans/{}", plan["id"].as_str().unwrap()))
        .await
        .json();
    assert_eq!(
        after["targets"][1]["strategies"],
        "Phonics group\nUse coloured overlays when reading"
    );
    assert_eq!(after["version"], 2);
    let page = senco.get(&format!("/involvements/{id}")).await;
    assert!(page.body.contains("Added to the plan"));
    // A visit note cannot become a strategy.
    let r = senco
        .post_json(
            &format!("/api/v1/involvements/{id}/notes"),
            &json!({"kind": "visit", "on": "2026-11-16", "body": "Observed"}),
        )
        .await;
    let visit = r.json()["id"].as_str().unwrap().to_string();
    let r = senco
        .post_page(
            &format!("/involvement-notes/{visit}/strategy"),
            &[("involvement_id", &id), ("target_id", &target)],
        )
        .await;
    assert_eq!(r.status, 422);
}

async fn sr_04_withdrawing_consent_or_closing_removes_the_specialists_access_on_the_next_request(
    app: &TestApp,
) {
    let senco = app.signed_in(SENCO_A).await;
    let id = refer_p1(app, &senco, true).await;
    let r = senco
        .patch_json(
            &format!("/api/v1/involvements/{id}"),
            &json!({"status": "active"}),
            Some("\"v1\""),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let s = app.signed_in(SPECIALIST_S).await;
    assert_eq!(s.get(&format!("/pupils/{}", app.fx.p1)).await.status, 200);
    assert_eq!(s.get(&format!("/involvements/{id}")).await.status, 200);
    // A stale version is refused.
    let r = senco
        .patch_json(
            &format!("/api/v1/involvements/{id}"),
            &json!({"withdraw_consent": true}),
            Some("\"v1\""),
        )
        .await;
    assert_eq!(r.status, 412);
    let r = senco
        .patch_json(
            &format!("/api/v1/involvements/{id}"),
            &json!({"withdraw_consent": true}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["consent_withdrawn_on"].is_string());
    assert_eq!(s.get(&format!("/pupils/{}", app.fx.p1)).await.status, 404);
    assert_eq!(s.get(&format!("/involvements/{id}")).await.status, 404);
    // Consent again, then closing: access ends once more, and closed stays closed.
    let r = senco
        .patch_json(
            &format!("/api/v1/involvements/{id}"),
            &json!({"consent_on": "2026-11-20", "consent_by": "Pat Parent (mother)"}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(s.get(&format!("/pupils/{}", app.fx.p1)).await.status, 200);
    let r = senco
        .patch_json(
            &format!("/api/v1/involvements/{id}"),
            &json!({"status": "closed"}),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(s.get(&format!("/pupils/{}", app.fx.p1)).await.status, 404);
    let r = senco
        .patch_json(
            &format!("/api/v1/involvements/{id}"),
            &json!({"status": "active"}),
            None,
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["reason"], "closed_involvement");
}

async fn staff_see_involvements_as_the_matrix_allows_and_other_schools_see_nothing(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    let id = refer_p1(app, &senco, true).await;
    let r = upload_page(&senco, &id, "Assessment", "assessment.pdf", PDF).await;
    assert_eq!(r.status, 303);
    let report = senco
        .get(&format!("/api/v1/involvements/{id}"))
        .await
        .json()["reports"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Teachers see who is involved, not the reports; teaching assistants neither.
    let teacher = app.signed_in(TEACHER_A).await;
    let page = teacher.get(&format!("/involvements/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("assessment.pdf"));
    assert_eq!(
        teacher
            .get(&format!("/reports/{report}/download"))
            .await
            .status,
        404
    );
    let ta = app.signed_in(TA_A).await;
    assert_eq!(ta.get(&format!("/involvements/{id}")).await.status, 404);
    assert!(
        !ta.get(&format!("/pupils/{}", app.fx.p1))
            .await
            .body
            .contains("Outside specialists")
    );
    // Only the SENCO refers, changes status, shares.
    assert_eq!(
        teacher
            .get(&format!("/pupils/{}/involvements/new", app.fx.p1))
            .await
            .status,
        404
    );
    let r = teacher
        .patch_json(
            &format!("/api/v1/involvements/{id}"),
            &json!({"status": "closed"}),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    // Another school: identical 404s, refusals audited.
    let other = app.signed_in(SENCO_B).await;
    let forbidden = other.get(&format!("/involvements/{id}")).await;
    let missing = other
        .get("/involvements/00000000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(forbidden.status, 404);
    assert_eq!(forbidden.body, missing.body);
    let forbidden = other.get(&format!("/api/v1/reports/{report}")).await;
    assert_eq!(forbidden.status, 404);
    assert_eq!(
        other
            .get("/specialists")
            .await
            .body
            .matches("Northmoor")
            .count(),
        0
    );
    assert!(app.audits(Some(&app.fx.p1), "read", "denied").await >= 2);
}

async fn sr_06_teaching_assistants_see_targets_and_strategies_but_not_diagnoses(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    let plan = p1_with_a_plan(app, &senco).await;
    let mut tx = app.store.begin().await.unwrap();
    senco_store::Store::insert_need(
        &mut tx,
        &app.fx.p1,
        &app.fx.school_a,
        &senco_store::sen::NewNeed {
            code: "ASD",
            rank: 1,
            starts_on: time::macros::date!(2026 - 10 - 01),
            recorded_by: None,
        },
        app.clock.now(),
    )
    .await
    .unwrap();
    senco_store::commit(tx).await.unwrap();
    let plan_id = plan["id"].as_str().unwrap().to_string();
    // The class teacher sees the need everywhere; the teaching assistant nowhere, but the
    // plan's targets and strategies all the same.
    for (email, sees) in [(TEACHER_A, true), (TA_A, false)] {
        let c = app.signed_in(email).await;
        let pupil = c.get(&format!("/pupils/{}", app.fx.p1)).await;
        assert_eq!(pupil.status, 200);
        assert_eq!(
            pupil.body.contains("<strong>ASD</strong>"),
            sees,
            "{email} pupil page"
        );
        assert_eq!(
            pupil.body.contains("primary need"),
            sees,
            "{email} pupil page"
        );
        let register = c.get("/register").await;
        assert_eq!(register.status, 200);
        assert_eq!(register.body.contains(">ASD<"), sees, "{email} register");
        let (_, csv) = c.get_bytes("/register.csv").await;
        let csv = String::from_utf8(csv).unwrap();
        assert_eq!(csv.contains("Primary need"), sees, "{email} CSV header");
        assert_eq!(csv.contains("ASD"), sees, "{email} CSV");
        let api = c.get("/api/v1/register").await.json();
        let item = &api["items"][0];
        assert_eq!(item["pupil_id"], app.fx.p1.as_str(), "{email}");
        for key in ["primary_need", "needs"] {
            assert_eq!(item.get(key).is_some(), sees, "{email} API key {key}");
        }
        let chron = c.get(&format!("/pupils/{}/chronology", app.fx.p1)).await;
        assert_eq!(
            chron.body.contains("Primary need: ASD"),
            sees,
            "{email} chronology"
        );
        let plan = c.get(&format!("/plans/{plan_id}")).await;
        assert_eq!(plan.status, 200, "{email} reads the plan");
        assert!(
            plan.body.contains("Flash cards 10 minutes a day"),
            "{email} sees strategies"
        );
    }
}

/// Pupil 1 on School Action with a plan of three targets, written by `senco`; the plan as JSON.
async fn p1_with_a_plan(app: &TestApp, senco: &Client) -> serde_json::Value {
    let r = senco
        .post_json(
            &format!("/api/v1/pupils/{}/stage-changes", app.fx.p1),
            &json!({"stage": "school_action", "effective_on": "2026-10-01", "reason": "Little progress", "parents_told_on": "2026-10-02", "parents_told_how": "meeting"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let plan = senco
        .post_json(
            &format!("/api/v1/pupils/{}/plans", app.fx.p1),
            &json!({
                "starts_on": "2026-11-02", "review_on": "2027-02-26", "nature": "Finds decoding hard",
                "targets": [
                    {"area": "cognition_and_learning", "target": "Read the first 100 high-frequency words", "strategies": "Flash cards 10 minutes a day", "success_criteria": "Reads 90 of 100 words correctly"},
                    {"area": "cognition_and_learning", "target": "Blend CVC words", "strategies": "Phonics group", "success_criteria": "Reads 8 out of 10 unseen CVC words"},
                    {"area": "communication_and_interaction", "target": "Take turns in a group game", "strategies": "Turn cards", "success_criteria": "Takes turns in 4 of 5 games"}
                ]
            }),
        )
        .await;
    assert_eq!(plan.status, 201, "{}", plan.body);
    plan.json()
}

async fn specialists_read_the_current_plan_but_not_closed_ones(app: &TestApp) {
    let senco = app.signed_in(SENCO_A).await;
    let plan = p1_with_a_plan(app, &senco).await;
    let plan_id = plan["id"].as_str().unwrap().to_string();
    let id = refer_p1(app, &senco, true).await;
    let r = senco
        .patch_json(
            &format!("/api/v1/involvements/{id}"),
            &json!({"status": "accepted"}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let s = app.signed_in(SPECIALIST_S).await;
    assert_eq!(s.get(&format!("/plans/{plan_id}")).await.status, 200);
    assert_eq!(s.get(&format!("/api/v1/plans/{plan_id}")).await.status, 200);
    sqlx::query("UPDATE plans SET status = 'closed' WHERE id = $1")
        .bind(&plan_id)
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(s.get(&format!("/plans/{plan_id}")).await.status, 404);
    assert_eq!(s.get(&format!("/api/v1/plans/{plan_id}")).await.status, 404);
    assert_eq!(senco.get(&format!("/plans/{plan_id}")).await.status, 200);
}
