//! Bookings in a rush: parents racing for seats, co-parents racing each other, bookings racing a
//! withdrawal or a cancellation, and DynamoDB's transaction conflicts in between.

use pt4c_domain::link::Purpose;
use pt4c_tests::spawn_app;
use serde_json::json;

use super::{eligible_case, online_in};

#[tokio::test]
async fn thirty_parents_from_fifteen_cases_race_for_six_seats_round_after_round() {
    let app = spawn_app().await;
    let cases: Vec<String> = (0..15).map(|i| format!("CAF-RACE{i:02}")).collect();
    for (i, id) in cases.iter().enumerate() {
        eligible_case(&app, id, &format!("ZW26R{i:03}")).await;
    }
    let parents: Vec<String> = cases.iter().flat_map(|c| [format!("{c}.A"), format!("{c}.B")]).collect();

    // 5 rounds in the test command, 20 from scripts/bench.sh (PT4C_FULL_SIZE=1).
    for round in 0..pt4c_tests::sized(5, 20) as i64 {
        let w = online_in(&app, 10 + round).await;
        let answers = futures::future::join_all(parents.iter().map(|p| app.book(p, &w))).await;

        let booked: Vec<&String> = parents.iter().zip(&answers).filter(|(_, a)| a.status == 201).map(|(p, _)| p).collect();
        assert_eq!(booked.len(), 6, "round {round}: {:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
        let mut booked_cases: Vec<&str> = booked.iter().map(|p| p.rsplit_once('.').unwrap().0).collect();
        booked_cases.sort();
        booked_cases.dedup();
        assert_eq!(booked_cases.len(), 6, "round {round}: two parents of one case");
        for a in answers.iter().filter(|a| a.status != 201) {
            assert_eq!(a.status, 409);
            assert!(matches!(a.problem().code(), "workshop-full" | "workshop-unavailable"), "round {round}: {:?}", a.body);
        }
        let detail = app.workshop(&w).await;
        assert_eq!(detail.seats_left, 0);
        let mut expected: Vec<String> = booked.iter().map(|p| p.to_string()).collect();
        expected.sort();
        assert_eq!(detail.roster_ids(), expected, "round {round}: roster and bookings agree");
        // Free everyone for the next round.
        assert_eq!(app.cancel_workshop(&w, "next round").await.status, 200);
    }
}

#[tokio::test]
async fn co_parents_racing_for_one_workshop_get_one_seat_and_one_parent_gets_one_booking() {
    let app = spawn_app().await;
    eligible_case(&app, "CAF-PAIR", "ZW26P60").await;
    for round in 0..5 {
        let w = online_in(&app, 10 + round).await;
        let (a, b) = tokio::join!(app.book("CAF-PAIR.A", &w), app.book("CAF-PAIR.B", &w));
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "round {round}");
        let loser = if a.status == 409 { &a } else { &b };
        assert_eq!(loser.problem().code(), "workshop-unavailable", "the co-parent's workshop is not named as theirs");
        assert_eq!(app.workshop(&w).await.seats_left, 5);
        app.cancel_workshop(&w, "next round").await;
    }
    for round in 0..5 {
        let w1 = online_in(&app, 20 + round).await;
        let w2 = online_in(&app, 30 + round).await;
        let (x, y) = tokio::join!(app.book("CAF-PAIR.A", &w1), app.book("CAF-PAIR.A", &w2));
        let mut statuses = [x.status, y.status];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "round {round}");
        let seats = app.workshop(&w1).await.seats_left + app.workshop(&w2).await.seats_left;
        assert_eq!(seats, 11, "round {round}: one seat taken in all");
        app.cancel_workshop(&w1, "next round").await;
        app.cancel_workshop(&w2, "next round").await;
    }
}

#[tokio::test]
async fn a_transaction_conflict_in_a_booking_rush_is_tried_again_and_a_failing_form_gets_a_page() {
    // Given DynamoDB cancels the booking's transaction twice for a concurrent one, as it does in a rush
    let app = spawn_app().await;
    eligible_case(&app, "CAF-CONFLICT", "ZW26P85").await;
    let w = online_in(&app, 10).await;
    let spec = json!({"action": "DynamoDB_20120810.TransactWriteItems", "match": [app.stack.shared.created.table, w], "times": 2,
        "transactionConflict": true});
    let res = app.http.post(format!("{}/_pt4c/faults", app.stack.control_url)).json(&spec).send().await.unwrap();
    assert!(res.status().is_success());

    // Then the parent is booked all the same
    let r = app.book("CAF-CONFLICT.A", &w).await;
    assert_eq!(r.status, 201, "{:?}", r.body);

    // And when DynamoDB keeps failing, the form gets a page, never problem details
    app.fault(
        "DynamoDB_20120810.TransactWriteItems",
        json!([app.stack.shared.created.table, w]),
        20,
        500,
        json!({"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError", "message": "injected"}),
        Some("application/x-amz-json-1.0"),
    )
    .await;
    let form = app
        .http
        .post(app.api(&format!("/book/{}", app.link("CAF-CONFLICT.B", Purpose::Booking))))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("workshopId={w}"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 503);
    assert!(form.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(form.text().await.unwrap().contains("Sorry, there is a problem with the service"));
}

#[tokio::test]
async fn bookings_racing_a_withdrawal_or_a_workshop_cancellation_never_keep_a_seat() {
    let app = spawn_app().await;
    for round in 0..6 {
        // A booking and the referral's withdrawal at once
        let id = format!("CAF-WRACE{round}");
        eligible_case(&app, &id, &format!("ZW26W{round:03}")).await;
        let w = online_in(&app, 10 + round).await;
        let (parent, reason) = (format!("{id}.A"), json!({"reason": "Case closed"}));
        let (_, withdrawn) = tokio::join!(app.book(&parent, &w), app.withdraw(&id, &reason));
        assert_eq!(withdrawn.status, 200);
        let record = app.progress(&id).await;
        assert!(record.parents.iter().all(|p| p.workshop.is_none()), "round {round}: {record:?}");
        let detail = app.workshop(&w).await;
        assert_eq!((detail.seats_left, detail.roster().len()), (6, 0), "round {round}");
    }
    let mut held = 0;
    for round in 0..6 {
        // Two bookings and the workshop's cancellation at once
        let (one, two) = (format!("CAF-CRACE{round}"), format!("CAF-CRACEB{round}"));
        eligible_case(&app, &one, &format!("ZW26C{round:03}")).await;
        eligible_case(&app, &two, &format!("ZW26D{round:03}")).await;
        let w = online_in(&app, 20 + round).await;
        let (pa, pb) = (format!("{one}.A"), format!("{two}.A"));
        let (a, b, cancelled) = tokio::join!(app.book(&pa, &w), app.book(&pb, &w), app.cancel_workshop(&w, "Trainer unwell"));
        assert_eq!(cancelled.status, 200, "{:?}", cancelled.body);
        let detail = app.workshop(&w).await;
        assert_eq!((detail.seats_left, detail.roster().len()), (6, 0), "round {round}");
        for (id, answer) in [(&one, a), (&two, b)] {
            let record = app.progress(id).await;
            assert_eq!(record.parents[0].workshop, None, "round {round}: {record:?}");
            if answer.status == 201 {
                held += 1;
                // Held a seat on it: told it was cancelled, once.
                let email = format!("a.{}@example.com", id.to_lowercase());
                let told =
                    || async { app.mail_to(&email).await.iter().filter(|m| m.subject == "Your workshop has been cancelled").count() };
                assert!(app.eventually(|| async { told().await == 1 }).await, "round {round}: {id} told");
            }
        }
    }
    // Once quiet, no other parent was told: only those who held a seat, once each.
    app.quiet().await;
    let cancellations = app.mail().await.into_iter().filter(|m| m.subject == "Your workshop has been cancelled").count();
    assert_eq!(cancellations, held);
}
