//! Configuration from the environment (template parameters in AWS, the local stack's settings locally).

use jiff::SignedDuration;
use pt4c_domain::elearning::Catalogue;
use pt4c_domain::link::LinkSigner;

pub const DEFAULT_ELEARNING_URL: &str = "https://learning.pt4c.example/";
pub const DEFAULT_PARENTING_PLAN_URL: &str = "https://learning.pt4c.example/parenting-plan";
use pt4c_domain::timings::Timings;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is missing")]
    Missing(&'static str),
    #[error("environment variable {0} is not valid: {1}")]
    Invalid(&'static str, String),
    #[error("the link signing key could not be loaded: {0}")]
    Key(String),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub event_bus_name: String,
    pub sender_email: String,
    /// The SES configuration set every email goes through, whose events (delivered, bounced,
    /// complained, rejected, delayed) reach the delivery-status function (`SES_CONFIGURATION_SET`).
    pub ses_configuration_set: Option<String>,
    /// Links in emails are absolute, built on this.
    pub public_base_url: String,
    pub timings: Timings,
    /// How old an outbox event must be before the relay republishes it.
    pub outbox_grace: SignedDuration,
    pub catalogue: Catalogue,
    /// Where parents do the e-learning.
    pub elearning_url: String,
    /// Fresh links a parent may ask for in a day.
    pub new_links_per_day: u32,
    /// The online parenting plan parents are introduced to once they complete.
    pub parenting_plan_url: String,
    /// How long a claim on sending an email holds: longer than a function may run (its timeout),
    /// shorter than the wait before the first retry of its event, so a sender cut off is taken
    /// over by the retry and no email is lost to the dead-letter queue.
    pub claim_lease: std::time::Duration,
    /// The coordinators' shared address: arrangements due and capacity shortfalls.
    pub coordinators_email: String,
    /// Who runs the service and how to reach them: the accessibility, privacy and contact pages.
    pub service: ServiceInfo,
    /// Which notices also go by text to a parent's UK mobile (`SMS_KINDS`, comma-separated kind names; `none`: no texts).
    pub sms_kinds: pt4c_domain::sms::SmsKinds,
}

/// The organisations and addresses the public pages name (content as configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInfo {
    /// Who runs the course for Cafcass (`SERVICE_OPERATOR`).
    pub operator: String,
    /// Who decides what is done with parents' data (`DATA_CONTROLLER`).
    pub controller: String,
    /// Where parents write about the service, their data or the pages' accessibility (`SERVICE_CONTACT_EMAIL`).
    pub contact_email: String,
    /// A telephone line, if there is one (`SERVICE_CONTACT_PHONE`).
    pub contact_phone: Option<String>,
}

impl Default for ServiceInfo {
    fn default() -> Self {
        Self {
            operator: "Action for Children".into(),
            controller: "Cafcass (the Children and Family Court Advisory and Support Service)".into(),
            contact_email: "pt4c@pt4c.example".into(),
            contact_phone: None,
        }
    }
}

impl ServiceInfo {
    fn from_env() -> Self {
        let d = Self::default();
        let or = |name: &str, default: String| std::env::var(name).ok().filter(|v| !v.trim().is_empty()).unwrap_or(default);
        Self {
            operator: or("SERVICE_OPERATOR", d.operator),
            controller: or("DATA_CONTROLLER", d.controller),
            contact_email: or("SERVICE_CONTACT_EMAIL", d.contact_email),
            contact_phone: std::env::var("SERVICE_CONTACT_PHONE").ok().filter(|v| !v.trim().is_empty()),
        }
    }
}

/// Where the coordinators' emails go when `COORDINATORS_EMAIL` is not set (the local stack).
pub const DEFAULT_COORDINATORS_EMAIL: &str = "coordinators@pt4c.local";

fn var(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name).map_err(|_| ConfigError::Missing(name))
}

fn number(name: &'static str, default: i64) -> Result<i64, ConfigError> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(v) => v.trim().parse().map_err(|_| ConfigError::Invalid(name, "not a whole number".into())),
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: var("TABLE_NAME")?,
            event_bus_name: var("EVENT_BUS_NAME")?,
            sender_email: var("SENDER_EMAIL")?,
            ses_configuration_set: std::env::var("SES_CONFIGURATION_SET").ok().filter(|s| !s.trim().is_empty()),
            public_base_url: var("PUBLIC_BASE_URL")?.trim_end_matches('/').to_owned(),
            timings: Timings {
                activation_link: SignedDuration::from_hours(number("ACTIVATION_LINK_HOURS", 72)?),
                link_validity: SignedDuration::from_hours(24 * number("LINK_VALIDITY_DAYS", 30)?),
                retention: SignedDuration::from_hours(24 * number("RETENTION_DAYS", 365)?),
                activation_reminder: SignedDuration::from_hours(number("ACTIVATION_REMINDER_HOURS", 48)?),
                elearning_reminder: SignedDuration::from_hours(24 * number("ELEARNING_REMINDER_DAYS", 7)?),
                booking_reminder: SignedDuration::from_hours(24 * number("BOOKING_REMINDER_DAYS", 7)?),
                workshop_reminder: SignedDuration::from_hours(number("WORKSHOP_REMINDER_HOURS", 48)?),
                deadline_warning_days: number("DEADLINE_WARNING_DAYS", 14)?,
                follow_up: SignedDuration::from_hours(24 * number("FOLLOW_UP_DAYS", 42)?),
                attendance_grace: SignedDuration::from_hours(24 * number("ATTENDANCE_GRACE_DAYS", 3)?),
                offer_hold: SignedDuration::from_hours(number("OFFER_HOLD_HOURS", 24)?),
                offer_cutoff: SignedDuration::from_hours(number("OFFER_CUTOFF_HOURS", 12)?),
                task_flag: SignedDuration::from_hours(number("TASK_FLAG_HOURS", 72)?),
                forecast_weeks: number("FORECAST_WEEKS", 8)?,
                forecast_alert_days: number("FORECAST_ALERT_DAYS", 21)?,
                new_link_requests_per_address: number("NEW_LINK_REQUESTS_PER_ADDRESS", 3)?.max(1) as u32,
                new_link_requests_per_client: number("NEW_LINK_REQUESTS_PER_CLIENT_HOUR", 20)?.max(1) as u32,
                new_link_answer_floor: SignedDuration::from_millis(number("NEW_LINK_ANSWER_FLOOR_MS", 300)?.max(0)),
            },
            outbox_grace: SignedDuration::from_secs(number("OUTBOX_GRACE_SECONDS", 60)?),
            catalogue: match std::env::var("ELEARNING_MODULES") {
                Ok(v) => Catalogue::parse(&v).map_err(|e| ConfigError::Invalid("ELEARNING_MODULES", e))?,
                Err(_) => Catalogue::default(),
            },
            elearning_url: std::env::var("ELEARNING_URL").unwrap_or_else(|_| DEFAULT_ELEARNING_URL.into()),
            new_links_per_day: number("NEW_LINKS_PER_DAY", 3)? as u32,
            parenting_plan_url: std::env::var("PARENTING_PLAN_URL").unwrap_or_else(|_| DEFAULT_PARENTING_PLAN_URL.into()),
            claim_lease: std::time::Duration::from_secs(number("CLAIM_LEASE_SECONDS", 30)?.max(1) as u64),
            coordinators_email: std::env::var("COORDINATORS_EMAIL").unwrap_or_else(|_| DEFAULT_COORDINATORS_EMAIL.into()),
            service: ServiceInfo::from_env(),
            sms_kinds: match std::env::var("SMS_KINDS") {
                Ok(v) => pt4c_domain::sms::SmsKinds::parse(&v).map_err(|e| ConfigError::Invalid("SMS_KINDS", e))?,
                Err(_) => pt4c_domain::sms::SmsKinds::default(),
            },
        })
    }
}

/// The key that signs parents' links: `LINK_SIGNING_KEY` where set (local runs), otherwise the
/// SSM SecureString named by `LINK_KEY_PARAMETER`, read once at cold start.
pub async fn link_signer_from_env(sdk: &aws_config::SdkConfig) -> Result<LinkSigner, ConfigError> {
    let key = match std::env::var("LINK_SIGNING_KEY") {
        Ok(k) => k,
        Err(_) => {
            let name = var("LINK_KEY_PARAMETER")?;
            let ssm = aws_sdk_ssm::Client::new(sdk);
            let out = ssm
                .get_parameter()
                .name(&name)
                .with_decryption(true)
                .send()
                .await
                .map_err(|e| ConfigError::Key(aws_sdk_ssm::error::DisplayErrorContext(e).to_string()))?;
            out.parameter.and_then(|p| p.value).ok_or_else(|| ConfigError::Key("the parameter has no value".into()))?
        }
    };
    LinkSigner::new(key.as_bytes()).map_err(|e| ConfigError::Key(e.to_string()))
}
