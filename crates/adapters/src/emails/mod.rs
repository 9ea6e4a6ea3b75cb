//! The emails' words, as askama templates: each email has a text and an HTML template of its own
//! (`templates/<name>.txt`, `templates/<name>.html`). The text one has two blocks, `subject` and
//! `body`, each rendered on its own; the HTML one extends `layout.html`. Rust passes values only.

mod booking;
mod changes;
mod coordinators;
mod offers;
mod outcomes;
mod reminders;
mod staff;
mod welcome;

pub use booking::{booking_cancelled, booking_confirmed, workshop_cancelled, BookingCancelled, BookingConfirmed, WorkshopCancelled};
pub use changes::{booking_moved, trainer_changed, workshop_changed, HeldWorkshop, TrainerChanged};
pub use coordinators::{arrangement_due, capacity_shortfall, ArrangementDue, CapacityShortfall};
pub use offers::{seat_offered, SeatOffered};
pub use outcomes::{
    completed, did_not_attend, not_completed, referral_completed, Completed, DidNotAttend, NotCompleted, ParentFacts, ReferralCompleted,
};
pub use reminders::{
    activation_reminder, booking_reminder, deadline_warning, elearning_reminder, workshop_reminder, DeadlineWarning, Reminder,
    WorkshopReminder,
};
pub use staff::{concern_raised, follow_up_overdue, ConcernRaised, FollowUpOverdue};
pub use welcome::{book_workshop, new_link, welcome, BookWorkshop, NewLink, Welcome};

use jiff::civil::Date;
use jiff::Timestamp;

/// How people in England read a date: "Friday 29 January 2027".
pub fn long_date(d: Date) -> String {
    d.strftime("%A %-d %B %Y").to_string()
}

/// "Friday 15 January 2027, 10:00am to 12:30pm" in England's time.
pub fn when(starts: Timestamp, ends: Timestamp) -> String {
    let tz = pt4c_domain::london();
    let s = starts.to_zoned(tz.clone());
    let e = ends.to_zoned(tz);
    format!("{}, {} to {}", s.strftime("%A %-d %B %Y"), s.strftime("%-I:%M%P"), e.strftime("%-I:%M%P"))
}

/// "29 January 2027 at 3:05pm" in England's time: when something was recorded.
pub fn at_london(t: Timestamp) -> String {
    let z = t.to_zoned(pt4c_domain::london());
    format!("{} at {}", z.strftime("%-d %B %Y"), z.strftime("%-I:%M%P"))
}

/// The London date of a moment, read as [`long_date`].
pub fn long_date_of(t: Timestamp) -> String {
    long_date(pt4c_domain::london_date(t))
}

/// Declares the text and HTML templates of one email over its values (`e` in the templates) and
/// the function that makes the [`Email`](pt4c_domain::notice::Email): the subject and the text from
/// the text template's blocks, the HTML from its own template.
macro_rules! email_templates {
    (fn $render:ident($values:ident), $text:ident = $txt:tt, $html:ident = $htm:tt) => {
        #[derive(askama::Template)]
        #[template(path = $txt, blocks = ["subject", "body"])]
        struct $text<'t, 'a> {
            e: &'t $values<'a>,
        }

        #[derive(askama::Template)]
        #[template(path = $htm)]
        struct $html<'t, 'a> {
            e: &'t $values<'a>,
            // Some HTML titles are words of their own, not the subject.
            #[allow(dead_code)]
            subject: &'t str,
        }

        fn $render(
            e: &$values<'_>,
            to: Vec<String>,
            attachments: Vec<pt4c_domain::notice::Attachment>,
        ) -> Result<pt4c_domain::notice::Email, askama::Error> {
            use askama::Template;
            let text = $text { e };
            let subject = text.as_subject().render()?;
            let body = text.as_body().render()?;
            let html = $html { e, subject: &subject }.render()?;
            Ok(pt4c_domain::notice::Email { to, text: body, html, subject, attachments })
        }
    };
}
use email_templates;
