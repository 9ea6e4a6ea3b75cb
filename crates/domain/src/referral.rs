//! A referral from Cafcass: the request as posted, and the referral it becomes once parsed.

use std::collections::HashSet;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{FieldError, ParentId, ParentRef, ReferralId};

mod names;
pub use names::{surname_key, NAMED_AT_MOST};

pub const MAX_PARENTS: usize = 4;
pub const MAX_ADJUSTMENTS_CHARS: usize = 500;
/// A court's date is at most this many years after the referral (api.md).
pub const MAX_YEARS_TO_COMPLETE: i64 = 2;

/// A court case number, normalised so that one case is one value however it was typed:
/// trimmed, upper case, without spaces or invisible characters ("zw26p 00123" is "ZW26P00123").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaseNumber(String);

impl CaseNumber {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.chars().any(|c| c.is_control() && !c.is_whitespace()) {
            return Err("must not contain control characters");
        }
        let normal: String = s.chars().filter(|c| !c.is_whitespace() && !crate::text::invisible(*c)).flat_map(char::to_uppercase).collect();
        if normal.is_empty() {
            return Err("must not be empty");
        }
        if normal.chars().count() > 32 {
            return Err("must be at most 32 characters");
        }
        Ok(Self(normal))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// POST /referrals as it arrives: every field optional, so parsing can name each missing one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferralRequest {
    pub referral_id: Option<String>,
    pub case_number: Option<String>,
    pub court: Option<ContactRequest>,
    pub family_court_adviser: Option<ContactRequest>,
    pub referred_on: Option<String>,
    pub complete_by: Option<String>,
    pub safeguarding_concerns: Option<bool>,
    pub parents: Option<Vec<ParentRequest>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactRequest {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentRequest {
    pub parent_ref: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub workshop_mode: Option<String>,
    pub interpreter_language: Option<String>,
    pub adjustments: Option<String>,
}

/// The JSON keys each object of the request may carry; anything else is refused.
pub const REFERRAL_FIELDS: &[&str] =
    &["referralId", "caseNumber", "court", "familyCourtAdviser", "referredOn", "completeBy", "safeguardingConcerns", "parents"];
pub const COURT_FIELDS: &[&str] = &["name", "email"];
pub const ADVISER_FIELDS: &[&str] = &["name", "email", "phone"];
pub const PARENT_FIELDS: &[&str] =
    &["parentRef", "firstName", "lastName", "email", "phone", "workshopMode", "interpreterLanguage", "adjustments"];

/// Names every key of the request that the contract does not know.
pub fn unknown_fields(body: &serde_json::Value) -> Vec<FieldError> {
    fn check(obj: &serde_json::Value, known: &[&str], prefix: &str, out: &mut Vec<FieldError>) {
        if let Some(map) = obj.as_object() {
            for key in map.keys() {
                if !known.contains(&key.as_str()) {
                    out.push(FieldError::new(format!("{prefix}{key}"), "is not a known field"));
                }
            }
        }
    }
    let mut out = Vec::new();
    check(body, REFERRAL_FIELDS, "", &mut out);
    check(&body["court"], COURT_FIELDS, "court.", &mut out);
    check(&body["familyCourtAdviser"], ADVISER_FIELDS, "familyCourtAdviser.", &mut out);
    if let Some(parents) = body["parents"].as_array() {
        for (i, p) in parents.iter().enumerate() {
            check(p, PARENT_FIELDS, &format!("parents[{i}]."), &mut out);
        }
    }
    out
}

/// An email address that passed RFC 5321/5322 checks, kept as given (trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let s = s.trim();
        if s.len() > 254 {
            return Err("must be at most 254 characters");
        }
        // A bare address only: no display names, no IP literals, a dotted domain.
        let parsed = email_address::EmailAddress::parse_with_options(
            s,
            email_address::Options::default().without_display_text().without_domain_literal(),
        )
        .map_err(|_| "is not a valid email address")?;
        if !parsed.domain().contains('.') || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("is not a valid email address");
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164 (`+447700900123`) or UK national form (`07700 900123`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let compact: String = s.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
        let ok = match compact.strip_prefix('+') {
            Some(digits) => (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0'),
            None => compact.len() == 11 && compact.starts_with('0') && compact.chars().all(|c| c.is_ascii_digit()),
        };
        if ok {
            Ok(Self(compact))
        } else {
            Err("must be a phone number in E.164 (+447700900123) or UK national (07700900123) form")
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkshopMode {
    Online,
    InPerson,
    Either,
}

impl WorkshopMode {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        match s {
            "online" => Ok(Self::Online),
            "in_person" => Ok(Self::InPerson),
            "either" => Ok(Self::Either),
            _ => Err("must be one of online, in_person, either"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub name: String,
    pub email: EmailAddress,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneNumber>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentDetails {
    pub parent_ref: ParentRef,
    pub first_name: String,
    pub last_name: String,
    pub email: EmailAddress,
    pub phone: Option<PhoneNumber>,
    pub workshop_mode: WorkshopMode,
    pub interpreter_language: Option<String>,
    pub adjustments: Option<String>,
}

/// A referral that has passed every check of the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewReferral {
    pub referral_id: ReferralId,
    pub case_number: CaseNumber,
    pub court: Contact,
    pub family_court_adviser: Contact,
    pub referred_on: Date,
    pub complete_by: Date,
    pub parents: Vec<ParentDetails>,
}

/// Why a referral was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Invalid(Vec<FieldError>),
    /// Safeguarding concerns: the course is not for this case.
    NotEligible,
}

impl NewReferral {
    /// Parses a request into a referral, naming every bad field at once. `today` is England's date.
    pub fn parse(req: ReferralRequest, today: Date) -> Result<Self, Refusal> {
        let mut errors = Vec::new();
        let mut err = |field: &str, msg: &str| errors.push(FieldError::new(field, msg));

        if req.safeguarding_concerns == Some(true) {
            return Err(Refusal::NotEligible);
        }
        if req.safeguarding_concerns.is_none() {
            err("safeguardingConcerns", "is required");
        }

        let referral_id =
            required(&req.referral_id, "referralId", &mut err).and_then(|s| ReferralId::parse(s).map_err(|m| err("referralId", m)).ok());
        let case_number =
            required(&req.case_number, "caseNumber", &mut err).and_then(|s| CaseNumber::parse(s).map_err(|m| err("caseNumber", m)).ok());
        let court = contact(req.court.as_ref(), "court", false, &mut err);
        let adviser = contact(req.family_court_adviser.as_ref(), "familyCourtAdviser", true, &mut err);
        let referred_on = required(&req.referred_on, "referredOn", &mut err).and_then(|s| date(s, "referredOn", &mut err)).and_then(|d| {
            if d > today {
                err("referredOn", "must not be in the future");
                None
            } else if today.checked_sub(jiff::Span::new().years(1)).is_ok_and(|earliest| d < earliest) {
                err("referredOn", "must not be more than a year ago");
                None
            } else {
                Some(d)
            }
        });
        let complete_by = required(&req.complete_by, "completeBy", &mut err).and_then(|s| date(s, "completeBy", &mut err));
        if let (Some(from), Some(by)) = (referred_on, complete_by) {
            if by <= from {
                err("completeBy", "must be after referredOn");
            } else if from.checked_add(jiff::Span::new().years(MAX_YEARS_TO_COMPLETE)).map_or(true, |latest| by > latest) {
                err("completeBy", "must be at most two years after referredOn");
            }
        }

        let mut parents = Vec::new();
        match &req.parents {
            None => err("parents", "is required"),
            Some(list) if list.is_empty() || list.len() > MAX_PARENTS => err("parents", "must list 1 to 4 parents"),
            Some(list) => {
                let mut refs = HashSet::new();
                let mut emails = HashSet::new();
                for (i, p) in list.iter().enumerate() {
                    // Duplicates are checked on what was sent, so a parent with other faults still counts.
                    if let Some(r) = p.parent_ref.as_deref() {
                        if !refs.insert(r.to_owned()) {
                            err(&format!("parents[{i}].parentRef"), "is used by another parent of this referral");
                        }
                    }
                    if let Some(e) = p.email.as_deref() {
                        if !emails.insert(e.trim().to_ascii_lowercase()) {
                            err(&format!("parents[{i}].email"), "is used by another parent of this referral");
                        }
                    }
                    if let Some(parent) = parent(p, i, &mut err) {
                        parents.push(parent);
                    }
                }
            }
        }

        match (referral_id, case_number, court, adviser, referred_on, complete_by) {
            (Some(referral_id), Some(case_number), Some(court), Some(family_court_adviser), Some(referred_on), Some(complete_by))
                if errors.is_empty() =>
            {
                Ok(Self { referral_id, case_number, court, family_court_adviser, referred_on, complete_by, parents })
            }
            _ => Err(Refusal::Invalid(errors)),
        }
    }

    /// A digest of the referral's content: the same content posted again is a replay,
    /// other content under the same referralId a conflict.
    pub fn content_hash(&self) -> String {
        // The struct serialises in declaration order, so the digest is stable.
        let canonical = serde_json::to_vec(self).expect("a referral always serialises");
        let digest = Sha256::digest(&canonical);
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn parent_ids(&self) -> Vec<ParentId> {
        self.parents.iter().map(|p| ParentId::new(self.referral_id.clone(), p.parent_ref.clone())).collect()
    }
}

fn required<'a>(v: &'a Option<String>, field: &str, err: &mut impl FnMut(&str, &str)) -> Option<&'a str> {
    match v.as_deref() {
        None => {
            err(field, "is required");
            None
        }
        Some(s) => Some(s),
    }
}

fn text(s: &str, max: usize, field: &str, err: &mut impl FnMut(&str, &str)) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        err(field, "must not be empty");
        None
    } else if t.chars().count() > max {
        err(field, &format!("must be at most {max} characters"));
        None
    } else if t.chars().any(char::is_control) {
        err(field, "must not contain control characters");
        None
    } else {
        Some(t.to_owned())
    }
}

fn date(s: &str, field: &str, err: &mut impl FnMut(&str, &str)) -> Option<Date> {
    // Strictly YYYY-MM-DD: jiff would also take other ISO forms.
    let shaped = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    match s.parse::<Date>() {
        Ok(d) if shaped => Some(d),
        _ => {
            err(field, "must be a date, YYYY-MM-DD");
            None
        }
    }
}

fn email(v: &Option<String>, field: &str, err: &mut impl FnMut(&str, &str)) -> Option<EmailAddress> {
    required(v, field, err).and_then(|s| EmailAddress::parse(s).map_err(|m| err(field, m)).ok())
}

/// `Some(None)` for an absent phone, `None` for a bad one.
fn phone(v: &Option<String>, field: &str, err: &mut impl FnMut(&str, &str)) -> Option<Option<PhoneNumber>> {
    match v.as_deref() {
        None => Some(None),
        Some(s) => PhoneNumber::parse(s).map(Some).map_err(|m| err(field, m)).ok(),
    }
}

fn contact(c: Option<&ContactRequest>, prefix: &str, with_phone: bool, err: &mut impl FnMut(&str, &str)) -> Option<Contact> {
    let Some(c) = c else {
        err(prefix, "is required");
        return None;
    };
    let name = required(&c.name, &format!("{prefix}.name"), err).and_then(|s| text(s, 200, &format!("{prefix}.name"), err));
    let email = email(&c.email, &format!("{prefix}.email"), err);
    let phone = if with_phone { phone(&c.phone, &format!("{prefix}.phone"), err) } else { Some(None) };
    Some(Contact { name: name?, email: email?, phone: phone? })
}

fn language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn parent(p: &ParentRequest, i: usize, err: &mut impl FnMut(&str, &str)) -> Option<ParentDetails> {
    let f = |name: &str| format!("parents[{i}].{name}");
    let parent_ref =
        required(&p.parent_ref, &f("parentRef"), err).and_then(|s| ParentRef::parse(s).map_err(|m| err(&f("parentRef"), m)).ok());
    let first_name = required(&p.first_name, &f("firstName"), err).and_then(|s| text(s, 100, &f("firstName"), err));
    let last_name = required(&p.last_name, &f("lastName"), err).and_then(|s| text(s, 100, &f("lastName"), err));
    let email = email(&p.email, &f("email"), err);
    let phone = phone(&p.phone, &f("phone"), err);
    let workshop_mode = match p.workshop_mode.as_deref() {
        None => Some(WorkshopMode::Either),
        Some(s) => WorkshopMode::parse(s).map_err(|m| err(&f("workshopMode"), m)).ok(),
    };
    let interpreter_language = match p.interpreter_language.as_deref() {
        None => Some(None),
        Some(s) if language_tag(s) => Some(Some(s.to_owned())),
        Some(_) => {
            err(&f("interpreterLanguage"), "must be a language tag such as pl or pt-BR");
            None
        }
    };
    let adjustments = match p.adjustments.as_deref() {
        None => Some(None),
        Some(s) if s.chars().count() > MAX_ADJUSTMENTS_CHARS => {
            err(&f("adjustments"), "must be at most 500 characters");
            None
        }
        Some(s) if s.trim().is_empty() => Some(None),
        Some(s) => crate::text::paragraphs(s, MAX_ADJUSTMENTS_CHARS).map(Some).map_err(|m| err(&f("adjustments"), &m)).ok(),
    };
    Some(ParentDetails {
        parent_ref: parent_ref?,
        first_name: first_name?,
        last_name: last_name?,
        email: email?,
        phone: phone?,
        workshop_mode: workshop_mode?,
        interpreter_language: interpreter_language?,
        adjustments: adjustments?,
    })
}

#[cfg(test)]
mod tests;
