//! Deadlines through the local stack, on its clock: the daily sweep's reminders at their
//! thresholds, attendance, follow-ups, the notices to the FCA and the court, each email once.

use jiff::{SignedDuration, Timestamp};
use pt4c_domain::link::Purpose;
use pt4c_tests::course::TRAINER;
use pt4c_tests::views::{AttendanceResult, ConcernResult, FollowUpEntry, FollowUpOutcome, ParentStatus, ReferralStatus, Reminder};
use pt4c_tests::{referral, spawn_app, NewWorkshop, TestApp};
use serde_json::json;

#[path = "chaos.rs"]
mod chaos;
mod retention;

const FCA: &str = "sam.adviser@cafcass.example";
const COURT: &str = "cfc.private@court.example";
const ALEX: &str = "alex.hartley@example.com";
const MORGAN: &str = "morgan.quill@example.com";

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

/// An online workshop starting at `starts`.
async fn workshop_at(app: &TestApp, starts: &str) -> String {
    app.publish_workshop(NewWorkshop::online().at(at(starts))).await
}

/// Emails to `address` whose subject contains `subject`.
async fn mails(app: &TestApp, address: &str, subject: &str) -> Vec<pt4c_local::mailbox::Mail> {
    app.mail_to(address).await.into_iter().filter(|m| m.subject.contains(subject)).collect()
}

/// Waits for the emails in flight, then checks no (recipient, subject) was sent twice.
async fn each_email_once(app: &TestApp) -> Vec<pt4c_local::mailbox::Mail> {
    app.quiet().await;
    let mail = app.mail().await;
    let mut seen = std::collections::BTreeMap::new();
    for m in &mail {
        *seen.entry((m.to.join(","), m.subject.clone())).or_insert(0) += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    mail
}

/// The items stored under a referral once the stack is quiet (in-flight emails write notices).
async fn settled_items(app: &TestApp, referral_id: &str) -> i32 {
    app.quiet().await;
    app.items_of_referral(referral_id).await
}

async fn wait_for(app: &TestApp, address: &str, subject: &str, count: usize) {
    let found = app.eventually(|| async { mails(app, address, subject).await.len() >= count }).await;
    assert!(
        found,
        "{count} email(s) '{subject}' to {address}; mailbox: {:?}",
        app.mail().await.iter().map(|m| (&m.to, &m.subject)).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_referral_walks_from_intake_through_reminders_workshops_and_follow_ups_to_completed() {
    let app = spawn_app().await;
    // Given a referral received on Monday 23 November 2026 at 09:00
    let t0 = at("2026-11-23T09:00:00Z");
    app.stack.set_clock(Some(t0));
    assert_eq!(app.post_referral(&referral("CAF-2026-000501")).await.status, 201);
    wait_for(&app, ALEX, "Welcome", 1).await;
    wait_for(&app, MORGAN, "Welcome", 1).await;

    // Activation reminders: not a minute before 48 hours, then once, however often the sweep runs.
    let early = app.sweep(t0 + hours(48) - SignedDuration::from_mins(1)).await;
    assert_eq!(early.raised(), 0, "{early}");
    let first = app.sweep(t0 + hours(48)).await;
    assert_eq!(first.reminded(Reminder::ActivationReminder), 2, "{first}");
    for _ in 0..2 {
        let again = app.sweep(t0 + hours(48)).await;
        assert_eq!((again.raised(), again.parents_due), (0, 0), "{again}");
    }
    wait_for(&app, ALEX, "Reminder: set up your Parent Hub", 1).await;
    wait_for(&app, MORGAN, "Reminder: set up your Parent Hub", 1).await;

    // Both set up their Hub on day 3; the e-learning reminder comes on day 7, once, though two sweeps run at once.
    app.stack.set_clock(Some(t0 + hours(72)));
    for p in ["A", "B"] {
        let hub = app.link(&format!("CAF-2026-000501.{p}"), Purpose::Hub);
        assert_eq!(app.send(reqwest::Method::POST, &format!("/hub/{hub}/activate"), None, vec![]).await.status, 303);
    }
    let (one, two) = tokio::join!(app.sweep(t0 + hours(24 * 7)), app.sweep(t0 + hours(24 * 7)));
    assert_eq!(one.reminded(Reminder::ElearningReminder) + two.reminded(Reminder::ElearningReminder), 2, "{one} {two}");
    assert_eq!(one.reminded(Reminder::ActivationReminder) + two.reminded(Reminder::ActivationReminder), 0);
    wait_for(&app, ALEX, "finish your e-learning", 1).await;
    wait_for(&app, MORGAN, "finish your e-learning", 1).await;

    // Day 8: both finish the e-learning and book (co-parents: separate workshops).
    let day8 = t0 + hours(24 * 8);
    app.stack.set_clock(Some(day8));
    app.finish_elearning("CAF-2026-000501.A").await;
    app.finish_elearning("CAF-2026-000501.B").await;
    let w1 = workshop_at(&app, "2026-12-14T10:00:00Z").await;
    let w2 = workshop_at(&app, "2026-12-15T10:00:00Z").await;
    app.booked("CAF-2026-000501.A", &w1).await;
    app.booked("CAF-2026-000501.B", &w2).await;

    // Booked: no booking reminder 7 days on; the workshop reminder 48 hours before each start, once.
    assert_eq!(app.sweep(day8 + hours(24 * 7)).await.raised(), 0);
    assert_eq!(app.sweep(at("2026-12-12T09:59:00Z")).await.raised(), 0);
    let w1_reminder = app.sweep(at("2026-12-12T10:00:00Z")).await;
    assert_eq!((w1_reminder.reminded(Reminder::WorkshopReminder), w1_reminder.raised()), (1, 1), "{w1_reminder}");
    let w2_reminder = app.sweep(at("2026-12-13T10:00:00Z")).await;
    assert_eq!(w2_reminder.reminded(Reminder::WorkshopReminder), 1, "{w2_reminder}");
    wait_for(&app, ALEX, "Your workshop is in 2 days", 1).await;
    wait_for(&app, MORGAN, "Your workshop is in 2 days", 1).await;

    // Attendance: not before the start; then each parent completes, and the FCA is told once both have.
    app.stack.set_clock(Some(at("2026-12-14T09:00:00Z")));
    assert_eq!(app.attendance(&w1, "CAF-2026-000501.A", true).await.status, 409);
    app.stack.set_clock(Some(at("2026-12-14T12:45:00Z")));
    let a = app.attendance(&w1, "CAF-2026-000501.A", true).await;
    assert_eq!((a.status, a.json::<AttendanceResult>().status), (200, ParentStatus::Completed));
    assert_eq!(app.attendance(&w1, "CAF-2026-000501.A", true).await.status, 200, "a replay is the same answer");
    assert_eq!(app.attendance(&w1, "CAF-2026-000501.A", false).await.status, 409, "attended is final");
    assert_eq!(app.progress("CAF-2026-000501").await.status, ReferralStatus::Open);
    app.stack.set_clock(Some(at("2026-12-15T12:45:00Z")));
    assert_eq!(app.attendance(&w2, "CAF-2026-000501.B", true).await.status, 200);
    wait_for(&app, ALEX, "You have completed", 1).await;
    wait_for(&app, MORGAN, "You have completed", 1).await;
    wait_for(&app, FCA, "Planning Together for Children completed", 1).await;

    let record = app.progress("CAF-2026-000501").await;
    assert_eq!(record.status, ReferralStatus::Completed);
    for p in &record.parents {
        assert_eq!(p.status, ParentStatus::Completed);
        assert_eq!(p.workshop.as_ref().and_then(|w| w.attended), Some(true));
        assert!(p.completed_at.is_some());
        assert!(p.follow_up.as_ref().is_some_and(|f| f.outcome.is_none()), "a follow-up call due: {p:?}");
    }
    let fca = &mails(&app, FCA, "completed").await[0];
    assert!(fca.text.contains("ZW26P00123") && fca.text.contains("Alex Hartley") && fca.text.contains("Morgan Quill"), "{}", fca.text);

    // Follow-ups: both due; the trainer records Alex's; Morgan's goes overdue after 42 days, and the trainer is told once.
    assert_eq!(app.follow_ups("due").await.len(), 2);
    let recorded = app.post_json("/follow-ups/CAF-2026-000501.A", json!({"outcome": "reached", "notes": "Going well."})).await;
    assert_eq!((recorded.status, recorded.json::<FollowUpEntry>().outcome), (200, Some(FollowUpOutcome::Reached)));
    assert_eq!(app.post_json("/follow-ups/CAF-2026-000501.A", json!({"outcome": "declined"})).await.status, 409);
    assert_eq!(app.sweep(at("2027-01-26T09:59:00Z")).await.raised(), 0, "not a minute before 42 days");
    let overdue = app.sweep(at("2027-01-26T10:00:00Z")).await;
    assert_eq!(overdue.follow_ups_overdue, 1, "{overdue}");
    assert_eq!(app.sweep(at("2027-01-26T10:00:00Z")).await.raised(), 0);
    wait_for(&app, TRAINER, "follow-up call is overdue", 1).await;
    let listed = app.follow_ups("overdue").await;
    assert_eq!(listed[0].parent_id.to_string(), "CAF-2026-000501.B", "{listed:?}");
    let done = app.follow_ups("done").await;
    assert_eq!(done[0].parent_id.to_string(), "CAF-2026-000501.A", "{done:?}");

    // Nothing more is owed to anyone: the court's date passes quietly.
    assert_eq!(app.sweep(at("2027-02-01T08:00:00Z")).await.raised(), 0);
    let mail = each_email_once(&app).await;
    for (address, count) in [(ALEX, 7), (MORGAN, 7), (FCA, 1), (TRAINER, 1), (COURT, 0)] {
        let to: Vec<_> = mail.iter().filter(|m| m.to.iter().any(|t| t == address)).map(|m| &m.subject).collect();
        assert_eq!(to.len(), count, "{address}: {to:?}");
    }
}

#[tokio::test]
async fn a_parent_who_does_not_complete_by_the_court_date_is_reported_to_the_fca_and_the_court_once() {
    let app = spawn_app().await;
    // Given a referral due to complete by Sunday 20 December 2026
    let t0 = at("2026-11-23T09:00:00Z");
    app.stack.set_clock(Some(t0));
    let mut body = referral("CAF-2026-000502");
    body["completeBy"] = "2026-12-20".into();
    assert_eq!(app.post_referral(&body).await.status, 201);
    // Alex finishes the e-learning and books, then misses the workshop; Morgan does nothing.
    let day1 = t0 + hours(24);
    app.stack.set_clock(Some(day1));
    app.finish_elearning("CAF-2026-000502.A").await;
    let w = workshop_at(&app, "2026-12-03T10:00:00Z").await;
    app.booked("CAF-2026-000502.A", &w).await;
    // Confirmed while it is still true (a confirmation delivered after the workshop is moot).
    wait_for(&app, ALEX, "Your workshop is booked", 1).await;
    app.stack.set_clock(Some(at("2026-12-03T13:00:00Z")));
    let missed = app.attendance(&w, "CAF-2026-000502.A", false).await;
    assert_eq!((missed.status, missed.json::<AttendanceResult>().status), (200, ParentStatus::DidNotAttend));
    wait_for(&app, ALEX, "We missed you", 1).await;
    assert!(mails(&app, ALEX, "We missed you").await[0].text.contains("/book/"), "the did-not-attend email carries the booking link");

    // The deadline warning: at the start of 6 December in England, 14 days before, for both (neither is booked).
    let quiet = app.sweep(at("2026-12-05T23:59:00Z")).await;
    assert_eq!(quiet.reminded(Reminder::DeadlineWarning), 0, "{quiet}");
    let warned = app.sweep(at("2026-12-06T08:00:00Z")).await;
    assert_eq!(warned.reminded(Reminder::DeadlineWarning), 2, "{warned}");
    wait_for(&app, ALEX, "Two weeks left", 1).await;
    wait_for(&app, MORGAN, "Two weeks left", 1).await;

    // The end of 20 December passes: each parent is reported once, though the sweep runs three times and twice at once.
    let before = app.sweep(at("2026-12-20T23:59:00Z")).await;
    assert_eq!(before.not_completed, 0, "{before}");
    let (one, two) = tokio::join!(app.sweep(at("2026-12-21T08:00:00Z")), app.sweep(at("2026-12-21T08:00:00Z")));
    let third = app.sweep(at("2026-12-21T08:00:00Z")).await;
    assert_eq!(one.not_completed + two.not_completed + third.not_completed, 2);
    wait_for(&app, FCA, "has not completed", 2).await;

    let record = app.progress("CAF-2026-000502").await;
    assert_eq!(record.status, ReferralStatus::NotCompleted, "{record:?}");
    assert!(record.parents.iter().all(|p| p.status == ParentStatus::NotCompleted));
    let notices = mails(&app, FCA, "has not completed").await;
    assert!(notices.iter().all(|m| m.to.contains(&COURT.to_string())), "the court is told too");
    let alex = notices.iter().find(|m| m.text.contains("Alex Hartley")).expect("a notice about Alex");
    for fact in ["ZW26P00123", "Sunday 20 December 2026", "E-learning: completed 24 November 2026", "did not attend"] {
        assert!(alex.text.contains(fact), "{fact} in {}", alex.text);
    }
    assert!(!alex.text.contains("Morgan"), "one parent per notice");
    let morgan = notices.iter().find(|m| m.text.contains("Morgan Quill")).expect("a notice about Morgan");
    assert!(morgan.text.contains("E-learning: not started") && morgan.text.contains("Workshop: not booked"), "{}", morgan.text);
    // A trainer recording Alex's attendance now is told why it cannot be: Alex was reported not completed.
    let late = app.attendance(&w, "CAF-2026-000502.A", true).await;
    assert_eq!(late.status, 409, "{:?}", late.body);
    let problem = late.problem();
    assert!(problem.code() == "not-booked" && problem.detail.contains("not completed"), "{problem:?}");

    // Closed: nothing more for anyone.
    assert_eq!(app.sweep(at("2027-01-10T08:00:00Z")).await.raised(), 0);
    let mail = each_email_once(&app).await;
    assert_eq!(mail.iter().filter(|m| m.to.iter().any(|t| t == ALEX)).count(), 5, "welcome, book-workshop, confirmed, missed, warning");
    assert_eq!(mail.iter().filter(|m| m.to.iter().any(|t| t == MORGAN)).count(), 4, "welcome, activation, e-learning, warning");
}

#[tokio::test]
async fn the_booking_reminder_comes_7_days_after_the_e_learning_and_not_a_minute_before() {
    let app = spawn_app().await;
    let t0 = at("2026-11-23T09:00:00Z");
    app.stack.set_clock(Some(t0));
    assert_eq!(app.post_referral(&referral("CAF-2026-000503")).await.status, 201);
    let done = t0 + hours(30);
    app.stack.set_clock(Some(done));
    app.finish_elearning("CAF-2026-000503.A").await;
    wait_for(&app, ALEX, "book your workshop", 1).await;
    let early = app.sweep(done + hours(24 * 7) - SignedDuration::from_mins(1)).await;
    assert_eq!(early.reminded(Reminder::BookingReminder), 0, "{early}");
    let due = app.sweep(done + hours(24 * 7)).await;
    assert_eq!(due.reminded(Reminder::BookingReminder), 1, "{due}");
    wait_for(&app, ALEX, "Reminder: book your workshop", 1).await;
    each_email_once(&app).await;
}

#[tokio::test]
async fn a_withdrawn_referral_gets_nothing_more_but_a_concern_reaches_the_fca_at_once() {
    let app = spawn_app().await;
    let t0 = at("2026-11-23T09:00:00Z");
    app.stack.set_clock(Some(t0));
    assert_eq!(app.post_referral(&referral("CAF-2026-000504")).await.status, 201);
    wait_for(&app, ALEX, "Welcome", 1).await;

    // A concern: stored once (a replay names the same concern), the FCA emailed at once.
    let concern =
        json!({"raisedBy": "Tess Trainer", "summary": "Alex said something in the workshop that worries me about the children's safety."});
    let raised_once = app.post_json("/parents/CAF-2026-000504.A/concerns", concern.clone()).await;
    assert_eq!(raised_once.status, 201, "{:?}", raised_once.body);
    let replay = app.post_json("/parents/CAF-2026-000504.A/concerns", concern).await;
    assert_eq!((replay.status, replay.json::<ConcernResult>().concern_id), (200, raised_once.json::<ConcernResult>().concern_id));
    wait_for(&app, FCA, "a concern has been raised", 1).await;
    let email = &mails(&app, FCA, "concern").await[0];
    assert!(
        email.text.contains("ZW26P00123") && email.text.contains("Alex Hartley") && email.text.contains("worries me"),
        "{}",
        email.text
    );
    let bad = app.post_json("/parents/CAF-2026-000504.A/concerns", json!({"raisedBy": "", "colour": 1})).await;
    assert_eq!(bad.status, 422);
    let problem = bad.problem();
    let fields = problem.fields();
    assert!(fields.contains(&"raisedBy") && fields.contains(&"summary") && fields.contains(&"colour"), "{fields:?}");
    assert_eq!(app.post_json("/parents/CAF-2026-999999.A/concerns", json!({"raisedBy": "T", "summary": "S"})).await.status, 404);

    // Withdrawn: no reminder, no notice to the court, ever.
    assert_eq!(app.withdraw("CAF-2026-000504", &json!({"reason": "Case closed by the court"})).await.status, 200);
    for day in [2, 7, 30, 70] {
        let s = app.sweep(t0 + hours(24 * day)).await;
        assert_eq!((s.raised(), s.parents_due), (0, 0), "day {day}: {s}");
    }
    let mail = each_email_once(&app).await;
    assert_eq!(mail.len(), 3, "two welcomes and the concern: {:?}", mail.iter().map(|m| &m.subject).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_absent_parent_who_booked_again_gets_the_same_answer_when_the_trainer_replays_absent() {
    // Given Alex was recorded absent at a first workshop and has booked a second since
    let app = spawn_app().await;
    app.stack.set_clock(Some(at("2026-11-22T09:00:00Z")));
    assert_eq!(app.post_referral(&referral("CAF-2026-000509")).await.status, 201);
    app.finish_elearning("CAF-2026-000509.A").await;
    let first = workshop_at(&app, "2026-12-01T10:00:00Z").await;
    let second = workshop_at(&app, "2026-12-08T10:00:00Z").await;
    app.booked("CAF-2026-000509.A", &first).await;
    app.stack.set_clock(Some(at("2026-12-01T13:00:00Z")));
    assert_eq!(app.attendance(&first, "CAF-2026-000509.A", false).await.status, 200);
    app.booked("CAF-2026-000509.A", &second).await;

    // When the trainer's "absent" for the first workshop is sent again (a double submit, a retry)
    let replay = app.attendance(&first, "CAF-2026-000509.A", false).await;
    let other_way = app.attendance(&first, "CAF-2026-000509.A", true).await;

    // Then it is the same answer, the other answer is a conflict, and the new booking stands
    assert_eq!(replay.status, 200, "{}", replay.body);
    assert_eq!(other_way.status, 409, "{}", other_way.body);
    let record = app.progress("CAF-2026-000509").await;
    assert_eq!(record.parents[0].status, ParentStatus::WorkshopBooked);
}

#[tokio::test]
async fn attendance_and_follow_ups_refuse_bad_input_and_change_nothing() {
    let app = spawn_app().await;
    let bad = app.post_json("/workshops/nope/attendance", json!({"parentId": "not an id", "extra": true})).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.problem().fields().len(), 3, "{:?}", bad.body);
    assert_eq!(app.post_json("/workshops/nope/attendance", json!({"parentId": "CAF-1.A", "attended": true})).await.status, 404);
    let long_id = "w".repeat(3000);
    let long = app.post_json(&format!("/workshops/{long_id}/attendance"), json!({"parentId": "CAF-1.A", "attended": true})).await;
    assert_eq!(long.status, 404, "an id no workshop can have is not found, not a DynamoDB key error: {:?}", long.body);
    assert_eq!(app.get_json("/follow-ups?status=late").await.status, 422);
    let outcome = app.post_json("/follow-ups/CAF-1.A", json!({"outcome": "maybe"})).await;
    assert_eq!(outcome.status, 422);
    assert_eq!(app.post_json("/follow-ups/CAF-1.A", json!({"outcome": "reached"})).await.status, 404);
    assert_eq!(app.stored_items().await, 0, "nothing was written");
    let (status, error, _) = app.invoke("DeadlineSweepFunction", &json!({"detail": {}})).await;
    assert!(status >= 400 || error.is_some(), "a scheduled event without a time is refused");
}

/// The sweep reads what is due, not what is stored: 1,000 referrals stored in the test command,
/// 10,000 from `scripts/bench.sh` (PT4C_FULL_SIZE=1).
#[tokio::test]
async fn with_thousands_of_referrals_stored_a_sweep_reads_about_the_50_parents_due() {
    let app = spawn_app().await;
    let t0 = at("2026-11-23T09:00:00Z");
    app.stack.set_clock(Some(t0));
    // 25 referrals (50 parents) due for their activation reminder at t0 + 48h...
    for i in 0..25 {
        let mut body = referral(&format!("CAF-DUE-{i:03}"));
        body["caseNumber"] = format!("ZW26P9{i:04}").into();
        assert_eq!(app.post_referral(&body).await.status, 201);
    }
    // ...among 10,000 stored: half on the course and due later, half closed (out of the index).
    let filled = pt4c_tests::sized(1_000, 10_000);
    let stored = pt4c_tests::fill_with_referrals(&app, "CAF-DUE-000", filled, "2027-03-01T08:00:00Z").await;
    assert!(stored >= 2 * filled as i32, "{stored} items stored");
    let summary = app.sweep(t0 + hours(48)).await;
    assert_eq!(summary.parents_due, 50, "{summary}");
    assert_eq!(summary.reminded(Reminder::ActivationReminder), 50);
    let read = summary.items_read;
    assert!((50..=60).contains(&read), "read {read} items for 50 due among {stored} stored");
    println!("sweep over {stored} stored items: {summary}");
}

#[tokio::test]
async fn a_sweep_cut_off_part_way_is_run_again_and_nothing_is_skipped_or_sent_twice() {
    let app = spawn_app().await;
    let t0 = at("2026-11-23T09:00:00Z");
    app.stack.set_clock(Some(t0));
    assert_eq!(app.post_referral(&referral("CAF-2026-000505")).await.status, 201);
    // Given DynamoDB refuses the sweep's write for Morgan (B) once: the run fails part way.
    // (Matched on this stack's table too: the stand-in is shared by tests running at once.)
    app.dynamo_refuses_once("TransactWriteItems", &["CAF-2026-000505", "PARENT#B"]).await;
    let at48 = t0 + hours(48);
    let (_, error, failed) = app.invoke_sweep(at48).await;
    assert!(error.is_some(), "the cut-off run reports failure, so it is retried: {failed}");
    // When it runs again (the retry), then the next day
    let retry = app.sweep(at48).await;
    let next_day = app.sweep(at48 + hours(24)).await;
    // Then each parent was reminded exactly once.
    wait_for(&app, ALEX, "Reminder: set up your Parent Hub", 1).await;
    wait_for(&app, MORGAN, "Reminder: set up your Parent Hub", 1).await;
    assert_eq!(next_day.raised(), 0, "{next_day}");
    assert!(retry.reminded(Reminder::ActivationReminder) >= 1, "{retry}");
    let mail = each_email_once(&app).await;
    assert_eq!(mail.len(), 4, "two welcomes, two reminders: {:?}", mail.iter().map(|m| &m.subject).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_referral_whose_closing_failed_is_closed_by_the_sweeps_retry() {
    let app = spawn_app().await;
    // Given a referral due to complete by 20 December 2026, whose parents do nothing
    app.stack.set_clock(Some(at("2026-11-23T09:00:00Z")));
    let mut body = referral("CAF-2026-000506");
    body["completeBy"] = "2026-12-20".into();
    assert_eq!(app.post_referral(&body).await.status, 201);
    // and DynamoDB refuses closing the referral once (after both parents were marked not completed).
    app.dynamo_refuses_once("TransactWriteItems", &["CAF-2026-000506", ":outcome"]).await;
    // When the sweep runs after the court's date, it fails at the closing...
    let after = at("2026-12-21T08:00:00Z");
    let (_, error, failed) = app.invoke_sweep(after).await;
    assert!(error.is_some(), "the run reports failure, so it is retried: {failed}");
    let record = app.progress("CAF-2026-000506").await;
    assert_eq!(record.status, ReferralStatus::Open, "{record:?}");
    assert!(record.parents.iter().all(|p| p.status == ParentStatus::NotCompleted), "{record:?}");
    // ...and its retry closes the referral, though no parent is due any more.
    let retry = app.sweep(after).await;
    assert_eq!((retry.parents_due, retry.referrals_closed), (0, 1), "{retry}");
    assert_eq!(app.progress("CAF-2026-000506").await.status, ReferralStatus::NotCompleted);
    // Then each parent is reported once, and nothing is left to close.
    wait_for(&app, FCA, "has not completed", 2).await;
    let again = app.sweep(after + hours(24)).await;
    assert_eq!((again.raised(), again.referrals_closed), (0, 0), "{again}");
    let notices = each_email_once(&app).await.into_iter().filter(|m| m.subject.contains("has not completed")).count();
    assert_eq!(notices, 2);
}
