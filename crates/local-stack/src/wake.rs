//! Wakes the stack's pollers when something may have arrived for them, so an idle stack does not
//! ask the stand-in for its queues ten times a second (an idle stack's polls cost the stand-in
//! about a third of a core, and as much again in this process).
//!
//! The stack's wire (`wire`) rings the bell after every call that can put a message on a polled
//! queue or an email the SES simulator answers. Pollers still poll when idle, less often: a failed
//! delivery's retry becomes visible after its timeout.

use std::time::Duration;

use tokio::sync::Notify;

/// How long an idle poller waits when nothing wakes it (a retry's visibility timeout is 1 s or more).
pub const IDLE_POLL: Duration = Duration::from_millis(1000);

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

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
