#!/usr/bin/env bash
# make bench: release build, then every benchmark REPEAT times (default 3) against
# the local stack, the plain C cnats references in the same run. Prints JSON
# lines, keeps them in .run/bench/, and ends with the median of each benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=${REPEAT:-3}

# Start the stack if it is down, and stop it afterwards only in that case.
if ! scripts/stack.sh status >/dev/null 2>&1; then
  scripts/stack.sh start >&2
  trap 'scripts/stack.sh stop >&2' EXIT
fi
out=.run/bench
# The benchmarks connect as the platform user (docs/security.md).
export AGION_NATS_CREDS="$PWD/.run/nats/auth/platform.creds"
mkdir -p "$out" bench/c/bin
results="$out/results-$(date -u +%Y%m%dT%H%M%SZ).jsonl"

swift build -c release --product agion-bench >&2
for product in agion-governance agion-registry agion-coordination agion-execution agion-gateway; do swift build -c release --product "$product" >&2; done
# governance.check runs the real service on a schema of its own, fresh each time.
PGPASSWORD=agion psql -h 127.0.0.1 -p 15432 -U agion -d agion -qc 'DROP SCHEMA IF EXISTS bench_governance CASCADE' >&2
cc -O2 -Wall -o bench/c/bin/cnats_rpc bench/c/cnats_rpc.c -lnats
cc -O2 -Wall -o bench/c/bin/cnats_publish_async bench/c/cnats_publish_async.c -lnats
cc -O2 -Wall -pthread -o bench/c/bin/hiccups bench/c/hiccups.c
bench=.build/release/agion-bench

cnats_rpc() {
  local subject="agion.bench.cref.$RANDOM"
  coproc SERVER { bench/c/bin/cnats_rpc server "$subject"; }
  read -r _ <&"${SERVER[0]}"
  bench/c/bin/cnats_rpc client "$subject" 20000
  eval "exec ${SERVER[1]}>&-"
  wait "$SERVER_PID" 2>/dev/null || true
}

# missions.*: the benchmark starts registry, governance, coordination and
# execution itself; another execution replica on this NATS (make up's) would
# take a share of its work from the one work queue, so it is skipped then.
missions() {
  if curl -s -o /dev/null http://127.0.0.1:9104/health; then
    echo "bench: missions.* skipped: an execution replica is running (scripts/services.sh stop)" >&2
    return 0
  fi
  timeout 1500 "$bench" missions
}

for i in $(seq "$repeat"); do
  echo "# round $i of $repeat" >&2
  # How often each CPU stalls with nothing of ours busy: the floor under the
  # low-load tail latencies below (docs/benchmarks.md).
  { bench/c/bin/hiccups 5
    "$bench" envelope
    "$bench" policy
    cnats_rpc
    "$bench" rpc
    "$bench" rpc --blocking-server
    "$bench" rpc-blocking
    bench/c/bin/cnats_publish_async "CREF_$RANDOM" "agion.bench.cref.$RANDOM" 200000
    "$bench" publish
    "$bench" consume
    "$bench" governance
    scripts/bench-gateway.sh 2>/dev/null
    scripts/bench-sdk-python.sh 2>/dev/null
    missions
  } | tee -a "$results"
done

# audit.*: the audit's Merkle tree at 1M records (AUDIT_RECORDS=1000000,10000000
# for 10M too: loading and building 10M takes about ten minutes), once.
"$bench" audit --records "${AUDIT_RECORDS:-1000000}" | tee -a "$results"

python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
groups = {}
for r in rows:
    # A benchmark's identity is its name and its non-measurement fields
    # (clients, rules, index, audit, ...).
    # Measurements are the fields with a unit (_us, _per_s, _per_op, _mb) and errors.
    key = tuple(sorted((k, v) for k, v in r.items() if not (k.endswith(("_us", "_per_s", "_per_op", "_mb")) or k == "errors")))
    groups.setdefault(key, []).append(r)
print("# medians of %d rounds (%s)" % (max(len(v) for v in groups.values()), sys.argv[1]), file=sys.stderr)
for key, rs in groups.items():
    med = dict(key)
    med["median_of"] = len(rs)
    for k in sorted({k for r in rs for k in r} - {k for k, _ in key} - {"errors"}):
        vals = [r[k] for r in rs if k in r]
        if vals: med[k] = statistics.median(vals)
    print(json.dumps(med))
PY
