#!/usr/bin/env bash
# gateway.check (part of make bench): POST /v1/governance/check through the
# gateway, everything on this machine. The three services run from their
# release builds in schemas of their own (bench_*), the gateway on port 18081
# with rate limits high enough not to interfere. Prints JSON lines: `max`, 32
# connections flat out (wrk); `1k` and `1k-poisson`, 1,000 requests/s open
# loop (bench/c/http_rate.c: evenly spaced, then Poisson arrivals); and
# `1k-wrk-paced`, the rate as wrk makes it (10 connections pausing 10 ms), the
# 1k line of runs before 2026-12-01 evening. PROFILE_GATEWAY=1 also records a perf
# profile of the gateway under the flat-out load in /tmp/gw.data.
# BENCH_AUDIT=off runs governance without its audit trail, to show what the
# audit costs behind the gateway (a comparison, not a way to run).
set -euo pipefail
cd "$(dirname "$0")/.."
if curl -s -o /dev/null http://127.0.0.1:18081/health; then echo "bench-gateway: port 18081 is in use (a run still going?)" >&2; exit 1; fi
for s in registry governance gateway; do swift build -c release --product "agion-$s" >&2; done
mkdir -p bench/c/bin && cc -O2 -Wall -o bench/c/bin/http_rate bench/c/http_rate.c -lm
bin=.build/release
dir=.run/bench-gateway
rm -rf "$dir" && mkdir -p "$dir"
PGPASSWORD=agion psql -h 127.0.0.1 -p 15432 -U agion -d agion -q -c 'DROP SCHEMA IF EXISTS bench_registry CASCADE' \
  -c 'DROP SCHEMA IF EXISTS bench_gw_governance CASCADE' -c 'DROP SCHEMA IF EXISTS bench_gateway CASCADE' 2>/dev/null
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
AGION_REGISTRY_SCHEMA=bench_registry AGION_ADMIN_PORT=19201 AGION_LOG_LEVEL=error "$bin/agion-registry" >"$dir/registry.log" 2>&1 & pids+=($!)
AGION_GOVERNANCE_SCHEMA=bench_gw_governance AGION_GOVERNANCE_SPOOL_DIR="$dir/spool" AGION_GOVERNANCE_CACHE_PREFIX=bench:gwgov \
  AGION_GOVERNANCE_AUDIT="${BENCH_AUDIT:-on}" AGION_ADMIN_PORT=19202 AGION_LOG_LEVEL=error "$bin/agion-governance" >"$dir/governance.log" 2>&1 & pids+=($!)
# Everything shares this machine's cores, so the gateway gets event loops for
# half of them (one on two), as nats-server gets GOMAXPROCS (scripts/stack.sh):
# measured 5-10% more checks/s than one loop per core (docs/benchmarks.md).
loops=${BENCH_GATEWAY_EVENT_LOOPS:-$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))}
AGION_GATEWAY_EVENT_LOOPS=$loops AGION_GATEWAY_SCHEMA=bench_gateway AGION_GATEWAY_PORT=18081 AGION_GATEWAY_BOOTSTRAP_KEY_FILE="$dir/admin.key" AGION_ADMIN_PORT=19205 \
  AGION_GATEWAY_RATE_PER_CREDENTIAL=1000000 AGION_GATEWAY_BURST_PER_CREDENTIAL=1000000 AGION_GATEWAY_RATE_PER_TENANT=1000000 \
  AGION_GATEWAY_BURST_PER_TENANT=1000000 AGION_GATEWAY_RATE_LIMIT_PREFIX=bench:gw:rl AGION_LOG_LEVEL=error \
  "$bin/agion-gateway" >"$dir/gateway.log" 2>&1 & pids+=($!)
gateway_pid=${pids[2]}
api="http://127.0.0.1:18081"
for _ in $(seq 120); do [ -s "$dir/admin.key" ] && curl -fsS -o /dev/null -H "Authorization: Bearer $(cat "$dir/admin.key")" "$api/v1/agents" && break; sleep 0.5; done
key=$(cat "$dir/admin.key")
curl -fsS -o /dev/null -X POST "$api/v1/policies" -H "Authorization: Bearer $key" -H 'Content-Type: application/yaml' \
  --data-binary $'version: 1\nrules:\n  - id: reports\n    effect: allow\n    agents: ["langgraph-v2:*"]\n    actions: [reports.generate]\n    when: [{field: rows, op: lte, value: 10000}]\n'
curl -fsS -o /dev/null -X POST "$api/v1/agents" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d '{"container": "langgraph-v2", "agents": [{"id": "langgraph-v2:charts", "type": "llm", "capabilities": ["reports"], "version": "1", "endpoint": {"kind": "http", "address": "http://localhost:9000"}}]}'
body='{"agent_id": "langgraph-v2:charts", "action": "reports.generate", "context": {"rows": 500, "region": "eu"}, "principal": "user:alice"}'
for _ in $(seq 100); do
  curl -fsS -X POST "$api/v1/governance/check" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d "$body" | grep -q '"allow"' && break
  sleep 0.2
done
cat > "$dir/check.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
pause = tonumber(os.getenv("PAUSE_MS") or "0")
function delay() return pause end
LUA

# CPU seconds (user + system, in clock ticks) a process has used so far.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
nats_pid=$(pgrep -x nats-server | head -1)
# One measured load: LOAD_NAME, then the command that produces wrk's text
# report or http_rate's JSON line on stdout. Prints the benchmark's JSON line.
measure() {
  local name=$1; shift
  local before; before="$(ticks "$gateway_pid") $(ticks "${pids[1]}") $(ticks "$nats_pid")"
  "$@" > "$dir/load-$name.txt"
  local after; after="$(ticks "$gateway_pid") $(ticks "${pids[1]}") $(ticks "$nats_pid")"
  local rss; rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$gateway_pid/status")
  python3 - "$dir/load-$name.txt" "$rss" "$name" "${BENCH_AUDIT:-on}" "$before" "$after" "$(getconf CLK_TCK)" "$loops" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
line = {"bench": "gateway.check", "load": sys.argv[3]}
if text.startswith("{"):
    # http_rate: open loop, latency from each request's scheduled time.
    run = json.loads(text)
    line.update({"arrivals": run["arrivals"], "rate": run["rate"], "ops_per_s": run["ops_per_s"], "p50_us": run["p50_us"],
                 "p90_us": run["p90_us"], "p99_us": run["p99_us"], "p999_us": run["p999_us"], "max_us": run["max_us"]})
    requests, errors = run["answered"], run["errors"]  # CPU is spent on the warm-up too
else:
    # wrk's latency lines ("50%  1.23ms") in microseconds; non-2xx answers count as failures.
    def micros(label):
        m = re.search(r"^\s*%s\s+([\d.]+)(us|ms|s)\s*$" % re.escape(label), text, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return int(value * {"us": 1, "ms": 1000, "s": 1000000}[unit])
    line["connections"] = int(re.search(r"(\d+) connections", text).group(1))
    line.update({"ops_per_s": int(float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))),
                 "p50_us": micros("50%"), "p99_us": micros("99%")})
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    found = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = int(found.group(1)) if found else 0
line.update({"rss_mb": int(sys.argv[2]), "audit": sys.argv[4], "event_loops": int(sys.argv[8])})
# CPU time per request of the gateway, governance and nats-server: steadier than
# rates on a shared machine, and it shows where a request's cost goes.
before, after, hz = sys.argv[5].split(), sys.argv[6].split(), int(sys.argv[7])
for label, b, a in zip(["gateway", "governance", "nats"], before, after):
    line[label + "_cpu_us"] = int((int(a) - int(b)) * 1_000_000 / hz / max(requests, 1))
if errors: line["errors"] = errors
print(json.dumps(line))
PY
}
check_url="$api/v1/governance/check"
wrk -t2 -c32 -d3s -s "$dir/check.lua" "$check_url" > /dev/null  # warm up
measure max wrk -t2 -c32 -d10s --latency -s "$dir/check.lua" "$check_url"
if [ -n "${PROFILE_GATEWAY:-}" ]; then
  # Wait for this wrk only: a bare `wait` would also wait for the services.
  PAUSE_MS=0 wrk -t2 -c32 -d12s -s "$dir/check.lua" "$check_url" > /dev/null & profiled_load=$!
  sleep 2; perf record -F 999 -g -o /tmp/gw.data -p "$gateway_pid" -- sleep 8 >/dev/null 2>&1; wait "$profiled_load"
fi
# 1,000 requests/s, open loop (bench/c/http_rate.c): requests on a schedule,
# evenly spaced (a rate as wrk2 or vegeta mean it) and as Poisson arrivals (independent
# clients, burstier), each timed from when it was due, so a stall anywhere
# counts for every request it delays.
rate_load() {
  bench/c/bin/http_rate -a 127.0.0.1:18081 -p /v1/governance/check -m POST -b "$body" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' -r 1000 -d 10 -w 2 -e "$1"
}
measure 1k rate_load uniform
measure 1k-poisson rate_load poisson
# The same rate as wrk makes it (10 connections pausing 10 ms): closed loop,
# connections in step (bursts of 10), and a stall delays only the requests
# already sent. Kept to compare with runs before 2026-12-01 evening.
measure 1k-wrk-paced env PAUSE_MS=10 wrk -t2 -c10 -d10s --latency -s "$dir/check.lua" "$check_url"
