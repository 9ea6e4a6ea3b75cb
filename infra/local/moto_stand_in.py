#!/usr/bin/env python3
"""PT4C Hub's local AWS stand-in: moto's server app behind a wrapper.

Why a wrapper and not stock ``moto_server``:

* Stock moto_server serves requests on several threads without a lock, so
  DynamoDB conditional writes and transactions race (50 concurrent bookings of
  a 6-seat workshop let 7 to 10 through).  Here every request that reaches moto
  is handled under one global lock: one AWS call at a time, as atomic as in
  DynamoDB.  Connections are still accepted on several threads, so a slow or
  stalled client never blocks the others while its request is being read.
* Tests need to see what AWS was asked and to make the real AWS SDK see a
  refusal.  The wrapper adds a small JSON API under ``/_pt4c/``:

  GET    /_pt4c/health                     -> {"ok": true}
  GET    /_pt4c/ses/messages?source=EMAIL  -> every email SES accepted, oldest first
         (&recipientDomain=D: only those sent to someone at D)
  DELETE /_pt4c/ses/messages               -> forget them (moto's SES backends too)
  GET    /_pt4c/sns/sms?to=NUMBER          -> every text SNS accepted (Publish to a phone
         number), oldest first: [{"messageId", "to", "text", "sentAt"}] (to: only those to it)
  DELETE /_pt4c/sns/sms                    -> forget them (moto's SNS backends too)
  POST   /_pt4c/faults                     -> register a canned answer (see below)
  GET    /_pt4c/faults                     -> the faults, with their remaining counts
  DELETE /_pt4c/faults                     -> clear all faults
  GET    /_pt4c/requests?action=A&match=M  -> {"count": n, "byAction": {A: n}, "items": {A: n}}:
                                              requests seen (items: a DynamoDB call's items)
  DELETE /_pt4c/requests                   -> forget the requests seen
  POST   /_pt4c/chaos                      -> refuse AWS calls at random (see below)
  GET    /_pt4c/chaos                      -> is chaos on, and what has it refused
  DELETE /_pt4c/chaos                      -> turn it off; answers the figures as GET does

A request's *action* is its ``X-Amz-Target`` header (``AWSEvents.PutEvents``,
``DynamoDB_20120810.TransactWriteItems``, ``AmazonSQS.SendMessage``) or, for the
query protocol (SES, and SQS's old protocol), its ``Action`` form field
(``SendRawEmail``).  Anything else (REST services) is ``"<METHOD> <path>"``.
Its *decoded body* is the body as UTF-8 for JSON protocols, and the URL-decoded
form for form bodies; for SES's ``RawMessage.Data`` the base64-decoded MIME
message is appended too, so a match can name a recipient, a subject, ...

A fault ``{"action", "match", "times", "status", "body", "contentType"?,
"headers"?}`` answers the next ``times`` requests whose action equals
``action`` and whose decoded body contains ``match`` (empty: any) with
``status`` and ``body`` (a string is sent as is; anything else as JSON) instead
of letting them reach moto.

A fault ``{"action": "DynamoDB_20120810.TransactWriteItems", "match", "times",
"transactionConflict": true, "conflictAt"?: i}`` (``action`` may be left out)
answers as DynamoDB does when a concurrent transaction holds one of the items:
HTTP 400, ``application/x-amz-json-1.0``, ``{"__type":
"com.amazonaws.dynamodb.v20120810#TransactionCanceledException", "Message":
"Transaction cancelled, please refer cancellation reasons for specific reasons
[None, TransactionConflict]", "CancellationReasons": [{"Code": "None"},
{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the
item"}]}``: one reason per item of the request's ``TransactItems``,
TransactionConflict at index ``conflictAt`` (default 0; past the end: the last
item).  ``status`` and ``body`` are ignored; nothing is written.

Chaos: ``POST /_pt4c/chaos {"seed": 42, "rate": 0.1, "services"?: ["dynamodb",
"events", "ses"], "match"?: ["table-x", "bus-x", "sender@x"],
"retryableShare"?: 0.8}`` (201, answers the figures) refuses each later AWS
request to one of ``services`` (default: all three) whose decoded body contains
ANY of ``match`` (absent or empty: every request) with probability ``rate``.
The draws come from ``random.Random(seed)``, taken under the lock in request
order (only requests that match draw), so one seed and one request sequence
refuse the same requests.  A refused request never reaches moto (nothing is
written) and gets the service's own error; ``retryableShare`` of the refusals
(default 0.8) are ones a client should retry:

  dynamodb  retryable: ProvisionedThroughputExceededException (400),
            ThrottlingException (400), InternalServerError (500) and, for
            TransactWriteItems, TransactionCanceledException with one
            TransactionConflict reason (as above, at a random item);
            not retryable: AccessDeniedException (400)
  events    retryable: PutEvents' 200 with every entry failed
            (``FailedEntryCount`` = entries, ``{"ErrorCode": "InternalFailure",
            "ErrorMessage": "chaos"}``; codes name it "InternalFailure"; other
            actions never get it), InternalException (500);
            not retryable: AccessDeniedException (400)
  ses       (v1, query protocol, text/xml) retryable: Throttling (400,
            "Maximum sending rate exceeded."), InternalFailure (500);
            not retryable: MessageRejected (400, naming no address) for the
            Send* actions, AccessDenied (403) for the others

A request's service comes from its X-Amz-Target prefix or, failing that, from
its signature's credential scope (``service_of``); control requests and other
services (SQS, SSM, SES v2's REST API, ...) are never refused, and explicit
faults come first (a request a fault answers does not draw).  The figures:
``{"on", "seed", "rate", "retryableShare", "services", "match", "seen",
"refused", "byService": {"dynamodb": {"seen", "refused", "retryable",
"codes": {"ThrottlingException": n, ...}}, ...}}`` (seen: requests that
matched and drew).  After DELETE, GET keeps answering the last run's figures
with ``"on": false`` until the next POST; before any POST it answers
``{"on": false, "seed": null, "rate": 0.0, "seen": 0, "refused": 0, "byService": {}}``.

Run: python infra/local/moto_stand_in.py --host 127.0.0.1 --port 5000
"""

from __future__ import annotations

import argparse
import base64
import collections
import datetime
import email
import email.message
import email.utils
import io
import itertools
import json
import logging
import os
import random
import re
import signal
import sys
import threading
import traceback
import uuid
import zlib
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, unquote_plus

PREFIX = "/_pt4c/"
MAX_REQUEST_LOG = 20000
MAX_BODY_BYTES = 64 * 1024 * 1024
SES_SEND_ACTIONS = {
    "SendRawEmail",
    "SendEmail",
    "SendTemplatedEmail",
    "SendBulkTemplatedEmail",
}
TRANSACT_WRITE = "DynamoDB_20120810.TransactWriteItems"
CHAOS_SERVICES = ("dynamodb", "events", "ses")
_SIGNING_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")

def _sent_to_domain(message: Any, domain: str) -> bool:
    """Was ``message`` addressed to anyone at ``domain`` (cheap: no MIME parsing)?"""
    try:
        addresses = _bare_addresses(getattr(message, "destinations", None) or [])
    except Exception:
        return False
    return any(a.lower().endswith("@" + domain) for a in addresses)


# (status line, headers, body) of an answer given instead of moto's
Answer = tuple[str, list[tuple[str, str]], bytes]


def _now_rfc3339() -> str:
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _json_response(
    start_response: Callable, status: int, payload: Any
) -> list[bytes]:
    body = json.dumps(payload).encode("utf-8")
    start_response(
        _status_line(status),
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _status_line(status: int) -> str:
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    return f"{status} {phrase}"


def _read_body(environ: dict[str, Any]) -> bytes:
    """Read the whole request body, whatever its framing, and put it back."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length_header = environ.get("CONTENT_LENGTH") or ""
    try:
        if length_header.strip():
            length = int(length_header)
            body = stream.read(length) if length > 0 else b""
        elif environ.get("wsgi.input_terminated"):
            # chunked transfer encoding: werkzeug decodes it and ends the stream
            body = stream.read(MAX_BODY_BYTES)
        else:
            body = b""
    except Exception:  # a client that hung up half way
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = False
    return body


def _is_form(environ: dict[str, Any]) -> bool:
    return (environ.get("CONTENT_TYPE") or "").lower().startswith(
        "application/x-www-form-urlencoded"
    )


def classify(environ: dict[str, Any], body: bytes) -> tuple[str, str]:
    """Return (action, decoded body) for a request bound for moto."""
    text = body.decode("utf-8", errors="replace")
    target = environ.get("HTTP_X_AMZ_TARGET")
    form: dict[str, list[str]] = {}
    decoded = text
    if _is_form(environ) or (not target and "Action=" in text and "{" not in text[:1]):
        try:
            form = parse_qs(text, keep_blank_values=True)
        except Exception:
            form = {}
        decoded = unquote_plus(text)
        for raw in form.get("RawMessage.Data", []):
            try:
                decoded += "\n" + base64.b64decode(raw, validate=False).decode(
                    "utf-8", errors="replace"
                )
            except Exception:
                pass
    if target:
        return target.strip(), decoded
    if form.get("Action"):
        return form["Action"][0], decoded
    query = parse_qs(environ.get("QUERY_STRING") or "")
    if query.get("Action"):
        return query["Action"][0], decoded
    return f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '/')}", decoded


def service_of(environ: dict[str, Any], action: str) -> str:
    """The service a classified request is for: "dynamodb", "events", "ses" (v1), ...

    JSON protocols by their X-Amz-Target prefix; the query protocol and REST
    APIs by the service in the signature's credential scope (SQS's old protocol
    also has an ``Action``); an unsigned SES send by its action.
    """
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        if action.startswith("DynamoDB_"):
            return "dynamodb"
        if action.startswith("AWSEvents."):
            return "events"
        return action.split(".")[0]  # AmazonSQS, AmazonSSM, DynamoDBStreams_20120810, ...
    scope = _SIGNING_SCOPE.search(environ.get("HTTP_AUTHORIZATION") or "")
    service = scope.group(1) if scope else ""
    if not service and (action in SES_SEND_ACTIONS or "outbound-email" in action):
        service = "ses"
    if service == "ses" and " " in action:  # "POST /v2/email/outbound-emails": SES v2, REST JSON
        return "sesv2"
    return service


def _answer(status: int, content_type: str, payload: bytes, request_id: str | None = None,
            extra: Iterable[tuple[str, str]] = ()) -> Answer:
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(payload))),
        ("x-amzn-RequestId", request_id or str(uuid.uuid4())),
    ]
    headers.extend(extra)
    return _status_line(status), headers, payload


def _aws_json(version: str, status: int, payload: dict[str, Any]) -> Answer:
    """An answer in the AWS JSON protocol (1.0: DynamoDB, which also sends a CRC32)."""
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    extra = [("x-amz-crc32", str(zlib.crc32(body)))] if version == "1.0" else []
    return _answer(status, f"application/x-amz-json-{version}", body, extra=extra)


def _count_in(decoded: str, key: str) -> int:
    """len(body[key]) of a JSON request body (TransactItems, Entries), at least 1."""
    try:
        value = json.loads(decoded).get(key)
    except (ValueError, AttributeError):
        return 1
    return len(value) if isinstance(value, list) and value else 1


def transaction_conflict(decoded: str, conflict_at: int) -> Answer:
    """DynamoDB's answer to a TransactWriteItems that met a concurrent transaction."""
    count = _count_in(decoded, "TransactItems")
    at = min(conflict_at, count - 1)
    reasons = [
        {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
        if i == at
        else {"Code": "None"}
        for i in range(count)
    ]
    codes = ", ".join(r["Code"] for r in reasons)
    return _aws_json("1.0", 400, {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "Message": f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
        "CancellationReasons": reasons,
    })


def _ses_error(status: int, code: str, message: str) -> Answer:
    """An SES (query protocol) error document."""
    request_id = str(uuid.uuid4())
    kind = "Receiver" if status >= 500 else "Sender"
    body = (
        '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">'
        f"<Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode("utf-8")
    return _answer(status, "text/xml", body, request_id)


class Fault:
    _ids = itertools.count(1)

    def __init__(self, spec: dict[str, Any]):
        if not isinstance(spec, dict):
            raise ValueError("the fault must be a JSON object")
        conflict = spec.get("transactionConflict", False)
        if not isinstance(conflict, bool):
            raise ValueError("'transactionConflict' must be true or false")
        conflict_at = spec.get("conflictAt", 0)
        if isinstance(conflict_at, bool) or not isinstance(conflict_at, int) or conflict_at < 0:
            raise ValueError("'conflictAt' must be an integer >= 0")
        action = spec.get("action") or (TRANSACT_WRITE if conflict else None)
        if conflict and action != TRANSACT_WRITE:
            raise ValueError(f"'transactionConflict' is for {TRANSACT_WRITE} only")
        if not isinstance(action, str) or not action:
            raise ValueError("'action' must be a non-empty string")
        match = spec.get("match") or ""
        # a list: every one of its strings must be in the body (e.g. a sender and a recipient)
        if isinstance(match, list):
            if not all(isinstance(m, str) for m in match):
                raise ValueError("'match' must be a string or a list of strings")
        elif not isinstance(match, str):
            raise ValueError("'match' must be a string or a list of strings")
        times = spec.get("times", 1)
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError("'times' must be an integer >= 1")
        status = 400 if conflict else spec.get("status", 500)
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError("'status' must be an HTTP status code")
        headers = spec.get("headers") or {}
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise ValueError("'headers' must map strings to strings")
        content_type = spec.get("contentType")
        if content_type is not None and not isinstance(content_type, str):
            raise ValueError("'contentType' must be a string")
        self.id = f"fault-{next(Fault._ids)}"
        self.action = action
        self.match = match
        self.times = times
        self.remaining = times
        self.status = status
        self.body = spec.get("body", "")
        self.content_type = content_type
        self.headers = headers
        self.transaction_conflict = conflict
        self.conflict_at = conflict_at

    def matches(self, action: str, decoded: str) -> bool:
        needles = self.match if isinstance(self.match, list) else [self.match]
        return self.remaining > 0 and action == self.action and all(n in decoded for n in needles)

    def render(self, request_content_type: str, decoded: str) -> Answer:
        if self.transaction_conflict:
            return transaction_conflict(decoded, self.conflict_at)
        if isinstance(self.body, str):
            payload = self.body.encode("utf-8")
            looks_xml = self.body.lstrip().startswith("<")
        else:
            payload = json.dumps(self.body).encode("utf-8")
            looks_xml = False
        content_type = self.content_type
        if not content_type:
            if looks_xml:
                content_type = "text/xml"
            elif request_content_type.startswith("application/x-amz-json"):
                content_type = request_content_type.split(";")[0]
            else:
                content_type = "application/json"
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(payload))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ]
        headers.extend(self.headers.items())
        return _status_line(self.status), headers, payload

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.action,
            "match": self.match,
            "times": self.times,
            "remaining": self.remaining,
            "status": self.status,
            "body": self.body,
            "contentType": self.content_type,
            "headers": self.headers,
            "transactionConflict": self.transaction_conflict,
            "conflictAt": self.conflict_at,
        }


# code -> (HTTP status, __type namespace, message) of DynamoDB's refusals
_DYNAMODB_CHAOS = {
    "ProvisionedThroughputExceededException": (
        400, "com.amazonaws.dynamodb.v20120810#",
        "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API.",
    ),
    "ThrottlingException": (400, "com.amazon.coral.availability#", "Rate of requests exceeds the allowed throughput."),
    "InternalServerError": (500, "com.amazonaws.dynamodb.v20120810#", "Internal server error"),
    # Stands for a transient IAM/KMS refusal (a role's policy being replaced, a KMS
    # grant not yet propagated): a correct client reports it and does not retry it,
    # and nothing is left half done.
    "AccessDeniedException": (
        400, "com.amazon.coral.service#",
        "User is not authorized to perform this operation on this resource (stand-in chaos)",
    ),
}
# code -> (HTTP status, message) of EventBridge's and SES's refusals
_EVENTS_CHAOS = {
    "InternalException": (500, "Internal service error (stand-in chaos)"),
    "AccessDeniedException": (400, "User is not authorized to perform this operation (stand-in chaos)"),
}
_SES_CHAOS = {
    "Throttling": (400, "Maximum sending rate exceeded."),
    "InternalFailure": (500, "An internal failure occurred (stand-in chaos)."),
    "MessageRejected": (400, "Email rejected (stand-in chaos)."),  # no address: it would be logged
    "AccessDenied": (403, "User is not authorized to perform this operation (stand-in chaos)."),
}


def _chaos_codes(service: str, action: str, retryable: bool) -> list[str]:
    """The errors chaos may pick from for one request."""
    if service == "dynamodb":
        if not retryable:
            return ["AccessDeniedException"]
        codes = ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"]
        return codes + ["TransactionCanceledException"] if action == TRANSACT_WRITE else codes
    if service == "events":
        if not retryable:
            return ["AccessDeniedException"]
        return ["InternalFailure", "InternalException"] if action == "AWSEvents.PutEvents" else ["InternalException"]
    if not retryable:
        return ["MessageRejected"] if action in SES_SEND_ACTIONS else ["AccessDenied"]
    return ["Throttling", "InternalFailure"]


def _chaos_answer(service: str, code: str, decoded: str, rng: random.Random) -> Answer:
    if service == "dynamodb":
        if code == "TransactionCanceledException":
            return transaction_conflict(decoded, rng.randrange(_count_in(decoded, "TransactItems")))
        status, namespace, message = _DYNAMODB_CHAOS[code]
        return _aws_json("1.0", status, {"__type": namespace + code, "message": message})
    if service == "events":
        if code == "InternalFailure":  # PutEvents: HTTP 200, every entry failed
            entries = _count_in(decoded, "Entries")
            failed = [{"ErrorCode": "InternalFailure", "ErrorMessage": "chaos"} for _ in range(entries)]
            return _aws_json("1.1", 200, {"FailedEntryCount": entries, "Entries": failed})
        status, message = _EVENTS_CHAOS[code]
        return _aws_json("1.1", status, {"__type": code, "message": message})
    status, message = _SES_CHAOS[code]
    return _ses_error(status, code, message)


def _number(spec: dict[str, Any], key: str, default: float | None = None) -> float:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"'{key}' must be a number from 0 to 1")
    return float(value)


class Chaos:
    """Seeded random refusals (POST /_pt4c/chaos); used under StandIn.state_lock."""

    def __init__(self, spec: dict[str, Any]):
        if not isinstance(spec, dict):
            raise ValueError("the chaos settings must be a JSON object")
        seed = spec.get("seed")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError("'seed' must be an integer")
        services = spec.get("services", list(CHAOS_SERVICES))
        if not isinstance(services, list) or not services or not all(s in CHAOS_SERVICES for s in services):
            raise ValueError(f"'services' must be a non-empty list of {', '.join(CHAOS_SERVICES)}")
        match = spec.get("match") or []
        if isinstance(match, str):
            match = [match]
        if not isinstance(match, list) or not all(isinstance(m, str) for m in match):
            raise ValueError("'match' must be a string or a list of strings")
        self.seed = seed
        self.rate = _number(spec, "rate")
        self.retryable_share = _number(spec, "retryableShare", 0.8)
        self.services = list(dict.fromkeys(services))
        self.match = match
        self.rng = random.Random(seed)
        self.on = True
        self.figures = {
            s: {"seen": 0, "refused": 0, "retryable": 0, "codes": collections.Counter()} for s in self.services
        }

    def decide(self, service: str, action: str, decoded: str) -> Answer | None:
        """Draw for a request; the error to answer it with, or None to let it through."""
        if not self.on or service not in self.figures:
            return None
        if self.match and not any(m in decoded for m in self.match):
            return None
        figures = self.figures[service]
        figures["seen"] += 1
        if self.rng.random() >= self.rate:
            return None
        retryable = self.rng.random() < self.retryable_share
        code = self.rng.choice(_chaos_codes(service, action, retryable))
        figures["refused"] += 1
        figures["retryable"] += int(retryable)
        figures["codes"][code] += 1
        status, headers, payload = _chaos_answer(service, code, decoded, self.rng)
        return status, headers + [("x-pt4c-chaos", code)], payload

    def describe(self) -> dict[str, Any]:
        by_service = {s: dict(f, codes=dict(f["codes"])) for s, f in self.figures.items()}
        return {
            "on": self.on,
            "seed": self.seed,
            "rate": self.rate,
            "retryableShare": self.retryable_share,
            "services": self.services,
            "match": self.match,
            "seen": sum(f["seen"] for f in by_service.values()),
            "refused": sum(f["refused"] for f in by_service.values()),
            "byService": by_service,
        }


CHAOS_NEVER_ON = {"on": False, "seed": None, "rate": 0.0, "seen": 0, "refused": 0, "byService": {}}


def _bare_addresses(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for _name, addr in email.utils.getaddresses([v for v in values if v]):
        if addr and addr.lower() not in seen:
            seen.add(addr.lower())
            out.append(addr)
    return out


class StandIn:
    """The WSGI application: /_pt4c/ endpoints, faults, then moto under a lock."""

    def __init__(self, moto_app: Callable):
        self.moto_app = moto_app
        self.moto_lock = threading.Lock()  # one AWS call at a time
        self.state_lock = threading.Lock()  # faults, request log, SES timestamps
        self.faults: list[Fault] = []
        self.chaos: Chaos | None = None
        self.requests: collections.deque[tuple[str, str]] = collections.deque(
            maxlen=MAX_REQUEST_LOG
        )
        self.ses_sent_at: dict[str, str] = {}
        self.sms_sent_at: dict[str, str] = {}

    # ---------------------------------------------------------------- WSGI
    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        try:
            path = environ.get("PATH_INFO") or "/"
            if path.startswith(PREFIX) or path == PREFIX.rstrip("/"):
                return self._control(environ, start_response, path)
            return self._aws(environ, start_response)
        except Exception as exc:  # never let a bad request take the server down
            traceback.print_exc(file=sys.stderr)
            try:
                return _json_response(
                    start_response, 500, {"error": f"stand-in failure: {exc!r}"}
                )
            except Exception:
                return [b""]

    def _aws(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        body = _read_body(environ)
        action, decoded = classify(environ, body)
        service = service_of(environ, action)
        refusal: Answer | None = None
        with self.state_lock:
            self.requests.append((action, decoded))
            fault = next((f for f in self.faults if f.matches(action, decoded)), None)
            if fault is not None:  # explicit faults come before chaos
                fault.remaining -= 1
            elif self.chaos is not None:
                refusal = self.chaos.decide(service, action, decoded)
        if fault is not None:
            refusal = fault.render(environ.get("CONTENT_TYPE") or "", decoded)
        if refusal is not None:
            status, headers, payload = refusal
            start_response(status, headers)
            return [payload]

        captured: dict[str, Any] = {}

        def capture(status: str, headers: list, exc_info: Any = None) -> Callable:
            captured["status"] = status
            captured["headers"] = headers
            return lambda _data: None

        with self.moto_lock:
            result = self.moto_app(environ, capture)
            try:
                chunks = [bytes(c) for c in result]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            status = captured.get("status", "500 Internal Server Error")
            if action in SES_SEND_ACTIONS or "outbound-email" in action:
                if status[:1] == "2":
                    self._stamp_new_ses_messages()
            if action == "Publish" and status[:1] == "2":
                self._stamp_new_texts()
        start_response(status, captured.get("headers", []))
        return chunks

    # ------------------------------------------------------- control plane
    def _control(self, environ: dict[str, Any], start_response: Callable, path: str) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING") or "").items()}
        route = path[len(PREFIX):].strip("/") if path.startswith(PREFIX) else ""

        if route == "health" and method in ("GET", "HEAD"):
            return _json_response(start_response, 200, {"ok": True})

        if route == "ses/messages":
            if method == "GET":
                return _json_response(
                    start_response,
                    200,
                    self._ses_messages(query.get("source"), query.get("recipientDomain")),
                )
            if method == "DELETE":
                self._ses_clear()
                return _json_response(start_response, 200, {"ok": True})

        if route == "sns/sms":
            if method == "GET":
                return _json_response(start_response, 200, self._sms_messages(query.get("to")))
            if method == "DELETE":
                self._sms_clear()
                return _json_response(start_response, 200, {"ok": True})

        if route == "faults":
            if method == "POST":
                raw = _read_body(environ)
                try:
                    fault = Fault(json.loads(raw.decode("utf-8") or "null"))
                except (ValueError, UnicodeDecodeError) as exc:
                    return _json_response(start_response, 400, {"error": str(exc)})
                with self.state_lock:
                    self.faults.append(fault)
                return _json_response(start_response, 201, {"id": fault.id})
            if method == "GET":
                with self.state_lock:
                    listed = [f.describe() for f in self.faults]
                return _json_response(start_response, 200, listed)
            if method == "DELETE":
                with self.state_lock:
                    self.faults.clear()
                return _json_response(start_response, 200, {"ok": True})

        if route == "chaos":
            if method == "POST":
                raw = _read_body(environ)
                try:
                    chaos = Chaos(json.loads(raw.decode("utf-8") or "null"))
                except (ValueError, UnicodeDecodeError) as exc:
                    return _json_response(start_response, 400, {"error": str(exc)})
                with self.state_lock:
                    self.chaos = chaos
                    figures = chaos.describe()
                return _json_response(start_response, 201, figures)
            if method in ("GET", "DELETE"):
                with self.state_lock:
                    if self.chaos is not None and method == "DELETE":
                        self.chaos.on = False
                    figures = self.chaos.describe() if self.chaos is not None else CHAOS_NEVER_ON
                return _json_response(start_response, 200, figures)

        if route == "requests":
            if method == "GET":
                action = query.get("action")
                match = query.get("match") or ""
                with self.state_lock:
                    snapshot = list(self.requests)
                seen = [(a, b) for a, b in snapshot if (action is None or a == action) and match in b]
                by_action = collections.Counter(a for a, _ in seen)
                items = collections.Counter()
                for a, b in seen:
                    items[a] += _items_in(a, b)
                return _json_response(
                    start_response,
                    200,
                    {"count": len(seen), "byAction": dict(by_action), "items": dict(items)},
                )
            if method == "DELETE":
                with self.state_lock:
                    self.requests.clear()
                return _json_response(start_response, 200, {"ok": True})

        return _json_response(
            start_response, 404, {"error": f"no such stand-in endpoint: {method} {path}"}
        )

    # ------------------------------------------------------------------ SNS SMS
    @staticmethod
    def _sns_backends() -> Iterable[Any]:
        from moto.sns.models import sns_backends

        for account_backends in list(dict.values(sns_backends)):
            for backend in list(dict.values(account_backends)):
                yield backend

    def _sms_messages(self, to: str | None) -> list[dict[str, Any]]:
        want = (to or "").strip()
        with self.moto_lock:
            texts = [(i, t) for b in self._sns_backends() for i, t in list(b.sms_messages.items())]
        now = _now_rfc3339()
        out: list[dict[str, Any]] = []
        for message_id, (number, text) in texts:
            if want and number != want:
                continue
            with self.state_lock:
                sent_at = self.sms_sent_at.setdefault(message_id, now)
            out.append({"messageId": message_id, "to": number, "text": text, "sentAt": sent_at})
        # oldest first (stable: equal stamps keep moto's order, which is send order)
        out.sort(key=lambda m: m["sentAt"])
        return out

    def _stamp_new_texts(self) -> None:
        """Stamp texts when SNS accepts them (called under moto_lock)."""
        now = _now_rfc3339()
        with self.state_lock:
            for backend in self._sns_backends():
                for message_id in list(backend.sms_messages):
                    self.sms_sent_at.setdefault(message_id, now)

    def _sms_clear(self) -> None:
        with self.moto_lock:
            for backend in self._sns_backends():
                backend.sms_messages.clear()
                getattr(backend, "sms_message_objects", {}).clear()
        with self.state_lock:
            self.sms_sent_at.clear()

    # ------------------------------------------------------------------ SES
    @staticmethod
    def _ses_backends() -> Iterable[Any]:
        from moto.ses.models import ses_backends

        for account_backends in list(dict.values(ses_backends)):
            for backend in list(dict.values(account_backends)):
                yield backend

    @staticmethod
    def _message_ids(message: Any) -> list[str]:
        ident = getattr(message, "id", None)
        return [ident] if ident else []

    def _stamp_new_ses_messages(self) -> None:
        now = _now_rfc3339()
        with self.state_lock:
            for backend in self._ses_backends():
                for message in list(backend.sent_messages):
                    for ident in self._message_ids(message):
                        self.ses_sent_at.setdefault(ident, now)

    def _ses_clear(self) -> None:
        with self.moto_lock:
            for backend in self._ses_backends():
                backend.sent_messages.clear()
        with self.state_lock:
            self.ses_sent_at.clear()

    def _ses_messages(
        self, source: str | None, recipient_domain: str | None = None
    ) -> list[dict[str, Any]]:
        want = (source or "").strip()
        want_addr = email.utils.parseaddr(want)[1].lower() if want else ""
        domain = (recipient_domain or "").strip().lower()
        out: list[dict[str, Any]] = []
        with self.moto_lock:
            messages = [m for b in self._ses_backends() for m in list(b.sent_messages)]
        now = _now_rfc3339()
        for message in messages:
            if domain and not _sent_to_domain(message, domain):
                continue
            try:
                item = self._describe_ses(message)
            except Exception:
                traceback.print_exc(file=sys.stderr)
                continue
            if want:
                src = item["source"] or ""
                src_addr = email.utils.parseaddr(src)[1].lower()
                if src != want and src_addr != want_addr:
                    continue
            with self.state_lock:
                item["sentAt"] = self.ses_sent_at.setdefault(item["messageId"], now)
            out.append(item)
        # oldest first (stable: equal stamps keep moto's order, which is send order)
        out.sort(key=lambda m: m["sentAt"])
        return out

    @staticmethod
    def _describe_ses(message: Any) -> dict[str, Any]:
        raw_data = getattr(message, "raw_data", None)
        if raw_data is not None:
            raw = raw_data if isinstance(raw_data, str) else raw_data.decode("utf-8", "replace")
            source = message.source
            if not source:
                parsed = email.message_from_string(raw)
                source = email.utils.parseaddr(parsed.get("From", ""))[1] or None
            destinations = _bare_addresses(message.destinations or [])
            return {
                "messageId": message.id,
                "source": source,
                "destinations": destinations,
                "raw": raw,
            }
        # SendEmail / SendTemplatedEmail: moto keeps the parts; give a MIME rendering
        dests = message.destinations
        if isinstance(dests, dict):
            flat = [a for key in ("ToAddresses", "CcAddresses", "BccAddresses") for a in dests.get(key, [])]
            to, cc = dests.get("ToAddresses", []), dests.get("CcAddresses", [])
        elif isinstance(dests, list):
            flat = []
            for d in dests:
                inner = d.get("Destination", d) if isinstance(d, dict) else {}
                flat += [a for key in ("ToAddresses", "CcAddresses", "BccAddresses") for a in inner.get(key, [])]
            to, cc = flat, []
        else:
            flat, to, cc = [], [], []
        mime = email.message.EmailMessage()
        mime["From"] = message.source
        if to:
            mime["To"] = ", ".join(to)
        if cc:
            mime["Cc"] = ", ".join(cc)
        mime["Message-ID"] = f"<{message.id}@pt4c.stand-in>"
        if hasattr(message, "subject"):
            mime["Subject"] = message.subject or ""
            mime.set_content(str(message.body or ""))
        else:
            mime["Subject"] = f"template {getattr(message, 'template', '')}"
            mime.set_content(str(getattr(message, "template_data", "")))
        return {
            "messageId": message.id,
            "source": message.source,
            "destinations": _bare_addresses(flat),
            "raw": mime.as_string(),
        }


def _items_in(action: str, decoded: str) -> int:
    """Items a DynamoDB call names (a transaction's or a batch's; 1 for the rest)."""
    if not action.startswith("DynamoDB_"):
        return 1
    try:
        body = json.loads(decoded)
    except ValueError:
        return 1
    if "TransactItems" in body:
        return len(body["TransactItems"])
    if "RequestItems" in body:
        total = 0
        for value in body["RequestItems"].values():
            total += len(value["Keys"]) if isinstance(value, dict) else len(value)
        return total
    return 1


def patch_transactions() -> None:
    """Makes moto's TransactWriteItems undo only the items it touched.

    moto backs up every table a transaction names with ``copy.deepcopy`` before
    running it (moto/dynamodb/models/__init__.py), so a transaction costs time in
    proportion to everything stored: with 30,000 items a two-item transaction
    takes seconds.  Here the backup is of the transaction's own items, and a
    cancelled transaction puts exactly those back.  Same answers, same
    all-or-nothing effect (requests are serialised by the stand-in's lock).
    """
    import copy

    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend.transact_write_items, "_pt4c_patched", False):
        return
    original = DynamoDBBackend.transact_write_items

    class _NoTableCopy:
        """Stands in for the ``copy`` module inside moto's transaction: no table backup."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        undo: list[tuple[str, dict[str, Any], Any]] = []
        seen: set[tuple[str, str]] = set()
        for entry in transact_items:
            try:
                _, op = next(iter(entry.items()))
                table_name = op["TableName"]
                table = self.get_table(table_name)
                if "Item" in op:
                    attrs = op["Item"]
                    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = attrs[table.range_key_attr]
                else:
                    key = op["Key"]
                marker = (table_name, json.dumps(key, sort_keys=True))
                if marker in seen:
                    continue
                seen.add(marker)
                current = self.get_item(table_name, key)
                undo.append((table_name, key, copy.deepcopy(current.to_json()["Attributes"]) if current else None))
            except Exception:  # noqa: BLE001 - moto itself answers malformed requests
                continue
        dynamodb_models.copy = _NoTableCopy  # type: ignore[assignment]
        try:
            return original(self, transact_items)
        except Exception:
            for table_name, key, before in reversed(undo):
                try:
                    if before is None:
                        self.delete_item(table_name, key)
                    else:
                        self.put_item(table_name, before)
                except Exception:  # noqa: BLE001 - already as it was
                    pass
            raise
        finally:
            dynamodb_models.copy = copy  # type: ignore[assignment]

    transact_write_items._pt4c_patched = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def patch_queries() -> None:
    """Makes a DynamoDB Query read what it returns, not the whole table.

    moto answers every Query (on the table or a GSI) by sorting every item of the
    table and filtering them (``Table.all_items`` in moto/dynamodb/models/table.py),
    so a query costs time in proportion to everything stored.  Here a query on the
    table reads the items of its partition, and one on a global secondary index
    with a single hash attribute reads the items an index kept per GSI holds for
    its hash value (built on the table's first such query, then kept in step by
    every put, update and delete).  moto's own code does the rest (key conditions,
    sort order, paging, filters, projections), so the answers are the same.
    """
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_pt4c_patched", False):
        return
    original_query = Table.query
    original_put = Table.put_item
    original_delete = Table.delete_item
    original_update = DynamoDBBackend.update_item

    def item_key(item: Any) -> tuple[Any, Any]:
        return (item.hash_key, item.range_key)

    def single_hash(index: Any) -> str | None:
        hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
        return hashes[0] if len(hashes) == 1 else None

    class GsiIndex:
        """Items by (index name, hash value), and each item's entries to undo them."""

        def __init__(self, table: Any):
            self.attrs = {i.name: single_hash(i) for i in (table.global_indexes or [])}
            self.by_value: dict[str, dict[Any, dict[Any, Any]]] = {n: {} for n in self.attrs}
            self.entries: dict[Any, list[tuple[str, Any]]] = {}
            for item in table.all_items():
                self.add(item)

        def remove(self, key: Any) -> None:
            for name, value in self.entries.pop(key, []):
                bucket = self.by_value[name].get(value)
                if bucket is not None:
                    bucket.pop(key, None)
                    if not bucket:
                        del self.by_value[name][value]

        def add(self, item: Any) -> None:
            key = item_key(item)
            self.remove(key)
            entries = []
            for name, attr in self.attrs.items():
                value = item.attrs.get(attr) if attr else None
                if value is not None:
                    self.by_value[name].setdefault(value, {})[key] = item
                    entries.append((name, value))
            self.entries[key] = entries

    def index_of(table: Any) -> GsiIndex:
        index = table.__dict__.get("_pt4c_gsi")
        if index is None:
            index = GsiIndex(table)
            table._pt4c_gsi = index
        return index

    def candidates(table: Any, hash_key: Any, index_name: str | None, hash_conditions: Any) -> list[Any] | None:
        if not index_name:
            bucket = table.items.get(hash_key) if hash_key is not None else None
            if bucket is None:
                return []
            return list(bucket.values()) if table.range_key_attr else [bucket]
        index = index_of(table)
        attr = index.attrs.get(index_name)
        if not attr:
            return None  # an LSI, or a GSI keyed on several attributes: moto's own walk
        value = next((v for a, v in (hash_conditions or []) if a == attr), hash_key)
        if value is None:
            return None
        found = index.by_value[index_name].get(value, {}).values()
        # in all_items' order, so ties in the index's sort key come out as moto's walk gives them
        return sorted(found, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        found = candidates(self, hash_key, index_name, kwargs.get("hash_key_conditions"))
        if found is None:
            return original_query(self, hash_key, *args, **kwargs)
        self.all_items = lambda: found  # moto's query walks this instead of the table
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = original_put(self, *args, **kwargs)
        index = self.__dict__.get("_pt4c_gsi")
        if index is not None and item is not None:
            index.add(item)
        return item

    def delete_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = original_delete(self, *args, **kwargs)
        index = self.__dict__.get("_pt4c_gsi")
        if index is not None and item is not None:
            index.remove(item_key(item))
        return item

    def update_item(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        item = original_update(self, table_name, *args, **kwargs)  # changes the stored item in place
        index = self.get_table(table_name).__dict__.get("_pt4c_gsi")
        if index is not None and item is not None:
            index.add(item)
        return item

    query._pt4c_patched = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]
    Table.put_item = put_item  # type: ignore[method-assign]
    Table.delete_item = delete_item  # type: ignore[method-assign]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]


def build_app() -> StandIn:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    patch_transactions()
    patch_queries()
    return StandIn(DomainDispatcherApplication(create_backend_app))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MOTO_PORT", 5000)))
    args = parser.parse_args(argv)

    os.environ.setdefault("MOTO_PORT", str(args.port))
    # Cognito checks TOTP codes against its fixed secret (COGNITO_TOTP_MFA_SECRET) only when this is
    # on; without it any code passes, and the staff console's MFA would go untested.
    os.environ.setdefault("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
    # quiet: no per-request lines, no banner
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from werkzeug.serving import make_server
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class QuietHandler(MotoRequestHandler):
        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            pass

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    app = build_app()
    server = make_server(args.host, args.port, app, threaded=True, request_handler=QuietHandler)
    server.daemon_threads = True

    def stop(_signum: int, _frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"pt4c moto stand-in listening on http://{args.host}:{server.port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
