//! The welcome, a requested new link, and the invitation to book once the e-learning is done.

use jiff::civil::Date;
use pt4c_domain::notice::Email;

use super::{email_templates, long_date};

pub struct Welcome<'a> {
    pub to: &'a str,
    pub first_name: &'a str,
    pub hub_url: &'a str,
    pub complete_by: Date,
    pub link_hours: i64,
}

email_templates!(fn render_welcome(Welcome), WelcomeText = "welcome.txt", WelcomeHtml = "welcome.html");

pub fn welcome(w: &Welcome<'_>) -> Result<Email, askama::Error> {
    render_welcome(w, vec![w.to.to_owned()], vec![])
}

pub struct NewLink<'a> {
    pub to: &'a str,
    pub first_name: &'a str,
    pub hub_url: &'a str,
    pub valid_until: Date,
}

email_templates!(fn render_new_link(NewLink), NewLinkText = "new_link.txt", NewLinkHtml = "new_link.html");

pub fn new_link(n: &NewLink<'_>) -> Result<Email, askama::Error> {
    render_new_link(n, vec![n.to.to_owned()], vec![])
}

pub struct BookWorkshop<'a> {
    pub to: &'a str,
    pub first_name: &'a str,
    pub booking_url: &'a str,
    pub complete_by: Date,
}

email_templates!(fn render_book_workshop(BookWorkshop), BookWorkshopText = "book_workshop.txt", BookWorkshopHtml = "book_workshop.html");

pub fn book_workshop(b: &BookWorkshop<'_>) -> Result<Email, askama::Error> {
    render_book_workshop(b, vec![b.to.to_owned()], vec![])
}

/// Dates as the templates show them.
impl Welcome<'_> {
    fn complete_by(&self) -> String {
        long_date(self.complete_by)
    }
}

impl NewLink<'_> {
    fn valid_until(&self) -> String {
        long_date(self.valid_until)
    }
}

impl BookWorkshop<'_> {
    fn complete_by(&self) -> String {
        long_date(self.complete_by)
    }
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
        assert_eq!(e.subject, "Welcome to Planning Together for Children: set up your Parent Hub");
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
