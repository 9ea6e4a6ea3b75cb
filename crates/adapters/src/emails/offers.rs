//! A seat held for a parent on the waiting list: one link to accept it, one to decline it.

use jiff::Timestamp;
use pt4c_domain::notice::Email;
use pt4c_domain::workshop::Mode;

use super::{email_templates, when};

pub struct SeatOffered<'a> {
    pub to: &'a str,
    pub first_name: &'a str,
    pub mode: Mode,
    /// An in-person workshop's address (an online one's joining link comes with the booking).
    pub address: Option<&'a str>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub hold_until: Timestamp,
    pub accept_url: &'a str,
    pub decline_url: &'a str,
}

email_templates!(fn render_seat_offered(SeatOffered), SeatOfferedText = "seat_offered.txt", SeatOfferedHtml = "seat_offered.html");

pub fn seat_offered(o: &SeatOffered<'_>) -> Result<Email, askama::Error> {
    render_seat_offered(o, vec![o.to.to_owned()], vec![])
}

impl SeatOffered<'_> {
    fn online(&self) -> bool {
        self.mode == Mode::Online
    }
    fn when(&self) -> String {
        when(self.starts_at, self.ends_at)
    }
    fn until(&self) -> String {
        let t = self.hold_until.to_zoned(pt4c_domain::london());
        t.strftime("%-I:%M%P on %A %-d %B").to_string()
    }
}
