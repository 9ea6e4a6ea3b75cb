//! Notices: sending an email at most once per (parent, kind, subject), through the notice ledger
//! (the consumers decide which email an event calls for, from the state when it is delivered).

use pt4c_domain::notice::{Email, NoticeKind};

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
) -> Result<Sending, pt4c_domain::ports::PortError>
where
    L: pt4c_domain::ports::NoticeLedger,
    M: pt4c_domain::ports::Mailer,
{
    use pt4c_domain::ports::{NoticeClaim, PortError};
    let claim_id = match ledger.claim(parent, kind, subject, now).await? {
        NoticeClaim::AlreadySent => return Ok(Sending::AlreadySent),
        NoticeClaim::InProgress => {
            return Err(PortError::Retryable(format!("{} for {parent} is being sent by another delivery", kind.as_str())))
        }
        NoticeClaim::Claimed { claim_id } => claim_id,
    };
    match mailer.send(email).await {
        Ok(message_id) => {
            // The email is with the provider: only the record is left. It is tried here a few
            // times, since a retry of the whole delivery could send the email again.
            let mut attempt = 0;
            loop {
                match ledger.mark_sent(parent, kind, subject, &claim_id, &message_id, now).await {
                    Ok(()) => return Ok(Sending::Sent { message_id }),
                    Err(e) if attempt >= RECORD_ATTEMPTS => return Err(e),
                    Err(_) => {
                        attempt += 1;
                        pause(attempt).await;
                    }
                }
            }
        }
        Err(e) => {
            // Given back so the retry sends at once; if even that fails, the claim's lease runs
            // out before the retry comes, so the email is never lost.
            for attempt in 0..=RECORD_ATTEMPTS {
                if ledger.release(parent, kind, subject, &claim_id).await.is_ok() {
                    break;
                }
                pause(attempt + 1).await;
            }
            Err(e)
        }
    }
}

/// Tries of the ledger's record after the provider's answer.
const RECORD_ATTEMPTS: u32 = 4;

/// 50 ms, 100 ms, 200 ms, ... between tries of a ledger write.
async fn pause(attempt: u32) {
    tokio::time::sleep(std::time::Duration::from_millis(50u64 << attempt.min(5))).await;
}
