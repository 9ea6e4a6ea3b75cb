//! Identifiers, parsed once at the edge.

use std::fmt;

use serde::{Deserialize, Serialize};

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// Cafcass's id for a referral: 1-64 of `A-Z a-z 0-9 . _ -`; the idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReferralId(String);

impl ReferralId {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.is_empty() || s.len() > 64 {
            return Err("must be 1 to 64 characters");
        }
        if !s.chars().all(is_id_char) {
            return Err("may contain only letters, digits, '.', '_' and '-'");
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReferralId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The referral's own label for a parent ("A", "B"): 1-16 of `A-Z a-z 0-9 _ -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ParentRef(String);

impl ParentRef {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.is_empty() || s.len() > 16 {
            return Err("must be 1 to 16 characters");
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')) {
            return Err("may contain only letters, digits, '_' and '-'");
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ParentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A parent's id: `{referralId}.{parentRef}`. Derived, never random, so a replayed
/// referral names the same parents, and any parent's record is found from its id alone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ParentId {
    referral: ReferralId,
    parent_ref: ParentRef,
}

impl ParentId {
    pub fn new(referral: ReferralId, parent_ref: ParentRef) -> Self {
        Self { referral, parent_ref }
    }
    /// Parent refs have no '.', so the last '.' splits the id unambiguously.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let (referral, parent_ref) = s.rsplit_once('.').ok_or("is not a parent id")?;
        Ok(Self {
            referral: ReferralId::parse(referral).map_err(|_| "is not a parent id")?,
            parent_ref: ParentRef::parse(parent_ref).map_err(|_| "is not a parent id")?,
        })
    }
    pub fn referral_id(&self) -> &ReferralId {
        &self.referral
    }
    pub fn parent_ref(&self) -> &ParentRef {
        &self.parent_ref
    }
}

impl fmt::Display for ParentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.referral, self.parent_ref)
    }
}

impl TryFrom<String> for ParentId {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ParentId> for String {
    fn from(id: ParentId) -> String {
        id.to_string()
    }
}

/// A workshop's id: a UUID we issue, kept in its lower-case hyphenated form. Anything else names
/// no workshop, so it is refused at the edge rather than looked up.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkshopId(String);

impl WorkshopId {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let hyphens = [8, 13, 18, 23];
        let well_formed =
            s.len() == 36 && s.char_indices().all(|(i, c)| if hyphens.contains(&i) { c == '-' } else { c.is_ascii_hexdigit() });
        if well_formed {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err("must be a workshop id")
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WorkshopId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&WorkshopId> for String {
    fn from(id: &WorkshopId) -> String {
        id.0.clone()
    }
}

impl PartialEq<str> for WorkshopId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

/// An e-learning module's id, as the catalogue names it: 1-64 of `a-z 0-9 -`. Whether the
/// course has such a module is the catalogue's to say.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ModuleId(String);

impl ModuleId {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.is_empty() || s.len() > 64 || !s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err("is not a module of the course");
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ModuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&ModuleId> for String {
    fn from(id: &ModuleId) -> String {
        id.0.clone()
    }
}

/// An opaque id the service makes itself (a UUID, a digest): typed so that one kind is never
/// passed for another; read back from the store as written.
macro_rules! opaque_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id as made or stored (never from a request: those are parsed).
            pub fn from_stored(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&$name> for String {
            fn from(id: &$name) -> String {
                id.0.clone()
            }
        }
    };
}

opaque_id!(
    /// An outbox event's id: EventBridge's idempotency key downstream.
    EventId
);
opaque_id!(
    /// The claim on sending one email: proves the sender when marking it sent or giving it back.
    ClaimId
);
opaque_id!(
    /// A concern's id: a digest of who raised what about whom, so a repeat is the same concern.
    ConcernId
);

opaque_id!(
    /// A held offer's id (a UUID): an offer's links, its hold and its email name it.
    OfferId
);

/// A concern's id: the digest of who raised what about whom, so a replayed request names the same concern.
pub fn concern_id(parent: &ParentId, raised_by: &str, summary: &str) -> ConcernId {
    use sha2::{Digest, Sha256};
    let canonical = serde_json::to_vec(&(parent.to_string(), raised_by, summary)).expect("strings always serialise");
    ConcernId(Sha256::digest(&canonical).iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workshop_id_is_a_uuid_in_lower_case() {
        let id = WorkshopId::parse("0F8E2C3A-1B2C-4D5E-8F90-A1B2C3D4E5F6").unwrap();
        assert_eq!(id.as_str(), "0f8e2c3a-1b2c-4d5e-8f90-a1b2c3d4e5f6");
        for bad in [
            "",
            "w-1",
            "0f8e2c3a1b2c4d5e8f90a1b2c3d4e5f6aaaa",
            "0f8e2c3a-1b2c-4d5e-8f90-a1b2c3d4e5fg",
            "0f8e2c3a-1b2c-4d5e-8f90-a1b2c3d4e5f6\n",
        ] {
            assert!(WorkshopId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parent_id_round_trips_through_its_string_form() {
        let id = ParentId::new(ReferralId::parse("CAF-2026.000123").unwrap(), ParentRef::parse("A").unwrap());
        assert_eq!(id.to_string(), "CAF-2026.000123.A");
        let back = ParentId::parse("CAF-2026.000123.A").unwrap();
        assert_eq!(back, id);
        assert_eq!(back.referral_id().as_str(), "CAF-2026.000123");
    }

    #[test]
    fn ids_refuse_bad_characters_and_lengths() {
        assert!(ReferralId::parse("").is_err());
        assert!(ReferralId::parse(&"x".repeat(65)).is_err());
        assert!(ReferralId::parse("CAF 1").is_err());
        assert!(ReferralId::parse("CAF/1").is_err());
        assert!(ParentRef::parse("A.B").is_err());
        assert!(ParentId::parse("noparent").is_err());
    }
}
