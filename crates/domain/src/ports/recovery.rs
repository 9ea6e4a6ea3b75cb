//! Finding parents by the address they give, and counting their requests (`crate::recovery`).

use std::future::Future;

use crate::recovery::RateWindow;
use crate::ParentId;

use super::PortError;

pub trait LinkRecoveryStore: Send + Sync {
    /// The parents whose address on file has this key (`recovery::email_key`): one Query of the
    /// sparse email index, never a Scan. Erased parents are not found.
    fn parents_by_email(&self, email_key: &str) -> impl Future<Output = Result<Vec<ParentId>, PortError>> + Send;

    /// Counts one request in its window: false (nothing written) once `window.max` were counted.
    fn count_request(&self, window: &RateWindow) -> impl Future<Output = Result<bool, PortError>> + Send;
}
