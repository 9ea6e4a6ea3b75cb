//! The staff console: who may see and do what (every route × every role), sessions and CSRF, the
//! audit trail, and the actions staff take for parents, through the same use cases as the API.

use pt4c_domain::ports::StaffStore;
use pt4c_domain::staff::{AuditOutcome, StaffRole};
use pt4c_tests::console::{Browser, SIGN_IN};
use pt4c_tests::course::{NewWorkshop, TRAINER};
use pt4c_tests::{referral, spawn_app, TestApp};
use serde_json::json;

const ADVISER: &str = "sam.adviser@cafcass.example";

/// A form posted: (route, fields, the trainer's answer, the adviser's answer).
type Attempt<'a> = (String, Vec<(&'a str, &'a str)>, u16, u16);

/// Two referrals, two workshops: parent `R1.A` is booked on the trainer's workshop and advised
/// by the adviser; `R2.A` is on another trainer's workshop, under another adviser.
struct Course {
    mine: String,
    theirs: String,
    parent: String,
    other_parent: String,
}

async fn given_a_course(app: &TestApp, tag: &str) -> Course {
    let (r1, r2) = (format!("{tag}-1"), format!("{tag}-2"));
    assert_eq!(app.post_referral(&referral(&r1)).await.status, 201);
    let mut other = referral(&r2);
    other["caseNumber"] = json!("ZW26P00999");
    other["familyCourtAdviser"] = json!({"name": "Other Adviser", "email": "other.adviser@cafcass.example"});
    assert_eq!(app.post_referral(&other).await.status, 201);
    let mine = app.publish_workshop(NewWorkshop::online()).await;
    let theirs = app
        .post_json(
            "/workshops",
            json!({"startsAt": (app.now() + jiff::SignedDuration::from_hours(24 * 12)).to_string(), "mode": "online",
                   "location": "https://meet.pt4c.example/w/2", "trainer": {"name": "Toby Other", "email": "toby.other@pt4c.example"}}),
        )
        .await
        .json::<serde_json::Value>()["workshopId"]
        .as_str()
        .expect("a workshop id")
        .to_owned();
    let (parent, other_parent) = (format!("{r1}.A"), format!("{r2}.A"));
    for (p, w) in [(&parent, &mine), (&other_parent, &theirs)] {
        app.finish_elearning(p).await;
        app.booked(p, w).await;
    }
    Course { mine, theirs, parent, other_parent }
}

#[tokio::test]
async fn every_console_route_answers_each_role_as_the_role_matrix_says() {
    let app = spawn_app().await;
    let c = given_a_course(&app, "CONSOLE-MATRIX").await;
    let mut coordinator = app.staff("cora.coordinator@pt4c.example", StaffRole::Coordinator).await;
    let mut trainer = app.staff(TRAINER, StaffRole::Trainer).await;
    let mut adviser = app.staff(ADVISER, StaffRole::Cafcass).await;
    let mut signed_out = Browser::new(&app);

    // (route, coordinator, trainer, adviser): the status each role gets; signed out, 303 to sign in.
    let matrix: Vec<(String, u16, u16, u16)> = vec![
        ("/console/".into(), 200, 200, 200),
        ("/console/workshops".into(), 200, 200, 403),
        ("/console/workshops/new".into(), 200, 403, 403),
        (format!("/console/workshops/{}", c.mine), 200, 200, 403),
        (format!("/console/workshops/{}", c.theirs), 200, 403, 403),
        (format!("/console/workshops/{}/edit", c.mine), 200, 403, 403),
        ("/console/parents".into(), 200, 200, 200),
        ("/console/parents?q=CONSOLE-MATRIX-1".into(), 200, 200, 200),
        (format!("/console/parents/{}", c.parent), 200, 200, 200),
        (format!("/console/parents/{}", c.other_parent), 200, 403, 403),
        ("/console/follow-ups".into(), 200, 200, 403),
        ("/console/follow-ups?status=overdue".into(), 200, 200, 403),
        ("/console/concerns".into(), 200, 200, 200),
        ("/console/audit".into(), 200, 403, 403),
        ("/console/staff".into(), 200, 403, 403),
    ];
    for (route, want_c, want_t, want_a) in &matrix {
        assert_eq!(coordinator.get(route).await.status, *want_c, "coordinator {route}");
        assert_eq!(trainer.get(route).await.status, *want_t, "trainer {route}");
        assert_eq!(adviser.get(route).await.status, *want_a, "adviser {route}");
        assert!(signed_out.get(route).await.redirects_to(SIGN_IN), "signed out {route}");
    }

    // Actions: (route, fields, trainer, adviser). Coordinators may do them all (checked by the flows below).
    let w = c.mine.clone();
    let actions: Vec<Attempt> = vec![
        ("/console/workshops".into(), vec![("startsAt", "2030-01-01T10:00")], 403, 403),
        (format!("/console/workshops/{w}/edit"), vec![("capacity", "5")], 403, 403),
        (format!("/console/workshops/{w}/cancel"), vec![("reason", "Trainer ill")], 403, 403),
        (format!("/console/workshops/{}/attendance", c.theirs), vec![("parentId", &c.other_parent), ("attended", "yes")], 403, 403),
        (format!("/console/parents/{}/booking", c.parent), vec![("workshopId", &c.theirs)], 403, 403),
        (format!("/console/parents/{}/booking/cancel", c.parent), vec![], 403, 403),
        (format!("/console/parents/{}/new-link", c.parent), vec![], 403, 403),
        (format!("/console/parents/{}/email", c.parent), vec![("email", "someone.else@example.com")], 403, 403),
        (format!("/console/parents/{}/tasks/{}@1/done", c.parent, c.mine), vec![], 403, 403),
        (format!("/console/parents/{}/concerns", c.other_parent), vec![("summary", "x")], 403, 403),
        (format!("/console/parents/{}/concerns", c.parent), vec![("summary", "")], 422, 403),
        ("/console/staff".into(), vec![("name", "New"), ("email", "n@pt4c.example"), ("role", "coordinator")], 403, 403),
        ("/console/staff/enabled".into(), vec![("email", TRAINER), ("enabled", "false")], 403, 403),
    ];
    for (route, fields, want_t, want_a) in &actions {
        trainer.get("/console/").await;
        assert_eq!(trainer.post(route, fields).await.status, *want_t, "trainer POST {route}");
        adviser.get("/console/").await;
        assert_eq!(adviser.post(route, fields).await.status, *want_a, "adviser POST {route}");
        assert!(signed_out.post(route, fields).await.redirects_to(SIGN_IN), "signed out POST {route}");
    }

    // Nothing the refused actions asked for happened.
    let mine = app.workshop(&c.mine).await;
    assert_eq!((mine.capacity, mine.seats_left), (6, 5));
    assert_eq!(app.workshop(&c.theirs).await.roster()[0].attended, None);
    // Every refusal is in the audit trail.
    let today = app.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let trail = app.stack.shared.deps.store.audit_trail(today).await.expect("the audit trail");
    let forbidden = trail.iter().filter(|e| e.outcome == AuditOutcome::Forbidden).count();
    assert!(forbidden >= 2 * actions.len(), "forbidden attempts audited: {forbidden}");
}

#[tokio::test]
async fn a_form_without_its_csrf_token_or_with_another_sessions_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let mut first = app.staff("first.coordinator@pt4c.example", StaffRole::Coordinator).await;
    let mut second = app.staff("second.coordinator@pt4c.example", StaffRole::Coordinator).await;
    first.get("/console/workshops/new").await;
    second.get("/console/workshops/new").await;
    let starts = jiff::civil::date(2027, 3, 4).at(10, 0, 0, 0).to_string();
    let fields = [
        ("startsAt", &starts[..16]),
        ("durationMinutes", "150"),
        ("mode", "online"),
        ("location", "https://meet.pt4c.example/x"),
        ("capacity", "6"),
        ("language", "en"),
        ("trainerName", "Tess Trainer"),
        ("trainerEmail", TRAINER),
    ];

    let without = first.post_exactly("/console/workshops", &fields).await;
    let theirs = second.csrf.clone().expect("a token");
    let mut with_theirs = vec![("csrf", theirs.as_str())];
    with_theirs.extend_from_slice(&fields);
    let crossed = first.post_exactly("/console/workshops", &with_theirs).await;

    assert_eq!((without.status, crossed.status), (403, 403));
    let from = jiff::Timestamp::from_second(0).unwrap();
    let to = "2031-01-01T00:00:00Z".parse().unwrap();
    assert!(pt4c_app_list(&app, from, to).await.is_empty(), "no workshop was published");
    // With its own token the same form publishes.
    let published = first.post("/console/workshops", &fields).await;
    assert_eq!(published.status, 303, "{}", published.body);
    assert_eq!(pt4c_app_list(&app, from, to).await.len(), 1);
}

async fn pt4c_app_list(app: &TestApp, from: jiff::Timestamp, to: jiff::Timestamp) -> Vec<pt4c_domain::workshop::Workshop> {
    pt4c_domain::ports::WorkshopStore::workshops(&app.stack.shared.deps.store, from, to).await.expect("workshops")
}

#[tokio::test]
async fn a_tampered_expired_or_signed_out_session_leads_back_to_sign_in() {
    let app = spawn_app().await;
    let mut b = app.staff("cora.coordinator@pt4c.example", StaffRole::Coordinator).await;
    let cookie = b.cookies.get("pt4c-console").cloned().expect("a session cookie");

    // Tampered: one character changed.
    let mut tampered = Browser::new(&app);
    let last = if cookie.ends_with('A') { "B" } else { "A" };
    tampered.cookies.insert("pt4c-console".into(), format!("{}{last}", &cookie[..cookie.len() - 1]));
    assert!(tampered.get("/console/").await.redirects_to(SIGN_IN));

    // Idle for 30 minutes: gone.
    app.stack.shared.clock.set(Some(app.now() + jiff::SignedDuration::from_mins(31)));
    assert!(b.get("/console/").await.redirects_to(SIGN_IN));

    // Signed out: the same cookie no longer opens anything.
    let mut c = app.staff("other.coordinator@pt4c.example", StaffRole::Coordinator).await;
    let kept = c.cookies.clone();
    c.get("/console/").await;
    assert_eq!(c.post("/console/sign-out", &[]).await.status, 303);
    let mut replay = Browser::new(&app);
    replay.cookies = kept;
    assert!(replay.get("/console/").await.redirects_to(SIGN_IN));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_account_get_the_same_answer() {
    let app = spawn_app().await;
    app.staff_account("known@pt4c.example", "Known", StaffRole::Trainer).await;
    let wrong = Browser::new(&app).sign_in_answer("known@pt4c.example", "Not-the-password-1!").await;
    let unknown = Browser::new(&app).sign_in_answer("nobody@pt4c.example", "Not-the-password-1!").await;
    assert_eq!((wrong.status, unknown.status), (401, 401));
    let message = |p: &pt4c_tests::console::Page| p.body.contains("Enter a correct email address and password");
    assert!(message(&wrong) && message(&unknown));
    assert!(!wrong.body.contains("known@pt4c.example"), "the address typed is not echoed back");
}

#[tokio::test]
async fn a_coordinator_books_a_parent_by_phone_then_moves_them_and_both_are_audited() {
    let app = spawn_app().await;
    let referral_id = "CONSOLE-PHONE";
    assert_eq!(app.post_referral(&referral(referral_id)).await.status, 201);
    let parent = format!("{referral_id}.A");
    app.finish_elearning(&parent).await;
    let first = app.publish_workshop(NewWorkshop::online().in_days(9)).await;
    let second = app.publish_workshop(NewWorkshop::online().in_days(11)).await;
    let mut b = app.staff("cora.coordinator@pt4c.example", StaffRole::Coordinator).await;

    b.get(&format!("/console/parents/{parent}")).await;
    let booked = b.post(&format!("/console/parents/{parent}/booking"), &[("workshopId", &first)]).await;
    assert!(booked.redirects_to(&format!("/console/parents/{parent}?done=booking.book")), "{}", booked.body);
    assert!(b.get(booked.location.as_deref().unwrap()).await.body.contains("Booked."));
    let moved = b.post(&format!("/console/parents/{parent}/booking"), &[("workshopId", &second)]).await;
    assert!(moved.redirects_to(&format!("/console/parents/{parent}?done=booking.move")), "{}", moved.body);
    assert!(b.get(moved.location.as_deref().unwrap()).await.body.contains("Booking moved."));

    assert_eq!(app.workshop(&first).await.seats_left, 6);
    assert_eq!(app.workshop(&second).await.seats_left, 5);
    let history = app.stack.shared.deps.store.parent_history(&pt4c_domain::ParentId::parse(&parent).unwrap()).await.unwrap();
    let actions: Vec<&str> = history.audit.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"booking.book") && actions.contains(&"booking.move") && actions.contains(&"parent.view"), "{actions:?}");
    assert!(history.audit.iter().all(|e| !e.actor.contains('@')), "the trail names accounts by id, not address");
}

#[tokio::test]
async fn a_concern_raised_in_the_console_is_raised_by_the_signed_in_trainer_whatever_the_form_says() {
    let app = spawn_app().await;
    let c = given_a_course(&app, "CONSOLE-CONCERN").await;
    let password = app.staff_account(TRAINER, "Tess Trainer", StaffRole::Trainer).await;
    let mut b = Browser::new(&app);
    b.sign_in(TRAINER, &password).await;
    b.get(&format!("/console/parents/{}", c.parent)).await;
    let raised = b
        .post(
            &format!("/console/parents/{}/concerns", c.parent),
            &[("summary", "Said they felt unsafe at home."), ("raisedBy", "Someone Else")],
        )
        .await;
    assert_eq!(raised.status, 303, "{}", raised.body);
    let history = app.stack.shared.deps.store.parent_history(&pt4c_domain::ParentId::parse(&c.parent).unwrap()).await.unwrap();
    assert_eq!(history.concerns.len(), 1);
    assert_eq!(history.concerns[0].raised_by, "Tess Trainer");
    assert!(app.eventually(|| async { !app.mail_to(ADVISER).await.is_empty() }).await, "the adviser is emailed");

    // Listed for the trainer and the case's adviser; not for another adviser.
    assert!(b.get("/console/concerns").await.body.contains("Said they felt unsafe at home."));
    let mut adviser = app.staff(ADVISER, StaffRole::Cafcass).await;
    assert!(adviser.get("/console/concerns").await.body.contains("Said they felt unsafe at home."));
    let mut other = app.staff("other.adviser@cafcass.example", StaffRole::Cafcass).await;
    let theirs = other.get("/console/concerns").await;
    assert_eq!(theirs.status, 200);
    assert!(!theirs.body.contains("Said they felt unsafe at home."), "another adviser's case is not listed");
}

#[tokio::test]
async fn the_dashboard_shows_coordinators_who_is_waiting_to_book_and_whose_link_was_never_used() {
    let app = spawn_app().await;
    assert_eq!(app.post_referral(&referral("CONSOLE-DASH")).await.status, 201);
    app.finish_elearning("CONSOLE-DASH.A").await;
    app.stack.shared.clock.set(Some(app.now() + jiff::SignedDuration::from_hours(73)));
    let mut coordinator = app.staff("cora.coordinator@pt4c.example", StaffRole::Coordinator).await;
    let mut trainer = app.staff(TRAINER, StaffRole::Trainer).await;

    let page = coordinator.get("/console/").await.body;
    let section = |heading: &str| page.split(heading).nth(1).and_then(|rest| rest.split("</ul>").next()).unwrap_or_default().to_owned();
    assert!(section("Waiting to book a workshop").contains("Alex Hartley"), "{page}");
    assert!(section("Parent Hub link never used").contains("Morgan Quill"), "{page}");
    assert!(section("Waiting to book a workshop").contains("complete by 29 January 2027"));
    assert!(!trainer.get("/console/").await.body.contains("Alex Hartley"), "trainers see their rosters, not the course");
}

#[tokio::test]
async fn a_disabled_account_is_signed_out_within_a_minute_and_cannot_sign_in_again() {
    let app = spawn_app().await;
    let mut coordinator = app.staff("cora.coordinator@pt4c.example", StaffRole::Coordinator).await;
    let password = app.staff_account(TRAINER, "Tess Trainer", StaffRole::Trainer).await;
    let mut trainer = Browser::new(&app);
    trainer.sign_in(TRAINER, &password).await;

    coordinator.get("/console/staff").await;
    let disabled = coordinator.post("/console/staff/enabled", &[("email", TRAINER), ("enabled", "false")]).await;
    assert!(disabled.redirects_to("/console/staff"), "{}", disabled.body);

    app.stack.shared.clock.set(Some(app.now() + jiff::SignedDuration::from_secs(61)));
    assert!(trainer.get("/console/").await.redirects_to(SIGN_IN), "the open session ended");
    assert_eq!(Browser::new(&app).sign_in_answer(TRAINER, &password).await.status, 401);
}

/// The parent ids a search page lists (its links to parents' pages).
fn listed(page: &str) -> Vec<String> {
    page.split("href=\"/console/parents/").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_owned).collect()
}

/// The lookup items stored under a partition key (`CASENO#...`, `PNAME#...`), as (attribute names) each.
async fn lookups(app: &TestApp, pk: &str) -> Vec<Vec<String>> {
    let out = aws_sdk_dynamodb::Client::new(&app.stack.shared.sdk)
        .query()
        .table_name(&app.stack.shared.created.table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(pk.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("query");
    let names = |item: &std::collections::HashMap<String, _>| {
        let mut n: Vec<String> = item.keys().cloned().collect();
        n.sort();
        n
    };
    out.items().iter().map(names).collect()
}

#[tokio::test]
async fn staff_find_a_cases_parents_by_its_number_as_typed_only_those_they_may_open_and_nothing_once_erased() {
    // Given two referrals of case ZW26P00123 under different advisers (Alex Hartley's is on the
    // trainer's workshop), and a third of another case under the other adviser
    let app = spawn_app().await;
    assert_eq!(app.post_referral(&referral("CONSOLE-CASE-1")).await.status, 201);
    let other_adviser = json!({"name": "Other Adviser", "email": "other.adviser@cafcass.example"});
    let mut second = referral("CONSOLE-CASE-2");
    second["familyCourtAdviser"] = other_adviser.clone();
    second["parents"][0]["email"] = json!("robin@example.com");
    second["parents"][1]["email"] = json!("kit@example.com");
    assert_eq!(app.post_referral(&second).await.status, 201);
    let mut third = referral("CONSOLE-CASE-3");
    third["caseNumber"] = json!("ZW26P00999");
    third["familyCourtAdviser"] = other_adviser;
    assert_eq!(app.post_referral(&third).await.status, 201);
    app.finish_elearning("CONSOLE-CASE-1.A").await;
    let w = app.publish_workshop(NewWorkshop::online()).await;
    app.booked("CONSOLE-CASE-1.A", &w).await;
    let mut coordinator = app.staff("cora.coordinator@pt4c.example", StaffRole::Coordinator).await;
    let mut adviser = app.staff(ADVISER, StaffRole::Cafcass).await;
    let mut trainer = app.staff(TRAINER, StaffRole::Trainer).await;

    // When each searches by the case number, in lower case with spaces
    let by_case = "/console/parents?q=zw26p%2000123";
    let (all, advised, rostered) = (coordinator.get(by_case).await, adviser.get(by_case).await, trainer.get(by_case).await);

    // Then the coordinator finds every parent of the case, the adviser those of their referral,
    // the trainer only the parent on their roster
    assert_eq!(listed(&all.body), ["CONSOLE-CASE-1.A", "CONSOLE-CASE-1.B", "CONSOLE-CASE-2.A", "CONSOLE-CASE-2.B"], "{}", all.body);
    assert!(all.body.contains("Alex Hartley") && all.body.contains("Morgan Quill"));
    assert_eq!(listed(&advised.body), ["CONSOLE-CASE-1.A", "CONSOLE-CASE-1.B"]);
    assert_eq!(listed(&rostered.body), ["CONSOLE-CASE-1.A"]);
    // and the adviser finds nothing of a case they do not advise on.
    let theirs = adviser.get("/console/parents?q=ZW26P00999").await;
    assert!(listed(&theirs.body).is_empty() && theirs.body.contains("No parents found"), "{}", theirs.body);
    assert_eq!(lookups(&app, "CASENO#ZW26P00123").await, vec![vec!["pk", "referralId", "sk"]; 2], "the referral id only");

    // When both referrals of the case are withdrawn and erased at the end of retention
    for id in ["CONSOLE-CASE-1", "CONSOLE-CASE-2"] {
        assert_eq!(app.withdraw(id, &json!({"reason": "Case closed by the court"})).await.status, 200);
    }
    let later = app.now() + jiff::SignedDuration::from_hours(366 * 24);
    assert_eq!(app.sweep(later).await.referrals_erased, 2);
    app.stack.shared.clock.set(Some(later));
    let mut coordinator = app.staff("cleo.coordinator@pt4c.example", StaffRole::Coordinator).await;

    // Then the case number finds nothing and no lookup names it; the other case is still found
    let after = coordinator.get(by_case).await;
    assert!(listed(&after.body).is_empty() && after.body.contains("No parents found"), "{}", after.body);
    assert!(lookups(&app, "CASENO#ZW26P00123").await.is_empty(), "no CASENO# item outlives the erasure");
    assert_eq!(listed(&coordinator.get("/console/parents?q=ZW26P00999").await.body), ["CONSOLE-CASE-3.A", "CONSOLE-CASE-3.B"]);
}

#[tokio::test]
async fn staff_find_a_parent_by_name_as_typed_only_if_they_may_open_them_and_nothing_once_erased() {
    // Given Alex Hartley's referral, and a trainer with no workshop
    let app = spawn_app().await;
    assert_eq!(app.post_referral(&referral("CONSOLE-NAME-1")).await.status, 201);
    let mut coordinator = app.staff("cora.coordinator@pt4c.example", StaffRole::Coordinator).await;
    let mut trainer = app.staff(TRAINER, StaffRole::Trainer).await;

    // When the coordinator searches by the surname, by the name typed loosely and by another first
    // name, and the trainer by the surname
    let (by_surname, by_name) = ("/console/parents?q=hartley", "/console/parents?q=alex%20%20HARTLEY");
    let surname = coordinator.get(by_surname).await;
    let name = coordinator.get(by_name).await;
    let other_first = coordinator.get("/console/parents?q=Morgan+Hartley").await;
    let rostered = trainer.get(by_surname).await;

    // Then the coordinator finds Alex Hartley both ways and only them; the trainer finds nobody;
    // the lookup holds the parent id only
    assert_eq!(listed(&surname.body), ["CONSOLE-NAME-1.A"], "{}", surname.body);
    assert!(surname.body.contains("Alex Hartley"));
    assert_eq!(listed(&name.body), ["CONSOLE-NAME-1.A"], "{}", name.body);
    assert!(listed(&other_first.body).is_empty(), "{}", other_first.body);
    assert!(listed(&rostered.body).is_empty() && rostered.body.contains("No parents found"), "{}", rostered.body);
    assert_eq!(lookups(&app, "PNAME#hartley").await, vec![vec!["parentId", "pk", "sk"]], "the parent id only");

    // When the referral is withdrawn and erased at the end of retention
    assert_eq!(app.withdraw("CONSOLE-NAME-1", &json!({"reason": "Case closed by the court"})).await.status, 200);
    let later = app.now() + jiff::SignedDuration::from_hours(366 * 24);
    assert_eq!(app.sweep(later).await.referrals_erased, 1);
    app.stack.shared.clock.set(Some(later));
    let mut coordinator = app.staff("cleo.coordinator@pt4c.example", StaffRole::Coordinator).await;

    // Then the name finds nothing and no name lookup is left
    let after = coordinator.get(by_name).await;
    assert!(listed(&after.body).is_empty() && after.body.contains("No parents found"), "{}", after.body);
    for pk in ["PNAME#hartley", "PNAME#quill"] {
        assert!(lookups(&app, pk).await.is_empty(), "no {pk} item outlives the erasure");
    }
}

#[tokio::test]
async fn the_workshop_list_filters_by_mode_and_places_left_and_sorts_by_trainer_without_script() {
    let app = spawn_app().await;
    let online = app.publish_workshop(NewWorkshop::online().in_days(1)).await;
    let in_person = app.publish_workshop(NewWorkshop::in_person().in_days(1)).await;
    let full = app.publish_workshop(NewWorkshop::online().capacity(1).in_days(1)).await;
    assert_eq!(app.post_referral(&referral("CONSOLE-FILTER")).await.status, 201);
    app.finish_elearning("CONSOLE-FILTER.A").await;
    app.booked("CONSOLE-FILTER.A", &full).await;
    let mut b = app.staff("cora.coordinator@pt4c.example", StaffRole::Coordinator).await;
    let week = app.now().to_zoned(pt4c_domain::london()).date() + jiff::ToSpan::days(1);

    let listed = |body: &str| [&online, &in_person, &full].map(|id| body.contains(id.as_str()));
    let everything = b.get(&format!("/console/workshops?week={week}")).await.body;
    assert_eq!(listed(&everything), [true, true, true]);
    let in_person_only = b.get(&format!("/console/workshops?week={week}&mode=in_person")).await.body;
    assert_eq!(listed(&in_person_only), [false, true, false]);
    let with_places = b.get(&format!("/console/workshops?week={week}&free=yes")).await.body;
    assert_eq!(listed(&with_places), [true, true, false]);
    let by_places = b.get(&format!("/console/workshops?week={week}&sort=seats")).await.body;
    assert!(by_places.contains(r#"aria-sort="descending""#));
    assert!(by_places.find(full.as_str()) > by_places.find(online.as_str()), "the full workshop sorts last by places left");
}

#[tokio::test]
async fn a_workshop_published_when_the_audit_trail_cannot_be_written_is_answered_as_published_not_as_nothing_changed() {
    let app = spawn_app().await;
    let mut b = app.staff("cora.coordinator@pt4c.example", StaffRole::Coordinator).await;
    b.get("/console/workshops/new").await;
    app.dynamo_refuses_once("TransactWriteItems", &["AUDIT#", "workshop.publish"]).await;
    let fields = [
        ("startsAt", "2027-03-04T10:00"),
        ("durationMinutes", "150"),
        ("mode", "online"),
        ("location", "https://meet.pt4c.example/x"),
        ("capacity", "6"),
        ("language", "en"),
        ("trainerName", "Tess Trainer"),
        ("trainerEmail", TRAINER),
    ];

    let published = b.post("/console/workshops", &fields).await;

    // The workshop is published: the answer says so (a 503 "nothing changed" would have it published twice).
    assert_eq!(published.status, 303, "{}", published.body);
    let from = jiff::Timestamp::from_second(0).unwrap();
    assert_eq!(pt4c_app_list(&app, from, "2031-01-01T00:00:00Z".parse().unwrap()).await.len(), 1);
}
