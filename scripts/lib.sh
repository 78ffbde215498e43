# Shared helpers of scripts/*.sh and bench/load.sh (sourced, not run).

# A free TCP port on 127.0.0.1 (the kernel picks it; it is free when this returns).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_ready BASE_URL TOKEN [SECONDS]: poll /ServiceProviderConfig until it answers 200.
wait_ready() {
    local base="$1" token="$2" seconds="${3:-60}" i
    for ((i = 0; i < seconds * 10; i++)); do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/ServiceProviderConfig")" = "200" ]; then
            return 0
        fi
        sleep 0.1
    done
    echo "the server at $base did not become ready within ${seconds}s" >&2
    return 1
}

# schema_url ADMIN_URL SCHEMA: the PostgreSQL URL ADMIN_URL with its connections' search_path
# set to SCHEMA (one schema per run, dropped afterwards, on a shared server).
schema_url() {
    local separator='?'
    [[ "$1" == *\?* ]] && separator='&'
    echo "${1}${separator}options=-c%20search_path%3D${2}"
}

# use_pg_schema PREFIX: a new schema for this run on $ROLLCALL_TEST_POSTGRES_URL (default:
# the local test database), dropped on exit after the caller's `cleanup`; sets pg_admin,
# pg_schema and pg_url (the schema's URL).
use_pg_schema() {
    pg_admin="${ROLLCALL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
    pg_schema="${1}_$$_$RANDOM"
    psql "$pg_admin" -q -c "CREATE SCHEMA $pg_schema" >/dev/null
    trap 'cleanup; psql "$pg_admin" -q -c "DROP SCHEMA IF EXISTS $pg_schema CASCADE" >/dev/null 2>&1' EXIT
    pg_url="$(schema_url "$pg_admin" "$pg_schema")"
}

# json_field JSON KEY: a top-level string field of a JSON object.
json_field() {
    python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

# unlimited ORIGIN ADMIN_TOKEN: lift the organization's rate limit (PRODUCT.md §8: 100 a
# second by default) for a load tool or a test suite that sends far more. A build from
# before rate limits refuses the settings as unknown, and has nothing to lift.
unlimited() {
    local answer
    answer="$(curl -s -w ' %{http_code}' -X PATCH "$1/admin/v1/org" \
        -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
        -d '{"rate_limit_per_second": 1000000, "rate_limit_burst": 1000000}')"
    case "$answer" in
        *" 200") return 0 ;;
        *unknown_setting*" 400") return 0 ;;
    esac
    echo "could not lift the rate limit at $1: $answer" >&2
    return 1
}

# rollcall_binary ROOT: $ROLLCALL_BIN (a prebuilt binary, e.g. an older commit's, to
# compare), or ROOT's release build of rollcall, built now.
rollcall_binary() {
    if [ -n "${ROLLCALL_BIN:-}" ]; then
        echo "$ROLLCALL_BIN"
        return 0
    fi
    (cd "$1" && cargo build --release --locked -p rollcall >&2)
    echo "${CARGO_TARGET_DIR:-$1/target}/release/rollcall"
}

# stop_and_remove: the EXIT trap of a benchmark: stop every process in the array `pids`,
# then remove `workdir`.
stop_and_remove() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$workdir"
}

# kinstr_per_request PID REQUESTS DIR: callgrind's count for process PID since it was last
# zeroed (`callgrind_control -z`), dumped into DIR, per request, in thousands.
kinstr_per_request() {
    local dump
    callgrind_control -d "$1" >/dev/null 2>&1
    dump="$(ls -t "$3"/callgrind.out.* | head -1)"
    python3 - "$dump" "$2" <<'PY'
import sys
dump, n = sys.argv[1], int(sys.argv[2])
total = next(int(line.split()[1]) for line in open(dump) if line.startswith(("summary:", "totals:")))
print("%.1f" % (total / n / 1000))
PY
}
