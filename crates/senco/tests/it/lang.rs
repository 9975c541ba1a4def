//! Issue 18, point 2: the language is chosen per request (the `lang` cookie, else
//! `Accept-Language`, else English) and per recipient (a letter in the pupil's language for
//! letters). Only the English catalogue exists, so Welsh is worded in English and says so
//! (`lang="en"`); these tests follow the chosen language through the mechanism instead: the
//! footer's language switch offers the language the request did not choose.

use senco_domain::lang::Lang;

use crate::both;
use crate::helpers::*;

both!(
    the_requests_language_reaches_the_page,
    the_language_switch_sets_the_cookie_and_goes_back,
    a_letter_is_worded_in_the_pupils_letters_language,
);

/// GET `path` with extra request headers.
async fn get_with(c: &Client, path: &str, headers: &[(&str, &str)]) -> Resp {
    let mut req = c.raw().get(c.url(path));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    c.send(req).await
}

/// The footer's language switch offers the other language of the one chosen.
fn offers(page: &Resp) -> Option<Lang> {
    if page.body.contains("href=\"/language?lang=cy&#38;back=") {
        Some(Lang::Welsh)
    } else if page.body.contains("href=\"/language?lang=en&#38;back=") {
        Some(Lang::English)
    } else {
        None
    }
}

async fn the_requests_language_reaches_the_page(app: &TestApp) {
    let anyone = app.client();
    let english = get_with(&anyone, "/sign-in", &[]).await;
    assert_eq!(english.status, 200);
    assert!(english.body.contains("<html lang=\"en\""));
    assert_eq!(
        offers(&english),
        Some(Lang::Welsh),
        "English chosen by default: {}",
        &english.body[english.body.find("<footer").unwrap_or(0)..]
    );

    for headers in [
        &[("accept-language", "cy-GB, en;q=0.8")][..],
        &[("cookie", "lang=cy")][..],
        &[("cookie", "lang=cy"), ("accept-language", "en")][..],
    ] {
        let welsh = get_with(&anyone, "/sign-in", headers).await;
        assert_eq!(offers(&welsh), Some(Lang::English), "{headers:?}");
        // Honest: the words are the English catalogue's until the Welsh one exists.
        let m = senco_i18n::messages(Lang::Welsh);
        assert!(
            welsh
                .body
                .contains(&format!("<html lang=\"{}\"", m.lang.tag())),
            "{headers:?}"
        );
    }
    // The cookie comes before the browser's languages.
    let cookie_wins = get_with(
        &anyone,
        "/sign-in",
        &[("cookie", "lang=en"), ("accept-language", "cy")],
    )
    .await;
    assert_eq!(offers(&cookie_wins), Some(Lang::Welsh));

    // Signed in, the chosen language reaches the page too, and the switch comes back to
    // the page's path.
    let senco = app.signed_in(SENCO_A).await;
    let page = get_with(&senco, "/pupils", &[("cookie", "lang=cy")]).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("href=\"/language?lang=en&#38;back=%2Fpupils\"")
    );
}

async fn the_language_switch_sets_the_cookie_and_goes_back(app: &TestApp) {
    let anyone = app.client();
    let r = anyone.get("/language?lang=cy&back=/sign-in").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/sign-in"));
    let cookie = r.header("set-cookie").unwrap_or("");
    assert!(cookie.starts_with("lang=cy;"), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));

    // Only back to a path of this site, and an unknown language sets nothing.
    for back in [
        "//evil.example/",
        "https://evil.example/",
        "/%5Cevil.example",
    ] {
        let r = anyone
            .get(&format!(
                "/language?lang=en&back={}",
                back.replace('/', "%2F")
            ))
            .await;
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location"), Some("/"), "{back}");
    }
    let r = anyone.get("/language?lang=fr&back=/sign-in").await;
    assert_eq!(r.status, 303);
    assert!(r.header("set-cookie").is_none());
}

/// A letter to parents is in the pupil's language for letters, not the page's: a pupil whose
/// letters are in Welsh gets a letter from `messages(Lang::Welsh)`, which is the English
/// catalogue until the Welsh one exists (English dates, tagged English).
async fn a_letter_is_worded_in_the_pupils_letters_language(app: &TestApp) {
    sqlx::query("UPDATE pupils SET correspondence_language = 'welsh' WHERE id = $1")
        .bind(&app.fx.p1)
        .execute(app.store.pool())
        .await
        .unwrap();
    let pupil = app
        .store
        .pupil(&senco_store::pupils::Scope::Operator, &app.fx.p1)
        .await
        .unwrap();
    assert_eq!(pupil.language, Lang::Welsh);

    let c = app.signed_in(SENCO_A).await;
    let id = c
        .post_json(
            &format!("/api/v1/pupils/{}/stage-changes", app.fx.p1),
            &serde_json::json!({
                "stage": "school_action",
                "effective_on": "2026-10-01",
                "reason": "Little progress despite targeted teaching",
                "decided_with": "Class teacher",
            }),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, letter) = c
        .get_bytes(&format!("/pupils/{}/stage-changes/{id}/letter", app.fx.p1))
        .await;
    assert_eq!(status, 200);
    let m = senco_i18n::messages(Lang::Welsh);
    let text = pdf_text(&letter);
    let effective = m.long_date(time::macros::date!(2026 - 10 - 01));
    assert!(text.contains(&effective), "{text}");
    let raw = String::from_utf8_lossy(&letter);
    let tag = m.lang.tag();
    assert!(
        raw.contains(&format!("/Lang ({tag}")) || raw.contains(&format!("{tag}-GB")),
        "the letter is tagged with its words' language"
    );
}
