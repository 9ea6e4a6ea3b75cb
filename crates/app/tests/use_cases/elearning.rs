//! The e-learning: the provider reports each module a parent completes, in any order, maybe twice.

use jiff::Timestamp;
use pt4c_app::elearning::{self, Completion, CompletionRefusal, ParentElearning};
use pt4c_domain::events::DomainEvent;
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::ParentId;

use crate::harness::*;

async fn report(t: &TestApp, parent: &ParentId, module: &str, completed_at: Timestamp) -> Result<ParentElearning, CompletionRefusal> {
    let c = Completion { parent_id: parent.clone(), module_id: pt4c_domain::ModuleId::parse(module).expect("a module id"), completed_at };
    elearning::record_completion(t, &c).await
}

#[tokio::test]
async fn given_modules_reported_out_of_order_when_the_last_arrives_then_the_elearning_completes_at_the_latest_modules_time() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    t.advance(days(1));
    let reports = [
        ("childs-point-of-view", start() + hours(5)),
        ("going-to-court", start() + hours(1)),
        ("how-separation-affects-children", start() + hours(3)),
    ];
    for (module, done) in reports {
        let so_far = report(&t, &a, module, done).await.expect("recorded");
        assert_eq!((so_far.status, so_far.elearning.completed_at), (ParentStatus::ElearningStarted, None));
    }

    let last = report(&t, &a, "managing-emotions", start() + hours(2)).await.expect("recorded");

    let latest = start() + hours(5);
    assert_eq!((last.status, last.elearning.completed_at), (ParentStatus::ElearningCompleted, Some(latest)));
    let order: Vec<&str> = last.elearning.modules.iter().map(|m| m.module_id.as_str()).collect();
    assert_eq!(order, ["going-to-court", "managing-emotions", "how-separation-affects-children", "childs-point-of-view"]);
    let completed = t.written("ELearningCompleted");
    let [DomainEvent::ELearningCompleted(e)] = &completed[..] else { panic!("one ELearningCompleted: {completed:?}") };
    assert_eq!(e.completed_at, latest);
    assert_eq!(t.written("ELearningModuleCompleted").len(), 4);
    assert_eq!(t.parent(&a).await.elearning_completed_at, Some(latest));
}

#[tokio::test]
async fn given_a_module_reported_twice_then_its_first_time_is_kept_and_one_event_written() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    t.advance(days(1));

    report(&t, &a, "going-to-court", start() + hours(1)).await.expect("recorded");
    let again = report(&t, &a, "going-to-court", start() + hours(4)).await.expect("a repeat");

    assert_eq!(again.elearning.modules.len(), 1);
    assert_eq!(again.elearning.modules[0].completed_at, start() + hours(1));
    assert_eq!(t.written("ELearningModuleCompleted").len(), 1);
    // A module outside the catalogue is kept but completes nothing.
    for m in ["managing-emotions", "how-separation-affects-children", "bonus-quiz"] {
        report(&t, &a, m, start() + hours(2)).await.expect("recorded");
    }
    assert_eq!(t.parent(&a).await.elearning_completed_at, None);
}

#[tokio::test]
async fn given_a_completion_before_the_invitation_or_for_no_parent_then_it_is_refused_and_nothing_stored() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    let stranger = ParentId::parse("CAF-2025-000001.A").expect("a parent id");

    let early = report(&t, &a, "going-to-court", start() - hours(1)).await;
    let nobody = report(&t, &stranger, "going-to-court", start()).await;

    assert!(matches!(early, Err(CompletionRefusal::BeforeInvitation)), "{early:?}");
    assert!(matches!(nobody, Err(CompletionRefusal::NoParent)), "{nobody:?}");
    let p = t.parent(&a).await;
    assert_eq!((p.status, p.modules.len()), (ParentStatus::Invited, 0));
    assert!(t.written("ELearningModuleCompleted").is_empty());
}

#[tokio::test]
async fn given_a_withdrawn_parent_when_every_module_is_reported_then_they_stay_withdrawn() {
    let t = app().await;
    let (a, _) = t.given_a_referral().await;
    pt4c_app::referrals::withdraw(&t, &referral_id(), "case closed").await.expect("withdrawn");

    for m in &t.settings.catalogue.modules {
        report(&t, &a, m.module_id.as_str(), t.now()).await.expect("the provider's report is taken");
    }

    let p = t.parent(&a).await;
    assert_eq!((p.status, p.elearning_completed_at), (ParentStatus::Withdrawn, None));
    assert!(t.written("ELearningCompleted").is_empty(), "no booking invitation for a withdrawn parent");
}
