//! Lambda entry point: configuration and clients once per cold start, then each SNS delivery.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    pt4c_adapters::telemetry::init();
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let deps = pt4c_adapters::Deps::from_sdk_env(&sdk, false).await?;
    let deps = &deps;
    run(service_fn(move |event: LambdaEvent<sms_inbound::SnsEvent>| async move {
        sms_inbound::handle(deps, event.payload).await.map_err(Error::from)
    }))
    .await
}
