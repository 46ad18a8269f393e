"""AgentContainer: registration, heartbeats, NATS and HTTP invocation in real
missions, live progress, idempotent answers, errors, and SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import aiohttp
import nats
import pytest

from agion import AgentContainer, AgentError, InvocationContext, progress_subject
from agion.v1 import envelope_pb2, missions_pb2
from conftest import GATEWAY, NATS_URL, Tenant, eventually, free_port, platform_nats


def research_mission(capability: str, **step: object) -> dict:
    return {"name": "sdk", "input": {"topic": "solar"},
            "steps": [{"id": "research", "capability": capability, "action": "research.run",
                       "input": {"topic": {"$ref": "input.topic"}}, **step}]}


@pytest.mark.parametrize("serve", ["nats", "http"])
async def test_a_mission_runs_a_step_on_an_sdk_agent(tenant: Tenant, serve: str) -> None:
    capability = f"sdk-research-{serve}"
    seen: list[InvocationContext] = []
    port = free_port()
    container = AgentContainer("lab", client=tenant.client("nats"), serve=serve, port=port, heartbeat_seconds=0.5)

    @container.agent("analyst", capabilities=[capability], description="finds facts", metadata={"framework": "plain"})
    async def analyst(input: dict, ctx: InvocationContext) -> dict:
        seen.append(ctx)
        ctx.add_usage(input_tokens=12, output_tokens=30, cost_usd=0.002)
        return {"facts": [f"{input['topic']} grew"], "attempt": ctx.attempt}

    await container.start()
    try:
        record = tenant.agent("lab:analyst")
        assert record["agent"]["endpoint"]["kind"] == serve and record["status"] == "healthy"
        assert record["agent"]["metadata"] == {"framework": "plain"}
        mission_id = tenant.submit(research_mission(capability))
        mission = await tenant.finished(mission_id)
        assert mission["status"] == "succeeded", mission
        step = mission["steps"][0]
        assert step["agent_id"] == "lab:analyst" and step["output"] == {"facts": ["solar grew"], "attempt": 1}
        assert step["usage"]["input_tokens"] == "12" and mission["usage"]["output_tokens"] == "30"
        ctx = seen[0]
        assert (ctx.mission_id, ctx.step_id, ctx.attempt, ctx.action) == (mission_id, "research", 1, "research.run")
        assert ctx.idempotency_key == f"{mission_id}/research" and ctx.tenant == tenant.name
        assert ctx.remaining() is not None and 0 < ctx.remaining() <= 300  # type: ignore[operator]

        # Heartbeats keep it healthy past its first TTL (1.5 s here).
        first = int(tenant.agent("lab:analyst")["last_heartbeat_unix_nanos"])
        await asyncio.sleep(2.0)
        again = tenant.agent("lab:analyst")
        assert again["status"] == "healthy" and int(again["last_heartbeat_unix_nanos"]) > first
    finally:
        await container.stop()
    assert tenant.agent("lab:analyst")["status"] == "deregistered"


async def test_progress_is_seen_while_the_step_runs(tenant: Tenant) -> None:
    listener = await platform_nats()
    updates: list[tuple[float, missions_pb2.StepProgress]] = []

    async def heard(message) -> None:  # type: ignore[no-untyped-def]
        env = envelope_pb2.Envelope.FromString(message.data)
        updates.append((time.monotonic(), missions_pb2.StepProgress.FromString(env.payload)))

    await listener.subscribe(f"agion.tenant.{tenant.name}.agent.*.progress.>", cb=heard)
    container = AgentContainer("lab", client=tenant.client("nats"), serve="nats")

    @container.agent("writer", capabilities=["sdk-streaming"])
    async def writer(input: dict, ctx: InvocationContext) -> dict:
        for i, token in enumerate(["Solar ", "storage ", "grew."]):
            await ctx.progress(f"token {i + 1}", percent=(i + 1) * 33, text=token)
            await asyncio.sleep(0.4)
        return {"text": "Solar storage grew."}

    await container.start()
    try:
        mission_id = tenant.submit(research_mission("sdk-streaming"))
        mission = await tenant.finished(mission_id)
        done = time.monotonic()
        assert mission["status"] == "succeeded", mission
        assert [u.text for _, u in updates] == ["Solar ", "storage ", "grew."]
        assert [u.sequence for _, u in updates] == [1, 2, 3]
        assert all(u.mission_id == mission_id and u.step_id == "research" and u.agent_id == "lab:writer" for _, u in updates)
        assert progress_subject(tenant.name, "lab:writer", mission_id) == f"agion.tenant.{tenant.name}.agent.lab:writer.progress.{mission_id}"
        # The first token arrived while the step was still running, not at its end.
        assert done - updates[0][0] > 0.7
    finally:
        await container.stop()
        await listener.drain()


async def test_an_http_caller_asking_for_events_gets_progress_before_the_result(tenant: Tenant) -> None:
    port = free_port()
    container = AgentContainer("lab", client=tenant.client("nats"), serve="http", port=port)

    @container.agent("streamer", capabilities=["sdk-sse"])
    async def streamer(input: dict, ctx: InvocationContext) -> dict:
        await ctx.progress("started", partial={"so_far": 1})
        await asyncio.sleep(0.5)
        await ctx.progress(text="more")
        return {"done": True}

    await container.start()
    try:
        events: list[tuple[float, str]] = []
        async with aiohttp.ClientSession() as session:
            started = time.monotonic()
            async with session.post(f"http://127.0.0.1:{port}/agents/lab:streamer/invoke",
                                    json={"input": {}, "context": {"mission_id": "m1", "step_id": "s", "tenant": tenant.name}},
                                    headers={"Accept": "text/event-stream", "Idempotency-Key": "m1/s"}) as response:
                assert response.headers["Content-Type"].startswith("text/event-stream")
                async for line in response.content:
                    if line.startswith(b"event: "):
                        events.append((time.monotonic() - started, line[7:].decode().strip()))
                    elif line.startswith(b"data: ") and events[-1][1] == "result":
                        assert json.loads(line[6:]) == {"output": {"done": True},
                                                        "usage": {"input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0}}
        assert [name for _, name in events] == ["progress", "progress", "result"]
        assert events[0][0] < 0.4 < events[2][0], events
    finally:
        await container.stop()


async def test_a_repeated_idempotency_key_is_answered_without_running_again(tenant: Tenant) -> None:
    port = free_port()
    container = AgentContainer("lab", client=tenant.client("nats"), serve="http", port=port)
    runs = 0

    @container.agent("once", capabilities=["sdk-once"])
    async def once(input: dict, ctx: InvocationContext) -> dict:
        nonlocal runs
        runs += 1
        mine = runs
        await asyncio.sleep(0.2)
        return {"run": mine}

    await container.start()
    try:
        async with aiohttp.ClientSession() as session:
            async def invoke(key: str) -> dict:
                async with session.post(f"http://127.0.0.1:{port}/agents/lab:once/invoke", json={"input": {}, "context": {}},
                                        headers={"Idempotency-Key": key}) as response:
                    assert response.status == 200
                    return await response.json()

            first, concurrent, later = await asyncio.gather(invoke("k1"), invoke("k1"), invoke("k2"))
            assert first == concurrent and runs == 2, "the concurrent repeat waited for the first answer"
            assert {first["output"]["run"], later["output"]["run"]} == {1, 2}
            assert (await invoke("k1")) == first and runs == 2
            async with session.post(f"http://127.0.0.1:{port}/agents/lab:nobody/invoke", json={}) as missing:
                assert missing.status == 404 and missing.content_type == "application/problem+json"
            async with session.post(f"http://127.0.0.1:{port}/agents/lab:once/invoke", data=b"{not json") as broken:
                assert broken.status == 400
            async with session.get(f"http://127.0.0.1:{port}/agents") as listing:
                assert (await listing.json())["agents"][0]["id"] == "lab:once"
    finally:
        await container.stop()


@pytest.mark.parametrize("serve", ["nats", "http"])
async def test_agent_errors_decide_whether_agion_retries(tenant: Tenant, serve: str) -> None:
    attempts: dict[str, int] = {}
    container = AgentContainer("lab", client=tenant.client("nats"), serve=serve, port=free_port())

    @container.agent("flaky", capabilities=[f"sdk-flaky-{serve}"])
    async def flaky(input: dict, ctx: InvocationContext) -> dict:
        attempts[ctx.step_id] = ctx.attempt
        if input["mode"] == "transient" and ctx.attempt < 2:
            raise AgentError("the search API is down", retriable=True)
        if input["mode"] == "permanent":
            raise AgentError("the input names no topic", retriable=False)
        if input["mode"] == "bug":
            raise KeyError("oops")
        return {"ok": ctx.attempt}

    await container.start()
    try:
        retry = {"max_attempts": 3, "initial_backoff_ms": 50, "max_backoff_ms": 100}
        steps = [{"id": mode, "capability": f"sdk-flaky-{serve}", "action": "work.run", "input": {"mode": mode}, "retry": retry,
                  "on_failure": "continue"} for mode in ("transient", "permanent", "bug")]
        mission = await tenant.finished(tenant.submit({"steps": steps}))
        by_id = {s["id"]: s for s in mission["steps"]}
        assert by_id["transient"]["status"] == "succeeded" and by_id["transient"]["output"] == {"ok": 2}
        assert by_id["permanent"]["status"] == "failed" and attempts["permanent"] == 1, "not retried"
        assert by_id["bug"]["status"] == "failed" and attempts["bug"] == 3, "an unexpected exception is retried"
        assert "the input names no topic" in by_id["permanent"]["errors"][0]["message"]
    finally:
        await container.stop()


async def test_sigterm_deregisters_and_stops_within_30_seconds(tenant: Tenant, tmp_path: Path) -> None:
    script = tmp_path / "agent.py"
    script.write_text(textwrap.dedent("""
        import asyncio, pathlib, sys
        from agion import AgentContainer, GovernanceClient, Settings
        settings = Settings(transport="nats", nats_url=sys.argv[1], tenant=sys.argv[2], nats_creds=sys.argv[4] or None)
        container = AgentContainer("proc", client=GovernanceClient(settings), serve="nats")

        @container.agent("worker", capabilities=["sdk-proc"])
        async def worker(input, ctx):
            pathlib.Path(sys.argv[3]).touch()
            await asyncio.sleep(1.0)
            return {"finished": True}

        print("ready", flush=True)
        container.run()
        print("stopped", flush=True)
    """))
    working = tmp_path / "working"
    process = subprocess.Popen([sys.executable, str(script), NATS_URL, tenant.name, str(working), tenant.nats_creds() or ""], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        await eventually("the container registered", lambda: _status(tenant, "proc:worker") == "healthy", timeout=20)
        mission_id = tenant.submit(research_mission("sdk-proc"))
        await eventually("the agent works on the step", working.exists)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(process.wait, 30)
        assert code == 0 and time.monotonic() - started < 30
        assert "stopped" in (process.stdout.read() if process.stdout else "")
        assert _status(tenant, "proc:worker") == "deregistered"
        # The invocation in hand was finished and answered before the exit.
        assert (await tenant.finished(mission_id))["status"] == "succeeded"
    finally:
        if process.poll() is None:
            process.kill()


def _status(tenant: Tenant, agent_id: str) -> str | None:
    from conftest import http
    status, answer = http("GET", f"/v1/agents/{agent_id}", tenant.admin_key)
    return answer["status"] if status == 200 else None
