//! Wakes the stack's pollers when something may have arrived for them, so an idle stack does not
//! ask the stand-in for its queues ten times a second (an idle stack's polls cost the stand-in
//! about a third of a core, and as much again in this process).
//!
//! Every AWS call of the stack goes through one HTTP client (`waking`); a call that can put a
//! message on a polled queue (PutEvents: the bus's rules fill the queues; SendMessage) or an email
//! the SES simulator answers (SendRawEmail) wakes every poller once its answer is in. Pollers still
//! poll when idle, less often: a failed delivery's retry becomes visible after its timeout.

use std::sync::Arc;
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use tokio::sync::Notify;

/// How long an idle poller waits when nothing wakes it (a retry's visibility timeout is 1 s or more).
pub const IDLE_POLL: Duration = Duration::from_millis(1000);

/// `sdk` with every call going through an HTTP client that rings `bell` after the calls above.
pub fn waking(sdk: aws_config::SdkConfig, bell: Arc<Notify>) -> aws_config::SdkConfig {
    let inner = sdk.http_client().unwrap_or_else(|| {
        use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
        aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::AwsLc)).build_https()
    });
    sdk.into_builder().http_client(Waking { inner, bell }).build()
}

/// Runs `poll` again at once while it finds work, then waits for the bell (or `idle`).
pub async fn poll_forever<F, Fut>(bell: &Notify, idle: Duration, mut poll: F) -> !
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    loop {
        // Listening before the poll: a ring while it runs is not lost.
        let rung = bell.notified();
        tokio::pin!(rung);
        rung.as_mut().enable();
        if poll().await > 0 {
            continue;
        }
        tokio::select! {
            _ = rung => {}
            _ = tokio::time::sleep(idle) => {}
        }
    }
}

#[derive(Debug, Clone)]
struct Waking {
    inner: SharedHttpClient,
    bell: Arc<Notify>,
}

impl HttpClient for Waking {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(WakingConnector { inner: self.inner.http_connector(settings, components), bell: self.bell.clone() })
    }
}

#[derive(Debug)]
struct WakingConnector {
    inner: SharedHttpConnector,
    bell: Arc<Notify>,
}

impl HttpConnector for WakingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let rings = may_fill_a_queue(&request);
        let answer = self.inner.call(request);
        let bell = self.bell.clone();
        HttpConnectorFuture::new(async move {
            let out = answer.await;
            if rings {
                bell.notify_waiters();
            }
            out
        })
    }
}

fn may_fill_a_queue(request: &HttpRequest) -> bool {
    let target = request.headers().get("x-amz-target").unwrap_or_default();
    if matches!(target, "AWSEvents.PutEvents" | "AmazonSQS.SendMessage" | "AmazonSQS.SendMessageBatch") {
        return true;
    }
    // SES speaks the query protocol: the action is in the form body.
    request.body().bytes().is_some_and(|b| b.windows(b"Action=SendRawEmail".len()).any(|w| w == b"Action=SendRawEmail"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::body::SdkBody;

    fn request(target: Option<&str>, body: &str) -> HttpRequest {
        let mut r = HttpRequest::new(SdkBody::from(body.to_owned()));
        if let Some(t) = target {
            r.headers_mut().insert("x-amz-target", t.to_owned());
        }
        r
    }

    #[test]
    fn calls_that_fill_a_queue_ring_and_reads_do_not() {
        assert!(may_fill_a_queue(&request(Some("AWSEvents.PutEvents"), "{}")));
        assert!(may_fill_a_queue(&request(Some("AmazonSQS.SendMessage"), "{}")));
        assert!(may_fill_a_queue(&request(None, "Action=SendRawEmail&Version=2010-12-01")));
        assert!(!may_fill_a_queue(&request(Some("AmazonSQS.ReceiveMessage"), "{}")));
        assert!(!may_fill_a_queue(&request(Some("DynamoDB_20120810.Query"), "{}")));
        assert!(!may_fill_a_queue(&request(None, "Action=GetSendQuota")));
    }

    async fn until(what: impl Fn() -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::time::Instant::now() < deadline {
            if what() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        false
    }

    fn poller(bell: &Arc<Notify>, idle: Duration) -> (Arc<std::sync::atomic::AtomicUsize>, tokio::task::JoinHandle<()>) {
        let polls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (counted, bell) = (polls.clone(), bell.clone());
        let task = tokio::spawn(async move {
            poll_forever(&bell, idle, || {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async { 0 }
            })
            .await
        });
        (polls, task)
    }

    #[tokio::test]
    async fn an_idle_poller_waits_for_the_bell_and_polls_again_when_it_rings() {
        let bell = Arc::new(Notify::new());
        // an idle wait far longer than the test: only the bell can bring the second poll
        let (polls, task) = poller(&bell, Duration::from_secs(600));
        let count = || polls.load(std::sync::atomic::Ordering::SeqCst);
        assert!(until(|| count() == 1).await, "it polls once at the start");
        bell.notify_waiters();
        assert!(until(|| count() == 2).await, "the bell brings the next poll");
        task.abort();
    }

    #[tokio::test]
    async fn an_unrung_poller_still_polls_after_each_idle_wait() {
        let bell = Arc::new(Notify::new());
        let (polls, task) = poller(&bell, Duration::from_millis(20));
        assert!(until(|| polls.load(std::sync::atomic::Ordering::SeqCst) >= 3).await, "a retry that becomes visible is still found");
        task.abort();
    }
}
