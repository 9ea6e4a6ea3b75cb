//! Management information: every event the report counts, counted once into its months'
//! summaries (`pt4c_app::reporting`). The staff console reads them; nothing here sends anything.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use pt4c_adapters::consumer::{self, ConsumerError, DeadLetterQueue, Delivered};
use pt4c_adapters::Deps;
use pt4c_app::reporting::{self, Counting};

/// Each delivery, tried again in place while it fails for a transient cause; an event that cannot
/// be read goes to `dead_letters` at once (`consumer::deliver` decides which is which).
pub async fn handle(deps: &Deps, dead_letters: &DeadLetterQueue, event: EventBridgeEvent) -> Result<Delivered<Counting>, ConsumerError> {
    consumer::deliver(dead_letters, &event, || handle_once(deps, &event)).await
}

async fn handle_once(deps: &Deps, event: &EventBridgeEvent) -> Result<Counting, ConsumerError> {
    let detail_type = event.detail_type.as_str();
    let domain_event = consumer::read_event(detail_type, event.detail.clone())?;
    let counting = reporting::record(&deps.app, &domain_event).await?;
    tracing::info!(detail_type = %detail_type, counted = counting.counted, already_counted = counting.already_counted,
        seats_changed = counting.seats_changed, "delivery counted");
    Ok(counting)
}
