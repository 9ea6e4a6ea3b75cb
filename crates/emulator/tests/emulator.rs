//! The emulator answers as DynamoDB does on what the store relies on, and its faults strike where
//! they say.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use pt4c_emulator::{Emulator, When};

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

#[tokio::test]
async fn a_conditional_transaction_is_refused_with_its_cancellation_reasons_and_every_write_is_in_the_stream() {
    let e = Emulator::start().await.expect("emulator");
    e.client.put_item().table_name(&e.table).item("pk", s("A")).item("sk", s("1")).send().await.expect("put");
    let put = Put::builder()
        .table_name(&e.table)
        .item("pk", s("A"))
        .item("sk", s("1"))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .expect("put");
    let err = e.client.transact_write_items().transact_items(TransactWriteItem::builder().put(put).build()).send().await.unwrap_err();
    let reasons = err.into_service_error();
    let codes: Vec<_> = match reasons {
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(t) => {
            t.cancellation_reasons.unwrap_or_default().into_iter().filter_map(|r| r.code).collect()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(codes, vec!["ConditionalCheckFailed".to_owned()]);

    e.client.delete_item().table_name(&e.table).key("pk", s("A")).key("sk", s("1")).send().await.expect("delete");
    let written = e.written().expect("stream");
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(written[0]["pk"]["S"], "A");
}

#[tokio::test]
async fn a_fault_before_changes_nothing_and_a_lost_reply_keeps_the_change() {
    let e = Emulator::start().await.expect("emulator");
    e.faults.fail_next("PutItem", Some("\"B\""), When::Before);
    e.faults.fail_next("PutItem", Some("\"C\""), When::AfterCommit);

    let put = |pk: &'static str| e.client.put_item().table_name(&e.table).item("pk", s(pk)).item("sk", s("1")).send();
    put("A").await.expect("no fault for A");
    assert!(put("B").await.is_err());
    assert!(put("C").await.is_err());
    assert_eq!(e.faults.pending(), 0);

    let keys: Vec<String> = e.written().expect("stream").iter().map(|i| i["pk"]["S"].as_str().unwrap_or_default().to_owned()).collect();
    assert_eq!(keys, ["A", "C"]);
}
