//! Lambda entry point: configuration, clients and the link key once per cold start, then the router.

use lambda_http::{run, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    pt4c_adapters::telemetry::init();
    let deps = pt4c_adapters::Deps::from_env(true).await?;
    run(booking::router(deps)).await
}
