#!/usr/bin/env bash
# What `make run` shows once the services are up: an agent registers, a policy
# goes in, governance answers two checks, and the audit trail verifies.
set -euo pipefail
cd "$(dirname "$0")/.."
agion=.build/release/agion
tenant=demo
cat > .run/demo-policy.yaml <<'YAML'
version: 1
rules:
  - id: reports
    description: reporters may generate reports up to 10,000 rows
    effect: allow
    agents: ["langgraph-v2:*"]
    actions: [reports.generate]
    when: [{field: rows, op: lte, value: 10000}]
    obligations: [{kind: redact, fields: [ssn]}]
  - id: no-deletes
    description: agents never delete
    effect: deny
    actions: ["*.delete"]
YAML
# The services connect and subscribe within a few seconds of starting.
for _ in $(seq 60); do $agion agents list --tenant $tenant >/dev/null 2>&1 && break; sleep 0.5; done
echo "\$ agion agents register --tenant $tenant --agent langgraph-v2:chart_generator --url http://localhost:8080 --capability reports"
$agion agents register --tenant $tenant --agent langgraph-v2:chart_generator --url http://localhost:8080 --capability reports
echo "\$ agion policy put .run/demo-policy.yaml --tenant $tenant"
$agion policy put .run/demo-policy.yaml --tenant $tenant --comment "make run demo"
sleep 1
echo "\$ agion check --tenant $tenant --agent langgraph-v2:chart_generator --action reports.generate --context '{\"rows\": 500}'"
$agion check --tenant $tenant --agent langgraph-v2:chart_generator --action reports.generate --context '{"rows": 500}' || true
echo "\$ agion check --tenant $tenant --agent langgraph-v2:chart_generator --action files.delete"
$agion check --tenant $tenant --agent langgraph-v2:chart_generator --action files.delete || true
sleep 0.5
echo "\$ agion audit verify --tenant $tenant"
$agion audit verify --tenant $tenant
