#!/usr/bin/env bash
# Starts, waits for or stops the local AWS stand-in (infra/local/moto_stand_in.py)
# on 127.0.0.1:PORT.  Its pid file and log are .local/moto-PORT.{pid,log}.
#   scripts/moto.sh start PORT   # start in the background (if not already up) and wait for health
#   scripts/moto.sh wait PORT    # wait (30 s at most) until /_pt4c/health answers
#   scripts/moto.sh stop PORT    # stop the one this script started on PORT
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

usage() { echo "usage: $0 start|stop|wait PORT" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
CMD="$1"
PORT="$2"
[[ "$PORT" =~ ^[0-9]+$ ]] || usage

STATE="$ROOT/.local"
PIDFILE="$STATE/moto-$PORT.pid"
LOGFILE="$STATE/moto-$PORT.log"
PY="$ROOT/.venv/bin/python"
URL="http://127.0.0.1:$PORT/_pt4c/health"
TIMEOUT="${PT4C_MOTO_START_TIMEOUT:-30}"

log() { printf 'moto: %s\n' "$*" >&2; }

healthy() {
    "$PY" - "$URL" <<'PYEOF' >/dev/null 2>&1
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=1) as r:
    sys.exit(0 if json.loads(r.read()).get("ok") is True else 1)
PYEOF
}

our_pid() {
    local pid
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        printf '%s\n' "$pid"
    fi
}

wait_healthy() {
    local deadline=$((SECONDS + TIMEOUT))
    while ! healthy; do
        if [[ -f "$PIDFILE" && -z "$(our_pid)" ]]; then
            log "the stand-in on port $PORT exited; last lines of $LOGFILE:"
            tail -n 20 "$LOGFILE" >&2 || true
            rm -f "$PIDFILE"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            log "no answer from $URL after ${TIMEOUT}s; last lines of $LOGFILE:"
            tail -n 20 "$LOGFILE" >&2 || true
            return 1
        fi
        sleep 0.2
    done
}

case "$CMD" in
start)
    [[ -x "$PY" ]] || { log ".venv missing: run scripts/setup.sh first"; exit 1; }
    mkdir -p "$STATE"
    if [[ -n "$(our_pid)" ]] && healthy; then
        log "already running on 127.0.0.1:$PORT (pid $(our_pid))"
        exit 0
    fi
    rm -f "$PIDFILE"
    if healthy; then
        log "a stand-in not started by this script already answers on 127.0.0.1:$PORT; using it"
        exit 0
    fi
    # Real TOTP codes for the staff console's sign-in (moto accepts any code without it).
    MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true setsid "$PY" "$ROOT/infra/local/moto_stand_in.py" --host 127.0.0.1 --port "$PORT" \
        </dev/null >"$LOGFILE" 2>&1 &
    echo $! >"$PIDFILE"
    if ! wait_healthy; then
        "$0" stop "$PORT" || true
        exit 1
    fi
    log "AWS stand-in up on http://127.0.0.1:$PORT (pid $(cat "$PIDFILE"), log $LOGFILE)"
    ;;
wait)
    wait_healthy
    ;;
stop)
    pid="$(our_pid)"
    if [[ -n "$pid" ]]; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$PIDFILE"
    ;;
*)
    usage
    ;;
esac
