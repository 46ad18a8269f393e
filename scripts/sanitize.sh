#!/usr/bin/env bash
# make sanitize: every test under AddressSanitizer (scratch build in .build-asan).
# The codec suites also run with LeakSanitizer; the integration suites do not,
# because the C libraries keep process-lifetime allocations that would be noise.
set -uo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests --sanitize=address --scratch-path .build-asan || exit 1
binary=.build-asan/debug/agionPackageTests.xctest
status=0
ASAN_OPTIONS=detect_leaks=1 "$binary" --testing-library swift-testing \
  --filter "EnvelopeRoundTripTests|EnvelopeDecodingTests|EnvelopeBatchTests|ProtoSchemaTests|ProtoConvertibleTests|EnvelopeMetadataTests|ServiceConfigurationTests|CheckFastPathTests" || status=1
ASAN_OPTIONS=detect_leaks=0 "$binary" --testing-library swift-testing --filter "IntegrationTests|WireCompatibilityTests" || status=1
exit $status
