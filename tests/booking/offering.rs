//! The booking page's choices through the local stack and the real SDK (issue 13, "a booking
//! page that fits a person and scales"): the bookable index kept true by every write, filters,
//! later dates, interpreters, co-parents, and what one view reads.

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::{SignedDuration, Timestamp};
use pt4c_app::booking::{move_booking, OfferQuery, CHOICES_PER_SCREEN};
use pt4c_domain::link::Purpose;
use pt4c_domain::offering::{Days, OfferFilter, TimeOfDay};
use pt4c_domain::ports::ParentStore;
use pt4c_domain::{ParentId, WorkshopId};
use pt4c_tests::{referral, spawn_app, TestApp};
use serde_json::{json, Value};

/// A referral whose parents have finished the e-learning; `parents` overrides their fields.
async fn eligible(app: &TestApp, id: &str, case_number: &str, parents: [Value; 2]) {
    let mut body = referral(id);
    body["caseNumber"] = case_number.into();
    for (i, extra) in parents.into_iter().enumerate() {
        body["parents"][i]["email"] = format!("{}.{}@example.com", ["a", "b"][i], id.to_lowercase()).into();
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            body["parents"][i][k] = v;
        }
    }
    assert_eq!(app.post_referral(&body).await.status, 201);
    let (a, b) = (format!("{id}.A"), format!("{id}.B"));
    tokio::join!(app.finish_elearning(&a), app.finish_elearning(&b));
}

/// Publishes a workshop at `starts` with the given fields; its id.
async fn publish(app: &TestApp, starts: Timestamp, fields: Value) -> String {
    let mut body = json!({
        "startsAt": starts.to_string(), "mode": "online", "location": "https://meet.pt4c.example/w/1",
        "trainer": {"name": "Tess Trainer", "email": "tess.trainer@pt4c.example"}
    });
    for (k, v) in fields.as_object().cloned().unwrap_or_default() {
        body[k] = v;
    }
    let answer = app.post_json("/workshops", body).await;
    assert_eq!(answer.status, 201, "{:?}", answer.body);
    answer.body["workshopId"].as_str().expect("an id").to_owned()
}

/// `hour`:00 in London, `days` days after the stack's day.
fn london(app: &TestApp, days: i64, hour: i8) -> Timestamp {
    let day = pt4c_domain::london_date(app.now()) + SignedDuration::from_hours(24 * days);
    day.at(hour, 0, 0, 0).to_zoned(pt4c_domain::london()).expect("a London time").timestamp()
}

/// The booking page as JSON, with a query string.
async fn offered(app: &TestApp, parent: &str, query: &str) -> Value {
    let answer = app.get_json(&format!("/book/{}{query}", app.link(parent, Purpose::Booking))).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body
}

fn ids(view: &Value) -> Vec<String> {
    view["workshops"].as_array().expect("workshops").iter().map(|w| w["workshopId"].as_str().unwrap().to_owned()).collect()
}

/// The workshop item's bookable-index attributes, straight from the table.
async fn listing(app: &TestApp, workshop: &str) -> Option<(String, String)> {
    let dynamo = aws_sdk_dynamodb::Client::new(&app.stack.shared.sdk);
    let item = dynamo
        .get_item()
        .table_name(&app.stack.shared.created.table)
        .key("pk", AttributeValue::S(format!("WORKSHOP#{workshop}")))
        .key("sk", AttributeValue::S("WORKSHOP".into()))
        .send()
        .await
        .expect("GetItem")
        .item
        .expect("the workshop item");
    let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    text("bookablePk").zip(text("bookableAt"))
}

#[tokio::test]
async fn filters_narrow_the_choices_and_later_dates_page_through_them_ten_at_a_time() {
    // Given 15 workshops on 13 days: mornings, one afternoon, one evening (London), the last
    // after the court's date (2027-01-29)
    let app = spawn_app().await;
    eligible(&app, "CAF-OFF", "ZW26P901", [json!({}), json!({})]).await;
    let mut starts = Vec::new();
    for d in 1..=12 {
        starts.push(london(&app, d, 10));
    }
    starts.extend([london(&app, 2, 14), london(&app, 3, 18), "2027-02-08T10:00:00Z".parse().unwrap()]);
    starts.sort();
    let mut published = Vec::new();
    for s in &starts {
        published.push((publish(&app, *s, json!({})).await, *s));
    }
    published.sort_by_key(|(_, s)| *s);
    let all: Vec<String> = published.iter().map(|(id, _)| id.clone()).collect();

    // When the parent looks, then follows "later dates"
    let first = offered(&app, "CAF-OFF.A", "").await;
    let later_url = first["laterUrl"].as_str().expect("later dates").to_owned();
    let later: Value = app.http.get(&later_url).header("accept", "application/json").send().await.unwrap().json().await.unwrap();

    // Then ten, then the other five, soonest first, each once; only the last after the court date
    assert_eq!(ids(&first), all[..CHOICES_PER_SCREEN]);
    assert_eq!(ids(&later), all[CHOICES_PER_SCREEN..]);
    assert_eq!((&later["next"], &later["laterUrl"]), (&Value::Null, &Value::Null));
    let marks: Vec<bool> = [&first, &later]
        .iter()
        .flat_map(|v| v["workshops"].as_array().unwrap().iter().map(|w| w["afterCourtDate"].as_bool().unwrap()))
        .collect();
    assert_eq!(marks, [vec![false; 14], vec![true]].concat());
    let later_html = app.http.get(&later_url).send().await.unwrap().text().await.unwrap();
    assert!(later_html.contains("After your court date") && later_html.contains(">First dates</a>"), "{later_html}");

    // And each filter shows what it asks for, as the domain's London times say
    for (query, filter) in [
        ("?time=evening", OfferFilter { times: vec![TimeOfDay::Evening], days: vec![] }),
        ("?time=afternoon&time=evening", OfferFilter { times: vec![TimeOfDay::Afternoon, TimeOfDay::Evening], days: vec![] }),
        ("?days=weekend", OfferFilter { times: vec![], days: vec![Days::Weekend] }),
        ("?time=morning&days=weekday", OfferFilter { times: vec![TimeOfDay::Morning], days: vec![Days::Weekday] }),
    ] {
        let want: Vec<String> = published
            .iter()
            .filter(|(_, s)| {
                (filter.times.is_empty() || filter.times.contains(&TimeOfDay::of(*s)))
                    && (filter.days.is_empty() || filter.days.contains(&Days::of(*s)))
            })
            .map(|(id, _)| id.clone())
            .take(CHOICES_PER_SCREEN)
            .collect();
        assert_eq!(ids(&offered(&app, "CAF-OFF.A", query).await), want, "{query}");
    }

    // And a filter the page does not take names its field, as problem details or on the page
    let path = format!("/book/{}?time=night&days=weekend", app.link("CAF-OFF.A", Purpose::Booking));
    let bad = app.get_json(&path).await;
    assert_eq!((bad.status, bad.problem().code(), bad.problem().fields()), (400, "invalid-query", vec!["time"]));
    let page = app.http.get(app.api(&path)).send().await.unwrap();
    assert_eq!(page.status(), 400);
    let html = page.text().await.unwrap();
    assert!(html.contains("There is a problem") && html.contains("href=\"#time-morning\""), "{html}");
    let html =
        app.http.get(app.api(&format!("/book/{}", app.link("CAF-OFF.A", Purpose::Booking)))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Week beginning ") && html.contains(">Later dates</a>") && html.contains(">Apply</button>"), "{html}");
}

#[tokio::test]
async fn a_full_workshop_leaves_the_bookable_index_and_comes_back_when_a_seat_frees() {
    // Given a one-seat workshop and a two-seat one
    let app = spawn_app().await;
    eligible(&app, "CAF-IDX1", "ZW26P902", [json!({}), json!({})]).await;
    eligible(&app, "CAF-IDX2", "ZW26P903", [json!({}), json!({})]).await;
    let one = publish(&app, london(&app, 5, 10), json!({"capacity": 1})).await;
    let two = publish(&app, london(&app, 6, 10), json!({"capacity": 2})).await;
    assert!(listing(&app, &one).await.is_some_and(|(pk, _)| pk == "open"), "published: listed");

    // When its seat is booked, the workshop leaves the index and is not offered
    assert_eq!(app.book("CAF-IDX1.A", &one).await.status, 201);
    assert_eq!(listing(&app, &one).await, None, "full: unlisted");
    assert_eq!(ids(&offered(&app, "CAF-IDX2.A", "").await), std::slice::from_ref(&two));

    // Then a cancellation gives the seat back and lists it again
    assert_eq!(app.cancel_booking("CAF-IDX1.A", Purpose::Booking).await.status, 200);
    assert!(listing(&app, &one).await.is_some_and(|(pk, _)| pk == "open"));
    assert_eq!(ids(&offered(&app, "CAF-IDX2.A", "").await), [one.clone(), two.clone()]);

    // And a move takes the last seat as a booking does (unlisted), giving the old one back (listed)
    assert_eq!(app.book("CAF-IDX1.A", &two).await.status, 201);
    assert!(listing(&app, &two).await.is_some(), "one seat of two left");
    let deps = app.stack.deps();
    let parent = deps.app.store.parent(&ParentId::parse("CAF-IDX1.A").unwrap()).await.unwrap().unwrap();
    move_booking(&deps.app, &parent, &WorkshopId::parse(&one).unwrap()).await.expect("moved");
    assert_eq!(listing(&app, &one).await, None, "moved onto the last seat: unlisted");
    assert!(listing(&app, &two).await.is_some(), "moved away: listed");
    assert_eq!(app.cancel_booking("CAF-IDX1.A", Purpose::Booking).await.status, 200);

    // And an edit lists or unlists from the capacity: down to the seats taken, then up again
    assert_eq!(app.book("CAF-IDX2.A", &two).await.status, 201);
    let path = format!("/workshops/{two}");
    let edit = |capacity: u32| {
        app.send(reqwest::Method::PATCH, &path, Some("application/json"), serde_json::to_vec(&json!({"capacity": capacity})).unwrap())
    };
    assert_eq!(edit(1).await.status, 200);
    assert_eq!(listing(&app, &two).await, None, "capacity down to the seats taken: unlisted");
    assert_eq!(edit(3).await.status, 200);
    assert!(listing(&app, &two).await.is_some(), "capacity up: listed");

    // And a withdrawal gives its seat back; a cancelled workshop is unlisted, its releases never list it
    assert_eq!(edit(1).await.status, 200);
    assert_eq!(listing(&app, &two).await, None);
    assert_eq!(app.withdraw("CAF-IDX2", &json!({"reason": "Case closed"})).await.status, 200);
    assert!(listing(&app, &two).await.is_some_and(|(pk, _)| pk == "open"), "withdrawn: its seat listed");
    assert_eq!(app.book("CAF-IDX1.B", &two).await.status, 201);
    assert_eq!(app.cancel_workshop(&two, "Venue closed").await.status, 200);
    assert!(listing(&app, &two).await.is_none_or(|(pk, _)| pk != "open"), "cancelled: never in the open partition");
    assert!(!ids(&offered(&app, "CAF-IDX1.A", "").await).contains(&two));
}

#[tokio::test]
async fn a_parent_needing_polish_is_offered_polish_or_interpreted_workshops_never_their_co_parents() {
    // Given co-parents who both need a Polish interpreter, and workshops in English, Polish, and
    // English with a Polish or a Welsh interpreter; B booked on the Polish one
    let app = spawn_app().await;
    let polish = json!({"interpreterLanguage": "pl", "workshopMode": "online"});
    eligible(&app, "CAF-PL", "ZW26P904", [polish.clone(), polish]).await;
    let _english = publish(&app, london(&app, 3, 10), json!({})).await;
    let in_polish = publish(&app, london(&app, 4, 10), json!({"language": "pl"})).await;
    let interpreted = publish(&app, london(&app, 5, 10), json!({"interpreters": ["pl"]})).await;
    let _welsh = publish(&app, london(&app, 6, 10), json!({"interpreters": ["cy"]})).await;
    let second_polish = publish(&app, london(&app, 7, 10), json!({"language": "pl-PL"})).await;
    assert_eq!(ids(&offered(&app, "CAF-PL.B", "").await), [in_polish.clone(), interpreted.clone(), second_polish.clone()]);
    assert_eq!(app.book("CAF-PL.B", &in_polish).await.status, 201);

    // When A looks
    let view = offered(&app, "CAF-PL.A", "").await;

    // Then Polish or Polish-interpreted workshops only, and never B's
    assert_eq!(ids(&view), [interpreted, second_polish]);
}

#[tokio::test]
async fn one_view_reads_at_most_twice_the_choices_it_shows() {
    // Given 30 workshops, one in five in person (Alex wants online only)
    let app = spawn_app().await;
    eligible(&app, "CAF-READ", "ZW26P905", [json!({}), json!({})]).await;
    for d in 0..30 {
        let mode = if d % 5 == 4 { "in_person" } else { "online" };
        publish(&app, london(&app, 1 + d / 3, 9 + 3 * (d % 3) as i8), json!({"mode": mode})).await;
    }

    // When the booking page is viewed through the real store
    let deps = app.stack.deps();
    let token = app.link("CAF-READ.A", Purpose::Booking);
    let view = pt4c_app::booking::offer(&deps.app, &token, &OfferQuery::default()).await.expect("a view");

    // Then a full screen, reading at most twice what it shows
    assert_eq!(view.workshops.len(), CHOICES_PER_SCREEN);
    assert!(view.items_read <= 2 * view.workshops.len(), "read {} for {}", view.items_read, view.workshops.len());
    assert!(view.next.is_some());
}
