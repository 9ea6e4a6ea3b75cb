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

Faults, chaos and the log of calls are the local stack's own (its wire, in Rust:
crates/local-stack/src/faults.rs): the stack's calls meet them before they leave it.

Run: python infra/local/moto_stand_in.py --host 127.0.0.1 --port 5000
"""

from __future__ import annotations

import argparse
import datetime
import email
import email.message
import email.utils
import io
import json
import logging
import os
import signal
import sys
import threading
import traceback
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

PREFIX = "/_pt4c/"
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


def classify(environ: dict[str, Any], body: bytes) -> str:
    """The action of a request bound for moto: its X-Amz-Target, or its form's or query's
    ``Action`` (the query protocol: SES, SNS), or "<METHOD> <path>" (REST APIs)."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.strip()
    text = body.decode("utf-8", errors="replace")
    if _is_form(environ) or ("Action=" in text and "{" not in text[:1]):
        action = parse_qs(text, keep_blank_values=True).get("Action")
        if action:
            return action[0]
    query = parse_qs(environ.get("QUERY_STRING") or "")
    if query.get("Action"):
        return query["Action"][0]
    return f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '/')}"


def _bare_addresses(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for _name, addr in email.utils.getaddresses([v for v in values if v]):
        if addr and addr.lower() not in seen:
            seen.add(addr.lower())
            out.append(addr)
    return out


class StandIn:
    """The WSGI application: /_pt4c/ endpoints, then moto under a lock."""

    def __init__(self, moto_app: Callable):
        self.moto_app = moto_app
        self.moto_lock = threading.Lock()  # one AWS call at a time
        self.state_lock = threading.Lock()  # SES and SNS timestamps
        # Every email SES accepted, described once when sent, in send order, and by sender: a
        # stack asks for its own sender's mail many times a second, and a run sends thousands.
        self.ses_items: list[dict[str, Any]] = []
        self.ses_by_source: dict[str, list[dict[str, Any]]] = {}
        self.ses_indexed: dict[int, int] = {}  # id(backend) -> its sent_messages described so far
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
        action = classify(environ, _read_body(environ))
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

    def _stamp_new_ses_messages(self) -> None:
        """Describes the emails SES accepted since the last call (called under moto_lock)."""
        now = _now_rfc3339()
        for backend in self._ses_backends():
            messages = backend.sent_messages
            start = self.ses_indexed.get(id(backend), 0)
            for message in list(messages[start:]):
                try:
                    item = self._describe_ses(message)
                except Exception:
                    traceback.print_exc(file=sys.stderr)
                    continue
                item["sentAt"] = now
                sender = email.utils.parseaddr(item["source"] or "")[1].lower()
                with self.state_lock:
                    self.ses_items.append(item)
                    self.ses_by_source.setdefault(sender, []).append(item)
            self.ses_indexed[id(backend)] = len(messages)

    def _ses_clear(self) -> None:
        with self.moto_lock:
            for backend in self._ses_backends():
                backend.sent_messages.clear()
            self.ses_indexed.clear()
            with self.state_lock:
                self.ses_items.clear()
                self.ses_by_source.clear()

    def _ses_messages(
        self, source: str | None, recipient_domain: str | None = None
    ) -> list[dict[str, Any]]:
        """The emails SES accepted, oldest first: only ``source``'s (by its bare address) and only
        those to someone at ``recipient_domain``, when given."""
        want = email.utils.parseaddr((source or "").strip())[1].lower()
        domain = (recipient_domain or "").strip().lower()
        with self.state_lock:
            items = list(self.ses_by_source.get(want, [])) if want else list(self.ses_items)
        if domain:
            items = [m for m in items if any(d.lower().endswith("@" + domain) for d in m["destinations"])]
        return items

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


def patch_lookups() -> None:
    """Makes two of moto's per-request lookups once-only (measured with cProfile over the booking
    races and the welcome-email tests: 3,774 calls took 100 s of moto's CPU, these two 56 s).

    - Every request finds its backend by listing moto's package directory and stat-ing each
      entry (``backends.list_of_moto_modules``: 7.5 ms a request); the directory never changes
      while the server runs, so it is listed once.
    - Every event EventBridge delivers to a target builds its input by parsing the target's
      JSONPath input paths, and jsonpath_ng builds its whole parser each time (``jsonpath_ng.ext
      .parse``: 60 ms a PutEvents); a parsed path is kept per expression (``find`` does not change
      it). Same answers either way.
    """
    import functools

    import jsonpath_ng.ext
    from moto import backends

    if getattr(backends, "_pt4c_patched", False):
        return
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]
    backends._pt4c_patched = True  # type: ignore[attr-defined]
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=256)(jsonpath_ng.ext.parse)  # type: ignore[assignment]


def build_app() -> StandIn:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    patch_transactions()
    patch_queries()
    patch_lookups()
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
