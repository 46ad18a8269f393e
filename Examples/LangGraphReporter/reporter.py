"""A LangGraph agent served to Agion: a real graph (outline -> draft -> review)
whose nodes are governed with ``@with_governance``, registered as the agent
``langgraph:reporter`` (capability ``reporting``) that missions call.

No hosted model: the "LLM" is langchain-core's fake chat model, so the example
is deterministic and runs anywhere. Swap in a real chat model and nothing else
changes: governance, progress and usage stay as they are.

    AGION_NATS_URL=nats://127.0.0.1:14222 AGION_TENANT=default python reporter.py            # over NATS
    AGENT_SERVE=http AGENT_PORT=9303 AGION_API_KEY_FILE=... python reporter.py               # the HTTP contract
"""

from __future__ import annotations

import os
from typing import Any, TypedDict

from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langgraph.graph import END, START, StateGraph

from agion import AgentContainer, AgentError, Decision, GovernanceClient, InvocationContext, with_governance

AGENT_ID = "langgraph:reporter"

governance = GovernanceClient()
# A fixed answer stands in for a hosted model; the prompt still carries the facts.
model = FakeListChatModel(responses=["A short report: the facts below are the news."])


class ReportState(TypedDict, total=False):
    topic: str
    facts: list[str]
    outline: list[str]
    text: str
    review: dict[str, Any]
    tokens: int


@with_governance(AGENT_ID, "report.outline", context=lambda state: {"rows": len(state.get("facts", []))}, client=governance)
async def outline(state: ReportState) -> ReportState:
    facts = state.get("facts", [])
    return {"outline": [f"Why {state['topic']} matters"] + [f"Point {i + 1}: {fact}" for i, fact in enumerate(facts[:5])]}


@with_governance(AGENT_ID, "report.draft", client=governance)
async def draft(state: ReportState, decision: Decision | None = None) -> ReportState:
    # The policy may cap the tokens of this node (obligation max_tokens): it is
    # taken here, so an unapplied obligation can never slip through.
    cap = decision.obligation("max_tokens") if decision else None
    limit = int(cap.parameters.get("value", "0")) if cap else 0
    answer = await model.ainvoke(f"Write about {state['topic']} from: {state.get('outline', [])}")
    words = (str(answer.content) + " " + " ".join(state.get("outline", []))).split()
    if limit:
        words = words[:limit]
    return {"text": " ".join(words), "tokens": len(words)}


@with_governance(AGENT_ID, "report.review", client=governance)
async def review(state: ReportState) -> ReportState:
    words = len(state.get("text", "").split())
    notes = [] if words >= 10 else ["too short"]
    return {"review": {"approved": not notes, "words": words, "notes": notes}}


def build_graph() -> Any:
    graph = StateGraph(ReportState)
    graph.add_node("outline", outline)
    graph.add_node("draft", draft)
    graph.add_node("review", review)
    graph.add_edge(START, "outline")
    graph.add_edge("outline", "draft")
    graph.add_edge("draft", "review")
    graph.add_edge("review", END)
    return graph.compile()


report_graph = build_graph()


def container(**options: Any) -> AgentContainer:
    served = AgentContainer("langgraph", client=governance, serve=options.pop("serve", os.environ.get("AGENT_SERVE", "nats")), **options)

    @served.agent("reporter", capabilities=["reporting"], version="1", type="llm",
                  description="Writes and reviews a short report (a LangGraph graph)",
                  metadata={"framework": "langgraph"})
    async def reporter(input: dict[str, Any], ctx: InvocationContext) -> dict[str, Any]:
        if not isinstance(input, dict) or not isinstance(input.get("topic"), str):
            raise AgentError("the input needs a topic (a string)", retriable=False)
        state: ReportState = {"topic": input["topic"], "facts": [str(f) for f in input.get("facts", [])]}
        # Each node's update is live progress for whoever follows the mission.
        final: ReportState = dict(state)  # type: ignore[assignment]
        async for update in report_graph.astream(state, stream_mode="updates"):
            for node, values in update.items():
                final.update(values)
                await ctx.progress(f"{node} done", partial={"node": node})
        ctx.add_usage(input_tokens=len(" ".join(final.get("outline", [])).split()), output_tokens=final.get("tokens", 0))
        return {"outline": final.get("outline", []), "text": final.get("text", ""), "review": final.get("review", {})}

    return served


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    container().run()
