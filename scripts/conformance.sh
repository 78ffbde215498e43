#!/usr/bin/env bash
# make conformance: run the third-party SCIM checker (../shared/conformance/run.sh) against a
# fresh rollcall server on a temporary SQLite database and a free loopback port.
# Exits with the checker's status (0 only when no check failed).
#   RELEASE=1 scripts/conformance.sh   builds in release mode instead of debug.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source scripts/lib.sh

checker="${CONFORMANCE_RUN:-$root/../shared/conformance/run.sh}"
if [ ! -x "$checker" ]; then
    echo "conformance: the checker $checker is missing (set CONFORMANCE_RUN)" >&2
    exit 2
fi

profile=debug
build_flags=()
if [ "${RELEASE:-}" = "1" ]; then profile=release; build_flags=(--release); fi
cargo build -p rollcall --locked "${build_flags[@]}" || exit 2
rollcall="${CARGO_TARGET_DIR:-$root/target}/$profile/rollcall"

workdir="$(mktemp -d "${TMPDIR:-/tmp}/rollcall-conformance.XXXXXX")"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

export DATABASE_URL="sqlite://$workdir/rollcall.db"
port="$(free_port)"
org_json="$("$rollcall" org create conformance --json)" || { echo "conformance: org create failed" >&2; exit 2; }
token="$(json_field "$org_json" scim_token)" || exit 2

"$rollcall" serve --bind "127.0.0.1:$port" >"$workdir/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port/scim/v2"
if ! wait_ready "$base" "$token" 60; then
    cat "$workdir/server.log" >&2
    exit 2
fi

"$checker" "$base" "$token"
status=$?
if [ "$status" -ne 0 ]; then
    echo "--- server log (last 50 lines) ---" >&2
    tail -n 50 "$workdir/server.log" >&2
fi
exit "$status"
