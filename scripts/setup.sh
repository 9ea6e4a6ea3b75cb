#!/usr/bin/env bash
# Installs what PT4C Hub's local stack and tests need, idempotently:
#   - .venv (Python 3.11) with infra/local/requirements.txt (moto, cfn-lint, SAM CLI, boto3, pytest),
#     reinstalled only when the requirements file changed since the last install;
#   - cargo-nextest, when `cargo nextest` is missing.
# Quiet on a warm run; prints what it installs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
REQUIREMENTS="$ROOT/infra/local/requirements.txt"
STAMP="$VENV/.pt4c-requirements.sha256"
NEXTEST_VERSION="0.9.143"

log() { printf 'setup: %s\n' "$*" >&2; }

pick_python() {
    if [[ -n "${PT4C_PYTHON:-}" ]]; then
        printf '%s\n' "$PT4C_PYTHON"
    elif command -v python3.11 >/dev/null 2>&1; then
        printf 'python3.11\n'
    elif command -v python3 >/dev/null 2>&1 \
        && python3 -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)'; then
        printf 'python3\n'
    else
        log "Python 3.11 not found (set PT4C_PYTHON to its path)"
        exit 1
    fi
}

# --- the virtualenv -----------------------------------------------------------
if [[ -d "$VENV" ]] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    log "removing a broken .venv"
    rm -rf "$VENV"
fi
if [[ ! -x "$VENV/bin/python" ]]; then
    PYTHON="$(pick_python)"
    log "creating .venv with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv "$VENV"
    rm -f "$STAMP"
fi

want_hash="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
have_hash="$(cat "$STAMP" 2>/dev/null || true)"
if [[ "$want_hash" != "$have_hash" ]]; then
    log "installing infra/local/requirements.txt into .venv:"
    grep -Ev '^[[:space:]]*(#|$)' "$REQUIREMENTS" | sed 's/^/setup:   /' >&2
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$REQUIREMENTS"
    printf '%s\n' "$want_hash" >"$STAMP"
    log "python tools installed"
fi

# --- cargo-nextest ------------------------------------------------------------
if ! cargo nextest --version >/dev/null 2>&1; then
    log "installing cargo-nextest $NEXTEST_VERSION (cargo install; takes a few minutes)"
    cargo install cargo-nextest --version "$NEXTEST_VERSION" --locked
fi
