#!/usr/bin/env bash
# The soak benchmark: a mixed SCIM load for a long time (DURATION, default 30 minutes),
# watching what should not grow: latency, resident memory, the WAL. With wrk:
#
#   1. build a release rollcall (or take ROLLCALL_BIN), start `rollcall serve` on a fresh
#      database (DB=sqlite, the default: a new file; DB=postgres: a new schema at
#      $ROLLCALL_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test),
#      with webhook_allow_private_addresses = true and /metrics on a loopback port of its
#      own; create an organization and lift its rate limit;
#   2. seed N users through the API (POST /Users with bench/wrk/create.lua, as
#      bench/load.sh does), read their ids back (GET /Users?attributes=id, pages of 1000),
#      create GROUP_COUNT groups, every other one holding editor on a workspace (so a
#      change of its members is an access change too);
#   3. start a webhook receiver on loopback (python3 http.server, 200 to every POST,
#      counting the events by type) and register it for every event ("*") through the
#      admin API (POST /admin/v1/webhooks), after the seeding: the soak starts with an
#      empty outbox, and every write of the mix is an event to deliver;
#   4. the mix (bench/wrk/soak.lua, each request picked at random): 35% GET
#      /Users?filter=userName eq "<a seeded user>", 20% POST /Users (new userNames), 20%
#      PATCH /Groups/{id} adding or removing one member (each a real change, so a
#      group.member_added/removed event; half of them on granted groups), 15% GET
#      /Users/{id}, 10% GET /Users?startIndex=<random>&count=20; CONNECTIONS connections;
#      run as DURATION / SLICE back-to-back wrk runs of SLICE each (--latency), so each
#      slice gives its own throughput and p99. After each slice: VmRSS of the rollcall
#      process (/proc/PID/status), the WAL, the outbox backlog (rollcall_outbox_pending
#      from /metrics) and the webhook deliveries the receiver got;
#   5. idle 60 s, sampling the WAL, RSS, the outbox backlog every 10 s (target: the SQLite
#      WAL under 4 MB within 60 s of idling);
#   6. the comparison point: stop the server cleanly (SIGTERM), SQLite: copy the database
#      file (and a -wal left behind, if any) and start a fresh rollcall on the copy;
#      PostgreSQL: start a fresh rollcall on the same schema. Run one more slice of the same
#      mix and compare its throughput with the last slice's (target: the last slice within
#      20% of the fresh server's);
#   7. print the per-slice table, the idle samples, the comparison, the user count (GET
#      /Users?count=0) and the database size (SQLite: the file, and its -wal; PostgreSQL:
#      sum of pg_total_relation_size over the schema's tables), and write them to OUT.
#
# The WAL: SQLite: the size of the `<db>-wal` file when sampled, and how much of it is the
# live log (the wal-index header in `<db>-shm`, read without a lock or a checkpoint: once
# the log starts over from the beginning, the file keeps its size; SQLite only truncates it
# with journal_size_limit or a TRUNCATE checkpoint), after the slice and its largest in
# samples every 2 s during the slice. PostgreSQL: the WAL written during the slice
# (pg_wal_lsn_diff of pg_current_wal_lsn() before and after) and the size of pg_wal
# (sum(size) FROM pg_ls_waldir()); both are the whole cluster's, so anything else using
# that server counts too, and pg_wal never drops below whole 16 MB segments (the 4 MB
# target is SQLite's).
#
# Non-2xx answers are counted per slice by status (wrk does not tell the script which
# request an answer belongs to; the first one's body is printed); so are socket errors and
# timeouts (requests run with a 10 s timeout, wrk counts slower answers as timeouts, not
# latencies). Everything listens on 127.0.0.1; every process started here is stopped on
# exit. The run takes DURATION + about 2 minutes (the idle minute, the fresh server's
# slice) + the seeding (on the 2-core machine about N / 4000 s on SQLite, N / 600 s on
# PostgreSQL). The working directory ($TMPDIR/rollcall-soak.XXXXXX) is kept, with the
# tables, wrk's output (wrk.log) and the servers' logs; its path is printed at the end.
#
# Environment:
#   N            users seeded (default 100000)
#   DB           sqlite (default) or postgres
#   DURATION     how long the mix runs (default 30m; s, m or h)
#   SLICE        the length of one wrk run, one row of the table (default 60s)
#   CONNECTIONS  wrk connections (default 32)
#   THREADS      wrk threads (default 2)
#   GROUP_COUNT  groups the PATCHes change (default 20; not GROUPS, which bash owns)
#   PAGE         the count of the list reads (default 20)
#   OUT          where the tables are written (default $workdir/soak.md)
#   ROLLCALL_BIN a prebuilt rollcall; default: this tree's release build, built now, in
#                $CARGO_TARGET_DIR/release if set
#   BENCH_RUST_LOG  rollcall's RUST_LOG during the run (default warn)
#   KEEP         1: keep the database files (by default the working directory keeps only
#                the tables and the logs)
#   ROLLCALL_TEST_POSTGRES_URL  the PostgreSQL server of DB=postgres
# Needs wrk (Debian/Ubuntu: apt-get install -y wrk; macOS: brew install wrk), curl, python3,
# and psql for DB=postgres. Linux only (/proc).
#
#   N=3000 DURATION=3m bench/soak.sh               # a short check
#   DB=postgres bench/soak.sh                       # the full 30 minutes on PostgreSQL
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source scripts/lib.sh

N="${N:-100000}"
DB="${DB:-sqlite}"
DURATION="${DURATION:-30m}"
SLICE="${SLICE:-60s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
GROUP_COUNT="${GROUP_COUNT:-20}"
PAGE="${PAGE:-20}"
IDLE_SECONDS=60
IDLE_STEP=10
WAL_TARGET_BYTES=$((4 * 1024 * 1024))

seconds_of() { # seconds_of 30m -> 1800 (s, m, h; a bare number is seconds)
    case "$1" in
        *h) echo $((${1%h} * 3600)) ;;
        *m) echo $((${1%m} * 60)) ;;
        *s) echo "${1%s}" ;;
        *) echo "$1" ;;
    esac
}
duration_s="$(seconds_of "$DURATION")"
slice_s="$(seconds_of "$SLICE")"
[[ "$duration_s" =~ ^[0-9]+$ && "$slice_s" =~ ^[0-9]+$ && "$slice_s" -gt 0 ]] || {
    echo "bench/soak.sh: DURATION and SLICE are like 30m, 90s or 1h" >&2
    exit 2
}
slices=$((duration_s / slice_s))
[ "$slices" -ge 1 ] || slices=1

for tool in wrk curl python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "bench/soak.sh needs $tool (wrk: apt-get install -y wrk, or brew install wrk)" >&2
        exit 2
    fi
done
if [ "$DB" = postgres ] && ! command -v psql >/dev/null; then
    echo "bench/soak.sh: DB=postgres needs psql" >&2
    exit 2
fi

rollcall="$(rollcall_binary "$root")"

workdir="$(mktemp -d "${TMPDIR:-/tmp}/rollcall-soak.XXXXXX")"
OUT="${OUT:-$workdir/soak.md}"
pids=()
pg_schema=""
cleanup() {
    local i
    # The newest first: the server before the webhook receiver it delivers to.
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill -TERM "${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || true
    done
    if [ -n "$pg_schema" ]; then
        psql "$pg_admin" -q -c "DROP SCHEMA IF EXISTS $pg_schema CASCADE" >/dev/null 2>&1 || true
    fi
    if [ "${KEEP:-}" != 1 ]; then
        rm -f "$workdir"/*.db "$workdir"/*.db-wal "$workdir"/*.db-shm "$workdir"/*.ids
    fi
    echo "bench/soak.sh: logs and tables in $workdir" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

case "$DB" in
    sqlite)
        db_file="$workdir/rollcall.db"
        database_url="sqlite://$db_file"
        ;;
    postgres)
        pg_admin="${ROLLCALL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
        pg_schema="soak_$$_$RANDOM"
        psql "$pg_admin" -q -c "CREATE SCHEMA $pg_schema" >/dev/null
        database_url="$(schema_url "$pg_admin" "$pg_schema")"
        ;;
    *) echo "bench/soak.sh: DB is sqlite or postgres" >&2; exit 2 ;;
esac

result_field() { # result_field "RESULT a=1 b=2" b
    tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"
}
mb() { # mb BYTES -> megabytes, one decimal
    awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'
}
psql_value() { # psql_value SQL -> one value
    psql "$pg_admin" -At -q -c "$1"
}

# The webhook receiver: 200 to every POST, counting events by type; GET answers the counts.
cat >"$workdir/receiver.py" <<'PY'
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counts = {}
lock = threading.Lock()

class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            kind = json.loads(body).get("type", "?")
        except ValueError:
            kind = "unparsed"
        with lock:
            counts[kind] = counts.get(kind, 0) + 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        with lock:
            body = json.dumps(counts, sort_keys=True).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
PY
receiver_port="$(free_port)"
python3 "$workdir/receiver.py" "$receiver_port" >"$workdir/receiver.log" 2>&1 &
pids+=($!)
receiver="http://127.0.0.1:$receiver_port"
for _ in $(seq 100); do
    curl -s -o /dev/null "$receiver/" && break
    sleep 0.1
done
received() { # received [TYPE] -> events the receiver got (of TYPE, or all)
    curl -s -m 10 "$receiver/" | python3 -c '
import json, sys
counts = json.load(sys.stdin)
print(counts.get(sys.argv[1], 0) if len(sys.argv) > 1 else sum(counts.values()))' "$@"
}

metrics_port="$(free_port)"
cat >"$workdir/rollcall.toml" <<EOF
webhook_allow_private_addresses = true
metrics_bind = "127.0.0.1:$metrics_port"
EOF
outbox_pending() { # the outbox backlog, from /metrics ("?" when unreadable)
    curl -s -m 10 "http://127.0.0.1:$metrics_port/metrics" |
        awk '/^rollcall_outbox_pending[{ ]/ { s += $NF; found = 1 } END { if (found) printf "%d", s; else printf "?" }'
}

export DATABASE_URL="$database_url"
org_json="$("$rollcall" org create soak --json)"
token="$(json_field "$org_json" scim_token)"
admin_token="$(json_field "$org_json" admin_token)"
port="$(free_port)"
base="http://127.0.0.1:$port"
server_pid=""
start_server() { # start_server LOG: rollcall serve on DATABASE_URL, wait until it answers
    RUST_LOG="${BENCH_RUST_LOG:-warn}" "$rollcall" serve --config "$workdir/rollcall.toml" \
        --bind "127.0.0.1:$port" >>"$1" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    wait_ready "$base/scim/v2" "$token" 60
}
stop_server() { # stop_server: SIGTERM, wait up to 60 s (then SIGKILL); sets stop_seconds
    local started=$SECONDS
    kill -TERM "$server_pid"
    for _ in $(seq 600); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
        echo "warning: rollcall did not stop within 60 s of SIGTERM; killed" >&2
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
    stop_seconds=$((SECONDS - started))
}
rss_kb() { # VmRSS of the server, in kB
    awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null || echo 0
}
sqlite_wal_bytes() { # the size of the -wal file
    stat -c %s "$db_file-wal" 2>/dev/null || echo 0
}
sqlite_wal_used_bytes() { # how much of the -wal file is the live log (from the -shm index)
    # The wal-index header (sqlite.org/walformat.html), native byte order: the page size
    # (u16 at 14; 1 = 65536) and mxFrame (u32 at 16: the last valid frame), in two copies
    # (at 0 and 48) that agree unless a writer is updating them. A frame is 24 bytes and a
    # page; the file's header 32 bytes. Read without a lock, so no checkpoint is disturbed.
    local shm="$db_file-shm" page frames copy
    for _ in 1 2 3 4 5; do
        page="$(od -An -t u2 -j 14 -N 2 "$shm" 2>/dev/null | tr -d ' ')"
        frames="$(od -An -t u4 -j 16 -N 4 "$shm" 2>/dev/null | tr -d ' ')"
        copy="$(od -An -t u4 -j 64 -N 4 "$shm" 2>/dev/null | tr -d ' ')"
        if [ -z "$frames" ] || [ -z "$page" ]; then
            echo 0
            return
        fi
        [ "$frames" = "$copy" ] && break
        sleep 0.01
    done
    [ "$page" = 1 ] && page=65536
    if [ "$frames" -gt 0 ]; then echo $((32 + frames * (24 + page))); else echo 0; fi
}
pg_lsn() { # bytes of WAL the cluster has written since its start
    psql_value "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"
}
pg_waldir_bytes() {
    psql_value "SELECT coalesce(sum(size), 0)::bigint FROM pg_ls_waldir()"
}
api_get() { # api_get PATH -> body (SCIM token)
    curl -sf -m 60 "$base/scim/v2/$1" -H "Authorization: Bearer $token"
}
post() { # post URL TOKEN BODY -> the response body
    curl -sf -m 60 -X POST "$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"
}
user_count() {
    api_get "Users?count=0" | python3 -c 'import json, sys; print(json.load(sys.stdin)["totalResults"])'
}

run_wrk() { # run_wrk ARGS…: wrk with THREADS and CONNECTIONS, its output in
    # $workdir/wrk.out; in the background, so that the EXIT trap stops it should this script
    # be stopped (a wrk in the foreground would run on to the end of its -d)
    wrk -t "$THREADS" -c "$CONNECTIONS" "$@" >"$workdir/wrk.out" 2>&1 &
    local wrk_pid=$!
    pids+=("$wrk_pid")
    wait "$wrk_pid" || { cat "$workdir/wrk.out" >&2; return 1; }
}

start_server "$workdir/rollcall.log"
unlimited "$base" "$admin_token"

echo "== rollcall soak on $DB: N=$N, $GROUP_COUNT groups, $CONNECTIONS connections, $THREADS wrk threads," \
    "$slices slices of ${slice_s}s, $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "-- seeding $N users with POST /Users"
run_wrk -d 2h --timeout 10s -s bench/wrk/create.lua \
    -H "Authorization: Bearer $token" "$base" -- "$THREADS" "$N" /scim/v2 "$workdir/create.done"
seed_out="$(cat "$workdir/wrk.out")"
seed_result="$(grep '^RESULT' <<<"$seed_out")"
echo "$seed_result"
created="$(result_field "$seed_result" created)"
[ "$created" -ge $((N * 99 / 100)) ] || { echo "seeding created only $created of $N users" >&2; exit 1; }

echo "-- reading the users' ids back"
python3 - "$base/scim/v2" "$token" "$workdir/users.ids" <<'PY'
import json, sys, urllib.request
base, token, out = sys.argv[1:]
ids, start = [], 1
while True:
    request = urllib.request.Request(
        f"{base}/Users?attributes=id&count=1000&startIndex={start}",
        headers={"Authorization": f"Bearer {token}"})
    page = json.load(urllib.request.urlopen(request, timeout=60))
    resources = page.get("Resources", [])
    ids += [r["id"] for r in resources]
    if not resources or len(ids) >= page["totalResults"]:
        break
    start += len(resources)
open(out, "w").write("".join(i + "\n" for i in ids))
PY
[ "$(wc -l <"$workdir/users.ids")" -ge "$created" ] || { echo "read back fewer ids than users" >&2; exit 1; }
sample="$(curl -s -G "$base/scim/v2/Users" -H "Authorization: Bearer $token" \
    --data-urlencode "filter=userName eq \"user$((N / 2))@bench.example\"")"
grep -q '"totalResults":1' <<<"$sample" || { echo "sanity check failed: $sample" >&2; exit 1; }

echo "-- $GROUP_COUNT groups (the even ones editor on a workspace), and the webhook"
workspace="$(json_field "$(post "$base/admin/v1/workspaces" "$admin_token" '{"name":"soak"}')" id)"
: >"$workdir/groups.ids"
for g in $(seq 1 "$GROUP_COUNT"); do
    group="$(json_field "$(post "$base/scim/v2/Groups" "$token" \
        "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],\"displayName\":\"soak-$g\"}")" id)"
    echo "$group" >>"$workdir/groups.ids"
    if [ $((g % 2)) -eq 0 ]; then
        post "$base/admin/v1/grants" "$admin_token" \
            "{\"principal\":{\"type\":\"group\",\"id\":\"$group\"},\"resource\":{\"type\":\"workspace\",\"id\":\"$workspace\"},\"role\":\"editor\"}" >/dev/null
    fi
done
webhook="$(post "$base/admin/v1/webhooks" "$admin_token" \
    "{\"url\":\"$receiver/hook\",\"secret\":\"soak-secret\",\"events\":[\"*\"]}")" || {
    echo "could not register the webhook" >&2
    exit 1
}
echo "webhook $(json_field "$webhook" id) -> $receiver/hook"

# One slice of the mix; sets slice_result (the RESULT line) and prints wrk's output to
# the slice's log.
run_slice() { # run_slice TAG
    local out sampler=""
    if [ "$DB" = sqlite ]; then
        # The live log's largest length during the slice, sampled every 2 s.
        : >"$workdir/wal-used.samples"
        while true; do
            sqlite_wal_used_bytes >>"$workdir/wal-used.samples"
            sleep 2
        done &
        sampler=$!
        pids+=("$sampler")
    fi
    run_wrk -d "${slice_s}s" --timeout 10s --latency \
        -s bench/wrk/soak.lua -H "Authorization: Bearer $token" "$base" -- \
        "$THREADS" "$N" /scim/v2 "$workdir/users.ids" "$workdir/groups.ids" "$1" "$PAGE"
    out="$(cat "$workdir/wrk.out")"
    if [ -n "$sampler" ]; then
        kill "$sampler" 2>/dev/null || true
        wait "$sampler" 2>/dev/null || true
        wal_used_max="$(sort -n "$workdir/wal-used.samples" | tail -1)"
    fi
    echo "$out" >>"$workdir/wrk.log"
    slice_result="$(grep '^RESULT' <<<"$out")"
    first_bad="$(sed -n 's/^FIRST_NON2XX //p' <<<"$out")"
    [ -z "$first_bad" ] || echo "   first non-2xx of slice $1: $first_bad" | tee -a "$workdir/non2xx.log" >&2
}

if [ "$DB" = sqlite ]; then
    wal_header="WAL file MB | WAL in use MB (end / max)"
else
    wal_header="WAL written MB (LSN diff) | pg_wal MB"
fi
slice_label="$([ "$slice_s" -eq 60 ] && echo minute || echo "slice (${slice_s}s)")"
table=("| $slice_label | req/s | p50 ms | p99 ms | non-2xx (by status) | socket errors / timeouts | RSS MB | $wal_header | outbox backlog | webhook events received | creates sent |")
table+=("|$(printf -- '---|%.0s' $(seq 1 $(($(tr -cd '|' <<<"${table[0]}" | wc -c) - 1))))")
row_of() { # row_of LABEL: the table row of slice_result and the samples just taken
    local r="$slice_result" wal_cells
    if [ "$DB" = sqlite ]; then
        wal_cells="$(mb "$wal_now") | $(mb "$wal_used") / $(mb "$wal_used_max")"
    else
        wal_cells="$(mb "$wal_written") | $(mb "$wal_now")"
    fi
    echo "| $1 | $(result_field "$r" rate) | $(result_field "$r" p50_ms) | $(result_field "$r" p99_ms) | $(result_field "$r" non2xx) ($(result_field "$r" statuses)) | $(result_field "$r" socket_errors) / $(result_field "$r" timeouts) | $(mb $((rss_now * 1024))) | $wal_cells | $outbox_now | $events_now | $(result_field "$r" create) |"
}
sample_after_slice() { # the samples beside a slice: RSS, WAL, outbox, webhook events
    rss_now="$(rss_kb)"
    outbox_now="$(outbox_pending)"
    local total
    total="$(received)"
    events_now=$((total - events_total))
    events_total=$total
    if [ "$DB" = sqlite ]; then
        wal_now="$(sqlite_wal_bytes)"
        wal_used="$(sqlite_wal_used_bytes)"
    else
        local lsn
        lsn="$(pg_lsn)"
        wal_written=$((lsn - lsn_before))
        lsn_before=$lsn
        wal_now="$(pg_waldir_bytes)"
    fi
}

echo "-- the mix for $DURATION: $slices slices of ${slice_s}s"
events_total="$(received)"
[ "$DB" = postgres ] && lsn_before="$(pg_lsn)"
rss_start_kb="$(rss_kb)"
echo "${table[0]}"
echo "${table[1]}"
load_started=$SECONDS
non2xx_total=0
errors_total=0
for i in $(seq 1 "$slices"); do
    run_slice "m$i"
    sample_after_slice
    row="$(row_of "$i")"
    table+=("$row")
    echo "$row"
    non2xx_total=$((non2xx_total + $(result_field "$slice_result" non2xx)))
    errors_total=$((errors_total + $(result_field "$slice_result" socket_errors) + $(result_field "$slice_result" timeouts)))
    last_rate="$(result_field "$slice_result" rate)"
    last_p99="$(result_field "$slice_result" p99_ms)"
done
load_seconds=$((SECONDS - load_started))

echo "-- idle for ${IDLE_SECONDS}s, sampling every ${IDLE_STEP}s"
idle_wal_header="$([ "$DB" = sqlite ] && echo "WAL file MB | WAL in use MB" || echo "$wal_header")"
idle=("| idle s | RSS MB | $idle_wal_header | outbox backlog | webhook events received |" "|---|---|---|---|---|---|")
echo "${idle[0]}"
echo "${idle[1]}"
wal_under_at=""
wal_used_under_at=""
for t in $(seq "$IDLE_STEP" "$IDLE_STEP" "$IDLE_SECONDS"); do
    sleep "$IDLE_STEP"
    sample_after_slice
    if [ "$DB" = sqlite ]; then
        wal_cells="$(mb "$wal_now") | $(mb "$wal_used")"
        [ -z "$wal_under_at" ] && [ "$wal_now" -lt "$WAL_TARGET_BYTES" ] && wal_under_at=$t
        [ -z "$wal_used_under_at" ] && [ "$wal_used" -lt "$WAL_TARGET_BYTES" ] && wal_used_under_at=$t
    else
        wal_cells="$(mb "$wal_written") | $(mb "$wal_now")"
    fi
    row="| $t | $(mb $((rss_now * 1024))) | $wal_cells | $outbox_now | $events_now |"
    idle+=("$row")
    echo "$row"
done
rss_end_kb="$rss_now"
hwm_kb="$(awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status")"

users="$(user_count)"
member_added="$(received group.member_added)"
member_removed="$(received group.member_removed)"
member_events="$member_added added, $member_removed removed"
if [ "$member_added" -eq 0 ] || [ "$member_removed" -eq 0 ]; then
    echo "warning: the webhook received no group.member_added or no group.member_removed event" >&2
fi
access_events="$(received access.changed)"
webhook_state="$(curl -s -m 30 "$base/admin/v1/webhooks" -H "Authorization: Bearer $admin_token")"

echo "-- stopping the server (SIGTERM)"
stop_server
if [ "$DB" = sqlite ]; then
    wal_after_stop="$(sqlite_wal_bytes)"
    db_bytes="$(stat -c %s "$db_file")"
    size_text="$(mb "$db_bytes") MB (rollcall.db; -wal after the clean stop: $(mb "$wal_after_stop") MB)"
    cp "$db_file" "$workdir/fresh.db"
    [ -f "$db_file-wal" ] && cp "$db_file-wal" "$workdir/fresh.db-wal"
    rm -f "$db_file" "$db_file-wal" "$db_file-shm"
    db_file="$workdir/fresh.db"
    export DATABASE_URL="sqlite://$db_file"
    fresh_what="a copy of the database file"
else
    db_bytes="$(psql_value "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$pg_schema' AND c.relkind IN ('r', 'p')")"
    size_text="$(mb "$db_bytes") MB (sum of pg_total_relation_size over schema $pg_schema's tables)"
    fresh_what="the same schema"
fi

echo "-- a fresh rollcall on $fresh_what, one slice of the mix"
start_server "$workdir/rollcall-fresh.log"
fresh_rss_start_kb="$(rss_kb)"
events_total="$(received)"
[ "$DB" = postgres ] && lsn_before="$(pg_lsn)"
run_slice fresh
sample_after_slice
fresh_row="$(row_of "fresh server")"
fresh_rate="$(result_field "$slice_result" rate)"
ratio="$(awk -v a="$last_rate" -v b="$fresh_rate" 'BEGIN { printf "%.0f", (b > 0 ? a / b * 100 : 0) }')"
verdict="$([ "$ratio" -ge 80 ] && echo met || echo "NOT met")"

{
    echo "## Soak: $DB, N=$N, $slices × ${slice_s}s ($(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
    echo
    echo "\`N=$N DB=$DB DURATION=$DURATION SLICE=$SLICE CONNECTIONS=$CONNECTIONS THREADS=$THREADS GROUP_COUNT=$GROUP_COUNT bench/soak.sh\`," \
        "$(nproc) cores, wrk on the same machine. Seeding: $(result_field "$seed_result" rate) creates/s." \
        "The mix: 35% filter reads, 20% creates, 20% one-member PATCHes, 15% GET by id, 10% pages of $PAGE." \
        "Webhook events received per slice are the receiver's count; the backlog is rollcall_outbox_pending after the slice."
    if [ "$DB" = postgres ]; then
        echo "WAL: written during the slice (pg_current_wal_lsn diff) and pg_wal's size (pg_ls_waldir), both of the whole cluster."
    else
        echo "WAL: the size of the rollcall.db-wal file after the slice, and the live log in it (mxFrame of the -shm wal-index header: the file keeps its largest size once the log starts over)."
    fi
    echo
    printf '%s\n' "${table[@]}"
    echo "$fresh_row"
    echo
    echo "Idle after the load:"
    echo
    printf '%s\n' "${idle[@]}"
    echo
    echo "- last slice $last_rate req/s (p99 $last_p99 ms) against the fresh server's $fresh_rate req/s on $fresh_what:" \
        "$ratio% (target: within 20%, i.e. >= 80%: $verdict)"
    if [ "$DB" = sqlite ]; then
        echo "- WAL file under 4 MB while idle: $([ -n "$wal_under_at" ] && echo "yes, by ${wal_under_at}s" || echo "NO, not within ${IDLE_SECONDS}s")" \
            "(the live log in it: $([ -n "$wal_used_under_at" ] && echo "under 4 MB by ${wal_used_under_at}s" || echo "NOT under 4 MB within ${IDLE_SECONDS}s"))"
    fi
    echo "- RSS: $(mb $((rss_start_kb * 1024))) MB before the load, $(mb $((rss_end_kb * 1024))) MB after the idle minute, peak (VmHWM) $(mb $((hwm_kb * 1024))) MB; fresh server $(mb $((fresh_rss_start_kb * 1024))) MB at start, $(mb $((rss_now * 1024))) MB after its slice"
    echo "- users at the end: $users; database size: $size_text"
    echo "- membership events received: $member_events; access.changed: $access_events; clean stop took ${stop_seconds}s"
    echo "- load: ${load_seconds}s for $slices slices; non-2xx answers over them: $non2xx_total; socket errors and timeouts: $errors_total"
} >"$OUT"
echo
cat "$OUT"
echo
echo "webhooks: $webhook_state"
echo "(written to $OUT)"
