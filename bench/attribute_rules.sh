#!/usr/bin/env bash
# What attribute rules cost a user write (issue 23: within 1.5× of an organization without
# any), counted in instructions under valgrind's callgrind, so that the two runs compare
# exactly on a shared machine.
#
# For RULES in 0 and 100, on a fresh SQLite database:
#   1. natively: an organization with 20 workspaces (`dept-0` … `dept-19`) and RULES
#      attribute rules (rule k: `urn:…:enterprise:2.0:User:department eq "Dept <k mod 50>"`
#      → viewer on `dept-<k mod 20>`, every other one on `title sw "VP <k>"` instead), then
#      U users, each in a department `Dept <i mod 50>`;
#   2. the same server restarted under callgrind; W of each write, one after the other on
#      one keep-alive connection, counted:
#      - a transfer: PATCH the user's department to another one (what the user matches
#        changes: with rules, access moves and is recorded, with an `access.changed` event);
#      - a PATCH of `nickName` (nothing a rule reads);
#      - a create (POST /Users, in a department).
#   3. print thousands of instructions per request: the whole server process.
#
# Environment: U (users, default 2000), W (writes of each kind, 500), ROLLCALL_BIN (a
# prebuilt rollcall binary; default: build this tree's release), PROFILE_DIR (keep each
# callgrind dump there, for callgrind_annotate), RULE_COUNTS (default "0 100"; "0" alone runs
# a build from before attribute rules). Needs curl, python3 and
# valgrind.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source scripts/lib.sh

U="${U:-2000}"
W="${W:-500}"
for tool in valgrind callgrind_control; do
    command -v "$tool" >/dev/null || { echo "bench/attribute_rules.sh needs $tool (apt-get install -y valgrind)" >&2; exit 2; }
done
rollcall="$(rollcall_binary "$root")"
workdir="$(mktemp -d "${TMPDIR:-/tmp}/rollcall-rules.XXXXXX")"
pids=()
trap stop_and_remove EXIT

# client MODE ORIGIN SCIM_TOKEN ADMIN_TOKEN RULES: `setup` makes the workspaces, rules and
# users; `transfer`, `nickname` and `create` send W such writes one after the other.
client() {
    python3 - "$@" "$U" "$W" <<'PY'
import http.client, json, sys, urllib.parse
mode, origin, scim, admin, rules, users, writes = sys.argv[1:8]
rules, users, writes = int(rules), int(users), int(writes)
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
url = urllib.parse.urlsplit(origin)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)

def call(method, path, token, body, expected):
    headers = {"Authorization": "Bearer " + token}
    if body is not None:
        headers["Content-Type"] = "application/json" if path.startswith("/admin") else "application/scim+json"
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    response = conn.getresponse()
    text = response.read()
    if response.status != expected:
        sys.exit("%s %s: %d %s" % (method, path, response.status, text[:300]))
    return json.loads(text) if text else None

def user(i, prefix="user"):
    return {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "userName": "%s%d@bench.example" % (prefix, i), "title": "Engineer",
            "name": {"givenName": "Bench", "familyName": "User %d" % i},
            ENTERPRISE: {"department": "Dept %d" % (i % 50)}}

if mode == "setup":
    for w in range(20):
        call("POST", "/admin/v1/workspaces", admin, {"name": "dept-%d" % w}, 201)
    for k in range(rules):
        if k % 2 == 0:
            subject = '%s:department eq "Dept %d"' % (ENTERPRISE, k % 50)
        else:
            subject = 'title sw "VP %d"' % k
        call("POST", "/admin/v1/rules", admin,
             {"filter": subject, "workspaces": "dept-%d" % (k % 20), "role": "viewer"}, 201)
    ids = [call("POST", "/scim/v2/Users", scim, user(i), 201)["id"] for i in range(users)]
    open("ids.json", "w").write(json.dumps(ids))
    sys.exit(0)
ids = json.loads(open("ids.json").read())
for n in range(writes):
    i = n % len(ids)
    if mode == "transfer":
        body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": ENTERPRISE + ":department",
                                "value": "Dept %d" % ((i + n // len(ids) + 1) % 50)}]}
        call("PATCH", "/scim/v2/Users/" + ids[i], scim, body, 200)
    elif mode == "nickname":
        body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "nickName", "value": "n%d" % n}]}
        call("PATCH", "/scim/v2/Users/" + ids[i], scim, body, 200)
    else:
        call("POST", "/scim/v2/Users", scim, user(n, "extra%d-%d-" % (rules, writes)), 201)
PY
}

declare -A result
for rules in ${RULE_COUNTS:-0 100}; do
    echo "-- $rules attribute rules: setting up $U users"
    run="$workdir/$rules"
    mkdir -p "$run"
    cd "$run"
    export DATABASE_URL="sqlite://$run/rollcall.db"
    org_json="$("$rollcall" org create bench --json)"
    scim="$(json_field "$org_json" scim_token)"
    admin="$(json_field "$org_json" admin_token)"
    port="$(free_port)"
    RUST_LOG=warn "$rollcall" serve --bind "127.0.0.1:$port" >"$run/seed.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_ready "http://127.0.0.1:$port/scim/v2" "$scim" 60
    unlimited "http://127.0.0.1:$port" "$admin"
    client setup "http://127.0.0.1:$port" "$scim" "$admin" "$rules"
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
    echo "-- $rules attribute rules: under callgrind, $W of each write"
    port="$(free_port)"
    RUST_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$workdir/callgrind.out" \
        "$rollcall" serve --bind "127.0.0.1:$port" >"$run/rollcall.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_ready "http://127.0.0.1:$port/scim/v2" "$scim" 300
    for mode in transfer nickname create; do
        W=50 client "$mode" "http://127.0.0.1:$port" "$scim" "$admin" "$rules"
        callgrind_control -z "$pid" >/dev/null
        client "$mode" "http://127.0.0.1:$port" "$scim" "$admin" "$rules"
        result["$rules.$mode"]="$(kinstr_per_request "$pid" "$W" "$workdir")"
        if [ -n "${PROFILE_DIR:-}" ]; then
            cp "$(ls -t "$workdir"/callgrind.out.* | head -1)" "$PROFILE_DIR/$rules.$mode.callgrind"
        fi
    done
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
    cd "$root"
done

echo
echo "== instructions per user write (U=$U, W=$W, $("$rollcall" --version 2>/dev/null || echo "$rollcall"))"
printf '%-52s %12s %12s %8s\n' "write" "0 rules" "100 rules" "ratio"
if [ -z "${result[100.transfer]:-}" ]; then
    for mode in transfer nickname create; do
        printf '%-52s %12s\n' "$mode (0 rules)" "${result[0.$mode]}"
    done
    echo "RESULT transfer=${result[0.transfer]} nickname=${result[0.nickname]} create=${result[0.create]}"
    exit 0
fi
for mode in transfer nickname create; do
    zero="${result[0.$mode]}"
    hundred="${result[100.$mode]}"
    ratio="$(python3 -c "print('%.2f' % ($hundred / $zero))")"
    case "$mode" in
        transfer) label="PATCH department (a transfer)" ;;
        nickname) label="PATCH nickName" ;;
        create) label="POST /Users" ;;
    esac
    printf '%-52s %12s %12s %8s\n' "$label" "$zero" "$hundred" "${ratio}x"
done
echo "RESULT transfer=${result[0.transfer]}/${result[100.transfer]} nickname=${result[0.nickname]}/${result[100.nickname]} create=${result[0.create]}/${result[100.create]}"
