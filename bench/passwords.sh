#!/usr/bin/env bash
# Do argon2id creates hold the writer? Plain creates alone, then beside argon2id creates, on one
# release server over a fresh SQLite database (see bench/passwords.py).
#   SECONDS_PER_PHASE (default 15), CONNECTIONS (default 4 per organization).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source scripts/lib.sh

cargo build --release --locked -p rollcall
rollcall="${CARGO_TARGET_DIR:-$root/target}/release/rollcall"
workdir="$(mktemp -d "${TMPDIR:-/tmp}/rollcall-passwords.XXXXXX")"
pid=""
cleanup() {
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$workdir"
}
trap cleanup EXIT

export DATABASE_URL="sqlite://$workdir/rollcall.db"
plain="$("$rollcall" org create plain --json 2>/dev/null)"
hashed="$("$rollcall" org create hashed --json 2>/dev/null)"
port="$(free_port)"
RUST_LOG=warn "$rollcall" serve --bind "127.0.0.1:$port" >"$workdir/server.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port/scim/v2"
wait_ready "$base" "$(json_field "$plain" scim_token)" 60
unlimited "http://127.0.0.1:$port" "$(json_field "$plain" admin_token)"
unlimited "http://127.0.0.1:$port" "$(json_field "$hashed" admin_token)"
curl -s -o /dev/null -w '' -X PATCH "http://127.0.0.1:$port/admin/v1/org" \
    -H "Authorization: Bearer $(json_field "$hashed" admin_token)" -H 'Content-Type: application/json' \
    -d '{"password_storage": "argon2id"}'
python3 bench/passwords.py "$base" "$(json_field "$plain" scim_token)" "$(json_field "$hashed" scim_token)" \
    "${SECONDS_PER_PHASE:-15}" "${CONNECTIONS:-4}"
