"""The service methods the SDK calls, with their NATS subject and gateway route.

Over NATS an agent calls a method on its own subject,
``agion.tenant.<tenant>.agent.<agent>.rpc.<service>.<method>`` (``agent_subject``):
the only subjects its credentials allow, so the services know the caller from
the subject (docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import Message

from .v1 import governance_pb2 as gpb
from .v1 import registry_pb2 as rpb


def agent_token(agent_id: str) -> str:
    """The agent id as one NATS subject token (``.`` separates tokens; ids never hold ``~``)."""
    return agent_id.replace(".", "~")


def invoke_subject(tenant: str, agent_id: str) -> str:
    return f"agion.tenant.{tenant}.agent.{agent_token(agent_id)}.invoke"


def progress_subject(tenant: str, agent_id: str, mission_id: str) -> str:
    return f"agion.tenant.{tenant}.agent.{agent_token(agent_id)}.progress.{mission_id}"


@dataclass(frozen=True)
class Method:
    #: The platform subject, ``agion.rpc.<service>.<method>``.
    subject: str
    request: type[Message]
    reply: type[Message]
    http_method: str
    http_path: str
    #: Request fields that travel in the path (``{agent_id}``) or the query, not the body.
    path_fields: tuple[str, ...] = ()
    query_fields: tuple[str, ...] = ()

    def agent_subject(self, tenant: str, agent_id: str) -> str:
        """Where ``agent_id`` of ``tenant`` calls this method."""
        return f"agion.tenant.{tenant}.agent.{agent_token(agent_id)}.rpc.{self.subject.removeprefix('agion.rpc.')}"


CHECK = Method("agion.rpc.governance.check", gpb.CheckRequest, gpb.Decision, "POST", "/v1/governance/check")
VALIDATE = Method("agion.rpc.governance.validate", gpb.ValidateOutputRequest, gpb.ValidationResult, "POST", "/v1/governance/validate")
REPORT = Method("agion.rpc.governance.report", gpb.ExecutionReport, gpb.TrustScore, "POST", "/v1/governance/report")
FEEDBACK = Method("agion.rpc.governance.feedback", gpb.FeedbackRequest, gpb.TrustScore, "POST", "/v1/feedback")
REGISTER = Method("agion.rpc.registry.register", rpb.RegisterAgentsRequest, rpb.RegisterAgentsResponse, "POST", "/v1/agents")
HEARTBEAT = Method("agion.rpc.registry.heartbeat", rpb.Heartbeat, rpb.HeartbeatAck, "POST", "/v1/agents/{agent_id}/heartbeat",
                   path_fields=("agent_id",))
DEREGISTER = Method("agion.rpc.registry.deregister", rpb.DeregisterAgentRequest, rpb.AgentRecord, "DELETE", "/v1/agents/{agent_id}",
                    path_fields=("agent_id",), query_fields=("reason",))
GET_AGENT = Method("agion.rpc.registry.get", rpb.GetAgentRequest, rpb.AgentRecord, "GET", "/v1/agents/{agent_id}",
                   path_fields=("agent_id",))
