//! SR-19 and SR-25: injection payloads are stored literally, and resource limits and panics
//! fail gracefully.

use axum::routing::get;
use serde_json::json;

use crate::both;
use crate::helpers::*;

both!(
    sr_19_sql_injection_payloads_are_stored_literally,
    sr_25_oversized_deep_and_greedy_requests_are_refused_or_capped,
    sr_25_a_panic_becomes_a_generic_500_with_a_reference_and_one_log_line,
    sr_40_responses_are_hardened_and_nothing_is_listed_or_traced,
    sr_32_no_pupil_data_in_urls_or_titles_and_no_page_is_stored_or_tracked,
);

/// The SQL injection payloads of SECURITY.md §6.1, with quotes, comments and wildcards.
const SQLI: [&str; 8] = [
    "'; DROP TABLE pupils;--",
    "\" OR 1=1 --",
    "' OR '1'='1",
    "1; DELETE FROM audit_log",
    "%' UNION SELECT password_hash FROM users --",
    "$1 $2 ? :name @p1",
    "Robert'); DROP TABLE plans;--",
    "\\'; SELECT pg_sleep(5); --",
];

async fn sr_19_sql_injection_payloads_are_stored_literally(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    let pupil = &app.fx.p1;
    let r = c
        .post_json(
            &format!("/api/v1/pupils/{pupil}/stage-changes"),
            &json!({"stage": "school_action", "effective_on": "2026-10-01", "reason": SQLI[0], "parents_told_on": "2026-10-02", "parents_told_how": "meeting"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // Every string field of a plan and its targets carries a payload.
    let targets: Vec<_> = SQLI
        .chunks(2)
        .map(|p| json!({"area": "cognition_and_learning", "target": p[0], "strategies": p[1], "success_criteria": p[0]}))
        .collect();
    let body = json!({
        "starts_on": "2026-11-02", "review_on": "2027-02-26",
        "nature": SQLI[1], "help_at_home": SQLI[2], "pastoral": SQLI[3],
        "pupil_views": SQLI[4], "parent_views": SQLI[5], "consulted": SQLI[6],
        "targets": targets,
    });
    let r = c
        .post_json(&format!("/api/v1/pupils/{pupil}/plans"), &body)
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let plan = c.get(&format!("/api/v1/plans/{id}")).await.json();
    for (field, payload) in [
        ("nature", SQLI[1]),
        ("help_at_home", SQLI[2]),
        ("pastoral", SQLI[3]),
        ("pupil_views", SQLI[4]),
        ("parent_views", SQLI[5]),
        ("consulted", SQLI[6]),
    ] {
        assert_eq!(plan[field], payload, "{field} is stored as sent");
    }
    for (i, pair) in SQLI.chunks(2).enumerate() {
        assert_eq!(plan["targets"][i]["target"], pair[0]);
        assert_eq!(plan["targets"][i]["strategies"], pair[1]);
    }

    // Concerns, searches and filters: 2xx or 4xx, never 5xx; the text comes back as sent.
    for payload in SQLI {
        let r = c
            .post_json(
                &format!("/api/v1/pupils/{pupil}/concerns"),
                &json!({"areas": ["cognition_and_learning"], "details": payload, "tried": payload, "result": payload}),
            )
            .await;
        assert_eq!(r.status, 201, "{payload}: {}", r.body);
        let q: String = url_encode(payload);
        for path in [
            format!("/api/v1/pupils?q={q}"),
            format!("/api/v1/pupils?year={q}"),
            format!("/api/v1/register?need={q}"),
            format!("/api/v1/pupils?sort={q}"),
        ] {
            let r = c.get(&path).await;
            assert!(r.status < 500, "{path} answered {}", r.status);
        }
        let r = c.post_page("/pupils/search", &[("q", payload)]).await;
        assert!(r.status < 500, "search answered {}", r.status);
    }
    // The concerns hold the payloads byte for byte.
    let rows = sqlx::query("SELECT details, tried, result FROM concerns WHERE pupil_id = $1")
        .bind(pupil.as_str())
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    let mut stored: Vec<String> = Vec::new();
    for r in &rows {
        use sqlx::Row;
        let details: String = r.try_get("details").unwrap();
        assert_eq!(details, r.try_get::<String, _>("tried").unwrap());
        assert_eq!(details, r.try_get::<String, _>("result").unwrap());
        stored.push(details);
    }
    for payload in SQLI {
        assert!(stored.iter().any(|s| s == payload), "{payload} is stored");
    }
    // Nothing was dropped or deleted.
    assert_eq!(c.get("/api/v1/pupils").await.json()["total"], 2);
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn sr_25_oversized_deep_and_greedy_requests_are_refused_or_capped(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    // A 50 MB body is refused at the door, from its declared length, before it is read
    // (sent by hand so the client does not race the early answer).
    for (path, content_type) in [
        ("/api/v1/pupils", "application/json"),
        ("/pupils/search", "application/x-www-form-urlencoded"),
    ] {
        assert_eq!(
            declared_body_status(&c, path, content_type, 50 << 20).await,
            413,
            "{path}"
        );
    }
    // JSON nested 10,000 levels deep is refused before it is parsed; 32 levels still parse
    // (and then fail as the wrong shape).
    for (levels, status, title) in [
        (10_000, 400, "The request body is nested too deeply"),
        (33, 400, "The request body is nested too deeply"),
        (32, 422, "The request body has invalid fields"),
    ] {
        let body = format!(
            "{{\"legal_forename\": {}{}}}",
            "[".repeat(levels - 1),
            "]".repeat(levels - 1)
        );
        let r = c
            .send(
                c.raw()
                    .post(c.url("/api/v1/pupils"))
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
        assert_eq!(r.status, status, "{levels} levels: {}", r.body);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert_eq!(r.json()["title"], title);
    }

    // A greedy page size is capped, not obeyed.
    let r = c.get("/api/v1/pupils?per_page=1000000000").await;
    assert_eq!(r.status, 200);
    let r = c.get("/api/v1/register?per_page=1000000000").await;
    assert_eq!(r.status, 200);
    let r = c
        .get("/api/v1/pupils?per_page=99999999999999999999999")
        .await;
    assert_eq!(r.status, 422, "a number past i64 is refused by name");
}

async fn sr_25_a_panic_becomes_a_generic_500_with_a_reference_and_one_log_line(app: &TestApp) {
    // The real middleware around a handler that panics with internals in its message.
    let config = senco::startup::ServerConfig {
        database_url: String::new(),
        bind: "127.0.0.1:0".parse().unwrap(),
        web: senco_web::WebConfig::default(),
        mail: senco::mail::Delivery::Files(app.outbox.clone()),
    };
    let built =
        senco::startup::Application::build_with_store(config, app.store.clone(), app.clock.clone())
            .await
            .unwrap();
    const SECRET: &str = "SELECT secret FROM /srv/senco/src/lib.rs:42";
    let boom = || async {
        if SECRET.is_empty() {
            return "never";
        }
        panic!("{SECRET}")
    };
    let router = senco_web::routes::with_middleware(
        axum::Router::new()
            .route("/boom", get(boom))
            .route("/api/v1/boom", get(boom)),
        built.state(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    let c = Client::new(&base);
    for (path, content_type) in [
        ("/boom", "text/html; charset=utf-8"),
        ("/api/v1/boom", "application/problem+json"),
    ] {
        let r = c.get(path).await;
        assert_eq!(r.status, 500, "{path}");
        assert_eq!(r.header("content-type"), Some(content_type), "{path}");
        let reference = r.header("x-request-id").unwrap().to_string();
        assert!(
            r.body.contains(&reference),
            "{path}: the body gives the reference"
        );
        for leak in ["secret", "SELECT", ".rs", "panicked", "/srv"] {
            assert!(!r.body.contains(leak), "{path}: the body holds {leak:?}");
        }
        assert!(r.header("content-security-policy").is_some());
        assert_eq!(r.header("cache-control"), Some("no-store"));
        let log = String::from_utf8_lossy(&log_capture().lock().unwrap()).to_string();
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(&reference) && l.contains("panicked"))
            .collect();
        assert_eq!(
            lines.len(),
            1,
            "one log line names the reference: {lines:?}"
        );
    }
}

async fn sr_40_responses_are_hardened_and_nothing_is_listed_or_traced(app: &TestApp) {
    let c = app.signed_in(SENCO_A).await;
    for path in [
        "/",
        "/sign-in",
        "/api/v1/pupils",
        "/no-such-page",
        "/assets/",
    ] {
        let r = c.get(path).await;
        let hsts = r.header("strict-transport-security").unwrap_or_default();
        let max_age: u64 = hsts
            .split(';')
            .find_map(|p| p.trim().strip_prefix("max-age="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(
            max_age >= 31_536_000,
            "{path}: HSTS of a year or more: {hsts}"
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert!(r.header("server").is_none(), "{path}: no Server header");
        assert!(r.header("x-powered-by").is_none());
        assert!(
            !r.header("content-security-policy")
                .unwrap_or_default()
                .contains("unsafe-inline"),
            "{path}"
        );
    }
    // No directory listing of the static files.
    let r = c.get("/assets/").await;
    assert_eq!(r.status, 404);
    assert!(!r.body.contains("Index of"));
    // TRACE and other debugging methods are not answered.
    for method in ["TRACE", "PROPFIND", "DEBUG"] {
        let r = c
            .send(c.raw().request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                c.url("/"),
            ))
            .await;
        assert!(
            r.status == 405 || r.status == 404,
            "{method} answered {}",
            r.status
        );
    }
    // A method override header is not obeyed.
    let r = c
        .send(
            c.raw()
                .get(c.url(&format!("/api/v1/pupils/{}", app.fx.p1)))
                .header("x-http-method-override", "DELETE"),
        )
        .await;
    assert_eq!(r.status, 200);
}

/// Sends a request that declares a body of `length` bytes and sends only its first bytes;
/// answers the status line's code.
async fn declared_body_status(c: &Client, path: &str, content_type: &str, length: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = c.url("").trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n\
         Cookie: __Host-senco={}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n",
        c.cookie().unwrap_or_default()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let _ = stream.write_all(&[b'a'; 4096]).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"))
}

/// The values of `attr="..."` in an HTML page.
fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let marker = format!(" {attr}=\"");
    html.match_indices(&marker)
        .filter_map(|(i, _)| html[i + marker.len()..].split('"').next())
        .collect()
}

/// Whether `s` holds something shaped like a UPN: a letter (not I, O or S) and 12 digits.
fn holds_upn(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(12)).any(|i| {
        b[i].is_ascii_uppercase()
            && !b"IOS".contains(&b[i])
            && b[i + 1..i + 13].iter().all(u8::is_ascii_digit)
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
    })
}

async fn sr_32_no_pupil_data_in_urls_or_titles_and_no_page_is_stored_or_tracked(app: &TestApp) {
    use sqlx::Row;
    let mut names = Vec::new();
    for r in sqlx::query("SELECT legal_forename, legal_surname FROM pupils")
        .fetch_all(app.store.pool())
        .await
        .unwrap()
    {
        names.push(r.try_get::<String, _>("legal_forename").unwrap());
        names.push(r.try_get::<String, _>("legal_surname").unwrap());
    }
    assert!(!names.is_empty());
    assert!(holds_upn("/x/B801200005001") && !holds_upn("/pupils/019a2b3c-0000"));
    for account in [SENCO_A, TEACHER_A, PARENT_P] {
        let c = app.signed_in(account).await;
        let mut queue = vec![
            "/".to_string(),
            format!("/pupils/{}", app.fx.p1),
            "/register".to_string(),
        ];
        let mut seen = std::collections::BTreeSet::new();
        while let Some(path) = queue.pop() {
            if seen.len() >= 60 || !seen.insert(path.clone()) {
                continue;
            }
            let r = c.get(&path).await;
            if r.status != 200
                || !r
                    .header("content-type")
                    .unwrap_or_default()
                    .starts_with("text/html")
            {
                continue;
            }
            assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
            let title = r.title();
            for name in &names {
                assert!(
                    !title.contains(name.as_str()),
                    "{path}: the title {title:?} names a pupil"
                );
            }
            for attr in ["href", "action", "src"] {
                for url in attribute_values(&r.body, attr) {
                    assert!(!holds_upn(url), "{path}: {url} holds a UPN");
                    for name in &names {
                        assert!(!url.contains(name.as_str()), "{path}: {url} names a pupil");
                    }
                    assert!(
                        !(url.starts_with("http://")
                            || url.starts_with("https://")
                            || url.starts_with("//"))
                            || url.starts_with(&app.base)
                            || attr == "href",
                        "{path}: {attr} from another host: {url}"
                    );
                    if attr == "href"
                        && url.starts_with('/')
                        && !url.starts_with("//")
                        && !url.contains("sign-out")
                        && !url.starts_with("/assets/")
                    {
                        queue.push(url.replace("&amp;", "&"));
                    }
                }
            }
        }
        assert!(seen.len() >= 5, "{account} crawled {} pages", seen.len());
    }
}
