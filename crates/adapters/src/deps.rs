//! The composition root: the application layer over the AWS adapters, built once per cold start.

use std::ops::Deref;
use std::sync::Arc;

use pt4c_app::{App, Settings};
use pt4c_domain::link::LinkSigner;
use pt4c_domain::{Clock, SystemClock};

use crate::bus::EventBridgeBus;
use crate::config::{link_signer_from_env, Config, ConfigError};
use crate::dynamo::DynamoStore;
use crate::mailer::SesMailer;

/// The use cases' ports as deployed.
pub type AwsApp = App<DynamoStore, EventBridgeBus>;

/// What every handler needs: the application over DynamoDB and EventBridge (its store, bus, link
/// key, clock and settings read through `Deref`), the mailer the consumers send with, and the
/// raw configuration.
#[derive(Clone)]
pub struct Deps {
    pub app: AwsApp,
    pub mailer: SesMailer,
    /// Texts to parents' UK mobiles (SNS).
    pub texter: crate::texter::SnsTexter,
    pub config: Arc<Config>,
}

impl Deref for Deps {
    type Target = AwsApp;

    fn deref(&self) -> &AwsApp {
        &self.app
    }
}

impl Deps {
    /// Builds the AWS clients from an SDK config (the region's in Lambda; moto's locally).
    pub fn new(sdk: &aws_config::SdkConfig, config: Config, links: Option<LinkSigner>, clock: Arc<dyn Clock>) -> Self {
        let settings = Settings {
            timings: config.timings,
            catalogue: config.catalogue.clone(),
            public_base_url: config.public_base_url.clone(),
            elearning_url: config.elearning_url.clone(),
            new_links_per_day: config.new_links_per_day,
        };
        let app = App {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table_name).with_claim_lease(config.claim_lease),
            bus: EventBridgeBus::new(aws_sdk_eventbridge::Client::new(sdk), &config.event_bus_name),
            links,
            clock,
            settings: Arc::new(settings),
        };
        Self {
            app,
            mailer: SesMailer::new(aws_sdk_ses::Client::new(sdk), &config.sender_email)
                .with_configuration_set(config.ses_configuration_set.clone()),
            texter: crate::texter::SnsTexter::new(aws_sdk_sns::Client::new(sdk)),
            config: Arc::new(config),
        }
    }

    /// As in Lambda: configuration from the environment, the region's clients, the real clock.
    /// `with_links`: load the link signing key (only the functions allowed to read it).
    pub async fn from_env(with_links: bool) -> Result<Self, ConfigError> {
        Self::from_sdk_env(&aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await, with_links).await
    }

    /// As `from_env`, over an SDK config the caller loaded once for its other clients too (one
    /// HTTPS client and one credentials chain per cold start).
    pub async fn from_sdk_env(sdk: &aws_config::SdkConfig, with_links: bool) -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let links = if with_links { Some(link_signer_from_env(sdk).await?) } else { None };
        Ok(Self::new(sdk, config, links, Arc::new(SystemClock)))
    }
}

pub use pt4c_app::links::booking_key;
