//! Adapters for the domain's ports: DynamoDB, SES, EventBridge, plus configuration,
//! email templates and HTTP problem details shared by the functions.

pub mod bus;
pub mod cognito;
pub mod config;
pub mod consumer;
pub mod deps;
pub mod dynamo;
pub mod emails;
pub mod http;
pub mod ics;
pub mod mailer;
pub mod problem;
pub mod retry;
pub mod telemetry;
pub mod texter;

pub use config::Config;
pub use deps::Deps;
