//! The emails' words, as askama templates (text and HTML alternatives of each).

use askama::Template;
use jiff::civil::Date;
use pt4c_domain::notice::Email;

/// How people in England read a date: "Friday 29 January 2027".
pub fn long_date(d: Date) -> String {
    d.strftime("%A %-d %B %Y").to_string()
}

#[derive(Template)]
#[template(path = "welcome.txt")]
struct WelcomeText<'a> {
    first_name: &'a str,
    hub_url: &'a str,
    complete_by: &'a str,
    link_hours: i64,
}

#[derive(Template)]
#[template(path = "welcome.html")]
struct WelcomeHtml<'a> {
    first_name: &'a str,
    hub_url: &'a str,
    complete_by: &'a str,
    link_hours: i64,
}

pub struct Welcome<'a> {
    pub to: &'a str,
    pub first_name: &'a str,
    pub hub_url: &'a str,
    pub complete_by: Date,
    pub link_hours: i64,
}

pub fn welcome(w: &Welcome<'_>) -> Result<Email, askama::Error> {
    let complete_by = long_date(w.complete_by);
    Ok(Email {
        to: vec![w.to.to_owned()],
        subject: "Welcome to Planning Together for Children: set up your Parent Hub".into(),
        text: WelcomeText { first_name: w.first_name, hub_url: w.hub_url, complete_by: &complete_by, link_hours: w.link_hours }.render()?,
        html: WelcomeHtml { first_name: w.first_name, hub_url: w.hub_url, complete_by: &complete_by, link_hours: w.link_hours }.render()?,
        attachments: vec![],
    })
}

#[derive(Template)]
#[template(path = "new_link.txt")]
struct NewLinkText<'a> {
    first_name: &'a str,
    hub_url: &'a str,
    valid_until: &'a str,
}

#[derive(Template)]
#[template(path = "new_link.html")]
struct NewLinkHtml<'a> {
    first_name: &'a str,
    hub_url: &'a str,
    valid_until: &'a str,
}

pub struct NewLink<'a> {
    pub to: &'a str,
    pub first_name: &'a str,
    pub hub_url: &'a str,
    pub valid_until: Date,
}

pub fn new_link(n: &NewLink<'_>) -> Result<Email, askama::Error> {
    let valid_until = long_date(n.valid_until);
    Ok(Email {
        to: vec![n.to.to_owned()],
        subject: "Your new Parent Hub link".into(),
        text: NewLinkText { first_name: n.first_name, hub_url: n.hub_url, valid_until: &valid_until }.render()?,
        html: NewLinkHtml { first_name: n.first_name, hub_url: n.hub_url, valid_until: &valid_until }.render()?,
        attachments: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_welcome_names_the_parent_the_stages_the_date_and_the_link() {
        let e = welcome(&Welcome {
            to: "alex@example.com",
            first_name: "Alex <b>",
            hub_url: "http://127.0.0.1:3000/hub/abc.def",
            complete_by: jiff::civil::date(2027, 1, 29),
            link_hours: 72,
        })
        .unwrap();
        for part in [&e.text, &e.html] {
            assert!(part.contains("Friday 29 January 2027"));
            assert!(part.contains("http://127.0.0.1:3000/hub/abc.def"));
            assert!(part.contains("72 hours"));
            assert!(part.contains("e-learning") && part.contains("workshop") && part.contains("parenting plan"));
        }
        assert!(e.text.contains("Alex <b>"));
        assert!(e.html.contains("Alex &#60;b&#62;") || e.html.contains("Alex &lt;b&gt;"), "{}", e.html);
    }
}

#[derive(Template)]
#[template(path = "book_workshop.txt")]
struct BookWorkshopText<'a> {
    first_name: &'a str,
    booking_url: &'a str,
    complete_by: &'a str,
}

#[derive(Template)]
#[template(path = "book_workshop.html")]
struct BookWorkshopHtml<'a> {
    first_name: &'a str,
    booking_url: &'a str,
    complete_by: &'a str,
}

pub struct BookWorkshop<'a> {
    pub to: &'a str,
    pub first_name: &'a str,
    pub booking_url: &'a str,
    pub complete_by: Date,
}

pub fn book_workshop(b: &BookWorkshop<'_>) -> Result<Email, askama::Error> {
    let complete_by = long_date(b.complete_by);
    Ok(Email {
        to: vec![b.to.to_owned()],
        subject: "You have finished the e-learning: book your workshop".into(),
        text: BookWorkshopText { first_name: b.first_name, booking_url: b.booking_url, complete_by: &complete_by }.render()?,
        html: BookWorkshopHtml { first_name: b.first_name, booking_url: b.booking_url, complete_by: &complete_by }.render()?,
        attachments: vec![],
    })
}

#[derive(Template)]
#[template(path = "notice.txt")]
struct NoticeText<'a> {
    first_name: &'a str,
    paragraphs: &'a [String],
    action: Option<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticeHtml<'a> {
    title: &'a str,
    first_name: &'a str,
    paragraphs: &'a [String],
    action: Option<(&'a str, &'a str)>,
}

/// A plain notice to a parent: paragraphs and, where there is one, a link to act on.
pub struct Notice<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub first_name: &'a str,
    pub paragraphs: Vec<String>,
    /// (label, url)
    pub action: Option<(&'a str, &'a str)>,
    pub attachments: Vec<pt4c_domain::notice::Attachment>,
}

pub fn notice(n: Notice<'_>) -> Result<Email, askama::Error> {
    Ok(Email {
        to: vec![n.to.to_owned()],
        subject: n.subject.to_owned(),
        text: NoticeText { first_name: n.first_name, paragraphs: &n.paragraphs, action: n.action }.render()?,
        html: NoticeHtml { title: n.subject, first_name: n.first_name, paragraphs: &n.paragraphs, action: n.action }.render()?,
        attachments: n.attachments,
    })
}

/// "Friday 15 January 2027, 10:00am to 12:30pm" in England's time.
pub fn when(starts: jiff::Timestamp, ends: jiff::Timestamp) -> String {
    let tz = pt4c_domain::london();
    let s = starts.to_zoned(tz.clone());
    let e = ends.to_zoned(tz);
    format!("{}, {} to {}", s.strftime("%A %-d %B %Y"), s.strftime("%-I:%M%P"), e.strftime("%-I:%M%P"))
}
