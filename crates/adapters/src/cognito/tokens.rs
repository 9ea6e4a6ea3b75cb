//! Verifies the user pool's ID tokens: RS256 against the pool's JWKS (cached; fetched again for an
//! unknown key id at most once a minute), issuer, audience, expiry and `token_use`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use pt4c_domain::staff::{StaffMember, StaffRole};
use serde::Deserialize;
use tokio::sync::RwLock;

use super::PoolSettings;

/// Keys rotate rarely; a token naming a key we do not hold must not make us fetch on every request.
const REFETCH_AT_MOST_EVERY: Duration = Duration::from_secs(60);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Clock skew allowed on `exp` (jsonwebtoken's default is 60 s).
const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    /// Signature, issuer, audience, expiry or `token_use` wrong, or not a token at all.
    #[error("the ID token is not valid")]
    Invalid,
    /// A valid token of a person in no role group: no access.
    #[error("the person has no role")]
    NoRole,
    /// The pool's keys could not be fetched.
    #[error("the user pool's keys could not be fetched")]
    Unavailable,
}

#[derive(Deserialize)]
struct IdClaims {
    sub: String,
    token_use: String,
    email: Option<String>,
    name: Option<String>,
    #[serde(rename = "cognito:groups", default)]
    groups: Vec<String>,
}

#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

struct Inner {
    jwks_url: String,
    http: reqwest::Client,
    validation: Validation,
    keys: RwLock<Keys>,
}

#[derive(Clone)]
pub struct IdTokenVerifier {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for IdTokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdTokenVerifier").field("jwks_url", &self.inner.jwks_url).finish_non_exhaustive()
    }
}

impl IdTokenVerifier {
    pub fn new(settings: &PoolSettings, http: reqwest::Client) -> Self {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        Self { inner: Arc::new(Inner { jwks_url: settings.jwks_url.clone(), http, validation, keys: RwLock::new(Keys::default()) }) }
    }

    /// The signed-in person the token names. role = the strongest of `cognito:groups`;
    /// name = the `name` claim, or the email address.
    pub async fn verify(&self, id_token: &str) -> Result<StaffMember, TokenRefusal> {
        let header = jsonwebtoken::decode_header(id_token).map_err(|_| TokenRefusal::Invalid)?;
        if header.alg != Algorithm::RS256 {
            return Err(TokenRefusal::Invalid);
        }
        let kid = header.kid.ok_or(TokenRefusal::Invalid)?;
        let key = self.key(&kid).await?;
        let claims = jsonwebtoken::decode::<IdClaims>(id_token, &key, &self.inner.validation).map_err(|_| TokenRefusal::Invalid)?.claims;
        if claims.token_use != "id" {
            return Err(TokenRefusal::Invalid);
        }
        let email = claims.email.filter(|e| !e.trim().is_empty()).ok_or(TokenRefusal::Invalid)?;
        let role = StaffRole::of_groups(claims.groups.iter().map(String::as_str)).ok_or(TokenRefusal::NoRole)?;
        let name = claims.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| email.clone());
        Ok(StaffMember { sub: claims.sub, email, name, role })
    }

    async fn key(&self, kid: &str) -> Result<DecodingKey, TokenRefusal> {
        if let Some(key) = self.inner.keys.read().await.by_kid.get(kid) {
            return Ok(key.clone());
        }
        // One fetch at a time; whoever waited finds the keys the fetch brought.
        let mut keys = self.inner.keys.write().await;
        if let Some(key) = keys.by_kid.get(kid) {
            return Ok(key.clone());
        }
        if keys.fetched_at.is_some_and(|at| at.elapsed() < REFETCH_AT_MOST_EVERY) {
            return Err(TokenRefusal::Invalid);
        }
        match self.fetch().await {
            Ok(fresh) => {
                keys.by_kid = fresh;
                keys.fetched_at = Some(Instant::now());
            }
            Err(e) => {
                tracing::warn!(error = %e, "the user pool's JWKS could not be fetched");
                return Err(TokenRefusal::Unavailable);
            }
        }
        keys.by_kid.get(kid).cloned().ok_or(TokenRefusal::Invalid)
    }

    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, String> {
        let set: JwkSet = self
            .inner
            .http
            .get(&self.inner.jwks_url)
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| e.without_url().to_string())?
            .json()
            .await
            .map_err(|e| format!("the JWKS is not readable: {}", e.without_url()))?;
        Ok(set.keys.iter().filter_map(|jwk| Some((jwk.common.key_id.clone()?, DecodingKey::from_jwk(jwk).ok()?))).collect())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::routing::get;
    use base64::Engine;

    use super::*;

    /// A JWKS server that counts its fetches, answering `status`.
    async fn jwks_server(status: u16) -> (String, Arc<AtomicUsize>) {
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        let app = axum::Router::new().route(
            "/jwks.json",
            get(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async move { (axum::http::StatusCode::from_u16(status).unwrap(), axum::Json(serde_json::json!({"keys": []}))) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        (url, hits)
    }

    fn token_with_kid(kid: &str) -> String {
        let b64 = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.c2ln", b64(serde_json::json!({"alg": "RS256", "kid": kid})), b64(serde_json::json!({"sub": "x"})))
    }

    fn verifier(url: &str) -> IdTokenVerifier {
        IdTokenVerifier::new(&PoolSettings::new("eu-west-2", "pool", "client").with_jwks_url(url.into()), reqwest::Client::new())
    }

    #[tokio::test]
    async fn an_unknown_key_is_refused_and_fetched_again_at_most_once_a_minute() {
        let (url, hits) = jwks_server(200).await;
        let v = verifier(&url);
        assert_eq!(v.verify(&token_with_kid("k1")).await, Err(TokenRefusal::Invalid));
        assert_eq!(v.verify(&token_with_kid("k2")).await, Err(TokenRefusal::Invalid));
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn keys_that_cannot_be_fetched_make_the_verifier_unavailable() {
        let (url, hits) = jwks_server(503).await;
        let v = verifier(&url);
        assert_eq!(v.verify(&token_with_kid("k1")).await, Err(TokenRefusal::Unavailable));
        // A failed fetch is not a key set: the next token tries again.
        assert_eq!(v.verify(&token_with_kid("k1")).await, Err(TokenRefusal::Unavailable));
        assert_eq!(hits.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn garbage_and_other_algorithms_are_invalid_without_a_fetch() {
        let v = verifier("http://127.0.0.1:9/never");
        assert_eq!(v.verify("not a token").await, Err(TokenRefusal::Invalid));
        let b64 = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let hs = format!("{}.{}.c2ln", b64(serde_json::json!({"alg": "HS256", "kid": "k"})), b64(serde_json::json!({})));
        assert_eq!(v.verify(&hs).await, Err(TokenRefusal::Invalid));
    }
}
