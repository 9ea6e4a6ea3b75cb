//! How the course ended: the parent completed or missed their workshop; the court's date passed
//! without completion (to the FCA and the court); every parent of a referral completed (to the FCA).

use pt4c_adapters::consumer::ConsumerError;
use pt4c_adapters::emails;
use pt4c_adapters::Deps;
use pt4c_app::notices::send_once;
use pt4c_domain::events::{ParentNotCompleted, ReferralCompleted, WorkshopAttended, WorkshopMissed};
use pt4c_domain::link::Purpose;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::progress::ParentStatus;

use crate::{and_text, case_file, counted, open_parent, parent, skipped, Summary};

/// The parent attended: they have completed the course; introduce the online parenting plan.
pub(crate) async fn completed(deps: &Deps, event: &WorkshopAttended) -> Result<Summary, ConsumerError> {
    let parent = parent(deps, &event.parent_id).await?;
    if parent.status != ParentStatus::Completed {
        return Ok(skipped());
    }
    let kind = NoticeKind::Completed;
    let email = emails::completed(&emails::Completed {
        to: parent.email.as_str(),
        first_name: &parent.first_name,
        parenting_plan_url: &deps.config.parenting_plan_url,
    })
    .map_err(ConsumerError::template(kind.as_str()))?;
    counted(send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, "course", deps.now(), &email).await, &parent.parent_id, kind)
}

pub(crate) async fn did_not_attend(deps: &Deps, event: &WorkshopMissed) -> Result<Summary, ConsumerError> {
    let Some(parent) = open_parent(deps, &event.parent_id).await? else { return Ok(skipped()) };
    if parent.booking.is_some() {
        // Booked again already: nothing to ask.
        return Ok(skipped());
    }
    let kind = NoticeKind::DidNotAttend;
    let (booking_url, _) = deps.later_link(&parent.parent_id, Purpose::Booking, parent.complete_by)?;
    let email = emails::did_not_attend(&emails::DidNotAttend {
        to: parent.email.as_str(),
        first_name: &parent.first_name,
        complete_by: parent.complete_by,
        booking_url: &booking_url,
    })
    .map_err(ConsumerError::template(kind.as_str()))?;
    let emailed = counted(
        send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, event.workshop_id.as_str(), deps.now(), &email).await,
        &parent.parent_id,
        kind,
    );
    and_text(deps, emailed, &parent, kind, event.workshop_id.as_str(), pt4c_domain::sms::texts::did_not_attend()).await
}

/// The court's date passed and the parent had not completed: the FCA and the court are told what was done.
pub(crate) async fn not_completed(deps: &Deps, event: &ParentNotCompleted) -> Result<Summary, ConsumerError> {
    let file = case_file(deps, &event.referral_id).await?;
    let Some(p) = file.record.parents.iter().find(|p| p.parent_id == event.parent_id) else {
        return Err(ConsumerError::permanent(format!("no parent {}", event.parent_id)));
    };
    if p.status != ParentStatus::NotCompleted {
        return Ok(skipped());
    }
    let name = file.names.get(&p.parent_id).cloned().unwrap_or_default();
    let kind = NoticeKind::NotCompleted;
    let email = emails::not_completed(&emails::NotCompleted {
        fca_email: file.family_court_adviser.email.as_str(),
        fca_name: &file.family_court_adviser.name,
        court_email: file.court.email.as_str(),
        court_name: &file.court.name,
        case_number: &file.case_number,
        referral_id: &file.record.referral_id,
        complete_by: event.complete_by,
        parent: emails::ParentFacts { name: &name, progress: p },
    })
    .map_err(ConsumerError::template(kind.as_str()))?;
    let subject_key = event.complete_by.to_string();
    counted(send_once(&deps.store, &deps.mailer, &p.parent_id, kind, &subject_key, deps.now(), &email).await, &p.parent_id, kind)
}

/// Every parent of the referral completed: the FCA is told, once.
pub(crate) async fn referral_completed(deps: &Deps, event: &ReferralCompleted) -> Result<Summary, ConsumerError> {
    let file = case_file(deps, &event.referral_id).await?;
    let Some(first) = file.record.parents.first() else { return Ok(skipped()) };
    let kind = NoticeKind::ReferralCompleted;
    let names: Vec<String> = file.record.parents.iter().map(|p| file.names.get(&p.parent_id).cloned().unwrap_or_default()).collect();
    let email = emails::referral_completed(&emails::ReferralCompleted {
        fca_email: file.family_court_adviser.email.as_str(),
        fca_name: &file.family_court_adviser.name,
        case_number: &file.case_number,
        referral_id: &file.record.referral_id,
        parents: file.record.parents.iter().zip(&names).map(|(p, name)| emails::ParentFacts { name, progress: p }).collect(),
    })
    .map_err(ConsumerError::template(kind.as_str()))?;
    counted(send_once(&deps.store, &deps.mailer, &first.parent_id, kind, "referral", deps.now(), &email).await, &first.parent_id, kind)
}
