//! Who is asking: passphrases, sessions, API tokens, sign-in throttling and CSRF tokens.
//!
//! Sessions live in the database (several app instances can share them) under the SHA-256
//! hash of a 256-bit random token carried in a `__Host-` cookie. API tokens work the same
//! way with an `Authorization: Bearer` header.

use std::net::{IpAddr, SocketAddr};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use senco_domain::person::Passphrase;
use senco_store::Store;
use senco_store::pupils::Scope;
use senco_store::tenancy::{self, Tenant};
use senco_store::users::User;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::api::ApiError;

/// The session cookie's name. The `__Host-` prefix makes browsers insist on Secure, Path=/
/// and no Domain, so no other site or subdomain can set or read it.
pub const SESSION_COOKIE: &str = "__Host-senco";

/// Hashes a passphrase with Argon2id (default parameters: 19 MiB, 2 passes, 1 lane).
///
/// This blocks for tens of milliseconds: request handlers call [`hash_passphrase_off_thread`]
/// instead, and only the command line calls this directly.
pub fn hash_passphrase(p: &Passphrase) -> anyhow::Result<String> {
    let hash = Argon2::default()
        .hash_password(p.expose().as_bytes())
        .map_err(|e| anyhow::anyhow!("hashing the passphrase failed: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `candidate` matches the stored PHC string, exactly as typed (blocking).
fn verify_passphrase(stored: &str, candidate: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Verifies against a real hash made with the same parameters, for accounts that have no
/// passphrase or do not exist, so those take as long as a wrong passphrase (blocking).
fn dummy_verify(candidate: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored = DUMMY.get_or_init(|| {
        Argon2::default()
            .hash_password(b"senco timing equaliser")
            .map(|h| h.to_string())
            .unwrap_or_default()
    });
    let _ = verify_passphrase(stored, candidate);
}

/// How many Argon2 computations may run at once: one per core. More would only make each
/// one slower, and the async worker threads must stay free to answer other requests.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| tokio::sync::Semaphore::new(hashing_width()))
}

/// The number of Argon2 computations allowed at once (the number of cores, at least 1).
pub fn hashing_width() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Runs CPU-heavy work (Argon2) on tokio's blocking pool, at most [`hashing_width`] at a
/// time; callers beyond that wait without holding a worker thread.
pub async fn off_thread<T, F>(work: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    // The semaphore is never closed, so acquiring only waits.
    let _permit = hashing_permits().acquire().await;
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        // A panic in the work surfaces in the request, where the router's middleware
        // answers with the generic error page.
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Hashes a passphrase off the async worker threads (see [`off_thread`]).
pub async fn hash_passphrase_off_thread(p: &Passphrase) -> anyhow::Result<String> {
    let p = p.clone();
    off_thread(move || hash_passphrase(&p)).await
}

/// Whether `candidate` is the passphrase behind `stored`, checked off the async worker
/// threads. Without a stored hash (an unknown account, or one without a passphrase) the
/// same Argon2 work is done against a dummy hash and the answer is `false`, so the two
/// cannot be told apart by time. Call it only for an attempt already counted
/// ([`claim_attempt`]).
pub async fn check_passphrase(stored: Option<String>, candidate: &str) -> bool {
    let candidate = candidate.to_string();
    off_thread(move || match stored {
        Some(hash) => verify_passphrase(&hash, &candidate),
        None => {
            dummy_verify(&candidate);
            false
        }
    })
    .await
}

/// Counts a passphrase or code attempt before it is checked (SR-13, SR-14): `Some(id)` when
/// it is within the limits for `account_key` and for the client's address (mark it with
/// `Store::attempt_succeeded` when it proves right), `None` when it must be refused
/// unchecked. Concurrent attempts are counted one at a time, so a burst never gets more
/// checks than the limit.
pub async fn claim_attempt(
    state: &AppState,
    account_key: &str,
    address: &str,
) -> senco_store::Result<Option<String>> {
    let now = state.now();
    let window = time::Duration::try_from(state.config.throttle_window)
        .unwrap_or(time::Duration::minutes(5));
    state
        .store
        .claim_attempt(
            account_key,
            address,
            now - window,
            now,
            state.config.account_attempts,
            state.config.address_attempts,
        )
        .await
}

/// A new 256-bit random secret, as 64 hex characters.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // getrandom only fails when the operating system has no randomness at all.
    if getrandom::fill(&mut bytes).is_err() {
        std::process::abort();
    }
    hex(&bytes)
}

/// The SHA-256 of a secret, as stored in the database.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// How the person reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Session,
    Token,
}

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub channel: Channel,
    /// The session's token hash and CSRF token, for sessions.
    pub session: Option<(String, String)>,
    /// The passphrase was right but the two-factor code is still to come.
    pub mfa_pending: bool,
}

impl Principal {
    /// Whether this person must set up two-factor sign-in before doing anything else.
    pub fn must_enrol(&self, config: &crate::WebConfig) -> bool {
        config.require_two_factor && self.user.role.is_staff() && !self.user.two_factor
    }

    /// The store scope for this person's pupil queries.
    pub fn scope(&self) -> Scope {
        Scope::User {
            user_id: self.user.id.clone(),
            role: self.user.role,
            school_id: self.user.school_id.clone(),
            la_id: self.user.la_id.clone(),
        }
    }

    /// The CSRF token for forms (empty for token callers, who need none).
    pub fn csrf_token(&self) -> &str {
        self.session.as_ref().map(|(_, c)| c.as_str()).unwrap_or("")
    }

    /// Whether a submitted form token matches this session's.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        match &self.session {
            Some((_, expected)) => constant_time_eq(expected.as_bytes(), submitted.as_bytes()),
            None => false,
        }
    }
}

/// Compares two secrets in time that depends only on their length.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads the session cookie's value.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

/// The `Set-Cookie` value that starts a session.
pub fn set_session_cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Lax")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// Whether a session has passed its idle or absolute timeout.
pub fn session_expired(state: &AppState, record: &senco_store::users::SessionRecord) -> bool {
    let now = state.now();
    now - record.last_seen_at > state.config.session_idle
        || now - record.created_at > state.config.session_absolute
}

/// Finds the live session for the request's cookie, applying the idle and absolute timeouts.
pub async fn session_principal(state: &AppState, headers: &HeaderMap) -> Option<Principal> {
    let token = session_cookie(headers)?;
    let hash = hash_token(&token);
    let record = state.store.session(&hash).await.ok()??;
    let now = state.now();
    let idle = now - record.last_seen_at;
    if session_expired(state, &record) {
        let _ = state.store.delete_session(&hash).await;
        return None;
    }
    // Touch at most once a minute to keep writes down.
    if idle > time::Duration::minutes(1) {
        let _ = state.store.touch_session(&hash, now).await;
    }
    Some(Principal {
        user: record.user,
        channel: Channel::Session,
        session: Some((record.id_hash, record.csrf_token)),
        mfa_pending: record.mfa_pending,
    })
}

/// Finds the account behind an `Authorization: Bearer` token.
pub async fn token_principal(store: &Store, headers: &HeaderMap) -> Option<Principal> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    if token.is_empty() {
        return None;
    }
    let user = store.token_user(&hash_token(token)).await.ok()??;
    Some(Principal {
        user,
        channel: Channel::Token,
        session: None,
        mfa_pending: false,
    })
}

/// The session and token principals of a request, found once by [`scope_request`] and
/// read by the extractors.
#[derive(Clone)]
struct Resolved {
    session: Option<Principal>,
    token: Option<Principal>,
}

async fn resolved_session(state: &AppState, parts: &Parts) -> Option<Principal> {
    match parts.extensions.get::<Resolved>() {
        Some(r) => r.session.clone(),
        None => session_principal(state, &parts.headers).await,
    }
}

async fn resolved_token(state: &AppState, parts: &Parts) -> Option<Principal> {
    match parts.extensions.get::<Resolved>() {
        Some(r) => r.token.clone(),
        None => token_principal(&state.store, &parts.headers).await,
    }
}

/// Middleware: finds who is asking and runs the rest of the request with the database
/// restricted to the schools they may touch (SR-08); before sign-in, to none.
pub async fn scope_request(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (session, token) = if req.uri().path().starts_with("/assets/") {
        (None, None)
    } else {
        (
            session_principal(&state, req.headers()).await,
            token_principal(&state.store, req.headers()).await,
        )
    };
    let mut schools = Vec::new();
    let mut everything = false;
    // SQLite has no row-level security to feed: the scoped queries carry tenancy there, and
    // the lookup (every school of an authority, for an officer) would be wasted on each request.
    let enforced = state.store.backend() == senco_store::Backend::Postgres;
    for p in session.iter().chain(token.iter()).filter(|_| enforced) {
        if p.mfa_pending {
            continue;
        }
        match state.store.tenant_of(&p.scope()).await {
            Ok(Tenant::Schools(ids)) => schools.extend(ids),
            Ok(Tenant::Installation) => everything = true,
            Ok(Tenant::Nothing) => {}
            Err(e) => return ApiError::internal(e).into_response(),
        }
    }
    let tenant = if everything {
        Tenant::Installation
    } else if schools.is_empty() {
        Tenant::Nothing
    } else {
        schools.sort();
        schools.dedup();
        Tenant::Schools(schools)
    };
    req.extensions_mut().insert(Resolved { session, token });
    tenancy::within(tenant, next.run(req)).await
}

/// A signed-in person on a page. Without a session: 303 to the sign-in page.
pub struct SignedIn(pub Principal);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let path = parts.uri.path();
        match resolved_session(state, parts).await {
            Some(p) if p.mfa_pending => Err(Redirect::to("/sign-in/code").into_response()),
            Some(p)
                if p.user.must_change_password
                    && path != "/account/passphrase"
                    && path != "/sign-out" =>
            {
                Err(Redirect::to("/account/passphrase").into_response())
            }
            Some(p)
                if p.must_enrol(&state.config)
                    && !matches!(
                        path,
                        "/account/two-factor" | "/account/passphrase" | "/sign-out"
                    ) =>
            {
                Err(Redirect::to("/account/two-factor").into_response())
            }
            Some(p) => Ok(SignedIn(p)),
            None => Err(Redirect::to("/sign-in").into_response()),
        }
    }
}

/// A caller of the API, by bearer token or session. Without either: 401.
pub struct ApiCaller(pub Principal);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(p) = resolved_token(state, parts).await {
            return Ok(ApiCaller(p));
        }
        match resolved_session(state, parts).await {
            Some(p)
                if !p.user.must_change_password
                    && !p.mfa_pending
                    && !p.must_enrol(&state.config) =>
            {
                Ok(ApiCaller(p))
            }
            _ => Err(ApiError::unauthorized()),
        }
    }
}

/// The client's address: the peer, or the nearest untrusted hop of `X-Forwarded-For`
/// when the peer is a trusted proxy.
pub fn client_address(headers: &HeaderMap, peer: Option<IpAddr>, trusted: &[IpAddr]) -> String {
    let Some(peer) = peer else {
        return "unknown".to_string();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    hops.iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(&peer)
        .to_string()
}

/// The peer address of the connection, if the server recorded it.
pub fn peer_ip(parts_extensions: &axum::http::Extensions) -> Option<IpAddr> {
    parts_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The client's address as used for throttling (see [`client_address`]).
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_address(
            &parts.headers,
            peer_ip(&parts.extensions),
            &state.config.trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_hex_and_differ() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token());
        assert_eq!(hash_token(&a).len(), 64);
    }

    /// Argon2 runs on the blocking pool, never more at once than there are cores, and the
    /// async worker threads stay free meanwhile (issue 16, point 4).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashing_runs_on_a_bounded_blocking_pool() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..(hashing_width() * 4 + 4) {
            let (running, most) = (running.clone(), most.clone());
            set.spawn(off_thread(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                // Blocking here is allowed only off the async workers: on a worker thread
                // `block_on` panics ("Cannot start a runtime from within a runtime").
                tokio::runtime::Handle::current().block_on(async {});
                let p = Passphrase::parse("correct horse battery").unwrap();
                let ok = hash_passphrase(&p).is_ok();
                running.fetch_sub(1, Ordering::SeqCst);
                ok
            }));
        }
        while let Some(done) = set.join_next().await {
            assert!(done.unwrap());
        }
        let most = most.load(Ordering::SeqCst);
        assert!(most >= 1 && most <= hashing_width(), "{most} at once");
    }

    #[tokio::test]
    async fn unknown_accounts_are_checked_against_a_dummy_hash() {
        assert!(!check_passphrase(None, "correct horse battery").await);
        let p = Passphrase::parse("correct horse battery").unwrap();
        let h = hash_passphrase_off_thread(&p).await.unwrap();
        assert!(check_passphrase(Some(h.clone()), "correct horse battery").await);
        assert!(!check_passphrase(Some(h), "correct horse batter").await);
    }

    #[test]
    fn passphrases_verify_exactly_as_typed() {
        let p = Passphrase::parse("correct horse battery").unwrap();
        let h = hash_passphrase(&p).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_passphrase(&h, "correct horse battery"));
        assert!(!verify_passphrase(&h, "correct horse batter"));
        assert!(!verify_passphrase(&h, "Correct horse battery"));
        assert!(!verify_passphrase("not a hash", "x"));
    }

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9, 10.0.0.2".parse().unwrap());
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let other: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(client_address(&h, Some(other), &[proxy]), "198.51.100.1");
        assert_eq!(client_address(&h, Some(proxy), &[proxy]), "203.0.113.9");
        assert_eq!(client_address(&h, None, &[proxy]), "unknown");
    }

    #[test]
    fn session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=b; __Host-senco=abc; c=d".parse().unwrap(),
        );
        assert_eq!(session_cookie(&h).as_deref(), Some("abc"));
    }
}
