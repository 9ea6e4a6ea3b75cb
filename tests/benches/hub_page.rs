//! Prints the Parent Hub's response time on the local stack (100 requests after a warm-up)
//! and what one page load transfers. A benchmark, not a test: it prints figures and never fails on speed.

use std::time::Instant;

use pt4c_tests::{hub_link, referral, spawn_app};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let app = spawn_app().await;
    assert_eq!(app.post_referral(&referral("BENCH-HUB")).await.status, 201);
    let mail = app.wait_for_mail(2).await;
    let link = hub_link(mail.iter().find(|m| m.to == vec!["alex.hartley@example.com"]).expect("welcome"));

    for _ in 0..10 {
        app.http.get(&link).send().await.unwrap().bytes().await.unwrap();
    }
    let mut ms = Vec::new();
    let mut html_bytes = 0;
    for _ in 0..100 {
        let started = Instant::now();
        let res = app.http.get(&link).send().await.unwrap();
        assert_eq!(res.status(), 200);
        html_bytes = res.bytes().await.unwrap().len();
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    let css = app.http.get(app.api(booking::STYLESHEET)).send().await.unwrap().bytes().await.unwrap().len();

    println!("Parent Hub page, local stack (moto stand-in, dev build), 100 requests:");
    println!("  median {:.1} ms   p90 {:.1} ms   max {:.1} ms", percentile(&ms, 0.5), percentile(&ms, 0.9), ms[ms.len() - 1]);
    println!(
        "A page load transfers (uncompressed): HTML {html_bytes} B + stylesheet {css} B = {} B; no scripts, fonts or images",
        html_bytes + css
    );
    println!("  (the stylesheet is cached for a year, so later pages transfer the HTML only)");
}
