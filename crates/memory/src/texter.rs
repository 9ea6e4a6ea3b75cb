//! A texter in memory: what was sent, and failures to inject.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use pt4c_domain::ports::{PortError, Texter};
use pt4c_domain::sms::{Sms, SmsSent, UkMobile};

#[derive(Debug, Default)]
struct TexterState {
    sent: Vec<(String, Sms)>,
    opted_out: BTreeSet<UkMobile>,
    faults: VecDeque<PortError>,
}

/// Records every text sent (`sms-1`, `sms-2`, …); a number marked opted out gets `OptedOut`, as
/// the provider answers. Clones share the record.
#[derive(Clone, Debug, Default)]
pub struct MemoryTexter {
    state: Arc<Mutex<TexterState>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MemoryTexter {
    pub fn new() -> Self {
        Self::default()
    }

    /// The texts sent, in order.
    pub fn sent(&self) -> Vec<Sms> {
        lock(&self.state).sent.iter().map(|(_, s)| s.clone()).collect()
    }

    /// The provider holds `number` as opted out (it replied STOP to the provider directly).
    pub fn opted_out_at_provider(&self, number: &UkMobile) {
        lock(&self.state).opted_out.insert(number.clone());
    }

    /// The next send fails with `error`; nothing is recorded.
    pub fn fail_next(&self, error: PortError) {
        lock(&self.state).faults.push_back(error);
    }
}

impl Texter for MemoryTexter {
    async fn send(&self, sms: &Sms) -> Result<SmsSent, PortError> {
        let mut s = lock(&self.state);
        if let Some(e) = s.faults.pop_front() {
            return Err(e);
        }
        if s.opted_out.contains(&sms.to) {
            return Ok(SmsSent::OptedOut);
        }
        let id = format!("sms-{}", s.sent.len() + 1);
        s.sent.push((id.clone(), sms.clone()));
        Ok(SmsSent::Sent { message_id: id })
    }
}
