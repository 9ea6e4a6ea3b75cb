#!/usr/bin/env bash
# Benchmarks that print figures (never fail on speed): the Parent Hub page on the local stack.
# Starts its own AWS stand-in on ${PT4C_BENCH_MOTO_PORT:-5066}.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/scripts/setup.sh"
PORT="${PT4C_BENCH_MOTO_PORT:-5066}"
"$ROOT/scripts/moto.sh" start "$PORT"
trap '"$ROOT/scripts/moto.sh" stop "$PORT"' EXIT
unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=eu-west-2 AWS_DEFAULT_REGION=eu-west-2
export AWS_EC2_METADATA_DISABLED=true PT4C_MOTO_ENDPOINT="http://127.0.0.1:$PORT"
# The dev profile: the same build as the tests (the release profile is for Lambda, and slow to build here).
cargo bench --profile dev -p pt4c-tests --bench hub_page
cargo bench --profile dev -p pt4c-tests --bench booking_contention
