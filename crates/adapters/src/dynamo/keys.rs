//! The table's keys: partition and sort keys, and the due-index's partitions and sort key.

use jiff::Timestamp;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::reporting::Month;
use pt4c_domain::sms::UkMobile;
use pt4c_domain::ParentId;
use pt4c_domain::ParentRef;
use pt4c_domain::ReferralId;
use pt4c_domain::WorkshopId;

pub const DUE_INDEX: &str = "due-index";

/// Emails to the coordinators about the course as a whole.
pub(super) const COORDINATORS_PK: &str = "COORDINATORS";

/// Open workshops with a seat left, by start (see `workshop::bookable`): sparse, keyed on
/// `bookablePk` and `bookableAt` (the due key of the start).
pub const BOOKABLE_INDEX: &str = "bookable-index";
pub(super) const BOOKABLE_PK: &str = "bookablePk";
pub(super) const BOOKABLE_AT: &str = "bookableAt";
/// The index partition the booking page reads. It is the open workshop status's own text: a seat
/// given back writes `bookablePk = status` (one write cannot branch on the status), so a
/// cancelled workshop's released seats land under `cancelled`, a partition nobody reads.
pub(super) const BOOKABLE_PK_OPEN: &str = "open";

pub const OUTBOX_DUE_PK: &str = "OUTBOX";
pub(super) const PARENT_DUE_PK: &str = "PARENT";
/// A referral whose parent just closed, until the referral's own closing is done (the sweep finishes it).
pub(super) const CLOSING_DUE_PK: &str = "CLOSING";
/// A closed referral, due for erasure when its retention period ends.
pub(super) const ERASE_DUE_PK: &str = "ERASE";
pub(super) const WORKSHOP_DUE_PK: &str = "WORKSHOP";
/// A cancelled workshop whose bookings are not all released yet (the sweep finishes them).
pub(super) const CANCELLING_DUE_PK: &str = "CANCELLING";
pub(super) const CANCELLING_SK: &str = "CANCELLING";
pub(super) const FOLLOW_UP_DUE: &str = "FOLLOWUP";
/// Past its date, the trainer told.
pub(super) const FOLLOW_UP_LATE: &str = "FOLLOWUP_LATE";
pub(super) const FOLLOW_UP_DONE: &str = "FOLLOWUP_DONE";
/// Concerns by the time they were raised: the console's list of recent concerns.
pub(super) const CONCERN_DUE_PK: &str = "CONCERN";

pub fn referral_pk(id: &ReferralId) -> String {
    format!("REFERRAL#{id}")
}
pub(super) fn parent_sk(r: &ParentRef) -> String {
    format!("PARENT#{r}")
}
pub fn notice_sk(r: &ParentRef, kind: NoticeKind, subject: &str) -> String {
    format!("NOTICE#{r}#{}#{subject}", kind.as_str())
}
/// A parent's requests for a fresh link on one day (`ParentStore::count_link_request`; expires).
pub fn link_requests_sk(r: &ParentRef, day: jiff::civil::Date) -> String {
    format!("LINKS#{r}#{day}")
}
pub(super) fn follow_up_sk(r: &ParentRef) -> String {
    format!("FOLLOWUP#{r}")
}
pub(super) fn concern_sk(r: &ParentRef, id: &pt4c_domain::ConcernId) -> String {
    format!("CONCERN#{r}#{id}")
}
pub(super) fn outbox_pk(event_id: &pt4c_domain::EventId) -> String {
    format!("OUTBOX#{event_id}")
}
pub fn workshop_pk(id: &WorkshopId) -> String {
    format!("WORKSHOP#{id}")
}
pub fn roster_sk(case_number: &str) -> String {
    format!("CASE#{case_number}")
}
/// The lookup of a case's referrals: one partition per (normalised) case number.
pub(super) fn case_pk(case: &pt4c_domain::referral::CaseNumber) -> String {
    format!("CASENO#{case}")
}
/// The lookup of a surname's parents: one partition per surname key (`referral::surname_key`).
pub(super) fn name_pk(surname_key: &str) -> String {
    format!("PNAME#{surname_key}")
}
/// A parent in a surname's lookup.
pub(super) fn named_parent_sk(parent: &ParentId) -> String {
    format!("PARENT#{parent}")
}

/// Key an item in the due-index sorts on: whole seconds, so the text sorts as the time does.
pub fn due_key(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}
pub(super) fn session_pk(key: &str) -> String {
    format!("SESSION#{key}")
}
pub(super) fn task_sk(parent: &ParentId, task_id: &str) -> String {
    format!("TASK#{}#{task_id}", parent.parent_ref())
}
pub(super) fn ledger_key(about: Option<&ReferralId>, kind: NoticeKind, subject: &str) -> (String, String) {
    let pk = about.map(referral_pk).unwrap_or_else(|| COORDINATORS_PK.into());
    (pk, format!("STAFFNOTICE#{}#{subject}", kind.as_str()))
}
pub(super) fn waiting_sk(parent: &ParentId) -> String {
    format!("WAITING#{}", parent.parent_ref())
}
pub(super) fn month_sk(m: Month) -> String {
    format!("MONTH#{m}")
}
pub(super) fn seats_pk(w: &WorkshopId) -> String {
    format!("REPORT#SEATS#{w}")
}
pub(super) fn message_pk(message_id: &str) -> String {
    format!("MESSAGE#{message_id}")
}
pub(super) fn unreachable_sk(r: &ParentRef) -> String {
    format!("UNREACHABLE#{r}")
}
pub(super) fn opt_out_key(number: &UkMobile) -> (String, String) {
    (format!("SMSOPTOUT#{}", number.digest()), "SMSOPTOUT".to_owned())
}
pub(super) fn workshop_notice_sk(kind: NoticeKind, subject: &str) -> String {
    format!("NOTICE#{}#{subject}", kind.as_str())
}
