//! The PT4C course's domain: referrals, parents, links and the course's timings.
//! Nothing here talks to AWS or does I/O; adapters implement the ports.

pub mod arrangements;
pub mod clock;
pub mod course;
pub mod delivery;
pub mod elearning;
pub mod events;
pub mod forecast;
pub mod ids;
pub mod link;
pub mod notice;
pub mod offering;
pub mod outcomes;
pub mod parent;
pub mod ports;
pub mod progress;
pub mod recovery;
pub mod referral;
pub mod reporting;
pub mod sms;
pub mod staff;
pub mod sweep;
pub mod text;
pub mod timings;
pub mod workshop;

pub use clock::{Clock, SystemClock};
pub use ids::{ClaimId, ConcernId, EventId, ModuleId, OfferId, ParentId, ParentRef, ReferralId, WorkshopId};
pub use parent::{BookingDecision, Change, ParentRecord};

/// One bad field of a request, named by its JSON path (`parents[1].email`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// The course's calendar: dates people see are dates in England.
pub const COURSE_TZ: &str = "Europe/London";

pub fn london() -> jiff::tz::TimeZone {
    // The bundled tz database always has Europe/London; failing here is a build defect.
    jiff::tz::TimeZone::get(COURSE_TZ).expect("tz database bundles Europe/London")
}

/// Today's date in England at `now`.
pub fn london_date(now: jiff::Timestamp) -> jiff::civil::Date {
    now.to_zoned(london()).date()
}
