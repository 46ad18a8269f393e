#!/usr/bin/env bash
# The Secrets the Kubernetes overlays expect (docs/deploy.md, "Secrets"),
# printed as manifests for `kubectl apply -f -`:
#
#   agion-nats-auth   the NATS authority (agion-natsauth init <dir> /data/jwt):
#                     resolver.conf for nats-server, each service's .creds,
#                     the operator and account keys the gateway signs with
#   agion-postgres    password (and, for prod, host, port, user, database)
#   agion-bootstrap   admin-key: the first admin key (AGION_GATEWAY_BOOTSTRAP_KEY)
#
#   scripts/kube-secrets.sh <namespace> [state dir]   (default .run/kube/<namespace>)
#
# What it generates is kept in the state dir, so running it again prints the
# same Secrets; keep that folder as safe as the cluster's Secrets (or delete it
# once applied). For prod, set AGION_POSTGRES_HOST (and _PORT, _USER,
# _DATABASE, AGION_REDIS_HOST, _PORT) to add the external servers' addresses.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
namespace=${1:?usage: $0 <namespace> [state dir]}
state=${2:-$root/.run/kube/$namespace}
mkdir -p "$state" && chmod 700 "$state"

if [ ! -f "$state/nats-auth/resolver.conf" ]; then
  (cd "$root" && swift build --product agion-natsauth >/dev/null 2>&1)
  "$(cd "$root" && swift build --show-bin-path 2>/dev/null)/agion-natsauth" init "$state/nats-auth" /data/jwt >/dev/null
fi
# 32 random bytes as base64url without padding: 43 characters.
random43() { head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }
[ -s "$state/postgres-password" ] || random43 >"$state/postgres-password"
[ -s "$state/admin-key" ] || printf 'agion_%s_%s' "$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')" "$(random43)" >"$state/admin-key"

b64() { base64 -w0 <"$1"; }
b64text() { printf '%s' "$1" | base64 -w0; }
labels='    app.kubernetes.io/part-of: agion
    app.kubernetes.io/managed-by: kube-secrets'

echo "apiVersion: v1"
echo "kind: Secret"
echo "metadata:"
echo "  name: agion-nats-auth"
echo "  namespace: $namespace"
echo "  labels:"
echo "$labels"
echo "type: Opaque"
echo "data:"
for f in "$state"/nats-auth/*; do echo "  $(basename "$f"): $(b64 "$f")"; done
echo "---"
echo "apiVersion: v1"
echo "kind: Secret"
echo "metadata:"
echo "  name: agion-postgres"
echo "  namespace: $namespace"
echo "  labels:"
echo "$labels"
echo "type: Opaque"
echo "data:"
echo "  password: $(b64 "$state/postgres-password")"
for pair in host=AGION_POSTGRES_HOST port=AGION_POSTGRES_PORT user=AGION_POSTGRES_USER database=AGION_POSTGRES_DATABASE; do
  variable=${pair#*=}
  if [ -n "${!variable:-}" ]; then echo "  ${pair%%=*}: $(b64text "${!variable}")"; fi
done
if [ -n "${AGION_REDIS_HOST:-}" ]; then
  echo "---"
  echo "apiVersion: v1"
  echo "kind: Secret"
  echo "metadata:"
  echo "  name: agion-redis"
  echo "  namespace: $namespace"
  echo "  labels:"
  echo "$labels"
  echo "type: Opaque"
  echo "data:"
  echo "  host: $(b64text "$AGION_REDIS_HOST")"
  echo "  port: $(b64text "${AGION_REDIS_PORT:-6379}")"
fi
echo "---"
echo "apiVersion: v1"
echo "kind: Secret"
echo "metadata:"
echo "  name: agion-bootstrap"
echo "  namespace: $namespace"
echo "  labels:"
echo "$labels"
echo "type: Opaque"
echo "data:"
echo "  admin-key: $(b64 "$state/admin-key")"
