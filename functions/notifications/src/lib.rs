//! Every email other than the welcome: each sent at most once per (parent, kind, subject).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use pt4c_adapters::emails::{self, BookWorkshop};
use pt4c_adapters::sending::{send_once, Sending};
use pt4c_adapters::Deps;
use pt4c_domain::events::{
    BookingCancelled, ConcernRaised, DomainEvent, ELearningCompleted, FollowUpOverdue, ParentNotCompleted, ReferralCompleted, ReminderDue,
    WorkshopAttended, WorkshopBooked, WorkshopCancelled, WorkshopMissed,
};
use pt4c_domain::link::Purpose;
use pt4c_domain::notice::Attachment;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::ports::{CaseFile, CourseStore};
use pt4c_domain::ports::{ParentRecord, WorkshopStore};
use pt4c_domain::ports::{ParentStore, PortError};
use pt4c_domain::progress::{ParentProgress, ParentStatus};
use pt4c_domain::sweep::Reminder;
use pt4c_domain::workshop::Mode;
use serde::Serialize;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub sent: usize,
    pub already_sent: usize,
    pub skipped: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("will retry: {0}")]
    Retry(String),
    #[error("event refused: {0}")]
    BadEvent(String),
}

impl From<PortError> for NotifyError {
    fn from(e: PortError) -> Self {
        match e {
            PortError::Retryable(m) | PortError::Permanent(m) => Self::Retry(m),
        }
    }
}

/// Each delivery, tried again in place while it fails for a transient cause (`retry::in_place`).
pub async fn handle(deps: &Deps, event: EventBridgeEvent) -> Result<Summary, NotifyError> {
    pt4c_adapters::retry::in_place(|e| matches!(e, NotifyError::Retry(_)), || handle_once(deps, event.clone())).await
}

async fn handle_once(deps: &Deps, event: EventBridgeEvent) -> Result<Summary, NotifyError> {
    let detail_type = event.detail_type.clone();
    let domain = DomainEvent::from_parts(&detail_type, event.detail).map_err(|e| NotifyError::BadEvent(format!("{detail_type}: {e}")))?;
    let summary = match domain {
        DomainEvent::ELearningCompleted(e) => book_workshop(deps, &e).await?,
        DomainEvent::WorkshopBooked(e) => booking_confirmed(deps, &e).await?,
        DomainEvent::BookingCancelled(e) => booking_cancelled(deps, &e).await?,
        DomainEvent::WorkshopCancelled(e) => workshop_cancelled(deps, &e).await?,
        DomainEvent::ReminderDue(e) => reminder(deps, &e).await?,
        DomainEvent::WorkshopAttended(e) => completed(deps, &e).await?,
        DomainEvent::WorkshopMissed(e) => did_not_attend(deps, &e).await?,
        DomainEvent::ParentNotCompleted(e) => not_completed(deps, &e).await?,
        DomainEvent::ReferralCompleted(e) => referral_completed(deps, &e).await?,
        DomainEvent::FollowUpOverdue(e) => follow_up_overdue(deps, &e).await?,
        DomainEvent::ConcernRaised(e) => concern_raised(deps, &e).await?,
        other => return Err(NotifyError::BadEvent(format!("not for this function: {}", other.detail_type()))),
    };
    tracing::info!(detail_type = %detail_type, sent = summary.sent, already_sent = summary.already_sent, skipped = summary.skipped, "delivery handled");
    Ok(summary)
}

fn counted(result: Result<Sending, PortError>, parent: &pt4c_domain::ParentId, kind: NoticeKind) -> Result<Summary, NotifyError> {
    match result {
        Ok(Sending::Sent { message_id }) => {
            tracing::info!(parent_id = %parent, kind = kind.as_str(), message_id = %message_id, "email sent");
            Ok(Summary { sent: 1, ..Summary::default() })
        }
        Ok(Sending::AlreadySent) => Ok(Summary { already_sent: 1, ..Summary::default() }),
        Err(e) => {
            tracing::warn!(parent_id = %parent, kind = kind.as_str(), error = %e, "email not sent");
            Err(e.into())
        }
    }
}

async fn book_workshop(deps: &Deps, event: &ELearningCompleted) -> Result<Summary, NotifyError> {
    let Some(parent) = deps.store.parent(&event.parent_id).await? else {
        return Err(NotifyError::BadEvent(format!("no parent {}", event.parent_id)));
    };
    if parent.closed() {
        return Ok(Summary { skipped: 1, ..Summary::default() });
    }
    let (booking_url, _) = deps.later_link(&parent.parent_id, Purpose::Booking, parent.complete_by)?;
    let email = emails::book_workshop(&BookWorkshop {
        to: &parent.email,
        first_name: &parent.first_name,
        booking_url: &booking_url,
        complete_by: parent.complete_by,
    })
    .map_err(|e| NotifyError::Retry(format!("book-workshop template: {e}")))?;
    let kind = NoticeKind::BookWorkshop;
    counted(send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, "elearning", deps.now(), &email).await, &parent.parent_id, kind)
}

async fn open_parent(deps: &Deps, id: &pt4c_domain::ParentId) -> Result<Option<ParentRecord>, NotifyError> {
    match deps.store.parent(id).await? {
        None => Err(NotifyError::BadEvent(format!("no parent {id}"))),
        Some(p) if p.closed() => Ok(None),
        Some(p) => Ok(Some(p)),
    }
}

fn skipped() -> Summary {
    Summary { skipped: 1, ..Summary::default() }
}

async fn booking_confirmed(deps: &Deps, event: &WorkshopBooked) -> Result<Summary, NotifyError> {
    let Some(parent) = open_parent(deps, &event.parent_id).await? else { return Ok(skipped()) };
    let Some(w) = deps.store.workshop(&event.workshop_id).await? else {
        return Err(NotifyError::BadEvent(format!("no workshop {}", event.workshop_id)));
    };
    // Checked at delivery: a confirmation delivered late must not contradict a cancellation
    // (the parent's, or the workshop's) that came first.
    let still_held = parent.booking.as_ref().is_some_and(|b| b.workshop_id == event.workshop_id && b.booked_at == event.booked_at);
    if !still_held || w.status != pt4c_domain::workshop::WorkshopStatus::Open {
        tracing::info!(parent_id = %parent.parent_id, workshop_id = %event.workshop_id, "booking confirmation moot: the booking is no longer held");
        return Ok(skipped());
    }
    let cancel_url = deps.cancel_link(&parent.parent_id, &event.workshop_id, event.booked_at, parent.complete_by)?;
    let when = emails::when(w.starts_at, w.ends_at);
    let (how, place) = match w.mode {
        Mode::Online => ("online", format!("Join here at the start time: {}", w.location)),
        Mode::InPerson => ("in person", format!("The address is: {}", w.location)),
    };
    let ics = pt4c_adapters::ics::invitation(&pt4c_adapters::ics::Invitation {
        uid: &format!("{}-{}@pt4c", w.workshop_id, parent.parent_id),
        starts_at: w.starts_at,
        ends_at: w.ends_at,
        summary: "Planning Together for Children workshop",
        location: &w.location,
        description: "Your Planning Together for Children workshop (2 and a half hours).",
        stamp: deps.now(),
    });
    let email = emails::notice(emails::Notice {
        to: &parent.email,
        subject: "Your workshop is booked",
        first_name: &parent.first_name,
        paragraphs: vec![
            format!("You are booked on a Planning Together for Children workshop, {how}: {when}."),
            place,
            "The invitation attached adds it to your calendar.".into(),
            "If you cannot go, cancel your place so someone else can have it, then book another.".into(),
        ],
        action: Some(("Cancel this booking", &cancel_url)),
        attachments: vec![Attachment { filename: "workshop.ics".into(), content_type: "text/calendar".into(), content: ics.into_bytes() }],
    })
    .map_err(|e| NotifyError::Retry(format!("booking-confirmed template: {e}")))?;
    let kind = NoticeKind::BookingConfirmed;
    let subject = format!("{}@{}", event.workshop_id, event.booked_at.as_second());
    counted(send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, &subject, deps.now(), &email).await, &parent.parent_id, kind)
}

async fn booking_cancelled(deps: &Deps, event: &BookingCancelled) -> Result<Summary, NotifyError> {
    let Some(parent) = open_parent(deps, &event.parent_id).await? else { return Ok(skipped()) };
    let (booking_url, _) = deps.later_link(&parent.parent_id, Purpose::Booking, parent.complete_by)?;
    // Checked at delivery: a parent who booked again since is not asked to book (it would
    // contradict the booking they hold); they are told what they hold.
    let (next, action) = match rebooked_since(&parent, event.cancelled_at) {
        Some(b) => (format!("You have since booked another workshop: {}.", emails::when(b.starts_at, b.ends_at)), None),
        None => (
            format!(
                "Please book another workshop: the court asked you to complete the course by {}.",
                emails::long_date(parent.complete_by)
            ),
            Some(("Book a workshop", booking_url.as_str())),
        ),
    };
    let email = emails::notice(emails::Notice {
        to: &parent.email,
        subject: "Your workshop booking is cancelled",
        first_name: &parent.first_name,
        paragraphs: vec!["Your workshop booking is cancelled, as you asked.".into(), next],
        action,
        attachments: vec![],
    })
    .map_err(|e| NotifyError::Retry(format!("booking-cancelled template: {e}")))?;
    let kind = NoticeKind::BookingCancelled;
    let subject = format!("{}@{}", event.workshop_id, event.cancelled_at.as_second());
    counted(send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, &subject, deps.now(), &email).await, &parent.parent_id, kind)
}

/// The booking a parent made at or after `t`, if they hold one.
fn rebooked_since(parent: &ParentRecord, t: jiff::Timestamp) -> Option<&pt4c_domain::workshop::Booking> {
    parent.booking.as_ref().filter(|b| b.booked_at >= t)
}

/// Every parent who held a seat on a cancelled workshop is told, once (each release carries its
/// own event); one who booked another since is told what they hold rather than asked to book.
async fn workshop_cancelled(deps: &Deps, event: &WorkshopCancelled) -> Result<Summary, NotifyError> {
    let mut summary = Summary::default();
    let mut failure = None;
    for id in &event.parent_ids {
        let Some(parent) = open_parent(deps, id).await? else {
            summary.skipped += 1;
            continue;
        };
        if parent.booking.as_ref().is_some_and(|b| b.workshop_id == event.workshop_id) {
            // Not released yet: nothing is true to say until it is (the release's own event tells them).
            summary.skipped += 1;
            continue;
        }
        let (booking_url, _) = deps.later_link(&parent.parent_id, Purpose::Booking, parent.complete_by)?;
        let (next, action) = match parent.booking.as_ref() {
            Some(b) => (format!("You have since booked another workshop: {}.", emails::when(b.starts_at, b.ends_at)), None),
            None => ("Please choose another workshop.".to_owned(), Some(("Book another workshop", booking_url.as_str()))),
        };
        let email = emails::notice(emails::Notice {
            to: &parent.email,
            subject: "Your workshop has been cancelled",
            first_name: &parent.first_name,
            paragraphs: vec!["We are sorry: the workshop you booked has been cancelled by the course team.".into(), next],
            action,
            attachments: vec![],
        })
        .map_err(|e| NotifyError::Retry(format!("workshop-cancelled template: {e}")))?;
        let kind = NoticeKind::WorkshopCancelled;
        match counted(send_once(&deps.store, &deps.mailer, id, kind, &event.workshop_id, deps.now(), &email).await, id, kind) {
            Ok(s) => {
                summary.sent += s.sent;
                summary.already_sent += s.already_sent;
            }
            Err(e) => failure = Some(e),
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}

fn template_error(kind: NoticeKind) -> impl FnOnce(askama::Error) -> NotifyError {
    move |e| NotifyError::Retry(format!("{} template: {e}", kind.as_str()))
}

/// A reminder the sweep raised, unless the parent moved on since (then it is moot).
async fn reminder(deps: &Deps, event: &ReminderDue) -> Result<Summary, NotifyError> {
    let Some(parent) = open_parent(deps, &event.parent_id).await? else { return Ok(skipped()) };
    let kind = event.reminder.kind();
    let complete_by = emails::long_date(parent.complete_by);
    let moot = match event.reminder {
        Reminder::ActivationReminder => parent.status != ParentStatus::Invited,
        Reminder::ElearningReminder => parent.elearning_completed_at.is_some(),
        Reminder::BookingReminder | Reminder::DeadlineWarning => parent.booking.is_some(),
        Reminder::WorkshopReminder => !parent
            .booking
            .as_ref()
            .is_some_and(|b| Some(&b.workshop_id) == event.workshop_id.as_ref() && Some(b.booked_at) == event.booked_at),
    };
    if moot {
        tracing::info!(parent_id = %parent.parent_id, kind = kind.as_str(), "reminder moot: the parent moved on");
        return Ok(skipped());
    }
    if let (Reminder::WorkshopReminder, Some(workshop_id)) = (event.reminder, event.workshop_id.as_deref()) {
        let open = deps.store.workshop(workshop_id).await?.is_some_and(|w| w.status == pt4c_domain::workshop::WorkshopStatus::Open);
        if !open {
            tracing::info!(parent_id = %parent.parent_id, workshop_id, "workshop reminder moot: the workshop is cancelled");
            return Ok(skipped());
        }
    }
    let (subject, paragraphs, purpose, label): (&str, Vec<String>, Purpose, &str) = match event.reminder {
        Reminder::ActivationReminder => (
            "Reminder: set up your Parent Hub",
            vec![
                "You have not set up your Parent Hub account yet. It is where you do the e-learning and book your workshop.".into(),
                format!("The court asked you to complete Planning Together for Children by {complete_by}."),
            ],
            Purpose::Hub,
            "Set up your Parent Hub",
        ),
        Reminder::ElearningReminder => (
            "Reminder: finish your e-learning",
            vec![
                "You have not finished the e-learning yet. It takes about 2 hours and you can do it in parts.".into(),
                format!("Once it is done you can book your workshop. The court asked you to complete the course by {complete_by}."),
            ],
            Purpose::Hub,
            "Go to your Parent Hub",
        ),
        Reminder::BookingReminder => (
            "Reminder: book your workshop",
            vec![
                "You finished the e-learning: thank you. You have not booked your workshop yet.".into(),
                format!("The court asked you to complete the course by {complete_by}. Workshops fill up, so please book soon."),
            ],
            Purpose::Booking,
            "Book a workshop",
        ),
        Reminder::DeadlineWarning => (
            "Two weeks left to complete Planning Together for Children",
            vec![
                format!("The court asked you to complete Planning Together for Children by {complete_by}, and you have not booked a workshop yet."),
                "If you do not complete the course by then, we must tell the court and your Family Court Adviser.".into(),
            ],
            if parent.elearning_completed_at.is_some() { Purpose::Booking } else { Purpose::Hub },
            if parent.elearning_completed_at.is_some() { "Book a workshop" } else { "Go to your Parent Hub" },
        ),
        Reminder::WorkshopReminder => {
            let Some(b) = &parent.booking else { return Ok(skipped()) };
            let place = match b.mode {
                Mode::Online => format!("Join online at the start time: {}", b.location),
                Mode::InPerson => format!("The address is: {}", b.location),
            };
            (
                "Your workshop is in 2 days",
                vec![format!("Your Planning Together for Children workshop is on {}.", emails::when(b.starts_at, b.ends_at)), place,
                     "If you cannot go, cancel your place so someone else can have it, then book another.".into()],
                Purpose::Cancel,
                "Cancel this booking",
            )
        }
    };
    let url = match (purpose, &parent.booking) {
        // The reminder's cancel link acts only on the booking it reminds of.
        (Purpose::Cancel, Some(b)) => deps.cancel_link(&parent.parent_id, &b.workshop_id, b.booked_at, parent.complete_by)?,
        _ => deps.later_link(&parent.parent_id, purpose, parent.complete_by)?.0,
    };
    let email = emails::notice(emails::Notice {
        to: &parent.email,
        subject,
        first_name: &parent.first_name,
        paragraphs,
        action: Some((label, &url)),
        attachments: vec![],
    })
    .map_err(template_error(kind))?;
    let subject_key = event.reminder.subject(event.workshop_id.as_deref().zip(event.booked_at));
    counted(send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, &subject_key, deps.now(), &email).await, &parent.parent_id, kind)
}

/// The parent attended: they have completed the course; introduce the online parenting plan.
async fn completed(deps: &Deps, event: &WorkshopAttended) -> Result<Summary, NotifyError> {
    let Some(parent) = deps.store.parent(&event.parent_id).await? else {
        return Err(NotifyError::BadEvent(format!("no parent {}", event.parent_id)));
    };
    if parent.status != ParentStatus::Completed {
        return Ok(skipped());
    }
    let kind = NoticeKind::Completed;
    let email = emails::notice(emails::Notice {
        to: &parent.email,
        subject: "You have completed Planning Together for Children",
        first_name: &parent.first_name,
        paragraphs: vec![
            "Thank you for taking part in the workshop. You have now completed Planning Together for Children, and we will let your Family Court Adviser know.".into(),
            "The next step is a parenting plan: a written agreement about how you will both care for your children. The online parenting plan helps you make one, at your own pace.".into(),
            "A trainer may call you in the next few weeks to see how you are getting on.".into(),
        ],
        action: Some(("Start your parenting plan", &deps.config.parenting_plan_url)),
        attachments: vec![],
    })
    .map_err(template_error(kind))?;
    counted(send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, "course", deps.now(), &email).await, &parent.parent_id, kind)
}

async fn did_not_attend(deps: &Deps, event: &WorkshopMissed) -> Result<Summary, NotifyError> {
    let Some(parent) = open_parent(deps, &event.parent_id).await? else { return Ok(skipped()) };
    if parent.booking.is_some() {
        // Booked again already: nothing to ask.
        return Ok(skipped());
    }
    let kind = NoticeKind::DidNotAttend;
    let (booking_url, _) = deps.later_link(&parent.parent_id, Purpose::Booking, parent.complete_by)?;
    let email = emails::notice(emails::Notice {
        to: &parent.email,
        subject: "We missed you at your workshop",
        first_name: &parent.first_name,
        paragraphs: vec![
            "Our records show you did not attend the workshop you booked.".into(),
            format!(
                "To complete Planning Together for Children you need to attend a workshop. Please book another: the court asked you to complete the course by {}.",
                emails::long_date(parent.complete_by)
            ),
        ],
        action: Some(("Book a workshop", &booking_url)),
        attachments: vec![],
    })
    .map_err(template_error(kind))?;
    counted(
        send_once(&deps.store, &deps.mailer, &parent.parent_id, kind, &event.workshop_id, deps.now(), &email).await,
        &parent.parent_id,
        kind,
    )
}

fn at_london(t: jiff::Timestamp) -> String {
    let z = t.to_zoned(pt4c_domain::london());
    format!("{} at {}", z.strftime("%-d %B %Y"), z.strftime("%-I:%M%P"))
}

/// What was and was not done, with dates, for the FCA and the court.
fn facts(p: &ParentProgress) -> Vec<String> {
    let mut facts = Vec::new();
    facts.push(match p.invited_at {
        Some(t) => format!("Invited to the course: {}.", at_london(t)),
        None => "Invited to the course: the invitation was not sent.".into(),
    });
    facts.push(match p.activated_at {
        Some(t) => format!("Set up their Parent Hub account: {}.", at_london(t)),
        None => "Set up their Parent Hub account: no.".into(),
    });
    match p.elearning.completed_at {
        Some(t) => facts.push(format!("E-learning: completed {}.", at_london(t))),
        None if p.elearning.modules.is_empty() => facts.push("E-learning: not started.".into()),
        None => facts.push(format!(
            "E-learning: not completed; modules completed: {}.",
            p.elearning.modules.iter().map(|m| format!("{} ({})", m.module_id, at_london(m.completed_at))).collect::<Vec<_>>().join(", ")
        )),
    }
    facts.push(match &p.workshop {
        Some(w) if w.attended == Some(true) => format!("Workshop: attended on {}.", at_london(w.starts_at)),
        Some(w) if w.attended == Some(false) => format!("Workshop: booked for {}, did not attend.", at_london(w.starts_at)),
        Some(w) => format!("Workshop: booked for {}; attendance not recorded.", at_london(w.starts_at)),
        None => "Workshop: not booked.".into(),
    });
    if let Some(t) = p.completed_at {
        facts.push(format!("Completed the course: {}.", at_london(t)));
    }
    facts
}

async fn case_file(deps: &Deps, id: &pt4c_domain::ReferralId) -> Result<CaseFile, NotifyError> {
    deps.store.case_file(id).await?.ok_or_else(|| NotifyError::BadEvent(format!("no referral {id}")))
}

/// The court's date passed and the parent had not completed: the FCA and the court are told what was done.
async fn not_completed(deps: &Deps, event: &ParentNotCompleted) -> Result<Summary, NotifyError> {
    let file = case_file(deps, &event.referral_id).await?;
    let Some(p) = file.record.parents.iter().find(|p| p.parent_id == event.parent_id) else {
        return Err(NotifyError::BadEvent(format!("no parent {}", event.parent_id)));
    };
    if p.status != ParentStatus::NotCompleted {
        return Ok(skipped());
    }
    let name = file.names.get(&p.parent_id).cloned().unwrap_or_default();
    let kind = NoticeKind::NotCompleted;
    let mut paragraphs = vec![
        format!(
            "Case {}: {name} did not complete Planning Together for Children by {}, the date the court set.",
            file.case_number,
            emails::long_date(event.complete_by)
        ),
        format!("Referral {}. What was recorded:", file.record.referral_id),
    ];
    paragraphs.extend(facts(p));
    let greeting = format!("{} and {}", file.family_court_adviser.name, file.court.name);
    let mut email = emails::notice(emails::Notice {
        to: file.family_court_adviser.email.as_str(),
        subject: &format!("Case {}: {name} has not completed Planning Together for Children", file.case_number),
        first_name: &greeting,
        paragraphs,
        action: None,
        attachments: vec![],
    })
    .map_err(template_error(kind))?;
    email.to.push(file.court.email.as_str().to_owned());
    let subject_key = event.complete_by.to_string();
    counted(send_once(&deps.store, &deps.mailer, &p.parent_id, kind, &subject_key, deps.now(), &email).await, &p.parent_id, kind)
}

/// Every parent of the referral completed: the FCA is told, once.
async fn referral_completed(deps: &Deps, event: &ReferralCompleted) -> Result<Summary, NotifyError> {
    let file = case_file(deps, &event.referral_id).await?;
    let Some(first) = file.record.parents.first() else { return Ok(skipped()) };
    let kind = NoticeKind::ReferralCompleted;
    let mut paragraphs = vec![format!(
        "Case {} (referral {}): every parent referred has completed Planning Together for Children.",
        file.case_number, file.record.referral_id
    )];
    for p in &file.record.parents {
        let name = file.names.get(&p.parent_id).cloned().unwrap_or_default();
        paragraphs.push(format!("{name}:"));
        paragraphs.extend(facts(p));
    }
    let email = emails::notice(emails::Notice {
        to: file.family_court_adviser.email.as_str(),
        subject: &format!("Case {}: Planning Together for Children completed", file.case_number),
        first_name: &file.family_court_adviser.name,
        paragraphs,
        action: None,
        attachments: vec![],
    })
    .map_err(template_error(kind))?;
    counted(send_once(&deps.store, &deps.mailer, &first.parent_id, kind, "referral", deps.now(), &email).await, &first.parent_id, kind)
}

/// No follow-up outcome 42 days after the workshop: the trainer is reminded.
async fn follow_up_overdue(deps: &Deps, event: &FollowUpOverdue) -> Result<Summary, NotifyError> {
    let Some(w) = deps.store.workshop(&event.workshop_id).await? else {
        return Err(NotifyError::BadEvent(format!("no workshop {}", event.workshop_id)));
    };
    let Some(details) = deps.store.parent_details(&event.parent_id).await? else {
        return Err(NotifyError::BadEvent(format!("no parent {}", event.parent_id)));
    };
    let kind = NoticeKind::FollowUpOverdue;
    let phone = details.phone.as_ref().map(|p| format!(" on {}", p.as_str())).unwrap_or_default();
    let email = emails::notice(emails::Notice {
        to: w.trainer.email.as_str(),
        subject: "A follow-up call is overdue",
        first_name: &w.trainer.name,
        paragraphs: vec![
            format!(
                "A follow-up call to {} {}{phone} (parent {}), who attended your workshop on {}, was due by {} and no outcome has been recorded.",
                details.first_name,
                details.last_name,
                event.parent_id,
                emails::long_date(pt4c_domain::london_date(w.starts_at)),
                emails::long_date(pt4c_domain::london_date(event.due_by)),
            ),
            "Please make the call and record its outcome.".into(),
        ],
        action: None,
        attachments: vec![],
    })
    .map_err(template_error(kind))?;
    counted(
        send_once(&deps.store, &deps.mailer, &event.parent_id, kind, &event.workshop_id, deps.now(), &email).await,
        &event.parent_id,
        kind,
    )
}

/// A trainer raised a concern: the FCA is emailed at once, whatever the referral's state.
async fn concern_raised(deps: &Deps, event: &ConcernRaised) -> Result<Summary, NotifyError> {
    let Some(concern) = deps.store.concern(&event.parent_id, &event.concern_id).await? else {
        return Err(NotifyError::BadEvent(format!("no concern {}", event.concern_id)));
    };
    let file = case_file(deps, event.parent_id.referral_id()).await?;
    let name = file.names.get(&event.parent_id).cloned().unwrap_or_default();
    let kind = NoticeKind::ConcernRaised;
    let email = emails::notice(emails::Notice {
        to: file.family_court_adviser.email.as_str(),
        subject: &format!("Case {}: a concern has been raised", file.case_number),
        first_name: &file.family_court_adviser.name,
        paragraphs: vec![
            format!(
                "Case {}: {} raised a concern about {name} (referral {}, parent {}) on {}:",
                file.case_number,
                concern.raised_by,
                file.record.referral_id,
                event.parent_id,
                at_london(concern.raised_at)
            ),
            concern.summary.clone(),
        ],
        action: None,
        attachments: vec![],
    })
    .map_err(template_error(kind))?;
    counted(
        send_once(&deps.store, &deps.mailer, &event.parent_id, kind, &event.concern_id, deps.now(), &email).await,
        &event.parent_id,
        kind,
    )
}
