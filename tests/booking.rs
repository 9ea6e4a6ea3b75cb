//! Workshops and booking through the local stack: rules, races, cancellations, confirmations.

use jiff::{SignedDuration, Timestamp};
use pt4c_domain::link::Purpose;
use pt4c_domain::ParentId;
use pt4c_tests::{referral, spawn_app, TestApp};
use serde_json::{json, Value};

const MODULES: [&str; 4] = ["going-to-court", "managing-emotions", "how-separation-affects-children", "childs-point-of-view"];

fn code(body: &Value) -> String {
    body["type"].as_str().unwrap_or("").rsplit('/').next().unwrap_or("").to_owned()
}

async fn post(app: &TestApp, path: &str, body: Value) -> pt4c_tests::Answer {
    app.send(reqwest::Method::POST, path, Some("application/json"), serde_json::to_vec(&body).unwrap()).await
}

/// A referral whose parents (A online, B either) have finished the e-learning.
async fn eligible_case(app: &TestApp, id: &str, case_number: &str) {
    let mut body = referral(id);
    body["caseNumber"] = case_number.into();
    body["parents"][0]["email"] = format!("a.{}@example.com", id.to_lowercase()).into();
    body["parents"][1]["email"] = format!("b.{}@example.com", id.to_lowercase()).into();
    assert_eq!(app.post_referral(&body).await.status, 201);
    let posts = ["A", "B"].iter().flat_map(|p| {
        MODULES.iter().map(move |m| {
            post(app, "/elearning/completions", json!({"parentId": format!("{id}.{p}"), "moduleId": m, "completedAt": "2026-11-21T10:00:00Z"}))
        })
    });
    for answer in futures::future::join_all(posts).await {
        assert_eq!(answer.status, 200);
    }
}

async fn workshop(app: &TestApp, capacity: u32, mode: &str, starts_in_days: i64) -> String {
    let starts = Timestamp::now() + SignedDuration::from_hours(24 * starts_in_days);
    let answer = post(app, "/workshops", json!({
        "startsAt": starts.to_string(), "mode": mode, "location": "https://meet.pt4c.example/w/1", "capacity": capacity,
        "trainer": {"name": "Tess Trainer", "email": "tess.trainer@pt4c.example"}
    }))
    .await;
    assert_eq!(answer.status, 201, "{:?}", answer.body);
    answer.body["workshopId"].as_str().unwrap().to_owned()
}

fn token(app: &TestApp, parent: &str, purpose: Purpose) -> String {
    app.stack.links().sign(&ParentId::parse(parent).unwrap(), purpose, Timestamp::now() + SignedDuration::from_hours(24 * 30))
}

async fn book(app: &TestApp, parent: &str, workshop_id: &str) -> pt4c_tests::Answer {
    post(app, &format!("/book/{}", token(app, parent, Purpose::Booking)), json!({"workshopId": workshop_id})).await
}

async fn workshop_detail(app: &TestApp, id: &str) -> Value {
    app.http.get(app.api(&format!("/workshops/{id}"))).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn a_parent_books_and_is_sent_a_confirmation_with_an_invitation_and_a_cancel_link() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-BOOK", "ZW26P1").await;
    let w = workshop(&app, 6, "online", 10).await;

    let offer: Value = app
        .http
        .get(app.api(&format!("/book/{}", token(&app, "CAF-BOOK.A", Purpose::Booking))))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(offer["workshops"][0]["workshopId"], w);
    assert_eq!(offer["workshops"][0]["seatsLeft"], 6);

    let answer = book(&app, "CAF-BOOK.A", &w).await;
    assert_eq!(answer.status, 201);
    assert_eq!(answer.body["booking"]["workshopId"], w);
    assert!(answer.body["cancelUrl"].as_str().unwrap().ends_with("/cancel"));
    assert_eq!(book(&app, "CAF-BOOK.A", &w).await.status, 200, "a replayed booking is the same booking");

    let record = app.get_referral("CAF-BOOK").await.body;
    assert_eq!(record["parents"][0]["status"], "workshop_booked");
    assert_eq!(record["parents"][0]["workshop"]["workshopId"], w);
    assert_eq!(record["parents"][0]["workshop"]["mode"], "online");
    assert_eq!(record["parents"][0]["workshop"]["attended"], Value::Null);
    let detail = workshop_detail(&app, &w).await;
    assert_eq!(detail["seatsLeft"], 5);
    assert_eq!(detail["roster"][0]["parentId"], "CAF-BOOK.A");
    assert_eq!(detail["roster"][0]["name"], "Alex Hartley");

    assert!(app.eventually(|| async { app.mail_to("a.caf-book@example.com").await.iter().any(|m| m.subject == "Your workshop is booked") }).await);
    app.settle().await;
    let confirmations: Vec<_> = app.mail_to("a.caf-book@example.com").await.into_iter().filter(|m| m.subject == "Your workshop is booked").collect();
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
            uid: "w@pt4c",
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
    let w1 = workshop(&app, 6, "online", 10).await;
    let w2 = workshop(&app, 6, "online", 11).await;
    let single = workshop(&app, 1, "online", 12).await;
    let in_person = workshop(&app, 6, "in_person", 13).await;

    let r = book(&app, "CAF-R3.A", &w1).await;
    assert_eq!((r.status, code(&r.body)), (409, "elearning-incomplete".into()));
    assert_eq!(book(&app, "CAF-R1.A", &w1).await.status, 201);
    let r = book(&app, "CAF-R1.A", &w2).await;
    assert_eq!((r.status, code(&r.body)), (409, "already-booked".into()));
    let r = book(&app, "CAF-R1.B", &w1).await;
    assert_eq!((r.status, code(&r.body)), (409, "co-parent-booked".into()));
    assert_eq!(book(&app, "CAF-R2.A", &single).await.status, 201);
    let r = book(&app, "CAF-R1.B", &single).await;
    assert_eq!((r.status, code(&r.body)), (409, "workshop-full".into()));
    let r = book(&app, "CAF-R2.B", &in_person).await;
    assert_eq!(r.status, 201, "workshopMode either suits in person");
    let r = book(&app, "CAF-R1.B", &w2).await;
    assert_eq!(r.status, 201);
    let cancel = post(&app, &format!("/book/{}/cancel", token(&app, "CAF-R3.B", Purpose::Cancel)), json!({})).await;
    assert_eq!((cancel.status, code(&cancel.body)), (409, "not-booked".into()));
    let unknown = book(&app, "CAF-R3.B", "no-such-workshop").await;
    assert_eq!(unknown.status, 409, "elearning comes first for an ineligible parent");
    let missing = post(&app, &format!("/book/{}", token(&app, "CAF-R1.A", Purpose::Booking)), json!({})).await;
    assert_eq!(missing.status, 422);
    let wrong = post(&app, &format!("/book/{}", token(&app, "CAF-R1.A", Purpose::Hub)), json!({"workshopId": w1})).await;
    assert_eq!((wrong.status, code(&wrong.body)), (403, "invalid-link".into()));

    // Parent A prefers online: an in-person workshop is not theirs to book.
    let post_cancel = post(&app, &format!("/book/{}/cancel", token(&app, "CAF-R1.A", Purpose::Cancel)), json!({})).await;
    assert_eq!(post_cancel.status, 200);
    let r = book(&app, "CAF-R1.A", &in_person).await;
    assert_eq!((r.status, code(&r.body)), (409, "workshop-unavailable".into()));
    // A cancelled workshop cannot be booked.
    let c = post(&app, &format!("/workshops/{w2}/cancel"), json!({"reason": "Trainer unwell"})).await;
    assert_eq!(c.status, 200);
    let r = book(&app, "CAF-R1.A", &w2).await;
    assert_eq!((r.status, code(&r.body)), (409, "workshop-unavailable".into()));
}

#[tokio::test]
async fn a_cancelled_booking_frees_the_seat_and_the_parent_can_book_again() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-CX", "ZW26P30").await;
    let w = workshop(&app, 1, "online", 10).await;
    assert_eq!(book(&app, "CAF-CX.A", &w).await.status, 201);
    assert!(app.eventually(|| async { app.mail_to("a.caf-cx@example.com").await.iter().any(|m| m.subject == "Your workshop is booked") }).await);
    let confirmation = app.mail_to("a.caf-cx@example.com").await.into_iter().find(|m| m.subject == "Your workshop is booked").unwrap();
    let cancel_link = confirmation.text.split_whitespace().find(|w| w.contains("/cancel")).unwrap().to_owned();
    let page = app.http.get(&cancel_link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Cancel this booking"));

    let cancelled = app.http.post(&cancel_link).header("accept", "application/json").send().await.unwrap();
    assert_eq!(cancelled.status(), 200);
    assert_eq!(workshop_detail(&app, &w).await["seatsLeft"], 1);
    assert_eq!(app.get_referral("CAF-CX").await.body["parents"][0]["workshop"], Value::Null);
    assert!(app.eventually(|| async { app.mail_to("a.caf-cx@example.com").await.iter().any(|m| m.subject == "Your workshop booking is cancelled") }).await);

    let again = book(&app, "CAF-CX.A", &w).await;
    assert_eq!(again.status, 201, "the freed seat can be booked again");
}

#[tokio::test]
async fn a_cancelled_workshop_releases_its_bookings_and_emails_each_parent_once() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-W1", "ZW26P40").await;
    eligible_case(&app, "CAF-W2", "ZW26P50").await;
    let w = workshop(&app, 6, "online", 10).await;
    assert_eq!(book(&app, "CAF-W1.A", &w).await.status, 201);
    assert_eq!(book(&app, "CAF-W2.B", &w).await.status, 201);

    let first = post(&app, &format!("/workshops/{w}/cancel"), json!({"reason": "Venue closed"})).await;
    let second = post(&app, &format!("/workshops/{w}/cancel"), json!({"reason": "Venue closed"})).await;

    assert_eq!((first.status, second.status), (200, 200));
    assert_eq!(first.body["status"], "cancelled");
    assert_eq!(first.body["seatsLeft"], 6);
    for (id, email) in [("CAF-W1", "a.caf-w1@example.com"), ("CAF-W2", "b.caf-w2@example.com")] {
        let record = app.get_referral(id).await.body;
        let parent = record["parents"].as_array().unwrap().iter().find(|p| p["workshop"] != Value::Null);
        assert!(parent.is_none(), "{id} still holds a booking");
        assert!(app.eventually(|| async { app.mail_to(email).await.iter().any(|m| m.subject == "Your workshop has been cancelled") }).await);
    }
    app.settle().await;
    for email in ["a.caf-w1@example.com", "b.caf-w2@example.com"] {
        let n = app.mail_to(email).await.iter().filter(|m| m.subject == "Your workshop has been cancelled").count();
        assert_eq!(n, 1, "{email} told once");
    }
    assert_eq!(app.events("WorkshopCancelled").len(), 1);
    let bad = post(&app, &format!("/workshops/{w}/cancel"), json!({})).await;
    assert_eq!(bad.status, 422);
    assert_eq!(post(&app, "/workshops/nope/cancel", json!({"reason": "x"})).await.status, 404);
}

#[tokio::test]
async fn thirty_parents_from_fifteen_cases_race_for_six_seats_twenty_times() {
    let app = spawn_app().await;
    let cases: Vec<String> = (0..15).map(|i| format!("CAF-RACE{i:02}")).collect();
    for (i, id) in cases.iter().enumerate() {
        eligible_case(&app, id, &format!("ZW26R{i:03}")).await;
    }
    let parents: Vec<String> = cases.iter().flat_map(|c| [format!("{c}.A"), format!("{c}.B")]).collect();

    for round in 0..20 {
        let w = workshop(&app, 6, "online", 10 + round).await;
        let answers = futures::future::join_all(parents.iter().map(|p| book(&app, p, &w))).await;

        let booked: Vec<&String> = parents.iter().zip(&answers).filter(|(_, a)| a.status == 201).map(|(p, _)| p).collect();
        assert_eq!(booked.len(), 6, "round {round}: {:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
        let mut booked_cases: Vec<&str> = booked.iter().map(|p| p.rsplit_once('.').unwrap().0).collect();
        booked_cases.sort();
        booked_cases.dedup();
        assert_eq!(booked_cases.len(), 6, "round {round}: two parents of one case");
        for a in answers.iter().filter(|a| a.status != 201) {
            assert_eq!(a.status, 409);
            assert!(matches!(code(&a.body).as_str(), "workshop-full" | "co-parent-booked"), "round {round}: {:?}", a.body);
        }
        let detail = workshop_detail(&app, &w).await;
        assert_eq!(detail["seatsLeft"], 0);
        let mut roster: Vec<String> = detail["roster"].as_array().unwrap().iter().map(|r| r["parentId"].as_str().unwrap().to_owned()).collect();
        roster.sort();
        let mut expected: Vec<String> = booked.iter().map(|p| p.to_string()).collect();
        expected.sort();
        assert_eq!(roster, expected, "round {round}: roster and bookings agree");
        // Free everyone for the next round.
        assert_eq!(post(&app, &format!("/workshops/{w}/cancel"), json!({"reason": "next round"})).await.status, 200);
    }
}

#[tokio::test]
async fn co_parents_racing_for_one_workshop_get_one_seat_and_one_parent_gets_one_booking() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-PAIR", "ZW26P60").await;
    for round in 0..5 {
        let w = workshop(&app, 6, "online", 10 + round).await;
        let (a, b) = tokio::join!(book(&app, "CAF-PAIR.A", &w), book(&app, "CAF-PAIR.B", &w));
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "round {round}");
        let loser = if a.status == 409 { &a } else { &b };
        assert_eq!(code(&loser.body), "co-parent-booked");
        assert_eq!(workshop_detail(&app, &w).await["seatsLeft"], 5);
        post(&app, &format!("/workshops/{w}/cancel"), json!({"reason": "next round"})).await;
    }
    for round in 0..5 {
        let w1 = workshop(&app, 6, "online", 20 + round).await;
        let w2 = workshop(&app, 6, "online", 30 + round).await;
        let (x, y) = tokio::join!(book(&app, "CAF-PAIR.A", &w1), book(&app, "CAF-PAIR.A", &w2));
        let mut statuses = [x.status, y.status];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "round {round}");
        let seats = workshop_detail(&app, &w1).await["seatsLeft"].as_u64().unwrap() + workshop_detail(&app, &w2).await["seatsLeft"].as_u64().unwrap();
        assert_eq!(seats, 11, "round {round}: one seat taken in all");
        post(&app, &format!("/workshops/{w1}/cancel"), json!({"reason": "next round"})).await;
        post(&app, &format!("/workshops/{w2}/cancel"), json!({"reason": "next round"})).await;
    }
}

#[tokio::test]
async fn workshops_are_published_and_listed_soonest_first() {
    let app = spawn_app().await;
    let later = workshop(&app, 6, "online", 20).await;
    let sooner = workshop(&app, 4, "in_person", 5).await;
    let list: Value = app.http.get(app.api("/workshops")).send().await.unwrap().json().await.unwrap();
    let ids: Vec<_> = list["workshops"].as_array().unwrap().iter().map(|w| w["workshopId"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, vec![sooner.clone(), later]);
    assert_eq!(list["workshops"][0]["seatsLeft"], 4);
    let bad = post(&app, "/workshops", json!({"startsAt": "2020-01-01T00:00:00Z", "mode": "boat", "capacity": 9})).await;
    assert_eq!(bad.status, 422);
    let fields: Vec<_> = bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
    assert_eq!(fields, vec!["startsAt", "mode", "location", "capacity", "trainer"]);
    assert_eq!(app.http.get(app.api("/workshops/nope")).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_withdrawn_referral_releases_its_seats_and_is_told_nothing() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-WDB", "ZW26P70").await;
    let w = workshop(&app, 6, "online", 10).await;
    assert_eq!(book(&app, "CAF-WDB.A", &w).await.status, 201);
    assert!(app.eventually(|| async { app.mail_to("a.caf-wdb@example.com").await.iter().any(|m| m.subject == "Your workshop is booked") }).await);
    let before = app.mail().await.len();

    let answer = app.withdraw("CAF-WDB", &json!({"reason": "Case closed"})).await;

    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["parents"][0]["status"], "withdrawn");
    assert_eq!(answer.body["parents"][0]["workshop"], Value::Null);
    let detail = workshop_detail(&app, &w).await;
    assert_eq!(detail["seatsLeft"], 6);
    assert_eq!(detail["roster"], json!([]));
    app.settle().await;
    assert_eq!(app.mail().await.len(), before, "nothing more is sent");
    let r = book(&app, "CAF-WDB.A", &w).await;
    assert_eq!((r.status, code(&r.body)), (409, "workshop-unavailable".into()));
}
