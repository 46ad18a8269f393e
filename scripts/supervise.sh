#!/usr/bin/env bash
# Runs one service and starts it again whenever it exits without being asked
# to, as Kubernetes would: `make up` and `make run` start each service under
# one of these (scripts/services.sh).
#
#   scripts/supervise.sh NAME LOG PIDFILE COMMAND [ARGS...]
#
# COMMAND's output goes to LOG, and so does one JSON line per unexpected exit
# saying why (exit status or signal) and when it restarts. PIDFILE holds the
# running child's pid. Restarts wait 0.5 s, doubling to 30 s while the service
# keeps failing within a minute of starting; a run of a minute or more resets
# the wait. SIGTERM or SIGINT stops the child (SIGTERM, SIGKILL after 30 s, so
# it drains) and then the supervisor, with no restart.
set -uo pipefail
if [ $# -lt 4 ]; then echo "usage: $0 NAME LOG PIDFILE COMMAND [ARGS...]" >&2; exit 2; fi
name=$1 log=$2 pidfile=$3
shift 3

child=0
stopping=0
stop() {
  stopping=1
  [ "$child" -gt 0 ] && kill -TERM "$child" 2>/dev/null
}
trap stop TERM INT

# One line in the service's own log format, so `make status` readers and log
# pipelines see restarts next to the service's last words.
note() { # level, message, extra JSON fields
  printf '{"ts":"%s","level":"%s","logger":"supervise","msg":"%s","service":"%s"%s}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)" "$1" "$2" "$name" "$3" >>"$log"
}

why() { # exit status as words
  if [ "$1" -gt 128 ]; then
    local signal=$(( $1 - 128 ))
    printf 'killed by signal %d (SIG%s)' "$signal" "$(kill -l "$signal" 2>/dev/null || echo '?')"
  else
    printf 'exited with status %d' "$1"
  fi
}

note info service.supervising ",\"pid\":$$"
delay_ms=500
while :; do
  started=$SECONDS
  "$@" >>"$log" 2>&1 &
  child=$!
  echo "$child" >"$pidfile"
  wait "$child"; status=$?
  # A signal to the supervisor interrupts `wait`: the child is still stopping.
  deadline=$((SECONDS + 30))
  while kill -0 "$child" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then kill -KILL "$child" 2>/dev/null; fi
    wait "$child"; status=$?
  done
  if [ "$stopping" = 1 ]; then rm -f "$pidfile"; exit 0; fi

  ran=$((SECONDS - started))
  [ "$ran" -ge 60 ] && delay_ms=500
  reason=$(why "$status")
  note error service.restarting ",\"reason\":\"$reason\",\"ran_seconds\":$ran,\"restart_in_ms\":$delay_ms"
  echo "supervise: $name $reason after ${ran}s; restarting in ${delay_ms} ms (log: $log)" >&2
  sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))" &
  wait $! 2>/dev/null
  if [ "$stopping" = 1 ]; then rm -f "$pidfile"; exit 0; fi
  delay_ms=$((delay_ms * 2 > 30000 ? 30000 : delay_ms * 2))
done
