//! Calendar invitations (RFC 5545) for booked workshops, in Europe/London local time with the
//! zone's rules included, so calendars show the right time on either side of a clock change.

use jiff::Timestamp;

const LONDON_VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\n\
BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nTZNAME:BST\r\nDTSTART:19700329T010000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
BEGIN:STANDARD\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nTZNAME:GMT\r\nDTSTART:19701025T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
END:VTIMEZONE\r\n";

fn text(s: &str) -> String {
    s.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace("\r\n", "\\n").replace('\n', "\\n")
}

/// Lines of at most 75 octets, continued with a space (RFC 5545 3.1), never splitting a character.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

fn local(t: Timestamp) -> String {
    t.to_zoned(pt4c_domain::london()).strftime("%Y%m%dT%H%M%S").to_string()
}

/// What the calendar is asked to do with the event (RFC 5546): a booking's first invitation is
/// published; an update is a request carrying a higher `SEQUENCE` for the same UID; a cancel
/// removes the event of that UID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Publish,
    Request,
    Cancel,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// One parent's calendar event for one booking: the same UID in every invitation about it.
pub fn booking_uid(workshop: &pt4c_domain::WorkshopId, parent: &pt4c_domain::ParentId) -> String {
    format!("{workshop}-{parent}@pt4c")
}

pub struct Invitation<'a> {
    pub method: Method,
    pub uid: &'a str,
    /// The workshop's edit count: a calendar applies an update only over a lower one.
    pub sequence: u32,
    /// Who sends it (REQUEST and CANCEL name their organizer).
    pub organizer: &'a str,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub summary: &'a str,
    pub location: &'a str,
    pub description: &'a str,
    pub stamp: Timestamp,
}

pub fn invitation(i: &Invitation<'_>) -> String {
    let mut ics = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//PT4C Hub//Workshops//EN\r\nCALSCALE:GREGORIAN\r\n");
    ics.push_str(&format!("METHOD:{}\r\n", i.method.name()));
    ics.push_str(LONDON_VTIMEZONE);
    ics.push_str("BEGIN:VEVENT\r\n");
    ics.push_str(&fold(&format!("UID:{}", text(i.uid))));
    ics.push_str(&format!("SEQUENCE:{}\r\n", i.sequence));
    if i.method != Method::Publish {
        ics.push_str(&fold(&format!("ORGANIZER;CN=Planning Together for Children:mailto:{}", i.organizer)));
    }
    if i.method == Method::Cancel {
        ics.push_str("STATUS:CANCELLED\r\n");
    }
    ics.push_str(&format!("DTSTAMP:{}\r\n", i.stamp.strftime("%Y%m%dT%H%M%SZ")));
    ics.push_str(&format!("DTSTART;TZID=Europe/London:{}\r\n", local(i.starts_at)));
    ics.push_str(&format!("DTEND;TZID=Europe/London:{}\r\n", local(i.ends_at)));
    ics.push_str(&fold(&format!("SUMMARY:{}", text(i.summary))));
    ics.push_str(&fold(&format!("LOCATION:{}", text(i.location))));
    ics.push_str(&fold(&format!("DESCRIPTION:{}", text(i.description))));
    ics.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    ics
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets() {
        let folded = fold(&format!("LOCATION:{}", "é".repeat(60)));
        assert!(folded.split("\r\n").all(|l| l.len() <= 75));
        assert_eq!(folded.replace("\r\n ", ""), format!("LOCATION:{}\r\n", "é".repeat(60)));
    }

    #[test]
    fn times_are_london_local_in_winter_and_summer() {
        let make = |start: &str| {
            invitation(&Invitation {
                method: Method::Publish,
                uid: "w@pt4c",
                sequence: 0,
                organizer: "hub@pt4c.example",
                starts_at: start.parse().unwrap(),
                ends_at: start.parse::<Timestamp>().unwrap() + jiff::SignedDuration::from_mins(150),
                summary: "Workshop",
                location: "Online",
                description: "x",
                stamp: start.parse().unwrap(),
            })
        };
        assert!(make("2027-01-15T10:00:00Z").contains("DTSTART;TZID=Europe/London:20270115T100000"));
        assert!(make("2027-07-15T09:00:00Z").contains("DTSTART;TZID=Europe/London:20270715T100000"));
    }

    #[test]
    fn an_update_and_a_cancel_carry_their_method_sequence_and_organizer() {
        let at: Timestamp = "2027-01-15T10:00:00Z".parse().unwrap();
        let make = |method, sequence| {
            invitation(&Invitation {
                method,
                uid: "w-p@pt4c",
                sequence,
                organizer: "hub@pt4c.example",
                starts_at: at,
                ends_at: at,
                summary: "Workshop",
                location: "Online",
                description: "x",
                stamp: at,
            })
        };
        let update = make(Method::Request, 2);
        assert!(update.contains("METHOD:REQUEST\r\n") && update.contains("SEQUENCE:2\r\n") && update.contains("UID:w-p@pt4c\r\n"));
        assert!(update.contains("ORGANIZER;CN=Planning Together for Children:mailto:hub@pt4c.example\r\n"));
        assert!(!update.contains("STATUS:CANCELLED"));
        let cancel = make(Method::Cancel, 2);
        assert!(cancel.contains("METHOD:CANCEL\r\n") && cancel.contains("STATUS:CANCELLED\r\n"));
        let first = make(Method::Publish, 0);
        assert!(first.contains("METHOD:PUBLISH\r\n") && first.contains("SEQUENCE:0\r\n") && !first.contains("ORGANIZER"));
    }
}
