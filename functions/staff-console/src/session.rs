//! Console sessions: a random id in an HttpOnly, SameSite=Strict cookie (`__Host-` and `Secure`
//! outside the local stack), the session itself server-side under the id's SHA-256 (a copy of the
//! table gives no usable id). Idle for 30 minutes or 10 hours old, it is gone. Every form posts the
//! session's CSRF token, checked in constant time before anything is read from the form.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use pt4c_app::staff::{audit, About};
use pt4c_domain::ports::{PortError, StaffStore};
use pt4c_domain::staff::{AuditOutcome, ConsoleSession, StaffMember, StaffRole};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{pages, Console, Shared};

pub const SESSION_COOKIE_SECURE: &str = "__Host-pt4c-console";
pub const SESSION_COOKIE_LOCAL: &str = "pt4c-console";
/// The sign-in form's own CSRF token (double submit: no session exists yet).
const SIGN_IN_COOKIE_SECURE: &str = "__Host-pt4c-sign-in";
const SIGN_IN_COOKIE_LOCAL: &str = "pt4c-sign-in";

pub const SIGN_IN: &str = "/console/sign-in";

/// 256 random bits, URL-safe.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Where a session is stored: the SHA-256 of the id the browser holds.
pub fn store_key(id: &str) -> String {
    let digest = Sha256::digest(id.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Console {
    pub fn session_cookie(&self) -> &'static str {
        if self.secure_cookies {
            SESSION_COOKIE_SECURE
        } else {
            SESSION_COOKIE_LOCAL
        }
    }

    pub fn sign_in_cookie(&self) -> &'static str {
        if self.secure_cookies {
            SIGN_IN_COOKIE_SECURE
        } else {
            SIGN_IN_COOKIE_LOCAL
        }
    }

    /// A `Set-Cookie` value; `max_age` 0 clears it. No `Max-Age` otherwise: the cookie ends with
    /// the browser, the session with its limits.
    pub fn cookie(&self, name: &str, value: &str, clear: bool) -> HeaderValue {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        let age = if clear { "; Max-Age=0" } else { "" };
        HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict{secure}{age}"))
            .unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
    }

    /// Starts a session with `session`; answers the cookie that names it.
    pub async fn start_session(&self, session: &ConsoleSession) -> Result<HeaderValue, PortError> {
        let id = new_secret();
        self.deps.store.create_session(&store_key(&id), session, session.expires_at(&self.limits)).await?;
        Ok(self.cookie(self.session_cookie(), &id, false))
    }

    /// The live session the request's cookie names, as (store key, session). An expired one is
    /// deleted on sight.
    pub async fn current(&self, headers: &HeaderMap) -> Result<Option<(String, ConsoleSession)>, PortError> {
        let Some(id) = read_cookie(headers, self.session_cookie()) else { return Ok(None) };
        let key = store_key(&id);
        let Some(session) = self.deps.store.session(&key).await? else { return Ok(None) };
        let now = self.deps.now();
        if !session.live_at(now, &self.limits) {
            self.deps.store.end_session(&key).await?;
            return Ok(None);
        }
        if session.needs_touch(now) {
            // Once a minute at most: has the account been disabled since this session began?
            if let Some(member) = session.member() {
                if self.deps.store.sessions_revoked(&member.email).await?.is_some_and(|at| at >= session.created_at) {
                    self.deps.store.end_session(&key).await?;
                    return Ok(None);
                }
            }
            self.deps.store.touch_session(&key, now).await?;
        }
        Ok(Some((key, session)))
    }
}

pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

/// The signed-in person, put in the request by [`require_session`].
#[derive(Clone, Debug)]
pub struct Staff {
    pub member: StaffMember,
    pub csrf: String,
}

impl Staff {
    /// Lets the action go on if the role may do it; otherwise audits the attempt and answers 403.
    pub async fn allow(&self, c: &Console, action: &str, roles: &[StaffRole], about: About) -> Result<(), Response> {
        if roles.contains(&self.member.role) {
            return Ok(());
        }
        tracing::info!(action, role = self.member.role.as_str(), "forbidden");
        self.audit(c, action, AuditOutcome::Forbidden, about).await?;
        Err(forbidden(self))
    }

    /// Audits what is about to be shown or refused: if the trail cannot be written, nothing is
    /// shown and the answer (503, nothing changed) is true.
    pub async fn audit(&self, c: &Console, action: &str, outcome: AuditOutcome, about: About) -> Result<(), Response> {
        audit(&c.deps, &self.member, action, outcome, about).await.map_err(|_| pages::unavailable())
    }

    /// Audits what was just done. The change is made: the answer must say so, so a trail that
    /// cannot be written is an error in the log (`audit entry not written`, with the action and
    /// ids, for the alarm), never a 503 that would have the person do it again.
    pub async fn audited(&self, c: &Console, action: &str, outcome: AuditOutcome, about: About) {
        let _ = audit(&c.deps, &self.member, action, outcome, about).await;
    }
}

/// Every page but the sign-in pages: a live, signed-in session, else 303 to the sign-in page.
pub async fn require_session(State(c): State<Shared>, mut req: Request, next: Next) -> Response {
    match c.current(req.headers()).await {
        Ok(Some((_, session))) => match session.member() {
            Some(member) => {
                let staff = Staff { member: member.clone(), csrf: session.csrf.clone() };
                req.extensions_mut().insert(staff);
                next.run(req).await
            }
            None => to_sign_in(&c),
        },
        Ok(None) => to_sign_in(&c),
        Err(e) => {
            tracing::error!(error = %e, "session unreadable");
            pages::unavailable()
        }
    }
}

fn to_sign_in(c: &Console) -> Response {
    let mut res = Redirect::to(SIGN_IN).into_response();
    res.headers_mut().append(header::SET_COOKIE, c.cookie(c.session_cookie(), "", true));
    res
}

/// A posted form's fields, once its CSRF token matched the session's. A form without it, or
/// with another session's, is refused (403) before any field is read.
pub struct Fields(pub BTreeMap<String, String>);

impl Fields {
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(|s| s.trim()).unwrap_or("")
    }
    pub fn opt(&self, name: &str) -> Option<&str> {
        Some(self.get(name)).filter(|s| !s.is_empty())
    }
}

/// A form's fields; a field given twice keeps its first value.
pub fn parse_form(bytes: &[u8]) -> BTreeMap<String, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes).unwrap_or_default();
    let mut fields = BTreeMap::new();
    for (k, v) in pairs {
        fields.entry(k).or_insert(v);
    }
    fields
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let staff = req.extensions().get::<Staff>().cloned();
        let bytes = Bytes::from_request(req, state).await.map_err(IntoResponse::into_response)?;
        let fields = parse_form(&bytes);
        let posted = fields.get("csrf").map(String::as_str).unwrap_or("");
        match staff {
            Some(staff) if same(posted, &staff.csrf) => Ok(Fields(fields)),
            _ => {
                tracing::info!("form refused: CSRF token missing or not this session's");
                Err(pages::csrf_refused())
            }
        }
    }
}

/// The frame's view of who is signed in (here, not in `pages`: the pages know nothing of sessions).
impl pages::Who {
    pub fn of(staff: &Staff, section: &'static str) -> Self {
        Self { name: staff.member.name.clone(), role: staff.member.role, csrf: staff.csrf.clone(), section }
    }
}

/// 403 for a signed-in member whose role does not allow the page.
pub fn forbidden(staff: &Staff) -> Response {
    pages::message(
        axum::http::StatusCode::FORBIDDEN,
        Some(pages::Who::of(staff, "")),
        "You do not have access to this page",
        vec!["Your role does not allow this. The attempt has been recorded.", "If you need access, ask a coordinator."],
        Some(("/console/", "Go to the dashboard")),
    )
}

/// 404 inside the frame.
pub fn not_found(staff: &Staff, what: &str) -> Response {
    pages::message(
        axum::http::StatusCode::NOT_FOUND,
        Some(pages::Who::of(staff, "")),
        &format!("{what} not found"),
        vec![],
        Some(("/console/", "Go to the dashboard")),
    )
}
