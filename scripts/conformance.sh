#!/usr/bin/env bash
# make conformance: the third-party suites of ../shared/conformance against real rollcall
# servers, each suite on a fresh organization:
#   - scim2-tester (run.sh): every check must pass, with a SCIM token (tester) and with an
#     access token from POST /oauth/token of an OAuth client (tester-oauth);
#   - Okta's SCIM 2.0 spec test (okta/run.py): every assertion must pass, with a Bearer
#     token (okta) and in Okta's "HTTP Header" mode, the token with no scheme (okta-header);
#   - Microsoft's SCIM reference tests (microsoft/run.py): every assertion must pass but the
#     ones scripts/conformance-expected.txt lists with the decision that makes them fail;
#   - schemathesis over Okta's OpenAPI description (okta/fuzz.sh): no 5xx, NULs included;
#   - schemathesis over our own admin API reference (scripts/admin_fuzz.sh, docs/openapi.yaml):
#     no 5xx, and every status, content type and body as documented (admin-api).
# They run on a temporary SQLite database, then on a fresh PostgreSQL schema at
# 127.0.0.1:5432 (skipped when PostgreSQL does not answer, a failure when CI=true).
# Exits 0 only when every suite passed on every database.
#   RELEASE=1 scripts/conformance.sh   builds in release mode instead of debug.
#   SUITES="tester tester-oauth okta okta-header microsoft fuzz admin-api" and DATABASES="sqlite postgres" narrow the run.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source scripts/lib.sh

shared="${CONFORMANCE_DIR:-$root/../shared/conformance}"
if [ ! -x "$shared/run.sh" ]; then
    echo "conformance: the suites in $shared are missing (set CONFORMANCE_DIR)" >&2
    exit 2
fi
suites="${SUITES:-tester tester-oauth okta okta-header microsoft fuzz admin-api}"
databases="${DATABASES:-sqlite postgres}"
pg_admin="${ROLLCALL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"

profile=debug
build_flags=()
if [ "${RELEASE:-}" = "1" ]; then profile=release; build_flags=(--release); fi
cargo build -p rollcall --locked "${build_flags[@]}" || exit 2
rollcall="${CARGO_TARGET_DIR:-$root/target}/$profile/rollcall"

workdir="$(mktemp -d "${TMPDIR:-/tmp}/rollcall-conformance.XXXXXX")"
server_pid=""
pg_schema=""
stop_server() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    server_pid=""
}
cleanup() {
    stop_server
    if [ -n "$pg_schema" ]; then
        psql "$pg_admin" -q -c "DROP SCHEMA IF EXISTS $pg_schema CASCADE" >/dev/null 2>&1
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

failures=()

# new_token NAME [BASE]: a fresh organization's SCIM token. With BASE (…/scim/v2, a
# server that is up), its rate limit is lifted: the suites send requests as fast as they
# can, which no IdP does.
new_token() {
    local json
    json="$("$rollcall" org create "$1" --json 2>>"$workdir/cli.log")" || return 1
    if [ -n "${2:-}" ]; then
        unlimited "${2%/scim/v2}" "$(json_field "$json" admin_token)" || return 1
    fi
    json_field "$json" scim_token
}

# admin_token NAME BASE: a fresh organization's admin token, its rate limit lifted.
admin_token() {
    local json admin
    json="$("$rollcall" org create "$1" --json 2>>"$workdir/cli.log")" || return 1
    admin="$(json_field "$json" admin_token)"
    unlimited "${2%/scim/v2}" "$admin" || return 1
    echo "$admin"
}

# oauth_token NAME BASE: a fresh organization's OAuth client, its rate limit lifted, and
# an access token from BASE's token endpoint.
oauth_token() {
    local json origin="${2%/scim/v2}" admin client answer
    json="$("$rollcall" org create "$1" --json 2>>"$workdir/cli.log")" || return 1
    admin="$(json_field "$json" admin_token)"
    unlimited "$origin" "$admin" || return 1
    client="$(curl -s -X POST "$origin/admin/v1/oauth-clients" -H "Authorization: Bearer $admin" \
        -H 'Content-Type: application/json' -d '{"name":"conformance"}')" || return 1
    answer="$(curl -s -u "$(json_field "$client" client_id):$(json_field "$client" client_secret)" \
        -d grant_type=client_credentials "$origin/oauth/token")" || return 1
    json_field "$answer" access_token
}

# run_suite NAME BASE: one suite on a fresh organization; records a failure.
run_suite() {
    local name="$1" base="$2" label="$3" token status out
    if [ "$name" = "tester-oauth" ]; then
        token="$(oauth_token "$name" "$base")" || { failures+=("$label $name: OAuth token"); return; }
    elif [ "$name" = "admin-api" ]; then
        token="$(admin_token "$name" "$base")" || { failures+=("$label $name: org create"); return; }
    else
        token="$(new_token "$name" "$base")" || { failures+=("$label $name: org create"); return; }
    fi
    out="$workdir/$label-$name.out"
    echo "--- $label: $name"
    case "$name" in
        tester | tester-oauth)
            "$shared/run.sh" "$base" "$token" >"$out" 2>&1
            status=$?
            ;;
        okta)
            python3 "$shared/okta/run.py" --base "$base" --token "$token" >"$out" 2>&1
            status=$?
            grep -q ', 0 failed$' "$out" || status=1
            ;;
        okta-header)
            python3 "$shared/okta/run.py" --base "$base" --token "$token" --header-mode >"$out" 2>&1
            status=$?
            grep -q ', 0 failed$' "$out" || status=1
            ;;
        microsoft)
            python3 "$shared/microsoft/run.py" --base "$base" --token "$token" >"$out" 2>&1
            python3 scripts/expected_failures.py scripts/conformance-expected.txt "$out"
            status=$?
            ;;
        fuzz)
            # schemathesis keeps its state in the working directory.
            (cd "$workdir" && "$shared/okta/fuzz.sh" "$base" "$token") >"$out" 2>&1
            status=$?
            ;;
        admin-api)
            (cd "$workdir" && "$root/scripts/admin_fuzz.sh" "${base%/scim/v2}" "$token") >"$out" 2>&1
            status=$?
            ;;
    esac
    grep -E 'passed|generated|FAIL|Unexpected|unexpected' "$out" | tail -n 8
    if [ "$status" -ne 0 ]; then
        failures+=("$label $name")
        echo "--- $label $name failed; its output: $out (kept below)" >&2
        tail -n 40 "$out" >&2
    fi
}

# serve LABEL DATABASE_URL: start a server on a free port; prints its base URL.
serve() {
    local label="$1" port
    export DATABASE_URL="$2"
    port="$(free_port)"
    "$rollcall" serve --bind "127.0.0.1:$port" >"$workdir/$label-server.log" 2>&1 &
    server_pid=$!
    base="http://127.0.0.1:$port/scim/v2"
    # wait_ready needs a token: any organization's.
    local token
    token="$(new_token "ready-$label")" || return 1
    wait_ready "$base" "$token" 60 || { cat "$workdir/$label-server.log" >&2; return 1; }
}

for database in $databases; do
    case "$database" in
        sqlite)
            url="sqlite://$workdir/rollcall.db"
            ;;
        postgres)
            if ! psql "$pg_admin" -q -c 'SELECT 1' >/dev/null 2>&1; then
                if [ "${CI:-}" = "true" ]; then
                    failures+=("postgres: unreachable at $pg_admin (CI=true)")
                else
                    echo "--- postgres: skipped (no server at $pg_admin)"
                fi
                continue
            fi
            pg_schema="conformance_$$_$RANDOM"
            psql "$pg_admin" -q -c "CREATE SCHEMA $pg_schema" >/dev/null || { failures+=("postgres: create schema"); continue; }
            separator='?'; [[ "$pg_admin" == *\?* ]] && separator='&'
            url="${pg_admin}${separator}options=-c%20search_path%3D${pg_schema}"
            ;;
        *) echo "conformance: unknown database $database" >&2; exit 2 ;;
    esac
    if ! serve "$database" "$url"; then
        failures+=("$database: server did not start")
        stop_server
        continue
    fi
    for suite in $suites; do
        run_suite "$suite" "$base" "$database"
    done
    if grep -q 'status=5[0-9][0-9]' "$workdir/$database-server.log"; then
        failures+=("$database: the server answered a 5xx")
        grep 'status=5[0-9][0-9]' "$workdir/$database-server.log" | head -n 5 >&2
    fi
    stop_server
done

if [ "${#failures[@]}" -ne 0 ]; then
    printf 'conformance: FAILED: %s\n' "${failures[@]}" >&2
    exit 1
fi
echo "conformance: every suite passed on: $databases"
