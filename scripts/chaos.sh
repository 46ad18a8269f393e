#!/usr/bin/env bash
# make chaos: the local stack with REPLICAS (default 2) of every service under
# their supervisors, a steady load of missions and governance checks, and one
# fault at a time: kill -9 a replica of each service, restart nats-server,
# PostgreSQL and Redis. bench/chaos/chaos.py says what it does and prints the
# results (JSON lines); it fails when a mission is lost, a step's effect
# happens twice, or the audit does not verify.
#
#   scripts/chaos.sh            the long run: 3 rounds (every replica killed), 8 s of load after each recovery
#   CHAOS=short scripts/chaos.sh  CI's: 1 round, 2 s after each recovery
#
# AGION_SERVICES_BIN picks prebuilt binaries (make test: the images' static
# release build) instead of a release build of the checkout.
# It starts what is not running and stops, at the end, what it started.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export REPLICAS=${REPLICAS:-2}
settle=8 rounds=3
[ "${CHAOS:-}" = short ] && settle=2 rounds=1

last=agion-registry; [ "$REPLICAS" -gt 1 ] && last=agion-registry-$REPLICAS
started_services=0
if ! scripts/services.sh status 2>/dev/null | grep -q "$last up"; then
  scripts/services.sh stop >/dev/null 2>&1 || true
  scripts/stack.sh start >/dev/null
  scripts/services.sh start >/dev/null
  started_services=1
fi
finish() { [ "$started_services" = 1 ] && scripts/services.sh stop >/dev/null 2>&1 || true; }
trap finish EXIT
python3 bench/chaos/chaos.py --replicas "$REPLICAS" --settle "$settle" --rounds "$rounds"
