//! Lambda entry point: configuration and clients once per cold start, then the router.

use lambda_http::{run, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    pt4c_adapters::telemetry::init();
    let deps = pt4c_adapters::Deps::from_env(false).await?;
    run(course_admin::router(deps)).await
}
