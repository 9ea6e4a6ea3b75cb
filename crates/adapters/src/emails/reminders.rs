//! The reminders the sweep raises: set up the hub, finish the e-learning, book, the deadline
//! warning, and the workshop in 2 days.

use jiff::civil::Date;
use jiff::Timestamp;
use pt4c_domain::notice::Email;
use pt4c_domain::workshop::Mode;

use super::{email_templates, long_date, when};

/// A reminder with a link to act on (the hub, or booking) and the court's date.
pub struct Reminder<'a> {
    pub to: &'a str,
    pub first_name: &'a str,
    pub complete_by: Date,
    pub url: &'a str,
}

impl Reminder<'_> {
    fn complete_by(&self) -> String {
        long_date(self.complete_by)
    }
}

email_templates!(fn render_activation(Reminder), ActivationText = "activation_reminder.txt", ActivationHtml = "activation_reminder.html");
email_templates!(fn render_elearning(Reminder), ElearningText = "elearning_reminder.txt", ElearningHtml = "elearning_reminder.html");
email_templates!(fn render_booking(Reminder), BookingText = "booking_reminder.txt", BookingHtml = "booking_reminder.html");

/// The parent has not set up their Parent Hub account.
pub fn activation_reminder(r: &Reminder<'_>) -> Result<Email, askama::Error> {
    render_activation(r, vec![r.to.to_owned()], vec![])
}

/// The parent has not finished the e-learning.
pub fn elearning_reminder(r: &Reminder<'_>) -> Result<Email, askama::Error> {
    render_elearning(r, vec![r.to.to_owned()], vec![])
}

/// The parent finished the e-learning and has not booked.
pub fn booking_reminder(r: &Reminder<'_>) -> Result<Email, askama::Error> {
    render_booking(r, vec![r.to.to_owned()], vec![])
}

/// Two weeks before the court's date, with no workshop booked.
pub struct DeadlineWarning<'a> {
    pub to: &'a str,
    pub first_name: &'a str,
    pub complete_by: Date,
    /// The link books a workshop once the e-learning is done; before, it opens the hub.
    pub elearning_done: bool,
    pub url: &'a str,
}

impl DeadlineWarning<'_> {
    fn complete_by(&self) -> String {
        long_date(self.complete_by)
    }
}

email_templates!(fn render_deadline(DeadlineWarning), DeadlineText = "deadline_warning.txt", DeadlineHtml = "deadline_warning.html");

pub fn deadline_warning(d: &DeadlineWarning<'_>) -> Result<Email, askama::Error> {
    render_deadline(d, vec![d.to.to_owned()], vec![])
}

/// The booked workshop is in 2 days; the link cancels that booking.
pub struct WorkshopReminder<'a> {
    pub to: &'a str,
    pub first_name: &'a str,
    pub mode: Mode,
    pub location: &'a str,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub cancel_url: &'a str,
}

impl WorkshopReminder<'_> {
    fn online(&self) -> bool {
        self.mode == Mode::Online
    }
    fn when(&self) -> String {
        when(self.starts_at, self.ends_at)
    }
}

email_templates!(fn render_workshop(WorkshopReminder), WorkshopText = "workshop_reminder.txt", WorkshopHtml = "workshop_reminder.html");

pub fn workshop_reminder(w: &WorkshopReminder<'_>) -> Result<Email, askama::Error> {
    render_workshop(w, vec![w.to.to_owned()], vec![])
}
