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
swift build -c release --product agion-registry >&2
swift build -c release --product agion-governance >&2
bin=$(swift build -c release --show-bin-path)
dir=.run/bench/sdk
rm -rf "$dir" && mkdir -p "$dir"
for s in registry governance; do
  PGPASSWORD=agion psql -h 127.0.0.1 -p 15432 -U agion -d agion -qc "DROP SCHEMA IF EXISTS bench_sdk_$s CASCADE" >&2
done
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
AGION_REGISTRY_SCHEMA=bench_sdk_registry AGION_ADMIN_PORT=19321 "$bin/agion-registry" >"$dir/registry.log" 2>&1 & pids+=($!)
AGION_GOVERNANCE_SCHEMA=bench_sdk_governance AGION_GOVERNANCE_SPOOL_DIR="$dir/spool" AGION_GOVERNANCE_CACHE_PREFIX=bench:sdk \
  AGION_ADMIN_PORT=19322 "$bin/agion-governance" >"$dir/governance.log" 2>&1 & pids+=($!)
for port in 19321 19322; do
  for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/ready" && break; sleep 0.2; done
done
# The standard event loop, then uvloop (agion[fast]), on the same services.
BENCH_SDK_LOOP=asyncio "$venv/bin/python" bench/python/sdk_check.py
BENCH_SDK_PREPARE=0 "$venv/bin/python" bench/python/sdk_check.py
