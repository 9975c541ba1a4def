//! The language of a request, chosen per request, never hard-wired: an explicit `lang`
//! cookie (set by the language switch, [`switch`]), else `Accept-Language`, else English.
//! Accounts hold no language yet; when they do, the signed-in person's preference goes
//! between the cookie and `Accept-Language` in [`choose`].
//!
//! The [`choose_language`] middleware decides once per request, puts the [`RequestLang`] in
//! the request's extensions (an extractor for handlers that want it) and runs the rest of
//! the request with it, so that [`words`] answers the catalogue of that language anywhere
//! in the request's task (page chrome, flash messages, form errors, the API's problems)
//! without threading it through every helper. Outside a request it is English.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::lang::Lang;
use senco_i18n::Messages;

/// The cookie the language switch sets.
pub const COOKIE: &str = "lang";

/// What the request chose, for the rest of its task.
#[derive(Debug, Clone)]
struct Chosen {
    lang: Lang,
    /// The request's path (never its query), for the language switch's way back.
    path: String,
}

tokio::task_local! {
    static REQUEST: Chosen;
}

/// The language a request chose, as an extractor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for RequestLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestLang>()
            .copied()
            .unwrap_or_else(|| RequestLang(choose(&parts.headers))))
    }
}

/// A language from its BCP 47 tag or the switch's value (`cy`, `cy-GB`, `en`, `en-GB`).
fn from_tag(tag: &str) -> Option<Lang> {
    let primary = tag.trim().split(['-', '_']).next()?;
    Lang::ALL
        .into_iter()
        .find(|l| l.tag().eq_ignore_ascii_case(primary))
}

/// The `lang` cookie's language, if set to one Senco knows.
fn cookie(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == COOKIE)
        .find_map(|(_, value)| from_tag(value))
}

/// The language of `Accept-Language` Senco knows that the client weights highest (the
/// first of equal weights), ignoring languages Senco does not have.
fn accept_language(headers: &HeaderMap) -> Option<Lang> {
    let value = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let mut best: Option<(Lang, f32)> = None;
    for item in value.split(',') {
        let mut parts = item.split(';');
        let Some(lang) = parts.next().and_then(from_tag) else {
            continue;
        };
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok());
        let Some(q) = q.filter(|q| *q > 0.0) else {
            continue;
        };
        if best.is_none_or(|(_, b)| q > b) {
            best = Some((lang, q));
        }
    }
    best.map(|(lang, _)| lang)
}

/// The language of a request: the `lang` cookie, else `Accept-Language`, else English.
pub fn choose(headers: &HeaderMap) -> Lang {
    cookie(headers)
        .or_else(|| accept_language(headers))
        .unwrap_or_default()
}

/// The middleware that chooses the request's language (see the module's documentation).
pub async fn choose_language(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let lang = choose(req.headers());
    req.extensions_mut().insert(RequestLang(lang));
    let chosen = Chosen {
        lang,
        path: req.uri().path().to_string(),
    };
    REQUEST.scope(chosen, next.run(req)).await
}

/// The language the current request chose (English outside a request).
pub fn lang() -> Lang {
    REQUEST.try_with(|c| c.lang).unwrap_or_default()
}

/// The catalogue of the current request's language.
pub fn words() -> &'static Messages {
    senco_i18n::messages(lang())
}

/// The current request's path, for the language switch's way back ("/" outside one).
pub fn path() -> String {
    REQUEST
        .try_with(|c| c.path.clone())
        .unwrap_or_else(|_| "/".to_string())
}

/// The query of the language switch: the language and the path to go back to.
#[derive(Debug, serde::Deserialize)]
pub struct Switch {
    lang: Option<String>,
    back: Option<String>,
}

/// A path of this site to go back to: absolute, not another host's (`//`, `/\`), no
/// query or fragment (the switch's link carries only the page's path).
fn same_site(back: Option<&str>) -> &str {
    match back {
        Some(b)
            if b.starts_with('/')
                && !b.starts_with("//")
                && !b.contains(['\\', '?', '#'])
                && !b.chars().any(char::is_control) =>
        {
            b
        }
        _ => "/",
    }
}

/// `GET /language?lang=cy&back=/pupils`: sets the `lang` cookie (for a year) and goes back
/// to the page. An unknown language changes nothing.
pub async fn switch(Query(q): Query<Switch>) -> Response {
    let back = same_site(q.back.as_deref()).to_string();
    match q.lang.as_deref().and_then(from_tag) {
        Some(lang) => (
            [(
                header::SET_COOKIE,
                format!(
                    "{COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=31536000",
                    lang.tag()
                ),
            )],
            Redirect::to(&back),
        )
            .into_response(),
        None => Redirect::to(&back).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(name.clone(), value.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_cookie_comes_first_then_accept_language_then_english() {
        assert_eq!(choose(&HeaderMap::new()), Lang::English);
        assert_eq!(
            choose(&headers(&[(header::ACCEPT_LANGUAGE, "cy-GB, en;q=0.5")])),
            Lang::Welsh
        );
        assert_eq!(
            choose(&headers(&[
                (header::ACCEPT_LANGUAGE, "cy"),
                (header::COOKIE, "a=b; lang=en")
            ])),
            Lang::English
        );
        assert_eq!(
            choose(&headers(&[(header::COOKIE, "__Host-senco=x; lang=cy")])),
            Lang::Welsh
        );
        // An unknown cookie value is no choice.
        assert_eq!(
            choose(&headers(&[
                (header::COOKIE, "lang=fr"),
                (header::ACCEPT_LANGUAGE, "cy")
            ])),
            Lang::Welsh
        );
    }

    #[test]
    fn accept_language_takes_the_highest_weight_senco_has() {
        let pick = |v| accept_language(&headers(&[(header::ACCEPT_LANGUAGE, v)]));
        assert_eq!(pick("fr, cy;q=0.8, en;q=0.9"), Some(Lang::English));
        assert_eq!(pick("en;q=0.2, cy;q=0.7"), Some(Lang::Welsh));
        assert_eq!(pick("cy;q=0, en-GB;q=0.1"), Some(Lang::English));
        assert_eq!(pick("fr, de"), None);
        assert_eq!(pick("*"), None);
    }

    #[test]
    fn the_switch_goes_back_only_to_a_path_of_this_site() {
        assert_eq!(same_site(Some("/pupils")), "/pupils");
        assert_eq!(same_site(Some("//evil.example")), "/");
        assert_eq!(same_site(Some("/\\evil.example")), "/");
        assert_eq!(same_site(Some("https://evil.example/")), "/");
        assert_eq!(same_site(Some("/pupils?q=name")), "/");
        assert_eq!(same_site(None), "/");
    }

    #[tokio::test]
    async fn words_are_the_chosen_languages_catalogue_inside_a_request() {
        assert_eq!(lang(), Lang::English);
        let chosen = Chosen {
            lang: Lang::Welsh,
            path: "/pupils".into(),
        };
        REQUEST
            .scope(chosen, async {
                assert_eq!(lang(), Lang::Welsh);
                assert!(std::ptr::eq(words(), senco_i18n::messages(Lang::Welsh)));
                assert_eq!(path(), "/pupils");
            })
            .await;
    }
}
