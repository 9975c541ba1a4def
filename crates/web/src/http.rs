//! HTTP helpers that pages and the API share: the request id, the headers of a
//! downloaded file and the census return as a file. Pages and the API never import each
//! other; what both need lives here.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use senco_app::access::Actor;
use senco_app::principal::Principal;
use senco_interop::census::{CensusReturn, to_csv, to_xml};
use senco_interop::upload::FileKind;
use senco_store::specialists::Report;

/// The request id given by the request-id middleware.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The request id as an extractor, so that a handler names who acts in one call
/// (`rid.actor(&p)`) instead of building an [`Actor`] by hand each time.
#[derive(Debug, Clone, Default)]
pub struct RequestId(pub Option<String>);

impl RequestId {
    /// The request id of these headers (for helpers that are handed the headers).
    pub fn of(headers: &HeaderMap) -> Self {
        RequestId(request_id(headers))
    }

    /// The actor for the audit log: this principal, acting in this request.
    pub fn actor<'a>(&self, principal: &'a Principal) -> Actor<'a> {
        Actor {
            principal,
            request_id: self.0.clone(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestId::of(&parts.headers))
    }
}

/// `attachment` with an ASCII file name and the exact UTF-8 name (RFC 6266, RFC 8187).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// The headers a report is served with: an attachment of its exact type, never sniffed,
/// never run.
pub fn download_headers(report: &Report) -> Vec<(header::HeaderName, HeaderValue)> {
    let kind = FileKind::parse(&report.kind);
    let content_type = kind
        .map(|k| k.content_type())
        .unwrap_or("application/octet-stream");
    let disposition = content_disposition(&report.file_name);
    vec![
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox; default-src 'none'"),
        ),
    ]
}

/// A census return as a file to save, XML or CSV, named after the school's URN and the
/// census date.
pub fn census_file(ret: &CensusReturn, on: senco_domain::Date, xml: bool) -> Response {
    let (body, kind, ext) = if xml {
        (to_xml(ret), "application/xml; charset=utf-8", "xml")
    } else {
        (to_csv(ret), "text/csv; charset=utf-8", "csv")
    };
    let name = format!(
        "attachment; filename=\"sen-census-{}-{on}.{ext}\"",
        ret.school.urn
    );
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        body,
    )
        .into_response()
}
