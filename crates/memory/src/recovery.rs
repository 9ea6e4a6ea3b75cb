//! Parents by email address and the request counters of `/new-link`, as the DynamoDB store keeps
//! them: the email index holds each stored parent's address key; a counter refuses past its max.

use pt4c_domain::ports::{LinkRecoveryStore, PortError};
use pt4c_domain::recovery::{email_key, RateWindow};
use pt4c_domain::ParentId;

use crate::{MemoryStore, Op};

impl LinkRecoveryStore for MemoryStore {
    async fn parents_by_email(&self, key: &str) -> Result<Vec<ParentId>, PortError> {
        self.run(Op::Recovery, |s| {
            Ok(s.parents.values().filter(|p| email_key(p.details.email.as_str()) == key).map(|p| p.parent_id.clone()).collect())
        })
    }

    async fn count_request(&self, window: &RateWindow) -> Result<bool, PortError> {
        self.run(Op::Recovery, |s| {
            let count = s.rate_counters.entry((window.key.clone(), window.window.clone())).or_insert(0);
            if *count >= window.max {
                return Ok(false);
            }
            *count += 1;
            Ok(true)
        })
    }
}
