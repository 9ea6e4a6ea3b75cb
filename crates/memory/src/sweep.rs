//! The sweep's reads of the due-index and its writes; erasure.

use jiff::Timestamp;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::ports::{DuePage, DueParent, FollowUpEntry, PortError, SweepChange, SweepStore};
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::referral::surname_key;
use pt4c_domain::WorkshopId;
use pt4c_domain::{ParentId, ReferralId};

use crate::state::{due_by, page_of, FollowUpState, Mark, State};
use crate::{MemoryStore, Op};

/// Referrals under one mark of the due-index, due at or before `now`.
fn marked(s: &State, mark: Mark, now: Timestamp) -> Vec<(Timestamp, String, ReferralId)> {
    s.referrals
        .values()
        .filter_map(|r| {
            r.mark.filter(|(m, at)| *m == mark && due_by(*at, now)).map(|(_, at)| (at, r.referral_id.to_string(), r.referral_id.clone()))
        })
        .collect()
}

impl SweepStore for MemoryStore {
    async fn due_parents(&self, now: Timestamp, page: Option<String>) -> Result<DuePage<DueParent>, PortError> {
        self.run(Op::DueParents, |s| {
            let due = s
                .parents
                .values()
                .filter_map(|p| p.due_at.filter(|at| due_by(*at, now)).map(|at| (p, at)))
                .map(|(p, due_at)| {
                    let item = DueParent {
                        parent_id: p.parent_id.clone(),
                        case_number: p.case_number.clone(),
                        state: p.due_state(),
                        due_at,
                        rev: p.rev,
                    };
                    (due_at, p.parent_id.to_string(), item)
                })
                .collect();
            page_of(due, page, self.page_size)
        })
    }

    async fn apply_sweep(&self, change: &SweepChange, events: &[OutboxEvent]) -> Result<bool, PortError> {
        self.run(Op::ApplySweep, |s| {
            let pid = &change.parent_id;
            // Conditions in the DynamoDB transaction's order: the parent unchanged since read, the
            // seat and roster place (when releasing), the referral free to be marked for closing.
            if s.parents.get(pid).is_none_or(|p| p.rev != change.rev) {
                return Ok(false);
            }
            // The seat was already given back some other way: the parent closes without it.
            let release =
                change.release.as_ref().filter(|(b, case)| s.seat_can_be_given_back(&b.workshop_id, case, pid, None) == [true, true]);
            if change.not_completed && !s.can_mark_closing(pid.referral_id()) {
                return Ok(false);
            }
            let release = release.cloned();
            if let Some(p) = s.parents.get_mut(pid) {
                if change.not_completed {
                    p.status = ParentStatus::NotCompleted;
                }
                if release.is_some() {
                    p.booking = None;
                }
                p.moved(change.next_due);
            }
            if let Some((b, case)) = &release {
                s.give_seat_back(&b.workshop_id, case);
            }
            if change.not_completed {
                s.mark_closing(pid.referral_id(), change.now);
            }
            for e in events {
                s.put_event(e);
            }
            Ok(true)
        })
    }

    async fn overdue_follow_ups(&self, now: Timestamp, page: Option<String>) -> Result<DuePage<FollowUpEntry>, PortError> {
        self.run(Op::OverdueFollowUps, |s| {
            let due = s
                .follow_ups
                .values()
                .filter(|f| f.state == FollowUpState::Due && due_by(f.due_at, now))
                .map(|f| (f.due_at, f.entry.parent_id.to_string(), f.entry.clone()))
                .collect();
            page_of(due, page, self.page_size)
        })
    }

    async fn mark_follow_up_overdue(&self, parent: &ParentId, event: &OutboxEvent) -> Result<bool, PortError> {
        self.run(Op::MarkFollowUpOverdue, |s| {
            let Some(f) = s.follow_ups.get_mut(parent).filter(|f| f.state == FollowUpState::Due) else { return Ok(false) };
            f.state = FollowUpState::Late;
            s.put_event(event);
            Ok(true)
        })
    }

    async fn cancelled_workshops(&self, now: Timestamp, page: Option<String>) -> Result<DuePage<WorkshopId>, PortError> {
        self.run(Op::CancelledWorkshops, |s| {
            let due = s.cancelling.iter().filter(|(_, at)| due_by(**at, now)).map(|(id, at)| (*at, id.to_string(), id.clone())).collect();
            page_of(due, page, self.page_size)
        })
    }

    async fn referrals_to_close(&self, now: Timestamp, page: Option<String>) -> Result<DuePage<ReferralId>, PortError> {
        self.run(Op::ReferralsToClose, |s| page_of(marked(s, Mark::Closing, now), page, self.page_size))
    }

    async fn referrals_to_erase(&self, now: Timestamp, page: Option<String>) -> Result<DuePage<ReferralId>, PortError> {
        self.run(Op::ReferralsToErase, |s| page_of(marked(s, Mark::Erase, now), page, self.page_size))
    }

    async fn erase_referral(&self, id: &ReferralId) -> Result<usize, PortError> {
        self.run(Op::EraseReferral, |s| {
            let mine = |p: &ParentId| p.referral_id() == id;
            // First the roster places outside the referral that name its people or case.
            let mut places = Vec::new();
            for p in s.parents.values().filter(|p| mine(&p.parent_id)) {
                let mut workshops: Vec<WorkshopId> = p.rostered_on.iter().cloned().collect();
                workshops.extend(p.booking.iter().chain(p.last_workshop.iter()).map(|b| b.workshop_id.clone()));
                workshops.sort();
                workshops.dedup();
                places.extend(workshops.into_iter().map(|w| (w, p.case_number.clone(), p.parent_id.clone())));
            }
            let mut erased = 0;
            for (workshop_id, case, parent) in places {
                let key = (workshop_id.clone(), case.clone());
                let theirs = s.roster.get(&key).is_some_and(|r| r.parent_id == parent);
                if theirs && s.workshops.contains_key(&workshop_id) {
                    s.roster.remove(&key);
                    if let Some(w) = s.workshops.get_mut(&workshop_id) {
                        w.cases.remove(&case);
                    }
                    erased += 1;
                }
            }
            // Their places on the waiting list (in the referral's partition in DynamoDB).
            let before = s.waiting.len();
            s.waiting.retain(|p, _| !mine(p));
            erased += before - s.waiting.len();
            // And its case lookup, found from the referral (which goes last).
            if let Some(case) = s.referrals.get(id).map(|r| (r.case_number.clone(), id.clone())) {
                erased += usize::from(s.case_lookups.remove(&case));
            }
            // And the parents' name lookups, found from the parents (before they go).
            let named: Vec<_> = s
                .parents
                .values()
                .filter(|p| mine(&p.parent_id))
                .filter_map(|p| surname_key(&p.details.last_name).map(|n| (n, p.parent_id.clone())))
                .collect();
            for lookup in named {
                erased += usize::from(s.name_lookups.remove(&lookup));
            }
            // Then every item of the referral's partition; the referral last, only if marked for erasure.
            erased += s.partition_size(id) - usize::from(s.referrals.contains_key(id));
            s.parents.retain(|p, _| !mine(p));
            s.notices.retain(|(p, _, _), _| !mine(p));
            s.link_requests.retain(|(p, _), _| !mine(p));
            s.follow_ups.retain(|p, _| !mine(p));
            s.concerns.retain(|(p, _), _| !mine(p));
            s.coordination.erase(id);
            if s.referrals.get(id).is_some_and(|r| matches!(r.mark, Some((Mark::Erase, _)))) {
                s.referrals.remove(id);
                erased += 1;
            }
            Ok(erased)
        })
    }
}
