"""make chaos: faults under load, and what they cost (scripts/chaos.sh runs this).

Against the local stack with replicas of every service (make up REPLICAS=2), it
keeps a steady load going through the gateways (missions of three steps on an
agent container of its own, and governance checks), then, one at a time:
kill -9 one replica of each service (its supervisor restarts it) and restart
nats-server, PostgreSQL and Redis; `--rounds` repeats that, each round killing
the next replica. At the end it waits for every mission it
submitted to end, and prints JSON lines:

  {"bench":"chaos.fault","fault":...,"checks_answered":..,"checks_failed":..,"missions_refused":..,"recovery_ms":..}
  {"bench":"chaos.summary","missions_submitted":..,"missions_succeeded":..,"missions_failed":..,
   "missions_lost":..,"effects_twice":..,"duplicate_deliveries":..,"audit_intact":..}

and exits 1 when a mission was lost, a step's effect happened twice, or the
audit does not verify.

The agent (chaos:worker, HTTP contract, docs/agent-contract.md) applies each
idempotency key's effect once, as the contract asks of agents with effects,
and counts deliveries and effects per key in a ledger on disk, so "effect
twice" means Agion gave one step two different keys, or the same key while
the agent could not know (it never happens by design; this checks it).
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AGENT = "chaos:worker"
SERVICES = ["registry", "governance", "coordination", "execution", "gateway"]
ADMIN_PORTS = {"registry": 9101, "governance": 9102, "coordination": 9103, "execution": 9104, "gateway": 9105}
POLICY = """version: 1
rules:
  - id: chaos
    description: the chaos suite's agent does its work
    effect: allow
    agents: ["chaos:*"]
    actions: [chaos.run]
"""


def emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


class Gateways:
    """The gateway replicas, tried in turn: a request that fails on one goes to the next."""

    def __init__(self, urls: list[str], key: str) -> None:
        self.urls, self.key, self.next = urls, key, 0
        self.lock = threading.Lock()

    def call(self, method: str, path: str, body: object | None = None, headers: dict | None = None,
             content_type: str = "application/json", timeout: float = 5.0, attempts: int | None = None) -> tuple[int, object]:
        """(status, decoded body); status 0 when no gateway answered."""
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        last: tuple[int, object] = (0, None)
        for _ in range(attempts or len(self.urls)):
            with self.lock:
                url = self.urls[self.next % len(self.urls)]
                self.next += 1
            request = urllib.request.Request(url + path, data=data, method=method)
            request.add_header("Authorization", "Bearer " + self.key)
            if data is not None:
                request.add_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                request.add_header(name, value)
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    return response.status, json.loads(response.read() or b"null")
            except urllib.error.HTTPError as error:
                try:
                    last = (error.code, json.loads(error.read() or b"null"))
                except ValueError:
                    last = (error.code, None)
                if error.code < 500 and error.code != 429:
                    return last
            except (OSError, ValueError):
                last = (0, None)
        return last


class Ledger:
    """Deliveries and effects per idempotency key, appended to a file as they happen."""

    def __init__(self, path: str) -> None:
        self.lock = threading.Lock()
        self.deliveries: dict[str, int] = {}
        self.effects: dict[str, int] = {}
        self.answers: dict[str, dict] = {}
        self.key_locks: dict[str, threading.Lock] = {}
        self.file = open(path, "a", encoding="utf-8")

    def handle(self, key: str, attempt: str, work: dict) -> dict:
        with self.lock:
            self.deliveries[key] = self.deliveries.get(key, 0) + 1
            key_lock = self.key_locks.setdefault(key, threading.Lock())
        # One delivery of a key at a time: a second one waits and gets the answer.
        with key_lock:
            with self.lock:
                if key in self.answers:
                    return self.answers[key]
            time.sleep(random.uniform(0.02, 0.12))   # the work
            with self.lock:
                self.effects[key] = self.effects.get(key, 0) + 1
                self.file.write(json.dumps({"key": key, "attempt": attempt, "effect": self.effects[key]}) + "\n")
                self.file.flush()
                answer = {"output": {"done": work.get("n", 0) + 1}, "usage": {"input_tokens": 1, "output_tokens": 1}}
                self.answers[key] = answer
                return answer


def agent_server(port: int, ledger: Ledger) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def reply(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/health":
                self.reply(200, {"status": "ok"})
            elif self.path == "/agents":
                self.reply(200, {"agents": [{"id": AGENT, "capabilities": ["chaos"]}]})
            else:
                self.reply(404, {"error": "not found"})

        def do_POST(self) -> None:
            if self.path != f"/agents/{AGENT}/invoke":
                self.reply(404, {"error": "not found"})
                return
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            key = self.headers.get("Idempotency-Key") or body.get("context", {}).get("idempotency_key", "")
            self.reply(200, ledger.handle(key, self.headers.get("Agion-Attempt", "?"), body.get("input") or {}))

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Load:
    """Missions and checks at a steady rate; what happened in each phase."""

    def __init__(self, gateways: Gateways, missions_per_second: float, checks_per_second: float) -> None:
        self.gateways = gateways
        self.missions_interval = 1 / missions_per_second
        self.checks_interval = 1 / checks_per_second
        self.phase = "steady"
        self.counts: dict[str, dict[str, int]] = {}
        self.submitted: list[str] = []
        self.refused = 0
        self.lock = threading.Lock()
        self.running = True

    def count(self, what: str) -> None:
        with self.lock:
            phase = self.counts.setdefault(self.phase, {})
            phase[what] = phase.get(what, 0) + 1

    def missions(self) -> None:
        while self.running:
            started = time.monotonic()
            n = len(self.submitted)
            step = {"capability": "chaos", "action": "chaos.run", "timeout_seconds": 30,
                    "retry": {"max_attempts": 10, "initial_backoff_ms": 200, "max_backoff_ms": 2000}}
            definition = {"name": "chaos", "input": {"n": n}, "steps": [
                dict(step, id="a", input={"n": {"$ref": "input.n"}}),
                dict(step, id="b", depends_on=["a"], input={"n": {"$ref": "steps.a.output.done"}}),
                dict(step, id="c", depends_on=["b"], input={"n": {"$ref": "steps.b.output.done"}})]}
            # The same key until accepted: a retried submission is the same mission.
            key = str(uuid.uuid4())
            accepted = None
            deadline = time.monotonic() + 30
            while self.running and time.monotonic() < deadline:
                status, body = self.gateways.call("POST", "/v1/missions", definition, {"Idempotency-Key": key})
                if status in (200, 201, 202) and isinstance(body, dict):
                    accepted = body.get("mission_id") or body.get("id")
                    break
                self.count("missions_refused")
                time.sleep(0.5)
            if accepted:
                with self.lock:
                    self.submitted.append(accepted)
            elif self.running:
                with self.lock:
                    self.refused += 1
            time.sleep(max(0.0, self.missions_interval - (time.monotonic() - started)))

    def checks(self) -> None:
        while self.running:
            started = time.monotonic()
            status, body = self.gateways.call("POST", "/v1/governance/check",
                                              {"agent_id": AGENT, "action": "chaos.run", "context": {"n": 1}},
                                              timeout=3, attempts=1)
            ok = status == 200 and isinstance(body, dict) and body.get("effect") in ("allow", "deny", "require_approval")
            self.count("checks_answered" if ok else "checks_failed")
            time.sleep(max(0.0, self.checks_interval - (time.monotonic() - started)))


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def all_ready(replicas: int) -> bool:
    return all(ready(ADMIN_PORTS[s] + 10 * i) for s in SERVICES for i in range(replicas))


def wait_until(condition, timeout: float) -> float | None:
    """Seconds until `condition` held, or None."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def instance(service: str, replica: int) -> str:
    """scripts/services.sh's name of a replica: agion-x, agion-x-2, ..."""
    return f"agion-{service}" if replica == 1 else f"agion-{service}-{replica}"


def kill_replica(service: str, replica: int) -> None:
    with open(os.path.join(ROOT, ".run", "services", f"{instance(service, replica)}.pid"), encoding="utf-8") as f:
        os.kill(int(f.read().strip()), signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--settle", type=float, default=8.0, help="seconds of load after each recovery")
    parser.add_argument("--rounds", type=int, default=1, help="times through the faults (each round kills the next replica)")
    parser.add_argument("--missions-per-second", type=float, default=2.0)
    parser.add_argument("--checks-per-second", type=float, default=20.0)
    parser.add_argument("--agent-port", type=int, default=9390)
    parser.add_argument("--ledger", default=os.path.join(ROOT, ".run", "chaos", "ledger.jsonl"))
    options = parser.parse_args()

    key = open(os.path.join(ROOT, ".run", "credentials", "admin.key"), encoding="utf-8").read().strip()
    gateways = Gateways([f"http://127.0.0.1:{8080 + i}" for i in range(options.replicas)], key)
    os.makedirs(os.path.dirname(options.ledger), exist_ok=True)
    if os.path.exists(options.ledger):
        os.remove(options.ledger)
    ledger = Ledger(options.ledger)
    agent_server(options.agent_port, ledger)

    if wait_until(lambda: all_ready(options.replicas), 120) is None:
        print("chaos: the services are not all ready (make up REPLICAS=2)", file=sys.stderr)
        return 2
    registration = {"container": "chaos", "agents": [{"id": AGENT, "type": "tool", "capabilities": ["chaos"], "version": "1",
                                                      "endpoint": {"kind": "http", "address": f"http://127.0.0.1:{options.agent_port}"}}]}
    status, body = gateways.call("POST", "/v1/agents", registration)
    if status != 200:
        print(f"chaos: registering the agent: {status} {body}", file=sys.stderr)
        return 2
    status, body = gateways.call("POST", "/v1/policies?comment=chaos", POLICY, content_type="application/yaml")
    if status not in (200, 201):
        print(f"chaos: the policy: {status} {body}", file=sys.stderr)
        return 2

    beating = True

    def heartbeat() -> None:
        while beating:
            gateways.call("POST", f"/v1/agents/{AGENT}/heartbeat", {"ttl_seconds": 30}, attempts=len(gateways.urls))
            time.sleep(5)

    threading.Thread(target=heartbeat, daemon=True).start()
    time.sleep(1.5)   # the policy reaches every governance replica
    load = Load(gateways, options.missions_per_second, options.checks_per_second)
    for target in (load.missions, load.checks):
        threading.Thread(target=target, daemon=True).start()

    def phase(name: str, fault, recovered) -> None:
        with load.lock:
            load.phase = name
        started = time.monotonic()
        fault()
        # Recovery counts from the fault: a restart's own downtime is part of it.
        recovered_after = wait_until(recovered, 120)
        took = None if recovered_after is None else time.monotonic() - started
        time.sleep(options.settle)
        counts = load.counts.get(name, {})
        emit({"bench": "chaos.fault", "fault": name, "checks_answered": counts.get("checks_answered", 0),
              "checks_failed": counts.get("checks_failed", 0), "missions_refused": counts.get("missions_refused", 0),
              "recovery_ms": None if took is None else round(took * 1000), "phase_s": round(time.monotonic() - started, 1)})

    phase("steady", lambda: None, lambda: True)
    for round_ in range(options.rounds):
        # Each round kills the next replica of every service.
        replica = round_ % options.replicas + 1
        suffix = f" (round {round_ + 1})" if options.rounds > 1 else ""
        for service in SERVICES:
            port = ADMIN_PORTS[service] + 10 * (replica - 1)
            phase(f"kill -9 {instance(service, replica)}{suffix}", lambda s=service, r=replica: kill_replica(s, r),
                  lambda p=port: (time.sleep(0.2), ready(p))[1])
        for server in ("nats", "postgres", "redis"):
            phase(f"restart {server}{suffix}",
                  lambda s=server: subprocess.run([os.path.join(ROOT, "scripts", "stack.sh"), "restart", s],
                                                  check=True, stdout=subprocess.DEVNULL),
                  lambda: all_ready(options.replicas))

    load.running = False
    time.sleep(1)
    # Every mission it was told about must end.
    ends: dict[str, str] = {}
    deadline = time.monotonic() + 180
    pending = list(load.submitted)
    while pending and time.monotonic() < deadline:
        still = []
        for mission in pending:
            status, body = gateways.call("GET", f"/v1/missions/{mission}")
            state = body.get("status") if status == 200 and isinstance(body, dict) else None
            if state in ("succeeded", "failed", "cancelled", "timed_out"):
                ends[mission] = state
            else:
                still.append(mission)
        pending = still
        if pending:
            time.sleep(1)
    beating = False
    status, verify = gateways.call("POST", "/v1/decisions/verify?full=true", timeout=30)
    # A long range is a background job: follow it to its end.
    deadline = time.monotonic() + 300
    while (status == 200 and isinstance(verify, dict) and verify.get("status") in ("pending", "running")
           and time.monotonic() < deadline):
        time.sleep(1)
        status, verify = gateways.call("GET", f"/v1/audit/verifications/{verify['verification_id']}", timeout=30)
    intact = status == 200 and isinstance(verify, dict) and verify.get("intact") is True
    with ledger.lock:
        effects_twice = sum(1 for n in ledger.effects.values() if n > 1)
        duplicates = sum(n - 1 for n in ledger.deliveries.values() if n > 1)
        steps_done = len(ledger.effects)
    totals: dict[str, int] = {}
    for counts in load.counts.values():
        for what, n in counts.items():
            totals[what] = totals.get(what, 0) + n
    summary = {"bench": "chaos.summary", "replicas": options.replicas, "rounds": options.rounds,
               "missions_submitted": len(load.submitted),
               "missions_succeeded": sum(1 for s in ends.values() if s == "succeeded"),
               "missions_failed": sum(1 for s in ends.values() if s != "succeeded"),
               "missions_lost": len(pending), "submissions_given_up": load.refused,
               "steps_with_effect": steps_done, "effects_twice": effects_twice, "duplicate_deliveries": duplicates,
               "checks_answered": totals.get("checks_answered", 0), "checks_failed": totals.get("checks_failed", 0),
               "audit_intact": intact, "audit_records": verify.get("records_checked") if isinstance(verify, dict) else None}
    emit(summary)
    if pending:
        print(f"chaos: missions that did not end: {pending[:10]}", file=sys.stderr)
    return 0 if not pending and effects_twice == 0 and intact else 1


if __name__ == "__main__":
    sys.exit(main())
