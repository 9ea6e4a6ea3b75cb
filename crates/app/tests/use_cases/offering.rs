//! The booking page's choices (rules.md, "Offering workshops"): only what suits the parent, a
//! screen of at most ten at a time from the bookable index, filtered by time of day and days,
//! later dates by cursor, those after the court's date marked.

use jiff::{SignedDuration, Timestamp};
use pt4c_app::booking::{self, BookingView, OfferQuery, CHOICES_PER_SCREEN};
use pt4c_domain::offering::{BookableCursor, Days, OfferFilter, TimeOfDay};
use pt4c_domain::workshop::{Mode, Trainer, Workshop, WorkshopStatus};
use pt4c_domain::ParentId;

use crate::harness::*;

/// A published workshop starting at `starts_at`, in `language` with interpreters for `interpreters`.
async fn workshop_at(t: &TestApp, starts_at: Timestamp, mode: Mode, language: &str, interpreters: &[&str]) -> Workshop {
    let w = Workshop {
        workshop_id: pt4c_app::workshops::new_id(),
        starts_at,
        ends_at: starts_at + SignedDuration::from_mins(150),
        duration_minutes: 150,
        mode,
        location: "https://meet.test/abc".into(),
        capacity: 6,
        language: language.into(),
        interpreters: interpreters.iter().map(|s| s.to_string()).collect(),
        trainer: serde_json::from_value::<Trainer>(serde_json::json!({"name": "Tess Trainer", "email": "tess@pt4c.test"})).unwrap(),
        status: WorkshopStatus::Open,
        seats_taken: 0,
        sequence: 0,
        previous_trainer: None,
        booked_cases: Vec::new(),
    };
    pt4c_app::workshops::publish(t, &w).await.expect("workshop published");
    w
}

/// Online English workshops at 10:00 UTC (10am in London in winter) on `n` days from tomorrow.
async fn daily_workshops(t: &TestApp, n: i64) -> Vec<Workshop> {
    let mut out = Vec::new();
    for d in 1..=n {
        out.push(workshop_at(t, at("2026-11-23T10:00:00Z") + days(d - 1), Mode::Online, "en", &[]).await);
    }
    out
}

async fn eligible_parent(t: &TestApp) -> ParentId {
    let (a, _) = t.given_a_referral().await;
    t.given_elearning_done(&a).await;
    a
}

async fn view(t: &TestApp, parent: &ParentId, query: &OfferQuery) -> BookingView {
    booking::offer(t, &t.booking_token(parent), query).await.expect("an offer")
}

fn ids(v: &BookingView) -> Vec<String> {
    v.workshops.iter().map(|w| w.workshop_id.to_string()).collect()
}

#[tokio::test]
async fn given_25_workshops_when_a_parent_pages_through_later_dates_then_each_screen_shows_ten_in_start_order_once() {
    // Given 25 workshops that suit the parent
    let t = app().await;
    let parent = eligible_parent(&t).await;
    let all: Vec<String> = daily_workshops(&t, 25).await.iter().map(|w| w.workshop_id.to_string()).collect();

    // When they follow "later dates" to the end
    let first = view(&t, &parent, &OfferQuery::default()).await;
    let second = view(&t, &parent, &OfferQuery { from: first.next.as_deref().and_then(BookableCursor::parse), ..Default::default() }).await;
    let third = view(&t, &parent, &OfferQuery { from: second.next.as_deref().and_then(BookableCursor::parse), ..Default::default() }).await;

    // Then ten, ten and five, soonest first, each once; the last screen has no later dates
    assert_eq!((first.workshops.len(), second.workshops.len(), third.workshops.len()), (10, 10, 5));
    let shown: Vec<String> = [ids(&first), ids(&second), ids(&third)].concat();
    assert_eq!(shown, all);
    assert!(first.later_url.as_deref().is_some_and(|u| u.starts_with(BASE_URL) && u.contains("?after=")), "{:?}", first.later_url);
    assert_eq!((third.next.as_deref(), third.later_url.as_deref()), (None, None));
    // And what each screen read is within twice what it shows
    for v in [&first, &second, &third] {
        assert!(v.items_read <= 2 * v.workshops.len().max(1), "read {} for {}", v.items_read, v.workshops.len());
    }
}

#[tokio::test]
async fn given_workshops_through_the_day_and_week_when_a_parent_filters_then_only_those_times_are_shown() {
    // Given workshops on a weekday morning, afternoon and evening and on a Saturday (London, winter)
    let t = app().await;
    let parent = eligible_parent(&t).await;
    let morning = workshop_at(&t, at("2026-11-24T09:30:00Z"), Mode::Online, "en", &[]).await;
    let afternoon = workshop_at(&t, at("2026-11-24T13:00:00Z"), Mode::Online, "en", &[]).await;
    let evening = workshop_at(&t, at("2026-11-24T18:00:00Z"), Mode::Online, "en", &[]).await;
    let saturday_evening = workshop_at(&t, at("2026-11-28T18:00:00Z"), Mode::Online, "en", &[]).await;

    // When they ask for evenings, then weekday evenings, then weekends
    let filter = |times: Vec<TimeOfDay>, days: Vec<Days>| OfferQuery { filter: OfferFilter { times, days }, from: None };
    let evenings = view(&t, &parent, &filter(vec![TimeOfDay::Evening], vec![])).await;
    let weekday_evenings = view(&t, &parent, &filter(vec![TimeOfDay::Evening], vec![Days::Weekday])).await;
    let weekends = view(&t, &parent, &filter(vec![], vec![Days::Weekend])).await;
    let days_out = view(&t, &parent, &filter(vec![TimeOfDay::Morning, TimeOfDay::Afternoon], vec![Days::Weekday])).await;

    // Then each shows only what was asked for
    let id = |w: &Workshop| w.workshop_id.to_string();
    assert_eq!(ids(&evenings), [id(&evening), id(&saturday_evening)]);
    assert_eq!(ids(&weekday_evenings), [id(&evening)]);
    assert_eq!(ids(&weekends), [id(&saturday_evening)]);
    assert_eq!(ids(&days_out), [id(&morning), id(&afternoon)]);
}

#[tokio::test]
async fn given_workshops_either_side_of_the_court_date_when_offered_then_later_ones_come_after_and_are_marked() {
    // Given the court's date 2027-01-29: a workshop that evening and one the next morning (London)
    let t = app().await;
    let parent = eligible_parent(&t).await;
    let on_the_day = workshop_at(&t, at("2027-01-29T18:00:00Z"), Mode::Online, "en", &[]).await;
    let next_day = workshop_at(&t, at("2027-01-30T09:00:00Z"), Mode::Online, "en", &[]).await;

    // When offered
    let v = view(&t, &parent, &OfferQuery::default()).await;

    // Then the one on the day is before the court date, the next day's after it
    let marks: Vec<(String, bool)> = v.workshops.iter().map(|w| (w.workshop_id.to_string(), w.after_court_date)).collect();
    assert_eq!(marks, [(on_the_day.workshop_id.to_string(), false), (next_day.workshop_id.to_string(), true)]);
}

#[tokio::test]
async fn given_a_parent_needing_polish_when_offered_then_only_polish_or_polish_interpreter_workshops_are_shown() {
    // Given a parent who needs a Polish interpreter, and workshops in English, Polish, and
    // English with a Polish or a Welsh interpreter
    let t = app().await;
    let mut json = other_referral_json(1);
    json["parents"][0]["interpreterLanguage"] = "pl".into();
    let (parent, _) = t.given_referral(json).await;
    t.given_elearning_done(&parent).await;
    let _english = workshop_at(&t, at("2026-11-24T10:00:00Z"), Mode::Online, "en", &[]).await;
    let polish = workshop_at(&t, at("2026-11-25T10:00:00Z"), Mode::Online, "pl", &[]).await;
    let interpreted = workshop_at(&t, at("2026-11-26T10:00:00Z"), Mode::Online, "en", &["pl-PL"]).await;
    let _welsh = workshop_at(&t, at("2026-11-27T10:00:00Z"), Mode::Online, "en", &["cy"]).await;

    // When offered
    let v = view(&t, &parent, &OfferQuery::default()).await;

    // Then only the Polish one and the one with a Polish interpreter
    assert_eq!(ids(&v), [polish.workshop_id.to_string(), interpreted.workshop_id.to_string()]);
}

#[tokio::test]
async fn given_a_full_workshop_and_a_co_parents_when_offered_then_neither_is_shown_until_a_seat_frees() {
    // Given a one-seat workshop taken by another family, and the co-parent booked on another
    let t = app().await;
    let (a, b) = t.given_a_referral().await;
    t.given_elearning_done(&a).await;
    let full = t.given_a_workshop(days(2), 1).await;
    let co_parents = t.given_a_workshop(days(3), 6).await;
    let free = t.given_a_workshop(days(4), 6).await;
    let (other, _) = t.given_another_referral(2).await;
    t.given_booked(&other, &full).await;
    t.given_booked(&b, &co_parents).await;

    // When A is offered
    let before = view(&t, &a, &OfferQuery::default()).await;

    // Then only the free one; once the other family cancels, the freed seat is offered
    assert_eq!(ids(&before), [free.workshop_id.to_string()]);
    let other_parent = t.parent(&other).await;
    booking::cancel_for(&t, &other_parent).await.expect("cancelled");
    let after = view(&t, &a, &OfferQuery::default()).await;
    assert_eq!(ids(&after), [full.workshop_id.to_string(), free.workshop_id.to_string()]);
}

#[tokio::test]
async fn given_most_workshops_suit_when_offered_then_the_view_reads_at_most_twice_what_it_shows() {
    // Given 40 workshops, every fourth in person (parent A wants online only)
    let t = app().await;
    let parent = eligible_parent(&t).await;
    for d in 0..40 {
        let mode = if d % 4 == 3 { Mode::InPerson } else { Mode::Online };
        workshop_at(&t, at("2026-11-23T10:00:00Z") + days(d), mode, "en", &[]).await;
    }

    // When offered
    let v = view(&t, &parent, &OfferQuery::default()).await;

    // Then a full screen, read within twice its size, and later dates
    assert_eq!(v.workshops.len(), CHOICES_PER_SCREEN);
    assert!(v.items_read <= 2 * CHOICES_PER_SCREEN, "read {}", v.items_read);
    assert!(v.next.is_some());
}

#[tokio::test]
async fn given_few_workshops_suit_when_offered_then_one_view_reads_a_bounded_number_and_offers_later_dates() {
    // Given 600 in-person workshops and one online one after them (parent A wants online only)
    let t = app().await;
    let parent = eligible_parent(&t).await;
    for m in 0..600 {
        workshop_at(&t, at("2026-11-23T10:00:00Z") + SignedDuration::from_mins(60 * m), Mode::InPerson, "en", &[]).await;
    }
    let online = workshop_at(&t, at("2027-03-01T10:00:00Z"), Mode::Online, "en", &[]).await;

    // When offered, then again from later dates
    let first = view(&t, &parent, &OfferQuery::default()).await;
    let later = view(&t, &parent, &OfferQuery { from: first.next.as_deref().and_then(BookableCursor::parse), ..Default::default() }).await;

    // Then the first screen stops at the bound with later dates, which find the online one
    assert!(first.workshops.is_empty() && first.items_read <= booking::MOST_READ_PER_VIEW, "read {}", first.items_read);
    assert!(first.next.is_some());
    assert_eq!(ids(&later), [online.workshop_id.to_string()]);
    assert_eq!(later.next, None);
}
