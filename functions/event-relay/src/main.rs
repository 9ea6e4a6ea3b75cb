//! Lambda entry point: configuration and clients once per cold start, then each scheduled run.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    pt4c_adapters::telemetry::init();
    let deps = pt4c_adapters::Deps::from_env(false).await?;
    let deps = &deps;
    run(service_fn(move |_: LambdaEvent<serde_json::Value>| async move { event_relay::relay(deps).await.map_err(Error::from) })).await
}
