#!/usr/bin/env bash
# Builds and runs every test (unit and integration) against the local stack,
# which `make test` has started. Prints swift-testing's summary and a final
# "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift build --build-tests
set +e
swift test --skip-build 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -cE '^✔ Test .* passed' "$log" || true)
failed=$(grep -cE '^✘ Test .* failed' "$log" || true)
echo "$passed passed, $failed failed"
exit "$status"
