//! Texts to parents (`pt4c_domain::sms`): each at most once per (parent, kind, subject), in the
//! notice ledger apart from the email of the same notice, never to a number that said STOP.

use jiff::{SignedDuration, Timestamp};
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{ParentStore, PortError, SmsLedger, Texter, WorkshopStore};
use pt4c_domain::sms::{self, Sms, SmsClaim, SmsKinds, SmsSent, UkMobile};
use pt4c_domain::workshop::WorkshopStatus;
use pt4c_domain::ParentId;
use serde::Serialize;

use crate::notices::recorded;
use crate::App;

/// How one text went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Texting {
    Sent {
        message_id: String,
    },
    /// Sent before (or found opted out before): nothing done.
    AlreadySent,
    /// The number said STOP: recorded, nothing sent.
    OptedOut,
    /// No text for this: no UK mobile on file, or the kind does not go by text.
    NotTexted,
}

/// One notice's text to a parent: `phone` as stored, `subject` the email's ledger subject.
pub struct Text<'a> {
    pub parent: &'a ParentId,
    pub phone: Option<&'a str>,
    pub kind: NoticeKind,
    pub subject: &'a str,
    pub text: String,
}

/// Sends the text at most once: claim (refused for an opted-out number), send, record. A failed
/// send gives the claim back and fails, so the caller's retry sends it (and only it).
pub async fn text_once<L: SmsLedger, T: Texter>(
    ledger: &L,
    texter: &T,
    kinds: &SmsKinds,
    t: Text<'_>,
    now: Timestamp,
) -> Result<Texting, PortError> {
    let Some(to) = t.phone.and_then(UkMobile::parse).filter(|_| kinds.allows(t.kind)) else {
        return Ok(Texting::NotTexted);
    };
    let subject = sms::sms_subject(t.subject);
    let claim_id = match ledger.claim_sms(t.parent, t.kind, &subject, &to, now).await? {
        SmsClaim::Done => return Ok(Texting::AlreadySent),
        SmsClaim::OptedOut => return Ok(Texting::OptedOut),
        SmsClaim::InProgress => {
            return Err(PortError::Retryable(format!("the {} text to {} is being sent by another delivery", t.kind.as_str(), t.parent)))
        }
        SmsClaim::Claimed { claim_id } => claim_id,
    };
    match texter.send(&Sms { to: to.clone(), text: t.text }).await {
        Ok(SmsSent::Sent { message_id }) => {
            recorded(|| ledger.mark_sms_sent(t.parent, t.kind, &subject, &claim_id, &message_id, now)).await?;
            Ok(Texting::Sent { message_id })
        }
        Ok(SmsSent::OptedOut) => {
            recorded(|| ledger.mark_sms_opted_out(t.parent, t.kind, &subject, &claim_id, &to, now)).await?;
            Ok(Texting::OptedOut)
        }
        Err(e) => {
            // Given back so the retry sends at once; failing that, the claim's lease runs out first.
            let _ = recorded(|| ledger.release_sms(t.parent, t.kind, &subject, &claim_id)).await;
            Err(e)
        }
    }
}

/// What an inbound text came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Inbound {
    /// A stop word from a UK mobile: the number gets no more texts.
    OptedOut,
    /// Anything else (or from a number we never text): nothing to do.
    Ignored,
}

/// An inbound text: STOP (or another stop word) records the number as opted out.
pub async fn inbound<L: SmsLedger>(ledger: &L, from: &str, body: &str, now: Timestamp) -> Result<Inbound, PortError> {
    match UkMobile::parse(from) {
        Some(number) if sms::is_stop(body) => {
            ledger.opt_out(&number, now).await?;
            Ok(Inbound::OptedOut)
        }
        _ => Ok(Inbound::Ignored),
    }
}

/// What the 2-hour reminders' run did (ids and counts only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SoonReminded {
    pub workshops: usize,
    pub sent: usize,
    pub already_sent: usize,
    pub opted_out: usize,
    pub not_texted: usize,
}

/// How far ahead the 2-hour reminder looks.
pub const SOON: SignedDuration = SignedDuration::from_hours(2);

/// Texts each parent booked on an open workshop starting in `(at, at + 2 h]` the 2-hour reminder,
/// once per booking (run every 15 minutes; a run again, or late, sends nothing twice).
pub async fn remind_soon<S, B, T>(app: &App<S, B>, texter: &T, kinds: &SmsKinds, at: Timestamp) -> Result<SoonReminded, PortError>
where
    S: WorkshopStore + ParentStore + SmsLedger,
    T: Texter,
{
    let mut done = SoonReminded::default();
    if !kinds.allows(NoticeKind::WorkshopReminder2h) {
        return Ok(done);
    }
    // [from, to): starting after now, by the end of the 2 hours.
    let workshops = app.store.workshops(at + SignedDuration::from_secs(1), at + SOON + SignedDuration::from_secs(1)).await?;
    for w in workshops.iter().filter(|w| w.status == WorkshopStatus::Open && w.starts_at > at) {
        done.workshops += 1;
        for (parent_id, _) in app.store.roster(&w.workshop_id).await? {
            let Some(parent) = app.store.parent(&parent_id).await? else { continue };
            let Some(b) = parent.booking.as_ref().filter(|b| b.workshop_id == w.workshop_id) else { continue };
            if parent.closed() {
                continue;
            }
            let subject = format!("{}@{}", w.workshop_id, b.booked_at.as_second());
            let text = Text {
                parent: &parent.parent_id,
                phone: parent.phone.as_deref(),
                kind: NoticeKind::WorkshopReminder2h,
                subject: &subject,
                text: sms::texts::workshop_soon(w.starts_at),
            };
            match text_once(&app.store, texter, kinds, text, at).await? {
                Texting::Sent { .. } => done.sent += 1,
                Texting::AlreadySent => done.already_sent += 1,
                Texting::OptedOut => done.opted_out += 1,
                Texting::NotTexted => done.not_texted += 1,
            }
        }
    }
    Ok(done)
}
