#!/usr/bin/env bash
# Validates the gateway's OpenAPI 3.1 document (what GET /openapi.json serves)
# with openapi-spec-validator from PyPI, in a virtualenv under .run/.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.run/venv-tools
if [ ! -x "$venv/bin/openapi-spec-validator" ] || [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis==4.32.5' 'openapi-spec-validator==0.7.1'
fi
swift build --product agion-gateway 2>&1 | grep -E "error|warning: unre" || true
mkdir -p .run
"$(swift build --show-bin-path)/agion-gateway" openapi > .run/openapi.json
"$venv/bin/openapi-spec-validator" .run/openapi.json
echo "openapi: .run/openapi.json is a valid OpenAPI 3.1 document"
