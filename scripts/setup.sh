#!/usr/bin/env bash
# Installs what PT4C Hub's local stack and tests need, idempotently:
#   - .venv (Python 3.11) with infra/local/requirements.txt (moto, cfn-lint, SAM CLI, boto3, pytest),
#     reinstalled only when the requirements file changed since the last install;
#   - cargo-nextest, when `cargo nextest` is missing;
#   - node_modules from package-lock.json (first; `--node-only` stops after it) (`npm ci`), when the lock file changed since the last
#     install or node_modules is missing;
#   - Debian's chromium (and fonts-liberation) for the browser tests, when /usr/bin/chromium is
#     missing (apt-get, as root or through `sudo -n`).
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

# --- node_modules (govuk-frontend, axe-core, playwright-core) ------------------
NODE_LOCK="$ROOT/package-lock.json"
NODE_STAMP="$ROOT/node_modules/.pt4c-package-lock.sha256"
if [[ -f "$NODE_LOCK" ]]; then
    if ! command -v npm >/dev/null 2>&1; then
        log "npm not found (Node.js with npm is needed for the browser tests)"
        exit 1
    fi
    want_hash="$(sha256sum "$NODE_LOCK" | cut -d' ' -f1)"
    have_hash="$(cat "$NODE_STAMP" 2>/dev/null || true)"
    if [[ ! -d "$ROOT/node_modules" || "$want_hash" != "$have_hash" ]]; then
        log "npm ci (package-lock.json changed or node_modules missing)"
        # playwright-core never downloads a browser; the tests use the system chromium
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2
        printf '%s\n' "$want_hash" >"$NODE_STAMP"
        log "node modules installed"
    fi
fi

# `--node-only`: node_modules alone, so scripts/test.sh can start the Rust build (whose build
# scripts bundle GOV.UK Frontend from node_modules) while the rest installs.
if [[ "${1:-}" == "--node-only" ]]; then
    exit 0
fi

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

# --- chromium, for the browser tests (tests/browser) ---------------------------
CHROMIUM="/usr/bin/chromium"
ensure_chromium() {
    [[ -x "$CHROMIUM" ]] && return 0
    local sudo=()
    if [[ "$(id -u)" -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
            sudo=(sudo -n)
        else
            log "$CHROMIUM is missing and this user can neither install packages nor sudo without a password;"
            log "install it once as root: apt-get install chromium fonts-liberation"
            exit 1
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        log "$CHROMIUM is missing and apt-get is not available; install Chromium at $CHROMIUM"
        exit 1
    fi
    log "installing chromium and fonts-liberation (apt-get; takes a minute or two)"
    local started=$SECONDS
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        chromium fonts-liberation >/dev/null
    [[ -x "$CHROMIUM" ]] || { log "apt-get finished but $CHROMIUM is still missing"; exit 1; }
    log "$("$CHROMIUM" --version 2>/dev/null || echo chromium) installed in $((SECONDS - started))s"
}
# CI runs the browser tests, so setup always makes sure of the browser.
ensure_chromium
