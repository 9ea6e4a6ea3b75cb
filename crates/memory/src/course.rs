//! Attendance, the closing of referrals, follow-up calls and concerns.

use std::collections::BTreeMap;

use jiff::Timestamp;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::ports::{
    Attendance, AttendanceOutcome, CaseFile, Concern, CourseStore, FollowUpEntry, FollowUpList, FollowUpOutcome, FollowUpRecording,
    ParentRecord, PortError,
};
use pt4c_domain::progress::{ParentStatus, ReferralStatus};
use pt4c_domain::sweep::referral_outcome;
use pt4c_domain::workshop::Booking;
use pt4c_domain::{ParentId, ReferralId};

use crate::referral::progress_of;
use crate::state::{due_key, FollowUpRec, FollowUpState, Mark, State};
use crate::{MemoryStore, Op};

/// Follow-ups in one state of the due-index, in the index's order.
fn listed(s: &State, state: FollowUpState, keep: impl Fn(&FollowUpRec) -> bool) -> Vec<FollowUpEntry> {
    let mut found: Vec<&FollowUpRec> = s.follow_ups.values().filter(|f| f.state == state && keep(f)).collect();
    found.sort_by_key(|f| (f.due_at, f.entry.parent_id.to_string()));
    found.into_iter().map(|f| f.entry.clone()).collect()
}

impl CourseStore for MemoryStore {
    async fn record_attendance(&self, parent: &ParentRecord, a: &Attendance, event: &OutboxEvent) -> Result<AttendanceOutcome, PortError> {
        self.run(Op::RecordAttendance, |s| {
            let pid = &parent.parent_id;
            let current = s.parents.get(pid);
            let on_this = |b: &Option<Booking>| b.as_ref().is_some_and(|b| b.workshop_id == a.workshop_id);
            let booked = current.is_some_and(|p| on_this(&p.booking) && p.status == ParentStatus::WorkshopBooked);
            let follow_up_free = !(a.attended && a.follow_up.is_some() && s.follow_ups.contains_key(pid));
            let closing = !a.attended || s.can_mark_closing(pid.referral_id());
            let place = (a.workshop_id.clone(), parent.case_number.clone());
            let roster = s.roster.get(&place).is_some_and(|r| &r.parent_id == pid);
            if !(booked && follow_up_free && closing && roster) {
                // Decided; the parent as it is now only says why.
                let Some(now) = current else { return Ok(AttendanceOutcome::NotBooked) };
                return Ok(match (now.status, a.attended) {
                    (ParentStatus::Completed, true) if on_this(&now.booking) => AttendanceOutcome::AlreadyRecorded,
                    (ParentStatus::DidNotAttend, false) if on_this(&now.last_workshop) => AttendanceOutcome::AlreadyRecorded,
                    (ParentStatus::Completed, false) if on_this(&now.booking) => AttendanceOutcome::Conflict,
                    (ParentStatus::DidNotAttend, true) if on_this(&now.last_workshop) => AttendanceOutcome::Conflict,
                    (status @ (ParentStatus::NotCompleted | ParentStatus::Withdrawn), _) => AttendanceOutcome::ParentClosed(status),
                    // Booked again since: the roster place at this workshop still holds the record.
                    _ => match s.roster.get(&place).filter(|r| &r.parent_id == pid).and_then(|r| r.attended) {
                        Some(recorded) if recorded == a.attended => AttendanceOutcome::AlreadyRecorded,
                        Some(_) => AttendanceOutcome::Conflict,
                        None => AttendanceOutcome::NotBooked,
                    },
                });
            }
            if let Some(p) = s.parents.get_mut(pid) {
                if a.attended {
                    p.status = ParentStatus::Completed;
                    p.completed_at = Some(a.completed_at.unwrap_or(a.recorded_at));
                    p.attended = Some(true);
                } else {
                    p.status = ParentStatus::DidNotAttend;
                    p.last_workshop = p.booking.take();
                    p.attended = Some(false);
                }
                p.moved(a.due);
            }
            if a.attended {
                if let Some(f) = &a.follow_up {
                    let entry = FollowUpEntry {
                        parent_id: pid.clone(),
                        referral_id: pid.referral_id().clone(),
                        name: f.name.clone(),
                        phone: f.phone.clone(),
                        workshop_id: f.workshop_id.clone(),
                        due_by: f.due_by,
                        completed_at: None,
                        outcome: None,
                        notes: None,
                    };
                    s.follow_ups.insert(pid.clone(), FollowUpRec { entry, state: FollowUpState::Due, due_at: due_key(f.due_by) });
                }
                s.mark_closing(pid.referral_id(), a.recorded_at);
            }
            if let Some(r) = s.roster.get_mut(&place) {
                r.attended = Some(a.attended);
            }
            s.put_event(event);
            Ok(AttendanceOutcome::Recorded)
        })
    }

    async fn close_referral_if_done(
        &self,
        id: &ReferralId,
        _now: Timestamp,
        erase_at: Timestamp,
        completed_event: impl Fn(Vec<ParentId>) -> OutboxEvent + Send,
    ) -> Result<Option<(ReferralStatus, Option<OutboxEvent>)>, PortError> {
        self.run(Op::CloseReferralIfDone, |s| {
            let Some(referral) = s.referrals.get(id) else { return Ok(None) };
            let statuses: Vec<ParentStatus> = s.parents.values().filter(|p| p.parent_id.referral_id() == id).map(|p| p.status).collect();
            let (ReferralStatus::Open, Some(outcome)) = (referral.status, referral_outcome(&statuses)) else {
                // Closed already, or a parent still on the course (whose own closing will come back here).
                if let Some(r) = s.referrals.get_mut(id).filter(|r| matches!(r.mark, Some((Mark::Closing, _)))) {
                    r.mark = None;
                }
                return Ok(None);
            };
            let event = (outcome == ReferralStatus::Completed)
                .then(|| completed_event(referral.parent_refs.iter().map(|r| ParentId::new(id.clone(), r.clone())).collect()));
            if let Some(r) = s.referrals.get_mut(id) {
                r.status = outcome;
                r.mark = Some((Mark::Erase, due_key(erase_at)));
            }
            if let Some(e) = &event {
                s.put_event(e);
            }
            Ok(Some((outcome, event)))
        })
    }

    async fn follow_ups(&self, list: FollowUpList, now: Timestamp) -> Result<Vec<FollowUpEntry>, PortError> {
        self.run(Op::FollowUps, |s| {
            let now = due_key(now);
            Ok(match list {
                FollowUpList::Due => listed(s, FollowUpState::Due, |f| f.due_at >= now),
                FollowUpList::Overdue => {
                    let mut late = listed(s, FollowUpState::Due, |f| f.due_at < now);
                    late.extend(listed(s, FollowUpState::Late, |_| true));
                    late.sort_by_key(|f| f.due_by);
                    late
                }
                FollowUpList::Done => {
                    let mut done = listed(s, FollowUpState::Done, |_| true);
                    done.reverse();
                    done
                }
            })
        })
    }

    async fn record_follow_up(
        &self,
        parent: &ParentId,
        outcome: FollowUpOutcome,
        notes: Option<&str>,
        now: Timestamp,
    ) -> Result<FollowUpRecording, PortError> {
        self.run(Op::RecordFollowUp, |s| {
            let Some(f) = s.follow_ups.get_mut(parent) else { return Ok(FollowUpRecording::NotFound) };
            if f.entry.outcome.is_some() {
                return Ok(if f.entry.outcome == Some(outcome) && f.entry.notes.as_deref() == notes {
                    FollowUpRecording::AlreadyRecorded(f.entry.clone())
                } else {
                    FollowUpRecording::Conflict
                });
            }
            // Any call not yet recorded takes its outcome, even one dropped by a withdrawal.
            f.state = FollowUpState::Done;
            f.due_at = due_key(now);
            f.entry.completed_at = Some(now);
            f.entry.outcome = Some(outcome);
            if let Some(n) = notes {
                f.entry.notes = Some(n.to_owned());
            }
            Ok(FollowUpRecording::Recorded(f.entry.clone()))
        })
    }

    async fn raise_concern(&self, concern: &Concern, event: &OutboxEvent) -> Result<bool, PortError> {
        self.run(Op::RaiseConcern, |s| {
            let key = (concern.parent_id.clone(), concern.concern_id.clone());
            if s.concerns.contains_key(&key) {
                return Ok(false);
            }
            s.concerns.insert(key, concern.clone());
            s.put_event(event);
            Ok(true)
        })
    }

    async fn case_file(&self, id: &ReferralId) -> Result<Option<CaseFile>, PortError> {
        self.run(Op::CaseFile, |s| {
            let (Some(referral), Some(record)) = (s.referrals.get(id), progress_of(s, id)) else { return Ok(None) };
            let names: BTreeMap<ParentId, String> = s
                .parents
                .values()
                .filter(|p| p.parent_id.referral_id() == id)
                .map(|p| (p.parent_id.clone(), format!("{} {}", p.details.first_name, p.details.last_name)))
                .collect();
            Ok(Some(CaseFile {
                case_number: referral.case_number.clone(),
                court: referral.court.clone(),
                family_court_adviser: referral.family_court_adviser.clone(),
                record,
                names,
            }))
        })
    }

    async fn concern(&self, parent: &ParentId, concern_id: &pt4c_domain::ConcernId) -> Result<Option<Concern>, PortError> {
        self.run(Op::Concern, |s| Ok(s.concerns.get(&(parent.clone(), concern_id.to_owned())).cloned()))
    }
}
