//! Trying a delivery again inside one invocation, before Lambda's own retries take over.

use std::future::Future;

/// Tries of a delivery inside one invocation: a store or SES refusing for a moment is tried again
/// here before the delivery fails and Lambda's retries (then the dead-letter queue) take over.
/// Only for idempotent work (the notice ledger sends each email once).
pub const TRIES: u32 = 3;

/// Runs `attempt` up to [`TRIES`] times while it fails with an error `transient` says is worth
/// another try, 250 ms, then 500 ms apart; any other outcome is returned at once.
pub async fn in_place<T, E, F, Fut>(transient: impl Fn(&E) -> bool, mut attempt: F) -> Result<T, E>
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut tried = 1;
    loop {
        match attempt().await {
            Err(e) if tried < TRIES && transient(&e) => {
                tracing::warn!(attempt = tried, error = %e, "delivery failed; trying again");
                tokio::time::sleep(std::time::Duration::from_millis(250 * u64::from(tried))).await;
                tried += 1;
            }
            other => return other,
        }
    }
}
