//! Emails to the coordinators' shared address: an arrangement still to make close to its
//! workshop (once per task), and the capacity forecast's shortfall (once a day). The adjustments a
//! parent asked for stay in the console: the email names what kind of arrangement and links there.

use jiff::Timestamp;
use pt4c_domain::forecast::Forecast;
use pt4c_domain::notice::Email;

use super::{email_templates, long_date, long_date_of};

/// An interpreter or adjustments still to arrange within the flag window before the workshop.
pub struct ArrangementDue<'a> {
    pub to: &'a str,
    pub name: &'a str,
    /// "an interpreter for pl", "adjustments", ...
    pub what: &'a str,
    pub starts_at: Timestamp,
    /// The parent's page in the console, where it is marked done.
    pub console_url: &'a str,
}

impl ArrangementDue<'_> {
    fn starts(&self) -> String {
        let z = self.starts_at.to_zoned(pt4c_domain::london());
        format!("{} at {}", long_date_of(self.starts_at), z.strftime("%-I:%M%P"))
    }
}

email_templates!(fn render_arrangement(ArrangementDue), ArrangementText = "arrangement_due.txt", ArrangementHtml = "arrangement_due.html");

pub fn arrangement_due(a: &ArrangementDue<'_>) -> Result<Email, askama::Error> {
    render_arrangement(a, vec![a.to.to_owned()], vec![])
}

/// The capacity forecast found parents without a seat before their court dates.
pub struct CapacityShortfall<'a> {
    pub to: &'a str,
    pub forecast: &'a Forecast,
    /// The console's dashboard, which shows the forecast.
    pub console_url: &'a str,
}

impl CapacityShortfall<'_> {
    /// One line per kind of workshop to add: "2 workshops online, in pl, starting before Friday 15 January 2027 (7 parents)".
    fn lines(&self) -> Vec<String> {
        self.forecast
            .to_add
            .iter()
            .map(|a| {
                format!(
                    "{} workshop{} {}, starting before {} ({} parent{} without a seat)",
                    a.workshops,
                    if a.workshops == 1 { "" } else { "s" },
                    a.kind.describe(),
                    long_date(a.add_by),
                    a.parents,
                    if a.parents == 1 { "" } else { "s" }
                )
            })
            .collect()
    }
    fn today(&self) -> String {
        long_date(self.forecast.today)
    }
}

email_templates!(fn render_shortfall(CapacityShortfall), ShortfallText = "capacity_shortfall.txt", ShortfallHtml = "capacity_shortfall.html");

pub fn capacity_shortfall(c: &CapacityShortfall<'_>) -> Result<Email, askama::Error> {
    render_shortfall(c, vec![c.to.to_owned()], vec![])
}
