//! Text messages to parents (rules.md, "Reaching parents"): only to a UK mobile number, only the
//! kinds configured, each once per (parent, kind, subject) in the notice ledger, never to a number
//! that said STOP. Texts carry no link tokens and no names: they point to the email.

use std::collections::BTreeSet;

use jiff::Timestamp;

use crate::notice::NoticeKind;

/// A UK mobile number in E.164 (`+447…`, ten digits after the 44). Landlines (`+441…`, `+442…`),
/// other UK ranges and foreign numbers are not mobiles: they get no texts.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UkMobile(String);

impl UkMobile {
    /// From a stored phone number (E.164 or UK national form, spaces, dashes and brackets allowed).
    pub fn parse(s: &str) -> Option<Self> {
        let compact: String = s.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.')).collect();
        let national = if let Some(rest) = compact.strip_prefix("+44") {
            rest.to_owned()
        } else if let Some(rest) = compact.strip_prefix("0044") {
            rest.to_owned()
        } else if let Some(rest) = compact.strip_prefix('0') {
            if rest.starts_with('0') {
                return None; // 00…: an international prefix to another country
            }
            rest.to_owned()
        } else {
            return None;
        };
        // 7xxxxxxxxx, but not 70 (personal numbers) or 76 (pagers, except 7624: the Isle of Man's mobiles).
        let mobile = national.len() == 10
            && national.chars().all(|c| c.is_ascii_digit())
            && national.starts_with('7')
            && !national.starts_with("70")
            && (!national.starts_with("76") || national.starts_with("7624"));
        mobile.then(|| Self(format!("+44{national}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SHA-256 of the number, in hex: how a store keys the number's opt-out without holding it.
    pub fn digest(&self) -> String {
        use sha2::Digest;
        sha2::Sha256::digest(self.0.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Never the number itself in logs.
impl std::fmt::Debug for UkMobile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UkMobile(…)")
    }
}

/// One text, ready for the texter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sms {
    pub to: UkMobile,
    pub text: String,
}

/// What the texter did with a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsSent {
    Sent {
        message_id: String,
    },
    /// The provider holds the number as opted out (it replied STOP): nothing sent.
    OptedOut,
}

/// The SMS ledger's answer to a claim: as `NoticeClaim`, and `OptedOut` when the number said STOP
/// (recorded in the ledger as opted out, never tried again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsClaim {
    Claimed {
        claim_id: crate::ClaimId,
    },
    /// Sent before, or found opted out before: nothing to do.
    Done,
    InProgress,
    OptedOut,
}

/// The ledger subject of a text: the email's subject with this suffix, so the text and the email
/// are claimed apart (one failing never blocks or resends the other).
pub const SMS_SUBJECT_SUFFIX: &str = "#sms";

pub fn sms_subject(subject: &str) -> String {
    format!("{subject}{SMS_SUBJECT_SUFFIX}")
}

/// Which kinds of notice also go by text (`SMS_KINDS`, comma-separated kind names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsKinds(BTreeSet<&'static str>);

/// rules.md: welcome, booking confirmed, workshop reminders 48 h and 2 h before, did-not-attend, deadline warning.
pub const DEFAULT_SMS_KINDS: &str = "welcome,booking-confirmed,workshop-reminder,workshop-reminder-2h,did-not-attend,deadline-warning";

impl SmsKinds {
    /// `""` or `"none"`: no texts at all.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut kinds = BTreeSet::new();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty() && *n != "none") {
            let kind = NoticeKind::parse(name).ok_or_else(|| format!("{name:?} is not a notice kind"))?;
            if !TEXTABLE.contains(&kind) {
                return Err(format!("{name} has no text message"));
            }
            kinds.insert(kind.as_str());
        }
        Ok(Self(kinds))
    }

    pub fn allows(&self, kind: NoticeKind) -> bool {
        self.0.contains(kind.as_str())
    }
}

impl Default for SmsKinds {
    fn default() -> Self {
        Self::parse(DEFAULT_SMS_KINDS).unwrap_or(Self(BTreeSet::new()))
    }
}

/// The kinds that have a text.
pub const TEXTABLE: &[NoticeKind] = &[
    NoticeKind::Welcome,
    NoticeKind::BookingConfirmed,
    NoticeKind::WorkshopReminder,
    NoticeKind::WorkshopReminder2h,
    NoticeKind::DidNotAttend,
    NoticeKind::DeadlineWarning,
];

/// An inbound text asking for no more texts (the keywords carriers and AWS honour).
pub fn is_stop(body: &str) -> bool {
    let word = body.trim().trim_end_matches(['.', '!']).to_ascii_uppercase();
    matches!(word.as_str(), "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "OPTOUT" | "OPT-OUT")
}

const SIGN_OFF: &str = "Reply STOP to stop texts.";
const SERVICE: &str = "Planning Together for Children";

fn when(at: Timestamp) -> String {
    at.to_zoned(crate::london()).strftime("%A %-d %B at %-I:%M%P").to_string()
}

/// The texts, plain and short (160 GSM characters where they can be), no names and no links.
pub mod texts {
    use super::*;

    pub fn welcome() -> String {
        format!("{SERVICE}: you have been referred to the course. Check your email from us for your link to start. {SIGN_OFF}")
    }

    pub fn booking_confirmed(starts_at: Timestamp) -> String {
        format!("{SERVICE}: your workshop is booked for {}. Details are in your email. {SIGN_OFF}", when(starts_at))
    }

    pub fn workshop_reminder(starts_at: Timestamp) -> String {
        format!("{SERVICE}: reminder, your workshop is on {}. Details are in your email. {SIGN_OFF}", when(starts_at))
    }

    pub fn workshop_soon(starts_at: Timestamp) -> String {
        format!("{SERVICE}: your workshop starts today at {}. Details are in your email. {SIGN_OFF}", { at_time(starts_at) })
    }

    fn at_time(at: Timestamp) -> String {
        at.to_zoned(crate::london()).strftime("%-I:%M%P").to_string()
    }

    pub fn did_not_attend() -> String {
        format!("{SERVICE}: you did not attend your workshop. Check your email from us for your link to book another. {SIGN_OFF}")
    }

    pub fn deadline_warning(complete_by: jiff::civil::Date) -> String {
        format!(
            "{SERVICE}: the court asks you to finish the course by {}. Check your email from us for your link. {SIGN_OFF}",
            complete_by.strftime("%-d %B %Y")
        )
    }
}

#[cfg(test)]
mod tests;
