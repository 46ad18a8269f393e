# Sourced by scripts that need the five services from their debug builds on
# the local stack, in PostgreSQL schemas and key prefixes of their own, and
# stopped when the script exits (scripts/fuzz-api.sh, scripts/test-sdk-python.sh).
#
#   start_private_services <prefix> <gateway port> <first admin port> <log dir>
#
# Fresh schemas <prefix>_<service> each time; the gateway writes a platform
# admin key to <log dir>/admin.key; returns once the gateway answers with it.
private_pids=()

stop_private_services() {
  for p in "${private_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

start_private_services() {
  local prefix=$1 port=$2 admin=$3 dir=$4 s
  for s in registry governance coordination execution gateway; do swift build --product "agion-$s" 2>&1 | grep -E "error" || true; done
  local bin; bin=$(swift build --show-bin-path)
  rm -rf "$dir" && mkdir -p "$dir"
  for s in registry governance gateway coordination execution; do
    PGPASSWORD=agion psql -h 127.0.0.1 -p 15432 -U agion -d agion -q -c "DROP SCHEMA IF EXISTS ${prefix}_$s CASCADE" 2>/dev/null
  done
  trap stop_private_services EXIT
  # Each service on its own NATS credentials (scripts/stack.sh made them); the
  # gateway issues agent containers' (the SDK tests use those).
  local auth; auth=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.run/nats/auth
  AGION_NATS_CREDS="$auth/registry.creds" \
    AGION_REGISTRY_SCHEMA=${prefix}_registry AGION_ADMIN_PORT=$admin "$bin/agion-registry" >"$dir/registry.log" 2>&1 & private_pids+=($!)
  AGION_NATS_CREDS="$auth/governance.creds" \
    AGION_GOVERNANCE_SCHEMA=${prefix}_governance AGION_GOVERNANCE_SPOOL_DIR="$dir/spool" AGION_GOVERNANCE_CACHE_PREFIX=$prefix:gov \
    AGION_ADMIN_PORT=$((admin + 1)) "$bin/agion-governance" >"$dir/governance.log" 2>&1 & private_pids+=($!)
  AGION_NATS_CREDS="$auth/coordination.creds" \
    AGION_COORDINATION_SCHEMA=${prefix}_coordination AGION_ADMIN_PORT=$((admin + 2)) "$bin/agion-coordination" >"$dir/coordination.log" 2>&1 & private_pids+=($!)
  AGION_NATS_CREDS="$auth/execution.creds" \
    AGION_EXECUTION_SCHEMA=${prefix}_execution AGION_ADMIN_PORT=$((admin + 3)) "$bin/agion-execution" >"$dir/execution.log" 2>&1 & private_pids+=($!)
  AGION_NATS_CREDS="$auth/gateway.creds" AGION_NATS_AUTH_DIR="$auth" \
    AGION_GATEWAY_SCHEMA=${prefix}_gateway AGION_GATEWAY_PORT=$port AGION_GATEWAY_BOOTSTRAP_KEY_FILE="$dir/admin.key" \
    AGION_ADMIN_PORT=$((admin + 4)) AGION_GATEWAY_RATE_LIMIT_PREFIX=$prefix:gw:rl "$bin/agion-gateway" >"$dir/gateway.log" 2>&1 & private_pids+=($!)
  for _ in $(seq 120); do
    [ -s "$dir/admin.key" ] && curl -fsS -o /dev/null -H "Authorization: Bearer $(cat "$dir/admin.key")" "http://127.0.0.1:$port/v1/agents" && return 0
    sleep 0.5
  done
  echo "the services did not start (logs: $dir)" >&2
  return 1
}
