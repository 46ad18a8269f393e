"""Typed results, built from the contract messages (whichever transport carried them)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from .v1 import governance_pb2 as gpb
from .v1 import missions_pb2 as mpb
from .v1 import registry_pb2 as rpb


class Effect(str, enum.Enum):
    ALLOW = "allow"
    DENY = "deny"
    REQUIRE_APPROVAL = "require_approval"


class Outcome(str, enum.Enum):
    """What happened when an agent ran, for ``report``."""

    SUCCESS = "success"
    FAILURE = "failure"
    TIMEOUT = "timeout"

    @property
    def proto(self) -> int:
        return {Outcome.SUCCESS: gpb.ExecutionReport.OUTCOME_SUCCESS, Outcome.FAILURE: gpb.ExecutionReport.OUTCOME_FAILURE,
                Outcome.TIMEOUT: gpb.ExecutionReport.OUTCOME_TIMEOUT}[self]


@dataclass(frozen=True)
class Obligation:
    """A condition of an allow, for example ``redact`` (``fields``) or ``max_tokens`` (``value``)."""

    kind: str
    parameters: dict[str, str] = field(default_factory=dict)

    def values(self, name: str) -> list[str]:
        """A comma-separated parameter as a list (``redact``'s ``fields``)."""
        text = self.parameters.get(name, "")
        return [part.strip() for part in text.split(",") if part.strip()]


@dataclass(frozen=True)
class Decision:
    decision_id: str
    effect: Effect
    reasons: list[str]
    rule_ids: list[str]
    obligations: list[Obligation]
    trust_score: float
    policy_revision: int
    # A deny because governance could not decide (its database or Redis away), not a rule's.
    fail_closed: bool = False

    @property
    def allowed(self) -> bool:
        return self.effect is Effect.ALLOW

    def obligation(self, kind: str) -> Obligation | None:
        return next((o for o in self.obligations if o.kind == kind), None)

    @classmethod
    def from_proto(cls, message: gpb.Decision) -> "Decision":
        effect = {gpb.Decision.EFFECT_ALLOW: Effect.ALLOW, gpb.Decision.EFFECT_REQUIRE_APPROVAL: Effect.REQUIRE_APPROVAL}.get(
            message.effect, Effect.DENY)  # an unknown effect is not an allow
        return cls(
            decision_id=message.decision_id,
            effect=effect,
            reasons=list(message.reasons),
            rule_ids=list(message.rule_ids),
            obligations=[Obligation(o.kind, {h.key: h.value for h in o.parameters}) for o in message.obligations],
            trust_score=message.trust_score,
            policy_revision=message.policy_revision,
            fail_closed=message.fail_closed,
        )


@dataclass(frozen=True)
class Violation:
    rule_id: str
    kind: str
    message: str
    field: str


@dataclass(frozen=True)
class ValidationResult:
    validation_id: str
    passed: bool
    violations: list[Violation]
    trust_score: float
    policy_revision: int

    @classmethod
    def from_proto(cls, message: gpb.ValidationResult) -> "ValidationResult":
        return cls(message.validation_id, message.passed,
                   [Violation(v.rule_id, v.kind, v.message, v.field) for v in message.violations],
                   message.trust_score, message.policy_revision)


@dataclass(frozen=True)
class TrustScore:
    agent_id: str
    capability: str
    score: float
    evidence: float
    updated_at_unix_nanos: int

    @classmethod
    def from_proto(cls, message: gpb.TrustScore) -> "TrustScore":
        return cls(message.agent_id, message.capability, message.score, message.evidence, message.updated_at_unix_nanos)


@dataclass
class Usage:
    """What an invocation consumed; counts towards the mission's budget."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, input_tokens: int = 0, output_tokens: int = 0, cost_usd: float = 0.0) -> None:
        if input_tokens < 0 or output_tokens < 0 or cost_usd < 0:
            raise ValueError("usage cannot be negative")
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.cost_usd += cost_usd

    def to_proto(self) -> mpb.Usage:
        return mpb.Usage(input_tokens=self.input_tokens, output_tokens=self.output_tokens, cost_usd=self.cost_usd)

    def to_json(self) -> dict[str, Any]:
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens, "cost_usd": self.cost_usd}


@dataclass(frozen=True)
class AgentRegistration:
    """An agent as the registry stored it."""

    id: str
    container: str
    version: str
    capabilities: list[str]
    endpoint_kind: str
    endpoint_address: str

    @classmethod
    def from_proto(cls, agent: rpb.Agent) -> "AgentRegistration":
        kind = {rpb.AgentEndpoint.KIND_HTTP: "http", rpb.AgentEndpoint.KIND_NATS: "nats"}.get(agent.endpoint.kind, "")
        return cls(agent.id, agent.container, agent.version, list(agent.capabilities), kind, agent.endpoint.address)
