#!/usr/bin/env python3
"""Cold-start figures for PT4C's Lambda binaries, run locally against a stand-in Runtime API.

What it measures, per function binary:

* start-up: from just before ``subprocess.Popen`` to the moment the local Runtime API receives the
  binary's first ``GET /2018-06-01/runtime/invocation/next``. That span is the cold-start work
  our code controls: loading the binary, the tokio runtime, telemetry, ``Deps::from_env`` (AWS
  config and clients, the link signing key) and the router. Repeated ``--starts`` times; each
  process is killed at its first ``/next``. Median and p90 (nearest rank) in ms.
* one event: one more start in which a sample event is delivered. Once the binary posts its
  response (or error) we read ``VmHWM`` (peak RSS; Lambda bills and reports memory the same way)
  from ``/proc/PID/status``, and time the handling, from serving the event to receiving the
  answer. Whether it answered a response or an error is recorded, never judged: with an empty
  stand-in table most events fail, and that is fine, the point is start-up and one round trip.

Why: Lambda bills init time and memory, and the cold start is what a parent waits for on the first
request. These are figures to watch across changes; the tool never passes or fails on speed.
It exits non-zero only when the tool itself cannot run (e.g. a binary named in --functions is
missing); a function that fails to start or answers an error is reported in the table.

The children get a production-like environment and no real AWS: every AWS call goes to --moto
(the local stand-in, ``scripts/moto.sh start PORT``; without one, calls fail fast), and
LINK_SIGNING_KEY is set so no SSM call is made. Use --release binaries for figures close to
Lambda's; debug binaries are slower and larger.

    scripts/bench/lambda_startup.py --bin-dir target/debug --moto http://127.0.0.1:5077 \\
        --starts 20 --json /tmp/lambda-startup.json [--functions booking,event-relay]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
API = "/2018-06-01/runtime"
REGION = "eu-west-2"
ACCOUNT = "123456789012"
DEADLINE_MS = 30_000
STDERR_TAIL_LINES = 12


def http_event(method: str, path: str) -> bytes:
    """An API Gateway HTTP API payload (format 2.0), as the $default route delivers it."""
    now = time.time()
    domain = f"bench.execute-api.{REGION}.amazonaws.com"
    return json.dumps({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"accept": "*/*", "host": domain, "user-agent": "pt4c-lambda-startup",
                    "x-forwarded-proto": "https"},
        "requestContext": {
            "accountId": ACCOUNT, "apiId": "bench", "domainName": domain, "domainPrefix": "bench",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                     "userAgent": "pt4c-lambda-startup"},
            "requestId": str(uuid.uuid4()), "routeKey": "$default", "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }).encode()


def sample(name: str) -> bytes:
    return (EVENTS / name).read_bytes()


# Binary name -> (what is delivered, how to build it), in the order they are run.
FUNCTIONS = {
    "event-relay": ("events/relay-schedule.json", lambda: sample("relay-schedule.json")),
    "referral-intake": ("GET /referrals/CAF-NOPE", lambda: http_event("GET", "/referrals/CAF-NOPE")),
    "welcome-email": ("events/ReferralReceived.json", lambda: sample("ReferralReceived.json")),
    "booking": ("GET /assets/hub-5.14.0.css", lambda: http_event("GET", "/assets/hub-5.14.0.css")),
    "course-admin": ("GET /elearning/modules", lambda: http_event("GET", "/elearning/modules")),
    "notifications": ("events/ELearningCompleted.json", lambda: sample("ELearningCompleted.json")),
    "deadline-sweep": ("events/relay-schedule.json", lambda: sample("relay-schedule.json")),
    "staff-console": ("GET /console/sign-in", lambda: http_event("GET", "/console/sign-in")),
}


class StartFailed(Exception):
    """The binary exited, or never asked for an event, before its first GET /next."""

    def __init__(self, reason: str, stderr_tail: list[str]):
        super().__init__(reason)
        self.stderr_tail = stderr_tail


@dataclass
class Run:
    """One process's view of the Runtime API: what to deliver and what came back, with times."""

    function: str
    event: bytes | None  # None: a start-up run, whose first /next is held, not answered
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    first_next_ns: int | None = None
    served_ns: int | None = None
    answer: dict | None = None
    init_error: str | None = None
    nexts: int = 0
    first_next: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def claim_next(self, at_ns: int) -> bool:
        """Records a GET /next; True when this one is to be answered with the event."""
        with self.lock:
            first = self.nexts == 0
            self.nexts += 1
        if first:
            self.first_next_ns = at_ns
            self.first_next.set()
        return first and self.event is not None


class RuntimeApiServer(ThreadingHTTPServer):
    """The local Runtime API; `run` is the process being measured (one at a time)."""

    run: Run | None = None

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # killed processes drop connections
            super().handle_error(request, client_address)


class RuntimeApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # the runtime client keeps its connection alive

    def do_GET(self) -> None:
        at_ns = time.perf_counter_ns()
        run: Run = self.server.run
        if self.path != f"{API}/invocation/next":
            return self.reply(404, b'{"errorMessage":"not found"}')
        if not run.claim_next(at_ns):
            run.released.wait()  # hold the request until the run ends and the process is killed
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(run.event)))
        self.send_header("Lambda-Runtime-Aws-Request-Id", run.request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + DEADLINE_MS))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                         f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{run.function}")
        self.send_header("Lambda-Runtime-Trace-Id",
                         f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Sampled=0")
        run.served_ns = time.perf_counter_ns()  # before the event leaves, so no answer can precede it
        self.end_headers()
        self.wfile.write(run.event)

    def do_POST(self) -> None:
        body = self.read_body()
        at_ns = time.perf_counter_ns()
        run: Run = self.server.run
        invocation = f"{API}/invocation/{run.request_id}/"
        if self.path == f"{API}/init/error":
            run.init_error = body.decode(errors="replace")
            return self.reply(202, b'{"status":"OK"}')
        if self.path not in (invocation + "response", invocation + "error"):
            return self.reply(404, b'{"errorMessage":"not found"}')
        run.answer = {"kind": self.path.rsplit("/", 1)[1], "at_ns": at_ns, "body": body.decode(errors="replace")}
        self.reply(202, b'{"status":"OK"}')
        run.answered.set()  # after the acknowledgement: the process is killed once this is set

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length", 0)))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0], 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
            pass
        return b"".join(chunks)

    def reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def child_env(function: str, runtime_api: str, moto: str, link_key: str) -> dict[str, str]:
    """The environment Lambda gives the function, with AWS pointed at the stand-in."""
    return {
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": moto,
        "AWS_EC2_METADATA_DISABLED": "true",
        "TABLE_NAME": "pt4c-bench",
        "EVENT_BUS_NAME": "pt4c-bench",
        "SENDER_EMAIL": "no-reply@pt4c.example",
        # Consumers park an event that names nothing we hold here (the queue scripts/bench.sh made).
        "DEAD_LETTER_QUEUE_URL": f"{moto}/123456789012/pt4c-bench-dlq",
        "PUBLIC_BASE_URL": "http://127.0.0.1:3000",
        "LINK_SIGNING_KEY": link_key,
        # The staff console's user pool (its sign-in page makes no Cognito call).
        "USER_POOL_ID": "eu-west-2_bench",
        "USER_POOL_CLIENT_ID": "bench-client",
        "RUST_LOG": "warn",
    }


@dataclass
class Bench:
    server: RuntimeApiServer
    bin_dir: Path
    moto: str
    timeout_s: float
    link_key: str = field(default_factory=lambda: secrets.token_hex(32))

    def launch(self, run: Run) -> tuple[subprocess.Popen, int, IO[bytes]]:
        """Starts the binary for one run; returns the process, its start time and its stderr file."""
        host, port = self.server.server_address[:2]
        env = child_env(run.function, f"{host}:{port}", self.moto, self.link_key)
        stderr = tempfile.TemporaryFile()
        self.server.run = run
        started_ns = time.perf_counter_ns()
        proc = subprocess.Popen([str(self.bin_dir / run.function)], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=stderr)
        return proc, started_ns, stderr

    def wait(self, signal: threading.Event, proc: subprocess.Popen) -> str:
        """Waits for `signal` while the process lives: 'ok', 'exited' or 'timeout'."""
        deadline = time.monotonic() + self.timeout_s
        while not signal.wait(0.02):
            if proc.poll() is not None:
                return "ok" if signal.is_set() else "exited"
            if time.monotonic() > deadline:
                return "timeout"
        return "ok"

    def start(self, run: Run) -> tuple[subprocess.Popen, float]:
        """Launches the run's process and waits for its first /next; returns it and the start-up ms."""
        proc, started_ns, stderr = self.launch(run)
        outcome = self.wait(run.first_next, proc)
        if outcome != "ok":
            stop(proc, run)
            reason = (f"exited with code {proc.returncode} before GET /next" if outcome == "exited"
                      else f"no GET /next within {self.timeout_s:g} s")
            if run.init_error:
                reason += f"; init error: {run.init_error}"
            raise StartFailed(reason, tail(stderr))
        stderr.close()
        return proc, (run.first_next_ns - started_ns) / 1e6

    def startup_ms(self, function: str) -> float:
        run = Run(function, event=None)
        proc, ms = self.start(run)
        stop(proc, run)
        return ms

    def one_event(self, function: str, event: bytes) -> dict:
        """One start that handles the event; peak RSS is read once the answer is posted."""
        run = Run(function, event=event)
        proc, startup = self.start(run)
        outcome = self.wait(run.answered, proc)
        peak_kb = vm_hwm_kb(proc.pid) if outcome != "exited" else None
        stop(proc, run)
        result = {"startup_ms": round(startup, 2), "peak_rss_kb": peak_kb,
                  "peak_rss_mb": round(peak_kb / 1024, 1) if peak_kb else None}
        if outcome == "exited":
            return {**result, "answer": {"kind": "exited", "exit_code": proc.returncode}}
        if outcome == "timeout":
            return {**result, "answer": {"kind": f"no answer within {self.timeout_s:g} s"}}
        return {**result, "event_ms": round((run.answer["at_ns"] - run.served_ns) / 1e6, 2),
                "answer": describe(run.answer)}


def stop(proc: subprocess.Popen, run: Run) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    run.released.set()


def tail(stderr: IO[bytes]) -> list[str]:
    stderr.seek(0)
    lines = stderr.read().decode(errors="replace").splitlines()
    stderr.close()
    return lines[-STDERR_TAIL_LINES:]


def vm_hwm_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:  # the process has gone
        pass
    return None


def describe(answer: dict) -> dict:
    """The answer's kind plus what identifies it: an HTTP status, or the error's type and message."""
    try:
        body = json.loads(answer["body"])
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return {"kind": answer["kind"]}
    if answer["kind"] == "error":
        return {"kind": "error", "error_type": body.get("errorType"), "error_message": body.get("errorMessage")}
    if "statusCode" in body:
        return {"kind": "response", "status": body["statusCode"]}
    return {"kind": "response"}


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def bench_function(bench: Bench, function: str, starts: int) -> dict:
    label, build_event = FUNCTIONS[function]
    result = {"function": function, "event": label}
    if not (bench.bin_dir / function).is_file():
        return {**result, "status": "missing"}
    try:
        times = [bench.startup_ms(function) for _ in range(starts)]
        result |= {"startup_ms": [round(t, 2) for t in times],
                   "startup_median_ms": round(statistics.median(times), 2),
                   "startup_p90_ms": round(percentile(times, 90), 2)}
        one = bench.one_event(function, build_event())
        return {**result, "status": "ok", "one_event": one}
    except StartFailed as failed:
        return {**result, "status": "start failed", "reason": str(failed), "stderr_tail": failed.stderr_tail}


def answer_cell(result: dict) -> str:
    if result["status"] == "missing":
        return "binary missing"
    if result["status"] != "ok":
        last = result["stderr_tail"][-1:] or ["no stderr"]
        return f"start failed: {result['reason']} ({short(last[0])})"
    answer = result["one_event"]["answer"]
    if answer["kind"] == "response":
        return f"response {answer['status']}" if "status" in answer else "response"
    if answer["kind"] == "error":
        return f"error: {short(answer.get('error_message') or '')}"
    return answer["kind"] + (f" with code {answer['exit_code']} before answering" if "exit_code" in answer else "")


def short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def table(results: list[dict]) -> str:
    def cell(value) -> str:
        return "–" if value is None else str(value).replace("|", "\\|")

    rows = ["| function | start-up median ms | p90 ms | peak RSS MB | one event ms | answer |",
            "|---|---:|---:|---:|---:|---|"]
    for r in results:
        one = r.get("one_event", {})
        rows.append("| " + " | ".join(cell(v) for v in (
            r["function"], r.get("startup_median_ms"), r.get("startup_p90_ms"),
            one.get("peak_rss_mb"), one.get("event_ms"), answer_cell(r))) + " |")
    return "\n".join(rows)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin-dir", type=Path, required=True, help="directory of the function binaries")
    parser.add_argument("--moto", required=True, help="AWS stand-in endpoint, e.g. http://127.0.0.1:5077")
    parser.add_argument("--starts", type=int, default=20, help="start-up runs per function (default 20)")
    parser.add_argument("--json", type=Path, required=True, help="where to write the results as JSON")
    parser.add_argument("--functions", help="comma-separated binary names (default: all)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for a first /next, and for an answer (default 30)")
    args = parser.parse_args(argv)
    if args.starts < 1:
        parser.error("--starts must be at least 1")
    if args.functions:
        args.functions = [f.strip() for f in args.functions.split(",") if f.strip()]
        unknown = [f for f in args.functions if f not in FUNCTIONS]
        if unknown:
            parser.error(f"unknown function(s) {', '.join(unknown)}; known: {', '.join(FUNCTIONS)}")
        missing = [f for f in args.functions if not (args.bin_dir / f).is_file()]
        if missing:
            parser.error(f"binary missing in {args.bin_dir}: {', '.join(missing)}")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    server = RuntimeApiServer(("127.0.0.1", 0), RuntimeApiHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    bench = Bench(server, args.bin_dir.resolve(), args.moto, args.timeout)
    load = os.getloadavg()
    try:
        results = []
        for function in args.functions or FUNCTIONS:
            print(f"{function} …", file=sys.stderr, flush=True)
            results.append(bench_function(bench, function, args.starts))
    finally:
        server.shutdown()
    print(table(results))
    for r in results:
        if r["status"] == "start failed":
            print(f"\n{r['function']}: {r['reason']}; last lines of stderr:", *(r["stderr_tail"] or ["(none)"]), sep="\n  ",
                  file=sys.stderr)
    args.json.write_text(json.dumps({
        "bin_dir": str(bench.bin_dir), "moto": args.moto, "starts": args.starts,
        "startup": "Popen to first GET /next", "p90": "nearest rank", "peak_rss": "VmHWM after the answer",
        "host": {"cpus": os.cpu_count(), "loadavg_at_start": [round(x, 2) for x in load],
                 "machine": platform.machine(), "python": platform.python_version()},
        "results": results,
    }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
