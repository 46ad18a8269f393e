#!/usr/bin/env bash
# make kube-play: the dev overlay, as deploy/overlays/local renders it, run as
# pods with `podman kube play` (no Kubernetes cluster here): every service pod
# ready (the readiness probe's own check), then from the host a governance
# check and a mission through the gateway pod; then everything removed.
#
# Needs the images (make images). AGION_KUBE_KEEP=1 leaves the pods running.
# Prints JSON lines:
#   {"bench":"kube.ready","pods":N,"ready_ms":...}
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/containers.sh
source "$root/scripts/lib/containers.sh"
cd "$root"
install_podman
venv=$(tools_venv yaml pyyaml)
export KUBECONFIG=/dev/null   # rendering only: kubectl never dials a server

state=.run/kube/local
network=agion-kube
rm -rf "$state" && mkdir -p "$state"
kubectl kustomize deploy/overlays/local >"$state/rendered.yaml"
# The Secrets the overlay expects, made for this run (scripts/kube-secrets.sh).
scripts/kube-secrets.sh agion-dev "$state/secret-state" >"$state/secrets.yaml"
cat "$state/secrets.yaml" >>"$state/rendered.yaml"

down() {
  podman kube down "$state/play.yaml" >/dev/null 2>&1 || true
  for v in $(podman volume ls -q --filter label=platform.agion.com/kube-play=true); do podman volume rm -f "$v" >/dev/null 2>&1 || true; done
  for s in agion-nats-auth agion-postgres agion-bootstrap; do podman secret rm "$s" >/dev/null 2>&1 || true; done
  podman network rm -f "$network" >/dev/null 2>&1 || true
}
fail() {
  echo "kube-play: FAILED: $*" >&2
  for c in $(podman ps -a --filter "name=-pod-0-" --format '{{.Names}}'); do
    echo "--- $c (last lines)" >&2; podman logs --tail 12 "$c" 2>&1 | cut -c1-400 | sed 's/^/    /' >&2
  done
  exit 1
}
down
# AGION_KUBE_KEEP=1 leaves the pods running afterwards (to look at them; `podman kube down` ends them).
[ -n "${AGION_KUBE_KEEP:-}" ] || trap down EXIT

"$venv/bin/python" scripts/lib/kube_podman.py "$state/rendered.yaml" "$state" "$state/play.yaml" >"$state/adapted.jsonl"
# A network with DNS: pods find each other by pod name (deploy/overlays/local).
podman network create "$network" >/dev/null
start=$(date +%s%N)
podman kube play --network "$network" "$state/play.yaml" >"$state/play.log" 2>&1 || { cat "$state/play.log" >&2; fail "podman kube play"; }

services=(registry governance coordination execution gateway)
ready=()
for _ in $(seq 240); do
  ready=()
  for s in "${services[@]}"; do
    # What the readinessProbe asks (/ready on the admin port), from inside the pod.
    podman exec "agion-$s-pod-0-service" /usr/local/bin/agion-entrypoint healthcheck ready >/dev/null 2>&1 && ready+=("$s")
  done
  [ ${#ready[@]} -eq ${#services[@]} ] && break
  sleep 0.5
done
[ ${#ready[@]} -eq ${#services[@]} ] || fail "ready after 120 s: ${ready[*]:-none}"
printf '{"bench":"kube.ready","pods":%d,"ready_ms":%d}\n' "$(podman pod ps --filter name=-pod-0 -q | wc -l)" $(( ($(date +%s%N) - start) / 1000000 ))

# From the host, on the gateway pod's address on the podman network.
gateway_ip=$(podman inspect "$(podman pod inspect agion-gateway-pod-0 --format '{{.InfraContainerID}}')" \
  --format "{{(index .NetworkSettings.Networks \"$network\").IPAddress}}")
agionctl=$(swift build -c release --static-swift-stdlib --scratch-path .build-images --show-bin-path)/agionctl
export AGION_URL=http://$gateway_ip:8080 AGION_API_KEY_FILE=$state/secret-state/admin-key
for _ in $(seq 240); do
  listed=$("$agionctl" agents list -o json 2>/dev/null || true)
  grep -q '"research:' <<<"$listed" && grep -q '"writer:editor"' <<<"$listed" && break
  sleep 0.5
done
grep -q '"writer:editor"' <<<"$listed" || fail "the example agents did not register: $listed"
"$agionctl" policies apply -f Examples/Missions/policy.yaml --comment "kube-play" >/dev/null || fail "policy"
sleep 1
"$agionctl" check --agent writer:editor --action report.review >/dev/null || fail "an allowed check was not allowed"
# The mission on the two Swift example agents (the dev overlay runs those).
"$agionctl" missions run -f Examples/Missions/report.yaml --wait -o json >"$state/mission.json" 2>&1 \
  || { tail -5 "$state/mission.json" >&2; fail "the mission did not succeed"; }
echo "kube-play: every service pod ready, agents registered, a check answered, a mission succeeded" >&2
