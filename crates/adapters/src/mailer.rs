//! SES mailer: MIME built with mail-builder, sent with SendRawEmail.

use aws_sdk_ses::primitives::Blob;
use aws_sdk_ses::types::RawMessage;
use aws_sdk_ses::Client;
use mail_builder::MessageBuilder;
use pt4c_domain::notice::Email;
use pt4c_domain::ports::{Mailer, PortError};

#[derive(Clone, Debug)]
pub struct SesMailer {
    client: Client,
    sender: String,
    /// Every email goes through it, so SES reports what became of each.
    configuration_set: Option<String>,
}

const SENDER_NAME: &str = "Planning Together for Children";

impl SesMailer {
    pub fn new(client: Client, sender: impl Into<String>) -> Self {
        Self { client, sender: sender.into(), configuration_set: None }
    }

    pub fn with_configuration_set(mut self, name: Option<String>) -> Self {
        self.configuration_set = name;
        self
    }

    pub fn mime(&self, email: &Email) -> Result<Vec<u8>, PortError> {
        let mut message = MessageBuilder::new()
            .from((SENDER_NAME, self.sender.as_str()))
            .to(email.to.iter().map(String::as_str).collect::<Vec<_>>())
            .subject(email.subject.as_str())
            .text_body(email.text.as_str())
            .html_body(email.html.as_str());
        for a in &email.attachments {
            message = message.attachment(a.content_type.as_str(), a.filename.as_str(), a.content.as_slice());
        }
        message.write_to_vec().map_err(|e| PortError::Permanent(format!("MIME: {e}")))
    }
}

impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<String, PortError> {
        let raw = self.mime(email)?;
        let out = self
            .client
            .send_raw_email()
            .source(&self.sender)
            .set_configuration_set_name(self.configuration_set.clone())
            .set_destinations(Some(email.to.clone()))
            .raw_message(RawMessage::builder().data(Blob::new(raw)).build().map_err(|e| PortError::Permanent(e.to_string()))?)
            .send()
            .await
            .map_err(|e| {
                // SES may refuse for a reason that passes (throttling) or not; either way the
                // claim is released and the event retried until the dead-letter queue takes it.
                // The error code only: SES's messages can name the recipients, which must not reach a log.
                use aws_sdk_ses::error::{ProvideErrorMetadata, SdkError};
                let reason = match &e {
                    SdkError::ServiceError(se) => se.err().code().unwrap_or("service error").to_owned(),
                    SdkError::TimeoutError(_) => "timed out".to_owned(),
                    SdkError::DispatchFailure(_) => "could not reach SES".to_owned(),
                    _ => "request failed".to_owned(),
                };
                PortError::Retryable(format!("SendRawEmail: {reason}"))
            })?;
        Ok(out.message_id)
    }
}
