//! The coordinators' work end to end: a booked parent's interpreter and adjustments become a task
//! on the dashboard and their page, marked done there (audited); a task still open 72 hours before
//! its workshop is flagged and emailed once; the capacity forecast's shortfall emails the
//! coordinators once a day and shows a banner.

use jiff::{SignedDuration, Timestamp};
use pt4c_adapters::config::DEFAULT_COORDINATORS_EMAIL;
use pt4c_domain::ports::{ArrangementStore, StaffStore};
use pt4c_domain::staff::StaffRole;
use pt4c_domain::ParentId;
use pt4c_tests::course::NewWorkshop;
use pt4c_tests::{referral, spawn_app, TestApp};
use serde_json::json;

const COORDINATOR: &str = "cora.coordinator@pt4c.example";

/// A referral whose parent A needs a Polish interpreter and step-free access, A booked on a
/// workshop starting at `starts`; the parent and the workshop.
async fn given_a_booked_parent_with_needs(app: &TestApp, referral_id: &str, starts: Timestamp) -> (String, String) {
    let mut r = referral(referral_id);
    r["parents"][0]["interpreterLanguage"] = json!("pl");
    r["parents"][0]["adjustments"] = json!("Step-free access");
    assert_eq!(app.post_referral(&r).await.status, 201);
    let parent = format!("{referral_id}.A");
    app.finish_elearning(&parent).await;
    let workshop = app.publish_workshop(NewWorkshop::online().at(starts)).await;
    app.booked(&parent, &workshop).await;
    (parent, workshop)
}

async fn open_tasks(app: &TestApp, parent: &str) -> usize {
    let id = ParentId::parse(parent).unwrap();
    app.stack.shared.deps.store.tasks_of(&id).await.unwrap().iter().filter(|t| t.is_open()).count()
}

/// The action of the first "mark as arranged" form on a page.
fn done_form(page: &str) -> String {
    let at = page.find("/tasks/").expect("a task's form");
    let start = page[..at].rfind("action=\"").expect("a form action") + "action=\"".len();
    page[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_booked_parent_needing_an_interpreter_gives_a_task_on_the_dashboard_and_their_page_marked_done_once() {
    // Given a parent needing an interpreter and adjustments, booked on a workshop in 10 days
    let app = spawn_app().await;
    let starts = app.now() + SignedDuration::from_hours(24 * 10);
    let (parent, workshop) = given_a_booked_parent_with_needs(&app, "TASKS-DASH", starts).await;
    // When the booking's event is delivered
    assert!(app.eventually(|| async { open_tasks(&app, &parent).await == 1 }).await, "a task is opened");
    // Then coordinators see the task on the dashboard and on the parent's page
    let mut b = app.staff(COORDINATOR, StaffRole::Coordinator).await;
    let dashboard = b.get("/console/").await.body;
    assert!(dashboard.contains("Interpreters and adjustments to arrange"), "{dashboard}");
    assert!(dashboard.contains("An interpreter for pl and adjustments") && dashboard.contains("Alex Hartley"), "{dashboard}");
    assert!(!dashboard.contains("Starts within 72 hours"), "not yet flagged");
    let page = b.get(&format!("/console/parents/{parent}")).await.body;
    assert!(page.contains("An interpreter for pl and adjustments") && page.contains("Step-free access"), "{page}");
    // And a trainer sees no task on the dashboard
    let mut trainer = app.staff(pt4c_tests::course::TRAINER, StaffRole::Trainer).await;
    assert!(!trainer.get("/console/").await.body.contains("Interpreters and adjustments to arrange"));

    // And the roster says the workshop has no Polish interpreter, until one is recorded on the edit form
    let roster = b.get(&format!("/console/workshops/{workshop}")).await.body;
    assert!(roster.contains("Interpreter for pl: <strong class=\"govuk-tag govuk-tag--red\">not booked"), "{roster}");
    assert!(b.get(&format!("/console/workshops/{workshop}/edit")).await.body.contains("name=\"interpreters\""));
    let edited = b.post(&format!("/console/workshops/{workshop}/edit"), &[("interpreters", "pl, ar")]).await;
    assert!(edited.redirects_to(&format!("/console/workshops/{workshop}")), "{edited:?}");
    let roster = b.get(&format!("/console/workshops/{workshop}")).await.body;
    assert!(
        roster.contains("Interpreter for pl: <strong class=\"govuk-tag govuk-tag--green\">booked") && roster.contains("pl, ar"),
        "{roster}"
    );

    // When a coordinator marks it arranged from the parent's page, twice (a resubmitted form)
    let action = done_form(&page);
    let done = b.post(&action, &[("back", "parent")]).await;
    assert!(done.redirects_to(&format!("/console/parents/{parent}?done=task.done")), "{done:?}");
    let again = b.post(&action, &[("back", "dashboard")]).await;
    assert!(again.redirects_to("/console/?done=task.done"), "{again:?}");
    // Then it is arranged, off the dashboard, and the action is audited
    assert!(b.get(&format!("/console/parents/{parent}")).await.body.contains("Arranged"));
    assert!(!b.get("/console/").await.body.contains("An interpreter for pl and adjustments"));
    assert_eq!(open_tasks(&app, &parent).await, 0);
    let history = app.stack.shared.deps.store.parent_history(&ParentId::parse(&parent).unwrap()).await.unwrap();
    assert!(history.audit.iter().any(|e| e.action == "task.done"), "audited");
    // And a trainer may not mark tasks
    assert_eq!(trainer.post(&action, &[("back", "dashboard")]).await.status, 403);
}

#[tokio::test]
async fn a_task_still_open_72_hours_before_its_workshop_is_flagged_and_emailed_to_the_coordinators_once() {
    // Given a parent with needs booked on a workshop 5 days on, their task open
    let app = spawn_app().await;
    let starts = pt4c_domain::clock::to_the_second(app.now() + SignedDuration::from_hours(24 * 5));
    let (parent, _) = given_a_booked_parent_with_needs(&app, "TASKS-FLAG", starts).await;
    assert!(app.eventually(|| async { open_tasks(&app, &parent).await == 1 }).await);

    // When the sweep runs 73 hours before the start: nothing flagged
    let (status, _, early) = app.invoke_sweep(starts - SignedDuration::from_hours(73)).await;
    assert_eq!((status, early["arrangements"]["flagged"].as_u64()), (200, Some(0)), "{early}");
    // When it runs 71 hours before, and again 47 hours before
    let (_, _, flagged) = app.invoke_sweep(starts - SignedDuration::from_hours(71)).await;
    assert_eq!((flagged["arrangements"]["flagged"].as_u64(), flagged["arrangements"]["emailed"].as_u64()), (Some(1), Some(1)), "{flagged}");
    let mut b = app.staff(COORDINATOR, StaffRole::Coordinator).await;
    assert!(b.get("/console/").await.body.contains("Starts within 72 hours"), "flagged on the dashboard");
    let (_, _, later) = app.invoke_sweep(starts - SignedDuration::from_hours(47)).await;
    assert_eq!(later["arrangements"]["alreadyEmailed"].as_u64(), Some(1), "{later}");
    // Then the coordinators were emailed once, naming the arrangement, never the adjustments
    let mail: Vec<_> =
        app.mail_to(DEFAULT_COORDINATORS_EMAIL).await.into_iter().filter(|m| m.subject.starts_with("Still to arrange")).collect();
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert!(mail[0].text.contains("Alex Hartley") && mail[0].text.contains("an interpreter for pl and adjustments"), "{}", mail[0].text);
    assert!(!mail[0].text.contains("Step-free"), "the adjustments stay in the console");

    // And when the referral is withdrawn and its retention ends, the task and the record of its
    // email are erased with every other item of the referral
    let withdrawn_at = starts - SignedDuration::from_hours(46);
    app.stack.set_clock(Some(withdrawn_at));
    assert_eq!(app.withdraw("TASKS-FLAG", &json!({"reason": "Case closed by the court"})).await.status, 200);
    app.quiet().await;
    assert!(app.items_of_referral("TASKS-FLAG").await > 3, "the referral, its parents, notices, the task and its email's record");
    let (_, _, erased) = app.invoke_sweep(withdrawn_at + SignedDuration::from_hours(24 * 366)).await;
    assert_eq!(erased["referralsErased"].as_u64(), Some(1), "{erased}");
    assert_eq!(app.items_of_referral("TASKS-FLAG").await, 0);
}

#[tokio::test]
async fn a_capacity_shortfall_emails_the_coordinators_once_a_day_and_shows_a_banner() {
    // Given two parents whose court date is 29 January 2027 and no workshop at all
    let app = spawn_app().await;
    assert_eq!(app.post_referral(&referral("FORECAST-1")).await.status, 201);
    // When the sweep runs on 10 January (19 days before), twice that day
    let day: Timestamp = "2027-01-10T08:00:00Z".parse().unwrap();
    let (status, _, first) = app.invoke_sweep(day).await;
    assert_eq!(status, 200, "{first}");
    let (_, _, again) = app.invoke_sweep(day + SignedDuration::from_hours(3)).await;
    // Then it read the two parents (and no workshop), and emailed the coordinators once
    assert_eq!(first["forecast"]["parentsRead"].as_u64(), Some(2), "{first}");
    assert_eq!(first["forecastItemsRead"].as_u64(), Some(2), "{first}");
    assert_eq!((first["forecast"]["emailed"].as_bool(), again["forecast"]["emailed"].as_bool()), (Some(true), Some(false)));
    let shortfalls = || async {
        app.mail_to(DEFAULT_COORDINATORS_EMAIL).await.into_iter().filter(|m| m.subject.starts_with("Workshops to add")).collect::<Vec<_>>()
    };
    let mail = shortfalls().await;
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].text.contains("1 workshop online, in en, starting before Friday 29 January 2027 (2 parents without a seat)"),
        "{}",
        mail[0].text
    );
    // And the dashboard shows the banner
    let mut b = app.staff(COORDINATOR, StaffRole::Coordinator).await;
    let dashboard = b.get("/console/").await.body;
    assert!(dashboard.contains("Capacity forecast") && dashboard.contains("Add 1 workshop online, in en"), "{dashboard}");
    // And the next day's sweep emails again, once
    app.invoke_sweep(day + SignedDuration::from_hours(24)).await;
    assert_eq!(shortfalls().await.len(), 2);
}
