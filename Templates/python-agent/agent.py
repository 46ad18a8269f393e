"""An Agion agent container in Python: copy this folder, rename the agent, replace `summarize`.

One agent, `template:summarizer` (capability `summarizing`), served over NATS (the default:
calls and invocations on the agent's own subjects, with the container's NATS credentials) or
over the HTTP container contract (`AGENT_SERVE=http`). The work is governed: each call asks
governance first (`@with_governance`), applies the policy's obligations (here `max_tokens`),
reports progress while it runs, and reports its usage.

    pip install ../../SDKs/python
    agionctl nats-credentials create --name summarizer --agent template:summarizer --out summarizer.creds
    AGION_NATS_CREDS=summarizer.creds AGION_TENANT=<your tenant> python agent.py

Environment: docs/sdk-python.md (AGION_NATS_URL, AGION_TENANT, AGION_NATS_CREDS; for HTTP,
AGENT_SERVE=http, AGENT_PORT, AGENT_URL and AGION_API_KEY).
"""

from __future__ import annotations

import os
from typing import Any

from agion import AgentContainer, AgentError, Decision, GovernanceClient, InvocationContext, with_governance

AGENT = "template:summarizer"
governance = GovernanceClient()  # settings from the environment


@with_governance(AGENT, "text.summarize", context=lambda text, limit: {"words": len(text.split())}, client=governance)
async def summarize(text: str, limit: int, decision: Decision) -> dict[str, Any]:
    """The agent's work: replace with your model or tool calls. Deterministic here.

    Governance allowed it (or it raised ``PermissionDenied``); ``decision`` carries the
    obligations to honour: a ``max_tokens`` cap shortens the summary.
    """
    cap = decision.obligation("max_tokens")
    if cap is not None:
        limit = min(limit, int(cap.parameters.get("value", limit)))
    words = text.split()
    sentences = [s.strip() for s in text.replace("!", ".").replace("?", ".").split(".") if s.strip()]
    summary = " ".join(words[:limit])
    return {"summary": summary, "sentences": len(sentences), "words": len(words), "limit": limit}


def container(**options: Any) -> AgentContainer:
    served = AgentContainer("template", client=governance, serve=options.pop("serve", os.environ.get("AGENT_SERVE", "nats")), **options)

    @served.agent("summarizer", capabilities=["summarizing"], version=os.environ.get("AGENT_VERSION", "1"), type="tool",
                  description="Summarizes a text to at most `limit` words", metadata={"framework": "python", "template": "python-agent"})
    async def summarizer(input: Any, ctx: InvocationContext) -> dict[str, Any]:
        if not isinstance(input, dict) or not isinstance(input.get("text"), str) or not input["text"].strip():
            # Not retriable: the same input fails the same way.
            raise AgentError("the input needs a text (a non-empty string)", retriable=False)
        limit = input.get("limit", 40)
        if not isinstance(limit, int) or limit < 1:
            raise AgentError("limit must be a whole number >= 1", retriable=False)
        await ctx.progress("summarizing", percent=10)
        result = await summarize(input["text"], limit)
        ctx.add_usage(input_tokens=result["words"], output_tokens=len(result["summary"].split()))
        await ctx.progress("done", percent=100)
        return result

    return served


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    container().run()  # SIGTERM: deregisters and stops within 30 s
