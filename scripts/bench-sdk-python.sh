#!/usr/bin/env bash
# sdk.python.check (bench/python/sdk_check.py): the Python SDK's check over NATS
# against release builds of governance and registry on schemas of their own
# (bench_sdk_*), on the local stack. Prints JSON lines. Part of `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.run/venv-sdk
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q './SDKs/python[fast]'
"$venv/bin/pip" install -q --no-deps --force-reinstall ./SDKs/python
# AGION_SERVICES_BIN: release binaries built already (the images' static build).
if [ -n "${AGION_SERVICES_BIN:-}" ]; then
  bin=$AGION_SERVICES_BIN
else
  for p in agion-registry agion-governance agion-gateway agionctl; do swift build -c release --product "$p" >&2; done
  bin=$(swift build -c release --show-bin-path)
fi
dir=.run/bench/sdk
auth=$PWD/.run/nats/auth
rm -rf "$dir" && mkdir -p "$dir"
for s in registry governance gateway; do
  PGPASSWORD=agion psql -h 127.0.0.1 -p 15432 -U agion -d agion -qc "DROP SCHEMA IF EXISTS bench_sdk_$s CASCADE" >&2
done
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
AGION_NATS_CREDS="$auth/registry.creds" AGION_REGISTRY_SCHEMA=bench_sdk_registry AGION_ADMIN_PORT=19321 \
  "$bin/agion-registry" >"$dir/registry.log" 2>&1 & pids+=($!)
AGION_NATS_CREDS="$auth/governance.creds" AGION_GOVERNANCE_SCHEMA=bench_sdk_governance AGION_GOVERNANCE_SPOOL_DIR="$dir/spool" \
  AGION_GOVERNANCE_CACHE_PREFIX=bench:sdk AGION_ADMIN_PORT=19322 "$bin/agion-governance" >"$dir/governance.log" 2>&1 & pids+=($!)
# The gateway only issues the bench agent's NATS credentials (tenant `default`, its bootstrap tenant).
AGION_NATS_CREDS="$auth/gateway.creds" AGION_NATS_AUTH_DIR="$auth" AGION_GATEWAY_SCHEMA=bench_sdk_gateway AGION_GATEWAY_PORT=19324 \
  AGION_GATEWAY_BOOTSTRAP_KEY_FILE="$dir/admin.key" AGION_ADMIN_PORT=19323 "$bin/agion-gateway" >"$dir/gateway.log" 2>&1 & pids+=($!)
for port in 19321 19322 19323; do
  for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/ready" && break; sleep 0.2; done
done
AGION_URL=http://127.0.0.1:19324 AGION_API_KEY_FILE="$dir/admin.key" "$bin/agionctl" nats-credentials create \
  --name bench --agent bench-sdk:checker --out "$dir/bench.creds" >/dev/null
export AGION_TENANT=default AGION_NATS_CREDS="$dir/bench.creds" BENCH_SDK_PLATFORM_CREDS="$auth/platform.creds"
# The standard event loop, then uvloop (agion[fast]), on the same services.
BENCH_SDK_LOOP=asyncio "$venv/bin/python" bench/python/sdk_check.py
BENCH_SDK_PREPARE=0 "$venv/bin/python" bench/python/sdk_check.py
