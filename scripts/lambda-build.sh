#!/usr/bin/env bash
# Builds the Lambda functions as arm64 (provided.al2023, Graviton) release binaries with cargo-lambda,
# and prints the size of each bootstrap.
#   - .venv-build (Python 3.11) with cargo-lambda and ziglang from PyPI, pinned below;
#     reinstalled only when the pins change (the PyPI cargo-lambda ships the binary; zig is the
#     cross linker, found through the venv's python: `python3 -m ziglang`);
#   - the rustup target aarch64-unknown-linux-gnu;
#   - cargo lambda build --release --arm64 for every function; the bootstraps land in
#     $CARGO_TARGET_DIR/lambda/<function>/bootstrap (default target dir: ./target).
# Extra arguments go to `cargo lambda build`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv-build"
PINS=("cargo-lambda==1.9.2" "ziglang==0.17.0")
STAMP="$VENV/.pt4c-pins"
FUNCTIONS=(referral-intake welcome-email event-relay booking course-admin notifications deadline-sweep staff-console)
RUST_TARGET="aarch64-unknown-linux-gnu"

log() { printf 'lambda-build: %s\n' "$*" >&2; }

pick_python() {
    if [[ -n "${PT4C_PYTHON:-}" ]]; then
        printf '%s\n' "$PT4C_PYTHON"
    elif command -v python3.11 >/dev/null 2>&1; then
        printf 'python3.11\n'
    else
        log "Python 3.11 not found (set PT4C_PYTHON to its path)"
        exit 1
    fi
}

# --- the build virtualenv: cargo-lambda and zig ---------------------------------
if [[ -d "$VENV" ]] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    log "removing a broken .venv-build"
    rm -rf "$VENV"
fi
if [[ ! -x "$VENV/bin/python" ]]; then
    PYTHON="$(pick_python)"
    log "creating .venv-build with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv "$VENV"
    rm -f "$STAMP"
fi
want_pins="${PINS[*]}"
if [[ "$(cat "$STAMP" 2>/dev/null || true)" != "$want_pins" ]]; then
    log "installing into .venv-build: $want_pins"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q "${PINS[@]}"
    printf '%s\n' "$want_pins" >"$STAMP"
fi

# cargo-lambda and cargo-zigbuild find zig as `zig` on PATH, or else as `python3 -m ziglang`;
# the venv first on PATH makes its python3 (with ziglang) the one they run.
export PATH="$VENV/bin:$PATH"
if ! cargo lambda --version >/dev/null 2>&1; then
    log "\`cargo lambda --version\` fails with $VENV/bin on PATH"
    exit 1
fi
if ! python3 -m ziglang version >/dev/null 2>&1; then
    log "zig from the ziglang package does not run (python3 -m ziglang version)"
    exit 1
fi
log "$(cargo lambda --version), zig $(python3 -m ziglang version)"

# --- the Rust target ---------------------------------------------------------------
if ! rustup target list --installed | grep -qx "$RUST_TARGET"; then
    log "rustup target add $RUST_TARGET"
    rustup target add "$RUST_TARGET"
fi

# --- build -------------------------------------------------------------------------
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
bins=()
for f in "${FUNCTIONS[@]}"; do bins+=(--bin "$f"); done
# The booking function bundles GOV.UK Frontend's stylesheet (npm) at build time.
if [[ ! -f node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css ]]; then
    log "npm ci (govuk-frontend for the booking pages)"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >&2
fi
log "cargo lambda build --release --arm64 ${bins[*]} (target dir $TARGET_DIR)"
cargo lambda build --release --arm64 "${bins[@]}" "$@"

# --- sizes -------------------------------------------------------------------------
printf '\n%-18s %12s %9s  %s\n' function bytes MiB bootstrap
missing=0
for f in "${FUNCTIONS[@]}"; do
    boot="$TARGET_DIR/lambda/$f/bootstrap"
    if [[ -f "$boot" ]]; then
        bytes="$(stat -c %s "$boot")"
        printf '%-18s %12s %9s  %s\n' "$f" "$bytes" "$(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1048576 }')" "$boot"
    else
        printf '%-18s %12s %9s  %s\n' "$f" - - "missing: $boot"
        missing=1
    fi
done
exit "$missing"
