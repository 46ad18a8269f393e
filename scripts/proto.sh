#!/usr/bin/env bash
# Generates the code for Proto/agion/v1/*.proto: protobuf-c into Shared/CAgionProto,
# and the Python SDK's classes (protoc's python and pyi output) into SDKs/python/src/agion/v1.
#   scripts/proto.sh          regenerate in place (make proto)
#   scripts/proto.sh --check  fail if the committed output differs from a fresh generation
set -euo pipefail
cd "$(dirname "$0")/.."
target=Shared/CAgionProto
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python_target=SDKs/python/src/agion/v1
command -v protoc-c >/dev/null || { echo "protoc-c missing: run scripts/stack.sh install" >&2; exit 1; }
command -v protoc >/dev/null || { echo "protoc missing: run scripts/stack.sh install" >&2; exit 1; }
mkdir -p "$tmp/out" "$tmp/python"
protoc-c -IProto --c_out="$tmp/out" Proto/agion/v1/*.proto
# The generated modules import each other as `agion.v1.<name>_pb2`, which is
# where they live in the SDK's package; __init__.py is ours, not generated.
protoc -IProto --python_out="$tmp/python" --pyi_out="$tmp/python" Proto/agion/v1/*.proto
cp "$python_target/__init__.py" "$tmp/python/agion/v1/__init__.py" 2>/dev/null || true

# SwiftPM wants the headers under include/ and the sources beside it; the .c files
# include "agion/v1/x.pb-c.h", which resolves through the target's include/ path.
mkdir -p "$tmp/target/include/agion/v1" "$tmp/target/agion/v1"
mv "$tmp"/out/agion/v1/*.pb-c.h "$tmp/target/include/agion/v1/"
mv "$tmp"/out/agion/v1/*.pb-c.c "$tmp/target/agion/v1/"
cp Shared/CAgionProto.README "$tmp/target/README.md" 2>/dev/null || true

if [ "${1:-}" = "--check" ]; then
  stale=0
  for pair in "$tmp/target:$target" "$tmp/python/agion/v1:$python_target"; do
    fresh=${pair%%:*} committed=${pair#*:}
    if ! diff -r -x __pycache__ "$fresh" "$committed" >/dev/null 2>&1; then
      diff -ru -x __pycache__ "$committed" "$fresh" | head -40 >&2 || true
      echo "$committed is out of date: run 'make proto' and commit the result" >&2
      stale=1
    fi
  done
  [ "$stale" = 0 ] || exit 1
  echo "proto: generated code is up to date"
  exit 0
fi
rm -rf "$target" "$python_target"
cp -r "$tmp/target" "$target"
cp -r "$tmp/python/agion/v1" "$python_target"
echo "proto: regenerated $target and $python_target"
