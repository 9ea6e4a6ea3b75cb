//! Lambda entry point: configuration and clients once per cold start, then each SES report.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    pt4c_adapters::telemetry::init();
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let deps = pt4c_adapters::Deps::from_sdk_env(&sdk, false).await?;
    let dead_letters = pt4c_adapters::consumer::DeadLetterQueue::from_env(&sdk)?;
    let (deps, dead_letters) = (&deps, &dead_letters);
    run(service_fn(move |event: LambdaEvent<EventBridgeEvent>| async move {
        delivery_status::handle(deps, dead_letters, event.payload).await.map_err(Error::from)
    }))
    .await
}
