"""``GovernanceClient``: check, validate, report and feedback (and the registry
calls an agent container makes), over NATS or HTTP, async first.

One client may be shared by a whole program. Its connection belongs to an event
loop, so a client used from several loops (tests, a sync caller beside async
code) keeps one connection per loop, opened on first use there.
"""

from __future__ import annotations

import asyncio
import json
import threading
import weakref
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, TypeVar

from . import _methods as methods
from ._transport import HttpTransport, NatsTransport, Transport, connect_nats
from ._values import JSON, to_struct
from .config import Settings
from .types import AgentRegistration, Decision, Outcome, TrustScore, ValidationResult
from .v1 import envelope_pb2
from .v1 import governance_pb2 as gpb
from .v1 import registry_pb2 as rpb

T = TypeVar("T")


class GovernanceClient:
    """Asks governance before an agent acts, and tells it how the agent did.

    ``GovernanceClient()`` reads its settings from the environment
    (``Settings.from_env``); pass ``settings=`` or keyword overrides
    (``GovernanceClient(transport="http", api_key=...)``).
    """

    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        self.settings = Settings.from_env(**overrides) if settings is None else settings
        self._transports: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Transport] = weakref.WeakKeyDictionary()
        self._opening: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()
        self._sync: SyncGovernanceClient | None = None
        # The last loop and its transport, so a call does not look the loop up
        # in the weak map each time (a strong reference to one loop at most).
        self._last: tuple[asyncio.AbstractEventLoop, Transport] | None = None
        self._sync_lock = threading.Lock()

    # MARK: governance

    async def check(self, agent_id: str, action: str, context: Mapping[str, JSON] | None = None, *,
                    principal: str = "", delegation_chain: Sequence[str] = (), traceparent: str = "") -> Decision:
        """May ``agent_id`` perform ``action`` now, with this context, for this principal?

        Returns the decision whatever its effect; ``with_governance`` turns a
        deny into ``PermissionDenied``.
        """
        request = gpb.CheckRequest(agent_id=agent_id, action=action, context=to_struct(context), principal=principal,
                                   delegation_chain=list(delegation_chain))
        return Decision.from_proto(await self._call(methods.CHECK, request, traceparent, agent=agent_id))

    async def validate(self, agent_id: str, action: str, output: JSON | str, *, capability: str = "",
                       execution_id: str = "", traceparent: str = "") -> ValidationResult:
        """Check an agent's output against the tenant's output rules (recorded; counts towards trust).

        A ``str`` is validated as text; anything else as JSON, so required fields apply.
        """
        if isinstance(output, str):
            text, content_type = output, "text/plain"
        else:
            text, content_type = json.dumps(output, separators=(",", ":"), ensure_ascii=False), "application/json"
        request = gpb.ValidateOutputRequest(agent_id=agent_id, action=action, output=text, content_type=content_type,
                                            capability=capability, execution_id=execution_id)
        return ValidationResult.from_proto(await self._call(methods.VALIDATE, request, traceparent, agent=agent_id))

    async def report(self, agent_id: str, outcome: Outcome | str, *, latency_ms: float = 0.0, target_latency_ms: float = 0.0,
                     capability: str = "", execution_id: str = "", traceparent: str = "") -> TrustScore:
        """What happened when the agent ran: its trust moves with it. Returns the agent's new overall trust."""
        request = gpb.ExecutionReport(agent_id=agent_id, capability=capability, outcome=Outcome(outcome).proto,
                                      latency_ms=latency_ms, target_latency_ms=target_latency_ms, execution_id=execution_id)
        return TrustScore.from_proto(await self._call(methods.REPORT, request, traceparent, agent=agent_id))

    async def feedback(self, agent_id: str, rating: int, *, source: str, comment: str = "", capability: str = "",
                       execution_id: str = "", from_agent: str | None = None, traceparent: str = "") -> TrustScore:
        """A user's rating of the agent's work, 1 (bad) to 5 (excellent); ratings from one source are damped.

        Over NATS the rating is passed on by ``from_agent``, another agent of
        this container (an agent never rates itself); over HTTP the API key
        says who passes it on.
        """
        if not 1 <= rating <= 5:
            raise ValueError("rating must be 1 to 5")
        if self.settings.transport == "nats" and not from_agent:
            raise ValueError("over NATS, feedback is passed on by one of your agents: from_agent=...")
        request = gpb.FeedbackRequest(agent_id=agent_id, capability=capability, rating=rating, comment=comment,
                                      source=source, execution_id=execution_id)
        return TrustScore.from_proto(await self._call(methods.FEEDBACK, request, traceparent, agent=from_agent or agent_id))

    # MARK: registry (what an agent container does)

    async def register(self, container: str, agents: Sequence[rpb.Agent]) -> list[AgentRegistration]:
        """Registers each agent with a request of its own: an agent registers only itself."""
        registered = []
        for agent in agents:
            request = rpb.RegisterAgentsRequest(container=container, agents=[agent])
            reply = await self._call(methods.REGISTER, request, "", agent=agent.id)
            registered.extend(AgentRegistration.from_proto(record) for record in reply.agents)
        return registered

    async def heartbeat(self, agent_id: str, *, ttl_seconds: int = 30, load: Mapping[str, str] | None = None) -> str:
        """Returns the agent's status as the registry sees it (``healthy``)."""
        request = rpb.Heartbeat(agent_id=agent_id, ttl_seconds=ttl_seconds,
                                load=[envelope_pb2.Header(key=k, value=str(v)) for k, v in (load or {}).items()])
        reply = await self._call(methods.HEARTBEAT, request, "", agent=agent_id)
        return reply.status

    async def deregister(self, agent_id: str, *, reason: str = "") -> None:
        await self._call(methods.DEREGISTER, rpb.DeregisterAgentRequest(agent_id=agent_id, reason=reason), "", agent=agent_id)

    # MARK: connections

    async def transport(self) -> Transport:
        """This loop's connection to Agion, opened on first use."""
        loop = asyncio.get_running_loop()
        if self._last is not None and self._last[0] is loop:
            return self._last[1]  # the hot path: the same loop as the last call
        transport = self._transports.get(loop)
        if transport is not None:
            self._last = (loop, transport)
            return transport
        lock = self._opening.setdefault(loop, asyncio.Lock())
        async with lock:
            transport = self._transports.get(loop)
            if transport is None:
                transport = await self._open()
                self._transports[loop] = transport
        self._last = (loop, transport)
        return transport

    async def _open(self) -> Transport:
        if self.settings.transport == "http":
            return HttpTransport(self.settings)
        connection = await connect_nats(self.settings, name="agion-sdk-python")
        return NatsTransport(self.settings, connection, owns_connection=True)

    async def _call(self, method: methods.Method, request: Any, traceparent: str, *, agent: str) -> Any:
        return await (await self.transport()).call(method, request, agent=agent, traceparent=traceparent)

    async def close(self) -> None:
        """Closes this loop's connection (and the synchronous twin's, if one was made)."""
        loop = asyncio.get_running_loop()
        transport = self._transports.pop(loop, None)
        self._last = None
        if transport is not None:
            await transport.close()
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def __aenter__(self) -> "GovernanceClient":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def sync(self) -> "SyncGovernanceClient":
        """The same client for synchronous code (``governance.sync.check(...)``)."""
        with self._sync_lock:
            if self._sync is None:
                self._sync = SyncGovernanceClient(self)
            return self._sync


class SyncGovernanceClient:
    """Blocking calls for synchronous code: each runs on a private event loop
    in a background thread, so it works from any thread, including one whose
    own loop is running (it blocks that thread, as a sync call does)."""

    def __init__(self, client: GovernanceClient | None = None, **overrides: Any) -> None:
        self._client = client if client is not None else GovernanceClient(**overrides)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="agion-sdk-sync", daemon=True)
        self._thread.start()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def check(self, agent_id: str, action: str, context: Mapping[str, JSON] | None = None, **options: Any) -> Decision:
        return self._run(self._client.check(agent_id, action, context, **options))

    def validate(self, agent_id: str, action: str, output: JSON | str, **options: Any) -> ValidationResult:
        return self._run(self._client.validate(agent_id, action, output, **options))

    def report(self, agent_id: str, outcome: Outcome | str, **options: Any) -> TrustScore:
        return self._run(self._client.report(agent_id, outcome, **options))

    def feedback(self, agent_id: str, rating: int, **options: Any) -> TrustScore:
        return self._run(self._client.feedback(agent_id, rating, **options))

    def close(self) -> None:
        if self._loop.is_closed():
            return
        transport = self._client._transports.pop(self._loop, None)
        self._client._last = None
        if transport is not None:
            asyncio.run_coroutine_threadsafe(transport.close(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> "SyncGovernanceClient":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
