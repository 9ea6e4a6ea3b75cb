//! SNS texter: `Publish` to a phone number as a transactional SMS. A number SNS holds as opted
//! out (it replied STOP) is asked with `CheckIfPhoneNumberIsOptedOut` first, so it is reported as
//! such rather than as a failure. Neither the number nor the text reaches a log.

use aws_sdk_sns::types::MessageAttributeValue;
use aws_sdk_sns::Client;
use pt4c_domain::ports::{PortError, Texter};
use pt4c_domain::sms::{Sms, SmsSent};

#[derive(Clone, Debug)]
pub struct SnsTexter {
    client: Client,
    /// The sender id shown on handsets where the network allows one (UK networks do).
    sender_id: String,
}

pub const SENDER_ID: &str = "PT4C";

impl SnsTexter {
    pub fn new(client: Client) -> Self {
        Self { client, sender_id: SENDER_ID.into() }
    }
}

fn attribute(value: &str) -> Result<MessageAttributeValue, PortError> {
    MessageAttributeValue::builder().data_type("String").string_value(value).build().map_err(|e| PortError::Permanent(e.to_string()))
}

/// The error's code only: SNS's messages may name the number.
fn reason<E: aws_sdk_sns::error::ProvideErrorMetadata, R>(op: &str, e: &aws_sdk_sns::error::SdkError<E, R>) -> PortError {
    use aws_sdk_sns::error::SdkError;
    let why = match e {
        SdkError::ServiceError(se) => se.err().code().unwrap_or("service error").to_owned(),
        SdkError::TimeoutError(_) => "timed out".to_owned(),
        SdkError::DispatchFailure(_) => "could not reach SNS".to_owned(),
        _ => "request failed".to_owned(),
    };
    PortError::Retryable(format!("{op}: {why}"))
}

impl Texter for SnsTexter {
    async fn send(&self, sms: &Sms) -> Result<SmsSent, PortError> {
        let opted_out = self
            .client
            .check_if_phone_number_is_opted_out()
            .phone_number(sms.to.as_str())
            .send()
            .await
            .map_err(|e| reason("CheckIfPhoneNumberIsOptedOut", &e))?;
        if opted_out.is_opted_out() {
            return Ok(SmsSent::OptedOut);
        }
        let out = self
            .client
            .publish()
            .phone_number(sms.to.as_str())
            .message(&sms.text)
            .message_attributes("AWS.SNS.SMS.SMSType", attribute("Transactional")?)
            .message_attributes("AWS.SNS.SMS.SenderID", attribute(&self.sender_id)?)
            .send()
            .await;
        match out {
            Ok(o) => Ok(SmsSent::Sent { message_id: o.message_id().unwrap_or_default().to_owned() }),
            Err(e) => Err(reason("Publish", &e)),
        }
    }
}

impl crate::Deps {
    /// A notice's text (after its email), once, as `pt4c_app::texting::text_once`, logged by ids only.
    pub async fn text(&self, t: pt4c_app::texting::Text<'_>) -> Result<pt4c_app::texting::Texting, PortError> {
        use pt4c_app::texting::Texting;
        let (parent, kind) = (t.parent.clone(), t.kind);
        let result = pt4c_app::texting::text_once(&self.store, &self.texter, &self.config.sms_kinds, t, self.now()).await;
        match &result {
            Ok(Texting::Sent { message_id }) => {
                tracing::info!(parent_id = %parent, kind = kind.as_str(), message_id = %message_id, "text sent")
            }
            Ok(Texting::AlreadySent) => tracing::info!(parent_id = %parent, kind = kind.as_str(), "text already sent"),
            Ok(Texting::OptedOut) => tracing::info!(parent_id = %parent, kind = kind.as_str(), "text not sent: the number opted out"),
            Ok(Texting::NotTexted) => {}
            Err(e) => tracing::warn!(parent_id = %parent, kind = kind.as_str(), error = %e, "text not sent"),
        }
        result
    }
}
