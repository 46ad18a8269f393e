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
for s in registry governance coordination execution gateway; do swift build --product "agion-$s" 2>&1 | grep -E "error" || true; done
bin=$(swift build --show-bin-path)
dir=.run/fuzz
rm -rf "$dir" && mkdir -p "$dir"
PGPASSWORD=agion psql -h 127.0.0.1 -p 15432 -U agion -d agion -q \
  -c 'DROP SCHEMA IF EXISTS fuzz_registry CASCADE' -c 'DROP SCHEMA IF EXISTS fuzz_governance CASCADE' \
  -c 'DROP SCHEMA IF EXISTS fuzz_gateway CASCADE' -c 'DROP SCHEMA IF EXISTS fuzz_coordination CASCADE' \
  -c 'DROP SCHEMA IF EXISTS fuzz_execution CASCADE' 2>/dev/null
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
AGION_REGISTRY_SCHEMA=fuzz_registry AGION_ADMIN_PORT=19101 "$bin/agion-registry" >"$dir/registry.log" 2>&1 & pids+=($!)
AGION_GOVERNANCE_SCHEMA=fuzz_governance AGION_GOVERNANCE_SPOOL_DIR="$dir/spool" AGION_GOVERNANCE_CACHE_PREFIX=fuzz:gov AGION_ADMIN_PORT=19102 \
  "$bin/agion-governance" >"$dir/governance.log" 2>&1 & pids+=($!)
AGION_COORDINATION_SCHEMA=fuzz_coordination AGION_ADMIN_PORT=19103 "$bin/agion-coordination" >"$dir/coordination.log" 2>&1 & pids+=($!)
AGION_EXECUTION_SCHEMA=fuzz_execution AGION_ADMIN_PORT=19104 "$bin/agion-execution" >"$dir/execution.log" 2>&1 & pids+=($!)
AGION_GATEWAY_SCHEMA=fuzz_gateway AGION_GATEWAY_PORT=18080 AGION_GATEWAY_BOOTSTRAP_KEY_FILE="$dir/admin.key" AGION_ADMIN_PORT=19105 \
  AGION_GATEWAY_RATE_LIMIT_PREFIX=fuzz:gw:rl "$bin/agion-gateway" >"$dir/gateway.log" 2>&1 & pids+=($!)
for _ in $(seq 120); do
  [ -s "$dir/admin.key" ] && curl -fsS -o /dev/null -H "Authorization: Bearer $(cat "$dir/admin.key")" http://127.0.0.1:18080/v1/agents && break
  sleep 0.5
done
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
