//! Referrals: intake, the progress record, withdrawal and contacts.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::ports::{Intake, ParentContact, PortError, ReferralContacts, ReferralStore, Withdrawal};
use pt4c_domain::progress::{FollowUp, NoticeSent, ParentProgress, ParentStatus, ProgressRecord, ReferralStatus};
use pt4c_domain::referral::{surname_key, CaseNumber, NewReferral, NAMED_AT_MOST};
use pt4c_domain::{ParentId, ReferralId};

use crate::state::{due_key, FollowUpState, Mark, NoticeState, ParentRec, ReferralRec, State};
use crate::{MemoryStore, Op};

/// The progress record, read from the referral's items as the DynamoDB store reads its partition
/// (`ParentProgress::of` says how each parent reads).
pub(crate) fn progress_of(s: &State, id: &ReferralId) -> Option<ProgressRecord> {
    let referral = s.referrals.get(id)?;
    let parents = referral
        .parent_refs
        .iter()
        .filter_map(|r| s.parent_record(&pt4c_domain::ParentId::new(id.clone(), r.clone())))
        .map(|p| {
            let mut mine: Vec<_> = s
                .notices
                .iter()
                .filter(|((pid, _, _), n)| pid == &p.parent_id && n.state == NoticeState::Sent)
                .filter_map(|((_, _, subject), n)| n.sent_at.map(|at| (at, n.sent_order, n.kind, n.delivery, subject)))
                .collect();
            mine.sort_by_key(|(at, order, _, _, _)| (*at, *order));
            let sent: Vec<NoticeSent> = mine
                .into_iter()
                .map(|(sent_at, _, kind, status, subject)| NoticeSent {
                    kind,
                    sent_at,
                    status: status.unwrap_or_default(),
                    channel: pt4c_domain::progress::NoticeChannel::of_subject(subject),
                })
                .collect();
            let follow_up = s.follow_ups.get(&p.parent_id).map(|f| FollowUp {
                due_by: f.entry.due_by,
                completed_at: f.entry.completed_at,
                outcome: f.entry.outcome.map(|o| o.as_str().to_owned()),
            });
            ParentProgress::of(&p, sent, follow_up)
        })
        .collect();
    Some(ProgressRecord {
        referral_id: referral.referral_id.clone(),
        case_number: referral.case_number.clone(),
        referred_on: referral.referred_on,
        complete_by: referral.complete_by,
        status: referral.status,
        parents,
    })
}

impl ReferralStore for MemoryStore {
    async fn create_referral(
        &self,
        referral: &NewReferral,
        content_hash: &str,
        now: Timestamp,
        first_due: Option<Timestamp>,
        event: &OutboxEvent,
    ) -> Result<Intake, PortError> {
        self.run(Op::CreateReferral, |s| {
            let id = &referral.referral_id;
            let ids = referral.parent_ids();
            if s.referrals.contains_key(id) || ids.iter().any(|p| s.parents.contains_key(p)) {
                return match s.referrals.get(id) {
                    Some(r) => Ok(Intake::AlreadyTaken { content_hash: r.content_hash.clone() }),
                    None => Err(PortError::Retryable("referral condition failed but no referral found".into())),
                };
            }
            s.referrals.insert(
                id.clone(),
                ReferralRec {
                    referral_id: id.clone(),
                    case_number: referral.case_number.to_string(),
                    court: referral.court.clone(),
                    family_court_adviser: referral.family_court_adviser.clone(),
                    referred_on: referral.referred_on,
                    complete_by: referral.complete_by,
                    status: ReferralStatus::Open,
                    content_hash: content_hash.to_owned(),
                    parent_refs: referral.parents.iter().map(|p| p.parent_ref.clone()).collect(),
                    mark: None,
                },
            );
            for (details, parent_id) in referral.parents.iter().zip(ids) {
                s.parents.insert(
                    parent_id.clone(),
                    ParentRec {
                        parent_id,
                        case_number: referral.case_number.to_string(),
                        details: details.clone(),
                        status: ParentStatus::Invited,
                        activated_at: None,
                        completed_at: None,
                        module_times: BTreeMap::new(),
                        elearning_completed_at: None,
                        booking: None,
                        waiting: None,
                        offer: None,
                        received_at: now,
                        complete_by: referral.complete_by,
                        due_at: first_due.map(due_key),
                        rev: 0,
                        attended: None,
                        rostered_on: BTreeSet::new(),
                        last_workshop: None,
                        unreachable: None,
                    },
                );
            }
            s.case_lookups.insert((referral.case_number.to_string(), id.clone()));
            for (details, parent_id) in referral.parents.iter().zip(referral.parent_ids()) {
                if let Some(surname) = surname_key(&details.last_name) {
                    s.name_lookups.insert((surname, parent_id));
                }
            }
            s.put_event(event);
            Ok(Intake::Created)
        })
    }

    async fn progress(&self, id: &ReferralId) -> Result<Option<ProgressRecord>, PortError> {
        self.run(Op::Progress, |s| Ok(progress_of(s, id)))
    }

    async fn withdraw(
        &self,
        id: &ReferralId,
        _reason: &str,
        _now: Timestamp,
        erase_at: Timestamp,
        event: &OutboxEvent,
    ) -> Result<Withdrawal, PortError> {
        self.run(Op::Withdraw, |s| {
            let Some(referral) = s.referrals.get(id) else { return Ok(Withdrawal::NotFound) };
            match referral.status {
                ReferralStatus::Open => {}
                ReferralStatus::Withdrawn => return Ok(Withdrawal::AlreadyWithdrawn),
                _ => return Ok(Withdrawal::Closed),
            }
            // Parents still on the course leave it, giving back the seats they hold; a parent who
            // completed keeps their record and roster place.
            let leaving: Vec<_> = s
                .parents
                .values()
                .filter(|p| p.parent_id.referral_id() == id)
                .filter(|p| !matches!(p.status, ParentStatus::Completed | ParentStatus::NotCompleted | ParentStatus::Withdrawn))
                .map(|p| (p.parent_id.clone(), p.case_number.clone(), p.booking.as_ref().map(|b| b.workshop_id.clone())))
                .collect();
            // The seats are conditions of the one transaction: a seat that cannot be given back
            // cancels it, every attempt alike.
            let seats_ok = leaving
                .iter()
                .all(|(pid, case, w)| w.as_ref().is_none_or(|w| s.seat_can_be_given_back(w, case, pid, None) == [true, true]));
            if !seats_ok {
                return Err(PortError::Retryable("the referral kept changing during the withdrawal".into()));
            }
            if let Some(r) = s.referrals.get_mut(id) {
                r.status = ReferralStatus::Withdrawn;
                r.mark = Some((Mark::Erase, due_key(erase_at)));
            }
            for (pid, case, workshop) in leaving {
                if let Some(p) = s.parents.get_mut(&pid) {
                    p.status = ParentStatus::Withdrawn;
                    p.booking = None;
                    p.moved(None);
                }
                if let Some(w) = workshop {
                    s.give_seat_back(&w, &case);
                }
            }
            // Nothing more is sent after a withdrawal: the calls still owed are dropped.
            for f in s.follow_ups.iter_mut().filter(|(p, _)| p.referral_id() == id).map(|(_, f)| f) {
                if matches!(f.state, FollowUpState::Due | FollowUpState::Late) {
                    f.state = FollowUpState::Dropped;
                }
            }
            s.put_event(event);
            Ok(Withdrawal::Withdrawn)
        })
    }

    async fn referrals_of_case(&self, case: &CaseNumber) -> Result<Vec<ReferralId>, PortError> {
        self.run(Op::ReferralsOfCase, |s| {
            let mine = s.case_lookups.iter().filter(|(c, _)| c == case.as_str());
            Ok(mine.map(|(_, id)| id.clone()).collect())
        })
    }

    async fn parents_named(&self, surname: &str) -> Result<Vec<ParentId>, PortError> {
        let key = surname_key(surname);
        self.run(Op::ParentsNamed, |s| {
            let mine = s.name_lookups.iter().filter(|(n, _)| Some(n) == key.as_ref());
            Ok(mine.map(|(_, id)| id.clone()).take(NAMED_AT_MOST).collect())
        })
    }

    async fn contacts(&self, id: &ReferralId) -> Result<Option<ReferralContacts>, PortError> {
        self.run(Op::Contacts, |s| {
            let Some(r) = s.referrals.get(id) else { return Ok(None) };
            let parents = s
                .parents
                .values()
                .filter(|p| p.parent_id.referral_id() == id)
                .map(|p| ParentContact {
                    parent_id: p.parent_id.clone(),
                    first_name: p.details.first_name.clone(),
                    email: p.details.email.clone(),
                    phone: p.details.phone.as_ref().map(|ph| ph.as_str().to_owned()),
                    withdrawn: p.status == ParentStatus::Withdrawn,
                })
                .collect();
            Ok(Some(ReferralContacts {
                referral_id: r.referral_id.clone(),
                complete_by: r.complete_by,
                withdrawn: r.status == ReferralStatus::Withdrawn,
                parents,
            }))
        })
    }
}
