"""Typed errors. Every error the services or the gateway answer arrives as an
``AgionError`` with the stable ``code`` (docs/subjects.md and docs/gateway.md
list them), a human-readable ``message``, the offending ``field`` when one is
to blame, and ``retriable``: whether the same call may succeed later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .types import Decision


class AgionError(Exception):
    """An error answered by Agion (or the transport to it)."""

    code: str
    message: str
    retriable: bool
    field: str

    def __init__(self, code: str, message: str, *, retriable: bool = False, field: str = "") -> None:
        super().__init__(f"{code}: {message}" + (f" ({field})" if field else ""))
        self.code = code
        self.message = message
        self.retriable = retriable
        self.field = field


class InvalidArgument(AgionError):
    """The request does not fit the contract (``invalid_argument``, ``decode_failed``)."""


class NotFound(AgionError):
    """No such agent, mission, revision, or a tenant governance does not know (``not_found``, ``unknown_tenant``)."""


class Conflict(AgionError):
    """The request contradicts the current state (``conflict``, ``failed_precondition``, ...)."""


class Unauthenticated(AgionError):
    """No valid credential (HTTP 401)."""


class Forbidden(AgionError):
    """The credential may not do this (``permission_denied``, HTTP 403): an agent key acting for another agent."""


class Unavailable(AgionError):
    """Agion cannot answer now: a service down or overloaded, NATS unreachable, a timeout. Retriable."""

    def __init__(self, code: str, message: str, *, retriable: bool = True, field: str = "") -> None:
        super().__init__(code, message, retriable=retriable, field=field)


class PermissionDenied(AgionError):
    """Governance denied the action (``effect: deny``); ``decision`` says which rules and why.

    ``retriable`` is true only for a deny that is fail-closed (governance could
    not decide soundly): the same check may be allowed once it can.
    """

    def __init__(self, decision: "Decision") -> None:
        reasons = "; ".join(decision.reasons) or "denied"
        super().__init__("denied", reasons, retriable=decision.fail_closed)
        self.decision = decision


class ApprovalRequired(AgionError):
    """Governance requires a human approval before the action (``effect: require_approval``)."""

    def __init__(self, decision: "Decision") -> None:
        super().__init__("approval_required", "; ".join(decision.reasons) or "approval required", retriable=True)
        self.decision = decision


class ObligationNotHandled(AgionError):
    """The decision carries obligations the SDK cannot apply and the function does not take.

    Obligations are conditions of the allow: an action whose obligations nobody
    applies is not allowed. Take a ``decision`` parameter (and apply them), or
    pass ``obligations="pass"`` to ``with_governance``.
    """

    def __init__(self, kinds: list[str], decision: "Decision") -> None:
        super().__init__("obligation_not_handled", f"nothing applies the obligations {', '.join(kinds)}")
        self.decision = decision
        self.kinds = kinds


class AgentError(Exception):
    """Raised by an agent's handler to fail an invocation with a stated reason.

    ``retriable=True`` asks Agion to try the step again (a transient fault: a
    downstream API is down); ``False`` says another attempt would fail the same
    way (the input is unusable). Over HTTP these are answered 503 and 422.
    """

    def __init__(self, message: str, *, retriable: bool = False, code: str = "agent_error") -> None:
        super().__init__(message)
        self.message = message
        self.retriable = retriable
        self.code = code


_BY_CODE: dict[str, type[AgionError]] = {
    "invalid_argument": InvalidArgument,
    "decode_failed": InvalidArgument,
    "not_found": NotFound,
    "unknown_tenant": NotFound,
    "conflict": Conflict,
    "failed_precondition": Conflict,
    "budget_exceeded": Conflict,
    "cancelled": Conflict,
    "permission_denied": Forbidden,
    "unauthenticated": Unauthenticated,
    "unavailable": Unavailable,
    "overloaded": Unavailable,
    "resource_exhausted": Unavailable,
    "timeout": Unavailable,
    "deadline_exceeded": Unavailable,
}

# The gateway's problem types (after https://agion.dev/problems/) as service codes.
PROBLEM_CODES: dict[str, str] = {
    "invalid-json": "invalid_argument",
    "invalid-request": "invalid_argument",
    "payload-too-large": "invalid_argument",
    "unsupported-media-type": "invalid_argument",
    "unauthenticated": "unauthenticated",
    "forbidden": "permission_denied",
    "not-found": "not_found",
    "unknown-tenant": "unknown_tenant",
    "method-not-allowed": "invalid_argument",
    "conflict": "conflict",
    "failed-precondition": "failed_precondition",
    "budget-exceeded": "budget_exceeded",
    "cancelled": "cancelled",
    "deadline-exceeded": "deadline_exceeded",
    "rate-limited": "overloaded",
    "service-timeout": "timeout",
    "service-unavailable": "unavailable",
    "internal": "internal",
}


def error_for(code: str, message: str, *, retriable: bool, field: str = "") -> AgionError:
    """The typed error for a code; a code this SDK does not know is a plain ``AgionError``."""
    cls = _BY_CODE.get(code, AgionError)
    return cls(code, message, retriable=retriable, field=field)
