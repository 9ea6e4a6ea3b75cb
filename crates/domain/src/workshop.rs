//! Workshops and the rules for booking them (rules.md).

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Deserializer, Serialize};

use crate::referral::{EmailAddress, WorkshopMode};
use crate::FieldError;

mod edit;
pub use edit::{PreviousTrainer, WorkshopEdit, EDIT_FIELDS};

pub const MAX_CAPACITY: u32 = 6;
pub const DEFAULT_DURATION_MINUTES: i64 = 150;
/// Workshops are published at most this far ahead: every time computed from one is a real moment.
pub const MAX_YEARS_AHEAD: i64 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Online,
    InPerson,
}

impl Mode {
    /// A parent's preference `either` suits both.
    pub fn suits(self, preference: WorkshopMode) -> bool {
        matches!(
            (self, preference),
            (_, WorkshopMode::Either) | (Mode::Online, WorkshopMode::Online) | (Mode::InPerson, WorkshopMode::InPerson)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkshopStatus {
    Open,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trainer {
    pub name: String,
    pub email: EmailAddress,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workshop {
    pub workshop_id: crate::WorkshopId,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub duration_minutes: i64,
    pub mode: Mode,
    pub location: String,
    pub capacity: u32,
    pub language: String,
    /// Languages an interpreter is booked for (rules.md, "Offering workshops").
    #[serde(default)]
    pub interpreters: Vec<String>,
    pub trainer: Trainer,
    pub status: WorkshopStatus,
    pub seats_taken: u32,
    /// Bumped by each edit: the SEQUENCE of the calendar invitations sent for it.
    #[serde(default)]
    pub sequence: u32,
    /// The trainer an edit replaced (never shown: the consumer of that edit's event tells them).
    #[serde(skip)]
    pub previous_trainer: Option<PreviousTrainer>,
    /// The case numbers booked on it: a parent is never offered a co-parent's workshop.
    /// Never shown to anyone (case numbers are personal data).
    #[serde(skip)]
    pub booked_cases: Vec<String>,
}

impl Workshop {
    pub fn has_case(&self, case_number: &str) -> bool {
        self.booked_cases.iter().any(|c| c == case_number)
    }
    /// A seat on this workshop taken at `booked_at`: the parent's copy of what it is and when.
    pub fn booking(&self, booked_at: Timestamp) -> Booking {
        Booking {
            workshop_id: self.workshop_id.clone(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            mode: self.mode,
            location: self.location.clone(),
            booked_at,
        }
    }
    pub fn seats_left(&self) -> u32 {
        self.capacity.saturating_sub(self.seats_taken)
    }
    /// Open, in the future, with a seat free.
    pub fn bookable(&self, now: Timestamp) -> bool {
        self.status == WorkshopStatus::Open && self.starts_at > now && self.seats_left() > 0
    }
}

/// POST /workshops as it arrives.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkshopRequest {
    pub starts_at: Option<String>,
    #[serde(default, deserialize_with = "whole_number")]
    pub duration_minutes: Option<i64>,
    pub mode: Option<String>,
    pub location: Option<String>,
    #[serde(default, deserialize_with = "whole_number")]
    pub capacity: Option<i64>,
    pub language: Option<String>,
    pub trainer: Option<TrainerRequest>,
    pub interpreters: Option<Vec<String>>,
}

/// A whole number however it is written: JSON does not tell `3` from `3.0`, nor does JSON Schema's
/// `integer` (openapi.yaml), so both are 3. A fraction is the wrong type (400 invalid-json).
fn whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else { return Ok(None) };
    // Beyond 2^53 a float is no longer exact; no count here is anywhere near it.
    let whole = n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0).map(|f| f as i64));
    whole
        .map(Some)
        .ok_or_else(|| serde::de::Error::invalid_type(serde::de::Unexpected::Other(&format!("the number {n}")), &"a whole number"))
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TrainerRequest {
    pub name: Option<String>,
    pub email: Option<String>,
}

pub const WORKSHOP_FIELDS: &[&str] =
    &["startsAt", "durationMinutes", "mode", "location", "capacity", "language", "trainer", "interpreters"];

fn is_language_tag(tag: &str) -> bool {
    !tag.is_empty() && tag.len() <= 35 && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The languages an interpreter is booked for: language tags, each once, at most 10.
fn parse_interpreters(tags: Vec<String>, errors: &mut Vec<FieldError>) -> Option<Vec<String>> {
    if tags.len() > 10 || !tags.iter().all(|t| is_language_tag(t)) {
        errors.push(FieldError::new("interpreters", "must be at most 10 language tags such as pl or ar"));
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&t)) {
            out.push(t);
        }
    }
    Some(out)
}

impl Workshop {
    /// Parses a coordinator's request, naming every bad field.
    pub fn parse(req: WorkshopRequest, workshop_id: crate::WorkshopId, now: Timestamp) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let starts_at = match req.starts_at.as_deref() {
            None => {
                errors.push(FieldError::new("startsAt", "is required"));
                None
            }
            Some(t) => parse_starts_at(t, now, &mut errors),
        };
        let duration = req.duration_minutes.unwrap_or(DEFAULT_DURATION_MINUTES);
        check_duration(duration, &mut errors);
        let mode = match req.mode.as_deref() {
            Some("online") => Some(Mode::Online),
            Some("in_person") => Some(Mode::InPerson),
            None => {
                errors.push(FieldError::new("mode", "is required"));
                None
            }
            Some(_) => {
                errors.push(FieldError::new("mode", "must be online or in_person"));
                None
            }
        };
        let location = match req.location.as_deref() {
            Some(l) => parse_location(l, &mut errors),
            None => {
                errors.push(FieldError::new("location", "is required"));
                None
            }
        };
        let capacity = req.capacity.unwrap_or(MAX_CAPACITY as i64);
        check_capacity(capacity, &mut errors);
        let language = req.language.unwrap_or_else(|| "en".into());
        let interpreters = parse_interpreters(req.interpreters.unwrap_or_default(), &mut errors).unwrap_or_default();
        if !is_language_tag(&language) {
            errors.push(FieldError::new("language", "must be a language tag such as en or pl"));
        }
        let trainer = match req.trainer {
            None => {
                errors.push(FieldError::new("trainer", "is required"));
                None
            }
            Some(t) => parse_trainer(t, &mut errors),
        };
        match (starts_at, mode, location, trainer) {
            (Some(starts_at), Some(mode), Some(location), Some(trainer)) if errors.is_empty() => Ok(Self {
                workshop_id,
                starts_at,
                ends_at: starts_at + SignedDuration::from_mins(duration),
                duration_minutes: duration,
                mode,
                location,
                capacity: capacity as u32,
                language,
                interpreters,
                trainer,
                status: WorkshopStatus::Open,
                seats_taken: 0,
                sequence: 0,
                previous_trainer: None,
                booked_cases: Vec::new(),
            }),
            _ => Err(errors),
        }
    }
}

// One parser per field, shared by publishing and editing, each naming its own bad field.

fn parse_starts_at(t: &str, now: Timestamp, errors: &mut Vec<FieldError>) -> Option<Timestamp> {
    match t.parse::<Timestamp>() {
        Err(_) => {
            errors.push(FieldError::new("startsAt", "must be an RFC 3339 timestamp"));
            None
        }
        Ok(t) if t <= now => {
            errors.push(FieldError::new("startsAt", "must be in the future"));
            None
        }
        Ok(t) if t > now + SignedDuration::from_hours(24 * 366 * MAX_YEARS_AHEAD) => {
            errors.push(FieldError::new("startsAt", "must be within two years"));
            None
        }
        Ok(t) => Some(crate::clock::to_the_second(t)),
    }
}

fn check_duration(minutes: i64, errors: &mut Vec<FieldError>) {
    if !(15..=600).contains(&minutes) {
        errors.push(FieldError::new("durationMinutes", "must be 15 to 600 minutes"));
    }
}

fn parse_location(l: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    crate::text::line(l, 500).map_err(|m| errors.push(FieldError::new("location", m))).ok()
}

fn check_capacity(capacity: i64, errors: &mut Vec<FieldError>) {
    if !(1..=MAX_CAPACITY as i64).contains(&capacity) {
        errors.push(FieldError::new("capacity", "must be 1 to 6"));
    }
}

fn parse_trainer(t: TrainerRequest, errors: &mut Vec<FieldError>) -> Option<Trainer> {
    let name = match t.name.as_deref().map(|n| crate::text::line(n, 200)) {
        Some(Ok(n)) => Some(n),
        Some(Err(m)) => {
            errors.push(FieldError::new("trainer.name", m));
            None
        }
        None => {
            errors.push(FieldError::new("trainer.name", "is required"));
            None
        }
    };
    let email = match t.email.as_deref().map(EmailAddress::parse) {
        Some(Ok(e)) => Some(e),
        Some(Err(m)) => {
            errors.push(FieldError::new("trainer.email", m));
            None
        }
        None => {
            errors.push(FieldError::new("trainer.email", "is required"));
            None
        }
    };
    Some(Trainer { name: name?, email: email? })
}

/// Why a booking was refused: the 409 codes of api.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingRefusal {
    ElearningIncomplete,
    AlreadyBooked,
    WorkshopUnavailable,
    WorkshopFull,
    CoParentBooked,
    NotBooked,
}

impl BookingRefusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::ElearningIncomplete => "elearning-incomplete",
            Self::AlreadyBooked => "already-booked",
            Self::WorkshopUnavailable => "workshop-unavailable",
            Self::WorkshopFull => "workshop-full",
            Self::CoParentBooked => "co-parent-booked",
            Self::NotBooked => "not-booked",
        }
    }
}

/// A parent's booking, as kept on the parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    pub workshop_id: crate::WorkshopId,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub mode: Mode,
    pub location: String,
    pub booked_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-22T09:00:00Z".parse().unwrap()
    }

    #[test]
    fn either_suits_both_modes() {
        assert!(Mode::Online.suits(WorkshopMode::Either) && Mode::InPerson.suits(WorkshopMode::Either));
        assert!(!Mode::Online.suits(WorkshopMode::InPerson));
    }

    #[test]
    fn whole_numbers_are_whole_however_written() {
        let req: WorkshopRequest = serde_json::from_value(serde_json::json!({"capacity": 3.0, "durationMinutes": 120})).unwrap();
        assert_eq!((req.capacity, req.duration_minutes), (Some(3), Some(120)));
        let req: WorkshopRequest = serde_json::from_value(serde_json::json!({"capacity": null})).unwrap();
        assert_eq!(req.capacity, None);
        for bad in [serde_json::json!(2.5), serde_json::json!(1e300), serde_json::json!("3")] {
            let err = serde_json::from_value::<WorkshopRequest>(serde_json::json!({ "capacity": bad })).unwrap_err();
            assert!(err.to_string().starts_with("invalid type"), "{err}");
        }
    }

    #[test]
    fn a_workshop_request_is_parsed_with_defaults_and_every_bad_field_named() {
        let ok = Workshop::parse(
            WorkshopRequest {
                starts_at: Some("2026-12-01T10:00:00Z".into()),
                mode: Some("online".into()),
                location: Some("https://meet.example/x".into()),
                trainer: Some(TrainerRequest { name: Some("Tess Trainer".into()), email: Some("tess@pt4c.example".into()) }),
                ..Default::default()
            },
            crate::WorkshopId::parse("00000000-0000-4000-8000-000000000001").unwrap(),
            now(),
        )
        .unwrap();
        assert_eq!((ok.capacity, ok.duration_minutes, ok.language.as_str()), (6, 150, "en"));
        assert_eq!(ok.ends_at, "2026-12-01T12:30:00Z".parse().unwrap());
        let end_of_time = Workshop::parse(
            WorkshopRequest { starts_at: Some("9999-12-31T23:59:59Z".into()), location: Some("Room\u{0}1".into()), ..Default::default() },
            crate::WorkshopId::parse("00000000-0000-4000-8000-000000000003").unwrap(),
            now(),
        )
        .unwrap_err();
        let fields: Vec<_> = end_of_time.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(&fields[..2], ["startsAt", "mode"]);
        assert!(fields.contains(&"location"), "{fields:?}");
        let bad = Workshop::parse(
            WorkshopRequest {
                starts_at: Some("2026-11-01T10:00:00Z".into()),
                capacity: Some(7),
                mode: Some("boat".into()),
                ..Default::default()
            },
            crate::WorkshopId::parse("00000000-0000-4000-8000-000000000002").unwrap(),
            now(),
        )
        .unwrap_err();
        let fields: Vec<_> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["startsAt", "mode", "location", "capacity", "trainer"]);
    }
}
