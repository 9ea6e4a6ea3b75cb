//! The booking page's screen of choices: the filter a parent asks for (parsed here, at the edge),
//! the workshops grouped by week, the "later dates" link, and the page they make.

use askama::Template;
use pt4c_adapters::emails::long_date;
use pt4c_app::booking::{BookingView, OfferQuery};
use pt4c_domain::offering::{week_of, BookableCursor, Days, OfferFilter, TimeOfDay};
use pt4c_domain::FieldError;

use crate::pages::{booked_place, place};

/// The query a booking page takes: `time` (morning, afternoon, evening) and `days` (weekday,
/// weekend), each repeatable, and `after` (a later-dates cursor). Anything else names its field.
pub(super) fn parse_query(raw: Option<&str>) -> Result<OfferQuery, Vec<FieldError>> {
    let pairs: Vec<(String, String)> = match serde_urlencoded::from_str(raw.unwrap_or("")) {
        Ok(p) => p,
        Err(_) => return Err(vec![FieldError::new("query", "is not a valid query string")]),
    };
    let mut query = OfferQuery::default();
    let mut errors = Vec::new();
    for (key, value) in pairs {
        match key.as_str() {
            "time" => match TimeOfDay::parse(&value) {
                Some(t) if !query.filter.times.contains(&t) => query.filter.times.push(t),
                Some(_) => {}
                None => errors.push(FieldError::new("time", "must be morning, afternoon or evening")),
            },
            "days" => match Days::parse(&value) {
                Some(d) if !query.filter.days.contains(&d) => query.filter.days.push(d),
                Some(_) => {}
                None => errors.push(FieldError::new("days", "must be weekday or weekend")),
            },
            "after" if value.is_empty() => {}
            "after" => match BookableCursor::parse(&value) {
                Some(c) => query.from = Some(c),
                None => errors.push(FieldError::new("after", "must be a later-dates link from this page")),
            },
            other => errors.push(FieldError::new(other, "is not a filter of this page")),
        }
    }
    // Shown and linked in one order whatever order they were asked in.
    query.filter.times.sort();
    query.filter.days.sort();
    if errors.is_empty() {
        Ok(query)
    } else {
        Err(errors)
    }
}

#[derive(Template)]
#[template(path = "book.html")]
pub(super) struct BookPage<'a> {
    pub first_name: &'a str,
    pub complete_by: String,
    pub booked: Option<BookedRow>,
    pub book_action: String,
    pub cancel_action: String,
    pub filter: FilterForm,
    pub errors: Vec<PageError>,
    pub weeks: Vec<Week>,
    /// Choices before the court's date are shown (else the waiting list comes first).
    pub any_before_court_date: bool,
    /// The next screen, same filter ("Later dates").
    pub later: Option<String>,
    /// This screen is a later one (the first is a link away).
    pub first_dates: Option<String>,
    pub waiting: crate::offers::WaitingSection,
}

pub(super) struct BookedRow {
    pub when: String,
    pub place: String,
}

pub(super) struct FilterForm {
    pub action: String,
    pub times: Vec<Check>,
    pub days: Vec<Check>,
    pub filtered: bool,
}

pub(super) struct Check {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

pub(super) struct PageError {
    pub anchor: &'static str,
    pub message: String,
}

pub(super) struct Week {
    pub heading: String,
    pub workshops: Vec<WorkshopRow>,
}

pub(super) struct WorkshopRow {
    pub n: usize,
    pub id: String,
    pub when: String,
    pub detail: String,
    pub after_court_date: bool,
}

impl FilterForm {
    fn of(filter: &OfferFilter, token: &str) -> Self {
        let times = TimeOfDay::ALL
            .into_iter()
            .map(|t| Check {
                value: t.as_str(),
                label: match t {
                    TimeOfDay::Morning => "Morning (before 12 noon)",
                    TimeOfDay::Afternoon => "Afternoon (12 noon to 5pm)",
                    TimeOfDay::Evening => "Evening (from 5pm)",
                },
                checked: filter.times.contains(&t),
            })
            .collect();
        let days = Days::ALL
            .into_iter()
            .map(|d| Check {
                value: d.as_str(),
                label: match d {
                    Days::Weekday => "Weekdays (Monday to Friday)",
                    Days::Weekend => "Weekends",
                },
                checked: filter.days.contains(&d),
            })
            .collect();
        Self { action: format!("/book/{token}"), times, days, filtered: !filter.is_empty() }
    }
}

/// The filter's errors as the GOV.UK error summary lists them, each linked to its field.
pub(super) fn page_errors(errors: &[FieldError]) -> Vec<PageError> {
    errors
        .iter()
        .map(|e| match e.field.as_str() {
            "time" => PageError { anchor: "time-morning", message: "Choose morning, afternoon or evening".into() },
            "days" => PageError { anchor: "days-weekday", message: "Choose weekdays or weekends".into() },
            "after" => {
                PageError { anchor: "time-morning", message: "That link to later dates is not valid: here are the first dates".into() }
            }
            _ => PageError { anchor: "time-morning", message: "Choose the times that suit you".into() },
        })
        .collect()
}

/// The page of a parent's booking view, with the filter's errors (if any) summarised above it.
pub(super) fn book_page<'a>(view: &'a BookingView, token: &str, errors: Vec<PageError>) -> BookPage<'a> {
    let mut weeks: Vec<Week> = Vec::new();
    for (i, w) in view.workshops.iter().enumerate() {
        let heading = format!("Week beginning {}", long_date(week_of(w.starts_at)));
        let row = WorkshopRow {
            n: i + 1,
            id: w.workshop_id.to_string(),
            when: pt4c_adapters::emails::when(w.starts_at, w.ends_at),
            detail: format!(
                "{} {} {} left.",
                place(w.mode, w.location.as_deref()),
                w.seats_left,
                if w.seats_left == 1 { "place" } else { "places" }
            ),
            after_court_date: w.after_court_date,
        };
        match weeks.last_mut() {
            Some(last) if last.heading == heading => last.workshops.push(row),
            _ => weeks.push(Week { heading, workshops: vec![row] }),
        }
    }
    let base = OfferQuery { filter: view.query.filter.clone(), from: None };
    let path = format!("/book/{token}");
    let cursor = view.next.as_deref().and_then(BookableCursor::parse);
    BookPage {
        first_name: &view.first_name,
        complete_by: long_date(view.complete_by),
        booked: view
            .booking
            .as_ref()
            .map(|b| BookedRow { when: pt4c_adapters::emails::when(b.starts_at, b.ends_at), place: booked_place(b.mode, &b.location) }),
        book_action: path.clone(),
        cancel_action: format!("/book/{token}/cancel"),
        filter: FilterForm::of(&view.query.filter, token),
        errors,
        any_before_court_date: view.workshops.iter().any(|w| !w.after_court_date),
        later: cursor.as_ref().map(|c| format!("{path}{}", base.query_string(Some(c)))),
        first_dates: view.query.from.as_ref().map(|_| format!("{path}{}", base.query_string(None))),
        weeks,
        waiting: crate::offers::WaitingSection::of(view, token),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_is_read_from_repeated_fields_and_unknown_values_name_their_field() {
        let q = parse_query(Some("time=evening&time=morning&days=weekend&time=evening")).unwrap();
        assert_eq!(q.filter.times, vec![TimeOfDay::Morning, TimeOfDay::Evening]);
        assert_eq!(q.filter.days, vec![Days::Weekend]);
        assert_eq!(q.from, None);
        assert_eq!(parse_query(None).unwrap(), OfferQuery::default());
        let errors = parse_query(Some("time=night&days=sunday&after=x&colour=red")).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["time", "days", "after", "colour"]);
    }
}
