//! Emails to the people running the course: a trainer's overdue follow-up call, and a concern a
//! trainer raised, to the FCA.

use pt4c_adapters::consumer::ConsumerError;
use pt4c_adapters::emails;
use pt4c_adapters::Deps;
use pt4c_app::notices::send_once;
use pt4c_domain::events::{ConcernRaised, FollowUpOverdue};
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{CourseStore, ParentStore};

use crate::{case_file, counted, workshop, Summary};

/// No follow-up outcome 42 days after the workshop: the trainer is reminded.
pub(crate) async fn follow_up_overdue(deps: &Deps, event: &FollowUpOverdue) -> Result<Summary, ConsumerError> {
    let w = workshop(deps, &event.workshop_id).await?;
    let Some(details) = deps.store.parent_details(&event.parent_id).await? else {
        return Err(ConsumerError::permanent(format!("no parent {}", event.parent_id)));
    };
    let kind = NoticeKind::FollowUpOverdue;
    let email = emails::follow_up_overdue(&emails::FollowUpOverdue {
        to: w.trainer.email.as_str(),
        trainer_name: &w.trainer.name,
        first_name: &details.first_name,
        last_name: &details.last_name,
        phone: details.phone.as_ref().map(|p| p.as_str()),
        parent_id: &event.parent_id,
        workshop_on: pt4c_domain::london_date(w.starts_at),
        due_by: pt4c_domain::london_date(event.due_by),
    })
    .map_err(ConsumerError::template(kind.as_str()))?;
    counted(
        send_once(&deps.store, &deps.mailer, &event.parent_id, kind, event.workshop_id.as_str(), deps.now(), &email).await,
        &event.parent_id,
        kind,
    )
}

/// A trainer raised a concern: the FCA is emailed at once, whatever the referral's state.
pub(crate) async fn concern_raised(deps: &Deps, event: &ConcernRaised) -> Result<Summary, ConsumerError> {
    let Some(concern) = deps.store.concern(&event.parent_id, &event.concern_id).await? else {
        return Err(ConsumerError::permanent(format!("no concern {}", event.concern_id)));
    };
    let file = case_file(deps, event.parent_id.referral_id()).await?;
    let name = file.names.get(&event.parent_id).cloned().unwrap_or_default();
    let kind = NoticeKind::ConcernRaised;
    let email = emails::concern_raised(&emails::ConcernRaised {
        to: file.family_court_adviser.email.as_str(),
        fca_name: &file.family_court_adviser.name,
        case_number: &file.case_number,
        raised_by: &concern.raised_by,
        name: &name,
        referral_id: &file.record.referral_id,
        parent_id: &event.parent_id,
        raised_at: concern.raised_at,
        summary: &concern.summary,
    })
    .map_err(ConsumerError::template(kind.as_str()))?;
    counted(
        send_once(&deps.store, &deps.mailer, &event.parent_id, kind, event.concern_id.as_str(), deps.now(), &email).await,
        &event.parent_id,
        kind,
    )
}
