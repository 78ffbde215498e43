#!/usr/bin/env bash
# Instructions per request, under valgrind's callgrind: the read and create paths of
# `make bench-load`, counted instead of timed, so that two builds compare exactly on a
# shared machine (rates drift by 10% between runs of one binary; instruction counts repeat).
#
#   1. seed N users through the API with wrk, natively (fast), on a fresh SQLite database;
#   2. restart that server under callgrind, send R filter GETs
#      (`GET /Users?filter=userName eq "<random seeded user>"`) one after the other on one
#      keep-alive connection, dump the counts; then C creates (POST /Users) the same way;
#   3. the same R filter GETs against bench/bare (the ceiling of bench/load.sh), seeded
#      with the same N users, under callgrind;
#   4. with JWT=1 (the default), the same R filter GETs with an OAuth access token (HS256,
#      from POST /oauth/token: its signature checked on every request with the cached
#      key) and with a token of a trusted HS256 issuer (verified once, then remembered);
#   5. print thousands of instructions per request: the whole server process.
#
# Requests go one at a time, so a create is its own group-commit batch: every run does the
# same work. The random users are drawn from a fixed seed.
#
# Environment: N (default 100000), R (reads, 2000), C (creates, 1000), ROLLCALL_BIN (a
# prebuilt rollcall binary, e.g. an older commit's, to compare; default: build this tree's
# release), BARE=0 (skip the bare handler). Needs wrk, curl, python3 and valgrind.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source scripts/lib.sh

N="${N:-100000}"
R="${R:-2000}"
C="${C:-1000}"
BARE="${BARE:-1}"
JWT="${JWT:-1}"

for tool in wrk valgrind callgrind_control; do
    command -v "$tool" >/dev/null || { echo "bench/instructions.sh needs $tool (apt-get install -y wrk valgrind)" >&2; exit 2; }
done
cargo build --release --locked -p bench-bare
bare="${CARGO_TARGET_DIR:-$root/target}/release/bare"
if [ -n "${ROLLCALL_BIN:-}" ]; then
    rollcall="$ROLLCALL_BIN"
else
    cargo build --release --locked -p rollcall
    rollcall="${CARGO_TARGET_DIR:-$root/target}/release/rollcall"
fi

workdir="$(mktemp -d "${TMPDIR:-/tmp}/rollcall-instr.XXXXXX")"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$workdir"
}
trap cleanup EXIT

# send KIND COUNT BASE TOKEN: COUNT requests one after the other on one connection.
send() {
    python3 - "$@" <<'PY'
import http.client, json, random, sys, urllib.parse
kind, count, base, token, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
url = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
rng = random.Random(7919)
headers = {"Authorization": "Bearer " + token} if token else {}
failed = 0
for i in range(count):
    if kind == "read":
        name = 'userName eq "user%d@bench.example"' % rng.randrange(n)
        conn.request("GET", url.path + "/Users?filter=" + urllib.parse.quote(name), headers=headers)
        expected = 200
    else:
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "extra%d@bench.example" % i,
                "name": {"givenName": "Extra", "familyName": "User %d" % i},
                "emails": [{"value": "extra%d@bench.example" % i, "type": "work", "primary": True}],
                "active": True}
        conn.request("POST", url.path + "/Users", body=json.dumps(body),
                     headers=dict(headers, **{"Content-Type": "application/scim+json"}))
        expected = 201
    response = conn.getresponse()
    response.read()
    if response.status != expected:
        failed += 1
if failed:
    sys.exit("%d of %d %s requests failed" % (failed, count, kind))
PY
}

export DATABASE_URL="sqlite://$workdir/rollcall.db"
org_json="$("$rollcall" org create bench --json)"
token="$(json_field "$org_json" scim_token)"
port="$(free_port)"
base="http://127.0.0.1:$port/scim/v2"
RUST_LOG=warn "$rollcall" serve --bind "127.0.0.1:$port" >"$workdir/seed.log" 2>&1 &
seed_pid=$!
pids+=("$seed_pid")
wait_ready "$base" "$token" 60
unlimited "http://127.0.0.1:$port" "$(json_field "$org_json" admin_token)"
echo "-- seeding $N users"
wrk -t 2 -c 32 -d 2h --timeout 10s -s bench/wrk/create.lua \
    -H "Authorization: Bearer $token" "http://127.0.0.1:$port" -- 2 "$N" /scim/v2 "$workdir/seed.done" | grep '^RESULT'
kill -TERM "$seed_pid"
wait "$seed_pid" 2>/dev/null || true

echo "-- rollcall under callgrind: $R filter GETs, then $C creates"
port="$(free_port)"
base="http://127.0.0.1:$port/scim/v2"
RUST_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$workdir/callgrind.out" \
    "$rollcall" serve --bind "127.0.0.1:$port" >"$workdir/rollcall.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
wait_ready "$base" "$token" 300
send read 50 "$base" "$token" "$N"
callgrind_control -z "$server_pid" >/dev/null
send read "$R" "$base" "$token" "$N"
read_k="$(kinstr_per_request "$server_pid" "$R" "$workdir")"
callgrind_control -z "$server_pid" >/dev/null
send create "$C" "$base" "$token" "$N"
create_k="$(kinstr_per_request "$server_pid" "$C" "$workdir")"
oauth_k="-"
issuer_k="-"
if [ "$JWT" = "1" ]; then
    origin="http://127.0.0.1:$port"
    admin_token="$(json_field "$org_json" admin_token)"
    client="$(curl -s -X POST "$origin/admin/v1/oauth-clients" -H "Authorization: Bearer $admin_token" \
        -H 'Content-Type: application/json' -d '{"name":"bench"}')"
    access="$(curl -s -u "$(json_field "$client" client_id):$(json_field "$client" client_secret)" \
        -d grant_type=client_credentials "$origin/oauth/token")"
    access="$(json_field "$access" access_token)"
    secret="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
    curl -s -o /dev/null -X POST "$origin/admin/v1/jwt-issuers" -H "Authorization: Bearer $admin_token" \
        -H 'Content-Type: application/json' \
        -d "{\"issuer\":\"https://idp.bench/\",\"audience\":\"bench\",\"algorithms\":[\"HS256\"],\"shared_secret\":\"$secret\"}"
    issued="$(python3 - "$secret" <<'PY'
import base64, hashlib, hmac, json, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"iss": "https://idp.bench/", "aud": "bench", "sub": "bench",
                       "exp": int(time.time()) + 7200}).encode())
signature = hmac.new(sys.argv[1].encode(), (head + "." + body).encode(), hashlib.sha256).digest()
print(head + "." + body + "." + b64(signature))
PY
)"
    send read 50 "$base" "$access" "$N"
    callgrind_control -z "$server_pid" >/dev/null
    send read "$R" "$base" "$access" "$N"
    oauth_k="$(kinstr_per_request "$server_pid" "$R" "$workdir")"
    send read 50 "$base" "$issued" "$N"
    callgrind_control -z "$server_pid" >/dev/null
    send read "$R" "$base" "$issued" "$N"
    issuer_k="$(kinstr_per_request "$server_pid" "$R" "$workdir")"
fi
kill -TERM "$server_pid"
wait "$server_pid" 2>/dev/null || true

bare_k="-"
if [ "$BARE" = "1" ]; then
    echo "-- bare handler under callgrind: $R filter GETs"
    "$bare" seed "$workdir/bare.db" "$N" >/dev/null
    bare_port="$(free_port)"
    valgrind --tool=callgrind --callgrind-out-file="$workdir/callgrind.out" \
        "$bare" serve "$workdir/bare.db" "127.0.0.1:$bare_port" >"$workdir/bare.log" 2>&1 &
    bare_pid=$!
    pids+=("$bare_pid")
    for _ in $(seq 600); do
        curl -s -o /dev/null "http://127.0.0.1:$bare_port/Users?filter=x" && break
        sleep 0.1
    done
    send read 50 "http://127.0.0.1:$bare_port" "" "$N"
    callgrind_control -z "$bare_pid" >/dev/null
    send read "$R" "http://127.0.0.1:$bare_port" "" "$N"
    bare_k="$(kinstr_per_request "$bare_pid" "$R" "$workdir")"
fi

echo
echo "== instructions per request (N=$N, $("$rollcall" --version 2>/dev/null || echo "$rollcall"))"
printf '%-44s %14s\n' "request" "kinstr"
printf '%-44s %14s\n' "rollcall GET /Users?filter=userName eq" "$read_k"
printf '%-44s %14s\n' "rollcall POST /Users" "$create_k"
printf '%-44s %14s\n' "  the same GET, OAuth access token" "$oauth_k"
printf '%-44s %14s\n' "  the same GET, trusted issuer's JWT" "$issuer_k"
printf '%-44s %14s\n' "bare handler, same filter" "$bare_k"
echo "RESULT read_kinstr=$read_k create_kinstr=$create_k bare_kinstr=$bare_k oauth_read_kinstr=$oauth_k issuer_read_kinstr=$issuer_k"
