"""The Python agent template (Templates/python-agent): governed, served over NATS
and over the HTTP contract, called by a mission; its Deployment carries the
labels docs/agent-contract.md documents."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import Tenant, free_port, http

TEMPLATES = Path(__file__).resolve().parents[3] / "Templates"
sys.path.insert(0, str(TEMPLATES / "python-agent"))
import agent as template  # noqa: E402

POLICY = """
version: 1
rules:
  - id: summaries-capped
    effect: allow
    agents: ["template:*"]
    actions: ["text.summarize"]
    when: [{field: words, op: lte, value: 1000}]
    obligations:
      - {kind: max_tokens, value: 5}
  - id: steps
    effect: allow
    actions: ["work.*"]
"""

TEXT = "Solar storage grew fast. Costs fell by half in three years! Utilities now plan for it. What comes next?"


@pytest.mark.parametrize("serve", ["nats", "http"])
async def test_the_python_template_serves_a_governed_step(tenant: Tenant, serve: str) -> None:
    status, answer = http("POST", "/v1/policies", tenant.admin_key, POLICY, content_type="application/yaml")
    assert status in (200, 201), answer
    template.governance.settings = tenant.settings("nats")  # the template reads its settings from the environment
    options = {"port": free_port()} if serve == "http" else {}
    served = template.container(serve=serve, **options)
    await served.start()
    try:
        mission_id = tenant.submit({"steps": [
            {"id": "summary", "capability": "summarizing", "action": "work.summarize", "input": {"text": TEXT, "limit": 40}},
            {"id": "empty", "capability": "summarizing", "action": "work.summarize", "input": {"text": " "}, "on_failure": "continue"},
        ]})
        mission = await tenant.finished(mission_id)
        steps = {s["id"]: s for s in mission["steps"]}
        summary = steps["summary"]
        assert summary["status"] == "succeeded", mission
        assert summary["output"] == {"summary": "Solar storage grew fast. Costs", "sentences": 4, "words": 19, "limit": 5}, \
            "the policy's max_tokens obligation capped the summary"
        assert summary["usage"]["input_tokens"] in (19, "19")
        empty = steps["empty"]
        assert empty["status"] == "failed" and len(empty["errors"]) == 1, "a bad input is not retried"
        assert "needs a text" in empty["errors"][0]["message"]
    finally:
        await served.stop()


def test_the_templates_deployments_carry_the_agent_container_labels() -> None:
    yaml = pytest.importorskip("yaml")
    deployments = sorted(TEMPLATES.glob("*/deployment.yaml")) + sorted((TEMPLATES.parent / "Examples").glob("*/deployment.yaml"))
    assert len(deployments) >= 3, deployments
    for deployment in deployments:
        documents = list(yaml.safe_load_all(deployment.read_text()))
        document = documents[0]
        assert document["kind"] == "Deployment", deployment
        # A NetworkPolicy for its pods comes with it (NATS and DNS out, nothing in).
        policies = [d for d in documents if d["kind"] == "NetworkPolicy"]
        assert policies and policies[0]["spec"]["podSelector"]["matchLabels"] == document["spec"]["selector"]["matchLabels"], deployment
        for labels in (document["metadata"]["labels"], document["spec"]["template"]["metadata"]["labels"]):
            assert labels["platform.agion.com/component"] == "agent-container", deployment
            assert labels["platform.agion.com/framework"] and labels["platform.agion.com/version"], deployment
        pod = document["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, deployment
        for container in pod["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, deployment
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], deployment
