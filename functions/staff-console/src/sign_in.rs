//! Signing in: the console's own pages over Cognito's InitiateAuth and RespondToAuthChallenge
//! (a new password, setting up an authenticator app, a code from it). The ID token Cognito answers
//! is verified against the pool's keys before a session starts. A failed sign-in never says
//! whether the account exists.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use pt4c_adapters::cognito::{SignInError, SignInStep, TokenRefusal};
use pt4c_app::staff::{audit, About};
use pt4c_domain::ports::StaffStore;
use pt4c_domain::staff::{AuditOutcome, ChallengeStep, ConsoleSession, SessionState};

use crate::pages::{self, error_for, FieldError};
use crate::session::{new_secret, parse_form, read_cookie, same, SIGN_IN};
use crate::{Console, Shared};

pub fn router() -> Router<Shared> {
    Router::new()
        .route(SIGN_IN, get(sign_in_page).post(sign_in))
        .route("/console/sign-in/new-password", get(challenge_page).post(new_password))
        .route("/console/sign-in/set-up-authenticator", get(challenge_page).post(set_up_authenticator))
        .route("/console/sign-in/code", get(challenge_page).post(code))
        .route("/console/sign-out", post(sign_out))
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    who: Option<pages::Who>,
    csrf: String,
    email: String,
    errors: Vec<FieldError>,
}

#[derive(Template)]
#[template(path = "challenge.html")]
struct ChallengePage {
    who: Option<pages::Who>,
    step: ChallengeStep,
    csrf: String,
    secret: Option<String>,
    otpauth: Option<String>,
    errors: Vec<FieldError>,
}

impl ChallengePage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
    fn action(&self) -> &'static str {
        step_path(self.step)
    }
    fn title(&self) -> &'static str {
        match self.step {
            ChallengeStep::NewPassword => "Choose a new password",
            ChallengeStep::SetUpAuthenticator => "Set up your authenticator app",
            ChallengeStep::Code => "Enter the code from your authenticator app",
        }
    }
    fn is_new_password(&self) -> bool {
        self.step == ChallengeStep::NewPassword
    }
}

impl SignInPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

fn step_path(step: ChallengeStep) -> &'static str {
    match step {
        ChallengeStep::NewPassword => "/console/sign-in/new-password",
        ChallengeStep::SetUpAuthenticator => "/console/sign-in/set-up-authenticator",
        ChallengeStep::Code => "/console/sign-in/code",
    }
}

/// The sign-in form, with a fresh token for its double-submitted CSRF cookie.
fn sign_in_form(c: &Console, status: StatusCode, email: String, errors: Vec<FieldError>) -> Response {
    let csrf = new_secret();
    let mut res = pages::render(status, SignInPage { who: None, csrf: csrf.clone(), email, errors }.render());
    res.headers_mut().append(header::SET_COOKIE, c.cookie(c.sign_in_cookie(), &csrf, false));
    res
}

async fn sign_in_page(State(c): State<Shared>, headers: HeaderMap) -> Response {
    match c.current(&headers).await {
        Ok(Some((_, s))) if s.member().is_some() => Redirect::to("/console/").into_response(),
        Ok(_) => sign_in_form(&c, StatusCode::OK, String::new(), vec![]),
        Err(_) => pages::unavailable(),
    }
}

async fn sign_in(State(c): State<Shared>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let form = parse_form(&body);
    let field = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let cookie = read_cookie(&headers, c.sign_in_cookie()).unwrap_or_default();
    if cookie.is_empty() || !same(&cookie, &field("csrf")) {
        return pages::csrf_refused();
    }
    let (email, password) = (field("email"), form.get("password").cloned().unwrap_or_default());
    let mut errors = Vec::new();
    if email.is_empty() {
        errors.push(FieldError::new("email", "Enter your email address"));
    }
    if password.is_empty() {
        errors.push(FieldError::new("password", "Enter your password"));
    }
    if !errors.is_empty() {
        return sign_in_form(&c, StatusCode::UNPROCESSABLE_ENTITY, email, errors);
    }
    let step = c.cognito.sign_in(&email, &password).await;
    next_step(&c, None, &email, step).await
}

/// Where a step of Cognito's leads: a session, the next challenge, or the same page again.
async fn next_step(c: &Console, previous: Option<&str>, email: &str, step: Result<SignInStep, SignInError>) -> Response {
    let now = c.deps.now();
    let challenge = |step: ChallengeStep, cognito_session: String, secret: Option<String>| ConsoleSession {
        state: SessionState::Challenge { email: email.to_owned(), step, cognito_session, secret },
        csrf: new_secret(),
        created_at: now,
        last_seen: now,
    };
    let session = match step {
        Ok(SignInStep::SignedIn { id_token }) => match c.verifier.verify(&id_token).await {
            Ok(member) => {
                let session = ConsoleSession {
                    state: SessionState::SignedIn { member: member.clone() },
                    csrf: new_secret(),
                    created_at: now,
                    last_seen: now,
                };
                if audit(&c.deps, &member, "sign_in", AuditOutcome::Done, About::default()).await.is_err() {
                    return pages::unavailable();
                }
                tracing::info!(role = member.role.as_str(), "signed in");
                session
            }
            Err(TokenRefusal::NoRole) => {
                return pages::message(
                    StatusCode::FORBIDDEN,
                    None,
                    "Your account has no role yet",
                    vec!["Ask a coordinator to give your account a role, then sign in again."],
                    Some((SIGN_IN, "Sign in")),
                )
            }
            Err(e) => {
                tracing::error!(refusal = ?e, "Cognito's ID token was not accepted");
                return pages::unavailable();
            }
        },
        Ok(SignInStep::NewPasswordRequired { session }) => challenge(ChallengeStep::NewPassword, session, None),
        Ok(SignInStep::MfaCode { session }) => challenge(ChallengeStep::Code, session, None),
        Ok(SignInStep::MfaSetup { session }) => match c.cognito.start_enrolment(&session).await {
            Ok(e) => challenge(ChallengeStep::SetUpAuthenticator, e.session, Some(e.secret)),
            Err(e) => return refused(c, e),
        },
        Err(e) => return refused(c, e),
    };
    // Each step is a new session id: one seen before signing in is never the signed-in one.
    if let Some(key) = previous {
        if c.deps.store.end_session(key).await.is_err() {
            return pages::unavailable();
        }
    }
    let target = match &session.state {
        SessionState::SignedIn { .. } => "/console/",
        SessionState::Challenge { step, .. } => step_path(*step),
    };
    match c.start_session(&session).await {
        Ok(cookie) => {
            let mut res = Redirect::to(target).into_response();
            res.headers_mut().append(header::SET_COOKIE, cookie);
            res.headers_mut().append(header::SET_COOKIE, c.cookie(c.sign_in_cookie(), "", true));
            res
        }
        Err(_) => pages::unavailable(),
    }
}

fn refused(c: &Console, e: SignInError) -> Response {
    match e {
        SignInError::Refused => sign_in_form(
            c,
            StatusCode::UNAUTHORIZED,
            String::new(),
            vec![FieldError::new("email", "Enter a correct email address and password")],
        ),
        SignInError::SessionExpired => sign_in_form(
            c,
            StatusCode::UNAUTHORIZED,
            String::new(),
            vec![FieldError::new("email", "Your sign-in timed out. Sign in again")],
        ),
        SignInError::BadCode | SignInError::WeakPassword(_) => {
            // Only the challenge pages can get these; they answer them themselves.
            pages::unavailable()
        }
        SignInError::Unavailable(e) => {
            tracing::error!(error = %e, "Cognito unavailable");
            pages::unavailable()
        }
    }
}

/// The sign-in under way this request's cookie names, if it is at `step`.
async fn challenge_of(c: &Console, headers: &HeaderMap) -> Option<(String, ConsoleSession)> {
    c.current(headers).await.ok().flatten().filter(|(_, s)| matches!(s.state, SessionState::Challenge { .. }))
}

fn challenge_form(s: &ConsoleSession, status: StatusCode, errors: Vec<FieldError>) -> Response {
    let SessionState::Challenge { step, secret, email, .. } = &s.state else { return Redirect::to(SIGN_IN).into_response() };
    let otpauth = secret
        .as_ref()
        .map(|k| format!("otpauth://totp/PT4C%20staff%20console:{}?secret={k}&issuer=PT4C%20staff%20console", urlencode(email)));
    pages::render(status, ChallengePage { who: None, step: *step, csrf: s.csrf.clone(), secret: secret.clone(), otpauth, errors }.render())
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).map(|v| v[2..].to_owned()).unwrap_or_default()
}

async fn challenge_page(State(c): State<Shared>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    match challenge_of(&c, &headers).await {
        Some((_, s)) => match &s.state {
            SessionState::Challenge { step, .. } if step_path(*step) == uri.path() => challenge_form(&s, StatusCode::OK, vec![]),
            SessionState::Challenge { step, .. } => Redirect::to(step_path(*step)).into_response(),
            SessionState::SignedIn { .. } => Redirect::to("/console/").into_response(),
        },
        None => Redirect::to(SIGN_IN).into_response(),
    }
}

/// The posted form of a challenge at `step`, its CSRF token checked against the sign-in under way.
async fn posted(
    c: &Console,
    headers: &HeaderMap,
    body: &[u8],
    want: ChallengeStep,
) -> Result<(String, ConsoleSession, std::collections::BTreeMap<String, String>), Response> {
    let Some((key, s)) = challenge_of(c, headers).await else { return Err(Redirect::to(SIGN_IN).into_response()) };
    let form = parse_form(body);
    if !same(form.get("csrf").map(String::as_str).unwrap_or(""), &s.csrf) {
        return Err(pages::csrf_refused());
    }
    match &s.state {
        SessionState::Challenge { step, .. } if *step == want => Ok((key, s, form)),
        SessionState::Challenge { step, .. } => Err(Redirect::to(step_path(*step)).into_response()),
        SessionState::SignedIn { .. } => Err(Redirect::to("/console/").into_response()),
    }
}

fn challenge_parts(s: &ConsoleSession) -> (String, String) {
    match &s.state {
        SessionState::Challenge { email, cognito_session, .. } => (email.clone(), cognito_session.clone()),
        SessionState::SignedIn { .. } => (String::new(), String::new()),
    }
}

async fn new_password(State(c): State<Shared>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let (key, s, form) = match posted(&c, &headers, &body, ChallengeStep::NewPassword).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let password = form.get("password").cloned().unwrap_or_default();
    let confirm = form.get("confirmPassword").cloned().unwrap_or_default();
    let mut errors = Vec::new();
    if password.is_empty() {
        errors.push(FieldError::new("password", "Enter a new password"));
    } else if password != confirm {
        errors.push(FieldError::new("confirmPassword", "The passwords do not match"));
    }
    if !errors.is_empty() {
        return challenge_form(&s, StatusCode::UNPROCESSABLE_ENTITY, errors);
    }
    let (email, session) = challenge_parts(&s);
    match c.cognito.new_password(&session, &email, &password).await {
        Err(SignInError::WeakPassword(why)) => challenge_form(&s, StatusCode::UNPROCESSABLE_ENTITY, vec![FieldError::new("password", why)]),
        step => next_step(&c, Some(&key), &email, step).await,
    }
}

async fn set_up_authenticator(State(c): State<Shared>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let (key, s, form) = match posted(&c, &headers, &body, ChallengeStep::SetUpAuthenticator).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let Some(code) = six_digits(form.get("code")) else {
        return challenge_form(&s, StatusCode::UNPROCESSABLE_ENTITY, vec![code_error()]);
    };
    let (email, session) = challenge_parts(&s);
    match c.cognito.finish_enrolment(&session, &email, &code).await {
        Err(SignInError::BadCode) => challenge_form(&s, StatusCode::UNPROCESSABLE_ENTITY, vec![wrong_code()]),
        step => next_step(&c, Some(&key), &email, step).await,
    }
}

async fn code(State(c): State<Shared>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let (key, s, form) = match posted(&c, &headers, &body, ChallengeStep::Code).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let Some(code) = six_digits(form.get("code")) else {
        return challenge_form(&s, StatusCode::UNPROCESSABLE_ENTITY, vec![code_error()]);
    };
    let (email, session) = challenge_parts(&s);
    match c.cognito.mfa_code(&session, &email, &code).await {
        Err(SignInError::BadCode) => challenge_form(&s, StatusCode::UNPROCESSABLE_ENTITY, vec![wrong_code()]),
        step => next_step(&c, Some(&key), &email, step).await,
    }
}

fn six_digits(v: Option<&String>) -> Option<String> {
    let code: String = v?.chars().filter(|c| !c.is_whitespace()).collect();
    (code.len() == 6 && code.chars().all(|c| c.is_ascii_digit())).then_some(code)
}

fn code_error() -> FieldError {
    FieldError::new("code", "Enter the 6-digit code from your authenticator app")
}

fn wrong_code() -> FieldError {
    FieldError::new("code", "The code is not correct. Enter the code your authenticator app shows now")
}

async fn sign_out(State(c): State<Shared>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let cleared = || {
        let mut res = Redirect::to(SIGN_IN).into_response();
        res.headers_mut().append(header::SET_COOKIE, c.cookie(c.session_cookie(), "", true));
        res
    };
    let Ok(Some((key, s))) = c.current(&headers).await else { return cleared() };
    let form = parse_form(&body);
    if !same(form.get("csrf").map(String::as_str).unwrap_or(""), &s.csrf) {
        return pages::csrf_refused();
    }
    if let Some(member) = s.member() {
        if audit(&c.deps, member, "sign_out", AuditOutcome::Done, About::default()).await.is_err() {
            return pages::unavailable();
        }
    }
    if c.deps.store.end_session(&key).await.is_err() {
        return pages::unavailable();
    }
    cleared()
}
