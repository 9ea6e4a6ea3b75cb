//! A parent on the course as the stores hold them, and the transitions of their state: each
//! returns the change (new state, the event, the next due time) for a store to write.

use jiff::Timestamp;

use crate::course::{Attendance, FollowUpDue};
use crate::elearning::Catalogue;
use crate::events::{
    BookingCancelled, DomainEvent, ELearningCompleted, ParentActivated, WorkshopAttended, WorkshopBooked, WorkshopCancelled, WorkshopMissed,
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
    pub booking: Option<crate::workshop::Booking>,
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
}

impl ParentRecord {
    /// Withdrawn, or the referral is closed: nothing more is sent or changed.
    pub fn closed(&self) -> bool {
        use crate::progress::{ParentStatus, ReferralStatus};
        self.referral_status != ReferralStatus::Open
            || matches!(self.status, ParentStatus::Withdrawn | ParentStatus::Completed | ParentStatus::NotCompleted)
    }

    /// The parent once a booking is given back and they may book again.
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
        after.booking = Some(Booking {
            workshop_id: workshop.workshop_id.clone(),
            starts_at: workshop.starts_at,
            ends_at: workshop.ends_at,
            mode: workshop.mode,
            location: workshop.location.clone(),
            booked_at: now,
        });
        let event = DomainEvent::WorkshopBooked(WorkshopBooked {
            parent_id: self.parent_id.clone(),
            workshop_id: workshop.workshop_id.clone(),
            booked_at: now,
        });
        Ok(BookingDecision::Book(Box::new(self.change(after, event, now, t))))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::ReferralStatus;
    use crate::referral::{EmailAddress, WorkshopMode};
    use crate::workshop::{Mode, Trainer};
    use jiff::SignedDuration;

    fn now() -> Timestamp {
        "2027-01-11T09:00:00Z".parse().unwrap()
    }

    fn parent(status: ParentStatus) -> ParentRecord {
        ParentRecord {
            parent_id: crate::ParentId::parse("CAF-2026.000123.A").unwrap(),
            first_name: "Sam".into(),
            last_name: "Jones".into(),
            phone: None,
            email: EmailAddress::parse("sam@example.org").unwrap(),
            status,
            activated_at: None,
            complete_by: "2027-03-01".parse().unwrap(),
            referral_status: ReferralStatus::Open,
            modules: Default::default(),
            elearning_completed_at: None,
            case_number: "ZW26C00123".into(),
            workshop_mode: WorkshopMode::Either,
            booking: None,
            invited_at: now() - SignedDuration::from_hours(24 * 10),
            due_at: None,
            rev: 1,
            attended: None,
            last_workshop: None,
            completed_at: None,
        }
    }

    fn elearning_done() -> ParentRecord {
        let mut p = parent(ParentStatus::ElearningCompleted);
        p.elearning_completed_at = Some(now() - SignedDuration::from_hours(24));
        p
    }

    fn w1() -> WorkshopId {
        WorkshopId::parse("00000000-0000-4000-8000-000000000001").unwrap()
    }

    fn w2() -> WorkshopId {
        WorkshopId::parse("00000000-0000-4000-8000-000000000002").unwrap()
    }

    fn workshop(starts_in_hours: i64) -> Workshop {
        let starts_at = now() + SignedDuration::from_hours(starts_in_hours);
        Workshop {
            workshop_id: w1(),
            starts_at,
            ends_at: starts_at + SignedDuration::from_mins(150),
            duration_minutes: 150,
            mode: Mode::Online,
            location: "https://meet.example/abc".into(),
            capacity: 6,
            language: "en".into(),
            trainer: Trainer { name: "Alex Trainer".into(), email: EmailAddress::parse("alex@example.org").unwrap() },
            status: WorkshopStatus::Open,
            seats_taken: 0,
            booked_cases: vec![],
        }
    }

    #[test]
    fn an_invited_parent_is_activated_once_with_its_event() {
        let t = Timings::default();
        let change = parent(ParentStatus::Invited).activate(now(), &t).expect("an invited parent activates");
        assert_eq!(change.after.status, ParentStatus::Activated);
        assert_eq!(change.after.activated_at, Some(now()));
        assert!(matches!(change.event, DomainEvent::ParentActivated(ref e) if e.activated_at == now()));
        assert_eq!(change.after.activate(now(), &t), None, "a second activation changes nothing");
    }

    #[test]
    fn a_withdrawn_parent_is_never_activated() {
        let mut p = parent(ParentStatus::Invited);
        p.referral_status = ReferralStatus::Withdrawn;
        assert_eq!(p.activate(now(), &Timings::default()), None);
    }

    #[test]
    fn the_elearning_completes_at_the_time_of_the_last_module() {
        let catalogue = Catalogue::default();
        let mut p = parent(ParentStatus::ElearningStarted);
        let ids: Vec<_> = catalogue.modules.iter().map(|m| m.module_id.clone()).collect();
        for (i, id) in ids.iter().enumerate().skip(1) {
            p.modules.insert(id.clone(), now() - SignedDuration::from_mins(60 - i as i64));
        }
        assert_eq!(p.complete_elearning(&catalogue, now(), &Timings::default()), None, "one module is still to do");
        let last = now() - SignedDuration::from_mins(5);
        p.modules.insert(ids[0].clone(), last);
        let change = p.complete_elearning(&catalogue, now(), &Timings::default()).expect("every module done");
        assert_eq!(change.after.elearning_completed_at, Some(last));
        assert_eq!(change.after.status, ParentStatus::ElearningCompleted);
        assert_eq!(change.after.complete_elearning(&catalogue, now(), &Timings::default()), None, "completed once");
    }

    #[test]
    fn a_parent_books_only_after_the_elearning() {
        let t = Timings::default();
        assert_eq!(parent(ParentStatus::Activated).book(&workshop(48), now(), &t), Err(BookingRefusal::ElearningIncomplete));
        let Ok(BookingDecision::Book(change)) = elearning_done().book(&workshop(48), now(), &t) else { panic!("bookable") };
        assert_eq!(change.after.status, ParentStatus::WorkshopBooked);
        assert_eq!(change.after.booking.as_ref().map(|b| b.workshop_id.clone()), Some(w1()));
        assert!(matches!(change.event, DomainEvent::WorkshopBooked(_)));
    }

    #[test]
    fn booking_the_same_workshop_again_is_a_replay_and_another_is_refused() {
        let t = Timings::default();
        let Ok(BookingDecision::Book(change)) = elearning_done().book(&workshop(48), now(), &t) else { panic!("bookable") };
        let booked = change.after;
        assert!(matches!(booked.book(&workshop(48), now(), &t), Ok(BookingDecision::Held(_))));
        let mut other = workshop(72);
        other.workshop_id = w2();
        assert_eq!(booked.book(&other, now(), &t), Err(BookingRefusal::AlreadyBooked));
    }

    #[test]
    fn a_started_cancelled_or_unsuitable_workshop_is_unavailable() {
        let t = Timings::default();
        let p = elearning_done();
        assert_eq!(p.book(&workshop(0), now(), &t), Err(BookingRefusal::WorkshopUnavailable), "starting now");
        let mut cancelled = workshop(48);
        cancelled.status = WorkshopStatus::Cancelled;
        assert_eq!(p.book(&cancelled, now(), &t), Err(BookingRefusal::WorkshopUnavailable));
        let mut in_person_only = p.clone();
        in_person_only.workshop_mode = WorkshopMode::InPerson;
        assert_eq!(in_person_only.book(&workshop(48), now(), &t), Err(BookingRefusal::WorkshopUnavailable));
    }

    #[test]
    fn a_booking_is_cancelled_until_the_workshop_starts_and_the_parent_may_book_again() {
        let t = Timings::default();
        let Ok(BookingDecision::Book(change)) = elearning_done().book(&workshop(48), now(), &t) else { panic!("bookable") };
        let cancelled = change.after.cancel_booking(now(), &t).expect("cancellable before the start");
        assert_eq!(cancelled.after.status, ParentStatus::ElearningCompleted);
        assert_eq!(cancelled.after.booking, None);
        assert_eq!(change.after.cancel_booking(now() + SignedDuration::from_hours(48), &t), Err(BookingRefusal::WorkshopUnavailable));
        assert_eq!(elearning_done().cancel_booking(now(), &t), Err(BookingRefusal::NotBooked));
    }

    #[test]
    fn a_cancelled_workshop_releases_only_the_parents_booked_on_it() {
        let t = Timings::default();
        let Ok(BookingDecision::Book(change)) = elearning_done().book(&workshop(48), now(), &t) else { panic!("bookable") };
        let released = change.after.release_from_cancelled(&w1(), now(), &t).expect("booked there");
        assert_eq!(released.after.booking, None);
        assert!(matches!(released.event, DomainEvent::WorkshopCancelled(ref e) if e.parent_ids == vec![change.after.parent_id.clone()]));
        assert_eq!(change.after.release_from_cancelled(&w2(), now(), &t), None);
    }

    #[test]
    fn attending_completes_with_a_follow_up_and_missing_gives_the_booking_back() {
        let t = Timings::default();
        let w = workshop(48);
        let Ok(BookingDecision::Book(change)) = elearning_done().book(&w, now(), &t) else { panic!("bookable") };
        let booked = change.after;
        assert_eq!(booked.attend(&w, true, now(), &t), Err(BookingRefusal::WorkshopUnavailable), "not started yet");
        let after_end = w.ends_at + SignedDuration::from_hours(1);
        let (attended, event) = booked.attend(&w, true, after_end, &t).expect("recordable after the start");
        assert_eq!(attended.completed_at, Some(w.ends_at));
        assert_eq!(attended.follow_up.map(|f| f.due_by), Some(w.starts_at + t.follow_up));
        assert!(matches!(event, DomainEvent::WorkshopAttended(_)));
        let (missed, event) = booked.attend(&w, false, after_end, &t).expect("recordable");
        assert_eq!(missed.completed_at, None);
        assert!(missed.due.is_some(), "a parent who missed it is reminded to book again");
        assert!(matches!(event, DomainEvent::WorkshopMissed(_)));
    }
}
