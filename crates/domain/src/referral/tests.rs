//! Unit tests of `referral.rs`.
use super::*;
use jiff::civil::date;

fn sample() -> serde_json::Value {
    serde_json::json!({
        "referralId": "CAF-2026-000123",
        "caseNumber": "ZW26P00123",
        "court": {"name": "Central Family Court", "email": "cfc.private@court.example"},
        "familyCourtAdviser": {"name": "Sam Adviser", "email": "sam.adviser@cafcass.example", "phone": "+447700900001"},
        "referredOn": "2026-11-20",
        "completeBy": "2027-01-29",
        "safeguardingConcerns": false,
        "parents": [
            {"parentRef": "A", "firstName": "Alex", "lastName": "Smith", "email": "alex@example.com",
             "phone": "+447700900123", "workshopMode": "online", "interpreterLanguage": null, "adjustments": null},
            {"parentRef": "B", "firstName": "Jo", "lastName": "Smith", "email": "jo@example.com"}
        ]
    })
}

fn parse(v: serde_json::Value) -> Result<NewReferral, Refusal> {
    NewReferral::parse(serde_json::from_value(v).unwrap(), date(2026, 11, 22))
}

fn fields(r: Result<NewReferral, Refusal>) -> Vec<String> {
    match r {
        Err(Refusal::Invalid(e)) => e.into_iter().map(|e| e.field).collect(),
        other => panic!("expected invalid, got {other:?}"),
    }
}

#[test]
fn a_complete_referral_parses_with_defaults() {
    let r = parse(sample()).unwrap();
    assert_eq!(r.parents.len(), 2);
    assert_eq!(r.parents[1].workshop_mode, WorkshopMode::Either);
    assert_eq!(r.parent_ids()[0].to_string(), "CAF-2026-000123.A");
}

#[test]
fn every_bad_field_is_named_at_once() {
    let mut v = sample();
    v["parents"][0]["email"] = "not-an-email".into();
    v["parents"][1]["parentRef"] = "A".into();
    v["completeBy"] = "2026-11-01".into();
    v["familyCourtAdviser"]["phone"] = "12".into();
    v.as_object_mut().unwrap().remove("caseNumber");
    let got = fields(parse(v));
    for f in ["parents[0].email", "parents[1].parentRef", "completeBy", "familyCourtAdviser.phone", "caseNumber"] {
        assert!(got.contains(&f.to_string()), "{f} missing from {got:?}");
    }
}

#[test]
fn safeguarding_concerns_make_a_referral_not_eligible() {
    let mut v = sample();
    v["safeguardingConcerns"] = true.into();
    assert_eq!(parse(v), Err(Refusal::NotEligible));
}

#[test]
fn a_referral_from_the_future_is_refused() {
    let mut v = sample();
    v["referredOn"] = "2026-11-23".into();
    assert_eq!(fields(parse(v)), vec!["referredOn"]);
}

#[test]
fn duplicate_emails_differ_only_in_case() {
    let mut v = sample();
    v["parents"][1]["email"] = "ALEX@example.com".into();
    assert_eq!(fields(parse(v)), vec!["parents[1].email"]);
}

#[test]
fn case_numbers_are_one_value_however_typed() {
    let mut v = sample();
    v["caseNumber"] = " zw26p\u{200B} 00123\t".into();
    assert_eq!(parse(v).unwrap().case_number.as_str(), "ZW26P00123");
    let mut v = sample();
    v["caseNumber"] = "\u{FEFF} ".into();
    assert_eq!(fields(parse(v)), vec!["caseNumber"]);
    let mut v = sample();
    v["caseNumber"] = "ZW26\u{0}P".into();
    assert_eq!(fields(parse(v)), vec!["caseNumber"]);
}

#[test]
fn dates_are_bounded_so_every_deadline_is_a_real_moment() {
    let mut v = sample();
    v["completeBy"] = "9999-12-31".into();
    assert_eq!(fields(parse(v)), vec!["completeBy"]);
    let mut v = sample();
    v["completeBy"] = "2028-11-20".into();
    assert!(parse(v).is_ok(), "exactly two years is allowed");
    let mut v = sample();
    v["completeBy"] = "2028-11-21".into();
    assert_eq!(fields(parse(v)), vec!["completeBy"]);
    let mut v = sample();
    v["referredOn"] = "2025-11-21".into();
    assert_eq!(fields(parse(v)), vec!["referredOn"]);
    let mut v = sample();
    v["referredOn"] = "0001-01-01".into();
    assert_eq!(fields(parse(v)), vec!["referredOn"]);
}

#[test]
fn control_characters_in_adjustments_are_refused() {
    let mut v = sample();
    v["parents"][0]["adjustments"] = "Step-free access\u{0}".into();
    assert_eq!(fields(parse(v)), vec!["parents[0].adjustments"]);
    let mut v = sample();
    v["parents"][0]["adjustments"] = "Step-free access\nHearing loop".into();
    assert!(parse(v).is_ok());
}

#[test]
fn parent_counts_outside_one_to_four_are_refused() {
    let mut v = sample();
    v["parents"] = serde_json::json!([]);
    assert_eq!(fields(parse(v)), vec!["parents"]);
}

#[test]
fn the_same_content_hashes_the_same_and_other_content_differently() {
    let a = parse(sample()).unwrap();
    let mut v = sample();
    v["caseNumber"] = "  ZW26P00123 ".into();
    assert_eq!(a.content_hash(), parse(v).unwrap().content_hash());
    let mut v = sample();
    v["completeBy"] = "2027-01-30".into();
    assert_ne!(a.content_hash(), parse(v).unwrap().content_hash());
}

#[test]
fn unknown_fields_are_named_at_every_level() {
    let mut v = sample();
    v["extra"] = 1.into();
    v["court"]["fax"] = "x".into();
    v["parents"][1]["nickname"] = "J".into();
    let got: Vec<String> = unknown_fields(&v).into_iter().map(|e| e.field).collect();
    assert_eq!(got, vec!["extra", "court.fax", "parents[1].nickname"]);
}

#[test]
fn phones_in_e164_and_uk_national_form_parse() {
    assert!(PhoneNumber::parse("+447700900123").is_ok());
    assert!(PhoneNumber::parse("07700 900123").is_ok());
    assert!(PhoneNumber::parse("7700900123").is_err());
    assert!(PhoneNumber::parse("+0123").is_err());
}
