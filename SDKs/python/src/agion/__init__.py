"""Agion's Python SDK: govern what agents do, and run agents that Agion's
missions call. docs/sdk-python.md is the guide.

    from agion import GovernanceClient, with_governance

    governance = GovernanceClient()          # configuration from the environment

    @with_governance("langgraph-v2:chart_generator", "reports.generate")
    async def chart_agent_node(state): ...

    decision = await governance.check("langgraph-v2:chart_generator", "reports.generate", context={"rows": 500})
"""

from .client import GovernanceClient, SyncGovernanceClient
from .config import Settings
from .container import AgentContainer, InvocationContext, progress_subject, run
from .errors import (
    AgentError,
    AgionError,
    ApprovalRequired,
    Conflict,
    Forbidden,
    InvalidArgument,
    NotFound,
    ObligationNotHandled,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from .governance import apply_obligations, current_decision, default_client, with_governance
from .types import AgentRegistration, Decision, Effect, Obligation, Outcome, TrustScore, Usage, ValidationResult, Violation

__version__ = "0.1.0"

__all__ = [
    "AgentContainer", "AgentError", "AgentRegistration", "AgionError", "ApprovalRequired", "Conflict", "Decision", "Effect",
    "Forbidden", "GovernanceClient", "InvalidArgument", "InvocationContext", "NotFound", "Obligation", "ObligationNotHandled",
    "Outcome", "PermissionDenied", "Settings", "SyncGovernanceClient", "TrustScore", "Unauthenticated", "Unavailable", "Usage",
    "ValidationResult", "Violation", "apply_obligations", "current_decision", "default_client", "progress_subject",
    "run", "with_governance",
]
