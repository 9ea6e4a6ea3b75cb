//! Signed links for parents: a token bound to one parent, one purpose and an expiry.
//!
//! `base64url(payload) . base64url(HMAC-SHA256(key, "pt4c-link|" + payload_b64))`, where the
//! payload is `v1|{parentId}|{purpose}|{expiresAtUnixSeconds}`. The MAC is checked, in constant
//! time, before any part of the payload is believed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::Sha256;

use crate::ParentId;

const MAX_TOKEN_LEN: usize = 512;
const MIN_KEY_LEN: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The Parent Hub (the welcome link and fresh links).
    Hub,
    /// The workshop booking page.
    Booking,
    /// Cancelling a booking.
    Cancel,
    /// Answering a seat held from the waiting list (bound to the offer; lasts as long as its hold).
    Offer,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Hub => "hub",
            Purpose::Booking => "book",
            Purpose::Cancel => "cancel",
            Purpose::Offer => "offer",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        match s {
            "hub" => Some(Purpose::Hub),
            "book" => Some(Purpose::Booking),
            "cancel" => Some(Purpose::Cancel),
            "offer" => Some(Purpose::Offer),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Forged, altered, malformed, or for another purpose: nothing in it can be trusted.
    #[error("the link is not valid")]
    Invalid,
    /// Genuine, but past its expiry.
    #[error("the link has expired")]
    Expired { parent: ParentId },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLink {
    pub parent: ParentId,
    pub purpose: Purpose,
    pub expires_at: Timestamp,
    /// What the link acts on, when it acts on one thing only (a cancel link: the booking it was sent for).
    pub bound_to: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("the link signing key must be at least {MIN_KEY_LEN} bytes")]
pub struct WeakKey;

/// Signs and verifies parents' links with the service's secret key.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner { key: <redacted> }")
    }
}

impl LinkSigner {
    pub fn new(key: &[u8]) -> Result<Self, WeakKey> {
        if key.len() < MIN_KEY_LEN {
            return Err(WeakKey);
        }
        Ok(Self { key: key.to_vec() })
    }

    fn mac(&self, payload_b64: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(b"pt4c-link|");
        mac.update(payload_b64.as_bytes());
        mac
    }

    pub fn sign(&self, parent: &ParentId, purpose: Purpose, expires_at: Timestamp) -> String {
        self.sign_payload(format!("v1|{parent}|{}|{}", purpose.as_str(), expires_at.as_second()))
    }

    /// A link that acts on one thing only (`bound_to`, without `|`): a cancel link names its booking.
    pub fn sign_bound(&self, parent: &ParentId, purpose: Purpose, expires_at: Timestamp, bound_to: &str) -> String {
        debug_assert!(!bound_to.contains('|'));
        self.sign_payload(format!("v1|{parent}|{}|{}|{bound_to}", purpose.as_str(), expires_at.as_second()))
    }

    fn sign_payload(&self, payload: String) -> String {
        let payload_b64 = B64.encode(payload);
        let sig = self.mac(&payload_b64).finalize().into_bytes();
        format!("{payload_b64}.{}", B64.encode(sig))
    }

    /// Verifies signature and purpose, then expiry.
    pub fn verify(&self, token: &str, purpose: Purpose, now: Timestamp) -> Result<VerifiedLink, LinkError> {
        let link = self.verify_signature(token, purpose)?;
        if link.expires_at <= now {
            return Err(LinkError::Expired { parent: link.parent });
        }
        Ok(link)
    }

    /// Verifies signature and purpose only: for asking a fresh link from an expired one.
    pub fn verify_signature(&self, token: &str, purpose: Purpose) -> Result<VerifiedLink, LinkError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(LinkError::Invalid);
        }
        let (payload_b64, sig_b64) = token.split_once('.').ok_or(LinkError::Invalid)?;
        let sig = B64.decode(sig_b64).map_err(|_| LinkError::Invalid)?;
        self.mac(payload_b64).verify_slice(&sig).map_err(|_| LinkError::Invalid)?;

        let payload = B64.decode(payload_b64).map_err(|_| LinkError::Invalid)?;
        let payload = std::str::from_utf8(&payload).map_err(|_| LinkError::Invalid)?;
        let mut parts = payload.split('|');
        let (Some("v1"), Some(parent), Some(p), Some(exp), bound_to, None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(LinkError::Invalid);
        };
        let bound_to = bound_to.map(str::to_owned);
        let parent = ParentId::parse(parent).map_err(|_| LinkError::Invalid)?;
        let found = Purpose::parse(p).ok_or(LinkError::Invalid)?;
        if found != purpose {
            return Err(LinkError::Invalid);
        }
        let expires_at = exp.parse::<i64>().ok().and_then(|s| Timestamp::from_second(s).ok()).ok_or(LinkError::Invalid)?;
        Ok(VerifiedLink { parent, purpose: found, expires_at, bound_to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;
    use proptest::prelude::*;

    fn signer() -> LinkSigner {
        LinkSigner::new(b"0123456789abcdef0123456789abcdef").unwrap()
    }
    fn parent(s: &str) -> ParentId {
        ParentId::parse(s).unwrap()
    }
    fn now() -> Timestamp {
        "2026-11-22T09:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_signed_link_verifies_for_its_parent_and_purpose() {
        let t = signer().sign(&parent("CAF-1.A"), Purpose::Hub, now() + SignedDuration::from_hours(72));
        let v = signer().verify(&t, Purpose::Hub, now()).unwrap();
        assert_eq!(v.parent, parent("CAF-1.A"));
    }

    #[test]
    fn a_link_for_another_purpose_is_invalid() {
        let t = signer().sign(&parent("CAF-1.A"), Purpose::Hub, now() + SignedDuration::from_hours(1));
        assert_eq!(signer().verify(&t, Purpose::Booking, now()), Err(LinkError::Invalid));
    }

    #[test]
    fn an_expired_link_is_expired_not_invalid() {
        let t = signer().sign(&parent("CAF-1.A"), Purpose::Hub, now());
        assert_eq!(signer().verify(&t, Purpose::Hub, now()), Err(LinkError::Expired { parent: parent("CAF-1.A") }));
    }

    #[test]
    fn a_link_signed_with_another_key_is_invalid() {
        let other = LinkSigner::new(b"another-key-another-key-another-key!").unwrap();
        let t = other.sign(&parent("CAF-1.A"), Purpose::Hub, now() + SignedDuration::from_hours(1));
        assert_eq!(signer().verify(&t, Purpose::Hub, now()), Err(LinkError::Invalid));
    }

    #[test]
    fn a_bound_link_names_what_it_acts_on_and_cannot_be_unbound() {
        let exp = now() + SignedDuration::from_hours(1);
        let t = signer().sign_bound(&parent("CAF-1.A"), Purpose::Cancel, exp, "w1@1700000000");
        assert_eq!(signer().verify(&t, Purpose::Cancel, now()).unwrap().bound_to.as_deref(), Some("w1@1700000000"));
        let plain = signer().sign(&parent("CAF-1.A"), Purpose::Cancel, exp);
        assert_eq!(signer().verify(&plain, Purpose::Cancel, now()).unwrap().bound_to, None);
        // The binding is inside the signed payload: a token with it cut off does not verify.
        let (payload, sig) = t.split_once('.').unwrap();
        let text = String::from_utf8(B64.decode(payload).unwrap()).unwrap();
        let cut = B64.encode(text.rsplit_once('|').unwrap().0);
        assert_eq!(signer().verify(&format!("{cut}.{sig}"), Purpose::Cancel, now()), Err(LinkError::Invalid));
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(LinkSigner::new(b"short").is_err());
    }

    proptest! {
        #[test]
        fn any_altered_character_invalidates_the_link(pos in 0usize..200, c in proptest::char::range('-', 'z')) {
            let t = signer().sign(&parent("CAF-1.A"), Purpose::Hub, now() + SignedDuration::from_hours(1));
            let pos = pos % t.len();
            let mut chars: Vec<char> = t.chars().collect();
            prop_assume!(chars[pos] != c);
            chars[pos] = c;
            let altered: String = chars.into_iter().collect();
            // base64 has spare low bits in the last character: an alteration may decode the same.
            let same = B64.decode(altered.split_once('.').map(|x| x.1).unwrap_or("")).ok()
                == B64.decode(t.split_once('.').unwrap().1).ok()
                && altered.split_once('.').map(|x| x.0) == Some(t.split_once('.').unwrap().0);
            prop_assume!(!same);
            prop_assert!(signer().verify(&altered, Purpose::Hub, now()).is_err());
        }

        #[test]
        fn arbitrary_text_never_verifies(s in ".{0,300}") {
            prop_assert_eq!(signer().verify(&s, Purpose::Hub, now()), Err(LinkError::Invalid));
        }
    }
}
