"""The two ways to Agion, with one interface: ``call(method, request)`` returns
the reply message or raises the typed error.

- ``NatsTransport``: a NATS request on the method's subject, the request in an
  envelope (the fast path; inside the deployment).
- ``HttpTransport``: the gateway's route for the method, with an API key (for
  agents outside the cluster). The tenant is the key's.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp
import nats
import nats.errors
from google.protobuf.message import Message
from nats.aio.client import Client as NATS

from ._envelope import decode_reply, envelope
from ._methods import Method
from ._protojson import from_json, to_json
from .config import Settings
from .errors import PROBLEM_CODES, AgionError, InvalidArgument, Unavailable, error_for

log = logging.getLogger("agion.transport")


class Transport(Protocol):
    async def call(self, method: Method, request: Message, *, agent: str, traceparent: str = "") -> Any: ...

    async def close(self) -> None: ...


async def connect_nats(settings: Settings, *, name: str) -> NATS:
    """A connection that rides out NATS restarts: reconnects forever, quickly.

    The first connect fails at once when no server answers (a retriable
    ``Unavailable``; the next call tries again): nats-py's "reconnect forever"
    also applies to the first connect, which would hang the caller, so it is
    switched on only once connected (nats-py reads its options when it needs them).
    """
    async def quiet(error: Exception) -> None:
        # A subject the credentials do not allow is a configuration mistake
        # (credentials issued for other agents), not weather: say so loudly.
        if "permissions violation" in str(error).lower():
            log.error("nats refused: %s (were these NATS credentials issued for this agent? docs/security.md)", error)
        else:
            log.debug("nats: %s", error)

    credentials: dict[str, Any] = {}
    if settings.nats_creds:
        # Agion's credentials allow replies only under _INBOX.<the user's public key>.
        credentials = {"user_credentials": settings.nats_creds, "inbox_prefix": inbox_prefix(settings.nats_creds)}
    try:
        connection = await nats.connect(
            servers=[url.strip() for url in settings.nats_url.split(",")], name=name,
            allow_reconnect=False, reconnect_time_wait=0.25, connect_timeout=min(settings.timeout, 5.0),
            ping_interval=10, max_outstanding_pings=3, error_cb=quiet, **credentials)
    except Exception as error:  # nats-py raises several types for one meaning
        raise Unavailable("bus_unavailable", f"cannot connect to NATS at {settings.nats_url}: {error}") from None
    connection.options["allow_reconnect"] = True
    connection.options["max_reconnect_attempts"] = -1
    return connection


def inbox_prefix(creds_path: str) -> str:
    """``_INBOX.<user public key>``: the JWT's subject, read from the ``.creds`` file."""
    try:
        text = Path(creds_path).read_text()
    except OSError as error:
        raise AgionError("unauthenticated", f"cannot read the NATS credentials {creds_path}: {error}") from None
    lines = [line.strip() for line in text.splitlines()]
    try:
        token = lines[lines.index("-----BEGIN NATS USER JWT-----") + 1]
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return f"_INBOX.{claims['sub']}"
    except (ValueError, IndexError, KeyError) as error:
        raise AgionError("unauthenticated", f"{creds_path} is not a NATS credentials file: {error}") from None


class NatsTransport:
    def __init__(self, settings: Settings, connection: NATS, *, owns_connection: bool) -> None:
        self.settings = settings
        self.connection = connection
        self._owns = owns_connection

    async def call(self, method: Method, request: Message, *, agent: str, traceparent: str = "") -> Any:
        data = envelope(request, tenant=self.settings.tenant, traceparent=traceparent).SerializeToString()
        if not self.connection.is_connected:
            # nats-py would buffer the request and time out; answer at once.
            raise Unavailable("bus_unavailable", "NATS is not connected (reconnecting)")
        if not agent or any(c in agent for c in " \t\r\n*>"):
            # It names the subject: an id NATS could not route is refused here.
            raise InvalidArgument("invalid_argument", f"{agent!r} is not an agent id (<container>:<name>)", field="agent_id")
        subject = method.agent_subject(self.settings.tenant, agent)
        try:
            reply = await self.connection.request(subject, data, timeout=self.settings.timeout)
        except nats.errors.NoRespondersError:
            raise Unavailable("unavailable", f"nothing serves {subject}") from None
        except nats.errors.TimeoutError:
            raise Unavailable("timeout", f"{subject} did not answer within {self.settings.timeout} s") from None

        except (nats.errors.ConnectionClosedError, nats.errors.ConnectionReconnectingError,
                nats.errors.ConnectionDrainingError, nats.errors.StaleConnectionError, OSError) as error:
            raise Unavailable("bus_unavailable", f"NATS: {error}") from None
        return decode_reply(reply.data, method.reply)

    async def close(self) -> None:
        if self._owns and not self.connection.is_closed:
            await self.connection.drain()


class HttpTransport:
    def __init__(self, settings: Settings) -> None:
        if not settings.api_key:
            raise AgionError("unauthenticated", "the HTTP transport needs an API key (AGION_API_KEY or AGION_API_KEY_FILE)")
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                base_url=self.settings.url + "/",
                headers={"Authorization": f"Bearer {self.settings.api_key}", "User-Agent": "agion-sdk-python"},
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout))
        return self._session

    async def call(self, method: Method, request: Message, *, agent: str, traceparent: str = "") -> Any:
        path = method.http_path
        for name in method.path_fields:
            path = path.replace("{" + name + "}", quote(str(getattr(request, name)), safe=""))
        query = {name: str(getattr(request, name)) for name in method.query_fields if getattr(request, name)}
        body = to_json(request, omit=frozenset(method.path_fields + method.query_fields))
        headers = {"traceparent": traceparent} if traceparent else {}
        try:
            async with self._client().request(
                    method.http_method, path.lstrip("/"), params=query, headers=headers,
                    json=body if method.http_method not in ("GET", "DELETE") else None) as response:
                data = await response.read()
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except asyncio.TimeoutError:
            raise Unavailable("timeout", f"the gateway did not answer within {self.settings.timeout} s") from None
        except aiohttp.ClientError as error:
            raise Unavailable("unavailable", f"cannot reach the gateway at {self.settings.url}: {error}") from None
        if status >= 400:
            raise _problem(status, data, retry_after)
        try:
            document = json.loads(data)
        except ValueError:
            raise AgionError("decode_failed", f"the gateway answered {status} with a body that is not JSON") from None
        return from_json(method.reply, document)

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def _problem(status: int, data: bytes, retry_after: str | None) -> AgionError:
    """An ``application/problem+json`` answer as the typed error of its service code."""
    try:
        problem = json.loads(data)
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    slug = str(problem.get("type", "")).rsplit("/", 1)[-1]
    code = PROBLEM_CODES.get(slug, "internal" if status >= 500 else "invalid_argument")
    retriable = status in (429, 502, 503, 504) or retry_after is not None
    detail = str(problem.get("detail") or problem.get("title") or f"HTTP {status}")
    return error_for(code, detail, retriable=retriable, field=str(problem.get("field") or ""))
