#!/usr/bin/env bash
# PT4C Hub's test command (also what CI runs, through .ci/run):
#   1. scripts/setup.sh
#   2. cfn-lint template.yaml
#   3. sam validate --lint
#   4. the AWS stand-in's own tests (pytest infra/local/test_moto_stand_in.py)
#   5. cargo nextest run --workspace --no-fail-fast "$@", with the stand-in on
#      127.0.0.1:${PT4C_TEST_MOTO_PORT:-5055} exported as PT4C_MOTO_ENDPOINT
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

MOTO_PORT=""
stop_moto() {
    if [[ -n "$MOTO_PORT" ]]; then
        "$ROOT/scripts/moto.sh" stop "$MOTO_PORT" || true
    fi
}

rust_tests() {
    MOTO_PORT="${PT4C_TEST_MOTO_PORT:-5055}"
    # a stand-in left over from an earlier run of ours would carry its state over
    "$ROOT/scripts/moto.sh" stop "$MOTO_PORT"
    if ! port_free "$MOTO_PORT"; then
        local busy="$MOTO_PORT"
        MOTO_PORT="$("$VENV_BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
        echo "port $busy is taken; using $MOTO_PORT for the AWS stand-in"
    fi
    "$ROOT/scripts/moto.sh" start "$MOTO_PORT" || return 1
    PT4C_MOTO_ENDPOINT="http://127.0.0.1:$MOTO_PORT" \
        cargo nextest run --workspace --no-fail-fast "$@"
}

trap 'stop_moto' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step cfn-lint cfn_lint
step sam-validate sam_validate
step stand-in-tests stand_in_tests
step nextest rust_tests "$@"

summary
((${#FAILED[@]} == 0))
