"""The LangGraph example (Examples/LangGraphReporter): a real LangGraph graph
whose nodes are governed, served as an Agion agent and called by a mission."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import Tenant, eventually, http

pytest.importorskip("langgraph", reason="the example's requirements (Examples/LangGraphReporter/requirements.txt)")
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "Examples" / "LangGraphReporter"))
import reporter  # noqa: E402

POLICY = """
version: 1
rules:
  - id: reporting
    effect: allow
    agents: ["langgraph:*"]
    actions: ["report.outline", "report.review", "research.run"]
  - id: drafts-capped
    effect: allow
    agents: ["langgraph:*"]
    actions: ["report.draft"]
    obligations:
      - {kind: max_tokens, value: 12}
"""


def put_policy(tenant: Tenant, document: str) -> None:
    status, answer = http("POST", "/v1/policies", tenant.admin_key, document, content_type="application/yaml")
    assert status in (200, 201), answer


async def test_a_mission_step_runs_the_governed_graph(tenant: Tenant) -> None:
    put_policy(tenant, POLICY)
    reporter.governance.settings = tenant.settings("nats")  # the example reads its settings from the environment
    served = reporter.container(serve="nats")
    await served.start()
    try:
        mission_id = tenant.submit({"name": "langgraph", "input": {"topic": "solar storage", "facts": ["costs fell", "adoption grew"]},
                                    "steps": [{"id": "report", "capability": "reporting", "action": "research.run",
                                               "input": {"topic": {"$ref": "input.topic"}, "facts": {"$ref": "input.facts"}}}]})
        mission = await tenant.finished(mission_id)
        assert mission["status"] == "succeeded", mission
        output = mission["steps"][0]["output"]
        assert output["outline"][0] == "Why solar storage matters" and len(output["outline"]) == 3
        assert len(output["text"].split()) == 12, "the draft node applied the max_tokens obligation"
        assert output["review"] == {"approved": True, "words": 12, "notes": []}
        # Every node asked governance: the audit has one decision per node.
        def audited() -> set[str]:
            status, decisions = http("GET", "/v1/decisions?agent_id=langgraph:reporter&page_size=50", tenant.admin_key)
            assert status == 200, decisions
            actions = {d["action"] for d in decisions.get("records", [])}
            return actions if {"report.outline", "report.draft", "report.review"} <= actions else set()

        await eventually("every node's decision is in the audit", audited)

        # A node governance denies fails the step for good (no retry), naming the reason.
        put_policy(tenant, POLICY.replace('"report.outline", "report.review", ', '"report.outline", '))
        denied = await tenant.finished(tenant.submit({"steps": [{"id": "report", "capability": "reporting", "action": "research.run",
                                                                 "input": {"topic": "wind"}}]}))
        assert denied["status"] == "failed"
        step = denied["steps"][0]
        assert len(step["errors"]) == 1 and step["errors"][0]["code"] == "agent_error" and not step["errors"][0].get("retriable", False)
    finally:
        await served.stop()
