"""sdk.python.check: GovernanceClient.check over NATS from one Python client,
in sequence and from 16 concurrent tasks, against the real governance and
registry (release builds, started by scripts/bench-sdk-python.sh).

Prints one JSON line per load: {"bench": "sdk.python.check", "clients": 1,
"p50_us": ..., "p99_us": ..., "ops_per_s": ..., "rss_mb": ...}.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time

import nats

from agion import GovernanceClient, Settings, run
from agion._envelope import decode_reply, envelope
from agion._methods import invoke_subject
from agion.v1 import governance_pb2 as gpb
from agion.v1 import registry_pb2 as rpb

TENANT = os.environ.get("AGION_TENANT", "bench-sdk")
AGENT = "bench-sdk:checker"
POLICY = """
version: 1
rules:
  - id: reports
    effect: allow
    actions: ["reports.*"]
    when: [{field: rows, op: lte, value: 10000}]
"""


async def prepare(url: str) -> None:
    """The tenant's policy and agent, over NATS as any service would send them."""
    platform = os.environ.get("BENCH_SDK_PLATFORM_CREDS")  # the platform user, for the policy
    connection = await nats.connect(url, **({"user_credentials": platform} if platform else {}))
    put = gpb.PutPolicyRequest(document=POLICY, comment="bench")
    reply = await connection.request("agion.rpc.governance.policy.put", envelope(put, tenant=TENANT).SerializeToString(), timeout=10)
    decode_reply(reply.data, gpb.PolicyRevision)
    await connection.drain()
    async with GovernanceClient(Settings(transport="nats", nats_url=url, tenant=TENANT, nats_creds=os.environ.get("AGION_NATS_CREDS"))) as client:
        await client.register("bench-sdk", [rpb.Agent(id=AGENT, capabilities=["reports"], version="1",
                                                      endpoint=rpb.AgentEndpoint(kind=rpb.AgentEndpoint.KIND_NATS, address=invoke_subject(TENANT, AGENT)))])
        for _ in range(300):  # governance hears of the agent through the registry's event
            if (await client.check(AGENT, "reports.generate", {"rows": 1})).allowed:
                return
            await asyncio.sleep(0.1)
        decision = await client.check(AGENT, "reports.generate", {"rows": 1})
    raise SystemExit(f"the agent never became allowed: {decision}")


def percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def measure(client: GovernanceClient, clients: int, total: int) -> dict[str, object]:
    latencies: list[float] = []
    context = {"rows": 500, "customer": {"tier": "gold"}}

    async def one_client(count: int) -> None:
        for _ in range(count):
            started = time.perf_counter_ns()
            decision = await client.check(AGENT, "reports.generate", context)
            latencies.append((time.perf_counter_ns() - started) / 1000)
            if not decision.allowed:
                raise SystemExit(f"unexpected decision {decision}")

    started = time.perf_counter()
    await asyncio.gather(*(one_client(total // clients) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    loop = "uvloop" if "uvloop" in type(asyncio.get_running_loop()).__module__ else "asyncio"
    return {"bench": "sdk.python.check", "transport": "nats", "loop": loop, "clients": clients, "ops_per_s": round(len(latencies) / elapsed),
            "p50_us": round(percentile(latencies, 0.50)), "p99_us": round(percentile(latencies, 0.99)),
            "p999_us": round(percentile(latencies, 0.999)), "rss_mb": rss_mb()}


async def main() -> None:
    url = os.environ.get("AGION_NATS_URL", "nats://127.0.0.1:14222")
    total = int(os.environ.get("BENCH_SDK_CHECKS", "20000"))
    if os.environ.get("BENCH_SDK_PREPARE", "1") == "1":
        await prepare(url)
    async with GovernanceClient(Settings(transport="nats", nats_url=url, tenant=TENANT, nats_creds=os.environ.get("AGION_NATS_CREDS"))) as client:
        await measure(client, 1, 2000)  # warm-up
        for clients in (1, 16):
            print(json.dumps(await measure(client, clients, total)), flush=True)


if __name__ == "__main__":
    # BENCH_SDK_LOOP=asyncio measures the standard event loop; by default the
    # SDK's run() takes uvloop when it is installed.
    sys.exit(asyncio.run(main()) if os.environ.get("BENCH_SDK_LOOP") == "asyncio" else run(main()))
