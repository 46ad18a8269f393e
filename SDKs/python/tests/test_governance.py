"""GovernanceClient against the real services, over both transports."""

from __future__ import annotations

import pytest

from agion import (
    Effect,
    Forbidden,
    GovernanceClient,
    InvalidArgument,
    Outcome,
    Settings,
    Unauthenticated,
    Unavailable,
)
from conftest import Tenant, free_port

TRANSPORTS = ["nats", "http"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_check_answers_with_a_typed_decision(tenant: Tenant, transport: str) -> None:
    tenant.register("charts", ["generator"])
    async with tenant.client(transport) as governance:
        allowed = await governance.check("charts:generator", "reports.generate", {"rows": 500}, principal="user:alice")
        assert allowed.effect is Effect.ALLOW and allowed.allowed
        assert allowed.rule_ids == ["reports"]
        assert allowed.decision_id and allowed.policy_revision >= 1
        assert 0.0 <= allowed.trust_score <= 1.0
        assert allowed.obligation("redact") is not None
        assert allowed.obligation("redact").values("fields") == ["ssn", "email"]  # type: ignore[union-attr]

        too_many = await governance.check("charts:generator", "reports.generate", {"rows": 20_000})
        assert too_many.effect is Effect.DENY and not too_many.fail_closed and too_many.reasons

        deleting = await governance.check("charts:generator", "reports.delete", {"rows": 1})
        assert deleting.effect is Effect.DENY and "no-deletes" in deleting.rule_ids

        approval = await governance.check("charts:generator", "exports.csv")
        assert approval.effect is Effect.REQUIRE_APPROVAL

        stranger = await governance.check("charts:nobody", "reports.generate", {"rows": 1})
        assert stranger.effect is Effect.DENY, "an agent the tenant never registered is denied"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_validate_report_and_feedback_move_trust(tenant: Tenant, transport: str) -> None:
    tenant.register("charts", ["writer"])
    async with tenant.client(transport) as governance:
        good = await governance.validate("charts:writer", "reports.generate", {"summary": "fine"})
        assert good.passed and good.violations == []
        leaked = await governance.validate("charts:writer", "reports.generate", "the key is AKIAABCDEFGHIJKLMNOP")
        assert not leaked.passed and leaked.violations[0].rule_id == "no-aws-keys"

        before = (await governance.check("charts:writer", "work.run")).trust_score
        after_success = await governance.report("charts:writer", Outcome.SUCCESS, latency_ms=120, target_latency_ms=500)
        assert after_success.agent_id == "charts:writer"
        after_failure = await governance.report("charts:writer", "failure", latency_ms=80)
        assert after_failure.score < after_success.score
        rated = await governance.feedback("charts:writer", 1, source="user:bo", comment="wrong numbers", from_agent="charts:frontdesk")
        assert rated.score < after_failure.score
        assert before != rated.score


async def test_the_synchronous_client_gives_the_same_answers(tenant: Tenant) -> None:
    tenant.register("charts", ["sync"])
    governance = tenant.client("nats")
    try:
        decision = governance.sync.check("charts:sync", "reports.generate", {"rows": 3})
        assert decision.allowed
        assert governance.sync.validate("charts:sync", "reports.generate", {"a": 1}).passed
        assert governance.sync.report("charts:sync", Outcome.TIMEOUT).agent_id == "charts:sync"
    finally:
        await governance.close()


async def test_errors_are_typed_with_code_field_and_retriable(tenant: Tenant) -> None:
    tenant.register("charts", ["errors"])
    async with tenant.client("nats") as governance:
        with pytest.raises(InvalidArgument) as refused:
            await governance.check("", "reports.generate")
        assert refused.value.code == "invalid_argument" and refused.value.field == "agent_id" and not refused.value.retriable
    async with tenant.client("http") as governance:
        with pytest.raises(InvalidArgument) as refused_http:
            await governance.check("charts:errors", "")
        assert refused_http.value.field == "action"
    async with tenant.client("http", api_key="agion_0000000000000000_" + "A" * 43) as stranger:
        with pytest.raises(Unauthenticated):
            await stranger.check("charts:errors", "reports.generate")
    # An agent key acts only for the agents its scope names.
    scoped = tenant.key("agent", scope="charts:errors")
    async with tenant.client("http", api_key=scoped) as agent:
        assert (await agent.check("charts:errors", "reports.generate", {"rows": 1})).allowed
        assert (await agent.report("charts:errors", Outcome.SUCCESS, latency_ms=5)).agent_id == "charts:errors"
        with pytest.raises(Forbidden) as forbidden:
            await agent.check("charts:other", "reports.generate")
        assert not forbidden.value.retriable
        with pytest.raises(Forbidden):
            await agent.feedback("charts:errors", 5, source="myself")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_agion_out_of_reach_is_a_retriable_unavailable(transport: str) -> None:
    port = free_port()
    settings = Settings(transport=transport, nats_url=f"nats://127.0.0.1:{port}", url=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
                        api_key="agion_0000000000000000_" + "A" * 43, timeout=1.0)
    async with GovernanceClient(settings) as governance:
        with pytest.raises(Unavailable) as unavailable:
            await governance.check("charts:any", "reports.generate")
        assert unavailable.value.retriable


def test_settings_come_from_the_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    key_file = tmp_path / "key"
    key_file.write_text("agion_1234_secret\n")
    settings = Settings.from_env({"AGION_API_KEY_FILE": str(key_file), "AGION_URL": "http://gw:8080/", "AGION_TIMEOUT_MS": "250"})
    assert settings.transport == "http" and settings.api_key == "agion_1234_secret"
    assert settings.url == "http://gw:8080" and settings.timeout == 0.25
    nats = Settings.from_env({"AGION_NATS_URL": "nats://n:4222", "AGION_TENANT": "acme", "AGION_API_KEY": "k"})
    assert nats.transport == "nats" and nats.tenant == "acme" and nats.nats_url == "nats://n:4222"
    with pytest.raises(ValueError):
        Settings.from_env({"AGION_TRANSPORT": "carrier-pigeon"})
    with pytest.raises(ValueError):
        Settings.from_env({"AGION_TIMEOUT_MS": "soon"})
