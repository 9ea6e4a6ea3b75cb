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


@pytest.fixture(autouse=True)
def _no_faults_left(endpoint):
    yield
    call(endpoint, "DELETE", "/_pt4c/faults")
    call(endpoint, "DELETE", "/_pt4c/chaos")


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
    # a bad fault definition is refused, not fatal
    assert call(endpoint, "POST", "/_pt4c/faults", {"action": "", "times": 0})[0] == 400
    req = urllib.request.Request(endpoint + "/_pt4c/faults", data=b"{{{", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 400
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


def test_fault_on_put_events(endpoint):
    events, sqs, bus, queue_url = _bus_with_queue(endpoint)
    assert call(endpoint, "DELETE", "/_pt4c/requests")[0] == 200
    status, created = call(
        endpoint,
        "POST",
        "/_pt4c/faults",
        {
            "action": "AWSEvents.PutEvents",
            "match": "ReferralReceived",
            "times": 1,
            "status": 200,
            "body": {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "injected"}]},
        },
    )
    assert status == 201 and created["id"]
    entry = {"Source": "pt4c", "DetailType": "ReferralReceived", "Detail": json.dumps({"referralId": "f-1"}), "EventBusName": bus}
    # a non-matching body passes through and does not use the fault up
    ok = events.put_events(Entries=[dict(entry, DetailType="WorkshopBooked")])
    assert ok["FailedEntryCount"] == 0
    assert call(endpoint, "GET", "/_pt4c/faults")[1][0]["remaining"] == 1
    refused = events.put_events(Entries=[entry])
    assert refused["FailedEntryCount"] == 1
    assert refused["Entries"][0]["ErrorCode"] == "InternalFailure"
    assert _drain(sqs, queue_url) == []  # it never reached moto
    assert call(endpoint, "GET", "/_pt4c/faults")[1][0]["remaining"] == 0
    # used up: the next call goes through
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    assert [e["detail"]["referralId"] for e in _drain(sqs, queue_url)] == ["f-1"]
    # all three were seen and counted
    assert call(endpoint, "GET", f"/_pt4c/requests?action=AWSEvents.PutEvents&match={bus}")[1]["count"] == 3
    assert call(endpoint, "GET", f"/_pt4c/requests?match={bus}")[1]["byAction"]["AWSEvents.PutEvents"] == 3
    assert call(endpoint, "GET", "/_pt4c/requests?action=AWSEvents.PutEvents&match=ReferralReceived")[1]["count"] == 2
    assert call(endpoint, "DELETE", "/_pt4c/faults")[0] == 200
    assert call(endpoint, "GET", "/_pt4c/faults")[1] == []


def test_fault_on_send_raw_email(endpoint):
    ses = client(endpoint, "ses")
    sender = f"noreply-{uuid.uuid4().hex[:6]}@pt4c.test"
    ses.verify_email_identity(EmailAddress=sender)
    victim = f"victim-{uuid.uuid4().hex[:6]}@example.com"
    status, _ = call(
        endpoint,
        "POST",
        "/_pt4c/faults",
        {
            "action": "SendRawEmail",
            "match": victim,  # found in the base64-decoded MIME message
            "times": 2,
            "status": 400,
            "body": "<ErrorResponse><Error><Type>Sender</Type><Code>MessageRejected</Code>"
            "<Message>injected</Message></Error><RequestId>x</RequestId></ErrorResponse>",
            "contentType": "text/xml",
        },
    )
    assert status == 201
    for _ in range(2):
        with pytest.raises(ClientError) as err:
            ses.send_raw_email(RawMessage={"Data": _raw_email(sender, victim, "refused")})
        assert err.value.response["Error"]["Code"] == "MessageRejected"
        assert err.value.response["Error"]["Message"] == "injected"
    # other recipients are unaffected, and the fault is used up after two
    ses.send_raw_email(RawMessage={"Data": _raw_email(sender, "other@example.com", "fine")})
    ses.send_raw_email(RawMessage={"Data": _raw_email(sender, victim, "third time")})
    _, listed = call(endpoint, "GET", f"/_pt4c/ses/messages?source={sender}")
    assert [m["destinations"] for m in listed] == [["other@example.com"], [victim]]
    assert call(endpoint, "GET", f"/_pt4c/requests?action=SendRawEmail&match={victim}")[1]["count"] == 3


def _raw_response(endpoint: str, target: str, payload: dict):
    """One DynamoDB call by hand: (status, content type, parsed body)."""
    req = urllib.request.Request(endpoint + "/", data=json.dumps(payload).encode(), method="POST")
    req.add_header("Content-Type", "application/x-amz-json-1.0")
    req.add_header("X-Amz-Target", target)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers["Content-Type"], json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], json.loads(err.read())


def test_transaction_conflict_fault(endpoint):
    ddb = client(endpoint, "dynamodb")
    table = f"conflict-{uuid.uuid4().hex[:8]}"
    create_table(ddb, table)
    ddb.put_item(TableName=table, Item={"pk": {"S": "SEATS"}, "seats": {"N": "1"}})
    items = [
        {"Update": {"TableName": table, "Key": {"pk": {"S": "SEATS"}}, "UpdateExpression": "SET seats = seats + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Put": {"TableName": table, "Item": {"pk": {"S": "BOOKING#1"}}}},
        {"Put": {"TableName": table, "Item": {"pk": {"S": "BOOKING#2"}}}},
    ]
    # wrong action, bad index: refused
    assert call(endpoint, "POST", "/_pt4c/faults", {"action": "DynamoDB_20120810.PutItem", "transactionConflict": True})[0] == 400
    assert call(endpoint, "POST", "/_pt4c/faults", {"transactionConflict": True, "conflictAt": -1})[0] == 400
    status, _ = call(endpoint, "POST", "/_pt4c/faults", {"transactionConflict": True, "conflictAt": 1, "match": table, "times": 2})
    assert status == 201
    assert call(endpoint, "GET", "/_pt4c/faults")[1][0]["action"] == "DynamoDB_20120810.TransactWriteItems"
    # what botocore (and so the SDKs' shared model) makes of it
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as err:
        ddb.transact_write_items(TransactItems=items)
    response = err.value.response
    assert response["Error"]["Code"] == "TransactionCanceledException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Message"] == (
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict, None]"
    )
    assert response["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"},
        {"Code": "None"},
    ]
    # the bytes themselves, as the Rust SDK reads them (__type, CancellationReasons)
    status, ctype, body = _raw_response(endpoint, "DynamoDB_20120810.TransactWriteItems", {"TransactItems": items[:2]})
    assert (status, ctype) == (400, "application/x-amz-json-1.0")
    assert body["__type"] == "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"
    assert [r["Code"] for r in body["CancellationReasons"]] == ["None", "TransactionConflict"]
    # nothing was written; used up, the transaction goes through
    items_now = {i["pk"]["S"]: i for i in ddb.scan(TableName=table)["Items"]}
    assert set(items_now) == {"SEATS"} and items_now["SEATS"]["seats"]["N"] == "1"
    ddb.transact_write_items(TransactItems=items)
    assert len(ddb.scan(TableName=table)["Items"]) == 3


DDB_CODES = {"ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError",
             "TransactionCanceledException", "AccessDeniedException"}
EVENTS_CODES = {"InternalException", "AccessDeniedException"}
SES_CODES = {"Throttling", "InternalFailure", "MessageRejected"}


def _chaos_world(endpoint: str):
    """A table, a bus routed to a queue and a verified sender, all named by one suffix;
    clients that try once (botocore would retry a throttle)."""
    once = {"total_max_attempts": 1, "mode": "standard"}
    ddb = client(endpoint, "dynamodb", retries=once)
    ses = client(endpoint, "ses", retries=once)
    _, sqs, bus, queue_url = _bus_with_queue(endpoint)
    events = client(endpoint, "events", retries=once)
    suffix = bus.split("-", 1)[1]
    table = f"chaos-{suffix}"
    create_table(ddb, table)
    sender = f"noreply-{suffix}@pt4c.test"
    ses.verify_email_identity(EmailAddress=sender)
    return dict(ddb=ddb, ses=ses, events=events, sqs=sqs, bus=bus, queue_url=queue_url, table=table, sender=sender)


def _one_of_each(w: dict, n: int) -> dict[str, str]:
    """A DynamoDB put, a transaction, a PutEvents and an email; what each met: "ok" or an error code."""
    out = {}
    calls = {
        "put": lambda: w["ddb"].put_item(TableName=w["table"], Item={"pk": {"S": f"PUT#{n}"}}),
        "transact": lambda: w["ddb"].transact_write_items(TransactItems=[
            {"Put": {"TableName": w["table"], "Item": {"pk": {"S": f"TX#{n}#{i}"}}}} for i in range(2)
        ]),
        "events": lambda: w["events"].put_events(Entries=[
            {"Source": "pt4c", "DetailType": "ReferralReceived", "Detail": json.dumps({"n": n, "i": i}), "EventBusName": w["bus"]}
            for i in range(2)
        ]),
        "ses": lambda: w["ses"].send_raw_email(RawMessage={"Data": _raw_email(w["sender"], "parent@example.com", f"n{n}")}),
    }
    for name, fn in calls.items():
        try:
            result = fn()
            if name == "events" and result["FailedEntryCount"]:
                assert result["FailedEntryCount"] == 2
                assert result["Entries"] == [{"ErrorCode": "InternalFailure", "ErrorMessage": "chaos"}] * 2
                out[name] = "InternalFailure"
            else:
                out[name] = "ok"
        except ClientError as exc:
            out[name] = exc.response["Error"]["Code"]
            status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
            assert status == (500 if out[name].startswith("Internal") else 400), (out[name], status)
            assert "@" not in exc.response["Error"]["Message"]  # no address in a refusal
            if out[name] == "TransactionCanceledException":
                reasons = [r["Code"] for r in exc.response["CancellationReasons"]]
                assert sorted(reasons) == ["None", "TransactionConflict"]
    return out


def _written(endpoint: str, w: dict) -> tuple[int, int, int]:
    """(items in the table, events on the queue, emails sent) for a world."""
    return (
        len(w["ddb"].scan(TableName=w["table"])["Items"]),
        len(_drain(w["sqs"], w["queue_url"])),
        len(call(endpoint, "GET", f"/_pt4c/ses/messages?source={w['sender']}")[1]),
    )


def test_chaos_at_rate_one_refuses_every_matching_call(endpoint):
    w = _chaos_world(endpoint)
    assert call(endpoint, "GET", "/_pt4c/chaos")[1]["on"] is False  # the fixture turns it off after each test
    status, figures = call(endpoint, "POST", "/_pt4c/chaos",
                           {"seed": 42, "rate": 1.0, "match": [w["table"], w["bus"], w["sender"]]})
    assert status == 201 and figures["on"] and figures["seen"] == 0
    assert figures["services"] == ["dynamodb", "events", "ses"] and figures["retryableShare"] == 0.8
    met = [_one_of_each(w, n) for n in range(25)]
    assert all(m["put"] in DDB_CODES - {"TransactionCanceledException"} for m in met), met
    assert all(m["transact"] in DDB_CODES for m in met), met
    assert all(m["events"] in EVENTS_CODES | {"InternalFailure"} for m in met), met
    assert all(m["ses"] in SES_CODES for m in met), met
    # both kinds are drawn
    assert {m["put"] for m in met} & {"AccessDeniedException"} and len({m["put"] for m in met}) >= 3
    assert "InternalFailure" in {m["events"] for m in met} and "InternalException" in {m["events"] for m in met}
    assert len({m["ses"] for m in met}) == 3
    # SQS, health and control calls are never refused, even when they name the resources
    w["sqs"].get_queue_attributes(QueueUrl=w["queue_url"], AttributeNames=["QueueArn"])
    assert call(endpoint, "GET", "/_pt4c/health") == (200, {"ok": True})
    status, figures = call(endpoint, "DELETE", "/_pt4c/chaos")
    assert status == 200 and not figures["on"]
    assert figures["seen"] == figures["refused"] == 100
    by = figures["byService"]
    assert (by["dynamodb"]["seen"], by["events"]["seen"], by["ses"]["seen"]) == (50, 25, 25)
    assert sum(by["dynamodb"]["codes"].values()) == by["dynamodb"]["refused"] == 50
    assert by["ses"]["codes"] == {c: [m["ses"] for m in met].count(c) for c in {m["ses"] for m in met}}
    assert 0 < by["dynamodb"]["retryable"] < 50
    assert call(endpoint, "GET", "/_pt4c/chaos")[1] == figures  # off: GET keeps the figures
    assert _written(endpoint, w) == (0, 0, 0)
    # off: everything goes through
    assert _one_of_each(w, 99) == {"put": "ok", "transact": "ok", "events": "ok", "ses": "ok"}
    assert _written(endpoint, w) == (3, 2, 1)
    assert call(endpoint, "GET", "/_pt4c/chaos")[1]["seen"] == 100


def test_chaos_at_rate_zero_refuses_nothing(endpoint):
    w = _chaos_world(endpoint)
    assert call(endpoint, "POST", "/_pt4c/chaos", {"seed": 1, "rate": 0, "match": [w["table"], w["bus"], w["sender"]]})[0] == 201
    for n in range(5):
        assert _one_of_each(w, n) == {"put": "ok", "transact": "ok", "events": "ok", "ses": "ok"}
    figures = call(endpoint, "DELETE", "/_pt4c/chaos")[1]
    assert figures["seen"] == 20 and figures["refused"] == 0
    assert _written(endpoint, w) == (15, 10, 5)


def test_chaos_same_seed_same_refusals(endpoint):
    def run(seed: int) -> list[dict[str, str]]:
        w = _chaos_world(endpoint)
        call(endpoint, "POST", "/_pt4c/chaos", {"seed": seed, "rate": 0.5, "retryableShare": 0.5,
                                                 "match": [w["table"], w["bus"], w["sender"]]})
        met = [_one_of_each(w, n) for n in range(10)]
        figures = call(endpoint, "DELETE", "/_pt4c/chaos")[1]
        assert figures["seen"] == 40
        assert figures["refused"] == sum(v != "ok" for m in met for v in m.values())
        return met

    first = run(7)
    assert 0 < sum(v != "ok" for m in first for v in m.values()) < 40
    assert run(7) == first
    assert run(8) != first


def test_chaos_spares_requests_that_do_not_match(endpoint):
    w = _chaos_world(endpoint)
    # no string matches, or the service is not chosen
    for spec in ({"match": ["no-such-resource"]}, {"match": [w["table"], w["bus"], w["sender"]], "services": []}):
        status, _ = call(endpoint, "POST", "/_pt4c/chaos", dict(spec, seed=3, rate=1.0))
        if spec.get("services") == []:
            assert status == 400  # at least one service
            continue
        assert status == 201
        assert _one_of_each(w, 0) == {"put": "ok", "transact": "ok", "events": "ok", "ses": "ok"}
        assert call(endpoint, "DELETE", "/_pt4c/chaos")[1]["seen"] == 0
    call(endpoint, "POST", "/_pt4c/chaos", {"seed": 3, "rate": 1.0, "services": ["ses"], "match": [w["table"], w["sender"]]})
    met = _one_of_each(w, 1)
    assert (met["put"], met["transact"], met["events"]) == ("ok", "ok", "ok") and met["ses"] != "ok"
    figures = call(endpoint, "DELETE", "/_pt4c/chaos")[1]
    assert list(figures["byService"]) == ["ses"] and figures["seen"] == figures["refused"] == 1
    # bad settings are refused
    for bad in ({"rate": 0.5}, {"seed": 1, "rate": 2}, {"seed": "x", "rate": 0.1},
                {"seed": 1, "rate": 0.1, "services": ["s3"]}, {"seed": 1, "rate": 0.1, "match": [1]}):
        assert call(endpoint, "POST", "/_pt4c/chaos", bad)[0] == 400, bad


def test_faults_come_before_chaos(endpoint):
    w = _chaos_world(endpoint)
    call(endpoint, "POST", "/_pt4c/chaos", {"seed": 5, "rate": 1.0, "services": ["dynamodb"], "match": w["table"]})
    call(endpoint, "POST", "/_pt4c/faults", {"action": "DynamoDB_20120810.TransactWriteItems", "match": w["table"],
                                              "transactionConflict": True})
    assert _one_of_each(w, 0)["transact"] == "TransactionCanceledException"
    figures = call(endpoint, "GET", "/_pt4c/chaos")[1]
    assert figures["on"] and figures["byService"]["dynamodb"]["seen"] == 1  # the put drew; the transaction did not


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
