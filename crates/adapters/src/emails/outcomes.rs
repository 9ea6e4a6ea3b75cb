//! How the course ended for a parent: to the parent (completed, did not attend), and to the FCA and
//! the court (not completed by the court's date, every parent of a referral completed).

use jiff::civil::Date;
use pt4c_domain::notice::Email;
use pt4c_domain::progress::{NoticeChannel, ParentProgress};
use pt4c_domain::ReferralId;

use super::{at_london, email_templates, long_date};

pub struct Completed<'a> {
    pub to: &'a str,
    pub first_name: &'a str,
    pub parenting_plan_url: &'a str,
}

email_templates!(fn render_completed(Completed), CompletedText = "completed.txt", CompletedHtml = "completed.html");

/// The parent attended: the course is complete; the online parenting plan is next.
pub fn completed(c: &Completed<'_>) -> Result<Email, askama::Error> {
    render_completed(c, vec![c.to.to_owned()], vec![])
}

pub struct DidNotAttend<'a> {
    pub to: &'a str,
    pub first_name: &'a str,
    pub complete_by: Date,
    pub booking_url: &'a str,
}

impl DidNotAttend<'_> {
    fn complete_by(&self) -> String {
        long_date(self.complete_by)
    }
}

email_templates!(fn render_did_not_attend(DidNotAttend), DidNotAttendText = "did_not_attend.txt", DidNotAttendHtml = "did_not_attend.html");

pub fn did_not_attend(d: &DidNotAttend<'_>) -> Result<Email, askama::Error> {
    render_did_not_attend(d, vec![d.to.to_owned()], vec![])
}

/// A parent's name and what was recorded of their course, for the FCA and the court.
pub struct ParentFacts<'a> {
    pub name: &'a str,
    pub progress: &'a ParentProgress,
}

/// One thing recorded (or not) of a parent's course; the words are in `fact.txt` / `fact.html`.
enum Fact {
    Invited(String),
    NotInvited,
    Activated(String),
    NotActivated,
    ElearningCompleted(String),
    ElearningNotStarted,
    /// (module, when completed)
    ElearningPartly(Vec<(String, String)>),
    Attended(String),
    DidNotAttend(String),
    AttendanceNotRecorded(String),
    NotBooked,
    CourseCompleted(String),
    /// Emails to the parent that did not reach them: (which email, when sent, what became of it).
    EmailsFailed(Vec<(String, String, &'static str)>),
}

impl ParentFacts<'_> {
    /// What was and was not done, with dates, in order.
    fn facts(&self) -> Vec<Fact> {
        let p = self.progress;
        let mut facts = vec![
            p.invited_at.map_or(Fact::NotInvited, |t| Fact::Invited(at_london(t))),
            p.activated_at.map_or(Fact::NotActivated, |t| Fact::Activated(at_london(t))),
            match p.elearning.completed_at {
                Some(t) => Fact::ElearningCompleted(at_london(t)),
                None if p.elearning.modules.is_empty() => Fact::ElearningNotStarted,
                None => Fact::ElearningPartly(
                    p.elearning.modules.iter().map(|m| (m.module_id.to_string(), at_london(m.completed_at))).collect(),
                ),
            },
            match &p.workshop {
                Some(w) if w.attended == Some(true) => Fact::Attended(at_london(w.starts_at)),
                Some(w) if w.attended == Some(false) => Fact::DidNotAttend(at_london(w.starts_at)),
                Some(w) => Fact::AttendanceNotRecorded(at_london(w.starts_at)),
                None => Fact::NotBooked,
            },
        ];
        if let Some(t) = p.completed_at {
            facts.push(Fact::CourseCompleted(at_london(t)));
        }
        // The court is told plainly when the parent may never have been reached.
        let failed: Vec<_> = p
            .notices
            .iter()
            .filter(|n| n.channel == NoticeChannel::Email && n.kind.to_parent() && n.status.failed())
            .map(|n| (n.kind.as_str().replace('-', " "), at_london(n.sent_at), n.status.as_str()))
            .collect();
        if !failed.is_empty() {
            facts.push(Fact::EmailsFailed(failed));
        }
        facts
    }
}

/// The court's date passed and the parent had not completed: to the FCA, copied to the court.
pub struct NotCompleted<'a> {
    pub fca_email: &'a str,
    pub fca_name: &'a str,
    pub court_email: &'a str,
    pub court_name: &'a str,
    pub case_number: &'a str,
    pub referral_id: &'a ReferralId,
    pub complete_by: Date,
    pub parent: ParentFacts<'a>,
}

impl NotCompleted<'_> {
    fn complete_by(&self) -> String {
        long_date(self.complete_by)
    }
}

email_templates!(fn render_not_completed(NotCompleted), NotCompletedText = "not_completed.txt", NotCompletedHtml = "not_completed.html");

pub fn not_completed(n: &NotCompleted<'_>) -> Result<Email, askama::Error> {
    render_not_completed(n, vec![n.fca_email.to_owned(), n.court_email.to_owned()], vec![])
}

/// Every parent of the referral completed: to the FCA.
pub struct ReferralCompleted<'a> {
    pub fca_email: &'a str,
    pub fca_name: &'a str,
    pub case_number: &'a str,
    pub referral_id: &'a ReferralId,
    pub parents: Vec<ParentFacts<'a>>,
}

email_templates!(
    fn render_referral_completed(ReferralCompleted),
    ReferralCompletedText = "referral_completed.txt",
    ReferralCompletedHtml = "referral_completed.html"
);

pub fn referral_completed(r: &ReferralCompleted<'_>) -> Result<Email, askama::Error> {
    render_referral_completed(r, vec![r.fca_email.to_owned()], vec![])
}
