//! The local mailbox: the emails SES (moto) accepted from this stack's sender, parsed.

use anyhow::Context;
use mail_parser::{MessageParser, MimeHeaders};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Mail {
    pub message_id: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<MailAttachment>,
    pub sent_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MailAttachment {
    pub filename: String,
    pub content_type: String,
    /// Text attachments' content (calendar invitations), so tests and people can read them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Accepted {
    message_id: String,
    raw: String,
    sent_at: String,
}

pub fn parse(message_id: &str, raw: &str, sent_at: &str) -> Mail {
    let parsed = MessageParser::default().parse(raw.as_bytes());
    let addresses = |a: Option<&mail_parser::Address>| -> Vec<String> {
        a.map(|a| a.iter().filter_map(|x| x.address().map(str::to_owned)).collect()).unwrap_or_default()
    };
    match parsed {
        Some(m) => Mail {
            message_id: message_id.to_owned(),
            from: addresses(m.from()).into_iter().next().unwrap_or_default(),
            to: addresses(m.to()),
            subject: m.subject().unwrap_or_default().to_owned(),
            text: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
            html: m.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
            attachments: m
                .attachments()
                .map(|a| MailAttachment {
                    filename: a.attachment_name().unwrap_or_default().to_owned(),
                    content_type: a
                        .content_type()
                        .map(|c| match c.subtype() {
                            Some(sub) => format!("{}/{}", c.ctype(), sub),
                            None => c.ctype().to_owned(),
                        })
                        .unwrap_or_default(),
                    content: a.content_type().filter(|c| c.ctype() == "text").map(|_| String::from_utf8_lossy(a.contents()).into_owned()),
                })
                .collect(),
            sent_at: sent_at.to_owned(),
        },
        None => Mail {
            message_id: message_id.to_owned(),
            from: String::new(),
            to: vec![],
            subject: "(unreadable message)".into(),
            text: raw.to_owned(),
            html: String::new(),
            attachments: vec![],
            sent_at: sent_at.to_owned(),
        },
    }
}

/// Every email this stack's sender sent, oldest first.
pub async fn fetch(http: &reqwest::Client, moto: &str, sender: &str) -> anyhow::Result<Vec<Mail>> {
    let accepted: Vec<Accepted> = http
        .get(format!("{moto}/_pt4c/ses/messages"))
        .query(&[("source", sender)])
        .send()
        .await
        .context("the AWS stand-in did not answer")?
        .error_for_status()?
        .json()
        .await?;
    Ok(accepted.iter().map(|a| parse(&a.message_id, &a.raw, &a.sent_at)).collect())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The mailbox page: every email, newest first, each with its HTML in a sandboxed frame.
pub fn page(mails: &[Mail]) -> String {
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>PT4C local mailbox</title>\
         <style>body{font-family:Arial,sans-serif;margin:2em;color:#0b0c0c}article{border:1px solid #b1b4b6;margin:1em 0;padding:1em}\
         iframe{width:100%;height:480px;border:1px solid #b1b4b6}dt{font-weight:bold}pre{white-space:pre-wrap}</style></head><body>\
         <h1>Local mailbox</h1>",
    );
    html.push_str(&format!("<p>{} emails. JSON: send <code>Accept: application/json</code>.</p>", mails.len()));
    for m in mails.iter().rev() {
        html.push_str(&format!(
            "<article><h2>{}</h2><dl><dt>To</dt><dd>{}</dd><dt>From</dt><dd>{}</dd><dt>Sent</dt><dd>{}</dd><dt>Attachments</dt><dd>{}</dd></dl>\
             <iframe sandbox title=\"{}\" srcdoc=\"{}\"></iframe><details><summary>Text version</summary><pre>{}</pre></details></article>",
            escape(&m.subject),
            escape(&m.to.join(", ")),
            escape(&m.from),
            escape(&m.sent_at),
            escape(&m.attachments.iter().map(|a| format!("{} ({})", a.filename, a.content_type)).collect::<Vec<_>>().join(", ")),
            escape(&m.subject),
            escape(&m.html),
            escape(&m.text),
        ));
    }
    html.push_str("</body></html>");
    html
}

/// The mailbox page with its texts after the emails.
pub fn page_with_texts(mails: &[Mail], texts: &[Text]) -> String {
    let html = page(mails);
    match html.strip_suffix("</body></html>") {
        Some(body) => format!("{body}{}</body></html>", texts_section(texts)),
        None => html,
    }
}

/// A text SNS (moto) accepted: `GET /sms` on the control plane, and the mailbox page's last section.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Text {
    pub message_id: String,
    pub to: String,
    pub text: String,
    pub sent_at: String,
}

/// Every text the stand-in's SNS accepted, oldest first (SNS keeps no sender: a stand-in shared
/// by several stacks lists theirs too; `to` narrows it to one number).
pub async fn fetch_texts(http: &reqwest::Client, moto: &str, to: Option<&str>) -> anyhow::Result<Vec<Text>> {
    let mut request = http.get(format!("{moto}/_pt4c/sns/sms"));
    if let Some(to) = to {
        request = request.query(&[("to", to)]);
    }
    Ok(request.send().await.context("the AWS stand-in did not answer")?.error_for_status()?.json().await?)
}

/// The mailbox page's section of texts, newest first.
pub fn texts_section(texts: &[Text]) -> String {
    let mut html = format!(
        "<section><h1>Text messages</h1><p>{} texts. JSON: <code>GET /sms</code>; a reply: <code>POST /sms/inbound {{\"from\", \"body\"}}</code>.</p>",
        texts.len()
    );
    for t in texts.iter().rev() {
        html.push_str(&format!(
            "<article><dl><dt>To</dt><dd>{}</dd><dt>Sent</dt><dd>{}</dd></dl><p>{}</p></article>",
            escape(&t.to),
            escape(&t.sent_at),
            escape(&t.text)
        ));
    }
    html.push_str("</section>");
    html
}
