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
  DELETE /_pt4c/ses/messages               -> forget them (moto's SES backends too)
  POST   /_pt4c/faults                     -> register a canned answer (see below)
  GET    /_pt4c/faults                     -> the faults, with their remaining counts
  DELETE /_pt4c/faults                     -> clear all faults
  GET    /_pt4c/requests?action=A&match=M  -> {"count": n, "byAction": {A: n}, "items": {A: n}}:
                                              requests seen (items: a DynamoDB call's items)
  DELETE /_pt4c/requests                   -> forget the requests seen

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
import signal
import sys
import threading
import traceback
import uuid
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


class Fault:
    _ids = itertools.count(1)

    def __init__(self, spec: dict[str, Any]):
        if not isinstance(spec, dict):
            raise ValueError("the fault must be a JSON object")
        action = spec.get("action")
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
        status = spec.get("status", 500)
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

    def matches(self, action: str, decoded: str) -> bool:
        needles = self.match if isinstance(self.match, list) else [self.match]
        return self.remaining > 0 and action == self.action and all(n in decoded for n in needles)

    def render(self, request_content_type: str) -> tuple[str, list[tuple[str, str]], bytes]:
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
        }


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
        self.requests: collections.deque[tuple[str, str]] = collections.deque(
            maxlen=MAX_REQUEST_LOG
        )
        self.ses_sent_at: dict[str, str] = {}

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
        with self.state_lock:
            self.requests.append((action, decoded))
            fault = next((f for f in self.faults if f.matches(action, decoded)), None)
            if fault is not None:
                fault.remaining -= 1
        if fault is not None:
            status, headers, payload = fault.render(environ.get("CONTENT_TYPE") or "")
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
                return _json_response(start_response, 200, self._ses_messages(query.get("source")))
            if method == "DELETE":
                self._ses_clear()
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

    def _ses_messages(self, source: str | None) -> list[dict[str, Any]]:
        want = (source or "").strip()
        want_addr = email.utils.parseaddr(want)[1].lower() if want else ""
        out: list[dict[str, Any]] = []
        with self.moto_lock:
            messages = [m for b in self._ses_backends() for m in list(b.sent_messages)]
        now = _now_rfc3339()
        for message in messages:
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


def build_app() -> StandIn:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    patch_transactions()
    return StandIn(DomainDispatcherApplication(create_backend_app))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MOTO_PORT", 5000)))
    args = parser.parse_args(argv)

    os.environ.setdefault("MOTO_PORT", str(args.port))
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
