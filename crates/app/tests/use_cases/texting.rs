//! Texts: each once per (parent, kind, subject) apart from the email, only to UK mobiles, only the
//! configured kinds, never to a number that said STOP.

use pt4c_app::texting::{inbound, remind_soon, text_once, Inbound, Text, Texting};
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{PortError, ReferralStore};
use pt4c_domain::progress::NoticeChannel;
use pt4c_domain::sms::{sms_subject, SmsKinds, UkMobile};
use pt4c_domain::ParentId;
use pt4c_memory::MemoryTexter;

use crate::harness::{app, hours, mins};

const MOBILE: &str = "+447700900123";

fn welcome<'a>(parent: &'a ParentId, phone: Option<&'a str>) -> Text<'a> {
    Text { parent, phone, kind: NoticeKind::Welcome, subject: "referral", text: pt4c_domain::sms::texts::welcome() }
}

#[tokio::test]
async fn given_a_text_sent_when_the_notice_is_delivered_again_then_it_is_not_sent_again() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let texter = MemoryTexter::new();
    let kinds = SmsKinds::default();

    let first = text_once(&t.store, &texter, &kinds, welcome(&a, Some(MOBILE)), t.now()).await.unwrap();
    let again = text_once(&t.store, &texter, &kinds, welcome(&a, Some("07700 900123")), t.now()).await.unwrap();

    assert!(matches!(first, Texting::Sent { .. }), "{first:?}");
    assert_eq!(again, Texting::AlreadySent);
    let sent = texter.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to.as_str(), MOBILE);
    let progress = t.store.progress(a.referral_id()).await.unwrap().unwrap();
    let mine = &progress.parents[0].notices;
    assert_eq!(mine.iter().filter(|n| n.channel == NoticeChannel::Sms && n.kind == NoticeKind::Welcome).count(), 1, "{mine:?}");
}

#[tokio::test]
async fn given_the_texter_fails_when_the_delivery_is_retried_then_the_text_is_sent_once() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let texter = MemoryTexter::new();
    texter.fail_next(PortError::Retryable("Throttling".into()));

    let refused = text_once(&t.store, &texter, &SmsKinds::default(), welcome(&a, Some(MOBILE)), t.now()).await;
    let retried = text_once(&t.store, &texter, &SmsKinds::default(), welcome(&a, Some(MOBILE)), t.now()).await.unwrap();

    assert!(refused.is_err());
    assert!(matches!(retried, Texting::Sent { .. }), "the claim was given back: {retried:?}");
    assert_eq!(texter.sent().len(), 1);
}

#[tokio::test]
async fn given_a_landline_a_foreign_number_or_none_then_no_text_is_sent() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let texter = MemoryTexter::new();
    for phone in [Some("+441632960123"), Some("020 7946 0123"), Some("+33612345678"), None] {
        let got = text_once(&t.store, &texter, &SmsKinds::default(), welcome(&a, phone), t.now()).await.unwrap();
        assert_eq!(got, Texting::NotTexted, "{phone:?}");
    }
    assert!(texter.sent().is_empty());
}

#[tokio::test]
async fn given_a_kind_not_configured_then_no_text_is_sent() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let texter = MemoryTexter::new();
    let kinds = SmsKinds::parse("booking-confirmed").unwrap();

    let got = text_once(&t.store, &texter, &kinds, welcome(&a, Some(MOBILE)), t.now()).await.unwrap();

    assert_eq!(got, Texting::NotTexted);
    assert!(texter.sent().is_empty());
}

#[tokio::test]
async fn given_the_parent_replied_stop_when_a_text_is_due_then_none_is_sent_and_the_ledger_says_so() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let texter = MemoryTexter::new();

    assert_eq!(inbound(&t.store, "07700 900123", " Stop ", t.now()).await.unwrap(), Inbound::OptedOut);
    let got = text_once(&t.store, &texter, &SmsKinds::default(), welcome(&a, Some(MOBILE)), t.now()).await.unwrap();
    let again = text_once(&t.store, &texter, &SmsKinds::default(), welcome(&a, Some(MOBILE)), t.now()).await.unwrap();

    assert_eq!(got, Texting::OptedOut);
    assert_eq!(again, Texting::AlreadySent, "recorded as not sent: never tried again");
    assert!(texter.sent().is_empty());
    assert_eq!(t.texts_opted_out(&a).await, vec![(NoticeKind::Welcome, sms_subject("referral"))]);
}

#[tokio::test]
async fn given_a_reply_that_is_not_a_stop_word_or_not_from_a_mobile_then_nothing_changes() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let texter = MemoryTexter::new();

    assert_eq!(inbound(&t.store, MOBILE, "thanks", t.now()).await.unwrap(), Inbound::Ignored);
    assert_eq!(inbound(&t.store, "+33612345678", "STOP", t.now()).await.unwrap(), Inbound::Ignored);
    let got = text_once(&t.store, &texter, &SmsKinds::default(), welcome(&a, Some(MOBILE)), t.now()).await.unwrap();

    assert!(matches!(got, Texting::Sent { .. }), "{got:?}");
}

#[tokio::test]
async fn given_the_provider_holds_the_number_opted_out_then_later_texts_are_refused_without_asking_it() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let texter = MemoryTexter::new();
    texter.opted_out_at_provider(&UkMobile::parse(MOBILE).unwrap());

    let got = text_once(&t.store, &texter, &SmsKinds::default(), welcome(&a, Some(MOBILE)), t.now()).await.unwrap();
    let confirmation = Text { parent: &a, phone: Some(MOBILE), kind: NoticeKind::BookingConfirmed, subject: "w@1", text: "booked".into() };
    let next = text_once(&t.store, &texter, &SmsKinds::default(), confirmation, t.now()).await.unwrap();

    assert_eq!(got, Texting::OptedOut);
    assert_eq!(next, Texting::OptedOut, "our own record refuses the claim");
    assert!(texter.sent().is_empty());
}

#[tokio::test]
async fn given_a_workshop_starting_within_2_hours_when_the_frequent_run_runs_twice_then_each_booked_parent_is_texted_once() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let soon = t.given_a_workshop(hours(26), 10).await;
    let later = t.given_a_workshop(hours(30), 10).await;
    t.given_booked(&a, &soon).await;
    let (c, _) = t.given_another_referral(1).await;
    t.given_booked(&c, &later).await;
    let texter = MemoryTexter::new();
    let kinds = SmsKinds::default();

    t.advance(hours(24) + mins(5)); // the workshop starts in 1 h 55
    let first = remind_soon(&t.app, &texter, &kinds, t.now()).await.unwrap();
    t.advance(mins(15));
    let second = remind_soon(&t.app, &texter, &kinds, t.now()).await.unwrap();

    assert_eq!((first.workshops, first.sent), (1, 1), "{first:?}");
    assert_eq!((second.workshops, second.sent, second.already_sent), (1, 0, 1), "{second:?}");
    let sent = texter.sent();
    assert_eq!(sent.len(), 1, "the later workshop is not within 2 hours: {sent:?}");
    assert!(sent[0].text.contains("starts today at"), "{}", sent[0].text);
}

#[tokio::test]
async fn given_the_2_hour_reminder_is_not_configured_then_the_frequent_run_texts_nothing() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let soon = t.given_a_workshop(hours(26), 10).await;
    t.given_booked(&a, &soon).await;
    let texter = MemoryTexter::new();
    t.advance(hours(25));

    let done = remind_soon(&t.app, &texter, &SmsKinds::parse("welcome").unwrap(), t.now()).await.unwrap();

    assert_eq!(done.sent, 0);
    assert!(texter.sent().is_empty());
}
