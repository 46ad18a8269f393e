#!/usr/bin/env bash
# Builds and runs every test (unit and integration) against the local stack,
# which `make test` has started. Prints swift-testing's summary and a final
# "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
# Services started by `make up` serve the same subjects in the same queue
# groups as the tests' replicas and would answer their requests: stop them.
if scripts/services.sh status 2>/dev/null | grep -qE ' (up|RESTARTING)'; then
  echo "test: stopping the services that make up started (they would answer the tests' requests)"
  scripts/services.sh stop
fi
# So would services left running by an interrupted bench or fuzz run of this
# checkout (found by their executable, whatever path they were started with),
# and their supervisors first, or they would start them again.
for pid in $(pgrep -f "$PWD/scripts/supervise.sh" || true); do kill "$pid" 2>/dev/null || true; done
ours() {
  for pid in $(pgrep -f 'agion-(registry|governance|coordination|execution|gateway)' || true); do
    case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in "$PWD"/.build/*) echo "$pid" ;; esac
  done
}
leftovers=$(ours)
if [ -n "$leftovers" ]; then
  echo "test: stopping agion services left running from this checkout's builds (pids $(echo $leftovers))"
  kill $leftovers 2>/dev/null || true
  for _ in $(seq 50); do [ -z "$(ours)" ] && break; sleep 0.2; done
fi
swift build --build-tests || exit 1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# At most AGION_TEST_WIDTH test cases at once (swift-testing's limit; by
# default it starts every suite together). Measured on a 2-core machine: all
# at once, the first 15 s saturated both cores (the test process at 190%),
# pools and RPCs timed out in 9-23 tests, and the run took 572 s; with 6 at a
# time, 494 s and the load-bound failures gone. Most integration tests wait
# on timers and the network, so a few more than the cores keeps them busy.
# With a third of the machine taken by something else (a busy loop on one
# core, as a shared CI machine may have), 6 at a time took 500 s with 4
# timing-bound failures, 4 at a time 515 s with 2: two per core it is.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH="${AGION_TEST_WIDTH:-$(( $(nproc) * 2 ))}"
# A hung test must fail the run, not stall CI: bound the whole run.
timeout 1200 swift test --skip-build 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -aE '✔ Test .* passed after' "$log" | grep -cv '✔ Test run with' || true)
# A failed test prints one line per issue and one "failed after"; count tests.
failed=$(grep -aE '✘ Test .* failed after' "$log" | grep -cv '✘ Test run with' || true)
# CI shows only the end of its output: name the failed tests and their
# issues again last, so a failure can be diagnosed from the tail alone.
if [ "$status" -ne 0 ]; then
  echo "test: what failed (repeated from above):"
  grep -aE '✘ Test .*(recorded an issue|failed after)|✘ Suite .* failed' "$log" | grep -v '✘ Test run with' | cut -c1-400 | tail -40
fi
echo "$passed passed, $failed failed"
exit "$status"
