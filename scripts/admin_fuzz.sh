#!/usr/bin/env bash
# Property-based check of a running Rollcall admin API against its OpenAPI description
# (docs/openapi.yaml) with schemathesis (PyPI):
#
#   scripts/admin_fuzz.sh ORIGIN ADMIN_TOKEN [EXTRA schemathesis OPTIONS...]
#
# ORIGIN is the server's scheme, host and port (http://127.0.0.1:8080); ADMIN_TOKEN an
# organization's admin token (`rollcall org create NAME --json`). It runs four checks on every
# operation: no 5xx, every status documented, every content type documented, every body
# matching its schema; deterministic, 30 examples per operation. Writes run for real
# (DELETEs included) against the organization. The first run makes a virtualenv at
# $SCIM_FUZZ_VENV (default ~/.cache/scim-fuzz-venv). Exit status: schemathesis's own.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -ge 2 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
origin=$1 token=$2; shift 2
venv="${SCIM_FUZZ_VENV:-$HOME/.cache/scim-fuzz-venv}"
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check 'schemathesis==4.32.5' \
        || { echo "admin_fuzz.sh: could not install schemathesis" >&2; exit 2; }
fi
exec "$venv/bin/schemathesis" run "$here/../docs/openapi.yaml" --url "$origin" -H "Authorization: Bearer $token" \
    -c not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    -n 30 --generation-deterministic "$@"
