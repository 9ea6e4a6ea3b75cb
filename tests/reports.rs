//! Management information: a small course driven through the API, counted by the reporting
//! consumer from the bus, shown to a coordinator by month and exported as CSV; an event delivered
//! again is not counted again.

use jiff::Timestamp;
use pt4c_domain::link::Purpose;
use pt4c_domain::staff::StaffRole;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE};
use serde_json::json;

use pt4c_tests::console::Browser;
use pt4c_tests::course::NewWorkshop;
use pt4c_tests::{eventbridge, referral, spawn_app, TestApp};

fn t(s: &str) -> Timestamp {
    s.parse().expect("a timestamp")
}

/// The CSV export as the coordinator's browser gets it: (content type, disposition, body).
async fn export(app: &TestApp, browser: &Browser<'_>, query: &str) -> (String, String, String) {
    let cookies = browser.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let res = app.http.get(app.api(&format!("/console/reports.csv?{query}"))).header(COOKIE, cookies).send().await.expect("an answer");
    assert_eq!(res.status().as_u16(), 200);
    let header = |name| res.headers().get(name).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok()).unwrap_or_default().to_owned();
    let (kind, disposition) = (header(CONTENT_TYPE), header(CONTENT_DISPOSITION));
    (kind, disposition, res.text().await.expect("a body"))
}

fn row(text: &str, month: &str) -> Vec<(String, String)> {
    let mut lines = text.split("\r\n");
    let header: Vec<String> = lines.next().expect("a header").split(',').map(str::to_owned).collect();
    let line = lines.find(|l| l.starts_with(month)).expect("the month's row");
    header.into_iter().zip(line.split(',').map(str::to_owned)).collect()
}

fn cell<'a>(row: &'a [(String, String)], name: &str) -> &'a str {
    &row.iter().find(|(h, _)| h == name).unwrap_or_else(|| panic!("column {name}")).1
}

#[tokio::test]
async fn a_small_course_is_counted_by_month_shown_to_coordinators_and_exported_and_a_redelivery_counts_nothing() {
    let app = spawn_app().await;
    app.stack.set_clock(Some(t("2026-11-20T09:00:00Z")));
    assert_eq!(app.post_referral(&referral("MI-REPORT-1")).await.status, 201);
    let (a, b) = ("MI-REPORT-1.A", "MI-REPORT-1.B");

    // A sets up their hub a day and two hours after the invitation, then both finish the e-learning.
    app.stack.set_clock(Some(t("2026-11-21T11:00:00Z")));
    let hub = app.link(a, Purpose::Hub);
    assert!(app.send(reqwest::Method::POST, &format!("/hub/{hub}/activate"), None, vec![]).await.status < 400);
    app.stack.set_clock(Some(t("2026-11-23T10:00:00Z")));
    app.finish_elearning(a).await;
    app.finish_elearning(b).await;

    // Two workshops of 6 on 28 November; A attends one, B misses the other.
    let wa = app.publish_workshop(NewWorkshop::online().at(t("2026-11-28T10:00:00Z"))).await;
    let wb = app.publish_workshop(NewWorkshop::online().at(t("2026-11-28T14:00:00Z"))).await;
    app.booked(a, &wa).await;
    app.booked(b, &wb).await;
    app.stack.set_clock(Some(t("2026-11-28T18:00:00Z")));
    assert_eq!(app.attendance(&wa, a, true).await.status, 200);
    assert_eq!(app.attendance(&wb, b, false).await.status, 200);
    app.quiet().await;

    let mut coordinator = app.staff("mia.coordinator@pt4c.example", StaffRole::Coordinator).await;
    let page = coordinator.get("/console/reports?month=2026-11").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let shows = |name: &str, value: &str| page.body.contains(&format!("{name}</dt><dd class=\"govuk-summary-list__value\">{value}"));
    assert!(shows("Referrals received", "1"), "{}", page.body);
    assert!(shows("To activation: median", "1 day"));
    assert!(shows("To e-learning complete: median", "3 days"));
    assert!(shows("To the workshop attended: median", "8 days"));
    assert!(shows("Did-not-attend rate", "50.0% (1 of 2 recorded)"));
    assert!(shows("Parents completed", "1"));
    assert!(shows("Seat fill", "16.7% (2 of 12 seats)"));
    assert!(page.body.contains("href=\"/console/reports\""), "the navigation links the reports");

    let (kind, disposition, text) = export(&app, &coordinator, "from=2026-10&to=2026-12").await;
    assert!(kind.starts_with("text/csv"), "{kind}");
    assert!(disposition.starts_with("attachment;") && disposition.contains("2026-10-to-2026-12.csv"), "{disposition}");
    assert_eq!(text.split("\r\n").filter(|l| !l.is_empty()).count(), 4, "a header and three months");
    for line in text.split("\r\n").skip(1) {
        assert!(line.split(',').all(|c| !c.starts_with(['=', '+', '-', '@'])), "{line}");
    }
    let nov = row(&text, "2026-11");
    assert_eq!(cell(&nov, "referrals_received"), "1");
    assert_eq!(cell(&nov, "days_to_activation_median"), "1");
    assert_eq!(cell(&nov, "days_to_elearning_p90"), "3");
    assert_eq!(cell(&nov, "did_not_attend_percent"), "50.0");
    assert_eq!(cell(&nov, "parents_completed"), "1");
    assert_eq!(cell(&nov, "seat_fill_percent"), "16.7");
    assert_eq!(cell(&row(&text, "2026-10"), "seat_fill_percent"), "", "no workshops: not applicable");

    // The bus delivers the referral's event again (twice): nothing more is counted.
    let seen = app.events("ReferralReceived");
    let detail = seen.iter().find(|e| e.detail["referralId"] == json!("MI-REPORT-1")).expect("the event").detail.clone();
    for _ in 0..2 {
        let (status, error, body) = app.invoke("ReportingFunction", &eventbridge("ReferralReceived", detail.clone())).await;
        assert_eq!((status, error), (200, None));
        assert_eq!(body["alreadyCounted"], json!(true), "{body}");
    }
    let (_, _, again) = export(&app, &coordinator, "from=2026-10&to=2026-12").await;
    assert_eq!(again, text);

    // Trainers and advisers may not see it; a bad month is refused.
    let mut trainer = app.staff("tom.trainer@pt4c.example", StaffRole::Trainer).await;
    assert_eq!(trainer.get("/console/reports").await.status, 403);
    assert_eq!(trainer.get("/console/reports.csv").await.status, 403);
    assert_eq!(coordinator.get("/console/reports?month=2026-13").await.status, 400);
    assert_eq!(coordinator.get("/console/reports.csv?from=2026-12&to=2026-10").await.status, 400);
}
