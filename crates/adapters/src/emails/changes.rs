//! A booking's workshop changed: edited by the course team (to each booked parent, and to the
//! trainers when it changes hands), or the parent's booking moved to another workshop.

use jiff::Timestamp;
use pt4c_domain::notice::{Attachment, Email};
use pt4c_domain::workshop::Mode;

use super::{email_templates, when};

/// The workshop a parent holds, as the email tells it.
pub struct HeldWorkshop<'a> {
    pub to: &'a str,
    pub first_name: &'a str,
    pub mode: Mode,
    pub location: &'a str,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub cancel_url: &'a str,
}

impl HeldWorkshop<'_> {
    fn online(&self) -> bool {
        self.mode == Mode::Online
    }
    fn when(&self) -> String {
        when(self.starts_at, self.ends_at)
    }
}

email_templates!(fn render_workshop_changed(HeldWorkshop), WorkshopChangedText = "workshop_changed.txt", WorkshopChangedHtml = "workshop_changed.html");
email_templates!(fn render_booking_moved(HeldWorkshop), BookingMovedText = "booking_moved.txt", BookingMovedHtml = "booking_moved.html");

/// The workshop as edited, with the updated invitation (same UID, higher SEQUENCE).
pub fn workshop_changed(w: &HeldWorkshop<'_>, invitation: Attachment) -> Result<Email, askama::Error> {
    render_workshop_changed(w, vec![w.to.to_owned()], vec![invitation])
}

/// The new workshop, with its invitation and the cancellation of the old one.
pub fn booking_moved(w: &HeldWorkshop<'_>, invitations: Vec<Attachment>) -> Result<Email, askama::Error> {
    render_booking_moved(w, vec![w.to.to_owned()], invitations)
}

pub struct TrainerChanged<'a> {
    pub to: &'a str,
    pub trainer_name: &'a str,
    /// Given the workshop (or else: taken from them).
    pub assigned: bool,
    pub mode: Mode,
    pub location: &'a str,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

impl TrainerChanged<'_> {
    fn online(&self) -> bool {
        self.mode == Mode::Online
    }
    fn when(&self) -> String {
        when(self.starts_at, self.ends_at)
    }
}

email_templates!(fn render_trainer_changed(TrainerChanged), TrainerChangedText = "trainer_changed.txt", TrainerChangedHtml = "trainer_changed.html");

pub fn trainer_changed(t: &TrainerChanged<'_>) -> Result<Email, askama::Error> {
    render_trainer_changed(t, vec![t.to.to_owned()], vec![])
}
