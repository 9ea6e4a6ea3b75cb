//! The reminders the sweep raises, each sent unless the parent moved on since (then it is moot).

use pt4c_adapters::consumer::ConsumerError;
use pt4c_adapters::emails;
use pt4c_adapters::Deps;
use pt4c_app::notices::send_once;
use pt4c_domain::events::ReminderDue;
use pt4c_domain::link::Purpose;
use pt4c_domain::ports::{ParentRecord, WorkshopStore};
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::sweep::Reminder;
use pt4c_domain::workshop::WorkshopStatus;

use crate::{and_text, counted, open_parent, skipped, Summary};
use pt4c_domain::sms;

/// Whether the parent has done since what the reminder asks.
fn moot(parent: &ParentRecord, event: &ReminderDue) -> bool {
    match event.reminder {
        Reminder::ActivationReminder => parent.status != ParentStatus::Invited,
        Reminder::ElearningReminder => parent.elearning_completed_at.is_some(),
        Reminder::BookingReminder | Reminder::DeadlineWarning => parent.booking.is_some(),
        Reminder::WorkshopReminder => !parent
            .booking
            .as_ref()
            .is_some_and(|b| Some(&b.workshop_id) == event.workshop_id.as_ref() && Some(b.booked_at) == event.booked_at),
    }
}

fn with_link<'a>(parent: &'a ParentRecord, url: &'a str) -> emails::Reminder<'a> {
    emails::Reminder { to: parent.email.as_str(), first_name: &parent.first_name, complete_by: parent.complete_by, url }
}

pub(crate) async fn reminder(deps: &Deps, event: &ReminderDue) -> Result<Summary, ConsumerError> {
    let Some(parent) = open_parent(deps, &event.parent_id).await? else { return Ok(skipped()) };
    let kind = event.reminder.kind();
    if moot(&parent, event) {
        tracing::info!(parent_id = %parent.parent_id, kind = kind.as_str(), "reminder moot: the parent moved on");
        return Ok(skipped());
    }
    if let (Reminder::WorkshopReminder, Some(workshop_id)) = (event.reminder, event.workshop_id.as_ref()) {
        let open = deps.store.workshop(workshop_id).await?.is_some_and(|w| w.status == WorkshopStatus::Open);
        if !open {
            tracing::info!(parent_id = %parent.parent_id, workshop_id = %workshop_id, "workshop reminder moot: the workshop is cancelled");
            return Ok(skipped());
        }
    }
    let hub_or_booking = |purpose| deps.later_link(&parent.parent_id, purpose, parent.complete_by).map(|(url, _)| url);
    let email = match event.reminder {
        Reminder::ActivationReminder => emails::activation_reminder(&with_link(&parent, &hub_or_booking(Purpose::Hub)?)),
        Reminder::ElearningReminder => emails::elearning_reminder(&with_link(&parent, &hub_or_booking(Purpose::Hub)?)),
        Reminder::BookingReminder => emails::booking_reminder(&with_link(&parent, &hub_or_booking(Purpose::Booking)?)),
        Reminder::DeadlineWarning => {
            let elearning_done = parent.elearning_completed_at.is_some();
            let url = hub_or_booking(if elearning_done { Purpose::Booking } else { Purpose::Hub })?;
            emails::deadline_warning(&emails::DeadlineWarning {
                to: parent.email.as_str(),
                first_name: &parent.first_name,
                complete_by: parent.complete_by,
                elearning_done,
                url: &url,
            })
        }
        Reminder::WorkshopReminder => {
            let Some(b) = &parent.booking else { return Ok(skipped()) };
            // The reminder's cancel link acts only on the booking it reminds of.
            let cancel_url = deps.cancel_link(&parent.parent_id, &b.workshop_id, b.booked_at, parent.complete_by)?;
            emails::workshop_reminder(&emails::WorkshopReminder {
                to: parent.email.as_str(),
                first_name: &parent.first_name,
                mode: b.mode,
                location: &b.location,
                starts_at: b.starts_at,
                ends_at: b.ends_at,
                cancel_url: &cancel_url,
            })
        }
    }
    .map_err(ConsumerError::template(kind.as_str()))?;
    let subject_key = event.reminder.subject(event.workshop_id.as_ref().map(|w| w.as_str()).zip(event.booked_at));
    let emailed = counted(
        send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, &subject_key, deps.now(), &email).await,
        &parent.parent_id,
        kind,
    );
    // The 48-hour workshop reminder and the deadline warning go by text too (as configured).
    let text = match event.reminder {
        Reminder::WorkshopReminder => parent.booking.as_ref().map(|b| sms::texts::workshop_reminder(b.starts_at)),
        Reminder::DeadlineWarning => Some(sms::texts::deadline_warning(parent.complete_by)),
        _ => None,
    };
    match text {
        Some(text) => and_text(deps, emailed, &parent, kind, &subject_key, text).await,
        None => emailed,
    }
}
