"""The stack the tests run against: scripts/test-sdk-python.sh starts the five
services (debug builds, schemas sdk_*) and the gateway on AGION_TEST_GATEWAY.

Each test gets a tenant of its own (``tenant`` fixture), created through the
gateway with the platform admin key, with the policy below active.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from agion import GovernanceClient, Settings

GATEWAY = os.environ.get("AGION_TEST_GATEWAY", "http://127.0.0.1:18090")
NATS_URL = os.environ.get("AGION_NATS_URL", "nats://127.0.0.1:14222")
#: The platform user's credentials (scripts/stack.sh's authority), for the
#: tests' own listeners; None when the stack's NATS runs without authentication.
PLATFORM_CREDS = os.environ.get("AGION_TEST_NATS_CREDS") or None

#: Every agent the tests act as over NATS: a tenant's agent-container
#: credentials name them (an agent missing here gets no answer over NATS).
TEST_AGENTS = [
    *(f"charts:{n}" for n in ("any", "errors", "frontdesk", "generator", "nobody", "other", "sync", "writer")),
    *(f"graph:{n}" for n in ("charts", "exporter", "llm", "sync", "waiter")),
    *(f"lab:{n}" for n in ("analyst", "flaky", "once", "streamer", "writer")),
    "proc:worker", "langgraph:reporter", "template:summarizer",
]


async def platform_nats() -> Any:
    """A NATS connection as the platform (to listen to what services and agents publish)."""
    import nats
    return await nats.connect(NATS_URL, **({"user_credentials": PLATFORM_CREDS} if PLATFORM_CREDS else {}))

POLICY = """
version: 1
rules:
  - id: reports
    effect: allow
    actions: ["reports.*"]
    when: [{field: rows, op: lte, value: 10000}]
    obligations:
      - {kind: redact, fields: [ssn, email]}
  - id: exports-need-approval
    effect: require_approval
    actions: ["exports.*"]
  - id: llm-capped
    effect: allow
    actions: ["llm.*"]
    obligations:
      - {kind: max_tokens, value: 2000}
  - id: work
    effect: allow
    actions: ["work.*", "research.*"]
  - id: no-deletes
    effect: deny
    actions: ["*.delete"]
output:
  - id: no-aws-keys
    forbid: ["AKIA[0-9A-Z]{16}"]
"""


def http(method: str, path: str, key: str, body: Any = None, *, content_type: str = "application/json",
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    request = urllib.request.Request(GATEWAY + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": content_type, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, json.loads(text) if text else None


def platform_key() -> str:
    return Path(os.environ["AGION_TEST_ADMIN_KEY_FILE"]).read_text().strip()


@dataclass
class Tenant:
    name: str
    admin_key: str
    _creds: str | None = None

    def nats_creds(self) -> str | None:
        """The tenant's agent-container credentials for ``TEST_AGENTS`` (issued once, kept in a file)."""
        if PLATFORM_CREDS is None:
            return None
        if self._creds is None:
            status, answer = http("POST", "/v1/nats-credentials", self.admin_key, {"name": "sdk-tests", "agents": TEST_AGENTS})
            assert status == 201, answer
            path = Path(os.environ.get("TMPDIR", "/tmp")) / f"agion-sdk-{self.name}.creds"
            path.write_text(answer["creds"])
            path.chmod(0o600)
            self._creds = str(path)
        return self._creds

    def key(self, role: str, scope: str | None = None) -> str:
        body: dict[str, Any] = {"name": f"{role}-{secrets.token_hex(3)}", "role": role}
        if scope:
            body["agent_scope"] = scope
        status, answer = http("POST", "/v1/api-keys", self.admin_key, body)
        assert status == 201, answer
        return answer["key"]

    def settings(self, transport: str = "nats", **overrides: Any) -> Settings:
        base = Settings(transport=transport, nats_url=NATS_URL, url=GATEWAY, tenant=self.name, timeout=5.0,  # type: ignore[arg-type]
                        api_key=overrides.pop("api_key", self.admin_key), nats_creds=self.nats_creds() if transport == "nats" else None)
        return Settings(**{**base.__dict__, **overrides})

    def client(self, transport: str = "nats", **overrides: Any) -> GovernanceClient:
        return GovernanceClient(self.settings(transport, **overrides))

    def register(self, container: str, names: list[str], capabilities: list[str] | None = None) -> None:
        agents = [{"id": f"{container}:{n}", "capabilities": capabilities or ["work"], "version": "1",
                   "endpoint": {"kind": "http", "address": "http://127.0.0.1:9"}} for n in names]
        status, answer = http("POST", "/v1/agents", self.admin_key, {"container": container, "agents": agents})
        assert status == 200, answer
        # Governance hears of agents through the registry's events: wait until it knows them.
        deadline = time.monotonic() + 10
        for name in names:
            while True:
                _, decision = http("POST", "/v1/governance/check", self.admin_key, {"agent_id": f"{container}:{name}", "action": "probe"})
                if not any("not registered" in reason for reason in decision.get("reasons", [])):
                    break
                assert time.monotonic() < deadline, f"governance never heard of {container}:{name}"
                time.sleep(0.05)

    def agent(self, agent_id: str) -> dict[str, Any]:
        status, answer = http("GET", f"/v1/agents/{agent_id}", self.admin_key)
        assert status == 200, answer
        return answer

    def submit(self, definition: dict[str, Any]) -> str:
        status, answer = http("POST", "/v1/missions", self.admin_key, definition)
        assert status == 201, answer
        return answer["mission_id"]

    def mission(self, mission_id: str) -> dict[str, Any]:
        status, answer = http("GET", f"/v1/missions/{mission_id}", self.admin_key)
        assert status == 200, answer
        return answer

    async def finished(self, mission_id: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            mission = await asyncio.to_thread(self.mission, mission_id)
            if mission["status"] not in ("running", "pending"):
                return mission
            assert time.monotonic() < deadline, f"mission still {mission['status']}: {mission}"
            await asyncio.sleep(0.1)


@pytest.fixture
def tenant() -> Tenant:
    name = f"sdk-{secrets.token_hex(4)}"
    status, answer = http("POST", "/v1/tenants", platform_key(), {"tenant": name})
    assert status == 201, answer
    created = Tenant(name, answer["admin_key"]["key"])
    status, answer = http("POST", "/v1/policies?comment=sdk-tests", created.admin_key, POLICY, content_type="application/yaml")
    assert status in (200, 201), answer
    return created


async def eventually(what: str, condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
