//! A way back in without a link (rules.md, "Reaching parents"): a parent enters their email
//! address and, if it belongs to a parent on the course, a fresh Hub link is emailed to the
//! address on file. The answer never tells whether it does, so the requests are counted per
//! address and per client whether or not the address is known, under keys that hold neither
//! (their SHA-256 only).

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::referral::EmailAddress;

/// The audit trail's actor for a request from the public pages (no account, no address).
pub const PUBLIC_ACTOR: &str = "public";
/// The audit trail's action for a request for a new link by email address.
pub const NEW_LINK_ACTION: &str = "parent.new_link_by_email";

/// An address as the email index keys it, however it was typed: trimmed, lower case. Intake
/// writes it with the parent; whatever changes a parent's address must write it again.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Who asked: the client's address as API Gateway saw it, held only as its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientKey(String);

impl ClientKey {
    /// When the request names no client (a local run), every request is this one client.
    pub const UNKNOWN: &'static str = "unknown";

    pub fn of(source_ip: Option<&str>) -> Self {
        let ip = source_ip.map(str::trim).filter(|ip| !ip.is_empty()).unwrap_or(Self::UNKNOWN);
        Self(sha256_hex(ip))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One counter of requests: at most `max` under `key` in the window `window` (a London day for
/// an address, an hour for a client). The counter goes at `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateWindow {
    /// `NEWLINK#ADDRESS#<sha256>` or `NEWLINK#CLIENT#<sha256>`: never the address itself.
    pub key: String,
    pub window: String,
    pub max: u32,
    pub expires_at: Timestamp,
}

impl RateWindow {
    /// Requests for this address (however it was typed) on `now`'s day in England.
    pub fn address(email: &EmailAddress, now: Timestamp, max: u32) -> Self {
        Self {
            key: format!("NEWLINK#ADDRESS#{}", sha256_hex(&email_key(email.as_str()))),
            window: format!("DAY#{}", crate::london_date(now)),
            max,
            expires_at: now + jiff::SignedDuration::from_hours(48),
        }
    }

    /// Requests from this client in `now`'s hour (UTC).
    pub fn client(client: &ClientKey, now: Timestamp, max: u32) -> Self {
        let hour = now.as_second().div_euclid(3600);
        Self {
            key: format!("NEWLINK#CLIENT#{}", client.as_str()),
            window: format!("HOUR#{hour}"),
            max,
            expires_at: now + jiff::SignedDuration::from_hours(2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(s: &str) -> EmailAddress {
        EmailAddress::parse(s).unwrap()
    }

    #[test]
    fn given_an_address_typed_in_any_case_when_keyed_then_the_keys_agree_and_hold_no_address() {
        let now: Timestamp = "2026-11-28T23:30:00Z".parse().unwrap();

        let a = RateWindow::address(&email("Alex.Hartley@Example.com"), now, 3);
        let b = RateWindow::address(&email("  alex.hartley@example.com "), now, 3);

        assert_eq!(a, b);
        assert_eq!(email_key(" Alex.Hartley@Example.COM "), "alex.hartley@example.com");
        assert!(!a.key.contains("alex") && !a.key.contains('@'), "{}", a.key);
        assert_eq!(a.window, "DAY#2026-11-28");
    }

    #[test]
    fn given_a_client_when_keyed_then_only_its_hash_is_kept_and_the_window_is_its_hour() {
        let now: Timestamp = "2026-11-28T15:59:59Z".parse().unwrap();

        let w = RateWindow::client(&ClientKey::of(Some("203.0.113.7")), now, 20);
        let next = RateWindow::client(&ClientKey::of(Some("203.0.113.7")), now + jiff::SignedDuration::from_secs(1), 20);

        assert!(!w.key.contains("203.0.113.7"));
        assert_ne!(w.window, next.window);
        assert_eq!(ClientKey::of(None), ClientKey::of(Some(" ")));
    }
}
