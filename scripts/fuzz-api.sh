#!/usr/bin/env bash
# The last step of `make test`: a schema-driven fuzz of the HTTP API. The
# services' debug builds run on the local stack in schemas of their own
# (fuzz_*), the gateway on port 18080, and schemathesis (PyPI) sends requests
# generated from /openapi.json: every one must get an answer below 500 whose
# status, content type and body the document describes (so the document is
# checked against what the gateway really answers).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.run/venv-tools
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis==4.32.5' 'openapi-spec-validator==0.7.1'
fi
. scripts/lib/private-services.sh
dir=.run/fuzz
start_private_services fuzz 18080 19101 "$dir"
key=$(cat "$dir/admin.key")
status=0
"$venv/bin/schemathesis" run http://127.0.0.1:18080/openapi.json -H "Authorization: Bearer $key" \
  --checks "${FUZZ_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance}" --max-examples "${FUZZ_EXAMPLES:-25}" --no-color \
  >"$dir/report.txt" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
  # The whole report (each failing request, with a curl line to replay it) and what the services logged about it.
  cat "$dir/report.txt"
  echo "fuzz: failed. Server errors and service errors logged meanwhile (all logs: $dir):"
  grep -h '"http.status":"5' "$dir/gateway.log" | head -5 || true
  grep -h '"level":"error"' "$dir"/*.log | head -5 || true
  exit "$status"
fi
tail -"${FUZZ_TAIL:-25}" "$dir/report.txt"
echo "fuzz: no request generated from the OpenAPI document got a 5xx or an answer the document does not describe (logs: $dir)"
