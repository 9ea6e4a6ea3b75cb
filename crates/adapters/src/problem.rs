//! RFC 9457 problem details: the one shape every HTTP error takes.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use pt4c_domain::workshop::BookingRefusal;
use pt4c_domain::FieldError;
use serde::Serialize;

pub const PROBLEM_BASE: &str = "https://hub.pt4c.example/problems/";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("{PROBLEM_BASE}{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn code(&self) -> &str {
        self.kind.rsplit('/').next().unwrap_or("")
    }

    pub fn invalid_json(detail: impl Into<String>, errors: Vec<FieldError>) -> Self {
        Self { errors, ..Self::new(StatusCode::BAD_REQUEST, "invalid-json", "The body is not valid JSON for this request", detail) }
    }
    pub fn too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", "The body is too large", "The body must be at most 64 KiB.")
    }
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported content type",
            "Send the body as application/json.",
        )
    }
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation-failed",
                "Some fields are not valid",
                "See errors for each field to correct.",
            )
        }
    }
    pub fn not_eligible() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not-eligible",
            "Not eligible for the course",
            "The course is only for cases with no current safeguarding concerns; nothing was stored.",
        )
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", format!("No such {what}."))
    }
    pub fn conflict(code: &str, title: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, title, detail)
    }
    /// Internals are logged by the caller, never sent.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal-error",
            "Something went wrong",
            "The request could not be completed; nothing was changed. Please try again.",
        )
    }
    pub fn unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Temporarily unavailable", "Please try again shortly.")
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        (status, [(header::CONTENT_TYPE, "application/problem+json")], body).into_response()
    }
}

/// A rule of the course, in the words the person refused reads (the domain names it by code).
pub fn explanation(r: BookingRefusal) -> &'static str {
    match r {
        BookingRefusal::ElearningIncomplete => "You can book a workshop once you have finished the e-learning.",
        BookingRefusal::AlreadyBooked => "You already have a workshop booked. Cancel it first to choose another.",
        BookingRefusal::WorkshopUnavailable => "That workshop is not available to book. Choose another.",
        BookingRefusal::WorkshopFull => "That workshop has just filled up. Choose another.",
        BookingRefusal::CoParentBooked => "That workshop is not available to you. Choose another.",
        BookingRefusal::NotBooked => "You have no workshop booked.",
    }
}

/// A rule of the course refused the request: 409 with the rule's code.
pub fn refusal(r: BookingRefusal) -> Problem {
    Problem::conflict(r.code(), "Refused", explanation(r))
}
