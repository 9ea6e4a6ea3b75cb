#!/usr/bin/env bash
# PT4C Hub's test command (also what CI runs, through .ci/run):
#   1. scripts/setup.sh
#   2. cfn-lint template.yaml
#   3. sam validate --lint
#   4. the AWS stand-in's own tests (pytest infra/local/test_moto_stand_in.py)
#   4a. house rules: cargo fmt --check (rustfmt.toml) and cargo clippy -D warnings ([workspace.lints])
#   5. cargo nextest run --workspace --no-fail-fast "$@", with the stand-in on
#      127.0.0.1:${PT4C_TEST_MOTO_PORT:-5055} exported as PT4C_MOTO_ENDPOINT
#   5a. contract: schemathesis checks openapi.yaml against the local stack (scripts/contract.sh)
#   6. browser: the local stack (target/debug/pt4c-local, over the same stand-in, on free ports)
#      and `node --test tests/browser/` against it in Chromium (axe-core; screenshots in
#      tests/artifacts/)
# The stand-in is started once, by the first step that needs it, and stopped at exit.
# Every step runs even if an earlier one failed; exits non-zero if any failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PASSED=()
FAILED=()
step() {
    local name="$1"
    shift
    printf '\n==> %s\n' "$name"
    if "$@"; then
        PASSED+=("$name")
    else
        local rc=$?
        printf '==> %s FAILED (exit %s)\n' "$name" "$rc"
        FAILED+=("$name")
    fi
}

summary() {
    echo
    if ((${#FAILED[@]} == 0)); then
        echo "test.sh: every step succeeded (${PASSED[*]})"
    else
        echo "test.sh: FAILED steps: ${FAILED[*]}${PASSED:+; succeeded: ${PASSED[*]}}"
    fi
}

"$ROOT/scripts/setup.sh"
VENV_BIN="$ROOT/.venv/bin"

# The tests only ever talk to the stand-in: dummy credentials, fixed region.
unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=eu-west-2 AWS_DEFAULT_REGION=eu-west-2
export AWS_EC2_METADATA_DISABLED=true
export SAM_CLI_TELEMETRY=0

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

# The AWS stand-in, shared by the nextest and browser steps: started by the first that needs it.
MOTO_PORT=""
MOTO_STATE="" # "", up or failed
ensure_moto() {
    case "$MOTO_STATE" in
    up) return 0 ;;
    failed) echo "the AWS stand-in did not start (see above)"; return 1 ;;
    esac
    MOTO_PORT="${PT4C_TEST_MOTO_PORT:-5055}"
    # a stand-in left over from an earlier run of ours would carry its state over
    "$ROOT/scripts/moto.sh" stop "$MOTO_PORT"
    if ! port_free "$MOTO_PORT"; then
        local busy="$MOTO_PORT"
        MOTO_PORT="$(free_port)"
        echo "port $busy is taken; using $MOTO_PORT for the AWS stand-in"
    fi
    if "$ROOT/scripts/moto.sh" start "$MOTO_PORT"; then
        MOTO_STATE=up
    else
        MOTO_STATE=failed
        return 1
    fi
}
stop_moto() {
    if [[ -n "$MOTO_PORT" ]]; then
        "$ROOT/scripts/moto.sh" stop "$MOTO_PORT" || true
    fi
}

rust_tests() {
    ensure_moto || return 1
    PT4C_MOTO_ENDPOINT="http://127.0.0.1:$MOTO_PORT" \
        cargo nextest run --workspace --no-fail-fast "$@"
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
        PT4C_PREFIX="pt4c-browser-$$" \
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

trap 'stop_stack; stop_moto' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step cfn-lint cfn_lint
step sam-validate sam_validate
step stand-in-tests stand_in_tests
step fmt cargo fmt --all --check
step clippy cargo clippy --workspace --all-targets -- -D warnings
step nextest rust_tests "$@"
step contract contract_tests
step browser browser_tests

summary
((${#FAILED[@]} == 0))
