#!/usr/bin/env bash
# make compose-test: docker-compose.yml brought up with podman-compose (a
# project of its own, fresh volumes, ports beside the local stack's), then from
# the host through the gateway: every service healthy, the example agents
# registered, a governance check, a mission to its end, the audit verified;
# every service stopped with SIGTERM within 30 s; then down, volumes removed.
#
# Needs the images (make images). Prints JSON lines:
#   {"bench":"compose.up","ready_ms":...}       from `up` to every service healthy
#   {"bench":"compose.stop","service":...,"stop_ms":...,"exit_code":...}
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/containers.sh
source "$root/scripts/lib/containers.sh"
cd "$root"
install_podman
venv=$(tools_venv podman_compose podman-compose)

project=agion-compose-test
export AGION_COMPOSE_GATEWAY_PORT=28080 AGION_COMPOSE_NATS_PORT=24222 AGION_COMPOSE_REDIS_PORT=26379 AGION_COMPOSE_POSTGRES_PORT=25432
if [ "${AGION_IMAGES:-local}" = local ]; then
  export AGION_NATS_IMAGE=localhost/agion-local/nats:2.9 AGION_REDIS_IMAGE=localhost/agion-local/redis:7.0 \
         AGION_POSTGRES_IMAGE=localhost/agion-local/postgres:15
fi
compose() { "$venv/bin/podman-compose" -p "$project" -f docker-compose.yml "$@"; }
log=.run/compose-test
mkdir -p "$log"

down() {
  compose logs >"$log/compose.log" 2>&1 || true
  compose down -v -t 30 >"$log/down.log" 2>&1 || true
}
fail() {
  echo "compose-test: FAILED: $*" >&2
  for c in $(podman ps -a --filter "label=io.podman.compose.project=$project" --format '{{.Names}}'); do
    echo "--- $c (last lines)" >&2; podman logs --tail 15 "$c" 2>&1 | sed 's/^/    /' >&2
  done
  exit 1
}
trap down EXIT

# The authority and the shared folder (the gateway writes the first admin key
# there on its fresh database; the agents read it). Readable by the services'
# user (uid 10001): these are a development stack's files on your machine.
make -s compose-auth >/dev/null
rm -rf .run/compose/shared && mkdir -p .run/compose/shared && chmod 0777 .run/compose/shared
compose down -v -t 5 >/dev/null 2>&1 || true

start=$(date +%s%N)
compose up -d >"$log/up.log" 2>&1 || { cat "$log/up.log" >&2; fail "podman-compose up"; }

services=(registry governance coordination execution gateway)
container() { podman ps -a --filter "label=io.podman.compose.project=$project" --filter "label=io.podman.compose.service=$1" --format '{{.Names}}' | head -1; }
# Health: each service's own check (the binary asks its admin server), run by
# podman as the engine's timer would.
healthy=()
for _ in $(seq 240); do
  healthy=()
  for s in "${services[@]}"; do
    c=$(container "$s"); [ -n "$c" ] && podman healthcheck run "$c" >/dev/null 2>&1 && healthy+=("$s")
  done
  [ ${#healthy[@]} -eq ${#services[@]} ] && break
  sleep 0.5
done
[ ${#healthy[@]} -eq ${#services[@]} ] || fail "healthy after 120 s: ${healthy[*]:-none}"
printf '{"bench":"compose.up","services":%d,"ready_ms":%d}\n' ${#services[@]} $(( ($(date +%s%N) - start) / 1000000 ))

# From the host, as a user would: agionctl on the gateway's published port.
agionctl=.build-images/release/agionctl
[ -x "$agionctl" ] || agionctl=$(swift build -c release --static-swift-stdlib --scratch-path .build-images --show-bin-path)/agionctl
export AGION_URL=http://127.0.0.1:$AGION_COMPOSE_GATEWAY_PORT AGION_API_KEY_FILE=.run/compose/shared/admin.key
for _ in $(seq 120); do [ -s "$AGION_API_KEY_FILE" ] && break; sleep 0.5; done
[ -s "$AGION_API_KEY_FILE" ] || fail "the gateway wrote no admin key"

# The example agents register themselves (two over HTTP, LangGraph over NATS).
# Up to five minutes: podman's DNS once kept the services from PostgreSQL for
# about 40 s at start (docs/benchmarks.md), and the agents follow the gateway.
for _ in $(seq 600); do
  listed=$("$agionctl" agents list -o json 2>/dev/null || true)
  grep -q '"research:' <<<"$listed" && grep -q '"writer:editor"' <<<"$listed" && grep -q '"langgraph:reporter"' <<<"$listed" && break
  sleep 0.5
done
grep -q '"langgraph:reporter"' <<<"$listed" && grep -q '"writer:editor"' <<<"$listed" || fail "the example agents did not register: $listed"

"$agionctl" policies apply -f Examples/Missions/policy.yaml --comment "compose-test" >/dev/null || fail "policy"
sleep 1
# A governance check through the gateway: allowed, and a denied one.
"$agionctl" check --agent writer:editor --action report.review >/dev/null || fail "an allowed check was not allowed"
set +e; "$agionctl" check --agent writer:editor --action files.delete >/dev/null; denied=$?; set -e
[ "$denied" = 10 ] || fail "a check that policy denies answered exit $denied, not 10 (denied)"
# A mission through every service and the three agent containers.
"$agionctl" missions run -f Examples/Missions/energy-report.yaml --wait -o json >"$log/mission.json" 2>&1 \
  || { cat "$log/mission.json" >&2; fail "the mission did not succeed"; }
grep -q '"succeeded"' "$log/mission.json" || { cat "$log/mission.json" >&2; fail "the mission did not succeed"; }
curl -fsS -X POST -H "Authorization: Bearer $(cat "$AGION_API_KEY_FILE")" "$AGION_URL/v1/decisions/verify" >"$log/verify.json" \
  || fail "audit verification"
grep -q '"intact":true' "$log/verify.json" || { cat "$log/verify.json" >&2; fail "the audit did not verify"; }
echo "compose-test: agents registered, checks answered, mission succeeded, audit verified" >&2

# SIGTERM: each service drains and exits 0 well within its 30 s.
for s in gateway execution coordination governance registry; do
  c=$(container "$s")
  t0=$(date +%s%N)
  podman stop -t 30 "$c" >/dev/null 2>&1
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  code=$(podman inspect --format '{{.State.ExitCode}}' "$c")
  printf '{"bench":"compose.stop","service":"%s","stop_ms":%d,"exit_code":%s}\n' "$s" "$ms" "$code"
  [ "$code" = 0 ] && [ "$ms" -lt 30000 ] || fail "$s did not stop gracefully (exit $code after $ms ms)"
done
echo "compose-test: passed" >&2
