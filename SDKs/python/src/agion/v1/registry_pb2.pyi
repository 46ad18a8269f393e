from agion.v1 import envelope_pb2 as _envelope_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

AGENT_STATUS_DEREGISTERED: AgentStatus
AGENT_STATUS_HEALTHY: AgentStatus
AGENT_STATUS_OFFLINE: AgentStatus
AGENT_STATUS_UNHEALTHY: AgentStatus
AGENT_STATUS_UNSPECIFIED: AgentStatus
DESCRIPTOR: _descriptor.FileDescriptor

class Agent(_message.Message):
    __slots__ = ["capabilities", "container", "description", "endpoint", "id", "metadata", "name", "tenant", "type", "version"]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    capabilities: _containers.RepeatedScalarFieldContainer[str]
    container: str
    description: str
    endpoint: AgentEndpoint
    id: str
    metadata: _containers.RepeatedCompositeFieldContainer[_envelope_pb2.Header]
    name: str
    tenant: str
    type: str
    version: str
    def __init__(self, id: _Optional[str] = ..., tenant: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ..., description: _Optional[str] = ..., capabilities: _Optional[_Iterable[str]] = ..., version: _Optional[str] = ..., container: _Optional[str] = ..., endpoint: _Optional[_Union[AgentEndpoint, _Mapping]] = ..., metadata: _Optional[_Iterable[_Union[_envelope_pb2.Header, _Mapping]]] = ...) -> None: ...

class AgentDeregistered(_message.Message):
    __slots__ = ["agent_id", "reason"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    reason: str
    def __init__(self, agent_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class AgentEndpoint(_message.Message):
    __slots__ = ["address", "kind"]
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    KIND_HTTP: AgentEndpoint.Kind
    KIND_NATS: AgentEndpoint.Kind
    KIND_UNSPECIFIED: AgentEndpoint.Kind
    address: str
    kind: AgentEndpoint.Kind
    def __init__(self, kind: _Optional[_Union[AgentEndpoint.Kind, str]] = ..., address: _Optional[str] = ...) -> None: ...

class AgentHealthChanged(_message.Message):
    __slots__ = ["agent_id", "current", "previous"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    current: AgentStatus
    previous: AgentStatus
    def __init__(self, agent_id: _Optional[str] = ..., previous: _Optional[_Union[AgentStatus, str]] = ..., current: _Optional[_Union[AgentStatus, str]] = ...) -> None: ...

class AgentRecord(_message.Message):
    __slots__ = ["agent", "last_heartbeat_unix_nanos", "registered_at_unix_nanos", "revision", "status", "trust_score", "updated_at_unix_nanos"]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TRUST_SCORE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    agent: Agent
    last_heartbeat_unix_nanos: int
    registered_at_unix_nanos: int
    revision: int
    status: AgentStatus
    trust_score: float
    updated_at_unix_nanos: int
    def __init__(self, agent: _Optional[_Union[Agent, _Mapping]] = ..., status: _Optional[_Union[AgentStatus, str]] = ..., revision: _Optional[int] = ..., registered_at_unix_nanos: _Optional[int] = ..., updated_at_unix_nanos: _Optional[int] = ..., last_heartbeat_unix_nanos: _Optional[int] = ..., trust_score: _Optional[float] = ...) -> None: ...

class AgentRegistered(_message.Message):
    __slots__ = ["record"]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    record: AgentRecord
    def __init__(self, record: _Optional[_Union[AgentRecord, _Mapping]] = ...) -> None: ...

class AgentVersion(_message.Message):
    __slots__ = ["agent", "recorded_at_unix_nanos", "revision"]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    agent: Agent
    recorded_at_unix_nanos: int
    revision: int
    def __init__(self, revision: _Optional[int] = ..., agent: _Optional[_Union[Agent, _Mapping]] = ..., recorded_at_unix_nanos: _Optional[int] = ...) -> None: ...

class AgentVersionsRequest(_message.Message):
    __slots__ = ["agent_id"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    def __init__(self, agent_id: _Optional[str] = ...) -> None: ...

class AgentVersionsResponse(_message.Message):
    __slots__ = ["versions"]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[AgentVersion]
    def __init__(self, versions: _Optional[_Iterable[_Union[AgentVersion, _Mapping]]] = ...) -> None: ...

class DeregisterAgentRequest(_message.Message):
    __slots__ = ["agent_id", "reason"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    reason: str
    def __init__(self, agent_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class GetAgentRequest(_message.Message):
    __slots__ = ["agent_id"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    def __init__(self, agent_id: _Optional[str] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ["agent_id", "load", "ttl_seconds"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    LOAD_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    load: _containers.RepeatedCompositeFieldContainer[_envelope_pb2.Header]
    ttl_seconds: int
    def __init__(self, agent_id: _Optional[str] = ..., ttl_seconds: _Optional[int] = ..., load: _Optional[_Iterable[_Union[_envelope_pb2.Header, _Mapping]]] = ...) -> None: ...

class HeartbeatAck(_message.Message):
    __slots__ = ["agent_id", "status"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    status: str
    def __init__(self, agent_id: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class ListAgentsRequest(_message.Message):
    __slots__ = ["capability", "container", "page_size", "page_token", "status"]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    capability: str
    container: str
    page_size: int
    page_token: str
    status: AgentStatus
    def __init__(self, capability: _Optional[str] = ..., status: _Optional[_Union[AgentStatus, str]] = ..., container: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAgentsResponse(_message.Message):
    __slots__ = ["agents", "next_page_token"]
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    agents: _containers.RepeatedCompositeFieldContainer[AgentRecord]
    next_page_token: str
    def __init__(self, agents: _Optional[_Iterable[_Union[AgentRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RegisterAgentsRequest(_message.Message):
    __slots__ = ["agents", "container"]
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    agents: _containers.RepeatedCompositeFieldContainer[Agent]
    container: str
    def __init__(self, container: _Optional[str] = ..., agents: _Optional[_Iterable[_Union[Agent, _Mapping]]] = ...) -> None: ...

class RegisterAgentsResponse(_message.Message):
    __slots__ = ["agents"]
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    agents: _containers.RepeatedCompositeFieldContainer[Agent]
    def __init__(self, agents: _Optional[_Iterable[_Union[Agent, _Mapping]]] = ...) -> None: ...

class SearchAgentsRequest(_message.Message):
    __slots__ = ["capability", "limit"]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    capability: str
    limit: int
    def __init__(self, capability: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class AgentStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
