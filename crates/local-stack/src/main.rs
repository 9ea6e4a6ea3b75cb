//! `pt4c-local`: the whole system on this machine, over the moto stand-in (see the README).

use std::time::Duration;

use anyhow::Context;
use pt4c_local::{start, StackConfig};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    pt4c_adapters::telemetry::init();
    let mut cfg = StackConfig::new(env_or("PT4C_MOTO_ENDPOINT", "http://127.0.0.1:5000"));
    cfg.api_addr = env_or("PT4C_API_ADDR", "127.0.0.1:3000").parse().context("PT4C_API_ADDR")?;
    cfg.control_addr = env_or("PT4C_CONTROL_ADDR", "127.0.0.1:3001").parse().context("PT4C_CONTROL_ADDR")?;
    cfg.prefix = env_or("PT4C_PREFIX", "pt4c-local");
    cfg.public_base_url = std::env::var("PUBLIC_BASE_URL").ok();
    cfg.outbox_grace = jiff::SignedDuration::from_secs(env_or("OUTBOX_GRACE_SECONDS", "10").parse().context("OUTBOX_GRACE_SECONDS")?);
    cfg.relay_every = Duration::from_secs(2);
    cfg.scheduled_sweep = true;
    // PT4C_CLOCK_START: the stack's clock starts at this moment and runs on (real time if unset).
    if let Ok(start) = std::env::var("PT4C_CLOCK_START") {
        cfg.clock_starts_at = Some(start.parse().context("PT4C_CLOCK_START must be an RFC 3339 timestamp")?);
    }
    if let Ok(key) = std::env::var("LINK_SIGNING_KEY") {
        cfg.link_key = key.into_bytes();
    }
    let stack = start(cfg).await?;
    println!("PT4C Hub is running locally.");
    println!("  API            {}", stack.api_url);
    println!("  control plane  {}  (mailbox: {}/mail, clock: PUT {}/clock)", stack.control_url, stack.control_url, stack.control_url);
    println!("  try: curl -i -X POST {}/referrals -H 'content-type: application/json' --data @events/referral.json", stack.api_url);
    // Local only: the seeded accounts' passwords are new at every start, and shown to the person running it.
    println!("  staff console  {}/console/sign-in  (more accounts: POST {}/staff-users)", stack.api_url, stack.control_url);
    for s in &stack.shared.seeded_staff {
        println!("    {:<12} {:<24} password {}", s.role.as_str(), s.email, s.password);
    }
    tokio::signal::ctrl_c().await.ok();
    println!("stopping");
    Ok(())
}
