#!/usr/bin/env bash
# Builds and runs every test (unit and integration) against the local stack,
# which `make test` has started, then prints "N passed, N failed".
#
# Suites run one process at a time: run all at once in one process, the
# integration suites stall on this 2-core machine (open issue, see
# docs/architecture.md "Known problems"); each suite alone passes.
set -uo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests || exit 1
suites=(EnvelopeRoundTripTests EnvelopeDecodingTests EnvelopeMetadataTests WireCompatibilityTests
        BusRPCTests JetStreamTests BusReconnectTests StoreTests OutboxTests CacheTests)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for suite in "${suites[@]}"; do
  echo "== $suite"
  if ! timeout 300 swift test --skip-build --filter "IntegrationTests.$suite|AgionEnvelopeTests.$suite" 2>&1 | tee -a "$log" | grep -E '✔ Test|✘|passed after|failed after|crashed'; then :; fi
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
passed=$(grep -cE '✔ Test .* passed' "$log" || true)
failed=$(grep -cE '✘ Test .* failed' "$log" || true)
echo "$passed passed, $failed failed"
exit "$status"
