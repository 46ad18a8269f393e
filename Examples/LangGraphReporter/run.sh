#!/usr/bin/env bash
# Runs the LangGraph example as an agent container (scripts/services.sh starts
# it under its supervisor in `make up` / `make run`): over NATS, tenant
# `default` unless the environment says otherwise. `setup` makes its venv.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$root/.run/venv-examples"
if [ "${1:-}" = "setup" ]; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  # What the SDK and the example need (quick when nothing changed), then the
  # SDK as it is in this checkout.
  "$venv/bin/pip" install -q "$root/SDKs/python" -r "$here/requirements.txt"
  "$venv/bin/pip" install -q --no-deps --force-reinstall "$root/SDKs/python"
  exit 0
fi
export AGION_TRANSPORT=${AGION_TRANSPORT:-nats} AGION_TENANT=${AGION_TENANT:-default}
exec "$venv/bin/python" "$here/reporter.py"
