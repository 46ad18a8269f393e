#!/usr/bin/env bash
# What `make run` shows once the services are up: an agent registers, a policy
# goes in, governance answers two checks, and the audit trail verifies.
set -euo pipefail
cd "$(dirname "$0")/.."
agion=.build/release/agion
# The agion CLI talks to NATS as the platform user (docs/security.md).
export AGION_NATS_CREDS="$PWD/.run/nats/auth/platform.creds"
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

# The same through the public HTTP API (docs/gateway.md), with the admin key
# the gateway wrote on first start.
key=$(cat .run/credentials/admin.key)
api() { curl -sS -H "Authorization: Bearer $key" "$@"; echo; }
for _ in $(seq 60); do curl -fsS -o /dev/null http://127.0.0.1:8080/health && break; sleep 0.5; done
echo
echo "== The HTTP API (gateway on :8080, key in .run/credentials/admin.key) =="
echo "\$ curl -X POST localhost:8080/v1/agents -d '{\"container\": \"crewai\", \"agents\": [...]}'"
api -X POST http://127.0.0.1:8080/v1/agents -H 'Content-Type: application/json' -d '{"container": "crewai", "agents": [{"id": "crewai:researcher", "type": "llm", "capabilities": ["web-research"], "version": "1", "endpoint": {"kind": "http", "address": "http://localhost:9001"}}]}'
echo "\$ curl -X POST localhost:8080/v1/policies --data-binary @.run/demo-policy.yaml"
sed 's/langgraph-v2:\*/crewai:*/; s/reports.generate/research.run/' .run/demo-policy.yaml > .run/demo-policy-http.yaml
api -X POST 'http://127.0.0.1:8080/v1/policies?comment=make%20run%20demo' -H 'Content-Type: application/yaml' --data-binary @.run/demo-policy-http.yaml
sleep 1
echo "\$ curl -X POST localhost:8080/v1/governance/check -d '{\"agent_id\": \"crewai:researcher\", \"action\": \"research.run\", \"context\": {\"rows\": 20}}'"
api -X POST http://127.0.0.1:8080/v1/governance/check -H 'Content-Type: application/json' -d '{"agent_id": "crewai:researcher", "action": "research.run", "context": {"rows": 20}, "principal": "user:alice"}'
echo "\$ curl -X POST localhost:8080/v1/governance/check -d '{\"agent_id\": \"crewai:researcher\", \"action\": 42}'   # a mistake"
api -X POST http://127.0.0.1:8080/v1/governance/check -H 'Content-Type: application/json' -d '{"agent_id": "crewai:researcher", "action": 42}'

# And with agionctl, the command line over the same API: it finds the gateway
# and the admin key of a checkout by itself (docs/agionctl.md).
agionctl=.build/release/agionctl
cat > .run/demo-agents.json <<'JSON'
{"container": "autogen", "agents": [{"id": "autogen:planner", "type": "llm", "capabilities": ["planning"], "version": "1",
 "endpoint": {"kind": "http", "address": "http://localhost:9002"}}]}
JSON
sed 's/langgraph-v2:\*/autogen:*/; s/reports.generate/plans.write/' .run/demo-policy.yaml > .run/demo-policy-cli.yaml
echo
echo "== The same with agionctl =="
echo "\$ agionctl agents register -f agents.json"
$agionctl agents register -f .run/demo-agents.json || true
echo "\$ agionctl policies apply -f policy.yaml"
$agionctl policies apply -f .run/demo-policy-cli.yaml --comment "make run demo (agionctl)" || true
sleep 1
echo "\$ agionctl check --agent autogen:planner --action plans.write --context '{\"rows\": 20}' --principal user:alice"
$agionctl check --agent autogen:planner --action plans.write --context '{"rows": 20}' --principal user:alice || true
echo "\$ agionctl check --agent autogen:planner --action files.delete; echo \"exit \$?\"   # 10: denied"
$agionctl check --agent autogen:planner --action files.delete && echo "exit 0" || echo "exit $?"

# The audit is also a Merkle tree with signed heads (docs/governance.md): a
# decision's inclusion proof, checked offline with the keys pinned first.
decision=$($agionctl check --agent autogen:planner --action plans.write --context '{"rows": 5}' -o json 2>/dev/null |
  sed -n 's/.*"decision_id":"\([^"]*\)".*/\1/p')
sleep 2  # shipped within milliseconds, under a signed head within a second
echo "\$ agionctl audit keys -o json > keys.json && agionctl audit proof $decision -o json > proof.json"
$agionctl audit keys -o json > .run/demo-audit-keys.json && $agionctl audit proof "$decision" -o json > .run/demo-proof.json || true
echo "\$ agionctl audit verify-proof proof.json --keys keys.json   # offline: the RFC 9162 path to the signed root"
$agionctl audit verify-proof .run/demo-proof.json --keys .run/demo-audit-keys.json || true

# A mission: three steps on the example agent containers (Examples/), which
# registered themselves through the gateway when they started.
echo
echo "== A mission (docs/missions.md) on the example agents =="
for _ in $(seq 60); do
  [ "$($agionctl agents list --capability review -o json 2>/dev/null | grep -c writer:editor)" -gt 0 ] &&
    [ "$($agionctl agents list --capability reporting -o json 2>/dev/null | grep -c langgraph:reporter)" -gt 0 ] && break
  sleep 0.5
done
echo "\$ agionctl agents list --container writer"
$agionctl agents list --container writer || true
$agionctl policies apply -f Examples/Missions/policy.yaml --comment "make run demo (missions)" >/dev/null || true
sleep 1
echo "\$ agionctl missions run -f mission.yaml --wait      # research -> write -> review, and a LangGraph graph; each step checked by governance"
$agionctl missions run -f Examples/Missions/energy-report.yaml --wait || echo "the mission did not succeed: see .run/services/agion-coordination.log"
