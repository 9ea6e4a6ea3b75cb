#!/usr/bin/env bash
# PT4C Hub's test command (also what CI runs, through .ci/run):
#   1. scripts/setup.sh (node_modules first, then `cargo build --workspace --all-targets` starts in
#      the background while the rest installs and the template is linted: step "build" waits for it)
#   2-4. side by side (single-threaded Python, beside the build): cfn-lint template.yaml,
#      sam validate --lint, and the AWS stand-in's own tests (pytest infra/local/test_moto_stand_in.py)
#   4a. house rules: cargo fmt --check (rustfmt.toml) and cargo clippy -D warnings ([workspace.lints],
#      started beside nextest once its test binaries are built)
#   5. cargo nextest run --workspace --no-fail-fast "$@", with one stand-in per nextest slot
#      (PT4C_TEST_THREADS, default 2) from 127.0.0.1:${PT4C_TEST_MOTO_PORT:-5055} up, listed in
#      PT4C_MOTO_ENDPOINTS (the first also as PT4C_MOTO_ENDPOINT); every stack's clock starts at
#      PT4C_TEST_NOW
#   5a-6. side by side, each over a stand-in of its own: contract (schemathesis checks openapi.yaml
#      against the local stack: scripts/contract.sh) and browser (the local stack,
#      target/debug/pt4c-local on free ports, and `node --test tests/browser/` against it in
#      Chromium: axe-core; screenshots in tests/artifacts/)
# At the end: the ten slowest tests and each step's time (a step run beside others: its own).
# The stand-ins are started once, by the first step that needs them, and stopped at exit.
# Every step runs even if an earlier one failed; exits non-zero if any failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PASSED=()
FAILED=()
TIMES=()
STARTED=$SECONDS
step() {
    local name="$1"
    shift
    printf '\n==> %s\n' "$name"
    local t0=$SECONDS
    if "$@"; then
        PASSED+=("$name")
        TIMES+=("$(printf '%-16s %5d s  ok' "$name" $((SECONDS - t0)))")
    else
        local rc=$?
        printf '==> %s FAILED (exit %s)\n' "$name" "$rc"
        FAILED+=("$name")
        TIMES+=("$(printf '%-16s %5d s  FAILED' "$name" $((SECONDS - t0)))")
    fi
}

summary() {
    slowest_tests
    echo
    echo "each step's time:"
    printf '  %s\n' "${TIMES[@]}"
    printf '  %-16s %5d s\n' "total" $((SECONDS - STARTED))
    if ((${#FAILED[@]} == 0)); then
        echo "test.sh: every step succeeded (${PASSED[*]})"
    else
        echo "test.sh: FAILED steps: ${FAILED[*]}${PASSED:+; succeeded: ${PASSED[*]}}"
    fi
}

# The Rust build starts as soon as node_modules is there (the console's and the booking pages'
# build scripts bundle GOV.UK Frontend from it) and runs while the Python tools install and the
# template is linted; clippy and nextest wait for it (cargo's lock on target/).
t_setup=$SECONDS
"$ROOT/scripts/setup.sh" --node-only
mkdir -p "$ROOT/.local"
PREBUILD_LOG="$ROOT/.local/prebuild.log"
cargo build --workspace --all-targets >"$PREBUILD_LOG" 2>&1 &
PREBUILD_PID=$!
trap 'kill "$PREBUILD_PID" 2>/dev/null || true' EXIT
"$ROOT/scripts/setup.sh"
TIMES+=("$(printf '%-16s %5d s  ok' setup $((SECONDS - t_setup)))")
VENV_BIN="$ROOT/.venv/bin"

# The tests only ever talk to the stand-in: dummy credentials, fixed region.
unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=eu-west-2 AWS_DEFAULT_REGION=eu-west-2
export AWS_EC2_METADATA_DISABLED=true
export SAM_CLI_TELEMETRY=0
# Where every test stack's clock starts (then runs on): no test reads the real date. The default
# (as tests/support/lib.rs's DEFAULT_TEST_NOW) is 23:58 London time on the last day of a month.
export PT4C_TEST_NOW="${PT4C_TEST_NOW:-2026-11-30T23:58:00Z}"

template_exists() {
    [[ -f template.yaml ]] || { echo "template.yaml is missing"; return 1; }
}
cfn_lint() { template_exists && "$VENV_BIN/cfn-lint" template.yaml; }
sam_validate() { template_exists && "$VENV_BIN/sam" validate --lint --template template.yaml; }
stand_in_tests() {
    "$VENV_BIN/python" -m pytest -q -p no:cacheprovider infra/local/test_moto_stand_in.py tests/test_event_samples.py
}

port_free() {
    "$VENV_BIN/python" - "$1" <<'PYEOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PYEOF
}

free_port() {
    "$VENV_BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# The AWS stand-ins: one per nextest slot (each test talks to the one of its slot,
# NEXTEST_TEST_GLOBAL_SLOT, through PT4C_MOTO_ENDPOINTS), so two tests never queue behind one
# stand-in's lock; the first also serves the contract and browser steps. Started by the first step
# that needs them.
TEST_THREADS="${PT4C_TEST_THREADS:-2}"
MOTO_PORTS=()
MOTO_PORT=""
MOTO_STATE="" # "", up or failed
ensure_moto() {
    case "$MOTO_STATE" in
    up) return 0 ;;
    failed) echo "the AWS stand-in did not start (see above)"; return 1 ;;
    esac
    local first="${PT4C_TEST_MOTO_PORT:-5055}" port i starting=()
    for ((i = 0; i < TEST_THREADS; i++)); do
        port=$((first + i))
        # a stand-in left over from an earlier run of ours would carry its state over
        "$ROOT/scripts/moto.sh" stop "$port"
        if ! port_free "$port"; then
            local busy="$port"
            port="$(free_port)"
            echo "port $busy is taken; using $port for an AWS stand-in"
        fi
        MOTO_PORTS+=("$port")
        "$ROOT/scripts/moto.sh" start "$port" &
        starting+=($!)
    done
    local rc=0 pid
    # only the stand-ins' starts: a bare `wait` would wait for the background build or clippy too
    for pid in "${starting[@]}"; do wait "$pid" || rc=$?; done
    MOTO_PORT="${MOTO_PORTS[0]}"
    if ((rc == 0)); then
        MOTO_STATE=up
    else
        MOTO_STATE=failed
        return 1
    fi
}
stop_moto() {
    local port
    for port in "${MOTO_PORTS[@]}"; do
        "$ROOT/scripts/moto.sh" stop "$port" || true
    done
}
moto_endpoints() {
    local port out=""
    for port in "${MOTO_PORTS[@]}"; do out+="${out:+,}http://127.0.0.1:$port"; done
    printf '%s\n' "$out"
}

rust_tests() {
    ensure_moto || return 1
    rm -f "$JUNIT"
    PT4C_MOTO_ENDPOINT="http://127.0.0.1:$MOTO_PORT" PT4C_MOTO_ENDPOINTS="$(moto_endpoints)" \
        cargo nextest run --workspace --no-fail-fast --test-threads "$TEST_THREADS" "$@"
}

# The ten slowest tests of the nextest step (its JUnit report, .config/nextest.toml).
JUNIT="${CARGO_TARGET_DIR:-$ROOT/target}/nextest/default/junit.xml"
slowest_tests() {
    [[ -f "$JUNIT" ]] || return 0
    echo
    echo "the ten slowest tests:"
    "$VENV_BIN/python" - "$JUNIT" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
cases = [(float(c.get("time", 0)), c.get("name", "?")) for c in ET.parse(sys.argv[1]).iter("testcase")]
for t, name in sorted(cases, reverse=True)[:10]:
    print(f"  {t:8.1f} s  {name}")
PYEOF
}

# openapi.yaml against its own local stack over the same stand-in (scripts/contract.sh).
contract_tests() {
    ensure_moto || return 1
    PT4C_MOTO_ENDPOINT="http://127.0.0.1:$MOTO_PORT" "$ROOT/scripts/contract.sh"
}

# The local stack for the browser tests: pt4c-local in the background, stopped at exit.
STACK_PID=""
stop_stack() {
    if [[ -n "$STACK_PID" ]]; then
        kill -INT "$STACK_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$STACK_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$STACK_PID" 2>/dev/null || true
        wait "$STACK_PID" 2>/dev/null || true
        STACK_PID=""
    fi
}

# Any HTTP status from GET /referrals/x means the API is up.
api_answers() {
    "$VENV_BIN/python" - "$1/referrals/x" <<'PYEOF' >/dev/null 2>&1
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except urllib.error.HTTPError:
    pass
PYEOF
}

browser_tests() {
    ensure_moto || return 1
    [[ -x /usr/bin/chromium ]] || { echo "/usr/bin/chromium is missing (scripts/setup.sh installs it)"; return 1; }
    [[ -d node_modules/playwright-core ]] || { echo "node_modules is missing (scripts/setup.sh runs npm ci)"; return 1; }
    # The same package set and targets as the nextest build: a narrower `-p pt4c-local` build
    # resolves other dependency features (dev-dependencies are part of the test build) and
    # would recompile every AWS SDK crate; this one only links.
    cargo build --workspace --all-targets || return 1
    local bin="${CARGO_TARGET_DIR:-$ROOT/target}/debug/pt4c-local"
    local api_port control_port
    api_port="$(free_port)" && control_port="$(free_port)" || return 1
    while [[ "$control_port" == "$api_port" ]]; do control_port="$(free_port)" || return 1; done
    local api="http://127.0.0.1:$api_port" control="http://127.0.0.1:$control_port"
    local log="$ROOT/.local/browser-stack.log"
    mkdir -p "$ROOT/.local"
    echo "starting $bin: API $api, control plane $control, log $log"
    # links in emails point at this stack's API (PUBLIC_BASE_URL unset: the stack's own address)
    env -u PUBLIC_BASE_URL \
        PT4C_MOTO_ENDPOINT="http://127.0.0.1:$MOTO_PORT" \
        PT4C_API_ADDR="127.0.0.1:$api_port" PT4C_CONTROL_ADDR="127.0.0.1:$control_port" \
        PT4C_PREFIX="pt4c-browser-$$" PT4C_CLOCK_START="$PT4C_TEST_NOW" \
        setsid "$bin" </dev/null >"$log" 2>&1 &
    STACK_PID=$!
    local deadline=$((SECONDS + 60))
    until api_answers "$api"; do
        if ! kill -0 "$STACK_PID" 2>/dev/null; then
            echo "pt4c-local exited; last lines of $log:"
            tail -n 30 "$log"
            STACK_PID=""
            return 1
        fi
        if ((SECONDS >= deadline)); then
            echo "no answer from $api/referrals/x after 60 s; last lines of $log:"
            tail -n 30 "$log"
            stop_stack
            return 1
        fi
        sleep 0.25
    done
    local rc=0
    PT4C_API_URL="$api" PT4C_CONTROL_URL="$control" \
        node --test --test-concurrency=1 --test-reporter=spec tests/browser/ || rc=$?
    if ((rc != 0)); then
        echo "last lines of the stack's log ($log):"
        tail -n 20 "$log"
    fi
    stop_stack
    return "$rc"
}

trap 'kill "$PREBUILD_PID" ${CLIPPY_PID:+"$CLIPPY_PID"} ${BESIDE_PIDS[@]+"${BESIDE_PIDS[@]}"} 2>/dev/null || true; stop_stack; stop_moto' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Steps that run beside others: started in the background, their output kept in .local/NAME.log,
# and reported (output, then pass or fail) by `step NAME finish NAME`, in the usual order. A step's
# time in the summary is its own, from its start to its end.
declare -A BESIDE_PID=() BESIDE_T0=()
BESIDE_PIDS=()
beside() {
    local name="$1"
    shift
    BESIDE_T0[$name]=$SECONDS
    (
        local t0=$SECONDS rc=0
        "$@" || rc=$?
        echo "$((SECONDS - t0))" >"$ROOT/.local/$name.took"
        exit "$rc"
    ) >"$ROOT/.local/$name.log" 2>&1 &
    BESIDE_PID[$name]=$!
    BESIDE_PIDS+=($!)
}
finish() {
    local name="$1" rc=0
    wait "${BESIDE_PID[$name]}" || rc=$?
    cat "$ROOT/.local/$name.log"
    return "$rc"
}
# As `step`, for a step that ran beside others: its own time, not the wait.
step_beside() {
    local name="$1"
    printf '\n==> %s (ran beside the others)\n' "$name"
    local rc=0
    finish "$name" || rc=$?
    local took
    took="$(cat "$ROOT/.local/$name.took" 2>/dev/null || echo 0)"
    if ((rc == 0)); then
        PASSED+=("$name")
        TIMES+=("$(printf '%-16s %5d s  ok' "$name" "$took")")
    else
        printf '==> %s FAILED (exit %s)\n' "$name" "$rc"
        FAILED+=("$name")
        TIMES+=("$(printf '%-16s %5d s  FAILED' "$name" "$took")")
    fi
}

# The template's linters and the stand-in's tests are single-threaded Python: all three at once,
# beside the Rust build (cold) or each other (warm).
beside cfn-lint cfn_lint
beside sam-validate sam_validate
beside stand-in-tests stand_in_tests
step_beside cfn-lint
step_beside sam-validate
step_beside stand-in-tests
prebuild() {
    local rc=0
    wait "$PREBUILD_PID" || rc=$?
    ((rc == 0)) || tail -n 40 "$PREBUILD_LOG"
    return "$rc"
}
step fmt cargo fmt --all --check
step build prebuild
# clippy runs beside the nextest step, whose tests mostly wait on the stand-ins, in the same target
# directory (so the build scripts that compile C, aws-lc-sys and SQLite, and the proc macros are
# built once, not twice): it starts once nextest has its test binaries (cargo's lock on target/ is
# free then: nextest runs them without cargo). Its answer is the clippy step's, printed after nextest's.
CLIPPY_LOG="$ROOT/.local/clippy.log"
NEXTEST_LOG="$ROOT/.local/nextest.log"
CLIPPY_PID=""
start_clippy() {
    cargo clippy --workspace --all-targets -- -D warnings >"$CLIPPY_LOG" 2>&1 &
    CLIPPY_PID=$!
}
clippy_result() {
    [[ -n "$CLIPPY_PID" ]] || start_clippy
    local rc=0
    wait "$CLIPPY_PID" || rc=$?
    grep -Ev '^ +(Checking|Compiling|Blocking) ' "$CLIPPY_LOG" | tail -n 60
    return "$rc"
}
nextest_beside_clippy() {
    local rc=0
    : >"$NEXTEST_LOG"
    ensure_moto || return 1 # here, not in the background: the stand-ins are this shell's to stop
    rust_tests "$@" > >(tee "$NEXTEST_LOG") 2>&1 &
    local pid=$!
    # nextest prints "Starting N tests across M binaries" once its build is done
    while kill -0 "$pid" 2>/dev/null && ! grep -q '^ *Starting [0-9]' "$NEXTEST_LOG"; do sleep 1; done
    start_clippy
    wait "$pid" || rc=$?
    return "$rc"
}
step nextest nextest_beside_clippy "$@"
step clippy clippy_result
# The contract and browser steps each run their own local stack, over a stand-in each: side by side.
ensure_moto || true # contract_tests reports it if they did not start
beside contract contract_tests
browser_stand_in() { MOTO_PORT="${MOTO_PORTS[1]:-$MOTO_PORT}" browser_tests; }
step browser browser_stand_in
step_beside contract

summary
((${#FAILED[@]} == 0))
