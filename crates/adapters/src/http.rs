//! What every HTTP function shares: body limits, JSON decoding, and the boundary's error type.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use pt4c_domain::ports::PortError;
use pt4c_domain::FieldError;

use crate::problem::Problem;

/// Bodies over this are refused whole (413).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The one error type of an HTTP boundary, mapped to a response in one place.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("refused: {}", .0.code())]
    Refused(Problem),
    #[error(transparent)]
    Port(#[from] PortError),
}

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        Self::Refused(p)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Refused(p) => p.into_response(),
            ApiError::Port(PortError::Retryable(e)) => {
                tracing::warn!(error = %e, "a dependency is unavailable");
                let mut r = Problem::unavailable().into_response();
                r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                r
            }
            ApiError::Port(PortError::Permanent(e)) => {
                tracing::error!(error = %e, "request failed");
                Problem::internal().into_response()
            }
        }
    }
}

/// Reads a body of at most 64 KiB.
pub async fn read_body(body: Body) -> Result<Bytes, Problem> {
    axum::body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| Problem::too_large())
}

/// A JSON route's body: the right content type, then a well-formed JSON object.
pub fn decode_json(headers: &HeaderMap, body: &[u8]) -> Result<serde_json::Value, Problem> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let essence = v.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
        })
        .unwrap_or(false);
    if !is_json {
        return Err(Problem::unsupported_media_type());
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(Problem::too_large());
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "it ends too soon",
            serde_json::error::Category::Syntax => "a syntax error",
            _ => "a malformed value",
        };
        Problem::invalid_json(format!("The body is not JSON: {what} at line {} column {}.", e.line(), e.column()), vec![])
    })?;
    if !value.is_object() {
        return Err(Problem::invalid_json("The body must be a JSON object.", vec![]));
    }
    Ok(value)
}

/// Deserialises into a typed request, naming the field whose JSON type is wrong.
pub fn typed<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let message = if e.inner().to_string().starts_with("invalid type") { "has the wrong JSON type" } else { "is not valid here" };
        Problem::invalid_json(format!("The field {field} {message}."), vec![FieldError::new(field, message)])
    })
}

/// Names every key of a flat request object that is not in `known`.
pub fn unknown_keys(value: &serde_json::Value, known: &[&str]) -> Vec<FieldError> {
    value
        .as_object()
        .into_iter()
        .flat_map(|m| m.keys())
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| FieldError::new(k.clone(), "is not a known field"))
        .collect()
}

/// Whether the client asked for JSON rather than a page.
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.contains("application/json") && !v.contains("text/html"))
        .unwrap_or(false)
}

/// A query string's parameters named in `known`, each at most once (others are ignored: caches
/// and browsers add their own). A repeated one is a 422 naming it, never a plain-text 400.
pub fn query_params(raw: Option<&str>, known: &[&str]) -> Result<std::collections::HashMap<String, String>, Problem> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| Problem::validation(vec![FieldError::new("query", "is not a valid query string")]))?;
    let mut params = std::collections::HashMap::new();
    let mut errors = Vec::new();
    for (k, v) in pairs.into_iter().filter(|(k, _)| known.contains(&k.as_str())) {
        match params.entry(k) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(v);
            }
            std::collections::hash_map::Entry::Occupied(e) => {
                if !errors.iter().any(|f: &FieldError| &f.field == e.key()) {
                    errors.push(FieldError::new(e.key().clone(), "must be given once"));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(params)
    } else {
        Err(Problem::validation(errors))
    }
}

/// The pages' Content-Security-Policy: their own stylesheet, no script, no framing.
const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; form-action 'self'; \
base-uri 'none'; frame-ancestors 'none'";

/// The headers every page answer carries (parents' pages and the staff console): no framing, no
/// referrer (parents' links carry tokens), no sniffing, HSTS; and no caching unless it is a
/// versioned asset.
pub fn page_headers(res: &mut Response, is_asset: bool) {
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    if !is_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// A versioned stylesheet, cached for good (its name changes with its content).
pub fn stylesheet(css: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], css)
        .into_response()
}
