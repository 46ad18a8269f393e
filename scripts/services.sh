#!/usr/bin/env bash
# Builds and starts the Agion services that exist (Services/*), with logs and pid
# files under .run/services/. start | stop | status. Idempotent like stack.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.run/services"
mkdir -p "$dir"
services=()
for d in "$root"/Services/*/; do [ -d "$d" ] && services+=("agion-$(basename "$d" | tr '[:upper:]' '[:lower:]')"); done

case "${1:-}" in
  start)
    if [ ${#services[@]} -eq 0 ]; then echo "services: none built yet (Services/ is empty)"; exit 0; fi
    (cd "$root" && swift build -c release --product "${services[0]}" >/dev/null)
    # The two command lines: agion (over NATS) and agionctl (over the HTTP API).
    (cd "$root" && swift build -c release --product agion >/dev/null)
    (cd "$root" && swift build -c release --product agionctl >/dev/null)
    for s in "${services[@]}"; do
      (cd "$root" && swift build -c release --product "$s" >/dev/null)
      if [ -f "$dir/$s.pid" ] && kill -0 "$(cat "$dir/$s.pid")" 2>/dev/null; then echo "services: $s running"; continue; fi
      # Each governance replica needs its own audit spool (this one lives with
      # the logs); the gateway writes the first admin key under .run/credentials.
      AGION_GOVERNANCE_SPOOL_DIR="$dir/governance-spool" AGION_GATEWAY_BOOTSTRAP_KEY_FILE="$root/.run/credentials/admin.key" nohup "$root/.build/release/$s" >>"$dir/$s.log" 2>&1 & echo $! > "$dir/$s.pid"
      echo "services: $s started"
    done ;;
  stop)
    # SIGTERM: each service drains, ships its audit spool, and exits.
    for pid in "$dir"/*.pid; do
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
    for s in "${services[@]}"; do
      if [ -f "$dir/$s.pid" ] && kill -0 "$(cat "$dir/$s.pid")" 2>/dev/null; then echo "services: $s up"; else echo "services: $s DOWN"; fi
    done ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
