#!/usr/bin/env bash
# Benchmarks that print figures (never fail on speed), gathered into one report:
#   docs/benchmarks.md (and stdout), with the machine and the date.
# - arm64 Lambda bootstrap sizes (cargo lambda build --release --arm64, scripts/lambda-build.sh);
# - start-up and peak memory of each function's release binary against a local Lambda Runtime API
#   (scripts/bench/lambda_startup.py), AWS clients built as in production;
# - AWS calls and DynamoDB capacity per operation, cost per 1,000 referrals (tests/benches/aws_calls.rs),
#   with the texts of SMS_KINDS at US$0.045 per UK transactional SMS part (an estimate: AWS's UK row at
#   https://aws.amazon.com/end-user-messaging/pricing/ could not be read on 2026-11-28; PT4C_SMS_PRICE_USD overrides it);
# - sweep scaling with what is stored (tests/benches/sweep_scaling.rs);
# - the Parent Hub page and booking under contention on the local stack;
# - the staff console's dashboard and a workshop roster page on the local stack (tests/benches/console_pages.rs);
# - the booking page with 5,000 future workshops stored: items read and time of one view (tests/benches/booking_page.rs);
# - the capacity forecast's items read with 1,000 and 10,000 parents on the course (tests/benches/forecast_capacity.rs).
# Starts its own AWS stand-in on ${PT4C_BENCH_MOTO_PORT:-5066}. Takes long on a small machine: two
# release builds (arm64 for Lambda, this machine's for start-up times) and 100,000 stored referrals.
# PT4C_BENCH_STEPS picks steps (default: "sizes startup calls sweep pages console booking forecast chaos heavy store"); the report is always
# rebuilt from the latest figures of every step in target/bench/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/scripts/setup.sh"
OUT="$ROOT/target/bench"
mkdir -p "$OUT"
FUNCTIONS=(referral-intake welcome-email event-relay booking course-admin notifications deadline-sweep staff-console)
log() { printf 'bench: %s\n' "$*" >&2; }
STEPS=" ${PT4C_BENCH_STEPS:-sizes startup calls sweep pages console booking forecast chaos heavy store} "
step() { [[ "$STEPS" == *" $1 "* ]]; }

# --- sizes: arm64 bootstraps, as deployed ------------------------------------------------
if step sizes; then
log "arm64 release build (cargo lambda)"
"$ROOT/scripts/lambda-build.sh" > "$OUT/sizes.txt"
{
    echo "## Lambda bootstrap sizes (arm64, release)"
    echo
    echo "| function | bytes | MiB | under 8 MB |"
    echo "|---|---|---|---|"
    for f in "${FUNCTIONS[@]}"; do
        b="$(stat -c %s "$ROOT/target/lambda/$f/bootstrap")"
        echo "| $f | $b | $(awk -v b="$b" 'BEGIN { printf "%.2f", b / 1048576 }') | $([[ $b -lt 8000000 ]] && echo yes || echo NO) |"
    done
    echo
} > "$OUT/sizes.md"
fi

# --- start-up and memory: this machine's release binaries, a local Runtime API -------------
PORT="${PT4C_BENCH_MOTO_PORT:-5066}"
"$ROOT/scripts/moto.sh" start "$PORT"
trap '"$ROOT/scripts/moto.sh" stop "$PORT"' EXIT
unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=eu-west-2 AWS_DEFAULT_REGION=eu-west-2
export AWS_EC2_METADATA_DISABLED=true PT4C_MOTO_ENDPOINT="http://127.0.0.1:$PORT"
if step startup; then
log "release build for this machine ($(uname -m))"
bins=(); for f in "${FUNCTIONS[@]}"; do bins+=(--bin "$f"); done
cargo build --release "${bins[@]}"
# The functions' table, bus and sender, so the typical event's AWS calls are answered.
"$ROOT/.venv/bin/python" - "$PT4C_MOTO_ENDPOINT" <<'PY'
import sys, boto3
kw = dict(endpoint_url=sys.argv[1], region_name="eu-west-2", aws_access_key_id="testing", aws_secret_access_key="testing")
ddb = boto3.client("dynamodb", **kw)
if "pt4c-bench" not in ddb.list_tables()["TableNames"]:
    ddb.create_table(
        TableName="pt4c-bench", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "duePk", "dueAt")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "due-index", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "duePk", "KeyType": "HASH"}, {"AttributeName": "dueAt", "KeyType": "RANGE"}]}])
events = boto3.client("events", **kw)
if "pt4c-bench" not in [b["Name"] for b in events.list_event_buses()["EventBuses"]]:
    events.create_event_bus(Name="pt4c-bench")
boto3.client("ses", **kw).verify_email_identity(EmailAddress="no-reply@pt4c.example")
# The consumers' dead-letter queue (a permanent failure is parked there at once).
boto3.client("sqs", **kw).create_queue(QueueName="pt4c-bench-dlq")
PY
{
    echo "## Start-up and memory (release binaries on this machine, local Lambda Runtime API)"
    echo
    echo "Start-up: from exec to the function's first request for work (GET /runtime/invocation/next), 20 starts;"
    echo "configuration and AWS clients built as in production (Deps::from_env; the link key from the environment, not SSM)."
    echo "Peak memory (VmHWM) after handling one typical event against the local AWS stand-in."
    echo
    "$ROOT/.venv/bin/python" scripts/bench/lambda_startup.py --bin-dir "$ROOT/target/release" --moto "$PT4C_MOTO_ENDPOINT" \
        --starts 20 --json "$OUT/startup.json"
    echo
} > "$OUT/startup.md"
cat "$OUT/startup.md"
fi

# --- the local stack: calls, cost, sweep scaling, pages, contention, console ---------------
# The dev profile: the same build as the tests (these measure AWS calls and the stand-in, not our CPU).
if step calls; then cargo bench --profile dev -p pt4c-tests --bench aws_calls; fi
if step sweep; then cargo bench --profile dev -p pt4c-tests --bench sweep_scaling; fi
if step pages; then
    cargo bench --profile dev -p pt4c-tests --bench hub_page | tee "$OUT/hub_page.txt"
    cargo bench --profile dev -p pt4c-tests --bench booking_contention | tee "$OUT/booking_contention.txt"
fi
if step console; then cargo bench --profile dev -p pt4c-tests --bench console_pages | tee "$OUT/console_pages.txt"; fi
# Writes target/bench/booking_page.md (items read against choices shown; median and p90 of one view).
if step booking; then cargo bench --profile dev -p pt4c-tests --bench booking_page; fi
# Writes target/bench/forecast.md (the forecast's items read against the parents on the course).
if step forecast; then cargo bench --profile dev -p pt4c-tests --bench forecast_capacity; fi

# --- store: the store ports' contract suite on a second, independent emulator -----------------
# The test command runs crates/adapters/tests/store on dynoxide in process; here the same cases run on
# moto (PT4C_STORE_ENDPOINT), so two emulators must agree on every rule the store's conditions hold.
if step store; then
    t0=$SECONDS
    if PT4C_STORE_ENDPOINT="$PT4C_MOTO_ENDPOINT" cargo nextest run -p pt4c-adapters --test store --no-capture > "$OUT/store-run.log" 2>&1; then
        result=passed
    else
        result=FAILED
        tail -n 30 "$OUT/store-run.log" >&2
    fi
    echo "store contract on moto: $result in $((SECONDS - t0)) s ($(grep -c 'no stream' "$OUT/store-run.log" || true) cases skip their history check: no stream there)" \
        | tee "$OUT/store.txt"
fi

# --- chaos: the whole course while one AWS call in ten is refused (tests/chaos.rs) ----------
# Full size here (PT4C_FULL_SIZE=1: 20 referrals); the test command runs 10.
if step chaos; then
    log "chaos run: 20 referrals, 10 % of AWS calls refused"
    PT4C_FULL_SIZE=1 cargo nextest run -p pt4c-tests --no-capture -E 'test(chaos::referrals_run_the_whole_course)' 2>&1 \
        | grep 'chaos figures' | tee "$OUT/chaos.txt"
fi

# --- heavy: the full-size race and sweep the test command runs small (PT4C_FULL_SIZE=1) ---------
# The waiting-list race (30 parents, 20 rounds; 3 in the test command), the booking race (30
# parents for 6 seats, 20 rounds; 5 in the test command) and the sweep over 10,000
# stored referrals (1,000 in the test command), and the seat-race property over the store on the
# in-process emulator (256 orders; 4 in the test command): each checks what it checks at both sizes.
if step heavy; then
    : > "$OUT/heavy.txt"
    for t in 'booking::waiting::thirty_waiting_parents_race' 'booking::races::thirty_parents_from_fifteen_cases' 'deadlines::with_thousands_of_referrals_stored' 'seat_races::seats_booked_and_held'; do
        log "full size: $t"
        t0=$SECONDS
        if PT4C_FULL_SIZE=1 cargo nextest run --workspace --no-capture -E "test($t)" > "$OUT/heavy-run.log" 2>&1; then
            result=passed
        else
            result=FAILED
            tail -n 30 "$OUT/heavy-run.log" >&2
        fi
        echo "$t: $result in $((SECONDS - t0)) s (full size, with the build's check)" | tee -a "$OUT/heavy.txt"
        grep -h 'sweep over' "$OUT/heavy-run.log" | tee -a "$OUT/heavy.txt" || true
    done
fi

# --- the report ---------------------------------------------------------------------------
{
    echo "# PT4C Hub benchmarks"
    echo
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') at commit $(git rev-parse --short HEAD) by \`scripts/bench.sh\`."
    echo "Machine: $(uname -sm), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GB RAM; rustc $(rustc --version | cut -d' ' -f2)."
    echo "Benchmarks print figures and never fail on speed. Targets: each bootstrap under 8 MB; start-up under 50 ms;"
    echo "no AWS call an operation does not need; sweep items read independent of what is stored."
    echo
    # Each step's latest figures; a step never run here yet is left out.
    for md in sizes startup aws_calls sweep_scaling booking_page forecast; do
        if [ -f "$OUT/$md.md" ]; then cat "$OUT/$md.md"; echo; fi
    done
    if [ -f "$OUT/hub_page.txt" ] && [ -f "$OUT/booking_contention.txt" ]; then
        echo "## Parent Hub page and booking contention (local stack, dev build)"
        echo
        echo '```'
        grep -v '^\s*$' "$OUT/hub_page.txt" "$OUT/booking_contention.txt" | sed "s#^$OUT/##"
        echo '```'
    fi
    if [ -f "$OUT/console_pages.txt" ]; then
        echo
        echo "## Staff console pages (local stack)"
        echo
        echo "A coordinator signed in (server-side session, CSRF token) loads the dashboard and one workshop's roster page,"
        echo "each 200 times in a row after 10 warm-up loads. The local stack is a dev (debug) build over the moto stand-in,"
        echo "which answers one AWS call at a time while the stack's pollers and outbox relay run: the times are this"
        echo "machine's local stack, not Lambda's; the DynamoDB calls per page (the fewest of 5 loads) are what a page costs."
        echo
        echo '```'
        grep -v '^\s*$' "$OUT/console_pages.txt"
        echo '```'
    fi
    if [ -f "$OUT/chaos.txt" ]; then
        echo
        echo "## Chaos run (local stack; 20 referrals, 10 % of DynamoDB, EventBridge and SES calls refused at random)"
        echo
        echo '```'
        cat "$OUT/chaos.txt"
        echo '```'
    fi
    if [ -f "$OUT/heavy.txt" ]; then
        echo
        echo "## Full-size race and sweep (local stack; the test command runs them small)"
        echo
        echo '```'
        cat "$OUT/heavy.txt"
        echo '```'
    fi
    if [ -f "$OUT/store.txt" ]; then
        echo
        echo "## The store's contract suite on moto (the test command runs it on dynoxide)"
        echo
        echo '```'
        cat "$OUT/store.txt"
        echo '```'
    fi
    # What a reader needs beyond the figures (which steps ran at which commit, what was cut short): written by hand.
    if [ -f "$ROOT/docs/benchmarks-notes.md" ]; then echo; cat "$ROOT/docs/benchmarks-notes.md"; fi
} > "$ROOT/docs/benchmarks.md"
cat "$ROOT/docs/benchmarks.md"
