#!/usr/bin/env bash
# The access review at scale (issue 23): N users (default 100,000) × 10 workspaces, every
# user with a role on every workspace, on a fresh SQLite database (or PostgreSQL: give
# DATABASE_URL=postgres://…/db of a scratch database).
#
#   1. seed N users through the API with wrk (POST /Users), natively;
#   2. 10 workspaces `ws-0` … `ws-9`; an attribute rule `userName ew "@bench.example"` →
#      viewer on `ws-*` (every user, by SQL), a group `leads` of the first 1,000 users and a
#      group rule `leads` → editor on `ws-*`: N × 10 rows, 10,000 of them with two
#      contributions;
#   3. on a freshly started server, GET /admin/v1/access/review as CSV and as JSON with
#      curl: time, bytes, rows, and the server's resident memory before and at its peak
#      (VmHWM);
#   4. `rollcall access review --format csv` straight from the database: time and peak
#      resident memory (/usr/bin/time).
#
# Environment: N, ROLLCALL_BIN (a prebuilt binary; default: build this tree's release).
# Needs wrk, curl, python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source scripts/lib.sh

N="${N:-100000}"
command -v wrk >/dev/null || { echo "bench/review.sh needs wrk (apt-get install -y wrk)" >&2; exit 2; }
rollcall="$(rollcall_binary "$root")"
workdir="$(mktemp -d "${TMPDIR:-/tmp}/rollcall-review.XXXXXX")"
pids=()
trap stop_and_remove EXIT

export DATABASE_URL="${DATABASE_URL:-sqlite://$workdir/rollcall.db}"
org_json="$("$rollcall" org create bench --json)"
org="$(json_field "$org_json" org_id)"
scim="$(json_field "$org_json" scim_token)"
admin="$(json_field "$org_json" admin_token)"
port="$(free_port)"
origin="http://127.0.0.1:$port"
RUST_LOG=warn "$rollcall" serve --bind "127.0.0.1:$port" >"$workdir/rollcall.log" 2>&1 &
pid=$!
pids+=("$pid")
wait_ready "$origin/scim/v2" "$scim" 60
unlimited "$origin" "$admin"
echo "-- seeding $N users"
wrk -t 2 -c 32 -d 2h --timeout 10s -s bench/wrk/create.lua \
    -H "Authorization: Bearer $scim" "$origin" -- 2 "$N" /scim/v2 "$workdir/seed.done" | grep '^RESULT'
python3 - "$origin" "$scim" "$admin" <<'PY'
import http.client, json, sys, urllib.parse
origin, scim, admin = sys.argv[1:4]
url = urllib.parse.urlsplit(origin)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
def call(method, path, token, body, expected):
    headers = {"Authorization": "Bearer " + token,
               "Content-Type": "application/json" if path.startswith("/admin") else "application/scim+json"}
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    text = response.read()
    if response.status != expected:
        sys.exit("%s %s: %d %s" % (method, path, response.status, text[:300]))
    return json.loads(text) if text else None
for w in range(10):
    call("POST", "/admin/v1/workspaces", admin, {"name": "ws-%d" % w}, 201)
call("POST", "/admin/v1/rules", admin,
     {"filter": 'userName ew "@bench.example"', "workspaces": "ws-*", "role": "viewer"}, 201)
page = call("GET", "/scim/v2/Users?count=1000&attributes=id", scim, None, 200)
members = [{"value": user["id"]} for user in page["Resources"]]
call("POST", "/scim/v2/Groups", scim, {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
     "displayName": "leads", "members": members}, 201)
call("POST", "/admin/v1/rules", admin, {"group": "leads", "workspaces": "ws-*", "role": "editor"}, 201)
PY

# A fresh server for the review: the setup's own cost (creating a rule that reaches every
# user records a delta of N × 10 changes) is not the review's.
setup_peak="$(awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status")"
kill -TERM "$pid"
wait "$pid" 2>/dev/null || true
RUST_LOG=warn "$rollcall" serve --bind "127.0.0.1:$port" >>"$workdir/rollcall.log" 2>&1 &
pid=$!
pids+=("$pid")
wait_ready "$origin/scim/v2" "$scim" 60
rss() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status"; }
peak() { awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status"; }
declare -A result
for format in csv json; do
    accept="text/csv"
    [ "$format" = json ] && accept="application/json"
    before="$(rss)"
    start="$(date +%s.%N)"
    curl -s -f -o "$workdir/review.$format" -H "Authorization: Bearer $admin" -H "Accept: $accept" \
        "$origin/admin/v1/access/review"
    end="$(date +%s.%N)"
    seconds="$(python3 -c "print('%.1f' % ($end - $start))")"
    bytes="$(stat -c %s "$workdir/review.$format")"
    if [ "$format" = csv ]; then
        rows="$(python3 -c "import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1]))) - 1)" "$workdir/review.csv")"
    else
        rows="$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['complete']; print(len(d['rows']))" "$workdir/review.json")"
    fi
    result["$format"]="$seconds s, $((bytes / 1048576)) MiB, $rows rows, server RSS ${before} MB before, peak $(peak) MB"
    rm -f "$workdir/review.$format"
done
kill -TERM "$pid"
wait "$pid" 2>/dev/null || true

cli="$( { /usr/bin/time -f '%e s, peak RSS %M KB' "$rollcall" access review --org "$org" --format csv >/dev/null; } 2>&1 | tail -1)"

echo
echo "== access review of $N users × 10 workspaces ($("$rollcall" --version 2>/dev/null || echo "$rollcall"), ${DATABASE_URL%%:*})"
echo "GET /admin/v1/access/review (CSV):  ${result[csv]}"
echo "GET /admin/v1/access/review (JSON): ${result[json]}"
echo "rollcall access review --format csv: $cli"
echo "(the setup's server, which created the rules, peaked at $setup_peak MB)"
