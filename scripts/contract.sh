#!/usr/bin/env bash
# The API contract checked by a tool that did not write it: schemathesis generates requests from
# openapi.yaml (its examples, boundary values, then random ones, valid and invalid) and sends them
# to the local stack, checking every answer: no 5xx, a documented status and content type, a body
# that matches the response schema, schema-valid requests accepted, schema-invalid ones refused.
#
#   scripts/contract.sh [schemathesis run options...]
#
# - the stack: target/debug/pt4c-local (built as the tests build it, or PT4C_LOCAL_BIN), on free
#   ports, over the AWS stand-in at $PT4C_MOTO_ENDPOINT (scripts/test.sh passes its own), else over
#   one this script starts on a free port; both stopped at exit;
# - seeded by scripts/contract/seed.py with a referral, parents, workshops and signed links, so
#   operations on stored things are tested on real ones (scripts/contract/schemathesis.toml);
# - rules JSON Schema cannot say (clock, cross-field) are handled in scripts/contract/hooks.py;
# - one fixed seed (PT4C_CONTRACT_SEED; "random" explores new requests);
# - time box: PT4C_CONTRACT_MAX_TIME seconds of generation (default 60) after the examples and
#   boundary values; the report (JUnit, NDJSON) goes to .local/contract/.
# Exits non-zero when schemathesis finds a failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/setup.sh"
VENV_BIN="$ROOT/.venv/bin"
STATE="$ROOT/.local/contract"
mkdir -p "$STATE"
log() { printf 'contract: %s\n' "$*" >&2; }

# The stack only ever talks to the stand-in: dummy credentials, fixed region.
unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=eu-west-2 AWS_DEFAULT_REGION=eu-west-2
export AWS_EC2_METADATA_DISABLED=true

free_port() {
    "$VENV_BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

MOTO_PORT=""
STACK_PID=""
cleanup() {
    if [[ -n "$STACK_PID" ]]; then
        kill -INT "$STACK_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$STACK_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$STACK_PID" 2>/dev/null || true
        wait "$STACK_PID" 2>/dev/null || true
    fi
    if [[ -n "$MOTO_PORT" ]]; then
        "$ROOT/scripts/moto.sh" stop "$MOTO_PORT" || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -z "${PT4C_MOTO_ENDPOINT:-}" ]]; then
    MOTO_PORT="$(free_port)"
    "$ROOT/scripts/moto.sh" start "$MOTO_PORT"
    export PT4C_MOTO_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
fi

bin="${PT4C_LOCAL_BIN:-}"
if [[ -z "$bin" ]]; then
    # The same package set and targets as the nextest build, so after it this only links.
    cargo build --workspace --all-targets
    bin="${CARGO_TARGET_DIR:-$ROOT/target}/debug/pt4c-local"
fi

api_port="$(free_port)"
control_port="$(free_port)"
while [[ "$control_port" == "$api_port" ]]; do control_port="$(free_port)"; done
api="http://127.0.0.1:$api_port"
control="http://127.0.0.1:$control_port"
stack_log="$STATE/stack.log"
log "starting $bin: API $api, control plane $control, AWS stand-in $PT4C_MOTO_ENDPOINT, log $stack_log"
env -u PUBLIC_BASE_URL \
    PT4C_API_ADDR="127.0.0.1:$api_port" PT4C_CONTROL_ADDR="127.0.0.1:$control_port" \
    PT4C_PREFIX="pt4c-contract-$$" ${PT4C_TEST_NOW:+PT4C_CLOCK_START="$PT4C_TEST_NOW"} \
    setsid "$bin" </dev/null >"$stack_log" 2>&1 &
STACK_PID=$!

# Any HTTP status from GET /referrals/x means the API is up.
api_answers() {
    "$VENV_BIN/python" - "$api/referrals/x" <<'PYEOF' >/dev/null 2>&1
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except urllib.error.HTTPError:
    pass
PYEOF
}
deadline=$((SECONDS + 60))
until api_answers; do
    if ! kill -0 "$STACK_PID" 2>/dev/null; then
        log "pt4c-local exited; last lines of $stack_log:"
        tail -n 30 "$stack_log" >&2
        STACK_PID=""
        exit 1
    fi
    if ((SECONDS >= deadline)); then
        log "no answer from $api after 60 s; last lines of $stack_log:"
        tail -n 30 "$stack_log" >&2
        exit 1
    fi
    sleep 0.25
done

# the hooks read the stack's clock (started at PT4C_TEST_NOW by scripts/test.sh)
export PT4C_CONTRACT_CONTROL="$control"
log "seeding (scripts/contract/seed.py)"
seed="$("$VENV_BIN/python" "$ROOT/scripts/contract/seed.py" "$api" "$control")"
while IFS= read -r line; do
    [[ "$line" == PT4C_CONTRACT_*=* ]] && export "${line?}"
done <<<"$seed"

# The test command runs one fixed seed, so a red run is a regression anyone can replay; set
# PT4C_CONTRACT_SEED=random to explore new requests (a finding prints its own seed to replay).
seed_args=(--seed "${PT4C_CONTRACT_SEED:-20261128}")
[[ "${PT4C_CONTRACT_SEED:-}" == random ]] && seed_args=()
started=$SECONDS
rc=0
"$VENV_BIN/schemathesis" --config-file "$ROOT/scripts/contract/schemathesis.toml" run "$ROOT/openapi.yaml" \
    --url "$api" \
    --phases examples,coverage,fuzzing \
    --max-time "${PT4C_CONTRACT_MAX_TIME:-60}" \
    --request-timeout 20 \
    --report junit,ndjson --report-dir "$STATE" \
    "${seed_args[@]}" "$@" || rc=$?
log "schemathesis took $((SECONDS - started)) s (exit $rc); report in $STATE"
if ((rc != 0)); then
    log "last lines of the stack's log ($stack_log):"
    tail -n 20 "$stack_log" >&2
fi
exit "$rc"
