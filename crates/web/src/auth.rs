//! Who is asking: passphrases, sessions, API tokens, sign-in throttling and CSRF tokens.
//!
//! Sessions live in the database (several app instances can share them) under the SHA-256
//! hash of a 256-bit random token carried in a `__Host-` cookie. API tokens work the same
//! way with an `Authorization: Bearer` header.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use senco_store::Store;
use senco_store::tenancy::{self, Tenant};

use senco_app::credentials::{constant_time_eq, hash_token};
use senco_app::principal::{Channel, Principal};

use crate::AppState;
use crate::api::ApiError;

/// The session cookie's name. The `__Host-` prefix makes browsers insist on Secure, Path=/
/// and no Domain, so no other site or subdomain can set or read it.
pub const SESSION_COOKIE: &str = "__Host-senco";

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

/// What the web server asks of a signed-in person: two-factor enrolment and the session's
/// CSRF token.
pub trait SessionExt {
    /// Whether this person must set up two-factor sign-in before doing anything else.
    fn must_enrol(&self, config: &crate::WebConfig) -> bool;
    /// The CSRF token for forms (empty for token callers, who need none).
    fn csrf_token(&self) -> &str;
    /// Whether a submitted form token matches this session's.
    fn csrf_ok(&self, submitted: &str) -> bool;
}

impl SessionExt for Principal {
    fn must_enrol(&self, config: &crate::WebConfig) -> bool {
        config.require_two_factor && self.user.role.is_staff() && !self.user.two_factor
    }

    fn csrf_token(&self) -> &str {
        self.session.as_ref().map(|(_, c)| c.as_str()).unwrap_or("")
    }

    fn csrf_ok(&self, submitted: &str) -> bool {
        match &self.session {
            Some((_, expected)) => constant_time_eq(expected.as_bytes(), submitted.as_bytes()),
            None => false,
        }
    }
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

pub(crate) async fn resolved_session(state: &AppState, parts: &Parts) -> Option<Principal> {
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
