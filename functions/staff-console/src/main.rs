//! Lambda entry point: configuration and clients once per cold start, then the router.

use lambda_http::{run, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    pt4c_adapters::telemetry::init();
    let console = staff_console::Console::from_env().await?;
    run(staff_console::router(console)).await
}
