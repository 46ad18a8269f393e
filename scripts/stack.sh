#!/usr/bin/env bash
# The local stack: nats-server (JetStream), redis-server and PostgreSQL under .run/.
#
#   scripts/stack.sh install   apt-get what is missing (servers, -dev packages, tools)
#   scripts/stack.sh start     start whatever is not running; wait until each answers
#   scripts/stack.sh stop      stop what this script started (pid files under .run/)
#   scripts/stack.sh status    say what runs, exit 1 if anything is down
#   scripts/stack.sh restart nats|redis|postgres   stop one server (SIGTERM / fast shutdown) and start it again (make chaos)
#
# Fixed ports (also in docs/configuration.md and docker-compose.yml):
#   NATS 14222 (monitoring 18222), Redis 16379, PostgreSQL 15432 (user/password/db: agion)
# Every command is idempotent: start when running and stop when stopped are no-ops.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
run="$root/.run"
NATS_PORT=${AGION_STACK_NATS_PORT:-14222}
NATS_MONITOR_PORT=${AGION_STACK_NATS_MONITOR_PORT:-18222}
REDIS_PORT=${AGION_STACK_REDIS_PORT:-16379}
PG_PORT=${AGION_STACK_POSTGRES_PORT:-15432}
PG_BIN=/usr/lib/postgresql/15/bin
PACKAGES=(nats-server redis-server postgresql libnats-dev libhiredis-dev libpq-dev
          libprotobuf-c-dev protobuf-c-compiler protobuf-compiler curl wrk docker-compose)

log() { printf '%s\n' "stack: $*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then log "packages present"; return; fi
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  # policy-rc.d keeps Debian's maintainer scripts from starting system-wide
  # servers on the default ports: the project runs its own under .run/.
  as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  as_root rm -f /usr/sbin/policy-rc.d
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() { # name, seconds, command...
  local name=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then log "$name did not become ready in ${seconds}s"; return 1; fi
    sleep 0.1
  done
}

nats_ready() { curl -fsS "http://127.0.0.1:$NATS_MONITOR_PORT/healthz?js-enabled-only=true"; }
redis_ready() { [ "$(redis-cli -p "$REDIS_PORT" ping)" = PONG ]; }
pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; }

# NATS runs with authentication (docs/security.md): an operator, accounts and
# credentials made once under .run/nats/auth by agion-natsauth (a small
# product of this package, built on first start). The services, tools and
# tests find their .creds files there.
ensure_nats_auth() {
  local dir="$run/nats"
  [ -f "$dir/auth/resolver.conf" ] && return
  log "making the NATS operator, accounts and credentials (.run/nats/auth)"
  (cd "$root" && swift build --product agion-natsauth >/dev/null)
  "$(cd "$root" && swift build --show-bin-path 2>/dev/null)/agion-natsauth" init "$dir/auth" "$dir/jwt" >/dev/null
}

start_nats() {
  local dir="$run/nats"; mkdir -p "$dir/data"
  ensure_nats_auth
  if alive "$dir/nats.pid"; then
    if grep -q 'resolver.conf' "$dir/nats.conf" 2>/dev/null; then log "nats-server running (port $NATS_PORT)"; return; fi
    # Started by an older stack.sh without authentication: restart it with.
    log "restarting nats-server with authentication"
    stop_pidfile nats-server "$dir/nats.pid"
  fi
  cat > "$dir/nats.conf" <<CONF
port: $NATS_PORT
http_port: $NATS_MONITOR_PORT
server_name: agion-local
max_payload: 8MB
# An agent container's CONNECT carries its JWT, which lists its agents'
# subjects: up to about 25 KB for the 100 agents one credential may name.
max_control_line: 64KB
jetstream { store_dir: "$dir/data" }
include "auth/resolver.conf"
CONF
  # Go schedules nats-server on as many threads as there are cores, and its
  # idle threads spin looking for work: on a small machine shared with the
  # services, PostgreSQL and Redis that costs more than it brings. Half the
  # cores (one on two) measured 12-16% more checks/s through the gateway on two
  # cores, with less CPU per message (docs/benchmarks.md). On a cluster, give
  # NATS cores of its own and set GOMAXPROCS to its CPU limit instead.
  local procs=${AGION_STACK_NATS_GOMAXPROCS:-$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))}
  # Own session: a Ctrl-C in the terminal reaches it only through `stop`.
  GOMAXPROCS=$procs setsid nohup nats-server -c "$dir/nats.conf" -P "$dir/nats.pid" >>"$dir/nats.log" 2>&1 &
  wait_for nats-server 20 nats_ready
  log "nats-server started (port $NATS_PORT, JetStream on, GOMAXPROCS $procs)"
}

start_redis() {
  local dir="$run/redis"; mkdir -p "$dir"
  if alive "$dir/redis.pid"; then log "redis-server running (port $REDIS_PORT)"; return; fi
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save "" --appendonly no
  wait_for redis-server 20 redis_ready
  log "redis-server started (port $REDIS_PORT)"
}

# initdb and postgres refuse to run as root: as root, the cluster belongs to the
# postgres user, and lives outside the tree when that user cannot reach .run/.
# From /, so the postgres user is never left in a directory it cannot enter.
pg_as() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

pg_dir() {
  local dir="$run/postgres"
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$run" 2>/dev/null; then
    dir="/var/tmp/agion-postgres-$(printf '%s' "$root" | cksum | cut -d' ' -f1)"
  fi
  printf '%s' "$dir"
}

start_postgres() {
  local dir; dir=$(pg_dir)
  mkdir -p "$run"
  [ "$dir" = "$run/postgres" ] || ln -sfn "$dir" "$run/postgres"
  if [ -f "$dir/data/postmaster.pid" ] && pg_ready; then log "postgresql running (port $PG_PORT)"; return; fi
  if [ "$(id -u)" = 0 ]; then install -d -o postgres -g postgres -m 700 "$dir" "$dir/data" "$dir/socket"
  else install -d -m 700 "$dir" "$dir/data" "$dir/socket"; fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    local pw; pw=$(mktemp); printf 'postgres\n' > "$pw"; chmod 644 "$pw"
    pg_as "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --pwfile="$pw" -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pw"
  fi
  pg_as "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 -o \
    "-p $PG_PORT -k $dir/socket -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on" start >/dev/null
  wait_for postgresql 30 pg_ready
  pg_as psql -q -h "$dir/socket" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'agion') THEN
    CREATE ROLE agion LOGIN PASSWORD 'agion' CREATEDB;
  END IF;
END $$;
SELECT 'CREATE DATABASE agion OWNER agion' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'agion')\gexec
SQL
  # pg_prewarm (a superuser creates it): the audit benchmark reads the audit's
  # tables into the page cache to compare proofs with and without them there.
  pg_as psql -q -h "$dir/socket" -p "$PG_PORT" -U postgres -d agion -v ON_ERROR_STOP=1 \
    -c 'CREATE EXTENSION IF NOT EXISTS pg_prewarm' >/dev/null
  log "postgresql started (port $PG_PORT, database agion)"
}

stop_pidfile() { # name, pidfile
  if alive "$2"; then
    local pid; pid=$(cat "$2"); kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "$1 stopped"
  fi
  rm -f "$2"
}

stop_postgres() {
  local dir; dir=$(pg_dir)
  if [ -f "$dir/data/postmaster.pid" ]; then
    pg_as "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null && log "postgresql stopped"
  fi
}

status() {
  local down=0
  if nats_ready >/dev/null 2>&1; then log "nats-server  up    nats://127.0.0.1:$NATS_PORT"; else log "nats-server  DOWN"; down=1; fi
  if redis_ready 2>/dev/null; then log "redis-server up    redis://127.0.0.1:$REDIS_PORT"; else log "redis-server DOWN"; down=1; fi
  if pg_ready; then log "postgresql   up    postgres://agion@127.0.0.1:$PG_PORT/agion"; else log "postgresql   DOWN"; down=1; fi
  return $down
}

case "${1:-}" in
  install) install_packages ;;
  start) start_nats; start_redis; start_postgres ;;
  stop) stop_pidfile nats-server "$run/nats/nats.pid"; stop_pidfile redis-server "$run/redis/redis.pid"; stop_postgres ;;
  status) status ;;
  restart)
    case "${2:-}" in
      nats) stop_pidfile nats-server "$run/nats/nats.pid"; start_nats ;;
      redis) stop_pidfile redis-server "$run/redis/redis.pid"; start_redis ;;
      postgres) stop_postgres; start_postgres ;;
      *) echo "usage: $0 restart nats|redis|postgres" >&2; exit 2 ;;
    esac ;;
  *) echo "usage: $0 install|start|stop|status|restart <server>" >&2; exit 2 ;;
esac
