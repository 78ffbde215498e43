#!/usr/bin/env bash
# make bench-load: the load benchmark of PRODUCT.md §9, in one run, with wrk.
#
#   1. build release binaries of rollcall and bench/bare;
#   2. start `rollcall serve` on a fresh database (DB=sqlite, the default: a new file;
#      DB=postgres: a new schema at $ROLLCALL_TEST_POSTGRES_URL, default
#      postgres://postgres@127.0.0.1:5432/test), create an organization;
#   3. seed N users through the API with wrk (POST /Users, unique userNames, C connections):
#      that is the create throughput;
#   4. GET /Users?filter=userName eq "<random seeded user>" for DURATION with --latency;
#   5. seed bench/bare's table in the same database with the same N users, start it, same
#      GET load: the ceiling, one indexed lookup with a cached prepared statement over an
#      r2d2 pool of Rollcall's size;
#   6. print a summary table.
#
# Environment: N (default 100000), CONNECTIONS (32), THREADS (2), DURATION (30s),
# BENCH_RUST_LOG (rollcall's RUST_LOG during the run, default warn: no per-request lines),
# ROLLCALL_BIN (measure this rollcall binary instead of the one just built).
# Creates run with a 10 s request timeout (wrk drops and does not count slower answers).
# Needs wrk (Debian/Ubuntu: apt-get install -y wrk; macOS: brew install wrk), curl, python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source scripts/lib.sh

N="${N:-100000}"
DB="${DB:-sqlite}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
DURATION="${DURATION:-30s}"

if ! command -v wrk >/dev/null; then
    echo "bench/load.sh needs wrk: apt-get install -y wrk (Debian/Ubuntu) or brew install wrk (macOS)" >&2
    exit 2
fi

cargo build --release --locked -p rollcall -p bench-bare
# ROLLCALL_BIN: another rollcall binary to measure (a before/after comparison).
rollcall="${ROLLCALL_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/rollcall}"
bare="${CARGO_TARGET_DIR:-$root/target}/release/bare"

workdir="$(mktemp -d "${TMPDIR:-/tmp}/rollcall-bench.XXXXXX")"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$workdir"
}
trap cleanup EXIT

case "$DB" in
    sqlite)
        database_url="sqlite://$workdir/rollcall.db"
        bare_url="sqlite://$workdir/bare.db"
        ;;
    postgres)
        use_pg_schema bench
        database_url="$pg_url"
        bare_url="$database_url"
        ;;
    *) echo "bench/load.sh: DB is sqlite or postgres" >&2; exit 2 ;;
esac

result_field() { # result_field "RESULT a=1 b=2" b
    tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"
}

echo "== rollcall on $DB: N=$N, $CONNECTIONS connections, $THREADS wrk threads, reads for $DURATION"
export DATABASE_URL="$database_url"
org_json="$("$rollcall" org create bench --json)"
token="$(json_field "$org_json" scim_token)"
port="$(free_port)"
RUST_LOG="${BENCH_RUST_LOG:-warn}" "$rollcall" serve --bind "127.0.0.1:$port" >"$workdir/rollcall.log" 2>&1 &
pids+=($!)
rollcall_pid=$!
base="http://127.0.0.1:$port"
wait_ready "$base/scim/v2" "$token" 60
unlimited "$base" "$(json_field "$org_json" admin_token)"

echo "-- seeding $N users with POST /Users"
create_out="$(wrk -t "$THREADS" -c "$CONNECTIONS" -d 2h --timeout 10s -s bench/wrk/create.lua \
    -H "Authorization: Bearer $token" "$base" -- "$THREADS" "$N" /scim/v2 "$workdir/create.done")"
echo "$create_out"
create_result="$(grep '^RESULT' <<<"$create_out")"
created="$(result_field "$create_result" created)"
if [ "$created" -lt "$N" ]; then
    echo "warning: wrk saw $created of $N creates answered 201 (conflicts and errors are in the RESULT line)" >&2
    [ "$created" -ge $((N * 99 / 100)) ] || exit 1
fi
sample="$(curl -s -G "$base/scim/v2/Users" -H "Authorization: Bearer $token" \
    --data-urlencode "filter=userName eq \"user$((N / 2))@bench.example\"")"
grep -q '"totalResults":1' <<<"$sample" || { echo "sanity check failed: $sample" >&2; exit 1; }

echo "-- GET /Users?filter=userName eq ... for $DURATION"
read_out="$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency -s bench/wrk/filter.lua \
    -H "Authorization: Bearer $token" "$base" -- "$N" /scim/v2)"
echo "$read_out"
read_result="$(grep '^RESULT' <<<"$read_out")"
rollcall_rss_kb="$(ps -o rss= -p "$rollcall_pid" | tr -d ' ')"
kill -TERM "$rollcall_pid"
wait "$rollcall_pid" 2>/dev/null || true

echo "== bare actix-web handler, one indexed lookup ($DB, cached prepared statement)"
"$bare" seed "$bare_url" "$N"
bare_port="$(free_port)"
"$bare" serve "$bare_url" "127.0.0.1:$bare_port" >"$workdir/bare.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$bare_port/Users?filter=x" && break
    sleep 0.1
done
bare_out="$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency -s bench/wrk/filter.lua \
    "http://127.0.0.1:$bare_port" -- "$N" "")"
echo "$bare_out"
bare_result="$(grep '^RESULT' <<<"$bare_out")"

creates="$(result_field "$create_result" rate)"
read_rate="$(result_field "$read_result" rate)"
read_p99="$(result_field "$read_result" p99_ms)"
read_failed="$(result_field "$read_result" failed)"
bare_rate="$(result_field "$bare_result" rate)"
bare_p99="$(result_field "$bare_result" p99_ms)"
ratio="$(python3 -c "print(f'{$read_rate / $bare_rate * 100:.0f}%')")"

echo
echo "== summary ($DB, N=$N users, $CONNECTIONS connections, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD))"
printf '%-44s %12s %10s\n' "measure" "req/s" "p99 ms"
printf '%-44s %12s %10s\n' "rollcall POST /Users (seeding)" "$creates" "$(result_field "$create_result" p99_ms)"
printf '%-44s %12s %10s\n' "rollcall GET /Users?filter=userName eq" "$read_rate" "$read_p99"
printf '%-44s %12s %10s\n' "bare handler, same filter" "$bare_rate" "$bare_p99"
echo "filter reads: rollcall / bare = $ratio (target >= 50%); non-200 reads: $read_failed"
echo "creates/s: $creates (target >= 3000); rollcall RSS after the reads: $((rollcall_rss_kb / 1024)) MB"
