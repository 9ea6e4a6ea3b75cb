//! Interpreters and adjustments arranged: a booked parent's needs become a coordinator's task,
//! kept in step with their booking however the booking events arrive; flagged 72 hours before.

use pt4c_app::arrangements::{self, Reconciled};
use pt4c_domain::arrangements::{Marking, TaskStatus};
use pt4c_domain::notice::{Email, NoticeKind};
use pt4c_domain::ParentId;
use pt4c_memory::MemoryMailer;

use crate::harness::*;

/// The sample referral, parent A needing a Polish interpreter and B step-free access.
async fn given_parents_with_needs(t: &TestApp) -> (ParentId, ParentId) {
    let mut json = referral_json();
    json["parents"][0]["interpreterLanguage"] = "pl".into();
    json["parents"][1]["adjustments"] = "Step-free access".into();
    t.given_referral(json).await
}

fn email(task: &pt4c_domain::arrangements::Task) -> Result<Email, String> {
    Ok(Email {
        to: vec!["coordinators@pt4c.test".into()],
        subject: format!("Still to arrange for {}", task.task_id),
        text: String::new(),
        html: String::new(),
        attachments: vec![],
    })
}

#[tokio::test]
async fn given_a_parent_needing_an_interpreter_when_booked_then_one_task_opens_however_often_the_event_comes() {
    let t = app().await;
    let (a, _) = given_parents_with_needs(&t).await;
    let w = t.given_a_workshop(days(10), 6).await;
    let booking = t.given_booked(&a, &w).await;

    // When the booking's event is delivered, and delivered again
    let first = arrangements::reconcile(&t, &a).await.expect("reconciled");
    let again = arrangements::reconcile(&t, &a).await.expect("reconciled");

    // Then one open task for that booking, opened once
    assert_eq!((first.opened, again.opened), (1, 0));
    let tasks = t.tasks(&a).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        (tasks[0].status, tasks[0].workshop_id.clone(), tasks[0].booked_at),
        (TaskStatus::Open, w.workshop_id.clone(), booking.booked_at)
    );
    assert_eq!(tasks[0].what(), "an interpreter for pl");
    // And no event carries the task (nor the parent's needs)
    assert!(t.events().iter().all(|e| !format!("{e:?}").contains("Step-free") && !format!("{e:?}").contains("TASK")));
}

#[tokio::test]
async fn given_a_parent_needing_nothing_when_booked_then_no_task() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let w = t.given_a_workshop(days(10), 6).await;
    t.given_booked(&a, &w).await;
    assert_eq!(arrangements::reconcile(&t, &a).await.expect("reconciled"), Reconciled::default());
    assert!(t.tasks(&a).await.is_empty());
}

#[tokio::test]
async fn given_a_task_when_the_booking_is_moved_then_it_closes_and_the_new_workshop_gets_its_own() {
    let t = app().await;
    let (_, b) = given_parents_with_needs(&t).await;
    let (from, to) = (t.given_a_workshop(days(10), 6).await, t.given_a_workshop(days(12), 6).await);
    t.given_booked(&b, &from).await;
    arrangements::reconcile(&t, &b).await.expect("reconciled");
    t.advance(hours(1));

    pt4c_app::booking::move_booking(&t, &t.parent(&b).await, &to.workshop_id).await.expect("moved");
    let done = arrangements::reconcile(&t, &b).await.expect("reconciled");

    assert_eq!((done.opened, done.closed), (1, 1));
    let tasks = t.tasks(&b).await;
    let status_of = |w: &pt4c_domain::WorkshopId| tasks.iter().find(|t| &t.workshop_id == w).map(|t| t.status);
    assert_eq!((status_of(&from.workshop_id), status_of(&to.workshop_id)), (Some(TaskStatus::Closed), Some(TaskStatus::Open)));
}

#[tokio::test]
async fn given_a_booking_cancelled_before_its_event_is_delivered_then_no_task_is_ever_open() {
    let t = app().await;
    let (a, _) = given_parents_with_needs(&t).await;
    let w = t.given_a_workshop(days(10), 6).await;
    t.given_booked(&a, &w).await;
    let booked = t.parent(&a).await;
    pt4c_app::booking::cancel_for(&t, &booked).await.expect("cancelled");

    // When the booking's event comes late (after the cancellation), and a delivery that had read
    // the parent while booked tries to open the task anyway
    assert_eq!(arrangements::reconcile(&t, &a).await.expect("reconciled").opened, 0);
    let stale = pt4c_domain::arrangements::Task::for_current_booking(&booked, t.now()).expect("a task");
    let opened = pt4c_domain::ports::ArrangementStore::open_task(&t.store, &stale).await.expect("store answers");

    // Then the store refuses it: the parent no longer holds that booking
    assert!(!opened);
    assert!(t.tasks(&a).await.is_empty());
}

#[tokio::test]
async fn given_an_open_task_when_a_coordinator_marks_it_done_then_it_leaves_the_open_list_once() {
    let t = app().await;
    let (a, _) = given_parents_with_needs(&t).await;
    let w = t.given_a_workshop(days(10), 6).await;
    t.given_booked(&a, &w).await;
    arrangements::reconcile(&t, &a).await.expect("reconciled");
    let task = t.tasks(&a).await.remove(0);
    assert_eq!(arrangements::open(&t, 100).await.expect("listed").len(), 1);

    let first = arrangements::mark_done(&t, &a, &task.task_id, "sub-coordinator").await.expect("marked");
    let second = arrangements::mark_done(&t, &a, &task.task_id, "sub-coordinator").await.expect("marked");

    assert!(matches!(first, Marking::Done(ref d) if d.done_by.as_deref() == Some("sub-coordinator")));
    assert!(matches!(second, Marking::AlreadyDone(_)));
    assert!(arrangements::open(&t, 100).await.expect("listed").is_empty());
    assert_eq!(arrangements::mark_done(&t, &a, "no-such-task", "sub").await.expect("answered"), Marking::NotFound);
    // A done task stays done when its booking is later cancelled.
    pt4c_app::booking::cancel_for(&t, &t.parent(&a).await).await.expect("cancelled");
    arrangements::reconcile(&t, &a).await.expect("reconciled");
    assert_eq!(t.tasks(&a).await[0].status, TaskStatus::Done);
}

#[tokio::test]
async fn given_a_task_still_open_72_hours_before_then_the_sweep_emails_the_coordinators_once() {
    let t = app().await;
    let mailer = MemoryMailer::new();
    let (a, b) = given_parents_with_needs(&t).await;
    let (soon, later) = (t.given_a_workshop(days(5), 6).await, t.given_a_workshop(days(20), 6).await);
    t.given_booked(&a, &soon).await;
    t.given_booked(&b, &later).await;
    arrangements::reconcile(&t, &a).await.expect("reconciled");
    arrangements::reconcile(&t, &b).await.expect("reconciled");

    // A second before 72 hours: nothing flagged
    let early =
        arrangements::flag(&t, &mailer, soon.starts_at - hours(72) - jiff::SignedDuration::from_secs(1), email).await.expect("flagged");
    assert_eq!(early.flagged, 0);
    // At 72 hours, and at every later sweep: one email, for A's task only
    let at72 = arrangements::flag(&t, &mailer, soon.starts_at - hours(72), email).await.expect("flagged");
    let later_run = arrangements::flag(&t, &mailer, soon.starts_at - hours(24), email).await.expect("flagged");
    assert_eq!((at72.flagged, at72.emailed), (1, 1));
    assert_eq!((later_run.flagged, later_run.emailed, later_run.already_emailed), (1, 0, 1));
    assert_eq!(mailer.sent_to("coordinators@pt4c.test").len(), 1);
    assert_eq!(t.coordinator_notices_sent(NoticeKind::ArrangementDue).await.len(), 1);
}

#[tokio::test]
async fn given_an_open_task_when_its_workshop_moves_to_another_time_then_the_task_follows_the_new_start() {
    let t = app().await;
    let (a, _) = given_parents_with_needs(&t).await;
    let w = t.given_a_workshop(days(10), 6).await;
    t.given_booked(&a, &w).await;
    arrangements::reconcile(&t, &a).await.expect("reconciled");

    // When a coordinator moves the workshop two days earlier and the edit's event is delivered
    let edit = pt4c_domain::workshop::WorkshopEdit { starts_at: Some(t.now() + days(8)), ..Default::default() };
    pt4c_app::workshops::edit(&t, &w.workshop_id, &edit).await.expect("edited");
    let done = arrangements::reconcile(&t, &a).await.expect("reconciled");

    // Then the same task, open, at the new start (so it is flagged 72 hours before that)
    assert_eq!((done.opened, done.closed, done.retimed), (0, 0, 1));
    let tasks = t.tasks(&a).await;
    assert_eq!((tasks.len(), tasks[0].status, tasks[0].starts_at), (1, TaskStatus::Open, t.now() + days(8)));
}

#[tokio::test]
async fn given_a_task_and_its_email_when_the_referral_is_erased_then_both_go_with_it() {
    let t = app().await;
    let mailer = MemoryMailer::new();
    let (a, _) = given_parents_with_needs(&t).await;
    let w = t.given_a_workshop(days(2), 6).await;
    t.given_booked(&a, &w).await;
    arrangements::reconcile(&t, &a).await.expect("reconciled");
    arrangements::flag(&t, &mailer, t.now(), email).await.expect("flagged");
    let before = t.referral_items(&referral_id()).await;

    // When the referral is withdrawn and its retention ends
    pt4c_app::referrals::withdraw(&t, &referral_id(), "case closed").await.expect("withdrawn");
    let summary = pt4c_app::sweep::sweep(&t, t.now() + days(366), None).await.expect("swept");

    // Then the task and the record of its email are erased with the rest of the referral
    assert_eq!(summary.referrals_erased, 1);
    assert!(before >= 5, "referral, parents, the task and its email's record: {before}");
    assert!(t.tasks(&a).await.is_empty());
    assert!(t.coordinator_notices_sent(NoticeKind::ArrangementDue).await.is_empty());
    assert_eq!(t.referral_items(&referral_id()).await, 0);
}
