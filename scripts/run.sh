#!/usr/bin/env bash
# Runs the whole PT4C Hub system locally (no Docker, no AWS account):
#   the AWS stand-in on 127.0.0.1:${PT4C_MOTO_PORT:-5000},
#   the HTTP API on ${PT4C_API_ADDR:-127.0.0.1:3000},
#   the local control plane (Lambda Invoke API, /mail, /clock) on ${PT4C_CONTROL_ADDR:-127.0.0.1:3001}.
# Extra arguments go to pt4c-local.  Ctrl-C stops everything.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/setup.sh"

MOTO_PORT="${PT4C_MOTO_PORT:-5000}"
"$ROOT/scripts/moto.sh" start "$MOTO_PORT"
trap '"$ROOT/scripts/moto.sh" stop "$MOTO_PORT"' EXIT
STACK_PID=""
# Ctrl-C, or a TERM from a supervisor (`timeout`, systemd), stops the stack and then the stand-in.
stop_stack() {
    [[ -n "$STACK_PID" ]] && { kill -TERM "$STACK_PID" 2>/dev/null || true; wait "$STACK_PID" 2>/dev/null || true; }
}
trap 'stop_stack; exit 130' INT
trap 'stop_stack; exit 143' TERM

# The local stack only ever talks to the stand-in: dummy credentials, fixed region.
unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION="${AWS_REGION:-eu-west-2}" AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-west-2}"
export AWS_EC2_METADATA_DISABLED=true
export PT4C_MOTO_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
export PT4C_API_ADDR="${PT4C_API_ADDR:-127.0.0.1:3000}"
export PT4C_CONTROL_ADDR="${PT4C_CONTROL_ADDR:-127.0.0.1:3001}"

echo "run: API on http://$PT4C_API_ADDR, control plane on http://$PT4C_CONTROL_ADDR, AWS stand-in on $PT4C_MOTO_ENDPOINT" >&2
# Built as the tests build (all targets), so the two README commands share one build.
cargo build --workspace --all-targets
# In the background so the traps run at once (a foreground child would hold them until it exits).
"${CARGO_TARGET_DIR:-$ROOT/target}/debug/pt4c-local" "$@" &
STACK_PID=$!
wait "$STACK_PID"
