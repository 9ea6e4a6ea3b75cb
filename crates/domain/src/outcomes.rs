//! What the ports answer: store outcomes and the records they carry between the use cases and
//! the adapters. Plain data; the traits that produce them are in `ports`.

use jiff::Timestamp;

use crate::{ParentId, ReferralId};

/// What a store or gateway failure means to the caller: try again, or give up.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    #[error("temporarily unavailable: {0}")]
    Retryable(String),
    #[error("failed: {0}")]
    Permanent(String),
}

/// The outcome of taking a referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    Created,
    /// The same referralId was taken before, with this content digest.
    AlreadyTaken {
        content_hash: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withdrawal {
    Withdrawn,
    AlreadyWithdrawn,
    NotFound,
    /// Completed or not completed: too late to withdraw.
    Closed,
}

/// The claim on sending one email: at most once per (parent, kind, subject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeClaim {
    /// Ours to send; `claim_id` proves it when marking sent or releasing.
    Claimed {
        claim_id: crate::ClaimId,
    },
    AlreadySent,
    /// Another delivery is sending it right now.
    InProgress,
}

/// A parent and what the welcome email needs about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentContact {
    pub parent_id: ParentId,
    pub first_name: String,
    pub email: crate::referral::EmailAddress,
    /// As given at referral (the welcome's text goes to it if it is a UK mobile).
    pub phone: Option<String>,
    pub withdrawn: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralContacts {
    pub referral_id: ReferralId,
    pub complete_by: jiff::civil::Date,
    pub withdrawn: bool,
    pub parents: Vec<ParentContact>,
}

/// What a booking attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingOutcome {
    Booked(crate::workshop::Booking),
    /// This parent already holds this very booking (a replay).
    AlreadyHeld(crate::workshop::Booking),
    Refused(crate::workshop::BookingRefusal),
    /// What the write was conditioned on changed since it was read (the workshop edited, the
    /// parent changed): read again and decide again.
    Stale,
}

/// A booked parent's copy of an edited workshop (their booking and where they sit in the
/// due-index), written with the edit, conditioned on the parent's `rev` as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingUpdate {
    pub parent_id: ParentId,
    pub rev: u64,
    pub booking: crate::workshop::Booking,
    pub due: Option<Timestamp>,
}

/// What an edit of a workshop came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOutcome {
    Edited,
    NotFound,
    /// Cancelled, or started.
    NotOpen,
    CapacityBelowSeatsTaken {
        seats_taken: u32,
    },
    /// The workshop, its seats or a booked parent changed since they were read: read again.
    Stale,
}

/// A parent the sweep found due, as the index holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueParent {
    pub parent_id: ParentId,
    pub case_number: String,
    pub state: crate::sweep::DueState,
    pub due_at: Timestamp,
    pub rev: u64,
}

/// One page of what is due. (What reading it cost is the store's to report, not the domain's.)
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DuePage<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last.
    pub next: Option<String>,
}

impl<T> DuePage<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> DuePage<U> {
        DuePage { items: self.items.into_iter().map(f).collect(), next: self.next }
    }
}

/// The sweep's change to one parent, applied only if nothing changed the parent since it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepChange {
    pub parent_id: ParentId,
    pub rev: u64,
    pub next_due: Option<Timestamp>,
    /// The court's date passed: mark the parent not completed (releasing a seat not yet used).
    pub not_completed: bool,
    pub release: Option<(crate::workshop::Booking, String)>,
    pub now: Timestamp,
}
