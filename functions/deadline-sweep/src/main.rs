//! Lambda entry point: configuration and clients once per cold start, then each scheduled run.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};

/// Time kept back from the invocation's deadline to publish what was raised and return.
const MARGIN: std::time::Duration = std::time::Duration::from_secs(20);

#[tokio::main]
async fn main() -> Result<(), Error> {
    pt4c_adapters::telemetry::init();
    let deps = pt4c_adapters::Deps::from_env(false).await?;
    let deps = &deps;
    run(service_fn(move |event: LambdaEvent<deadline_sweep::ScheduledRun>| async move {
        let at = event.payload.time()?;
        let left = event.context.deadline().duration_since(std::time::SystemTime::now()).unwrap_or_default();
        let stop_by = std::time::Instant::now() + left.saturating_sub(MARGIN);
        if event.payload.holds_only() {
            return deadline_sweep::end_holds(deps, at).await.map_err(Error::from);
        }
        deadline_sweep::sweep(deps, at, Some(stop_by)).await.map_err(Error::from)
    }))
    .await
}
