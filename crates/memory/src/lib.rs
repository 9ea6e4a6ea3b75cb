//! The gateways that keep no rules, in memory, for the use cases' tests: the event bus, the mailer
//! and the texter, each recording what it was given, with failures to inject. Storage is not here:
//! its rules live once, as DynamoDB conditions (`pt4c_adapters::dynamo`), and the tests run them
//! on an emulator (`pt4c-emulator`).

mod gateways;
mod texter;

pub use gateways::{MemoryBus, MemoryMailer};
pub use texter::MemoryTexter;
