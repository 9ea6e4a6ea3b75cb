//! Referral intake: Cafcass posts referrals, reads progress records, withdraws referrals. The
//! use cases are `pt4c_app::referrals`; this module parses at the edge and maps their outcomes.
//!
//! `router` serves the same routes in Lambda (through lambda_http) and in the local stack.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pt4c_adapters::problem::Problem;
use pt4c_adapters::Deps;
use pt4c_app::referrals::{self, ReferralRefusal, Taken};
use pt4c_domain::referral::{unknown_fields, NewReferral, ReferralRequest, Refusal};
use pt4c_domain::{london_date, ReferralId};

pub use pt4c_adapters::http::{decode_json, read_body, ApiError, MAX_BODY_BYTES};
use pt4c_adapters::http::{typed, unknown_keys};

pub fn router(deps: Deps) -> Router {
    Router::new()
        .route("/referrals", post(post_referral))
        .route("/referrals/{referral_id}", get(get_referral))
        .route("/referrals/{referral_id}/withdraw", post(post_withdraw))
        .with_state(deps)
}

/// POST /referrals, from raw request to a referral: every refusal says which fields, at once.
pub fn decode_referral(headers: &HeaderMap, body: &[u8], today: jiff::civil::Date) -> Result<NewReferral, Problem> {
    let value = decode_json(headers, body)?;
    let mut errors = unknown_fields(&value);
    let request: ReferralRequest = typed(value)?;
    match NewReferral::parse(request, today) {
        Err(Refusal::NotEligible) => Err(Problem::not_eligible()),
        Err(Refusal::Invalid(more)) => {
            errors.extend(more);
            Err(Problem::validation(errors))
        }
        Ok(_) if !errors.is_empty() => Err(Problem::validation(errors)),
        Ok(referral) => Ok(referral),
    }
}

/// POST /referrals: the referral parsed at the edge, taken by the use case.
pub async fn take_referral(deps: &Deps, headers: &HeaderMap, body: &[u8]) -> Result<Response, ApiError> {
    let referral = decode_referral(headers, body, london_date(deps.now()))?;
    let location = format!("/referrals/{}", referral.referral_id);
    let (status, record) = match referrals::take(&deps.app, &referral).await.map_err(refused)? {
        Taken::Created(record) => (StatusCode::CREATED, record),
        Taken::Replayed(record) => (StatusCode::OK, record),
    };
    let mut response = (status, Json(record)).into_response();
    response.headers_mut().insert(header::LOCATION, HeaderValue::from_str(&location).expect("ids are header-safe"));
    Ok(response)
}

pub async fn read_referral(deps: &Deps, referral_id: &str) -> Result<Response, ApiError> {
    let Ok(id) = ReferralId::parse(referral_id) else {
        return Err(Problem::not_found("referral").into());
    };
    Ok(Json(referrals::progress(&deps.app, &id).await.map_err(refused)?).into_response())
}

#[derive(Debug, serde::Deserialize)]
struct WithdrawRequest {
    reason: Option<String>,
}

pub async fn withdraw_referral(deps: &Deps, referral_id: &str, headers: &HeaderMap, body: &[u8]) -> Result<Response, ApiError> {
    let Ok(id) = ReferralId::parse(referral_id) else {
        return Err(Problem::not_found("referral").into());
    };
    let value = decode_json(headers, body)?;
    let mut errors = unknown_keys(&value, &["reason"]);
    let request: WithdrawRequest = typed(value)?;
    let reason = pt4c_domain::text::required(request.reason.as_deref(), "reason", |r| pt4c_domain::text::paragraphs(r, 500), &mut errors);
    let (Some(reason), true) = (reason, errors.is_empty()) else {
        return Err(Problem::validation(errors).into());
    };
    Ok(Json(referrals::withdraw(&deps.app, &id, &reason).await.map_err(refused)?).into_response())
}

/// One place where a referral's refusals become problem details.
fn refused(r: ReferralRefusal) -> ApiError {
    match r {
        ReferralRefusal::NotFound => Problem::not_found("referral").into(),
        ReferralRefusal::Conflict => Problem::conflict(
            "referral-conflict",
            "Referral already exists",
            "This referralId was already used for a referral with different content; nothing was changed.",
        )
        .into(),
        ReferralRefusal::Closed => Problem::conflict(
            "referral-conflict",
            "Referral already closed",
            "The referral has already completed or not completed; it cannot be withdrawn.",
        )
        .into(),
        ReferralRefusal::Unavailable(e) => e.into(),
    }
}

async fn post_referral(State(deps): State<Deps>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let body = read_body(body).await?;
    take_referral(&deps, &headers, &body).await
}

async fn get_referral(State(deps): State<Deps>, Path(referral_id): Path<String>) -> Result<Response, ApiError> {
    read_referral(&deps, &referral_id).await
}

async fn post_withdraw(
    State(deps): State<Deps>,
    Path(referral_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = read_body(body).await?;
    withdraw_referral(&deps, &referral_id, &headers, &body).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn json_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        h
    }
    fn today() -> jiff::civil::Date {
        jiff::civil::date(2026, 11, 22)
    }
    fn sample() -> serde_json::Value {
        serde_json::from_str(include_str!("../../../events/referral.json")).unwrap()
    }

    #[test]
    fn the_sample_referral_decodes() {
        let r = decode_referral(&json_headers(), &serde_json::to_vec(&sample()).unwrap(), today()).unwrap();
        assert_eq!(r.referral_id.as_str(), "CAF-2026-000123");
    }

    #[test]
    fn a_wrong_content_type_is_415() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(decode_referral(&h, b"{}", today()).unwrap_err().status, 415);
        assert_eq!(decode_referral(&HeaderMap::new(), b"{}", today()).unwrap_err().status, 415);
    }

    #[test]
    fn malformed_json_is_400_and_a_wrong_type_names_its_field() {
        assert_eq!(decode_referral(&json_headers(), b"{\"referralId\":", today()).unwrap_err().status, 400);
        let mut v = sample();
        v["parents"][1]["email"] = 5.into();
        let p = decode_referral(&json_headers(), &serde_json::to_vec(&v).unwrap(), today()).unwrap_err();
        assert_eq!((p.status, p.code()), (400, "invalid-json"));
        assert_eq!(p.errors[0].field, "parents[1].email");
    }

    #[test]
    fn unknown_and_invalid_fields_come_back_together() {
        let mut v = sample();
        v["surprise"] = true.into();
        v["parents"][0]["email"] = "nope".into();
        let p = decode_referral(&json_headers(), &serde_json::to_vec(&v).unwrap(), today()).unwrap_err();
        assert_eq!((p.status, p.code()), (422, "validation-failed"));
        let fields: Vec<_> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["surprise", "parents[0].email"]);
    }

    fn arb_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(serde_json::Value::from),
            ".{0,40}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
                prop::collection::hash_map(
                    prop_oneof![
                        Just("referralId".to_string()),
                        Just("parents".to_string()),
                        Just("court".to_string()),
                        Just("email".to_string()),
                        Just("referredOn".to_string()),
                        Just("completeBy".to_string()),
                        Just("safeguardingConcerns".to_string()),
                        ".{0,12}".prop_map(|s| s)
                    ],
                    inner,
                    0..8
                )
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A referral with any field replaced by any JSON value.
    fn arb_mutated_referral() -> impl Strategy<Value = serde_json::Value> {
        (arb_json(), 0usize..12, 0usize..8).prop_map(|(junk, field, parent_field)| {
            let mut v = sample();
            let top = [
                "referralId",
                "caseNumber",
                "court",
                "familyCourtAdviser",
                "referredOn",
                "completeBy",
                "safeguardingConcerns",
                "parents",
                "extra",
            ];
            let pf = ["parentRef", "firstName", "lastName", "email", "phone", "workshopMode", "interpreterLanguage", "adjustments"];
            if field < top.len() {
                v[top[field]] = junk;
            } else {
                v["parents"][0][pf[parent_field % pf.len()]] = junk;
            }
            v
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn no_bytes_make_decoding_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_referral(&json_headers(), &body, today());
        }

        #[test]
        fn no_json_makes_decoding_panic_and_refusals_are_4xx(v in arb_json()) {
            if let Err(p) = decode_referral(&json_headers(), &serde_json::to_vec(&v).unwrap(), today()) {
                prop_assert!((400..500).contains(&p.status));
            }
        }

        #[test]
        fn a_mutated_referral_is_taken_or_refused_with_named_fields(v in arb_mutated_referral()) {
            match decode_referral(&json_headers(), &serde_json::to_vec(&v).unwrap(), today()) {
                Ok(_) => {}
                Err(p) if p.code() == "validation-failed" || p.code() == "invalid-json" && !p.errors.is_empty() => {
                    prop_assert!(!p.errors.is_empty());
                }
                Err(p) => prop_assert!(matches!(p.code(), "not-eligible" | "invalid-json"), "{:?}", p),
            }
        }
    }
}
