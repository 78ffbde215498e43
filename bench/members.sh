#!/usr/bin/env bash
# The group-membership PATCH benchmark (issue 6: what the audit trail and the outbox cost a
# membership change), with wrk against a release `rollcall serve` on SQLite (DB=postgres:
# a new schema at $ROLLCALL_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test):
#
#   1. start rollcall on a fresh database, create an organization, seed M users;
#   2. two groups: `plain` (holds no grant) and `granted` (editor on a workspace, so each
#      membership change is an access change);
#   3. for each group: M PATCHes adding one member each (the group grows from 0 to M),
#      then M PATCHes removing one member each (members[value eq "…"]);
#   4. print a summary: applied PATCHes per second, p50 and p99, and the CPU time per
#      PATCH of the whole server and of its writer thread (from /proc, Linux only).
#
# CALLGRIND=1 runs the server under valgrind's callgrind instead and adds the instructions
# per PATCH: of the whole server, and of the writer thread's batches (`writer::run`). Unlike
# rates and CPU times these repeat exactly for the same binary and inputs, whatever else the
# machine is doing (the checkpoint thread runs on a 50 ms clock, so its share moves a
# little). Rates under valgrind mean nothing; use M=1000. CALLGRIND_KEEP=DIR keeps each
# phase's profile there (callgrind.out.1 to .4, in the order of the phases below) for
# callgrind_annotate.
#
# Environment: M (default 20000), CONNECTIONS (32), THREADS (2), WORKSPACES (1: how many
# workspaces the granted group holds editor on), ROLLCALL_BIN (a prebuilt
# rollcall binary, e.g. an older commit's, to compare; default: build this tree's release),
# CALLGRIND, PACED_RATE (5000) and PACED_SECONDS (10) for the open-loop phase. Needs wrk,
# curl, python3 (and valgrind with CALLGRIND=1; oha for the open-loop phase).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source scripts/lib.sh

M="${M:-20000}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"

if ! command -v wrk >/dev/null; then
    echo "bench/members.sh needs wrk: apt-get install -y wrk (Debian/Ubuntu) or brew install wrk (macOS)" >&2
    exit 2
fi
CALLGRIND="${CALLGRIND:-}"
if [ -n "$CALLGRIND" ] && ! command -v callgrind_control >/dev/null; then
    echo "CALLGRIND=1 needs valgrind: apt-get install -y valgrind" >&2
    exit 2
fi
if [ -n "${ROLLCALL_BIN:-}" ]; then
    rollcall="$ROLLCALL_BIN"
else
    cargo build --release --locked -p rollcall
    rollcall="${CARGO_TARGET_DIR:-$root/target}/release/rollcall"
fi

workdir="$(mktemp -d "${TMPDIR:-/tmp}/rollcall-members.XXXXXX")"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$workdir"
}
trap cleanup EXIT

result_field() { # result_field "RESULT a=1 b=2" b
    tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"
}

DB="${DB:-sqlite}"
case "$DB" in
    sqlite) export DATABASE_URL="sqlite://$workdir/rollcall.db" ;;
    postgres)
        use_pg_schema members
        export DATABASE_URL="$pg_url"
        ;;
    *) echo "bench/members.sh: DB is sqlite or postgres" >&2; exit 2 ;;
esac
org_json="$("$rollcall" org create bench --json)"
token="$(json_field "$org_json" scim_token)"
admin_token="$(json_field "$org_json" admin_token)"
port="$(free_port)"
wrapper=()
if [ -n "$CALLGRIND" ]; then
    wrapper=(valgrind --tool=callgrind --callgrind-out-file="$workdir/callgrind.out")
fi
RUST_LOG="${BENCH_RUST_LOG:-warn}" "${wrapper[@]}" "$rollcall" serve --bind "127.0.0.1:$port" >"$workdir/rollcall.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
base="http://127.0.0.1:$port"
wait_ready "$base/scim/v2" "$token" "$([ -n "$CALLGRIND" ] && echo 300 || echo 60)"
unlimited "$base" "$admin_token"

echo "== rollcall $("$rollcall" --version 2>/dev/null || echo "$rollcall"): M=$M, $CONNECTIONS connections"
echo "-- seeding $M users"
seed_out="$(wrk -t "$THREADS" -c "$CONNECTIONS" -d 2h --timeout 10s -s bench/wrk/create.lua \
    -H "Authorization: Bearer $token" "$base" -- "$THREADS" "$M" /scim/v2 "$workdir/seed.done")"
grep '^RESULT' <<<"$seed_out"
if [ "$DB" = postgres ]; then
    psql "$DATABASE_URL" -Atc "SELECT id FROM scim_users ORDER BY created, id" >"$workdir/ids"
else
    python3 - "$workdir/rollcall.db" "$workdir/ids" <<'PY'
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute("SELECT id FROM scim_users ORDER BY created, id").fetchall()
open(sys.argv[2], "w").write("".join(row[0] + "\n" for row in rows))
PY
fi
[ "$(wc -l <"$workdir/ids")" -ge "$M" ] || { echo "seeding created fewer than $M users" >&2; exit 1; }

post() { # post URL TOKEN BODY -> the response body
    curl -sf -X POST "$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"
}
plain="$(json_field "$(post "$base/scim/v2/Groups" "$token" \
    '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"plain"}')" id)"
granted="$(json_field "$(post "$base/scim/v2/Groups" "$token" \
    '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"granted"}')" id)"
# The granted group's access reaches WORKSPACES workspaces (default 1): how the cost of an
# access-changing PATCH grows with the resources reached.
for k in $(seq 1 "${WORKSPACES:-1}"); do
    workspace="$(json_field "$(post "$base/admin/v1/workspaces" "$admin_token" "{\"name\":\"bench-$k\"}")" id)"
    post "$base/admin/v1/grants" "$admin_token" \
        "{\"principal\":{\"type\":\"group\",\"id\":\"$granted\"},\"resource\":{\"type\":\"workspace\",\"id\":\"$workspace\"},\"role\":\"editor\"}" >/dev/null
done

declare -A results
instructions() { # instructions PATCHES: dump callgrind's counts since the last dump, per PATCH
    local dump
    callgrind_control -d >/dev/null "$server_pid"
    dump="$(ls -t "$workdir"/callgrind.out.* | head -1)"
    [ -n "${CALLGRIND_KEEP:-}" ] && cp "$dump" "$CALLGRIND_KEEP/"
    python3 - "$dump" "$1" <<'PY'
import re, subprocess, sys
dump, n = sys.argv[1], int(sys.argv[2])
total = next(int(line.split()[1]) for line in open(dump) if line.startswith(("summary:", "totals:")))
annotated = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", dump],
                           capture_output=True, text=True).stdout
writer = max((int(m.group(1).replace(",", "")) for m in
              re.finditer(r"^\s*([\d,]+) .*rollcall_store::writer::run\b", annotated, re.M)), default=0)
print("server_kinstr=%.1f writer_kinstr=%.1f" % (total / n / 1000, writer / n / 1000))
PY
}
[ -n "$CALLGRIND" ] && callgrind_control -z "$server_pid" >/dev/null
cpu_ticks() { # cpu_ticks: "<server total> <writer thread>" in clock ticks (utime + stime)
    # Fields 14 and 15 of /proc/…/stat; counted after the ") " that ends the name.
    local server pid_stat writer=0 task ticks
    pid_stat="$(cat "/proc/$server_pid/stat")"
    server="$(cut -d' ' -f12,13 <<<"${pid_stat##*) }" | awk '{print $1 + $2}')"
    # The writer threads, "store-writer-N" (SQLite has one, PostgreSQL four).
    for task in /proc/"$server_pid"/task/*; do
        case "$(cat "$task/comm" 2>/dev/null)" in
            store-writer-*)
                ticks="$(sed 's/.*) //' "$task/stat" | cut -d' ' -f12,13 | awk '{print $1 + $2}')"
                writer=$((writer + ticks))
                ;;
        esac
    done
    echo "$server $writer"
}

run() { # run LABEL OP GROUP
    rm -f "$workdir/done"
    local out before after
    before="$(cpu_ticks)"
    out="$(wrk -t "$THREADS" -c "$CONNECTIONS" -d 2h --timeout 10s --latency -s bench/wrk/members.lua \
        -H "Authorization: Bearer $token" "$base" -- "$THREADS" "$workdir/ids" "$2" /scim/v2 "$3" "$workdir/done")"
    after="$(cpu_ticks)"
    local result
    result="$(grep '^RESULT' <<<"$out")"
    # CPU per applied PATCH, from the kernel's accounting (steadier than the rate on a
    # shared machine): the whole server, and its busiest SQLite thread (the writer).
    local cpu
    cpu="$(python3 -c '
import os, sys
tick = 1e6 / os.sysconf("SC_CLK_TCK")
b, a, n = sys.argv[1].split(), sys.argv[2].split(), int(sys.argv[3])
print("server_us=%.1f writer_us=%.1f" % ((int(a[0]) - int(b[0])) * tick / n, (int(a[1]) - int(b[1])) * tick / n))
' "$before" "$after" "$(result_field "$result" applied)")"
    result="$result $cpu"
    if [ -n "$CALLGRIND" ]; then
        result="$result $(instructions "$(result_field "$result" applied)")"
    fi
    echo "$1: $result"
    [ "$(result_field "$result" applied)" -ge "$M" ] || { echo "not every PATCH was applied" >&2; exit 1; }
    results[$1]="$result"
}
run "plain add" add "$plain"
run "plain remove" remove "$plain"
run "granted add" add "$granted"

# Open-loop: PACED_RATE PATCHes per second for PACED_SECONDS on the granted group while it
# holds all M members, with oha (which paces requests, so p99 is the server's latency, not
# a queue wrk builds), when it is installed (`cargo install oha`). Each request changes an
# access: the bodies remove one member and add it back, in turn. PACED_SECONDS=0 skips it.
PACED_RATE="${PACED_RATE:-5000}"
PACED_SECONDS="${PACED_SECONDS:-10}"
PACED_CONNECTIONS="${PACED_CONNECTIONS:-$CONNECTIONS}"
paced=""
if command -v oha >/dev/null && [ -z "$CALLGRIND" ] && [ "$PACED_SECONDS" -gt 0 ]; then
    python3 - "$workdir/ids" "$workdir/paced.bodies" "$((PACED_RATE * PACED_SECONDS / 2 + 1))" <<'PY'
import json, sys
ids = [line.strip() for line in open(sys.argv[1]) if line.strip()]
n = min(int(sys.argv[3]), len(ids))
op = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
with open(sys.argv[2], "w") as out:
    for user in ids[:n]:
        out.write(json.dumps({"schemas": [op], "Operations": [
            {"op": "remove", "path": 'members[value eq "%s"]' % user}]}) + "\n")
        out.write(json.dumps({"schemas": [op], "Operations": [
            {"op": "add", "path": "members", "value": [{"value": user}]}]}) + "\n")
PY
    ${LOAD_NICE:+nice -n "$LOAD_NICE"} oha -z "${PACED_SECONDS}s" -q "$PACED_RATE" --latency-correction --no-tui -c "$PACED_CONNECTIONS" \
        -m PATCH -H "Authorization: Bearer $token" -H 'Content-Type: application/scim+json' \
        -Z "$workdir/paced.bodies" --output-format json -o "$workdir/paced.json" \
        "$base/scim/v2/Groups/$granted"
    cp "$workdir/paced.json" "${PACED_KEEP:-/dev/null}" 2>/dev/null || true
    paced="$(python3 - "$workdir/paced.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
summary, p = r["summary"], r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
print("rate=%.0f p50_ms=%.2f p99_ms=%.2f statuses=%s" % (
    summary["requestsPerSec"], p["p50"] * 1000, p["p99"] * 1000,
    ",".join("%s:%s" % kv for kv in sorted(codes.items()))))
PY
)"
    echo "granted, paced at $PACED_RATE/s: $paced"
fi

run "granted remove" remove "$granted"

echo
echo "== summary (M=$M, $CONNECTIONS connections, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ))"
printf '%-36s %10s %10s %10s %12s %12s' "PATCH /Groups/{id}, one member" "PATCH/s" "p50 ms" "p99 ms" "server µs" "writer µs"
[ -n "$CALLGRIND" ] && printf ' %14s %14s' "server kinstr" "writer kinstr"
echo
for label in "plain add" "plain remove" "granted add" "granted remove"; do
    r="${results[$label]}"
    printf '%-36s %10s %10s %10s %12s %12s' "$label" "$(result_field "$r" rate)" "$(result_field "$r" p50_ms)" "$(result_field "$r" p99_ms)" "$(result_field "$r" server_us)" "$(result_field "$r" writer_us)"
    [ -n "$CALLGRIND" ] && printf ' %14s %14s' "$(result_field "$r" server_kinstr)" "$(result_field "$r" writer_kinstr)"
    echo
done
[ -n "$paced" ] && printf '%-36s %10s %10s %10s   offered %s/s; %s\n' "granted, open loop" \
    "$(result_field "$paced" rate)" "$(result_field "$paced" p50_ms)" "$(result_field "$paced" p99_ms)" \
    "$PACED_RATE" "$(result_field "$paced" statuses)"
true
