//! Parents' links: signed in the emails, verified on the pages. A link lasts the configured time,
//! or until the end of the course's date if later.

use jiff::Timestamp;
use pt4c_domain::link::{LinkError, Purpose};
use pt4c_domain::ports::PortError;
use pt4c_domain::ParentId;

use crate::App;
use pt4c_domain::WorkshopId;

/// Why a parent's link leads nowhere (or no further).
#[derive(Debug)]
pub enum LinkRefusal {
    InvalidLink,
    /// Expired: the parent may ask for a new one with this token.
    Expired {
        token: String,
    },
    /// The parent is no longer stored (erased at the end of retention).
    NotFound,
    TooManyLinks,
    Unavailable(PortError),
}

impl From<PortError> for LinkRefusal {
    fn from(e: PortError) -> Self {
        LinkRefusal::Unavailable(e)
    }
}

/// What names one booking of a parent: the workshop and the second it was made.
pub fn booking_key(workshop_id: &WorkshopId, booked_at: Timestamp) -> String {
    format!("{workshop_id}@{}", booked_at.as_second())
}

impl<S, B> App<S, B> {
    /// The parent a link is for, if it is valid for `purpose` now.
    pub fn verify(&self, token: &str, purpose: Purpose) -> Result<ParentId, LinkRefusal> {
        match self.links()?.verify(token, purpose, self.now()) {
            Ok(link) => Ok(link.parent),
            Err(LinkError::Invalid) => Err(LinkRefusal::InvalidLink),
            Err(LinkError::Expired { .. }) => Err(LinkRefusal::Expired { token: token.to_owned() }),
        }
    }

    /// A cancel link that acts only on this booking (`workshopId@bookedAt`).
    pub fn cancel_link(
        &self,
        parent: &ParentId,
        workshop_id: &WorkshopId,
        booked_at: Timestamp,
        complete_by: jiff::civil::Date,
    ) -> Result<String, PortError> {
        let token = self.links()?.sign_bound(parent, Purpose::Cancel, self.link_expiry(complete_by), &booking_key(workshop_id, booked_at));
        Ok(format!("{}/book/{token}/cancel", self.settings.public_base_url))
    }

    /// Valid for the configured time, or until the end of the course's date if later.
    fn link_expiry(&self, complete_by: jiff::civil::Date) -> Timestamp {
        let validity = self.now() + self.settings.timings.link_validity;
        match pt4c_domain::sweep::deadline(complete_by) {
            Some(end_of_course) => std::cmp::max(validity, end_of_course),
            None => validity,
        }
    }

    /// A link valid for the configured time, or until the end of the course's date if later.
    pub fn later_link(
        &self,
        parent: &ParentId,
        purpose: Purpose,
        complete_by: jiff::civil::Date,
    ) -> Result<(String, Timestamp), PortError> {
        let expires = self.link_expiry(complete_by);
        let token = self.links()?.sign(parent, purpose, expires);
        let url = match purpose {
            Purpose::Hub => self.link_url("hub", &token),
            Purpose::Booking => self.link_url("book", &token),
            Purpose::Cancel => format!("{}/book/{token}/cancel", self.settings.public_base_url),
            Purpose::Offer => self.link_url("offer", &token),
        };
        Ok((url, expires))
    }

    /// The links that answer a held seat: accept and decline, each a page with one button, valid
    /// while the seat is held and acting on that offer only.
    pub fn offer_links(&self, parent: &ParentId, offer: &pt4c_domain::offering::HeldOffer) -> Result<(String, String), PortError> {
        let token = self.links()?.sign_bound(parent, Purpose::Offer, offer.hold_until, offer.offer_id.as_str());
        let url = self.link_url("offer", &token);
        Ok((format!("{url}/accept"), format!("{url}/decline")))
    }

    pub fn link_url(&self, path: &str, token: &str) -> String {
        format!("{}/{path}/{token}", self.settings.public_base_url)
    }
}
