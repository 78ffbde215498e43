#!/usr/bin/env bash
# Statements per request on PostgreSQL, from pg_stat_statements (PRODUCT.md §9): a filter
# GET, a POST /Users and a one-member group PATCH (the group holds a grant), each sent R
# times one after the other on one connection to a release `rollcall serve` on a fresh
# schema; the statistics are reset before each kind, and the event dispatcher's polling is
# slowed to once a day so only the requests' own statements are counted. Prints, per kind,
# the statements per request and the statements themselves by calls.
#
# Needs pg_stat_statements in shared_preload_libraries and the extension created in the
# database (ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'; restart;
# CREATE EXTENSION pg_stat_statements), psql, curl and python3.
#   R (default 200), ROLLCALL_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source scripts/lib.sh

R="${R:-200}"
pg_admin="${ROLLCALL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
psql "$pg_admin" -Atc "SELECT 1 FROM pg_stat_statements LIMIT 1" >/dev/null 2>&1 \
    || { echo "bench/pg_statements.sh: pg_stat_statements is not available in $pg_admin" >&2; exit 2; }
cargo build --release --locked -p rollcall
rollcall="${CARGO_TARGET_DIR:-$root/target}/release/rollcall"

workdir="$(mktemp -d "${TMPDIR:-/tmp}/rollcall-pgstat.XXXXXX")"
schema="pgstat_$$_$RANDOM"
pid=""
cleanup() {
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    psql "$pg_admin" -q -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1
    rm -rf "$workdir"
}
trap cleanup EXIT
psql "$pg_admin" -q -c "CREATE SCHEMA $schema" >/dev/null
DATABASE_URL="$(schema_url "$pg_admin" "$schema")"
export DATABASE_URL
printf 'event_poll_interval_ms = 86400000\n' >"$workdir/rollcall.toml"
org_json="$("$rollcall" org create pgstat --json)"
token="$(json_field "$org_json" scim_token)"
admin="$(json_field "$org_json" admin_token)"
port="$(free_port)"
RUST_LOG=warn "$rollcall" serve --config "$workdir/rollcall.toml" --bind "127.0.0.1:$port" >"$workdir/rollcall.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
wait_ready "$base/scim/v2" "$token" 60
unlimited "$base" "$admin"

python3 - "$base" "$token" "$admin" "$R" "$pg_admin" "$schema" <<'PY'
import http.client, json, subprocess, sys, urllib.parse
base, token, admin, R, pg, schema = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
url = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
def call(method, path, body=None, tok=token, ctype="application/scim+json"):
    headers = {"Authorization": "Bearer " + tok}
    if body is not None:
        headers["Content-Type"] = ctype
        body = json.dumps(body)
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse(); data = r.read()
    return r.status, (json.loads(data) if data else None)
def user(name):
    return {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
            "name": {"givenName": "Bench", "familyName": name}, "emails": [{"value": name, "primary": True}]}
ids = []
for i in range(R):
    s, b = call("POST", "/scim/v2/Users", user("seed%d@bench.example" % i)); assert s == 201, (s, b); ids.append(b["id"])
s, g = call("POST", "/scim/v2/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Granted"}); assert s == 201
s, w = call("POST", "/admin/v1/workspaces", {"name": "W"}, tok=admin, ctype="application/json"); assert s == 201
s, _ = call("POST", "/admin/v1/grants", {"principal": {"type": "group", "id": g["id"]}, "resource": {"type": "workspace", "id": w["id"]}, "role": "editor"}, tok=admin, ctype="application/json"); assert s == 201
def psql(sql):
    return subprocess.run(["psql", pg, "-AtF", "\t", "-c", sql], check=True, capture_output=True, text=True).stdout
def measure(name, send):
    psql("SELECT pg_stat_statements_reset()")
    for i in range(R):
        send(i)
    rows = psql("SELECT calls, regexp_replace(left(query, 110), '\\s+', ' ', 'g') FROM pg_stat_statements "
                "WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC, query")
    total = 0; lines = []
    for row in rows.strip().splitlines():
        calls, query = row.split("\t", 1); total += int(calls); lines.append((int(calls), query))
    print("== %s: %.2f statements per request (%d requests)" % (name, total / R, R))
    for calls, query in lines:
        print("  %6.2f  %s" % (calls / R, query))
measure("GET /Users?filter=userName eq", lambda i: call("GET", "/scim/v2/Users?filter=" + urllib.parse.quote('userName eq "seed%d@bench.example"' % i)))
measure("POST /Users", lambda i: call("POST", "/scim/v2/Users", user("extra%d@bench.example" % i)))
op = lambda i: {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "members", "value": [{"value": ids[i]}]}]}
measure("PATCH /Groups/{id} (one member added, the group holds a grant)", lambda i: call("PATCH", "/scim/v2/Groups/" + g["id"], op(i)))
PY
