//! A parent's workshop booking: confirmed, cancelled by them, or cancelled by the course team.

use jiff::civil::Date;
use jiff::Timestamp;
use pt4c_domain::notice::{Attachment, Email};
use pt4c_domain::workshop::Mode;

use super::{email_templates, long_date, when};

pub struct BookingConfirmed<'a> {
    pub to: &'a str,
    pub first_name: &'a str,
    pub mode: Mode,
    pub location: &'a str,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub cancel_url: &'a str,
}

email_templates!(fn render_booking_confirmed(BookingConfirmed), BookingConfirmedText = "booking_confirmed.txt", BookingConfirmedHtml = "booking_confirmed.html");

/// The confirmation, with the workshop's calendar invitation attached.
pub fn booking_confirmed(b: &BookingConfirmed<'_>, invitation: Attachment) -> Result<Email, askama::Error> {
    render_booking_confirmed(b, vec![b.to.to_owned()], vec![invitation])
}

impl BookingConfirmed<'_> {
    fn online(&self) -> bool {
        self.mode == Mode::Online
    }
    fn when(&self) -> String {
        when(self.starts_at, self.ends_at)
    }
}

/// The workshop a parent booked since, if they did: (starts, ends).
pub type Rebooked = Option<(Timestamp, Timestamp)>;

fn rebooked_when(rebooked: Rebooked) -> String {
    rebooked.map(|(s, e)| when(s, e)).unwrap_or_default()
}

pub struct BookingCancelled<'a> {
    pub to: &'a str,
    pub first_name: &'a str,
    pub rebooked: Rebooked,
    pub complete_by: Date,
    pub booking_url: &'a str,
}

email_templates!(fn render_booking_cancelled(BookingCancelled), BookingCancelledText = "booking_cancelled.txt", BookingCancelledHtml = "booking_cancelled.html");

pub fn booking_cancelled(b: &BookingCancelled<'_>) -> Result<Email, askama::Error> {
    render_booking_cancelled(b, vec![b.to.to_owned()], vec![])
}

impl BookingCancelled<'_> {
    fn rebooked_when(&self) -> String {
        rebooked_when(self.rebooked)
    }
    fn complete_by(&self) -> String {
        long_date(self.complete_by)
    }
}

pub struct WorkshopCancelled<'a> {
    pub to: &'a str,
    pub first_name: &'a str,
    pub rebooked: Rebooked,
    pub booking_url: &'a str,
}

email_templates!(fn render_workshop_cancelled(WorkshopCancelled), WorkshopCancelledText = "workshop_cancelled.txt", WorkshopCancelledHtml = "workshop_cancelled.html");

/// The cancellation, with the calendar's cancel of the booking's invitation attached.
pub fn workshop_cancelled(w: &WorkshopCancelled<'_>, cancel: Attachment) -> Result<Email, askama::Error> {
    render_workshop_cancelled(w, vec![w.to.to_owned()], vec![cancel])
}

impl WorkshopCancelled<'_> {
    fn rebooked_when(&self) -> String {
        rebooked_when(self.rebooked)
    }
}
