//! A parent on the course as the stores hold them, and the transitions of their state: each
//! returns the change (new state, the event, the next due time) for a store to write.

use jiff::Timestamp;

use crate::course::{Attendance, FollowUpDue};
use crate::elearning::Catalogue;
use crate::events::{
    BookingCancelled, BookingMoved, DomainEvent, ELearningCompleted, ParentActivated, WorkshopAttended, WorkshopBooked, WorkshopCancelled,
    WorkshopMissed,
};
use crate::progress::ParentStatus;
use crate::timings::Timings;
use crate::workshop::{Booking, BookingRefusal, Workshop, WorkshopStatus};
use crate::{ParentId, WorkshopId};

/// A parent as the Parent Hub and the e-learning provider see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentRecord {
    pub parent_id: ParentId,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub email: crate::referral::EmailAddress,
    pub status: crate::progress::ParentStatus,
    pub activated_at: Option<Timestamp>,
    pub complete_by: jiff::civil::Date,
    pub referral_status: crate::progress::ReferralStatus,
    /// Each module's first completion time.
    pub modules: std::collections::BTreeMap<crate::ModuleId, Timestamp>,
    pub elearning_completed_at: Option<Timestamp>,
    pub case_number: String,
    pub workshop_mode: crate::referral::WorkshopMode,
    /// A language an interpreter is needed for (offered workshops in it, or with an interpreter for it).
    pub interpreter_language: Option<String>,
    /// Adjustments the parent asked for (the coordinator arranges them before the workshop).
    pub adjustments: Option<String>,
    pub booking: Option<crate::workshop::Booking>,
    /// On the waiting list (rules.md, "Waiting list").
    pub waiting: Option<crate::offering::WaitingPlace>,
    /// A seat held for them from the waiting list.
    pub offer: Option<crate::offering::HeldOffer>,
    /// When the referral was received and the welcome sent.
    pub invited_at: Timestamp,
    /// Where the parent sits in the due-index (`None`: nothing more can be owed).
    pub due_at: Option<Timestamp>,
    /// Bumped by every change that moves `due_at`, so a sweep never overwrites a newer change.
    pub rev: u64,
    /// The trainer's record for the last workshop booked (`booking` for one attended, `last_workshop` for one missed).
    pub attended: Option<bool>,
    pub last_workshop: Option<crate::workshop::Booking>,
    pub completed_at: Option<Timestamp>,
    /// The address on file failed (a permanent bounce or a complaint): nothing more is emailed
    /// to it until a coordinator corrects it.
    pub unreachable: Option<crate::delivery::Unreachable>,
}

impl ParentRecord {
    /// Withdrawn, or the referral is closed: nothing more is sent or changed.
    pub fn closed(&self) -> bool {
        use crate::progress::{ParentStatus, ReferralStatus};
        self.referral_status != ReferralStatus::Open
            || matches!(self.status, ParentStatus::Withdrawn | ParentStatus::Completed | ParentStatus::NotCompleted)
    }

    /// The parent once a booking is given back and they may book again.
    /// What a workshop must suit to be offered to this parent.
    pub fn needs(&self) -> crate::offering::Needs {
        crate::offering::Needs {
            workshop_mode: self.workshop_mode,
            interpreter_language: self.interpreter_language.clone(),
            case_number: self.case_number.clone(),
        }
    }

    pub fn released(&self) -> ParentRecord {
        let mut after = self.clone();
        after.booking = None;
        after.status = crate::progress::ParentStatus::ElearningCompleted;
        after
    }

    pub fn due_state(&self) -> crate::sweep::DueState {
        crate::sweep::DueState {
            status: if self.referral_status == crate::progress::ReferralStatus::Withdrawn {
                crate::progress::ParentStatus::Withdrawn
            } else {
                self.status
            },
            invited_at: self.invited_at,
            complete_by: self.complete_by,
            elearning_completed_at: self.elearning_completed_at,
            booking: self.booking.clone(),
        }
    }

    /// Where this parent (already changed to its new state) belongs in the due-index after a
    /// change at `now`: reminders still owed from before stay owed; ones the change made moot go.
    pub fn due_after_change(&self, now: Timestamp, t: &crate::timings::Timings) -> Option<Timestamp> {
        let from = self.due_at.map_or(now, |d| std::cmp::min(d, now));
        self.due_state().next_due(from, t)
    }

    pub fn elearning(&self) -> crate::progress::ElearningProgress {
        let mut modules: Vec<_> =
            self.modules.iter().map(|(id, at)| crate::progress::ModuleCompletion { module_id: id.clone(), completed_at: *at }).collect();
        modules.sort_by(|a, b| a.completed_at.cmp(&b.completed_at).then(a.module_id.cmp(&b.module_id)));
        crate::progress::ElearningProgress { modules, completed_at: self.elearning_completed_at }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleRecording {
    Recorded,
    AlreadyRecorded,
    NoParent,
    /// The completion time is before the parent was invited: not a fact, nothing stored.
    BeforeInvitation,
}

/// One change to a parent: their state after it, the event that reports it, and where they sit
/// in the due-index afterwards. A store writes all three in one transaction, or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub after: ParentRecord,
    pub event: DomainEvent,
    pub due: Option<Timestamp>,
}

/// What a parent's request to book a workshop comes to, before any store is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingDecision {
    /// Take the seat (the store's transaction re-checks seats, the co-parent rule and the parent).
    Book(Box<Change>),
    /// The parent already holds this very booking: a replay, nothing to write.
    Held(Booking),
}

/// What moving a parent's booking to another workshop comes to, before any store is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveDecision {
    /// No booking to move: a booking like any other.
    Book,
    /// Already on that workshop: nothing to write.
    Held(Booking),
    /// Give `from` back and take the seat (the store's one transaction re-checks both).
    Move { from: Booking, change: Box<Change> },
}

impl ParentRecord {
    fn change(&self, after: ParentRecord, event: DomainEvent, now: Timestamp, t: &Timings) -> Change {
        let due = after.due_after_change(now, t);
        Change { after, event, due }
    }

    /// The parent sets up their Parent Hub account: `invited` → `activated`, once.
    /// `None`: nothing to change (already set up, or off the course).
    pub fn activate(&self, now: Timestamp, t: &Timings) -> Option<Change> {
        if self.status != ParentStatus::Invited || self.closed() {
            return None;
        }
        let mut after = self.clone();
        after.status = ParentStatus::Activated;
        after.activated_at = Some(now);
        let event = DomainEvent::ParentActivated(ParentActivated { parent_id: self.parent_id.clone(), activated_at: now });
        Some(self.change(after, event, now, t))
    }

    /// A first module moves a parent who had not started to `elearning_started`.
    pub fn starts_elearning(&self) -> bool {
        matches!(self.status, ParentStatus::Invited | ParentStatus::Activated)
    }

    /// The e-learning is complete once every module of the catalogue is, at the time of the last
    /// one. `None`: a module is still to do, or it was completed before.
    pub fn complete_elearning(&self, catalogue: &Catalogue, now: Timestamp, t: &Timings) -> Option<Change> {
        if self.elearning_completed_at.is_some() || !catalogue.complete(|id| self.modules.contains_key(id)) {
            return None;
        }
        let at = self.modules.values().copied().max()?;
        let mut after = self.clone();
        after.status = ParentStatus::ElearningCompleted;
        after.elearning_completed_at = Some(at);
        let event = DomainEvent::ELearningCompleted(ELearningCompleted { parent_id: self.parent_id.clone(), completed_at: at });
        Some(self.change(after, event, now, t))
    }

    /// Whether this parent may book `workshop_id`, from their own state alone (no workshop read
    /// yet): `Some` booking when they already hold this very one (a replay).
    pub fn may_book(&self, workshop_id: &WorkshopId) -> Result<Option<Booking>, BookingRefusal> {
        if self.closed() {
            return Err(BookingRefusal::WorkshopUnavailable);
        }
        if self.elearning_completed_at.is_none() {
            return Err(BookingRefusal::ElearningIncomplete);
        }
        match &self.booking {
            Some(b) if &b.workshop_id == workshop_id => Ok(Some(b.clone())),
            Some(_) => Err(BookingRefusal::AlreadyBooked),
            None => Ok(None),
        }
    }

    /// A seat on `workshop` for this parent, if the course's rules allow it from what this parent
    /// and this workshop are now. Seats left and the co-parent rule are the store's conditions.
    pub fn book(&self, workshop: &Workshop, now: Timestamp, t: &Timings) -> Result<BookingDecision, BookingRefusal> {
        if let Some(held) = self.may_book(&workshop.workshop_id)? {
            return Ok(BookingDecision::Held(held));
        }
        if !workshop.mode.suits(self.workshop_mode) || workshop.status != WorkshopStatus::Open || workshop.starts_at <= now {
            return Err(BookingRefusal::WorkshopUnavailable);
        }
        let mut after = self.clone();
        after.status = ParentStatus::WorkshopBooked;
        after.booking = Some(workshop.booking(now));
        let event = DomainEvent::WorkshopBooked(WorkshopBooked {
            parent_id: self.parent_id.clone(),
            workshop_id: workshop.workshop_id.clone(),
            booked_at: now,
        });
        Ok(BookingDecision::Book(Box::new(self.change(after, event, now, t))))
    }

    /// A coordinator moves this parent's booking to `to`: the rules of a booking for the new seat,
    /// and of a cancellation for the old one (only until the old workshop starts).
    pub fn move_to(&self, to: &Workshop, now: Timestamp, t: &Timings) -> Result<MoveDecision, BookingRefusal> {
        let Some(from) = self.booking.clone() else {
            return self.may_book(&to.workshop_id).map(|_| MoveDecision::Book);
        };
        if self.closed() {
            return Err(BookingRefusal::WorkshopUnavailable);
        }
        if from.workshop_id == to.workshop_id {
            return Ok(MoveDecision::Held(from));
        }
        if self.status != ParentStatus::WorkshopBooked || from.starts_at <= now {
            return Err(BookingRefusal::WorkshopUnavailable);
        }
        // The booking rules from the parent's side, as if the old booking were given back first.
        let released = self.released();
        let BookingDecision::Book(booked) = released.book(to, now, t)? else {
            return Err(BookingRefusal::WorkshopUnavailable);
        };
        let event = DomainEvent::BookingMoved(BookingMoved {
            parent_id: self.parent_id.clone(),
            from_workshop_id: from.workshop_id.clone(),
            to_workshop_id: to.workshop_id.clone(),
            moved_at: now,
        });
        let change = self.change(booked.after, event, now, t);
        Ok(MoveDecision::Move { from, change: Box::new(change) })
    }

    /// The parent cancels their booking, until the workshop starts; they may book again.
    pub fn cancel_booking(&self, now: Timestamp, t: &Timings) -> Result<Change, BookingRefusal> {
        let Some(booking) = &self.booking else { return Err(BookingRefusal::NotBooked) };
        if booking.starts_at <= now {
            return Err(BookingRefusal::WorkshopUnavailable);
        }
        let event = DomainEvent::BookingCancelled(BookingCancelled {
            parent_id: self.parent_id.clone(),
            workshop_id: booking.workshop_id.clone(),
            cancelled_at: now,
        });
        Ok(self.change(self.released(), event, now, t))
    }

    /// The workshop this parent is booked on was cancelled: the seat goes back, with the event
    /// that tells this parent. `None`: they hold no booking there (released before, or recorded
    /// at the workshop already).
    pub fn release_from_cancelled(&self, workshop_id: &WorkshopId, now: Timestamp, t: &Timings) -> Option<Change> {
        let held_here = self.status == ParentStatus::WorkshopBooked && self.booking.as_ref().is_some_and(|b| &b.workshop_id == workshop_id);
        if !held_here {
            return None;
        }
        let event = DomainEvent::WorkshopCancelled(WorkshopCancelled {
            workshop_id: workshop_id.clone(),
            parent_ids: vec![self.parent_id.clone()],
            cancelled_at: now,
        });
        Some(self.change(self.released(), event, now, t))
    }

    /// The trainer's record of this parent at `workshop`. Attended: the parent completes (at the
    /// end of the workshop, or now if recorded early) and a follow-up call is owed. Absent: the
    /// booking becomes their last workshop and they may book again. The store checks the booking.
    pub fn attend(
        &self,
        workshop: &Workshop,
        attended: bool,
        now: Timestamp,
        t: &Timings,
    ) -> Result<(Attendance, DomainEvent), BookingRefusal> {
        if workshop.status != WorkshopStatus::Open || workshop.starts_at > now {
            return Err(BookingRefusal::WorkshopUnavailable);
        }
        let workshop_id = workshop.workshop_id.clone();
        if attended {
            let completed_at = std::cmp::min(workshop.ends_at, now);
            let due_by = workshop.starts_at + t.follow_up;
            let attendance = Attendance {
                workshop_id: workshop_id.clone(),
                attended,
                recorded_at: now,
                completed_at: Some(completed_at),
                follow_up: Some(FollowUpDue {
                    parent_id: self.parent_id.clone(),
                    workshop_id: workshop_id.clone(),
                    due_by,
                    name: format!("{} {}", self.first_name, self.last_name),
                    phone: self.phone.clone(),
                }),
                due: None,
            };
            let event = DomainEvent::WorkshopAttended(WorkshopAttended {
                parent_id: self.parent_id.clone(),
                workshop_id,
                completed_at,
                follow_up_due_by: due_by,
            });
            return Ok((attendance, event));
        }
        let mut after = self.clone();
        after.status = ParentStatus::DidNotAttend;
        after.last_workshop = after.booking.take();
        let attendance = Attendance {
            workshop_id: workshop_id.clone(),
            attended,
            recorded_at: now,
            completed_at: None,
            follow_up: None,
            due: after.due_after_change(now, t),
        };
        let event = DomainEvent::WorkshopMissed(WorkshopMissed { parent_id: self.parent_id.clone(), workshop_id, recorded_at: now });
        Ok((attendance, event))
    }
}

impl crate::progress::ParentProgress {
    /// How a parent's progress reads in the record Cafcass sees, from what every store holds: the
    /// parent, the emails sent to them (oldest first) and their follow-up call. One rule for every
    /// store: invited when the welcome was sent; a workshop missed reads `attended: false`.
    pub fn of(p: &ParentRecord, sent: Vec<crate::progress::NoticeSent>, follow_up: Option<crate::progress::FollowUp>) -> Self {
        use crate::notice::NoticeKind;
        use crate::workshop::Mode;
        let invited_at = sent.iter().find(|n| n.kind == NoticeKind::Welcome).map(|n| n.sent_at);
        Self {
            parent_id: p.parent_id.clone(),
            parent_ref: p.parent_id.parent_ref().clone(),
            status: p.status,
            invited_at,
            activated_at: p.activated_at,
            elearning: p.elearning(),
            workshop: p.booking.as_ref().or(p.last_workshop.as_ref()).map(|b| crate::progress::WorkshopAttendance {
                workshop_id: b.workshop_id.clone(),
                starts_at: b.starts_at,
                ends_at: b.ends_at,
                mode: match b.mode {
                    Mode::Online => "online".into(),
                    Mode::InPerson => "in_person".into(),
                },
                attended: if p.booking.is_some() { p.attended.filter(|a| *a) } else { Some(false) },
            }),
            completed_at: p.completed_at,
            follow_up,
            notices: sent,
            reachable: p.unreachable.is_none(),
        }
    }
}

mod waiting;
pub use waiting::{AcceptDecision, OfferRefusal, OfferRelease, WaitingRefusal};

#[cfg(test)]
mod tests;
