#!/usr/bin/env bash
# The Agion services that exist (Services/*), each run under a supervisor that
# restarts it when it exits unexpectedly (scripts/supervise.sh), with logs and
# pid files under .run/services/.
#
#   scripts/services.sh build    one release build of every product (services, agion, agionctl)
#   scripts/services.sh start    build, then start whatever is not running
#   scripts/services.sh stop     stop the services (SIGTERM: they drain) and their supervisors
#   scripts/services.sh status   what runs, and how often each was restarted
#
# Replicas: REPLICAS=N runs N of each service (make up REPLICAS=2), and
# <SERVICE>_REPLICAS one service's count (EXECUTION_REPLICAS=3). Replica i > 1
# is agion-<service>-<i>, with its admin port 10 × (i - 1) above the service's
# (registry 9101, 9111, ...), the gateway's API on 8080 + i - 1, and a
# governance replica's audit spool of its own. They share the work as in a
# cluster (NATS queue groups, shared durable consumers).
#
# Idempotent like stack.sh. A restart never builds: the supervisor starts the
# binary that is there, at once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.run/services"
# AGION_SERVICES_BIN: binaries built already (make chaos in CI uses the images'
# static release build) instead of this checkout's release build.
bin=${AGION_SERVICES_BIN:-$root/.build/release}
mkdir -p "$dir"
services=()
for d in "$root"/Services/*/; do [ -d "$d" ] && services+=("agion-$(basename "$d" | tr '[:upper:]' '[:lower:]')"); done
# The example agent containers (Examples/): started after the services, they
# register through the gateway with the admin key `make run` wrote.
examples=(agion-example-research agion-example-writer agion-example-langgraph)
# Where each runs from: Swift examples are products of the build; the LangGraph
# one is Python (Examples/LangGraphReporter/run.sh, its venv made at start).
executable() {
  case "$1" in
    agion-example-langgraph) echo "$root/Examples/LangGraphReporter/run.sh" ;;
    *) echo "$bin/$1" ;;
  esac
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

admin_port() {
  case "$1" in
    agion-registry) echo 9101 ;; agion-governance) echo 9102 ;; agion-coordination) echo 9103 ;;
    agion-execution) echo 9104 ;; agion-gateway) echo 9105 ;; *) echo "" ;;
  esac
}

# How many of service $1 to run: <SERVICE>_REPLICAS, else REPLICAS, else 1.
replicas() {
  local variable; variable="$(echo "${1#agion-}" | tr '[:lower:]' '[:upper:]')_REPLICAS"
  local count=${!variable:-${REPLICAS:-1}}
  case "$count" in ''|*[!0-9]*|0) echo "services: $variable/REPLICAS must be a positive number, not '$count'" >&2; exit 2 ;; esac
  echo "$count"
}

# The instances to run: agion-x, agion-x-2, ... (examples: one each).
instances() {
  local s i
  for s in "${services[@]}"; do
    echo "$s"
    for i in $(seq 2 "$(replicas "$s")"); do echo "$s-$i"; done
  done
  for s in "${examples[@]}"; do echo "$s"; done
}

# NATS credentials (scripts/stack.sh made them): each service its own; the
# gateway also issues agent containers' (AGION_NATS_AUTH_DIR); the LangGraph
# example gets an agent container's, issued through the gateway once it runs.
auth="$root/.run/nats/auth"
credentials() {
  case "$1" in
    agion-example-langgraph) echo "$root/.run/credentials/langgraph.creds" ;;
    agion-example-*) echo "" ;;
    *) echo "$auth/${1#agion-}.creds" ;;
  esac
}

# The LangGraph example's agent-container credentials, issued through the
# gateway (admin key) once it answers; again when the authority is newer.
langgraph_credentials() {
  local file="$root/.run/credentials/langgraph.creds"
  if [ -f "$file" ] && [ "$file" -nt "$auth/resolver.conf" ]; then return 0; fi
  for _ in $(seq 120); do curl -fsS http://127.0.0.1:8080/health >/dev/null 2>&1 && break; sleep 0.5; done
  AGION_API_KEY_FILE="$root/.run/credentials/admin.key" "$bin/agionctl" nats-credentials create \
    --name langgraph-example --agent langgraph:reporter --out "$file" >/dev/null
}

build() {
  [ -n "${AGION_SERVICES_BIN:-}" ] && return 0
  # One invocation for everything: each `swift build --product` plans the
  # whole package again, which cost seconds per product.
  (cd "$root" && swift build -c release >/dev/null)
}

case "${1:-}" in
  build)
    build ;;
  start)
    if [ ${#services[@]} -eq 0 ]; then echo "services: none built yet (Services/ is empty)"; exit 0; fi
    build
    "$root/Examples/LangGraphReporter/run.sh" setup || echo "services: the LangGraph example's venv could not be made (pip); it will not start"
    for s in $(instances); do
      if alive "$dir/$s.supervisor.pid"; then echo "services: $s running"; continue; fi
      if [ "$s" = agion-example-langgraph ] && ! langgraph_credentials; then
        echo "services: no NATS credentials for the LangGraph example (the gateway did not issue them); it will not start"; continue
      fi
      # Replica i of a service: agion-x-i (the first has no suffix).
      service=$s replica=1
      if [[ "$s" =~ ^(agion-[a-z]+)-([0-9]+)$ ]]; then service=${BASH_REMATCH[1]} replica=${BASH_REMATCH[2]}; fi
      port=$(admin_port "$service")
      # Each governance replica needs its own audit spool (this one lives with
      # the logs); the gateway writes the first admin key under .run/credentials.
      spool="$dir/governance-spool"; [ "$replica" -gt 1 ] && spool="$dir/governance-spool-$replica"
      ports=(AGION_GATEWAY_PORT=$(( 8080 + replica - 1 )))
      [ -n "$port" ] && ports+=(AGION_ADMIN_PORT=$(( port + 10 * (replica - 1) )))
      env AGION_GOVERNANCE_SPOOL_DIR="$spool" AGION_GATEWAY_BOOTSTRAP_KEY_FILE="$root/.run/credentials/admin.key" \
        AGION_API_KEY_FILE="$root/.run/credentials/admin.key" "${ports[@]}" \
        AGION_NATS_AUTH_DIR="$auth" AGION_NATS_CREDS="$(credentials "$service")" \
        setsid nohup "$root/scripts/supervise.sh" "$s" "$dir/$s.log" "$dir/$s.pid" "$(executable "$service")" >>"$dir/supervisor.log" 2>&1 &
      echo $! >"$dir/$s.supervisor.pid"
      echo "services: $s started (supervised)"
    done ;;
  stop)
    # SIGTERM to the supervisor: it stops its service (which drains, ships its
    # audit spool, and exits) and does not restart it. The example agents go
    # first, so they can still deregister through the gateway.
    for pid in "$dir"/agion-example-*.supervisor.pid "$dir"/*.supervisor.pid; do
      [ -f "$pid" ] || continue
      s=$(basename "$pid" .supervisor.pid)
      p=$(cat "$pid")
      if kill "$p" 2>/dev/null; then
        for _ in $(seq 350); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        echo "services: $s stopped"
      fi
      rm -f "$pid" "$dir/$s.pid"
    done
    # Services started by an older services.sh, without a supervisor.
    for pid in "$dir"/agion-*.pid; do
      [ -f "$pid" ] || continue
      p=$(cat "$pid")
      if kill "$p" 2>/dev/null; then
        for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        echo "services: $(basename "$pid" .pid) stopped"
      fi
      rm -f "$pid"
    done ;;
  status)
    [ ${#services[@]} -eq 0 ] && echo "services: none built yet"
    # What runs (replicas included), or else what would.
    running=$(cd "$dir" && ls -- *.supervisor.pid 2>/dev/null | sed 's/\.supervisor\.pid$//' | sort)
    for s in ${running:-$(instances)}; do
      # Restarts by the current supervisor: those logged after its start line.
      restarts=$(awk '/"msg":"service.supervising"/ { n = 0; last = "" }
                      /"msg":"service.restarting"/ { n++; last = $0 }
                      END { if (n > 0) { sub(/.*"reason":"/, "", last); sub(/".*/, "", last); print n " " last } }' "$dir/$s.log" 2>/dev/null || true)
      note=""
      if [ -n "$restarts" ]; then note=" (restarted ${restarts%% *}x; last: ${restarts#* })"; fi
      if alive "$dir/$s.pid"; then echo "services: $s up$note"
      elif alive "$dir/$s.supervisor.pid"; then echo "services: $s RESTARTING$note"
      else echo "services: $s DOWN"; fi
    done ;;
  *) echo "usage: $0 build|start|stop|status" >&2; exit 2 ;;
esac
