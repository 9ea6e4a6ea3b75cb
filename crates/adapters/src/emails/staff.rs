//! Emails to the people running the course: a trainer's overdue follow-up call, and a concern a
//! trainer raised, to the FCA.

use jiff::civil::Date;
use jiff::Timestamp;
use pt4c_domain::notice::Email;
use pt4c_domain::{ParentId, ReferralId};

use super::{at_london, email_templates, long_date};

/// No follow-up outcome recorded by its due date: to the workshop's trainer.
pub struct FollowUpOverdue<'a> {
    pub to: &'a str,
    pub trainer_name: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub phone: Option<&'a str>,
    pub parent_id: &'a ParentId,
    /// The workshop's date and the call's due date, in London.
    pub workshop_on: Date,
    pub due_by: Date,
}

impl FollowUpOverdue<'_> {
    fn workshop_on(&self) -> String {
        long_date(self.workshop_on)
    }
    fn due_by(&self) -> String {
        long_date(self.due_by)
    }
}

email_templates!(fn render_follow_up(FollowUpOverdue), FollowUpText = "follow_up_overdue.txt", FollowUpHtml = "follow_up_overdue.html");

pub fn follow_up_overdue(f: &FollowUpOverdue<'_>) -> Result<Email, askama::Error> {
    render_follow_up(f, vec![f.to.to_owned()], vec![])
}

/// A trainer raised a concern about a parent: to the FCA, at once.
pub struct ConcernRaised<'a> {
    pub to: &'a str,
    pub fca_name: &'a str,
    pub case_number: &'a str,
    pub raised_by: &'a str,
    pub name: &'a str,
    pub referral_id: &'a ReferralId,
    pub parent_id: &'a ParentId,
    pub raised_at: Timestamp,
    pub summary: &'a str,
}

impl ConcernRaised<'_> {
    fn raised_at(&self) -> String {
        at_london(self.raised_at)
    }
}

email_templates!(fn render_concern(ConcernRaised), ConcernText = "concern_raised.txt", ConcernHtml = "concern_raised.html");

pub fn concern_raised(c: &ConcernRaised<'_>) -> Result<Email, askama::Error> {
    render_concern(c, vec![c.to.to_owned()], vec![])
}
