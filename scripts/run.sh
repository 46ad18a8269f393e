#!/usr/bin/env bash
# make run: start the stack and the services, show that they answer, and keep
# running until Ctrl-C, which stops everything this started.
set -euo pipefail
cd "$(dirname "$0")/.."
cleanup() { echo; scripts/services.sh stop; scripts/stack.sh stop; }
trap cleanup EXIT
trap 'exit 0' INT TERM
scripts/stack.sh start
scripts/services.sh start
echo
echo "== Agion local stack =="
scripts/stack.sh status
scripts/services.sh status
echo
echo "JetStream:  $(curl -fsS http://127.0.0.1:18222/jsz | tr -d '\n ' | grep -o '"streams":[0-9]*,"consumers":[0-9]*,"messages":[0-9]*' || echo unavailable)"
echo "Redis:      $(redis-cli -p 16379 info server | grep -m1 redis_version | tr -d '\r')"
echo "PostgreSQL: $(PGPASSWORD=agion psql -h 127.0.0.1 -p 15432 -U agion -d agion -tAc 'show server_version')"
echo
echo "== Demo (scripts/demo.sh) =="
scripts/demo.sh || echo "demo failed: see .run/services/*.log"
echo
echo "Try: .build/release/agion --help    API: http://127.0.0.1:8080/openapi.json (key: .run/credentials/admin.key)"
echo "Admin: http://127.0.0.1:9101/ready (registry), :9102 (governance), :9103 (coordination), :9104 (execution), :9105 (gateway)"
echo "Example agents: research on :9301, writer on :9302, langgraph:reporter over NATS (Examples/)"
echo "Logs: .run/*/  -- Ctrl-C stops everything."
while true; do sleep 3600 & wait $!; done
