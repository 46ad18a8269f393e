#!/usr/bin/env bash
# The Python SDK's tests (pytest) against the real services: the five
# services' debug builds on the local stack in schemas of their own (sdk_*),
# the gateway on port 18090. The SDK is installed the way its users install
# it (`pip install ./SDKs/python`) into .run/venv-sdk. Part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.run/venv-sdk
if [ ! -x "$venv/bin/pytest" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q 'pytest>=8,<10' 'pytest-asyncio>=0.23,<2'
fi
# Each run installs the SDK as it is now (its dependencies once), and what the
# LangGraph example needs (Examples/LangGraphReporter, tested here too).
"$venv/bin/pip" install -q ./SDKs/python -r Examples/LangGraphReporter/requirements.txt
"$venv/bin/pip" install -q --no-deps --force-reinstall ./SDKs/python
. scripts/lib/private-services.sh
dir=.run/sdk-test
start_private_services sdk 18090 19201 "$dir"
status=0
AGION_TEST_GATEWAY=http://127.0.0.1:18090 AGION_TEST_ADMIN_KEY_FILE="$dir/admin.key" AGION_NATS_URL=nats://127.0.0.1:14222 \
  AGION_TEST_NATS_CREDS="$PWD/.run/nats/auth/platform.creds" \
  "$venv/bin/pytest" SDKs/python/tests -p no:cacheprovider -q -rf "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "sdk: failed; errors the services logged meanwhile (all logs: $dir):"
  grep -h '"level":"error"' "$dir"/*.log | head -10 || true
fi
exit "$status"
