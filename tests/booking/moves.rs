//! A coordinator edits a workshop and moves a parent's booking: through the real SDK against the
//! stand-in (the edit over HTTP, the move through the use case over the real DynamoDB store).

use pt4c_app::booking::{move_booking, BookRefusal};
use pt4c_domain::ports::ParentStore;
use pt4c_domain::workshop::BookingRefusal;
use pt4c_domain::{ParentId, WorkshopId};
use pt4c_tests::course::TRAINER;
use pt4c_tests::{spawn_app, NewWorkshop, TestApp};
use serde_json::json;

use super::{eligible_case, online_in};

async fn patch(app: &TestApp, workshop_id: &str, body: serde_json::Value) -> pt4c_tests::Answer {
    let path = format!("/workshops/{workshop_id}");
    app.send(reqwest::Method::PATCH, &path, Some("application/json"), serde_json::to_vec(&body).unwrap()).await
}

/// The calendar attachments of the first email to `to` with this subject, once it has come.
async fn calendars(app: &TestApp, to: &str, subject: &str) -> Vec<String> {
    assert!(app.eventually(|| async { app.mail_to(to).await.iter().any(|m| m.subject == subject) }).await, "{subject} to {to}");
    let mail = app.mail_to(to).await.into_iter().find(|m| m.subject == subject).unwrap();
    mail.attachments.iter().filter(|a| a.content_type == "text/calendar").filter_map(|a| a.content.clone()).collect()
}

fn line<'a>(ics: &'a str, name: &str) -> &'a str {
    ics.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no {name} in {ics}"))
}

async fn count(app: &TestApp, to: &str, subject: &str) -> usize {
    app.mail_to(to).await.iter().filter(|m| m.subject == subject).count()
}

#[tokio::test]
async fn given_a_booked_parent_when_the_workshop_is_edited_then_they_get_the_updated_invitation_and_both_trainers_are_told() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-EDIT", "ZW26P91").await;
    let w = online_in(&app, 10).await;
    app.booked("CAF-EDIT.A", &w).await;
    let first = calendars(&app, "a.caf-edit@example.com", "Your workshop is booked").await;
    let new_start = (app.now() + jiff::SignedDuration::from_hours(24 * 12)).round(jiff::Unit::Second).unwrap();

    let edited = patch(
        &app,
        &w,
        json!({"startsAt": new_start.to_string(), "location": "https://meet.pt4c.example/w/2",
               "trainer": {"name": "Sam Trainer", "email": "sam.trainer@pt4c.example"}}),
    )
    .await;

    assert_eq!(edited.status, 200, "{:?}", edited.body);
    assert_eq!((edited.body["sequence"].as_u64(), edited.body["location"].as_str()), (Some(1), Some("https://meet.pt4c.example/w/2")));
    let record = app.progress("CAF-EDIT").await;
    assert_eq!(record.parents[0].workshop.as_ref().map(|b| b.starts_at), Some(new_start), "the booking follows the edit");
    let update = calendars(&app, "a.caf-edit@example.com", "Your workshop has changed").await;
    assert_eq!(line(&update[0], "UID:"), line(&first[0], "UID:"), "the same calendar event");
    assert_eq!((line(&update[0], "METHOD:"), line(&update[0], "SEQUENCE:")), ("METHOD:REQUEST", "SEQUENCE:1"));
    assert!(update[0].contains("https://meet.pt4c.example/w/2"));
    for (trainer, subject) in
        [("sam.trainer@pt4c.example", "You are now running a workshop"), (TRAINER, "You are no longer running a workshop")]
    {
        assert!(app.eventually(|| async { count(&app, trainer, subject).await > 0 }).await, "{subject} to {trainer}");
    }
    app.quiet().await;
    assert_eq!(count(&app, "a.caf-edit@example.com", "Your workshop has changed").await, 1, "told once");
    assert_eq!(count(&app, TRAINER, "You are no longer running a workshop").await, 1, "told once");
    let events = app.events("WorkshopChanged");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].detail, json!({"workshopId": w, "sequence": 1, "trainerChanged": true}));
}

#[tokio::test]
async fn given_an_edit_refused_then_each_answer_says_why_and_nothing_changed() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-EDIT2", "ZW26P92").await;
    eligible_case(&app, "CAF-EDIT3", "ZW26P93").await;
    let w = app.publish_workshop(NewWorkshop::online().capacity(3)).await;
    app.booked("CAF-EDIT2.A", &w).await;
    app.booked("CAF-EDIT3.A", &w).await;
    let cancelled = online_in(&app, 11).await;
    assert_eq!(app.cancel_workshop(&cancelled, "Venue closed").await.status, 200);

    let below = patch(&app, &w, json!({"capacity": 1})).await;
    let bad = patch(&app, &w, json!({"mode": "in_person", "startsAt": "2020-01-01T00:00:00Z", "capacity": 9})).await;
    let unknown = patch(&app, "5a0f8d1e-0000-4000-8000-000000000000", json!({"capacity": 2})).await;
    let not_open = patch(&app, &cancelled, json!({"capacity": 2})).await;

    assert_eq!((below.status, below.problem().code()), (409, "capacity-below-seats-taken"), "{:?}", below.body);
    let problem = bad.problem();
    assert_eq!((bad.status, problem.fields()), (422, vec!["mode", "startsAt", "capacity"]));
    assert_eq!(unknown.status, 404);
    assert_eq!((not_open.status, not_open.problem().code()), (409, "workshop-unavailable"));
    assert_eq!(app.workshop(&w).await.capacity, 3);
    assert!(app.events("WorkshopChanged").is_empty());
    assert_eq!(patch(&app, &w, json!({"capacity": 2})).await.status, 200, "down to the seats taken");
}

#[tokio::test]
async fn given_the_target_full_when_a_booking_is_moved_then_the_one_transaction_changes_nothing() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-MOVE1", "ZW26P94").await;
    eligible_case(&app, "CAF-MOVE2", "ZW26P95").await;
    let from = online_in(&app, 10).await;
    let full = app.publish_workshop(NewWorkshop::online().capacity(1).in_days(11)).await;
    app.booked("CAF-MOVE1.A", &from).await;
    app.booked("CAF-MOVE2.A", &full).await;
    let deps = app.stack.deps();
    let id = ParentId::parse("CAF-MOVE1.A").unwrap();
    let parent = deps.app.store.parent(&id).await.unwrap().unwrap();

    let refused = move_booking(&deps.app, &parent, &WorkshopId::parse(&full).unwrap()).await;

    assert!(matches!(refused, Err(BookRefusal::Rule(BookingRefusal::WorkshopFull))), "{refused:?}");
    assert_eq!(deps.app.store.parent(&id).await.unwrap().unwrap().booking, parent.booking, "the old booking is still held");
    let (old, target) = (app.workshop(&from).await, app.workshop(&full).await);
    assert_eq!((old.seats_left, old.roster_ids()), (5, vec!["CAF-MOVE1.A".to_owned()]));
    assert_eq!((target.seats_left, target.roster_ids()), (0, vec!["CAF-MOVE2.A".to_owned()]));
    assert!(app.events("BookingMoved").is_empty());
}

#[tokio::test]
async fn given_a_booking_moved_then_the_parent_gets_one_email_with_the_new_invitation_and_the_old_one_cancelled() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-MOVE3", "ZW26P96").await;
    let (from, to) = (online_in(&app, 10).await, online_in(&app, 12).await);
    app.booked("CAF-MOVE3.A", &from).await;
    let booked = calendars(&app, "a.caf-move3@example.com", "Your workshop is booked").await;
    let deps = app.stack.deps();
    let parent = deps.app.store.parent(&ParentId::parse("CAF-MOVE3.A").unwrap()).await.unwrap().unwrap();

    let (booking, new) = move_booking(&deps.app, &parent, &WorkshopId::parse(&to).unwrap()).await.expect("moved");
    let (_, again) = move_booking(&deps.app, &parent, &WorkshopId::parse(&to).unwrap()).await.expect("a replay");

    assert!(new && !again);
    assert_eq!(booking.workshop_id.as_str(), to);
    assert_eq!((app.workshop(&from).await.seats_left, app.workshop(&to).await.roster_ids()), (6, vec!["CAF-MOVE3.A".to_owned()]));
    let sent = calendars(&app, "a.caf-move3@example.com", "Your workshop booking has moved").await;
    let (new_invite, cancel) = (&sent[0], &sent[1]);
    assert_eq!((line(new_invite, "METHOD:"), line(cancel, "METHOD:")), ("METHOD:PUBLISH", "METHOD:CANCEL"));
    assert_eq!(line(cancel, "UID:"), line(&booked[0], "UID:"), "the old booking's event is taken out");
    assert_ne!(line(new_invite, "UID:"), line(&booked[0], "UID:"));
    app.quiet().await;
    let mail = app.mail_to("a.caf-move3@example.com").await;
    assert_eq!(mail.iter().filter(|m| m.subject == "Your workshop booking has moved").count(), 1);
    assert!(
        !mail.iter().any(|m| m.subject.contains("cancelled")),
        "not a cancellation: {:?}",
        mail.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn given_a_workshop_cancelled_then_the_email_cancels_the_booking_invitation() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-MOVE4", "ZW26P97").await;
    let w = online_in(&app, 10).await;
    app.booked("CAF-MOVE4.A", &w).await;
    let booked = calendars(&app, "a.caf-move4@example.com", "Your workshop is booked").await;

    assert_eq!(app.cancel_workshop(&w, "Venue closed").await.status, 200);

    let cancel = calendars(&app, "a.caf-move4@example.com", "Your workshop has been cancelled").await;
    assert_eq!((line(&cancel[0], "METHOD:"), line(&cancel[0], "UID:")), ("METHOD:CANCEL", line(&booked[0], "UID:")));
}
