//! The capacity forecast as the sweep runs it: parents on the course against seats that suit
//! them, stored as one item, the coordinators emailed once a day while short.

use pt4c_app::forecast;
use pt4c_domain::notice::{Email, NoticeKind};
use pt4c_memory::MemoryMailer;

use crate::harness::*;

fn email(f: &pt4c_domain::forecast::Forecast) -> Result<Email, String> {
    Ok(Email {
        to: vec!["coordinators@pt4c.test".into()],
        subject: format!("Workshops to add ({})", f.today),
        text: String::new(),
        html: String::new(),
        attachments: vec![],
    })
}

#[tokio::test]
async fn given_parents_without_seats_before_their_date_when_the_forecast_runs_daily_then_one_email_a_day_and_a_stored_banner() {
    let t = app().await;
    let mailer = MemoryMailer::new();
    // Given two referrals (four parents) whose court date is 29 January 2027, and no workshop
    t.given_a_referral().await;
    t.given_another_referral(1).await;
    // When the forecast runs on 9 January (20 days before), twice that day
    t.set_now(at("2027-01-09T08:00:00Z"));
    let first = forecast::run(&t, &mailer, t.now(), email).await.expect("forecast");
    let again = forecast::run(&t, &mailer, t.now() + hours(2), email).await.expect("forecast");
    // Then it read the four parents, says to add workshops, and emailed once
    assert_eq!((first.parents_read, first.workshops_read), (4, 0));
    assert!(first.emailed && !again.emailed);
    let stored = forecast::latest(&t).await.expect("read").expect("stored");
    assert!(stored.alert());
    // Parents A are online only, B either mode: B joins A's online group.
    assert_eq!(stored.to_add.len(), 1);
    assert_eq!((stored.to_add[0].parents, stored.to_add[0].workshops), (4, 1));
    // And the next day, one more email
    let next_day = forecast::run(&t, &mailer, at("2027-01-10T08:00:00Z"), email).await.expect("forecast");
    assert!(next_day.emailed);
    assert_eq!(mailer.sent_to("coordinators@pt4c.test").len(), 2);
    assert_eq!(t.coordinator_notices_sent(NoticeKind::CapacityShortfall).await, vec!["2027-01-09".to_owned(), "2027-01-10".to_owned()]);
}

#[tokio::test]
async fn given_enough_suitable_seats_when_the_forecast_runs_then_no_alert_and_nothing_sent() {
    let t = app().await;
    let mailer = MemoryMailer::new();
    let (a, b) = t.given_a_referral().await;
    // A workshop 10 days on with six seats, before the court's date
    t.set_now(at("2027-01-09T08:00:00Z"));
    t.given_a_workshop(days(10), 6).await;
    let run = forecast::run(&t, &mailer, t.now(), email).await.expect("forecast");
    assert_eq!((run.parents_read, run.workshops_read, run.workshops_to_add, run.emailed), (2, 1, 0, false));
    assert!(!forecast::latest(&t).await.expect("read").expect("stored").alert());
    assert!(mailer.sent().is_empty());
    let _ = (a, b);
}
