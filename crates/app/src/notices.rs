//! Notices: sending an email at most once per (parent, kind, subject), through the notice ledger
//! (the consumers decide which email an event calls for, from the state when it is delivered).

use std::future::Future;

use jiff::Timestamp;
use pt4c_domain::notice::{Email, NoticeKind};
use pt4c_domain::ports::{NoticeClaim, PortError, WorkshopNoticeLedger};
use pt4c_domain::ClaimId;

/// How one email went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sending {
    Sent {
        message_id: String,
    },
    /// Sent before: nothing done.
    AlreadySent,
}

/// Sends an email at most once per (parent, kind, subject): claim, send, record.
/// A failed send gives the claim back and fails, so the caller's retry sends it.
pub async fn send_once<L, M>(
    ledger: &L,
    mailer: &M,
    parent: &pt4c_domain::ParentId,
    kind: NoticeKind,
    subject: &str,
    now: jiff::Timestamp,
    email: &Email,
) -> Result<Sending, PortError>
where
    L: pt4c_domain::ports::NoticeLedger,
    M: pt4c_domain::ports::Mailer,
{
    send_claimed(&ParentNotices { ledger, parent }, mailer, kind, subject, now, email).await
}

/// Sends an email to staff about a workshop (its trainers) at most once per (workshop, kind,
/// subject), as [`send_once`] does for a parent.
pub async fn send_once_for_workshop<L, M>(
    ledger: &L,
    mailer: &M,
    workshop: &pt4c_domain::WorkshopId,
    kind: NoticeKind,
    subject: &str,
    now: jiff::Timestamp,
    email: &Email,
) -> Result<Sending, PortError>
where
    L: WorkshopNoticeLedger,
    M: pt4c_domain::ports::Mailer,
{
    send_claimed(&WorkshopNotices { ledger, workshop }, mailer, kind, subject, now, email).await
}

/// Sends an email to the coordinators at most once per (kind, subject), kept `about` a referral
/// (erased with it) or the course as a whole, as [`send_once`] does for a parent.
pub async fn send_once_to_coordinators<L, M>(
    ledger: &L,
    mailer: &M,
    about: Option<&pt4c_domain::ReferralId>,
    kind: NoticeKind,
    subject: &str,
    now: jiff::Timestamp,
    email: &Email,
) -> Result<Sending, PortError>
where
    L: pt4c_domain::ports::CoordinatorNoticeLedger,
    M: pt4c_domain::ports::Mailer,
{
    send_claimed(&CoordinatorNotices { ledger, about }, mailer, kind, subject, now, email).await
}

struct CoordinatorNotices<'a, L> {
    ledger: &'a L,
    about: Option<&'a pt4c_domain::ReferralId>,
}

impl<L: pt4c_domain::ports::CoordinatorNoticeLedger> Claims for CoordinatorNotices<'_, L> {
    fn who(&self) -> String {
        "the coordinators".into()
    }
    fn claim(&self, kind: NoticeKind, subject: &str, now: Timestamp) -> impl Future<Output = Result<NoticeClaim, PortError>> + Send {
        self.ledger.claim_for_coordinators(self.about, kind, subject, now)
    }
    fn mark_sent(
        &self,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
        message_id: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), PortError>> + Send {
        self.ledger.mark_sent_for_coordinators(self.about, kind, subject, claim_id, message_id, at)
    }
    fn release(&self, kind: NoticeKind, subject: &str, claim_id: &ClaimId) -> impl Future<Output = Result<(), PortError>> + Send {
        self.ledger.release_for_coordinators(self.about, kind, subject, claim_id)
    }
}

/// One ledger's claims for one recipient's key (a parent's, or a workshop's).
trait Claims: Sync {
    fn who(&self) -> String;
    fn claim(&self, kind: NoticeKind, subject: &str, now: Timestamp) -> impl Future<Output = Result<NoticeClaim, PortError>> + Send;
    fn mark_sent(
        &self,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
        message_id: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    fn release(&self, kind: NoticeKind, subject: &str, claim_id: &ClaimId) -> impl Future<Output = Result<(), PortError>> + Send;
}

struct ParentNotices<'a, L> {
    ledger: &'a L,
    parent: &'a pt4c_domain::ParentId,
}

impl<L: pt4c_domain::ports::NoticeLedger> Claims for ParentNotices<'_, L> {
    fn who(&self) -> String {
        self.parent.to_string()
    }
    fn claim(&self, kind: NoticeKind, subject: &str, now: Timestamp) -> impl Future<Output = Result<NoticeClaim, PortError>> + Send {
        self.ledger.claim(self.parent, kind, subject, now)
    }
    fn mark_sent(
        &self,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
        message_id: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), PortError>> + Send {
        self.ledger.mark_sent(self.parent, kind, subject, claim_id, message_id, at)
    }
    fn release(&self, kind: NoticeKind, subject: &str, claim_id: &ClaimId) -> impl Future<Output = Result<(), PortError>> + Send {
        self.ledger.release(self.parent, kind, subject, claim_id)
    }
}

struct WorkshopNotices<'a, L> {
    ledger: &'a L,
    workshop: &'a pt4c_domain::WorkshopId,
}

impl<L: WorkshopNoticeLedger> Claims for WorkshopNotices<'_, L> {
    fn who(&self) -> String {
        format!("workshop {}", self.workshop)
    }
    fn claim(&self, kind: NoticeKind, subject: &str, now: Timestamp) -> impl Future<Output = Result<NoticeClaim, PortError>> + Send {
        self.ledger.claim_for_workshop(self.workshop, kind, subject, now)
    }
    fn mark_sent(
        &self,
        kind: NoticeKind,
        subject: &str,
        claim_id: &ClaimId,
        message_id: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), PortError>> + Send {
        self.ledger.mark_sent_for_workshop(self.workshop, kind, subject, claim_id, message_id, at)
    }
    fn release(&self, kind: NoticeKind, subject: &str, claim_id: &ClaimId) -> impl Future<Output = Result<(), PortError>> + Send {
        self.ledger.release_for_workshop(self.workshop, kind, subject, claim_id)
    }
}

async fn send_claimed<C: Claims, M: pt4c_domain::ports::Mailer>(
    claims: &C,
    mailer: &M,
    kind: NoticeKind,
    subject: &str,
    now: Timestamp,
    email: &Email,
) -> Result<Sending, PortError> {
    let claim_id = match claims.claim(kind, subject, now).await? {
        NoticeClaim::AlreadySent => return Ok(Sending::AlreadySent),
        NoticeClaim::InProgress => {
            return Err(PortError::Retryable(format!("{} for {} is being sent by another delivery", kind.as_str(), claims.who())))
        }
        NoticeClaim::Claimed { claim_id } => claim_id,
    };
    match mailer.send(email).await {
        Ok(message_id) => {
            // The email is with the provider: only the record is left.
            recorded(|| claims.mark_sent(kind, subject, &claim_id, &message_id, now)).await?;
            Ok(Sending::Sent { message_id })
        }
        Err(e) => {
            // Given back so the retry sends at once; if even that fails, the claim's lease runs
            // out before the retry comes, so the email is never lost.
            let _ = recorded(|| claims.release(kind, subject, &claim_id)).await;
            Err(e)
        }
    }
}

/// A ledger write after the provider's answer (an email's or a text's), tried a few times in
/// place, since a retry of the whole delivery could send the message again.
pub(crate) async fn recorded<F, Fut>(write: F) -> Result<(), PortError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), PortError>>,
{
    let mut attempt = 0;
    loop {
        match write().await {
            Ok(()) => return Ok(()),
            Err(e) if attempt >= RECORD_ATTEMPTS => return Err(e),
            Err(_) => {
                attempt += 1;
                pause(attempt).await;
            }
        }
    }
}

/// Tries of the ledger's record after the provider's answer.
const RECORD_ATTEMPTS: u32 = 4;

/// 50 ms, 100 ms, 200 ms, ... between tries of a ledger write.
async fn pause(attempt: u32) {
    tokio::time::sleep(std::time::Duration::from_millis(50u64 << attempt.min(5))).await;
}
