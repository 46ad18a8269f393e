"""The service methods the SDK calls, with their NATS subject and gateway route."""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import Message

from .v1 import governance_pb2 as gpb
from .v1 import registry_pb2 as rpb


@dataclass(frozen=True)
class Method:
    subject: str
    request: type[Message]
    reply: type[Message]
    http_method: str
    http_path: str
    #: Request fields that travel in the path (``{agent_id}``) or the query, not the body.
    path_fields: tuple[str, ...] = ()
    query_fields: tuple[str, ...] = ()


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
