"""Client settings, from the environment by default (docs/sdk-python.md lists them)."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, Mapping

Transport = Literal["nats", "http"]


@dataclass(frozen=True)
class Settings:
    #: ``nats`` talks to the services directly (the fast path, inside the
    #: deployment); ``http`` goes through the gateway with an API key.
    transport: Transport = "nats"
    nats_url: str = "nats://127.0.0.1:14222"
    #: The agent container's NATS credentials (a ``.creds`` file the gateway
    #: issued: ``POST /v1/nats-credentials``, ``agionctl nats-credentials create``).
    #: None: connect without (a NATS that runs without authentication).
    nats_creds: str | None = None
    url: str = "http://127.0.0.1:8080"
    api_key: str | None = None
    #: The tenant of NATS requests. Over HTTP the tenant is the API key's.
    tenant: str = "default"
    #: How long one call may take, in seconds.
    timeout: float = 5.0
    #: What ``with_governance`` does on ``require_approval``: ``raise``
    #: ``ApprovalRequired`` at once, or ``wait`` (ask again until the answer
    #: changes or ``approval_timeout`` passes).
    on_approval: Literal["raise", "wait"] = "raise"
    approval_timeout: float = 300.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> "Settings":
        env = os.environ if environ is None else environ
        api_key = env.get("AGION_API_KEY") or None
        if api_key is None and env.get("AGION_API_KEY_FILE"):
            api_key = Path(env["AGION_API_KEY_FILE"]).read_text().strip() or None
        transport = env.get("AGION_TRANSPORT")
        if transport is None:
            # An API key without a NATS URL means "through the gateway".
            transport = "http" if api_key and "AGION_NATS_URL" not in env else "nats"
        if transport not in ("nats", "http"):
            raise ValueError(f"AGION_TRANSPORT must be nats or http, not {transport!r}")
        on_approval = env.get("AGION_ON_APPROVAL", "raise")
        if on_approval not in ("raise", "wait"):
            raise ValueError(f"AGION_ON_APPROVAL must be raise or wait, not {on_approval!r}")
        settings = cls(
            transport=transport,  # type: ignore[arg-type]
            nats_url=env.get("AGION_NATS_URL", cls.nats_url),
            nats_creds=env.get("AGION_NATS_CREDS") or None,
            url=env.get("AGION_URL", cls.url).rstrip("/"),
            api_key=api_key,
            tenant=env.get("AGION_TENANT", cls.tenant),
            timeout=_seconds(env, "AGION_TIMEOUT_MS", cls.timeout),
            on_approval=on_approval,  # type: ignore[arg-type]
            approval_timeout=_seconds(env, "AGION_APPROVAL_TIMEOUT_MS", cls.approval_timeout),
        )
        return replace(settings, **overrides)  # type: ignore[arg-type]


def _seconds(env: Mapping[str, str], key: str, default: float) -> float:
    text = env.get(key)
    if text is None:
        return default
    try:
        millis = int(text)
    except ValueError:
        raise ValueError(f"{key} must be a whole number of milliseconds, not {text!r}") from None
    if millis <= 0:
        raise ValueError(f"{key} must be positive")
    return millis / 1000
