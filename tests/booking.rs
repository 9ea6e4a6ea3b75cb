//! Workshops and booking through the local stack: rules, races, cancellations, confirmations.

use jiff::{SignedDuration, Timestamp};
use pt4c_domain::link::Purpose;
use pt4c_domain::ParentId;
use pt4c_tests::views::{Booked, HubView, Offer, ParentStatus, Problem, ProgressRecord, WorkshopList, WorkshopStatus, WorkshopView};
use pt4c_tests::{referral, spawn_app, NewWorkshop, TestApp};
use serde_json::json;

mod moves;
mod offering;
mod races;
mod waiting;

/// A referral whose parents (A online, B either) have finished the e-learning.
async fn eligible_case(app: &TestApp, id: &str, case_number: &str) {
    let mut body = referral(id);
    body["caseNumber"] = case_number.into();
    body["parents"][0]["email"] = format!("a.{}@example.com", id.to_lowercase()).into();
    body["parents"][1]["email"] = format!("b.{}@example.com", id.to_lowercase()).into();
    // No phones: these cases race for seats; texts are tests/sms.rs's, and would only add calls to
    // the stand-in (which serves one at a time) in the long races.
    body["parents"][0]["phone"] = serde_json::Value::Null;
    body["parents"][1]["phone"] = serde_json::Value::Null;
    assert_eq!(app.post_referral(&body).await.status, 201);
    let (a, b) = (format!("{id}.A"), format!("{id}.B"));
    tokio::join!(app.finish_elearning(&a), app.finish_elearning(&b));
}

/// An online workshop of six seats, starting in `days` days.
async fn online_in(app: &TestApp, days: i64) -> String {
    app.publish_workshop(NewWorkshop::online().in_days(days)).await
}

/// What the parent's booking link offers.
async fn offer(app: &TestApp, parent: &str) -> Offer {
    app.get_json(&format!("/book/{}", app.link(parent, Purpose::Booking))).await.json()
}

#[tokio::test]
async fn a_parent_books_and_is_sent_a_confirmation_with_an_invitation_and_a_cancel_link() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-BOOK", "ZW26P1").await;
    let w = online_in(&app, 10).await;

    let offered = offer(&app, "CAF-BOOK.A").await;
    assert_eq!((offered.workshops[0].workshop_id.as_str(), offered.workshops[0].seats_left), (w.as_str(), 6));

    let answer = app.book("CAF-BOOK.A", &w).await;
    assert_eq!(answer.status, 201);
    let booked: Booked = answer.json();
    assert_eq!(booked.booking.workshop_id.as_str(), w.as_str());
    assert!(booked.cancel_url.ends_with("/cancel"));
    assert_eq!(app.book("CAF-BOOK.A", &w).await.status, 200, "a replayed booking is the same booking");

    let record = app.progress("CAF-BOOK").await;
    assert_eq!(record.parents[0].status, ParentStatus::WorkshopBooked);
    let on = record.parents[0].workshop.as_ref().expect("the record shows the workshop");
    assert_eq!((on.workshop_id.as_str(), on.mode.as_str(), on.attended), (w.as_str(), "online", None));
    let detail = app.workshop(&w).await;
    assert_eq!(detail.seats_left, 5);
    assert_eq!((detail.roster()[0].parent_id.to_string(), detail.roster()[0].name.as_str()), ("CAF-BOOK.A".to_owned(), "Alex Hartley"));

    assert!(
        app.eventually(|| async { app.mail_to("a.caf-book@example.com").await.iter().any(|m| m.subject == "Your workshop is booked") })
            .await
    );
    app.quiet().await;
    let confirmations: Vec<_> =
        app.mail_to("a.caf-book@example.com").await.into_iter().filter(|m| m.subject == "Your workshop is booked").collect();
    assert_eq!(confirmations.len(), 1, "confirmed once");
    let mail = &confirmations[0];
    assert_eq!(mail.attachments[0].content_type, "text/calendar");
    assert!(mail.text.contains("/cancel"));
    let ics = mail.attachments[0].content.as_deref().unwrap();
    let calendar: icalendar::Calendar = ics.parse().expect("the invitation parses");
    assert!(!calendar.components.is_empty());
}

#[test]
fn invitations_give_the_right_london_times_in_summer_and_winter() {
    use icalendar::Component;
    for (start, local) in [("2027-07-15T09:00:00Z", "2027-07-15T10:00:00"), ("2027-01-15T10:00:00Z", "2027-01-15T10:00:00")] {
        let starts: Timestamp = start.parse().unwrap();
        let ics = pt4c_adapters::ics::invitation(&pt4c_adapters::ics::Invitation {
            method: pt4c_adapters::ics::Method::Publish,
            uid: "w@pt4c",
            sequence: 0,
            organizer: "hub@pt4c.example",
            starts_at: starts,
            ends_at: starts + SignedDuration::from_mins(150),
            summary: "Planning Together for Children workshop",
            location: "https://meet.pt4c.example/w/1",
            description: "Workshop",
            stamp: starts,
        });
        let calendar: icalendar::Calendar = ics.parse().unwrap();
        let event = calendar.components.iter().find_map(|c| c.as_event()).expect("an event");
        match event.get_start().expect("a start") {
            icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::WithTimezone { date_time, tzid }) => {
                assert_eq!(tzid, "Europe/London");
                assert_eq!(date_time.format("%Y-%m-%dT%H:%M:%S").to_string(), local, "{start}");
            }
            other => panic!("start is not in Europe/London: {other:?}"),
        }
        assert!(ics.contains("TZID:Europe/London") && ics.contains("RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"));
    }
}

#[tokio::test]
async fn each_booking_rule_answers_with_its_code() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-R1", "ZW26P10").await;
    eligible_case(&app, "CAF-R2", "ZW26P20").await;
    assert_eq!(app.post_referral(&referral("CAF-R3")).await.status, 201);
    let w1 = online_in(&app, 10).await;
    let w2 = online_in(&app, 11).await;
    let single = app.publish_workshop(NewWorkshop::online().capacity(1).in_days(12)).await;
    let in_person = app.publish_workshop(NewWorkshop::in_person().in_days(13)).await;

    let r = app.book("CAF-R3.A", &w1).await;
    assert_eq!((r.status, r.problem().code()), (409, "elearning-incomplete"));
    assert_eq!(app.book("CAF-R1.A", &w1).await.status, 201);
    let r = app.book("CAF-R1.A", &w2).await;
    assert_eq!((r.status, r.problem().code()), (409, "already-booked"));
    // The co-parent's workshop is only "unavailable" to B: a refusal never says which workshop A is on.
    let r = app.book("CAF-R1.B", &w1).await;
    assert_eq!((r.status, r.problem().code()), (409, "workshop-unavailable"));
    assert_eq!(app.book("CAF-R2.A", &single).await.status, 201);
    let r = app.book("CAF-R1.B", &single).await;
    assert_eq!((r.status, r.problem().code()), (409, "workshop-full"));
    let r = app.book("CAF-R2.B", &in_person).await;
    assert_eq!(r.status, 201, "workshopMode either suits in person");
    let r = app.book("CAF-R1.B", &w2).await;
    assert_eq!(r.status, 201);
    let cancel = app.cancel_booking("CAF-R3.B", Purpose::Cancel).await;
    assert_eq!((cancel.status, cancel.problem().code()), (409, "not-booked"));
    let unknown = app.book("CAF-R3.B", "no-such-workshop").await;
    assert_eq!((unknown.status, unknown.problem().fields().first().copied()), (422, Some("workshopId")), "not a workshop id: a bad field");
    let unknown = app.book("CAF-R3.B", "5a0f8d1e-0000-4000-8000-000000000000").await;
    assert_eq!(unknown.status, 409, "elearning comes first for an ineligible parent");
    let missing = app.post_json(&format!("/book/{}", app.link("CAF-R1.A", Purpose::Booking)), json!({})).await;
    assert_eq!(missing.status, 422);
    let wrong = app.post_json(&format!("/book/{}", app.link("CAF-R1.A", Purpose::Hub)), json!({"workshopId": w1})).await;
    assert_eq!((wrong.status, wrong.problem().code()), (403, "invalid-link"));

    // Parent A prefers online: an in-person workshop is not theirs to book.
    assert_eq!(app.cancel_booking("CAF-R1.A", Purpose::Booking).await.status, 200);
    let r = app.book("CAF-R1.A", &in_person).await;
    assert_eq!((r.status, r.problem().code()), (409, "workshop-unavailable"));
    // A cancelled workshop cannot be booked.
    assert_eq!(app.cancel_workshop(&w2, "Trainer unwell").await.status, 200);
    let r = app.book("CAF-R1.A", &w2).await;
    assert_eq!((r.status, r.problem().code()), (409, "workshop-unavailable"));
}

#[tokio::test]
async fn a_cancelled_booking_frees_the_seat_and_the_parent_can_book_again() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-CX", "ZW26P30").await;
    let w = app.publish_workshop(NewWorkshop::online().capacity(1)).await;
    assert_eq!(app.book("CAF-CX.A", &w).await.status, 201);
    assert!(
        app.eventually(|| async { app.mail_to("a.caf-cx@example.com").await.iter().any(|m| m.subject == "Your workshop is booked") }).await
    );
    let confirmation = app.mail_to("a.caf-cx@example.com").await.into_iter().find(|m| m.subject == "Your workshop is booked").unwrap();
    let cancel_link = confirmation.text.split_whitespace().find(|w| w.contains("/cancel")).unwrap().to_owned();
    let page = app.http.get(&cancel_link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Cancel this booking"));

    let cancelled = app.http.post(&cancel_link).header("accept", "application/json").send().await.unwrap();
    assert_eq!(cancelled.status(), 200);
    assert_eq!(app.workshop(&w).await.seats_left, 1);
    assert_eq!(app.progress("CAF-CX").await.parents[0].workshop, None);
    assert!(
        app.eventually(|| async {
            app.mail_to("a.caf-cx@example.com").await.iter().any(|m| m.subject == "Your workshop booking is cancelled")
        })
        .await
    );

    let again = app.book("CAF-CX.A", &w).await;
    assert_eq!(again.status, 201, "the freed seat can be booked again");
}

#[tokio::test]
async fn a_cancelled_workshop_releases_its_bookings_and_emails_each_parent_once() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-W1", "ZW26P40").await;
    eligible_case(&app, "CAF-W2", "ZW26P50").await;
    let w = online_in(&app, 10).await;
    assert_eq!(app.book("CAF-W1.A", &w).await.status, 201);
    assert_eq!(app.book("CAF-W2.B", &w).await.status, 201);

    let first = app.cancel_workshop(&w, "Venue closed").await;
    let second = app.cancel_workshop(&w, "Venue closed").await;

    assert_eq!((first.status, second.status), (200, 200));
    let cancelled: WorkshopView = first.json();
    assert_eq!((cancelled.status, cancelled.seats_left), (WorkshopStatus::Cancelled, 6));
    for (id, email) in [("CAF-W1", "a.caf-w1@example.com"), ("CAF-W2", "b.caf-w2@example.com")] {
        let record = app.progress(id).await;
        assert!(record.parents.iter().all(|p| p.workshop.is_none()), "{id} still holds a booking");
        assert!(
            app.eventually(|| async { app.mail_to(email).await.iter().any(|m| m.subject == "Your workshop has been cancelled") }).await
        );
    }
    app.quiet().await;
    for email in ["a.caf-w1@example.com", "b.caf-w2@example.com"] {
        let n = app.mail_to(email).await.iter().filter(|m| m.subject == "Your workshop has been cancelled").count();
        assert_eq!(n, 1, "{email} told once");
    }
    // One event for the cancellation, and one for each booking it released (the email's trigger).
    let cancelled = app.events("WorkshopCancelled");
    let released: usize = cancelled.iter().map(|e| e.detail["parentIds"].as_array().map_or(0, Vec::len)).sum();
    assert_eq!((cancelled.len(), released), (3, 2));
    let bad = app.post_json(&format!("/workshops/{w}/cancel"), json!({})).await;
    assert_eq!(bad.status, 422);
    assert_eq!(app.cancel_workshop("nope", "x").await.status, 404);
}

#[tokio::test]
async fn workshops_are_published_and_listed_soonest_first() {
    let app = spawn_app().await;
    let later = online_in(&app, 20).await;
    let sooner = app.publish_workshop(NewWorkshop::in_person().capacity(4).in_days(5)).await;
    let list: WorkshopList = app.get_json("/workshops").await.json();
    let ids: Vec<&str> = list.workshops.iter().map(|w| w.workshop_id.as_str()).collect();
    assert_eq!(ids, vec![sooner.as_str(), later.as_str()]);
    assert_eq!(list.workshops[0].seats_left, 4);
    let bad = app.post_json("/workshops", json!({"startsAt": "2020-01-01T00:00:00Z", "mode": "boat", "capacity": 9})).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.problem().fields(), vec!["startsAt", "mode", "location", "capacity", "trainer"]);
    assert_eq!(app.get_json("/workshops/nope").await.status, 404);
}

#[tokio::test]
async fn a_withdrawn_referral_releases_its_seats_and_is_told_nothing() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-WDB", "ZW26P70").await;
    let w = online_in(&app, 10).await;
    assert_eq!(app.book("CAF-WDB.A", &w).await.status, 201);
    assert!(
        app.eventually(|| async { app.mail_to("a.caf-wdb@example.com").await.iter().any(|m| m.subject == "Your workshop is booked") })
            .await
    );
    let before = app.mail().await.len();

    let answer = app.withdraw("CAF-WDB", &json!({"reason": "Case closed"})).await;

    assert_eq!(answer.status, 200);
    let record: ProgressRecord = answer.json();
    assert_eq!((record.parents[0].status, &record.parents[0].workshop), (ParentStatus::Withdrawn, &None));
    let detail = app.workshop(&w).await;
    assert_eq!((detail.seats_left, detail.roster().len()), (6, 0));
    app.quiet().await;
    assert_eq!(app.mail().await.len(), before, "nothing more is sent");
    let r = app.book("CAF-WDB.A", &w).await;
    assert_eq!((r.status, r.problem().code()), (409, "workshop-unavailable"));
}

// ---- hardening (issue 10): each test failed before its fix -------------------------------------

#[tokio::test]
async fn an_old_cancel_link_does_not_cancel_a_later_booking() {
    // Given a parent who booked, cancelled with the confirmation's link, and booked another workshop
    let app = spawn_app().await;
    eligible_case(&app, "CAF-OLDLINK", "ZW26P81").await;
    let (w1, w2) = (online_in(&app, 10).await, online_in(&app, 11).await);
    let first_cancel = app.booked("CAF-OLDLINK.A", &w1).await.cancel_url;
    assert_eq!(app.http.post(&first_cancel).header("accept", "application/json").send().await.unwrap().status(), 200);
    let second_cancel = app.booked("CAF-OLDLINK.A", &w2).await.cancel_url;

    // When the first booking's link is used again
    let json = app.http.post(&first_cancel).header("accept", "application/json").send().await.unwrap();
    let page = app.http.post(&first_cancel).send().await.unwrap();

    // Then it acts on nothing, and says so
    assert_eq!(json.status(), 409);
    assert_eq!(json.json::<Problem>().await.unwrap().code(), "not-booked");
    assert_eq!(page.status(), 409);
    assert!(page.text().await.unwrap().contains("This link is for an earlier booking"));
    let shown = app.http.get(&first_cancel).send().await.unwrap();
    assert!(shown.text().await.unwrap().contains("earlier booking"), "the link's page says so before any button");
    let booked_on = app.progress("CAF-OLDLINK").await.parents[0].workshop.as_ref().map(|w| w.workshop_id.to_string());
    assert_eq!(booked_on, Some(w2));
    // The second booking's own link still cancels it.
    assert_eq!(app.http.post(&second_cancel).header("accept", "application/json").send().await.unwrap().status(), 200);
    assert_eq!(app.progress("CAF-OLDLINK").await.parents[0].workshop, None);
}

#[tokio::test]
async fn a_confirmation_delivered_after_the_cancellation_is_never_sent() {
    // Given a booking whose event the bus refused, so it reaches the emails late, from the outbox
    let app = pt4c_tests::spawn_app_with(|c| c.outbox_grace = SignedDuration::from_secs(2)).await;
    eligible_case(&app, "CAF-LATE", "ZW26P82").await;
    let w = online_in(&app, 10).await;
    app.bus_refuses(1).await;
    assert_eq!(app.book("CAF-LATE.A", &w).await.status, 201);

    // When the parent cancels before it arrives
    assert_eq!(app.cancel_booking("CAF-LATE.A", Purpose::Booking).await.status, 200);

    // Then the cancellation is emailed and the late confirmation is not
    assert!(app.eventually(|| async { app.events("WorkshopBooked").len() == 1 }).await, "the relay delivered the booking's event");
    assert!(
        app.eventually(|| async {
            app.mail_to("a.caf-late@example.com").await.iter().any(|m| m.subject == "Your workshop booking is cancelled")
        })
        .await
    );
    app.quiet().await;
    let mail = app.mail_to("a.caf-late@example.com").await;
    assert!(!mail.iter().any(|m| m.subject == "Your workshop is booked"), "{:?}", mail.iter().map(|m| &m.subject).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_parent_is_never_offered_their_co_parents_workshop_and_sees_a_joining_link_only_once_booked() {
    // Given Alex booked on an online workshop
    let app = spawn_app().await;
    eligible_case(&app, "CAF-COP", "ZW26P83").await;
    let online = online_in(&app, 10).await;
    let in_person = app.publish_workshop(NewWorkshop::in_person().in_days(11)).await;
    let other_online = online_in(&app, 12).await;
    assert_eq!(app.book("CAF-COP.A", &online).await.status, 201);

    // Then Morgan (either mode) is offered the other workshops only, and no joining link
    let offered = offer(&app, "CAF-COP.B").await;
    let ids: Vec<&str> = offered.workshops.iter().map(|w| w.workshop_id.as_str()).collect();
    assert_eq!(ids, vec![in_person.as_str(), other_online.as_str()], "{offered:?}");
    assert_eq!(offered.workshops[1].location, None, "an online workshop's joining link is for those booked on it");
    assert!(offered.workshops[0].location.is_some(), "an in-person workshop's address is shown");
    let r = app.book("CAF-COP.B", &online).await;
    assert_eq!((r.status, r.problem().code()), (409, "workshop-unavailable"));
    // The refusal's wire text, whole: nothing in it may name the co-parent's workshop.
    assert!(!r.body.to_string().contains(&online) && !r.body.to_string().contains("co-parent"), "{:?}", r.body);

    // And Alex's own Hub knows the booking, with its joining link (defect 7)
    let hub = format!("/hub/{}", app.link("CAF-COP.A", Purpose::Hub));
    let view: HubView = app.get_json(&hub).await.json();
    let on = view.workshop.as_ref().expect("the Hub shows the booking");
    assert_eq!((on.workshop_id.as_str(), on.location.as_deref()), (online.as_str(), Some("https://meet.pt4c.example/w/1")), "{view:?}");
    let html = app.http.get(app.api(&hub)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Booked") && !html.contains("Book a workshop"), "the Hub of a booked parent says booked");
}

#[tokio::test]
async fn case_numbers_typed_differently_are_one_case() {
    // Given two referrals for one case, typed two ways
    let app = spawn_app().await;
    eligible_case(&app, "CAF-CASE1", "ZW26P00999").await;
    eligible_case(&app, "CAF-CASE2", " zw26p 00999\u{200B}").await;
    assert_eq!(app.progress("CAF-CASE2").await.case_number, "ZW26P00999", "stored normalised");

    // Then their parents are co-parents: never in one group
    let w = online_in(&app, 10).await;
    assert_eq!(app.book("CAF-CASE1.A", &w).await.status, 201);
    let r = app.book("CAF-CASE2.A", &w).await;
    assert_eq!((r.status, r.problem().code()), (409, "workshop-unavailable"));
}

#[tokio::test]
async fn a_booking_request_is_judged_link_first_then_its_body() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-ORDER", "ZW26P84").await;
    let good = format!("/book/{}", app.link("CAF-ORDER.A", Purpose::Booking));
    async fn send(app: &TestApp, path: String, ct: Option<&str>, body: &[u8]) -> pt4c_tests::Answer {
        app.send(reqwest::Method::POST, &path, ct, body.to_vec()).await
    }
    let forged = send(&app, "/book/not-a-token".into(), None, b"").await;
    assert_eq!(forged.status, 403, "the link before the body");
    let forged = send(&app, "/book/not-a-token".into(), Some("application/json"), b"").await;
    assert_eq!((forged.status, forged.problem().code()), (403, "invalid-link"), "the link before the body");
    let expired =
        app.stack.links().sign(&ParentId::parse("CAF-ORDER.A").unwrap(), Purpose::Booking, app.now() - SignedDuration::from_hours(1));
    assert_eq!(send(&app, format!("/book/{expired}"), Some("text/plain"), b"x").await.status, 410);
    let wrong_type = send(&app, good.clone(), Some("text/plain"), b"{}").await;
    assert_eq!(wrong_type.status, 415, "a body neither JSON nor a form");
    let malformed = send(&app, good.clone(), Some("application/json"), b"{\"workshopId\":").await;
    assert_eq!((malformed.status, malformed.problem().code()), (400, "invalid-json"));
    let mistyped = send(&app, good.clone(), Some("application/json"), b"{\"workshopId\": 5}").await;
    assert_eq!((mistyped.status, mistyped.problem().code()), (400, "invalid-json"));
    let not_an_id = send(&app, good.clone(), Some("application/json"), b"{\"workshopId\": \"w1\"}").await;
    assert_eq!((not_an_id.status, not_an_id.problem().fields().first().copied()), (422, Some("workshopId")));
}

#[tokio::test]
async fn a_cancellation_cut_short_answers_the_truth_and_the_sweep_finishes_it() {
    // Given a booked parent, and DynamoDB refusing the release of that booking once
    let app = spawn_app().await;
    eligible_case(&app, "CAF-CUT", "ZW26P86").await;
    let w = online_in(&app, 10).await;
    assert_eq!(app.book("CAF-CUT.A", &w).await.status, 201);
    app.dynamo_refuses_once("TransactWriteItems", &[&w, "seatsTaken - :one"]).await;

    // When a coordinator cancels the workshop
    let answer = app.cancel_workshop(&w, "Venue closed").await;

    // Then the answer says what is true: cancelled, one booking still to release
    assert_eq!(answer.status, 503, "{:?}", answer.body);
    assert!(answer.problem().detail.starts_with("The workshop is cancelled. 1 booking"), "{:?}", answer.body);
    assert_eq!(app.workshop(&w).await.status, WorkshopStatus::Cancelled);
    // And the next sweep releases it; the parent is told once
    let summary = app.sweep(app.now()).await;
    assert_eq!(summary.cancellations_finished, 1, "{summary}");
    assert_eq!(app.workshop(&w).await.seats_left, 6);
    assert_eq!(app.progress("CAF-CUT").await.parents[0].workshop, None);
    let told =
        || async { app.mail_to("a.caf-cut@example.com").await.iter().filter(|m| m.subject == "Your workshop has been cancelled").count() };
    assert!(app.eventually(|| async { told().await == 1 }).await);
    let again = app.sweep(app.now()).await;
    assert_eq!(again.cancellations_finished, 0, "nothing left: {again}");
    app.quiet().await;
    assert_eq!(told().await, 1);
}
