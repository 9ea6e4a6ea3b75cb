"""Schemathesis hooks for the contract run (scripts/contract.sh).

Some rules of the contract cannot be said in JSON Schema: they are relative to the clock
(`referredOn` not in the future nor more than a year back, a workshop's `startsAt` within the next
two years, a `completedAt` not in the future nor before the parent was invited), depend on
configuration (a `moduleId` of the configured catalogue) or relate fields (`completeBy` after
`referredOn`, `parentRef` and `email` unique in a referral), or are the documented refusal of a
valid body (`not-eligible`). So:

- `map_case` moves generated dates into the window the clock allows, keeping their shape (time of
  day, offset), so schema-valid bodies are mostly acceptable and reach the success path;
- `filter_failure` drops a "schema-valid request rejected" failure only when the 422 names nothing
  but those documented rules; any other field it names (a control character, an address the spec
  allows) stays a failure. Schemathesis counts the dropped ones in its summary.
"""

import datetime as dt
import json
import os
import urllib.request
import re

import schemathesis

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# (operationId, field pattern, message) of the 422s that only rules outside JSON Schema explain.
DOCUMENTED = {
    "postReferral": [
        (r"referredOn", r"must not be in the future|must not be more than a year ago"),
        (r"completeBy", r"must be after referredOn|must be at most two years after referredOn"),
        (r"parents\[\d+\]\.(parentRef|email)", r"is used by another parent of this referral"),
    ],
    "createWorkshop": [(r"startsAt", r"must be in the future|must be within two years")],
    "editWorkshop": [(r"startsAt", r"must be in the future|must be within two years")],
    # A cross-field rule: the window [from, to) must not be empty (openapi.yaml says so under 422).
    "listWorkshops": [(r"to", r"must be after from")],
    # The catalogue is configuration (template parameter ELearningModules), not part of the schema.
    "postELearningCompletion": [
        (r"completedAt", r"must not be in the future|must not be before the parent was invited|must not be before 2020"),
        (r"moduleId", r"is not a module of the course"),
    ],
}


_CLOCK_OFFSET = None


def _now():
    """Now on the stack's clock (GET /clock once; it runs on with real time from there)."""
    global _CLOCK_OFFSET
    if _CLOCK_OFFSET is None:
        control = os.environ.get("PT4C_CONTRACT_CONTROL", "")
        _CLOCK_OFFSET = dt.timedelta(0)
        if control:
            with urllib.request.urlopen(f"{control}/clock", timeout=5) as r:
                stack = dt.datetime.fromisoformat(json.loads(r.read())["now"].replace("Z", "+00:00"))
            _CLOCK_OFFSET = stack - dt.datetime.now(dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc) + _CLOCK_OFFSET


def _timestamp(value):
    """The generated RFC 3339 string as an aware datetime, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        t = dt.datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo is not None else None


def _moved(value, into):
    """The generated timestamp moved to the instant `into`, in the generated value's own offset."""
    t = _timestamp(value)
    return into.astimezone(t.tzinfo).replace(microsecond=0).isoformat() if t else value


def _seconds(value):
    t = _timestamp(value)
    return int(t.timestamp()) if t else 0


@schemathesis.hook
def map_case(context, case):
    op = context.operation.definition.raw.get("operationId") if context.operation else None
    body = case.body
    if not isinstance(body, dict):
        return case
    now = _now()
    if op in ("createWorkshop", "editWorkshop") and _timestamp(body.get("startsAt")):
        t = _timestamp(body["startsAt"])
        if not now + dt.timedelta(minutes=5) < t < now + dt.timedelta(days=700):
            body["startsAt"] = _moved(body["startsAt"], now + dt.timedelta(days=1 + _seconds(body["startsAt"]) % 600))
    elif op == "postELearningCompletion" and _timestamp(body.get("completedAt")):
        if _timestamp(body["completedAt"]) > now:
            body["completedAt"] = _moved(body["completedAt"], now - dt.timedelta(seconds=1))
    elif op == "postReferral":
        today = now.date()
        referred = body.get("referredOn")
        if isinstance(referred, str) and DATE.match(referred):
            try:
                day = dt.date.fromisoformat(referred)
            except ValueError:
                day = None
            if day and not today - dt.timedelta(days=360) <= day <= today:
                day = today - dt.timedelta(days=day.toordinal() % 360)
                body["referredOn"] = day.isoformat()
            by = body.get("completeBy")
            if day and isinstance(by, str) and DATE.match(by):
                try:
                    due = dt.date.fromisoformat(by)
                except ValueError:
                    due = None
                if due and not day < due <= day + dt.timedelta(days=700):
                    body["completeBy"] = (day + dt.timedelta(days=1 + due.toordinal() % 700)).isoformat()
    case.body = body
    return case


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keeps every failure but a 422 that only documented rules outside JSON Schema explain."""
    if getattr(failure, "code", None) != "ST202" or response.status_code != 422:
        return True
    op = context.operation.definition.raw.get("operationId") if context.operation else None
    try:
        problem = json.loads(response.content)
    except ValueError:
        return True
    if op == "postReferral" and str(problem.get("type", "")).endswith("/problems/not-eligible"):
        return False
    rules = DOCUMENTED.get(op, [])
    errors = problem.get("errors") or []
    explained = all(
        any(re.fullmatch(field, e.get("field", "")) and re.fullmatch(message, e.get("message", "")) for field, message in rules)
        for e in errors
    )
    return not (errors and explained)
