#!/usr/bin/env bash
# Generates the protobuf-c code for Proto/agion/v1/*.proto into Shared/CAgionProto.
#   scripts/proto.sh          regenerate in place (make proto)
#   scripts/proto.sh --check  fail if the committed output differs from a fresh generation
set -euo pipefail
cd "$(dirname "$0")/.."
target=Shared/CAgionProto
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

command -v protoc-c >/dev/null || { echo "protoc-c missing: run scripts/stack.sh install" >&2; exit 1; }
mkdir -p "$tmp/out"
protoc-c -IProto --c_out="$tmp/out" Proto/agion/v1/*.proto

# SwiftPM wants the headers under include/ and the sources beside it; the .c files
# include "agion/v1/x.pb-c.h", which resolves through the target's include/ path.
mkdir -p "$tmp/target/include/agion/v1" "$tmp/target/agion/v1"
mv "$tmp"/out/agion/v1/*.pb-c.h "$tmp/target/include/agion/v1/"
mv "$tmp"/out/agion/v1/*.pb-c.c "$tmp/target/agion/v1/"
cp Shared/CAgionProto.README "$tmp/target/README.md" 2>/dev/null || true

if [ "${1:-}" = "--check" ]; then
  if ! diff -r "$tmp/target" "$target" >/dev/null 2>&1; then
    diff -ru "$target" "$tmp/target" | head -40 >&2 || true
    echo "Shared/CAgionProto is out of date: run 'make proto' and commit the result" >&2
    exit 1
  fi
  echo "proto: generated code is up to date"
  exit 0
fi
rm -rf "$target"
cp -r "$tmp/target" "$target"
echo "proto: regenerated $target"
