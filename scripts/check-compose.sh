#!/usr/bin/env bash
# Validates docker-compose.yml (no Docker engine needed).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v docker-compose >/dev/null || { echo "docker-compose missing: run make setup" >&2; exit 1; }
docker-compose -f docker-compose.yml config -q
echo "compose: docker-compose.yml is valid"
