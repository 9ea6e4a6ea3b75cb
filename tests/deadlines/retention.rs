//! Retention: a closed referral is erased, with every item it had (its roster places too), when
//! its retention period ends, and not a minute before; a withdrawal keeps what a parent completed.

use jiff::SignedDuration;
use pt4c_tests::views::{ParentStatus, ProgressRecord};
use pt4c_tests::{referral, spawn_app, TestApp};
use serde_json::json;

use super::{at, hours, settled_items, wait_for, workshop_at, ALEX, FCA};

#[tokio::test]
async fn a_closed_referral_is_erased_when_its_retention_ends_and_not_a_minute_before() {
    let app = spawn_app().await;
    // Given a referral withdrawn on 23 November 2026...
    let t0 = at("2026-11-23T09:00:00Z");
    app.stack.set_clock(Some(t0));
    assert_eq!(app.post_referral(&referral("CAF-2026-000507")).await.status, 201);
    wait_for(&app, ALEX, "Welcome", 1).await;
    let withdrawn_at = t0 + hours(1);
    app.stack.set_clock(Some(withdrawn_at));
    assert_eq!(app.withdraw("CAF-2026-000507", &json!({"reason": "Case closed by the court"})).await.status, 200);
    // ...and another closed as not completed on 21 December, with a concern raised after it closed.
    let mut body = referral("CAF-2026-000508");
    body["caseNumber"] = "ZW26P00124".into();
    body["completeBy"] = "2026-12-20".into();
    assert_eq!(app.post_referral(&body).await.status, 201);
    let closed_at = at("2026-12-21T08:00:00Z");
    assert_eq!(app.sweep(closed_at).await.referrals_closed, 1);
    app.stack.set_clock(Some(closed_at + hours(24)));
    let concern = json!({"raisedBy": "Tess Trainer", "summary": "A call from Morgan about the children's safety."});
    assert_eq!(app.post_json("/parents/CAF-2026-000508.B/concerns", concern).await.status, 201);
    wait_for(&app, FCA, "a concern has been raised", 1).await;
    wait_for(&app, FCA, "has not completed", 2).await;
    // Emails still in flight write their notices into the referrals: count once they have landed.
    let stored = settled_items(&app, "CAF-2026-000508").await;
    settled_items(&app, "CAF-2026-000507").await;
    assert!(stored >= 6, "referral, parents, notices, concern: {stored}");

    // When the retention period (365 days) has not quite passed, nothing is erased.
    let year = hours(365 * 24);
    let early = app.sweep(withdrawn_at + year - SignedDuration::from_mins(1)).await;
    assert_eq!(early.referrals_erased, 0, "{early}");
    assert_eq!(app.get_referral("CAF-2026-000507").await.status, 200);
    // Then, at its end, the withdrawn referral is erased with every item it had; the other is kept.
    let erased = app.sweep(withdrawn_at + year).await;
    assert_eq!(erased.referrals_erased, 1, "{erased}");
    assert_eq!(app.get_referral("CAF-2026-000507").await.status, 404);
    assert_eq!(app.items_of_referral("CAF-2026-000507").await, 0);
    assert_eq!(app.items_of_referral("CAF-2026-000508").await, stored);
    // And a year after the other closed, it goes too, concern and all (and its case lookup and its
    // parents' two name lookups); a sweep again finds nothing.
    let later = app.sweep(closed_at + year).await;
    assert_eq!((later.referrals_erased, later.items_erased), (1, stored as u64 + 3), "{later}");
    assert_eq!(app.items_of_referral("CAF-2026-000508").await, 0);
    assert_eq!(app.get_referral("CAF-2026-000508").await.status, 404);
    let again = app.sweep(closed_at + year).await;
    assert_eq!(again.referrals_erased, 0, "{again}");
}

/// The roster places (case guards) stored under a workshop.
async fn roster_places(app: &TestApp, workshop_id: &str) -> usize {
    let out = aws_sdk_dynamodb::Client::new(&app.stack.shared.sdk)
        .query()
        .table_name(&app.stack.shared.created.table)
        .key_condition_expression("pk = :pk AND begins_with(sk, :case)")
        .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("WORKSHOP#{workshop_id}")))
        .expression_attribute_values(":case", aws_sdk_dynamodb::types::AttributeValue::S("CASE#".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("query");
    out.count as usize
}

#[tokio::test]
async fn a_withdrawal_keeps_a_completed_parent_completed_and_erasure_takes_their_roster_place() {
    // Given Alex attended a workshop (completed, a follow-up call due) and Morgan is still on the course
    let app = spawn_app().await;
    let t0 = at("2026-11-23T09:00:00Z");
    app.stack.set_clock(Some(t0));
    assert_eq!(app.post_referral(&referral("CAF-2026-000509")).await.status, 201);
    let day1 = t0 + hours(24);
    app.stack.set_clock(Some(day1));
    app.finish_elearning("CAF-2026-000509.A").await;
    let w = workshop_at(&app, "2026-12-03T10:00:00Z").await;
    app.booked("CAF-2026-000509.A", &w).await;
    wait_for(&app, ALEX, "Your workshop is booked", 1).await;
    let after_workshop = at("2026-12-03T13:00:00Z");
    app.stack.set_clock(Some(after_workshop));
    assert_eq!(app.attendance(&w, "CAF-2026-000509.A", true).await.status, 200);

    // When the referral is withdrawn
    let answer = app.withdraw("CAF-2026-000509", &json!({"reason": "Parents reconciled"})).await;

    // Then only Morgan is withdrawn; Alex keeps the completion, the attendance and the roster place
    assert_eq!(answer.status, 200);
    let record: ProgressRecord = answer.json();
    let (alex, morgan) = (&record.parents[0], &record.parents[1]);
    assert_eq!((alex.status, morgan.status), (ParentStatus::Completed, ParentStatus::Withdrawn), "{record:?}");
    assert_eq!(alex.workshop.as_ref().and_then(|w| w.attended), Some(true));
    assert!(alex.completed_at.is_some());
    let detail = app.workshop(&w).await;
    assert_eq!((detail.seats_left, detail.roster().len()), (5, 1), "{detail:?}");
    // and nothing more is owed: the follow-up call is dropped.
    let due = app.follow_ups("due").await;
    assert!(due.iter().all(|f| f.referral_id.to_string() != "CAF-2026-000509"), "{due:?}");

    // And when its retention ends, erasure takes the roster place that names the case too
    assert_eq!(roster_places(&app, &w).await, 1);
    let erased = app.sweep(after_workshop + hours(365 * 24)).await;
    assert_eq!(erased.referrals_erased, 1, "{erased}");
    assert_eq!(roster_places(&app, &w).await, 0, "no roster place outlives the erasure");
    assert_eq!(app.items_of_referral("CAF-2026-000509").await, 0);
}
