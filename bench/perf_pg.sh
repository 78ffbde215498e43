#!/usr/bin/env bash
# Where the time goes on PostgreSQL: one `bench/load.sh` run (DB=postgres), with `perf
# record -a -g` taking 8 s of the seeding (creates) and 10 s of the filter reads, system
# wide, so PostgreSQL's backends, Rollcall and wrk show side by side. Writes
# $OUT/{create,read}.data and load.log; read them with, for example,
#   perf report -i $OUT/read.data --no-children --sort comm --stdio -g none
#   perf report -i $OUT/read.data --no-children --comm postgres --sort dso --stdio -g none
#
# Environment: ROLLCALL_BIN (a prebuilt rollcall; default: load.sh builds this tree's),
# N (default 30000), OUT (default /tmp/perf-pg). Needs perf, wrk, psql, and what
# bench/load.sh needs. Not part of `make test`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${OUT:-/tmp/perf-pg}"
mkdir -p "$out"
DB=postgres N="${N:-30000}" DURATION=20s bash bench/load.sh >"$out/load.log" 2>&1 &
load=$!
until grep -q -- "-- seeding" "$out/load.log" 2>/dev/null; do sleep 0.2; done
sleep 3
perf record -a -g -F 499 -o "$out/create.data" -- sleep 8 >/dev/null 2>&1
until grep -q -- "-- GET /Users" "$out/load.log" 2>/dev/null; do sleep 0.2; done
sleep 3
perf record -a -g -F 499 -o "$out/read.data" -- sleep 10 >/dev/null 2>&1
wait "$load"
tail -6 "$out/load.log"
