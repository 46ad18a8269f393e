"""``with_governance`` on async and sync functions, against the real services."""

from __future__ import annotations

import asyncio
import threading

import pytest

from agion import (
    ApprovalRequired,
    Decision,
    ObligationNotHandled,
    PermissionDenied,
    current_decision,
    with_governance,
)
from conftest import POLICY, Tenant, http


async def test_an_allowed_async_node_runs_under_its_obligations(tenant: Tenant) -> None:
    tenant.register("graph", ["charts"])
    async with tenant.client("nats") as governance:
        ran: list[dict] = []

        @with_governance("graph:charts", "reports.generate", context=lambda state: {"rows": len(state["rows"])}, client=governance)
        async def chart_node(state: dict) -> dict:
            ran.append(state)
            assert current_decision() is not None and current_decision().allowed  # type: ignore[union-attr]
            return {"chart": "bar", "ssn": "123-45-6789", "email": "a@b.c"}

        update = await chart_node({"rows": [1, 2, 3]})
        assert ran and update == {"chart": "bar", "ssn": "[redacted]", "email": "[redacted]"}
        assert current_decision() is None

        with pytest.raises(PermissionDenied) as denied:
            await chart_node({"rows": list(range(10_001))})
        assert len(ran) == 1, "a denied node does not run"
        assert denied.value.decision.reasons and not denied.value.retriable


async def test_denies_and_approvals_raise_before_the_function_runs(tenant: Tenant) -> None:
    tenant.register("graph", ["exporter"])
    async with tenant.client("http") as governance:
        calls = 0

        @with_governance("graph:exporter", "exports.csv", client=governance)
        async def export() -> str:
            nonlocal calls
            calls += 1
            return "done"

        with pytest.raises(ApprovalRequired) as approval:
            await export()
        assert approval.value.decision.effect.value == "require_approval" and calls == 0

        @with_governance("graph:exporter", "files.delete", client=governance)
        def delete_sync() -> None:
            raise AssertionError("a denied function must not run")

        with pytest.raises(PermissionDenied) as denied:
            await asyncio.to_thread(delete_sync)
        assert "no-deletes" in denied.value.decision.rule_ids


async def test_waiting_for_approval_goes_on_once_governance_allows(tenant: Tenant) -> None:
    tenant.register("graph", ["waiter"])
    async with tenant.client("nats") as governance:

        @with_governance("graph:waiter", "exports.csv", client=governance, on_approval="wait", approval_timeout=20)
        async def export() -> str:
            return "exported"

        waiting = asyncio.create_task(export())
        await asyncio.sleep(1.5)
        assert not waiting.done(), "still waiting for the approval"
        # The operator allows exports (the approvals flow of mission control changes the answer the same way).
        allowing = POLICY.replace("effect: require_approval", "effect: allow")
        status, answer = await asyncio.to_thread(http, "POST", "/v1/policies", tenant.admin_key, allowing, content_type="application/yaml")
        assert status in (200, 201), answer
        assert await asyncio.wait_for(waiting, 30) == "exported"

        @with_governance("graph:waiter", "exports.csv", client=governance, on_approval="wait", approval_timeout=0.5)
        async def export_denied_meanwhile() -> str:
            return "no"

        blocking = POLICY  # require_approval again: the wait runs out
        await asyncio.to_thread(http, "POST", "/v1/policies", tenant.admin_key, blocking, content_type="application/yaml")
        with pytest.raises(ApprovalRequired):
            await export_denied_meanwhile()


async def test_obligations_nobody_applies_fail_closed(tenant: Tenant) -> None:
    tenant.register("graph", ["llm"])
    async with tenant.client("nats") as governance:

        @with_governance("graph:llm", "llm.answer", client=governance)
        async def unaware(prompt: str) -> str:
            raise AssertionError("must not run: nothing caps its tokens")

        with pytest.raises(ObligationNotHandled) as unhandled:
            await unaware("hi")
        assert unhandled.value.kinds == ["max_tokens"]

        @with_governance("graph:llm", "llm.answer", client=governance)
        async def aware(prompt: str, decision: Decision | None = None) -> int:
            cap = decision.obligation("max_tokens") if decision else None
            return int(cap.parameters["value"]) if cap else -1

        assert await aware("hi") == 2000

        @with_governance("graph:llm", "llm.answer", client=governance, obligations="pass")
        async def reads_current() -> str:
            return current_decision().obligation("max_tokens").parameters["value"]  # type: ignore[union-attr]

        assert await reads_current() == "2000"


def test_sync_functions_are_governed_from_any_thread(tenant: Tenant) -> None:
    tenant.register("graph", ["sync"])
    governance = tenant.client("nats")

    @with_governance("graph:sync", "reports.generate", context={"rows": 10}, client=governance)
    def node(state: dict) -> dict:
        return {**state, "email": "x@y.z"}

    assert node({"a": 1}) == {"a": 1, "email": "[redacted]"}
    results: list[dict] = []
    threads = [threading.Thread(target=lambda: results.append(node({"t": 1}))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    governance.sync.close()
