use super::*;

fn mobile(s: &str) -> Option<String> {
    UkMobile::parse(s).map(|m| m.as_str().to_owned())
}

#[test]
fn given_a_uk_mobile_in_e164_or_national_form_when_parsed_then_it_is_the_e164_mobile() {
    assert_eq!(mobile("+447700900123").as_deref(), Some("+447700900123"));
    assert_eq!(mobile("07700900123").as_deref(), Some("+447700900123"));
    assert_eq!(mobile("07700 900 123").as_deref(), Some("+447700900123"));
    assert_eq!(mobile("+44 (0)7700-900123").as_deref(), None, "a (0) is not dropped: the stored forms never have it");
    assert_eq!(mobile("+44 7700 900123").as_deref(), Some("+447700900123"));
    assert_eq!(mobile("07624 123456").as_deref(), Some("+447624123456"), "the Isle of Man's mobiles");
}

#[test]
fn given_a_landline_another_uk_range_or_a_foreign_number_when_parsed_then_it_is_no_mobile() {
    for n in [
        "+441632960123",
        "01632 960123",
        "+442079460123",
        "020 7946 0123",
        "0800 123 4567",
        "03001234567",
        "07000123456",
        "07600123456",
        "+33612345678",
        "+15551234567",
        "0033612345678",
        "+4477009001",
        "+4477009001234",
        "",
    ] {
        assert_eq!(mobile(n), None, "{n}");
    }
}

#[test]
fn a_mobile_never_shows_its_number_in_debug_output() {
    let m = UkMobile::parse("07700900123").unwrap();
    assert!(!format!("{m:?}").contains("900123"));
}

#[test]
fn given_the_default_kinds_then_the_rules_kinds_go_by_text_and_no_others() {
    let k = SmsKinds::default();
    for kind in TEXTABLE {
        assert!(k.allows(*kind), "{kind:?}");
    }
    assert!(!k.allows(NoticeKind::NewLink));
    assert!(!k.allows(NoticeKind::BookingCancelled));
}

#[test]
fn given_a_configured_list_then_only_it_goes_by_text() {
    let k = SmsKinds::parse(" welcome , workshop-reminder-2h").unwrap();
    assert!(k.allows(NoticeKind::Welcome) && k.allows(NoticeKind::WorkshopReminder2h));
    assert!(!k.allows(NoticeKind::BookingConfirmed));
    assert!(!SmsKinds::parse("none").unwrap().allows(NoticeKind::Welcome));
    assert!(SmsKinds::parse("welcome,nonsense").is_err());
    assert!(SmsKinds::parse("new-link").is_err(), "no text for it");
}

#[test]
fn stop_words_in_any_case_are_stops() {
    for w in ["STOP", "stop", " Stop ", "STOPALL", "unsubscribe", "Cancel", "END", "quit", "stop."] {
        assert!(is_stop(w), "{w}");
    }
    for w in ["START", "yes", "please stop texting me", ""] {
        assert!(!is_stop(w), "{w}");
    }
}

#[test]
fn texts_carry_no_links_say_how_to_stop_and_name_the_time() {
    let at: Timestamp = "2027-01-08T10:00:00Z".parse().unwrap();
    let all = [
        texts::welcome(),
        texts::booking_confirmed(at),
        texts::workshop_reminder(at),
        texts::workshop_soon(at),
        texts::did_not_attend(),
        texts::deadline_warning(jiff::civil::date(2027, 2, 1)),
    ];
    for t in &all {
        assert!(!t.contains("http") && !t.contains('/'), "{t}");
        assert!(t.ends_with("Reply STOP to stop texts."), "{t}");
        assert!(t.len() <= 160 * 2, "{t}");
    }
    assert!(all[1].contains("Friday 8 January at 10:00am"), "{}", all[1]);
    // One message part each (160 GSM characters), with the longest date there is.
    let longest: Timestamp = "2027-09-29T11:30:00Z".parse().unwrap();
    let deadline = texts::deadline_warning(jiff::civil::date(2027, 9, 29));
    for t in [texts::welcome(), texts::booking_confirmed(longest), texts::workshop_reminder(longest), texts::did_not_attend(), deadline] {
        assert!(t.chars().count() <= 160 && t.is_ascii(), "{} characters: {t}", t.chars().count());
    }
    assert!(all[3].contains("today at 10:00am"), "{}", all[3]);
    assert!(all[5].contains("1 February 2027"), "{}", all[5]);
}
