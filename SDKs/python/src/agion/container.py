"""``AgentContainer``: an agent container on the SDK (docs/agent-contract.md).

It declares its agents, registers them on start, heartbeats in the background,
serves their invocations (over NATS on ``agion.tenant.<tenant>.agent.<agent_id>.invoke``, or the
HTTP container contract), and on SIGTERM deregisters them, finishes what it holds
and stops, within 30 s. One agent code base runs either way::

    container = AgentContainer("research")

    @container.agent("analyst", capabilities=["research"])
    async def analyst(input, ctx):
        await ctx.progress("searching", percent=10)
        ctx.add_usage(input_tokens=120, output_tokens=80)
        return {"facts": [...]}

    container.run()          # serve="nats" (default) or serve="http"
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import signal
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from . import _methods as methods
from ._envelope import envelope, error_envelope
from ._transport import NatsTransport, connect_nats
from ._values import JSON, from_value, to_value
from .client import GovernanceClient
from .errors import AgentError, AgionError, NotFound
from .types import Usage
from .v1 import envelope_pb2
from .v1 import missions_pb2 as mpb
from .v1 import registry_pb2 as rpb

log = logging.getLogger("agion.container")

Handler = Callable[[JSON, "InvocationContext"], Awaitable[JSON] | JSON]
ProgressSink = Callable[[mpb.StepProgress], Awaitable[None]]


@dataclass
class AgentSpec:
    """One agent of the container, as it registers."""

    id: str
    handler: Handler
    capabilities: list[str]
    version: str = "1"
    description: str = ""
    type: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    def proto(self, endpoint: rpb.AgentEndpoint) -> rpb.Agent:
        return rpb.Agent(id=self.id, type=self.type, description=self.description, capabilities=self.capabilities,
                         version=self.version, endpoint=endpoint,
                         metadata=[envelope_pb2.Header(key=k, value=v) for k, v in sorted(self.metadata.items())])


class InvocationContext:
    """What the handler knows about the step it runs, and how it talks back."""

    def __init__(self, *, agent_id: str, tenant: str, mission_id: str, step_id: str, attempt: int, idempotency_key: str,
                 action: str, principal: str, deadline_unix_nanos: int, extra: Mapping[str, JSON] | None = None,
                 progress_sink: ProgressSink | None = None) -> None:
        self.agent_id = agent_id
        self.tenant = tenant
        self.mission_id = mission_id
        self.step_id = step_id
        self.attempt = attempt
        self.idempotency_key = idempotency_key
        self.action = action
        self.principal = principal
        self.deadline_unix_nanos = deadline_unix_nanos
        #: Everything else Agion sent about the step (the HTTP contract's
        #: ``context``: ``decision_id``, ``obligations``, ``mission_name``, ...).
        self.extra: dict[str, JSON] = dict(extra or {})
        self.usage = Usage()
        self._sink = progress_sink
        self._sequence = 0

    def add_usage(self, input_tokens: int = 0, output_tokens: int = 0, cost_usd: float = 0.0) -> None:
        """Count what this invocation consumed; it goes back with the result and counts towards the mission's budget."""
        self.usage.add(input_tokens, output_tokens, cost_usd)

    def remaining(self) -> float | None:
        """Seconds until the attempt's deadline, or None without one."""
        if not self.deadline_unix_nanos:
            return None
        return max(0.0, (self.deadline_unix_nanos - time.time_ns()) / 1e9)

    async def progress(self, message: str = "", *, percent: float = 0.0, text: str = "", partial: JSON = None) -> None:
        """Live progress while the step runs: a status, a share done (0-100), text
        to append (tokens), or a partial output. Not stored; subscribers of the
        mission see it as it happens. Never fails the invocation."""
        if self._sink is None or not self.mission_id:
            return
        if not 0.0 <= percent <= 100.0:
            raise ValueError("percent must be 0 to 100")
        self._sequence += 1
        update = mpb.StepProgress(mission_id=self.mission_id, step_id=self.step_id, attempt=self.attempt, agent_id=self.agent_id,
                                  sequence=self._sequence, message=message, percent=percent, text=text,
                                  occurred_at_unix_nanos=time.time_ns())
        if partial is not None:
            update.partial.CopyFrom(to_value(partial))
        try:
            await self._sink(update)
        except Exception as error:  # progress is best effort by design
            log.warning("progress not delivered: %s", error)


def progress_subject(tenant: str, agent_id: str, mission_id: str) -> str:
    """Where an agent's progress on a step of ``mission_id`` goes (core NATS, not stored)."""
    return methods.progress_subject(tenant, agent_id, mission_id)


class _Answers:
    """The answers to idempotency keys, so a repeated attempt (a retry after a
    lost reply, a redelivery after a crash) is answered without doing the work
    again. Answers only, never errors: a failed attempt must be tried again.
    A key whose first attempt is still running is awaited, not run twice."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._done: OrderedDict[tuple[str, str], tuple[JSON, Usage]] = OrderedDict()
        self._running: dict[tuple[str, str], asyncio.Future[tuple[JSON, Usage]]] = {}

    async def run(self, key: tuple[str, str], work: Callable[[], Awaitable[tuple[JSON, Usage]]]) -> tuple[JSON, Usage]:
        if self.capacity <= 0 or not key[1]:
            return await work()
        if key in self._done:
            self._done.move_to_end(key)
            return self._done[key]
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[tuple[JSON, Usage]] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            answer = await work()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it, nobody else must
            raise
        finally:
            self._running.pop(key, None)
        future.set_result(answer)
        self._done[key] = answer
        while len(self._done) > self.capacity:
            self._done.popitem(last=False)
        return answer


class AgentContainer:
    """Agents of one container: ``container:name`` ids, registered and served together.

    ``serve``: ``nats`` (invocations on ``agion.tenant.<tenant>.agent.<agent_id>.invoke``, queue
    group per agent so replicas share them) or ``http`` (the container
    contract on ``host:port``; ``url`` is how Agion reaches it, default
    ``AGENT_URL`` or ``http://<host>:<port>``).
    """

    def __init__(self, name: str, *, client: GovernanceClient | None = None, serve: Literal["nats", "http"] = "nats",
                 host: str | None = None, port: int | None = None, url: str | None = None,
                 heartbeat_seconds: float | None = None, max_concurrency: int = 16, remember_answers: int = 10_000,
                 shutdown_grace: float = 25.0) -> None:
        if not name or ":" in name:
            raise ValueError("a container name is non-empty and has no ':'")
        self.name = name
        self.client = client or GovernanceClient()
        self.serve = serve
        self.host = host or os.environ.get("AGENT_HOST", "127.0.0.1")
        self.port = int(port if port is not None else os.environ.get("AGENT_PORT", "8080"))
        self._url = url or os.environ.get("AGENT_URL")
        self.heartbeat_seconds = heartbeat_seconds or float(os.environ.get("AGENT_HEARTBEAT_SECONDS", "10"))
        self.max_concurrency = max_concurrency
        self.shutdown_grace = shutdown_grace
        self.agents: dict[str, AgentSpec] = {}
        self._answers = _Answers(remember_answers)
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._slots = asyncio.Semaphore(max_concurrency) if max_concurrency > 0 else None
        self._nats: NATS | None = None
        self._owns_nats = False
        self._subscriptions: list[Subscription] = []
        self._runner: web.AppRunner | None = None
        self._heartbeats: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        self._started = False
        self._stopping = False

    # MARK: declaring agents

    def agent(self, name: str, *, capabilities: list[str], version: str = "1", description: str = "", type: str = "",
              metadata: Mapping[str, str] | None = None) -> Callable[[Handler], Handler]:
        """Declare an agent ``<container>:<name>`` served by the decorated ``handler(input, ctx)``."""

        def decorate(handler: Handler) -> Handler:
            self.add_agent(name, handler, capabilities=capabilities, version=version, description=description, type=type,
                           metadata=metadata)
            return handler

        return decorate

    def add_agent(self, name: str, handler: Handler, *, capabilities: list[str], version: str = "1", description: str = "",
                  type: str = "", metadata: Mapping[str, str] | None = None) -> AgentSpec:
        agent_id = f"{self.name}:{name}"
        if self._started:
            raise RuntimeError("agents are declared before the container starts")
        if agent_id in self.agents:
            raise ValueError(f"{agent_id} is declared twice")
        spec = AgentSpec(agent_id, handler, list(capabilities), version, description, type, dict(metadata or {}))
        self.agents[agent_id] = spec
        return spec

    @property
    def url(self) -> str:
        return self._url or f"http://{self.host}:{self.port}"

    def invoke_subject(self, agent_id: str) -> str:
        return methods.invoke_subject(self.client.settings.tenant, agent_id)

    # MARK: lifecycle

    async def start(self) -> None:
        """Serve, then register every agent (retrying until Agion answers), then heartbeat."""
        if not self.agents:
            raise RuntimeError("the container declares no agents")
        self._started = True
        if self.serve == "nats" or self.client.settings.transport == "nats":
            await self._connect_nats()
        if self.serve == "nats":
            for agent_id in self.agents:
                self._subscriptions.append(await self._nats_or_raise().subscribe(
                    self.invoke_subject(agent_id), queue=agent_id, cb=self._on_nats_invocation))
        else:
            await self._start_http()
        await self._register_until_accepted()
        self._heartbeats = asyncio.create_task(self._heartbeat_loop(), name=f"agion-heartbeats-{self.name}")
        log.info("container %s serving %s over %s", self.name, ", ".join(self.agents), self.serve)

    async def stop(self, reason: str = "shutdown") -> None:
        """Deregister every agent, stop taking invocations, finish those in hand (up to ``shutdown_grace``), close."""
        if self._stopping:
            await self._stopped.wait()
            return
        self._stopping = True
        if self._heartbeats is not None:
            self._heartbeats.cancel()
        for agent_id in self.agents:
            try:
                await asyncio.wait_for(self.client.deregister(agent_id, reason=reason), timeout=5)
            except (AgionError, asyncio.TimeoutError) as error:
                log.warning("deregistering %s failed: %s", agent_id, error)
        for subscription in self._subscriptions:
            try:
                await subscription.unsubscribe()
            except Exception as error:  # the connection may already be gone
                log.debug("unsubscribe: %s", error)
        if self._in_flight:
            await asyncio.wait(list(self._in_flight), timeout=self.shutdown_grace)
        if self._runner is not None:
            await self._runner.cleanup()
        if self._nats is not None and self._owns_nats and not self._nats.is_closed:
            await self._nats.drain()
        await self.client.close()
        self._stopped.set()

    async def run_async(self) -> None:
        """Start, serve until SIGTERM or SIGINT, then stop gracefully."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await self.start()
            await stop.wait()
            log.info("container %s stopping", self.name)
        finally:
            await self.stop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    def run(self) -> None:
        """Serve until SIGTERM or SIGINT (on uvloop when it is installed: ``agion[fast]``)."""
        run(self.run_async())


    # MARK: registration and heartbeats

    def _endpoint(self, agent_id: str) -> rpb.AgentEndpoint:
        if self.serve == "nats":
            return rpb.AgentEndpoint(kind=rpb.AgentEndpoint.KIND_NATS, address=self.invoke_subject(agent_id))
        return rpb.AgentEndpoint(kind=rpb.AgentEndpoint.KIND_HTTP, address=self.url)

    async def _register(self) -> None:
        await self.client.register(self.name, [spec.proto(self._endpoint(spec.id)) for spec in self.agents.values()])

    async def _register_until_accepted(self) -> None:
        pause = 0.25
        while True:
            try:
                await self._register()
                return
            except AgionError as error:
                if not error.retriable:
                    raise
                log.warning("registering %s: %s; again in %.1f s", self.name, error, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)

    async def _heartbeat_loop(self) -> None:
        ttl = max(1, min(3600, round(self.heartbeat_seconds * 3)))
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                for agent_id in self.agents:
                    await self.client.heartbeat(agent_id, ttl_seconds=ttl, load={"in_flight": str(len(self._in_flight))})
            except NotFound:
                # The registry does not know an agent (a wiped database, a
                # deregistration by an operator): register again.
                log.warning("an agent of %s is unknown to the registry; registering again", self.name)
                await self._register_quietly()
            except AgionError as error:
                log.warning("heartbeat of %s failed: %s", self.name, error)

    async def _register_quietly(self) -> None:
        try:
            await self._register()
        except AgionError as error:
            log.warning("registering %s again failed: %s", self.name, error)

    # MARK: running an invocation (both transports)

    async def _invoke(self, spec: AgentSpec, input: JSON, context: InvocationContext) -> tuple[JSON, Usage]:
        async def work() -> tuple[JSON, Usage]:
            result = spec.handler(input, context)
            if inspect.isawaitable(result):
                remaining = context.remaining()
                result = await (asyncio.wait_for(result, timeout=remaining) if remaining is not None else result)
            return result, context.usage

        return await self._answers.run((spec.id, context.idempotency_key), work)

    def _track(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    # MARK: NATS

    async def _connect_nats(self) -> None:
        transport = await self.client.transport()
        if isinstance(transport, NatsTransport):
            self._nats = transport.connection
        else:
            self._nats = await connect_nats(self.client.settings, name=f"agion-container-{self.name}")
            self._owns_nats = True

    def _nats_or_raise(self) -> NATS:
        if self._nats is None:
            raise RuntimeError("not connected to NATS")
        return self._nats

    async def _publish_progress(self, tenant: str, agent_id: str, update: mpb.StepProgress) -> None:
        await self._nats_or_raise().publish(progress_subject(tenant, agent_id, update.mission_id),
                                            envelope(update, tenant=tenant).SerializeToString())

    async def _on_nats_invocation(self, message: Msg) -> None:
        # nats-py runs a subscription's callbacks one after another: hand each
        # invocation to a task of its own so they run concurrently.
        if not message.reply:
            return
        if self._stopping or (self._slots is not None and self._slots.locked()):
            await self._reply(message, error_envelope("overloaded", "the container is busy or stopping", retriable=True, tenant=""))
            return
        self._track(self._serve_nats(message))

    async def _serve_nats(self, message: Msg) -> None:
        tenant = ""
        try:
            if self._slots is not None:
                await self._slots.acquire()
            try:
                request = envelope_pb2.Envelope.FromString(message.data)
                tenant = request.tenant
                invocation = mpb.AgentInvocation.FromString(request.payload)
            except Exception as error:
                await self._reply(message, error_envelope("decode_failed", f"not an AgentInvocation envelope: {error}",
                                                          retriable=False, tenant=tenant))
                return
            spec = self.agents.get(invocation.agent_id) or next(
                (spec for agent_id, spec in self.agents.items() if self.invoke_subject(agent_id) == message.subject), None)
            if spec is None:
                await self._reply(message, error_envelope("not_found", f"{invocation.agent_id} is not served here", retriable=False, tenant=tenant))
                return
            context = InvocationContext(
                agent_id=spec.id, tenant=tenant, mission_id=invocation.mission_id, step_id=invocation.step_id,
                attempt=invocation.attempt, idempotency_key=invocation.idempotency_key, action=invocation.action,
                principal=invocation.principal, deadline_unix_nanos=invocation.deadline_unix_nanos,
                progress_sink=lambda update: self._publish_progress(tenant, spec.id, update))
            reply = await self._answer(spec, from_value(invocation.input) if invocation.HasField("input") else None, context, tenant)
            await self._reply(message, reply)
        finally:
            if self._slots is not None:
                self._slots.release()

    async def _answer(self, spec: AgentSpec, input: JSON, context: InvocationContext, tenant: str) -> envelope_pb2.Envelope:
        try:
            output, usage = await self._invoke(spec, input, context)
            return envelope(mpb.AgentResult(output=to_value(output), usage=usage.to_proto()), tenant=tenant)
        except Exception as error:
            failure = _failure(error, spec.id)
            return error_envelope(failure.code, failure.message, retriable=failure.retriable, tenant=tenant)

    async def _reply(self, message: Msg, reply: envelope_pb2.Envelope) -> None:
        try:
            await message.respond(reply.SerializeToString())
        except Exception as error:  # the caller gave up, or NATS is away: it will retry
            log.warning("reply not sent: %s", error)

    # MARK: HTTP (the container contract)

    async def _start_http(self) -> None:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_get("/health", self._http_health)
        app.router.add_get("/agents", self._http_agents)
        app.router.add_post("/agents/{agent_id}/invoke", self._http_invoke)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=self.shutdown_grace)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    async def _http_health(self, _: web.Request) -> web.Response:
        if self._stopping:
            return web.json_response({"status": "stopping"}, status=503)
        return web.json_response({"status": "ok"})

    async def _http_agents(self, _: web.Request) -> web.Response:
        return web.json_response({"agents": [{"id": s.id, "capabilities": s.capabilities, "version": s.version}
                                             for s in self.agents.values()]})

    async def _http_invoke(self, request: web.Request) -> web.StreamResponse:
        spec = self.agents.get(request.match_info["agent_id"])
        if spec is None:
            return _problem(404, "not-found", f"{request.match_info['agent_id']} is not served here")
        if self._stopping:
            return _problem(503, "stopping", "the container is stopping", retry_after=True)
        try:
            body = json.loads(await request.read())
        except ValueError as error:
            return _problem(400, "invalid-json", f"the body is not JSON: {error}")
        if not isinstance(body, dict) or not isinstance(body.get("context", {}), dict):
            return _problem(400, "invalid-request", "the body is {\"input\": ..., \"context\": {...}}")
        ctx: dict[str, Any] = body.get("context") or {}
        streaming = "text/event-stream" in request.headers.get("Accept", "")
        stream: web.StreamResponse | None = None
        if streaming:
            stream = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
            await stream.prepare(request)

        tenant = str(ctx.get("tenant", ""))

        async def sink(update: mpb.StepProgress) -> None:
            # Streamed to the caller when it asked for events; also published
            # on NATS when this container has a connection.
            if stream is not None:
                await _sse(stream, "progress", _progress_json(update))
            if self._nats is not None and tenant:
                await self._publish_progress(tenant, update)

        known = {"tenant", "mission_id", "step_id", "attempt", "idempotency_key", "action", "principal"}
        context = InvocationContext(
            agent_id=spec.id, tenant=tenant, mission_id=str(ctx.get("mission_id", "")), step_id=str(ctx.get("step_id", "")),
            attempt=int(request.headers.get("Agion-Attempt") or ctx.get("attempt") or 1),
            idempotency_key=request.headers.get("Idempotency-Key") or str(ctx.get("idempotency_key", "")),
            action=str(ctx.get("action", "")), principal=str(ctx.get("principal", "")),
            deadline_unix_nanos=_deadline(ctx), extra={k: v for k, v in ctx.items() if k not in known}, progress_sink=sink)
        self._in_flight.add(task := asyncio.current_task())  # type: ignore[arg-type]
        try:
            output, usage = await self._invoke(spec, body.get("input"), context)
            result = {"output": output, "usage": usage.to_json()}
            json.dumps(result)  # a handler's answer that is not JSON fails here, as a clear error
        except Exception as error:
            failure = _failure(error, spec.id)
            return await _fail(stream, failure.status, failure.code, failure.message, failure.retriable)
        finally:
            self._in_flight.discard(task)  # type: ignore[arg-type]
        if stream is not None:
            await _sse(stream, "result", result)
            await stream.write_eof()
            return stream
        return web.json_response(result)


@dataclass(frozen=True)
class _Failure:
    code: str
    message: str
    retriable: bool
    #: The HTTP contract's status for it (docs/agent-contract.md).
    status: int


def _failure(error: Exception, agent_id: str) -> _Failure:
    """How a handler's exception is answered, the same over NATS and HTTP."""
    if isinstance(error, (AgentError, AgionError)):
        # AgionError: Agion said no to something the handler asked (a governed
        # node denied: permanent unless fail-closed; governance away: retriable).
        return _Failure(error.code, error.message, error.retriable, 503 if error.retriable else 422)
    if isinstance(error, asyncio.TimeoutError):
        return _Failure("timeout", "the attempt's deadline passed", True, 504)
    if isinstance(error, (TypeError, ValueError)):
        # The handler answered something that is not JSON (or too deep).
        return _Failure("invalid_output", f"the agent's answer is not a JSON value: {error}", False, 500)
    log.error("agent %s failed", agent_id, exc_info=error)
    return _Failure("internal", f"{type(error).__name__}: {error}", True, 500)


def _deadline(ctx: Mapping[str, Any]) -> int:
    timeout = ctx.get("timeout_seconds")
    if isinstance(timeout, (int, float)) and timeout > 0:
        return time.time_ns() + int(timeout * 1e9)
    return 0


def _progress_json(update: mpb.StepProgress) -> dict[str, Any]:
    out: dict[str, Any] = {"sequence": update.sequence, "step_id": update.step_id, "attempt": update.attempt}
    if update.message:
        out["message"] = update.message
    if update.percent:
        out["percent"] = update.percent
    if update.text:
        out["text"] = update.text
    if update.HasField("partial"):
        out["partial"] = from_value(update.partial)
    return out


async def _sse(stream: web.StreamResponse, event: str, data: Any) -> None:
    await stream.write(f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode())


def _problem(status: int, slug: str, detail: str, *, retry_after: bool = False) -> web.Response:
    headers = {"Retry-After": "1"} if retry_after else None
    return web.json_response({"type": f"https://agion.dev/problems/{slug}", "status": status, "detail": detail},
                             status=status, content_type="application/problem+json", headers=headers)


async def _fail(stream: web.StreamResponse | None, status: int, code: str, message: str, retriable: bool) -> web.StreamResponse:
    if stream is not None:
        await _sse(stream, "error", {"code": code, "message": message, "retriable": retriable})
        await stream.write_eof()
        return stream
    return web.json_response({"error": {"code": code, "message": message, "retriable": retriable}}, status=status)


def run(main: Awaitable[Any]) -> Any:
    """``asyncio.run``, on uvloop when it is installed (``pip install agion[fast]``)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)  # type: ignore[arg-type]
    return uvloop.run(main)  # type: ignore[arg-type]
