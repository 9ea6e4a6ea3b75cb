"""Seeds a running local stack with what the contract run needs, and prints it as KEY=VALUE lines.

Operations that act on something stored (a referral, a parent, a workshop, a signed link) are
fuzzed against real ones, named in schemathesis.toml through these variables:

  PT4C_CONTRACT_REFERRAL    a referral of two parents (A has booked WORKSHOP; B is mid e-learning)
  PT4C_CONTRACT_WITHDRAWN   a referral of its own for the withdraw operation
  PT4C_CONTRACT_PARENT      parent A of REFERRAL (concerns)
  PT4C_CONTRACT_LEARNER     parent B of REFERRAL (e-learning completions)
  PT4C_CONTRACT_ATTENDEE    a parent who attended PAST_WORKSHOP (attendance, follow-ups)
  PT4C_CONTRACT_WORKSHOP    an open workshop in the future, A booked on it
  PT4C_CONTRACT_CANCELLED   a workshop of its own for the cancel operation
  PT4C_CONTRACT_PAST_WORKSHOP  a workshop that has started, ATTENDEE booked on it
  PT4C_CONTRACT_HUB_TOKEN   B's Parent Hub link token
  PT4C_CONTRACT_EXPIRED_TOKEN  the welcome link token of ATTENDEE's co-parent on the referral, still
                            on the course, past its 72 hours (new-link: 202, then 429 past the day's quota)
  PT4C_CONTRACT_BOOK_TOKEN  A's booking link token
  PT4C_CONTRACT_CANCEL_TOKEN  A's cancel link token

The attendee's story happens on the stack's clock, moved back four days (PUT /clock) and restored.
usage: seed.py API_URL CONTROL_URL
"""

import datetime as dt
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

API, CONTROL = sys.argv[1].rstrip("/"), sys.argv[2].rstrip("/")
RUN = f"{int(time.time())}-{os.getpid()}"


def call(method, url, body=None, accept="application/json"):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"accept": accept})
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            raw = res.read()
            return res.status, (json.loads(raw) if raw and "json" in res.headers.get("content-type", "") else raw)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def must(expected, method, url, body=None):
    status, answer = call(method, url, body)
    if status not in expected:
        sys.exit(f"seed: {method} {url} answered {status}, expected {expected}: {answer}")
    return answer


def stamp(t):
    return t.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def set_clock(t):
    must((200,), "PUT", f"{CONTROL}/clock", {"now": stamp(t)})


def referral(rid, day, parents):
    return must((201,), "POST", f"{API}/referrals", {
        "referralId": rid,
        "caseNumber": f"ZW{rid[-12:]}",
        "court": {"name": "Central Family Court", "email": "cfc.private@court.example"},
        "familyCourtAdviser": {"name": "Sam Adviser", "email": "sam.adviser@cafcass.example"},
        "referredOn": day.isoformat(),
        "completeBy": (day + dt.timedelta(days=60)).isoformat(),
        "safeguardingConcerns": False,
        "parents": [{"parentRef": ref, "firstName": "Contract", "lastName": ref, "email": email} for ref, email in parents],
    })


def workshop(starts):
    return must((201,), "POST", f"{API}/workshops", {
        "startsAt": stamp(starts), "mode": "online", "location": "https://meet.pt4c.example/contract",
        "trainer": {"name": "Tess Trainer", "email": "tess.trainer@pt4c.example"},
    })["workshopId"]


def link(to, path, subject_words=""):
    """The token of the first /hub/ or /book/ link emailed to `to` (waits for the email)."""
    pattern = re.compile(r"https?://[^\s<>\"']*" + re.escape(path) + r"([A-Za-z0-9_.-]+)")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for mail in must((200,), "GET", f"{CONTROL}/mail"):
            if to in mail.get("to", []) and subject_words.lower() in mail.get("subject", "").lower():
                found = pattern.search(mail.get("text") or "")
                if found:
                    return found.group(1)
        time.sleep(0.25)
    sys.exit(f"seed: no email to {to} with a {path} link ({subject_words!r}) within 30 s")


def complete_elearning(parent_id, at):
    for module in must((200,), "GET", f"{API}/elearning/modules")["modules"]:
        must((200,), "POST", f"{API}/elearning/completions",
             {"parentId": parent_id, "moduleId": module["moduleId"], "completedAt": stamp(at)})


def book(token, workshop_id):
    answer = must((201,), "POST", f"{API}/book/{token}", {"workshopId": workshop_id})
    return answer["cancelUrl"].rsplit("/book/", 1)[1].removesuffix("/cancel")


def stack_now():
    """Now on the stack's clock (scripts/test.sh starts it at PT4C_TEST_NOW), never the machine's."""
    answer = must((200,), "GET", f"{CONTROL}/clock", None)
    return dt.datetime.fromisoformat(answer["now"].replace("Z", "+00:00"))


now = stack_now().replace(microsecond=0)
out = {}
try:
    # The attendee: referred four days ago, booked a workshop that started yesterday, attended.
    past = now - dt.timedelta(days=4)
    set_clock(past)
    attendee_email, idle_email = f"attendee-{RUN}@example.com", f"idle-{RUN}@example.com"
    referral(f"CT-{RUN}-P", past.date(), [("A", attendee_email), ("B", idle_email)])
    attendee = f"CT-{RUN}-P.A"
    past_workshop = workshop(past + dt.timedelta(days=3))
    complete_elearning(attendee, past)
    expired = link(idle_email, "/hub/")
    book(link(attendee_email, "/book/", "book your workshop"), past_workshop)
    set_clock(past + dt.timedelta(days=3, hours=1))
    must((200,), "POST", f"{API}/workshops/{past_workshop}/attendance", {"parentId": attendee, "attended": True})
finally:
    call("DELETE", f"{CONTROL}/clock")

rid = f"CT-{RUN}"
a_email, b_email = f"a-{RUN}@example.com", f"b-{RUN}@example.com"
referral(rid, now.date(), [("A", a_email), ("B", b_email)])
referral(f"CT-{RUN}-W", now.date(), [("A", f"w-{RUN}@example.com")])
future_workshop = workshop(now + dt.timedelta(days=14))
cancelled = workshop(now + dt.timedelta(days=15))
complete_elearning(f"{rid}.A", stack_now())
cancel_token = book(link(a_email, "/book/", "book your workshop"), future_workshop)

out.update({
    "REFERRAL": rid,
    "WITHDRAWN": f"CT-{RUN}-W",
    "PARENT": f"{rid}.A",
    "LEARNER": f"{rid}.B",
    "ATTENDEE": attendee,
    "WORKSHOP": future_workshop,
    "CANCELLED": cancelled,
    "PAST_WORKSHOP": past_workshop,
    "HUB_TOKEN": link(b_email, "/hub/"),
    "EXPIRED_TOKEN": expired,
    "BOOK_TOKEN": link(a_email, "/book/", "book your workshop"),
    "CANCEL_TOKEN": cancel_token,
})
for key, value in out.items():
    print(f"PT4C_CONTRACT_{key}={value}")
