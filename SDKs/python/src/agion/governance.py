"""``with_governance``: one line to govern a function (a LangGraph node, a tool,
any sync or async callable). Before the function runs, governance is asked;
``deny`` raises ``PermissionDenied``, ``require_approval`` raises
``ApprovalRequired`` or waits, and ``allow`` runs it under the decision's
obligations.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, cast

from ._values import JSON
from .client import GovernanceClient
from .errors import ApprovalRequired, ObligationNotHandled, PermissionDenied
from .types import Decision, Effect

F = TypeVar("F", bound=Callable[..., Any])

#: Obligations the SDK applies itself. ``redact``: the named top-level fields of
#: a mapping the function returns become ``"[redacted]"`` (as Agion does to a
#: step's output).
APPLIED_OBLIGATIONS = frozenset({"redact"})
REDACTED = "[redacted]"

_current: contextvars.ContextVar[Decision | None] = contextvars.ContextVar("agion_decision", default=None)
_default: GovernanceClient | None = None
_default_lock = threading.Lock()


def current_decision() -> Decision | None:
    """The decision the innermost governed function runs under, if any."""
    return _current.get()


def default_client() -> GovernanceClient:
    """The client ``with_governance`` uses when given none: settings from the environment."""
    global _default
    with _default_lock:
        if _default is None:
            _default = GovernanceClient()
        return _default


ContextSource = Mapping[str, JSON] | Callable[..., Mapping[str, JSON]] | None


def with_governance(agent_id: str, action: str, *, context: ContextSource = None, principal: str | Callable[..., str] = "",
                    client: GovernanceClient | None = None, on_approval: Literal["raise", "wait"] | None = None,
                    approval_timeout: float | None = None,
                    obligations: Literal["enforce", "pass"] = "enforce") -> Callable[[F], F]:
    """Govern a function: ``agent_id`` may run it only where governance allows ``action``.

    - ``context``: a mapping, or a callable given the function's arguments that
      returns one (``context=lambda state: {"rows": len(state["rows"])}``).
    - ``on_approval``: ``raise`` (``ApprovalRequired``) or ``wait``: ask again,
      backing off from 1 s to 15 s, until the answer is no longer
      ``require_approval`` or ``approval_timeout`` passes (default from the settings).
    - ``obligations``: ``enforce`` (the default) fails closed with
      ``ObligationNotHandled`` when the decision carries an obligation the SDK
      does not apply (only ``redact``) and the function has no ``decision``
      parameter to take it; ``pass`` leaves them to the function, which reads
      ``current_decision()``. A function with a ``decision`` parameter gets the
      ``Decision``.
    """

    def decorate(function: F) -> F:
        takes_decision = "decision" in inspect.signature(function).parameters

        def prepare(decision: Decision, kwargs: dict[str, Any]) -> None:
            unapplied = [o.kind for o in decision.obligations if o.kind not in APPLIED_OBLIGATIONS]
            if unapplied and not takes_decision and obligations == "enforce":
                raise ObligationNotHandled(unapplied, decision)
            if takes_decision:
                kwargs["decision"] = decision

        if inspect.iscoroutinefunction(function):
            @functools.wraps(function)
            async def governed(*args: Any, **kwargs: Any) -> Any:
                gov = client or default_client()
                ask = functools.partial(gov.check, agent_id, action, _context(context, args, kwargs),
                                        principal=_principal(principal, args, kwargs))
                decision = await _decide_async(ask, gov, on_approval, approval_timeout)
                prepare(decision, kwargs)
                token = _current.set(decision)
                try:
                    result = await function(*args, **kwargs)
                finally:
                    _current.reset(token)
                return apply_obligations(decision, result)

            return cast(F, governed)

        @functools.wraps(function)
        def governed_sync(*args: Any, **kwargs: Any) -> Any:
            gov = client or default_client()
            ask = functools.partial(gov.sync.check, agent_id, action, _context(context, args, kwargs),
                                    principal=_principal(principal, args, kwargs))
            decision = _decide_sync(ask, gov, on_approval, approval_timeout)
            prepare(decision, kwargs)
            token = _current.set(decision)
            try:
                result = function(*args, **kwargs)
            finally:
                _current.reset(token)
            return apply_obligations(decision, result)

        return cast(F, governed_sync)

    return decorate


def apply_obligations(decision: Decision, result: Any) -> Any:
    """``redact``: the named top-level fields of a mapping result become ``"[redacted]"``."""
    if not isinstance(result, Mapping):
        return result
    names = {name for o in decision.obligations if o.kind == "redact" for name in o.values("fields")}
    if not names or not names.intersection(result.keys()):
        return result
    return {key: (REDACTED if key in names else value) for key, value in result.items()}


def _context(source: ContextSource, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Mapping[str, JSON] | None:
    return source(*args, **kwargs) if callable(source) else source


def _principal(source: str | Callable[..., str], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    return source(*args, **kwargs) if callable(source) else source


def _verdict(decision: Decision) -> Decision:
    if decision.effect is Effect.DENY:
        raise PermissionDenied(decision)
    if decision.effect is Effect.REQUIRE_APPROVAL:
        raise ApprovalRequired(decision)
    return decision


def _approval_policy(gov: GovernanceClient, on_approval: str | None, timeout: float | None) -> tuple[str, float]:
    return on_approval or gov.settings.on_approval, gov.settings.approval_timeout if timeout is None else timeout


async def _decide_async(ask: Callable[[], Any], gov: GovernanceClient, on_approval: str | None, timeout: float | None) -> Decision:
    mode, limit = _approval_policy(gov, on_approval, timeout)
    decision: Decision = await ask()
    deadline, pause = time.monotonic() + limit, 1.0
    while decision.effect is Effect.REQUIRE_APPROVAL and mode == "wait" and time.monotonic() + pause < deadline:
        await asyncio.sleep(pause)
        pause = min(pause * 2, 15.0)
        decision = await ask()
    return _verdict(decision)


def _decide_sync(ask: Callable[[], Decision], gov: GovernanceClient, on_approval: str | None, timeout: float | None) -> Decision:
    mode, limit = _approval_policy(gov, on_approval, timeout)
    decision = ask()
    deadline, pause = time.monotonic() + limit, 1.0
    while decision.effect is Effect.REQUIRE_APPROVAL and mode == "wait" and time.monotonic() + pause < deadline:
        time.sleep(pause)
        pause = min(pause * 2, 15.0)
        decision = ask()
    return _verdict(decision)
