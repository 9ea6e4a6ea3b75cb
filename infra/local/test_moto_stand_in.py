"""Tests of the local AWS stand-in (infra/local/moto_stand_in.py).

Each test session starts the wrapper as a subprocess on a free loopback port and
talks to it with boto3, as the Rust AWS SDK does.  Run: .venv/bin/pytest infra/local
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from email.message import EmailMessage
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = Path(__file__).resolve().parent
REGION = "eu-west-2"
SEATS = 6
CONTENDERS = 50


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def endpoint():
    port = _free_port()
    env = dict(os.environ)
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "moto_stand_in.py"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/_pt4c/health", timeout=1) as resp:
                assert json.loads(resp.read()) == {"ok": True}
                break
        except (urllib.error.URLError, ConnectionError, OSError):
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                proc.kill()
                pytest.fail(f"stand-in did not start:\n{out}")
            time.sleep(0.1)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def create_table(ddb, table: str) -> None:
    """A table keyed on `pk` alone, as the transaction tests need."""
    ddb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )


def client(endpoint: str, service: str, **config):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(**{"retries": {"max_attempts": 1, "mode": "standard"}, **config}),
    )


def call(endpoint: str, method: str, path: str, payload=None):
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(endpoint + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def test_health(endpoint):
    assert call(endpoint, "GET", "/_pt4c/health") == (200, {"ok": True})


def test_unknown_control_path_and_bad_requests_do_not_crash(endpoint):
    assert call(endpoint, "GET", "/_pt4c/nope")[0] == 404
    # garbage sent where AWS calls go
    for body, ctype in [(b"\x00\xff{not json", "application/x-amz-json-1.0"), (b"Action=%zz&&=", "application/x-www-form-urlencoded"), (b"", "")]:
        req = urllib.request.Request(endpoint + "/", data=body, method="POST")
        if ctype:
            req.add_header("Content-Type", ctype)
        req.add_header("X-Amz-Target", "DynamoDB_20120810.Nonsense")
        try:
            urllib.request.urlopen(req, timeout=10).read()
        except urllib.error.HTTPError:
            pass
    assert call(endpoint, "GET", "/_pt4c/health") == (200, {"ok": True})


def test_concurrent_conditional_transactions_are_atomic(endpoint):
    ddb = client(endpoint, "dynamodb", max_pool_connections=CONTENDERS)
    table = f"seats-{uuid.uuid4().hex[:8]}"
    create_table(ddb, table)
    rounds = []
    for round_no in range(3):
        workshop = f"WORKSHOP#{round_no}"
        ddb.put_item(TableName=table, Item={"pk": {"S": workshop}, "seats": {"N": "0"}})
        barrier = threading.Barrier(CONTENDERS)
        outcomes: list[str] = []
        lock = threading.Lock()

        def book(n: int) -> None:
            barrier.wait()
            try:
                ddb.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": table,
                                "Key": {"pk": {"S": workshop}},
                                "UpdateExpression": "SET seats = seats + :one",
                                "ConditionExpression": "seats < :max",
                                "ExpressionAttributeValues": {":one": {"N": "1"}, ":max": {"N": str(SEATS)}},
                            }
                        },
                        {
                            "Put": {
                                "TableName": table,
                                "Item": {"pk": {"S": f"BOOKING#{round_no}#{n}"}},
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                    ]
                )
                result = "ok"
            except ClientError as exc:
                result = exc.response["Error"]["Code"]
            except Exception as exc:  # pragma: no cover - reported in the assertion
                result = repr(exc)
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=book, args=(n,)) for n in range(CONTENDERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ok = outcomes.count("ok")
        rounds.append(ok)
        refused = [o for o in outcomes if o != "ok"]
        assert set(refused) <= {"TransactionCanceledException"}, refused
        seats = ddb.get_item(TableName=table, Key={"pk": {"S": workshop}}, ConsistentRead=True)["Item"]["seats"]["N"]
        assert seats == str(SEATS)
    print(f"successful bookings per round: {rounds}")
    assert rounds == [SEATS, SEATS, SEATS]


def test_a_cancelled_transaction_leaves_every_item_as_it_was(endpoint):
    ddb = client(endpoint, "dynamodb")
    table = f"undo-{uuid.uuid4().hex[:8]}"
    create_table(ddb, table)
    ddb.put_item(TableName=table, Item={"pk": {"S": "SEATS"}, "seats": {"N": "2"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "TAKEN"}, "note": {"S": "kept"}})
    with pytest.raises(ClientError) as refused:
        ddb.transact_write_items(
            TransactItems=[
                {"Update": {"TableName": table, "Key": {"pk": {"S": "SEATS"}}, "UpdateExpression": "SET seats = seats + :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}}}},
                {"Put": {"TableName": table, "Item": {"pk": {"S": "NEW"}}}},
                {"Delete": {"TableName": table, "Key": {"pk": {"S": "TAKEN"}}}},
                {"Put": {"TableName": table, "Item": {"pk": {"S": "TAKEN2"}}, "ConditionExpression": "attribute_exists(pk)"}},
            ]
        )
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    items = {i["pk"]["S"]: i for i in ddb.scan(TableName=table)["Items"]}
    assert set(items) == {"SEATS", "TAKEN"}
    assert items["SEATS"]["seats"]["N"] == "2"
    assert items["TAKEN"]["note"]["S"] == "kept"


def _raw_email(sender: str, to: str, subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"PT4C Hub <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Hello in plain text")
    msg.add_alternative("<p>Hello in HTML</p>", subtype="html")
    return msg.as_bytes()


def test_ses_raw_email_is_listed(endpoint):
    ses = client(endpoint, "ses")
    sender = f"noreply-{uuid.uuid4().hex[:6]}@pt4c.test"
    ses.verify_email_identity(EmailAddress=sender)
    subject = f"Welcome {uuid.uuid4().hex[:6]}"
    # no Source parameter: SES takes the From header
    first = ses.send_raw_email(RawMessage={"Data": _raw_email(sender, "parent@example.com", subject)})
    # with Source and explicit Destinations
    second = ses.send_raw_email(
        Source=sender,
        Destinations=["court@example.com"],
        RawMessage={"Data": _raw_email(sender, "court@example.com", subject + " again")},
    )
    status, listed = call(endpoint, "GET", f"/_pt4c/ses/messages?source={sender}")
    assert status == 200
    assert [m["messageId"] for m in listed] == [first["MessageId"], second["MessageId"]]
    assert listed[0]["source"] == sender
    assert listed[0]["destinations"] == ["parent@example.com"]
    assert listed[1]["destinations"] == ["court@example.com"]
    assert f"Subject: {subject}" in listed[0]["raw"]
    assert "multipart/alternative" in listed[0]["raw"]
    assert listed[0]["sentAt"].endswith("Z") and listed[0]["sentAt"] <= listed[1]["sentAt"]
    # the unfiltered list has them too; another source's filter does not
    _, everything = call(endpoint, "GET", "/_pt4c/ses/messages")
    assert {first["MessageId"], second["MessageId"]} <= {m["messageId"] for m in everything}
    _, none = call(endpoint, "GET", "/_pt4c/ses/messages?source=nobody@pt4c.test")
    assert none == []
    # SendEmail is listed as well
    ses.send_email(
        Source=sender,
        Destination={"ToAddresses": ["fca@example.com"]},
        Message={"Subject": {"Data": "plain"}, "Body": {"Text": {"Data": "text body"}}},
    )
    _, listed = call(endpoint, "GET", f"/_pt4c/ses/messages?source={sender}")
    assert len(listed) == 3 and listed[2]["destinations"] == ["fca@example.com"]
    assert "text body" in listed[2]["raw"]


def test_ses_messages_filtered_by_recipient_domain(endpoint):
    ses = client(endpoint, "ses")
    sender = f"noreply-{uuid.uuid4().hex[:6]}@pt4c.test"
    ses.verify_email_identity(EmailAddress=sender)
    ses.send_raw_email(RawMessage={"Data": _raw_email(sender, "parent@example.com", "ordinary")})
    bounced = ses.send_raw_email(
        RawMessage={"Data": _raw_email(sender, "bounce@simulator.amazonses.com", "to the simulator")}
    )
    status, listed = call(
        endpoint, "GET", f"/_pt4c/ses/messages?source={sender}&recipientDomain=simulator.amazonses.com"
    )
    assert status == 200
    assert [m["messageId"] for m in listed] == [bounced["MessageId"]]
    assert listed[0]["destinations"] == ["bounce@simulator.amazonses.com"]


def test_sns_texts_are_listed_filtered_and_forgotten(endpoint):
    sns = client(endpoint, "sns")
    mobile = "+4477009" + uuid.uuid4().hex[:5].translate(str.maketrans("abcdef", "123456"))
    other = "+447700900111"
    first = sns.publish(PhoneNumber=mobile, Message="Planning Together for Children: first")
    sns.publish(PhoneNumber=other, Message="someone else")
    second = sns.publish(
        PhoneNumber=mobile,
        Message="second",
        MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
    )
    status, listed = call(endpoint, "GET", f"/_pt4c/sns/sms?to={urllib.parse.quote(mobile)}")
    assert status == 200
    assert [m["messageId"] for m in listed] == [first["MessageId"], second["MessageId"]]
    assert listed[0]["to"] == mobile and listed[0]["text"] == "Planning Together for Children: first"
    assert listed[0]["sentAt"].endswith("Z") and listed[0]["sentAt"] <= listed[1]["sentAt"]
    # moto's rule for opted-out numbers (ending in 99), which the texter asks before sending
    assert sns.check_if_phone_number_is_opted_out(phoneNumber="+447700900199")["isOptedOut"] is True
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=mobile)["isOptedOut"] is False
    _, everything = call(endpoint, "GET", "/_pt4c/sns/sms")
    assert {first["MessageId"], second["MessageId"]} <= {m["messageId"] for m in everything}
    assert call(endpoint, "DELETE", "/_pt4c/sns/sms")[0] == 200
    assert call(endpoint, "GET", f"/_pt4c/sns/sms?to={urllib.parse.quote(mobile)}")[1] == []


def _bus_with_queue(endpoint: str):
    events = client(endpoint, "events")
    sqs = client(endpoint, "sqs")
    suffix = uuid.uuid4().hex[:8]
    bus = f"pt4c-{suffix}"
    events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName=f"welcome-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name=f"referral-received-{suffix}",
        EventBusName=bus,
        EventPattern=json.dumps({"source": ["pt4c"], "detail-type": ["ReferralReceived"]}),
        State="ENABLED",
    )
    events.put_targets(
        Rule=f"referral-received-{suffix}",
        EventBusName=bus,
        Targets=[{"Id": "welcome", "Arn": queue_arn}],
    )
    return events, sqs, bus, queue_url


def _drain(sqs, queue_url):
    got = []
    while True:
        msgs = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not msgs:
            return got
        for m in msgs:
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


def test_eventbridge_rule_routes_matching_events_to_sqs(endpoint):
    events, sqs, bus, queue_url = _bus_with_queue(endpoint)
    out = events.put_events(
        Entries=[
            {"Source": "pt4c", "DetailType": "ReferralReceived", "Detail": json.dumps({"referralId": "r-1"}), "EventBusName": bus},
            {"Source": "pt4c", "DetailType": "WorkshopBooked", "Detail": json.dumps({"referralId": "r-2"}), "EventBusName": bus},
            {"Source": "elsewhere", "DetailType": "ReferralReceived", "Detail": json.dumps({"referralId": "r-3"}), "EventBusName": bus},
        ]
    )
    assert out["FailedEntryCount"] == 0
    got = _drain(sqs, queue_url)
    assert [e["detail"] for e in got] == [{"referralId": "r-1"}]
    envelope = got[0]
    assert envelope["source"] == "pt4c" and envelope["detail-type"] == "ReferralReceived"
    assert envelope["id"] == out["Entries"][0]["EventId"]
    assert envelope["region"] == REGION and envelope["time"].endswith("Z")
    # the default bus does not see the custom bus's events
    events.put_events(Entries=[{"Source": "pt4c", "DetailType": "ReferralReceived", "Detail": "{}"}])
    assert _drain(sqs, queue_url) == []


def test_queries_on_the_table_and_a_sparse_gsi_answer_what_a_walk_of_every_item_would(endpoint):
    """The per-partition and per-GSI reads (patch_queries) against a model of the table, through
    random puts, updates that move an item into, across and out of the sparse index, deletes,
    batch writes and transactions, cancelled ones included."""
    import random

    ddb = client(endpoint, "dynamodb")
    table = f"gsi-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "duePk", "dueAt")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "due-index", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "duePk", "KeyType": "HASH"}, {"AttributeName": "dueAt", "KeyType": "RANGE"}]}],
    )
    rng = random.Random(7)
    model: dict[tuple[str, str], dict[str, str]] = {}

    def key(pk, sk):
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    def due_query(due_pk, before="9"):
        got, start = [], None
        while True:
            kw = {"ExclusiveStartKey": start} if start else {}
            page = ddb.query(TableName=table, IndexName="due-index", Limit=3,
                             KeyConditionExpression="duePk = :p AND dueAt < :t",
                             ExpressionAttributeValues={":p": {"S": due_pk}, ":t": {"S": before}}, **kw)
            got += [(i["pk"]["S"], i["sk"]["S"]) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return got

    for step in range(300):
        pk, sk = f"P{rng.randrange(6)}", f"S{rng.randrange(4)}"
        op = rng.choice(["put", "put_due", "update_in", "update_out", "delete", "batch", "transact", "transact_cancelled"])
        due = {"duePk": f"D{rng.randrange(3)}", "dueAt": f"{rng.randrange(10)}"}
        if op == "put":
            ddb.put_item(TableName=table, Item={**key(pk, sk), "v": {"S": str(step)}})
            model[(pk, sk)] = {}
        elif op == "put_due":
            ddb.put_item(TableName=table, Item={**key(pk, sk), **{k: {"S": v} for k, v in due.items()}})
            model[(pk, sk)] = dict(due)
        elif op == "update_in":
            ddb.update_item(TableName=table, Key=key(pk, sk), UpdateExpression="SET duePk = :p, dueAt = :t",
                            ExpressionAttributeValues={":p": {"S": due["duePk"]}, ":t": {"S": due["dueAt"]}})
            model[(pk, sk)] = dict(due)
        elif op == "update_out":
            ddb.update_item(TableName=table, Key=key(pk, sk), UpdateExpression="REMOVE duePk, dueAt")
            model[(pk, sk)] = {}
        elif op == "delete":
            ddb.delete_item(TableName=table, Key=key(pk, sk))
            model.pop((pk, sk), None)
        elif op == "batch":
            other = f"S{rng.randrange(4, 8)}"
            ddb.batch_write_item(RequestItems={table: [
                {"PutRequest": {"Item": {**key(pk, other), **{k: {"S": v} for k, v in due.items()}}}},
                {"DeleteRequest": {"Key": key(pk, sk)}},
            ]})
            model[(pk, other)] = dict(due)
            model.pop((pk, sk), None)
        else:
            cancelled = op == "transact_cancelled"
            items = [
                {"Update": {"TableName": table, "Key": key(pk, sk), "UpdateExpression": "SET duePk = :p, dueAt = :t",
                            "ExpressionAttributeValues": {":p": {"S": due["duePk"]}, ":t": {"S": due["dueAt"]}}}},
                {"Put": {"TableName": table, "Item": {**key(pk, "T"), "v": {"S": "t"}},
                         **({"ConditionExpression": "attribute_not_exists(pk) AND attribute_exists(pk)"} if cancelled else {})}},
            ]
            try:
                ddb.transact_write_items(TransactItems=items)
                model[(pk, sk)] = dict(due)
                model[(pk, "T")] = {}
            except ClientError as e:
                assert cancelled and e.response["Error"]["Code"] == "TransactionCanceledException"
        if step % 10 == 9:
            for d in ("D0", "D1", "D2"):
                want = sorted(((m["dueAt"], k) for k, m in model.items() if m.get("duePk") == d and m["dueAt"] < "7"))
                assert due_query(d, "7") == [k for _, k in want], f"step {step}: due-index {d}"
            for p in (f"P{i}" for i in range(6)):
                got = [(i["pk"]["S"], i["sk"]["S"]) for i in
                       ddb.query(TableName=table, KeyConditionExpression="pk = :p",
                                 ExpressionAttributeValues={":p": {"S": p}})["Items"]]
                assert got == sorted(k for k in model if k[0] == p), f"step {step}: partition {p}"
