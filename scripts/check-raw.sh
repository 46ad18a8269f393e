#!/usr/bin/env bash
# C stays in Raw/: no Swift file imports a C module (CNats, CLibPQ, CHiredis,
# CProtobufC, CAgionProto, ...) outside a Raw/ folder, so every C call sits
# behind the internal types there and public APIs show only Swift types
# (../shared/STYLE.md). make test runs this; it lists offenders and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
offenders=$(grep -rlE '^\s*(@testable\s+)?import\s+C[A-Z][A-Za-z]*\b' --include='*.swift' Shared Services Tools bench Tests Examples SDKs 2>/dev/null \
  | grep -v '/Raw/' || true)
if [ -n "$offenders" ]; then
  echo "check-raw: these files import a C module outside a Raw/ folder:" >&2
  echo "$offenders" | sed 's/^/  /' >&2
  echo "check-raw: move the C calls into the module's Raw/ folder behind an internal type" >&2
  exit 1
fi
echo "check-raw: C modules are imported only under Raw/"
