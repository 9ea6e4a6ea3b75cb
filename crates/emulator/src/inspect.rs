//! What the store's tests read back from the table, by the keys `pt4c_adapters::dynamo::keys` and
//! the layout its module documents: one reader for the use cases' tests and the store's contract
//! suite, on any DynamoDB.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use jiff::Timestamp;
use pt4c_adapters::dynamo::keys;
use pt4c_domain::events::OutboxEvent;
use pt4c_domain::notice::NoticeKind;
use pt4c_domain::{ParentId, ReferralId, WorkshopId};

pub type Item = HashMap<String, AttributeValue>;

/// A table the store writes to, read as its tests need.
#[derive(Clone, Debug)]
pub struct Table {
    pub client: Client,
    pub name: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// An item's text attribute (empty when absent).
pub fn text(i: &Item, k: &str) -> String {
    i.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
}

fn number(i: &Item, k: &str) -> Option<u128> {
    i.get(k).and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok())
}

fn outbox_event(json: &str) -> OutboxEvent {
    serde_json::from_str(json).expect("an outbox event")
}

/// The events of the outbox items among images written (DynamoDB JSON, as a stream gives them).
pub fn outbox_events(images: &[serde_json::Value]) -> Vec<OutboxEvent> {
    images
        .iter()
        .filter(|i| i["sk"]["S"] == keys::OUTBOX_DUE_PK)
        .map(|i| outbox_event(i["event"]["S"].as_str().expect("an outbox item has its event")))
        .collect()
}

impl Table {
    pub async fn item(&self, pk: String, sk: String) -> Option<Item> {
        let got = self.client.get_item().table_name(&self.name).key("pk", s(pk)).key("sk", s(sk)).consistent_read(true);
        got.send().await.expect("get item").item
    }

    /// Items in a partition, by sort-key prefix (none: the whole partition; DynamoDB refuses an
    /// empty `begins_with` on a key, which dynoxide lets through), every page.
    pub async fn partition(&self, pk: String, prefix: &str) -> Vec<Item> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let q = self.client.query().table_name(&self.name).expression_attribute_values(":pk", s(&pk)).consistent_read(true);
            let q = match prefix {
                "" => q.key_condition_expression("pk = :pk"),
                p => q.key_condition_expression("pk = :pk AND begins_with(sk, :p)").expression_attribute_values(":p", s(p)),
            };
            let out = q.set_exclusive_start_key(start).send().await.expect("query");
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return items,
            }
        }
    }

    /// Every item matching a filter, every page.
    pub async fn scan(&self, filter: &str, values: &[(&str, &str)]) -> Vec<Item> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let mut scan = self.client.scan().table_name(&self.name).filter_expression(filter).consistent_read(true);
            for (k, v) in values {
                scan = scan.expression_attribute_values(*k, s(*v));
            }
            let out = scan.set_exclusive_start_key(start).send().await.expect("scan");
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return items,
            }
        }
    }

    /// Events in the outbox now (written, not yet published), oldest first.
    pub async fn pending_events(&self) -> Vec<OutboxEvent> {
        let items = self.scan("sk = :o", &[(":o", keys::OUTBOX_DUE_PK)]).await;
        let mut events: Vec<OutboxEvent> = items.iter().map(|i| outbox_event(&text(i, "event"))).collect();
        events.sort_by(|a, b| (a.created_at, &a.event_id).cmp(&(b.created_at, &b.event_id)));
        events
    }

    /// Items stored under a referral (its partition): the referral, parents, notices, link counts,
    /// follow-ups, concerns, tasks.
    pub async fn referral_items(&self, id: &ReferralId) -> usize {
        self.partition(keys::referral_pk(id), "").await.len()
    }

    /// The roster places (co-parent guards) on a workshop: (case number, parent).
    pub async fn roster_places(&self, w: &WorkshopId) -> Vec<(String, ParentId)> {
        let prefix = keys::roster_sk("");
        let places = self.partition(keys::workshop_pk(w), &prefix).await;
        let place = |i: &Item| {
            let case = text(i, "sk").trim_start_matches(&prefix).to_owned();
            (case, ParentId::parse(&text(i, "parentId")).expect("a parent id on the roster"))
        };
        places.iter().map(place).collect()
    }

    /// Requests for a fresh link counted for the parent on `day`.
    pub async fn link_requests(&self, p: &ParentId, day: jiff::civil::Date) -> u32 {
        let item = self.item(keys::referral_pk(p.referral_id()), keys::link_requests_sk(p.parent_ref(), day)).await;
        item.and_then(|i| number(&i, "requests")).map_or(0, |n| u32::try_from(n).expect("a count"))
    }

    /// The (kind, subject) of every email recorded sent to the parent, in the order sent.
    pub async fn notices_sent(&self, p: &ParentId) -> Vec<(NoticeKind, String)> {
        let items = self.partition(keys::referral_pk(p.referral_id()), &format!("NOTICE#{}#", p.parent_ref())).await;
        let mut sent: Vec<(u128, NoticeKind, String)> = items
            .iter()
            .filter(|i| i.contains_key("sentAt") && !text(i, "sk").ends_with("#sms"))
            .map(|i| (number(i, "sentOrder").unwrap_or_default(), NoticeKind::parse(&text(i, "kind")).expect("a kind"), text(i, "subject")))
            .collect();
        sent.sort_by_key(|(order, _, _)| *order);
        sent.into_iter().map(|(_, kind, subject)| (kind, subject)).collect()
    }

    /// The provider's message id recorded for an email sent.
    pub async fn notice_message_id(&self, p: &ParentId, kind: NoticeKind, subject: &str) -> Option<String> {
        let item = self.item(keys::referral_pk(p.referral_id()), keys::notice_sk(p.parent_ref(), kind, subject)).await?;
        item.get("messageId").and_then(|v| v.as_s().ok()).cloned()
    }

    /// The subjects of the emails of `kind` recorded sent to the coordinators, in the order sent.
    pub async fn coordinator_notices_sent(&self, kind: NoticeKind) -> Vec<String> {
        let prefix = format!("STAFFNOTICE#{}#", kind.as_str());
        let items = self.scan("begins_with(sk, :p) AND attribute_exists(sentAt)", &[(":p", &prefix)]).await;
        let mut sent: Vec<(u128, String)> = items
            .iter()
            .map(|i| (number(i, "sentOrder").unwrap_or_default(), text(i, "sk").trim_start_matches(&prefix).to_owned()))
            .collect();
        sent.sort();
        sent.into_iter().map(|(_, subject)| subject).collect()
    }

    /// The texts to the parent not sent because the number said STOP: (kind, subject).
    pub async fn texts_opted_out(&self, p: &ParentId) -> Vec<(NoticeKind, String)> {
        let prefix = format!("NOTICE#{}#", p.parent_ref());
        let items = self.partition(keys::referral_pk(p.referral_id()), &prefix).await;
        items
            .iter()
            .filter(|i| text(i, "state") == "opted-out")
            .filter_map(|i| {
                let sk = text(i, "sk");
                // A text's subject ends `#sms` (`texting::sms_subject`).
                let (kind, subject) = sk.strip_prefix(&prefix).filter(|k| k.ends_with("#sms"))?.split_once('#')?;
                Some((NoticeKind::parse(kind)?, subject.to_owned()))
            })
            .collect()
    }

    /// The referral's mark in the due-index: `("CLOSING" | "ERASE", due)`.
    pub async fn referral_mark(&self, id: &ReferralId) -> Option<(&'static str, Timestamp)> {
        let item = self.item(keys::referral_pk(id), "REFERRAL".into()).await?;
        let mark = match text(&item, "duePk").as_str() {
            "CLOSING" => "CLOSING",
            "ERASE" => "ERASE",
            _ => return None,
        };
        Some((mark, text(&item, "dueAt").parse().expect("a due key is a time")))
    }
}
