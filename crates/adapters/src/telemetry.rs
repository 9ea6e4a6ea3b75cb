//! Logs as JSON lines. Handlers log ids and outcomes, never names, emails or phone numbers.

use tracing_subscriber::EnvFilter;

/// The default filter keeps the SDK quiet: its debug logs would carry request bodies.
pub const DEFAULT_FILTER: &str = "info,aws_smithy_runtime=warn,aws_config=warn,hyper=warn";

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .without_time()
        .try_init();
}
