from agion.v1 import governance_pb2 as _governance_pb2
from agion.v1 import registry_pb2 as _registry_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
MISSION_STATUS_CANCELLED: MissionStatus
MISSION_STATUS_FAILED: MissionStatus
MISSION_STATUS_RUNNING: MissionStatus
MISSION_STATUS_SUCCEEDED: MissionStatus
MISSION_STATUS_TIMED_OUT: MissionStatus
MISSION_STATUS_UNSPECIFIED: MissionStatus
STEP_STATUS_AWAITING_APPROVAL: StepStatus
STEP_STATUS_CANCELLED: StepStatus
STEP_STATUS_FAILED: StepStatus
STEP_STATUS_PENDING: StepStatus
STEP_STATUS_RETRYING: StepStatus
STEP_STATUS_RUNNING: StepStatus
STEP_STATUS_SCHEDULED: StepStatus
STEP_STATUS_SUCCEEDED: StepStatus
STEP_STATUS_UNSPECIFIED: StepStatus

class AgentInvocation(_message.Message):
    __slots__ = ["action", "agent_id", "attempt", "deadline_unix_nanos", "idempotency_key", "input", "mission_id", "principal", "step_id"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    action: str
    agent_id: str
    attempt: int
    deadline_unix_nanos: int
    idempotency_key: str
    input: _governance_pb2.Value
    mission_id: str
    principal: str
    step_id: str
    def __init__(self, agent_id: _Optional[str] = ..., input: _Optional[_Union[_governance_pb2.Value, _Mapping]] = ..., mission_id: _Optional[str] = ..., step_id: _Optional[str] = ..., attempt: _Optional[int] = ..., idempotency_key: _Optional[str] = ..., action: _Optional[str] = ..., principal: _Optional[str] = ..., deadline_unix_nanos: _Optional[int] = ...) -> None: ...

class AgentResult(_message.Message):
    __slots__ = ["output", "usage"]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    output: _governance_pb2.Value
    usage: Usage
    def __init__(self, output: _Optional[_Union[_governance_pb2.Value, _Mapping]] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ...) -> None: ...

class Approval(_message.Message):
    __slots__ = ["action", "agent_id", "approval_id", "attempt", "comment", "decided_at_unix_nanos", "decided_by", "escalate_to", "escalated", "expires_at_unix_nanos", "groups", "input", "input_digest", "mission_id", "mission_name", "reasons", "requested_at_unix_nanos", "requested_by", "source", "status", "step_id", "timeout_seconds"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_FIELD_NUMBER: _ClassVar[int]
    ESCALATE_TO_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    INPUT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    MISSION_NAME_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    action: str
    agent_id: str
    approval_id: str
    attempt: int
    comment: str
    decided_at_unix_nanos: int
    decided_by: str
    escalate_to: _containers.RepeatedScalarFieldContainer[str]
    escalated: bool
    expires_at_unix_nanos: int
    groups: _containers.RepeatedScalarFieldContainer[str]
    input: _governance_pb2.Value
    input_digest: str
    mission_id: str
    mission_name: str
    reasons: _containers.RepeatedScalarFieldContainer[str]
    requested_at_unix_nanos: int
    requested_by: str
    source: str
    status: str
    step_id: str
    timeout_seconds: int
    def __init__(self, approval_id: _Optional[str] = ..., mission_id: _Optional[str] = ..., mission_name: _Optional[str] = ..., step_id: _Optional[str] = ..., attempt: _Optional[int] = ..., agent_id: _Optional[str] = ..., action: _Optional[str] = ..., input: _Optional[_Union[_governance_pb2.Value, _Mapping]] = ..., input_digest: _Optional[str] = ..., status: _Optional[str] = ..., groups: _Optional[_Iterable[str]] = ..., escalate_to: _Optional[_Iterable[str]] = ..., timeout_seconds: _Optional[int] = ..., escalated: bool = ..., source: _Optional[str] = ..., reasons: _Optional[_Iterable[str]] = ..., requested_by: _Optional[str] = ..., requested_at_unix_nanos: _Optional[int] = ..., expires_at_unix_nanos: _Optional[int] = ..., decided_by: _Optional[str] = ..., decided_at_unix_nanos: _Optional[int] = ..., comment: _Optional[str] = ...) -> None: ...

class ApprovalRequirement(_message.Message):
    __slots__ = ["escalate_to", "groups", "required", "timeout_seconds"]
    ESCALATE_TO_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    escalate_to: _containers.RepeatedScalarFieldContainer[str]
    groups: _containers.RepeatedScalarFieldContainer[str]
    required: bool
    timeout_seconds: int
    def __init__(self, required: bool = ..., groups: _Optional[_Iterable[str]] = ..., timeout_seconds: _Optional[int] = ..., escalate_to: _Optional[_Iterable[str]] = ...) -> None: ...

class AttemptFinished(_message.Message):
    __slots__ = ["agent_id", "approval", "approval_reasons", "attempt", "error", "latency_ms", "mission_id", "output", "result", "step_id", "usage"]
    class Result(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_REASONS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    RESULT_AWAITING_APPROVAL: AttemptFinished.Result
    RESULT_FAILED: AttemptFinished.Result
    RESULT_FIELD_NUMBER: _ClassVar[int]
    RESULT_SUCCEEDED: AttemptFinished.Result
    RESULT_UNSPECIFIED: AttemptFinished.Result
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    approval: ApprovalRequirement
    approval_reasons: _containers.RepeatedScalarFieldContainer[str]
    attempt: int
    error: StepError
    latency_ms: float
    mission_id: str
    output: _governance_pb2.Value
    result: AttemptFinished.Result
    step_id: str
    usage: Usage
    def __init__(self, mission_id: _Optional[str] = ..., step_id: _Optional[str] = ..., attempt: _Optional[int] = ..., agent_id: _Optional[str] = ..., result: _Optional[_Union[AttemptFinished.Result, str]] = ..., output: _Optional[_Union[_governance_pb2.Value, _Mapping]] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ..., error: _Optional[_Union[StepError, _Mapping]] = ..., approval_reasons: _Optional[_Iterable[str]] = ..., latency_ms: _Optional[float] = ..., approval: _Optional[_Union[ApprovalRequirement, _Mapping]] = ...) -> None: ...

class AttemptStarted(_message.Message):
    __slots__ = ["agent_id", "attempt", "deadline_unix_nanos", "mission_id", "step_id"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    attempt: int
    deadline_unix_nanos: int
    mission_id: str
    step_id: str
    def __init__(self, mission_id: _Optional[str] = ..., step_id: _Optional[str] = ..., attempt: _Optional[int] = ..., agent_id: _Optional[str] = ..., deadline_unix_nanos: _Optional[int] = ...) -> None: ...

class CancelMissionRequest(_message.Message):
    __slots__ = ["mission_id", "reason"]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    mission_id: str
    reason: str
    def __init__(self, mission_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CreateScheduleRequest(_message.Message):
    __slots__ = ["schedule"]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: Schedule
    def __init__(self, schedule: _Optional[_Union[Schedule, _Mapping]] = ...) -> None: ...

class DeadStep(_message.Message):
    __slots__ = ["action", "agent_id", "attempt", "dead_at_unix_nanos", "errors", "input", "mission_id", "mission_name", "replayed_at_unix_nanos", "replayed_by", "step_id"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    DEAD_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    MISSION_NAME_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_BY_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    action: str
    agent_id: str
    attempt: int
    dead_at_unix_nanos: int
    errors: _containers.RepeatedCompositeFieldContainer[StepError]
    input: _governance_pb2.Value
    mission_id: str
    mission_name: str
    replayed_at_unix_nanos: int
    replayed_by: str
    step_id: str
    def __init__(self, mission_id: _Optional[str] = ..., mission_name: _Optional[str] = ..., step_id: _Optional[str] = ..., attempt: _Optional[int] = ..., agent_id: _Optional[str] = ..., action: _Optional[str] = ..., input: _Optional[_Union[_governance_pb2.Value, _Mapping]] = ..., errors: _Optional[_Iterable[_Union[StepError, _Mapping]]] = ..., dead_at_unix_nanos: _Optional[int] = ..., replayed_at_unix_nanos: _Optional[int] = ..., replayed_by: _Optional[str] = ...) -> None: ...

class DecideApprovalRequest(_message.Message):
    __slots__ = ["approval_id", "approve", "comment", "input_digest"]
    APPROVAL_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVE_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    INPUT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    approval_id: str
    approve: bool
    comment: str
    input_digest: str
    def __init__(self, approval_id: _Optional[str] = ..., approve: bool = ..., comment: _Optional[str] = ..., input_digest: _Optional[str] = ...) -> None: ...

class GetApprovalRequest(_message.Message):
    __slots__ = ["approval_id"]
    APPROVAL_ID_FIELD_NUMBER: _ClassVar[int]
    approval_id: str
    def __init__(self, approval_id: _Optional[str] = ...) -> None: ...

class GetMissionRequest(_message.Message):
    __slots__ = ["mission_id"]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    mission_id: str
    def __init__(self, mission_id: _Optional[str] = ...) -> None: ...

class ListApprovalsRequest(_message.Message):
    __slots__ = ["mine", "mission_id", "page_size", "page_token", "status"]
    MINE_FIELD_NUMBER: _ClassVar[int]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    mine: bool
    mission_id: str
    page_size: int
    page_token: str
    status: str
    def __init__(self, status: _Optional[str] = ..., mission_id: _Optional[str] = ..., mine: bool = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListApprovalsResponse(_message.Message):
    __slots__ = ["approvals", "next_page_token"]
    APPROVALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    approvals: _containers.RepeatedCompositeFieldContainer[Approval]
    next_page_token: str
    def __init__(self, approvals: _Optional[_Iterable[_Union[Approval, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListDeadStepsRequest(_message.Message):
    __slots__ = ["include_replayed", "mission_id", "page_size", "page_token"]
    INCLUDE_REPLAYED_FIELD_NUMBER: _ClassVar[int]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    include_replayed: bool
    mission_id: str
    page_size: int
    page_token: str
    def __init__(self, mission_id: _Optional[str] = ..., include_replayed: bool = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDeadStepsResponse(_message.Message):
    __slots__ = ["next_page_token", "steps"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    steps: _containers.RepeatedCompositeFieldContainer[DeadStep]
    def __init__(self, steps: _Optional[_Iterable[_Union[DeadStep, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListMissionsRequest(_message.Message):
    __slots__ = ["name", "page_size", "page_token", "since_unix_nanos", "status", "until_unix_nanos"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SINCE_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UNTIL_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    name: str
    page_size: int
    page_token: str
    since_unix_nanos: int
    status: MissionStatus
    until_unix_nanos: int
    def __init__(self, status: _Optional[_Union[MissionStatus, str]] = ..., name: _Optional[str] = ..., since_unix_nanos: _Optional[int] = ..., until_unix_nanos: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListMissionsResponse(_message.Message):
    __slots__ = ["missions", "next_page_token"]
    MISSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    missions: _containers.RepeatedCompositeFieldContainer[MissionSummary]
    next_page_token: str
    def __init__(self, missions: _Optional[_Iterable[_Union[MissionSummary, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListScheduleFiringsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "schedule_id"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    schedule_id: str
    def __init__(self, schedule_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListScheduleFiringsResponse(_message.Message):
    __slots__ = ["firings", "next_page_token"]
    FIRINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    firings: _containers.RepeatedCompositeFieldContainer[ScheduleFiring]
    next_page_token: str
    def __init__(self, firings: _Optional[_Iterable[_Union[ScheduleFiring, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListSchedulesRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSchedulesResponse(_message.Message):
    __slots__ = ["next_page_token", "schedules"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    schedules: _containers.RepeatedCompositeFieldContainer[Schedule]
    def __init__(self, schedules: _Optional[_Iterable[_Union[Schedule, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Mission(_message.Message):
    __slots__ = ["budget", "deadline_unix_nanos", "idempotency_key", "input", "mission_id", "name", "outcome_code", "outcome_reason", "outcome_step", "output", "position", "principal", "status", "steps", "submitted_at_unix_nanos", "updated_at_unix_nanos", "usage"]
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_CODE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_REASON_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_STEP_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    budget: MissionBudget
    deadline_unix_nanos: int
    idempotency_key: str
    input: _governance_pb2.Value
    mission_id: str
    name: str
    outcome_code: str
    outcome_reason: str
    outcome_step: str
    output: _governance_pb2.Value
    position: int
    principal: str
    status: MissionStatus
    steps: _containers.RepeatedCompositeFieldContainer[MissionStep]
    submitted_at_unix_nanos: int
    updated_at_unix_nanos: int
    usage: Usage
    def __init__(self, mission_id: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[_Union[MissionStatus, str]] = ..., principal: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., submitted_at_unix_nanos: _Optional[int] = ..., updated_at_unix_nanos: _Optional[int] = ..., deadline_unix_nanos: _Optional[int] = ..., budget: _Optional[_Union[MissionBudget, _Mapping]] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ..., input: _Optional[_Union[_governance_pb2.Value, _Mapping]] = ..., steps: _Optional[_Iterable[_Union[MissionStep, _Mapping]]] = ..., output: _Optional[_Union[_governance_pb2.Value, _Mapping]] = ..., outcome_code: _Optional[str] = ..., outcome_reason: _Optional[str] = ..., outcome_step: _Optional[str] = ..., position: _Optional[int] = ...) -> None: ...

class MissionBudget(_message.Message):
    __slots__ = ["max_cost_usd", "max_tokens"]
    MAX_COST_USD_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    max_cost_usd: float
    max_tokens: int
    def __init__(self, max_tokens: _Optional[int] = ..., max_cost_usd: _Optional[float] = ...) -> None: ...

class MissionDefinition(_message.Message):
    __slots__ = ["budget", "deadline", "deadline_seconds", "input", "name", "principal", "steps"]
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    budget: MissionBudget
    deadline: str
    deadline_seconds: int
    input: _governance_pb2.Value
    name: str
    principal: str
    steps: _containers.RepeatedCompositeFieldContainer[MissionStepDefinition]
    def __init__(self, name: _Optional[str] = ..., input: _Optional[_Union[_governance_pb2.Value, _Mapping]] = ..., budget: _Optional[_Union[MissionBudget, _Mapping]] = ..., deadline: _Optional[str] = ..., deadline_seconds: _Optional[int] = ..., principal: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[MissionStepDefinition, _Mapping]]] = ...) -> None: ...

class MissionEvent(_message.Message):
    __slots__ = ["action", "agent_id", "approval", "at_unix_nanos", "attempt", "code", "data", "deadline_unix_nanos", "definition", "error", "final", "idempotency_key", "latency_ms", "mission_id", "name", "occurred_at_unix_nanos", "position", "reason", "reasons", "requested_by", "step_id", "timeout_seconds", "usage"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    action: str
    agent_id: str
    approval: Approval
    at_unix_nanos: int
    attempt: int
    code: str
    data: _governance_pb2.Value
    deadline_unix_nanos: int
    definition: MissionDefinition
    error: StepError
    final: bool
    idempotency_key: str
    latency_ms: float
    mission_id: str
    name: str
    occurred_at_unix_nanos: int
    position: int
    reason: str
    reasons: _containers.RepeatedScalarFieldContainer[str]
    requested_by: str
    step_id: str
    timeout_seconds: int
    usage: Usage
    def __init__(self, mission_id: _Optional[str] = ..., position: _Optional[int] = ..., name: _Optional[str] = ..., occurred_at_unix_nanos: _Optional[int] = ..., step_id: _Optional[str] = ..., attempt: _Optional[int] = ..., agent_id: _Optional[str] = ..., definition: _Optional[_Union[MissionDefinition, _Mapping]] = ..., data: _Optional[_Union[_governance_pb2.Value, _Mapping]] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ..., error: _Optional[_Union[StepError, _Mapping]] = ..., reason: _Optional[str] = ..., final: bool = ..., at_unix_nanos: _Optional[int] = ..., reasons: _Optional[_Iterable[str]] = ..., code: _Optional[str] = ..., latency_ms: _Optional[float] = ..., idempotency_key: _Optional[str] = ..., action: _Optional[str] = ..., timeout_seconds: _Optional[int] = ..., deadline_unix_nanos: _Optional[int] = ..., requested_by: _Optional[str] = ..., approval: _Optional[_Union[Approval, _Mapping]] = ...) -> None: ...

class MissionEventsRequest(_message.Message):
    __slots__ = ["after_position", "limit", "mission_id"]
    AFTER_POSITION_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    after_position: int
    limit: int
    mission_id: str
    def __init__(self, mission_id: _Optional[str] = ..., after_position: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class MissionEventsResponse(_message.Message):
    __slots__ = ["events", "last_position"]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    LAST_POSITION_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[MissionEvent]
    last_position: int
    def __init__(self, events: _Optional[_Iterable[_Union[MissionEvent, _Mapping]]] = ..., last_position: _Optional[int] = ...) -> None: ...

class MissionRetryPolicy(_message.Message):
    __slots__ = ["initial_backoff_ms", "max_attempts", "max_backoff_ms"]
    INITIAL_BACKOFF_MS_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    MAX_BACKOFF_MS_FIELD_NUMBER: _ClassVar[int]
    initial_backoff_ms: int
    max_attempts: int
    max_backoff_ms: int
    def __init__(self, max_attempts: _Optional[int] = ..., initial_backoff_ms: _Optional[int] = ..., max_backoff_ms: _Optional[int] = ...) -> None: ...

class MissionStep(_message.Message):
    __slots__ = ["action", "agent_id", "approval", "approval_reasons", "attempt", "capability", "depends_on", "errors", "finished_at_unix_nanos", "id", "output", "retry_at_unix_nanos", "status", "usage"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_REASONS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    DEPENDS_ON_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    RETRY_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    action: str
    agent_id: str
    approval: Approval
    approval_reasons: _containers.RepeatedScalarFieldContainer[str]
    attempt: int
    capability: str
    depends_on: _containers.RepeatedScalarFieldContainer[str]
    errors: _containers.RepeatedCompositeFieldContainer[StepError]
    finished_at_unix_nanos: int
    id: str
    output: _governance_pb2.Value
    retry_at_unix_nanos: int
    status: StepStatus
    usage: Usage
    def __init__(self, id: _Optional[str] = ..., status: _Optional[_Union[StepStatus, str]] = ..., capability: _Optional[str] = ..., agent_id: _Optional[str] = ..., action: _Optional[str] = ..., depends_on: _Optional[_Iterable[str]] = ..., attempt: _Optional[int] = ..., output: _Optional[_Union[_governance_pb2.Value, _Mapping]] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ..., errors: _Optional[_Iterable[_Union[StepError, _Mapping]]] = ..., approval_reasons: _Optional[_Iterable[str]] = ..., retry_at_unix_nanos: _Optional[int] = ..., finished_at_unix_nanos: _Optional[int] = ..., approval: _Optional[_Union[Approval, _Mapping]] = ...) -> None: ...

class MissionStepDefinition(_message.Message):
    __slots__ = ["action", "agent_id", "approval", "capability", "depends_on", "id", "input", "on_failure", "retry", "timeout_seconds"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    DEPENDS_ON_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    ON_FAILURE_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    action: str
    agent_id: str
    approval: ApprovalRequirement
    capability: str
    depends_on: _containers.RepeatedScalarFieldContainer[str]
    id: str
    input: _governance_pb2.Value
    on_failure: str
    retry: MissionRetryPolicy
    timeout_seconds: int
    def __init__(self, id: _Optional[str] = ..., capability: _Optional[str] = ..., agent_id: _Optional[str] = ..., action: _Optional[str] = ..., input: _Optional[_Union[_governance_pb2.Value, _Mapping]] = ..., depends_on: _Optional[_Iterable[str]] = ..., timeout_seconds: _Optional[int] = ..., retry: _Optional[_Union[MissionRetryPolicy, _Mapping]] = ..., on_failure: _Optional[str] = ..., approval: _Optional[_Union[ApprovalRequirement, _Mapping]] = ...) -> None: ...

class MissionSummary(_message.Message):
    __slots__ = ["mission_id", "name", "outcome_code", "status", "step_count", "submitted_at_unix_nanos", "updated_at_unix_nanos", "usage"]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STEP_COUNT_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    mission_id: str
    name: str
    outcome_code: str
    status: MissionStatus
    step_count: int
    submitted_at_unix_nanos: int
    updated_at_unix_nanos: int
    usage: Usage
    def __init__(self, mission_id: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[_Union[MissionStatus, str]] = ..., submitted_at_unix_nanos: _Optional[int] = ..., updated_at_unix_nanos: _Optional[int] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ..., step_count: _Optional[int] = ..., outcome_code: _Optional[str] = ...) -> None: ...

class ReplayMissionRequest(_message.Message):
    __slots__ = ["mission_id", "step_ids"]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_IDS_FIELD_NUMBER: _ClassVar[int]
    mission_id: str
    step_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, mission_id: _Optional[str] = ..., step_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class Schedule(_message.Message):
    __slots__ = ["buffered_fire_at_unix_nanos", "catch_up_window_seconds", "created_at_unix_nanos", "created_by", "cron", "definition", "fired_count", "last_fired_at_unix_nanos", "last_mission_id", "name", "next_fire_at_unix_nanos", "overlap", "paused", "schedule_id", "skipped_count", "time_zone", "updated_at_unix_nanos"]
    BUFFERED_FIRE_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    CATCH_UP_WINDOW_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CRON_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    FIRED_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_FIRED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    LAST_MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NEXT_FIRE_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_COUNT_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    buffered_fire_at_unix_nanos: int
    catch_up_window_seconds: int
    created_at_unix_nanos: int
    created_by: str
    cron: str
    definition: MissionDefinition
    fired_count: int
    last_fired_at_unix_nanos: int
    last_mission_id: str
    name: str
    next_fire_at_unix_nanos: int
    overlap: str
    paused: bool
    schedule_id: str
    skipped_count: int
    time_zone: str
    updated_at_unix_nanos: int
    def __init__(self, schedule_id: _Optional[str] = ..., name: _Optional[str] = ..., cron: _Optional[str] = ..., time_zone: _Optional[str] = ..., overlap: _Optional[str] = ..., catch_up_window_seconds: _Optional[int] = ..., definition: _Optional[_Union[MissionDefinition, _Mapping]] = ..., paused: bool = ..., next_fire_at_unix_nanos: _Optional[int] = ..., last_fired_at_unix_nanos: _Optional[int] = ..., last_mission_id: _Optional[str] = ..., buffered_fire_at_unix_nanos: _Optional[int] = ..., fired_count: _Optional[int] = ..., skipped_count: _Optional[int] = ..., created_by: _Optional[str] = ..., created_at_unix_nanos: _Optional[int] = ..., updated_at_unix_nanos: _Optional[int] = ...) -> None: ...

class ScheduleFiring(_message.Message):
    __slots__ = ["fire_at_unix_nanos", "manual", "mission_id", "outcome", "recorded_at_unix_nanos", "schedule_id"]
    FIRE_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    MANUAL_FIELD_NUMBER: _ClassVar[int]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    fire_at_unix_nanos: int
    manual: bool
    mission_id: str
    outcome: str
    recorded_at_unix_nanos: int
    schedule_id: str
    def __init__(self, schedule_id: _Optional[str] = ..., fire_at_unix_nanos: _Optional[int] = ..., outcome: _Optional[str] = ..., mission_id: _Optional[str] = ..., recorded_at_unix_nanos: _Optional[int] = ..., manual: bool = ...) -> None: ...

class ScheduleRequest(_message.Message):
    __slots__ = ["schedule_id"]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    def __init__(self, schedule_id: _Optional[str] = ...) -> None: ...

class StepError(_message.Message):
    __slots__ = ["agent_id", "attempt", "code", "message", "platform", "retriable"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    RETRIABLE_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    attempt: int
    code: str
    message: str
    platform: bool
    retriable: bool
    def __init__(self, attempt: _Optional[int] = ..., agent_id: _Optional[str] = ..., code: _Optional[str] = ..., message: _Optional[str] = ..., retriable: bool = ..., platform: bool = ...) -> None: ...

class StepProgress(_message.Message):
    __slots__ = ["agent_id", "attempt", "message", "mission_id", "occurred_at_unix_nanos", "partial", "percent", "sequence", "step_id", "text"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    attempt: int
    message: str
    mission_id: str
    occurred_at_unix_nanos: int
    partial: _governance_pb2.Value
    percent: float
    sequence: int
    step_id: str
    text: str
    def __init__(self, mission_id: _Optional[str] = ..., step_id: _Optional[str] = ..., attempt: _Optional[int] = ..., agent_id: _Optional[str] = ..., sequence: _Optional[int] = ..., message: _Optional[str] = ..., percent: _Optional[float] = ..., text: _Optional[str] = ..., partial: _Optional[_Union[_governance_pb2.Value, _Mapping]] = ..., occurred_at_unix_nanos: _Optional[int] = ...) -> None: ...

class StepWork(_message.Message):
    __slots__ = ["action", "agent_id", "approval_digest", "approval_id", "attempt", "capability", "deadline_unix_nanos", "endpoint", "idempotency_key", "input", "mission_id", "mission_name", "principal", "step_id", "timeout_seconds"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_DIGEST_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    MISSION_NAME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    action: str
    agent_id: str
    approval_digest: str
    approval_id: str
    attempt: int
    capability: str
    deadline_unix_nanos: int
    endpoint: _registry_pb2.AgentEndpoint
    idempotency_key: str
    input: _governance_pb2.Value
    mission_id: str
    mission_name: str
    principal: str
    step_id: str
    timeout_seconds: int
    def __init__(self, mission_id: _Optional[str] = ..., step_id: _Optional[str] = ..., attempt: _Optional[int] = ..., agent_id: _Optional[str] = ..., endpoint: _Optional[_Union[_registry_pb2.AgentEndpoint, _Mapping]] = ..., action: _Optional[str] = ..., input: _Optional[_Union[_governance_pb2.Value, _Mapping]] = ..., timeout_seconds: _Optional[int] = ..., idempotency_key: _Optional[str] = ..., principal: _Optional[str] = ..., mission_name: _Optional[str] = ..., deadline_unix_nanos: _Optional[int] = ..., capability: _Optional[str] = ..., approval_id: _Optional[str] = ..., approval_digest: _Optional[str] = ...) -> None: ...

class SubmitMissionRequest(_message.Message):
    __slots__ = ["definition", "idempotency_key"]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    definition: MissionDefinition
    idempotency_key: str
    def __init__(self, definition: _Optional[_Union[MissionDefinition, _Mapping]] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class Usage(_message.Message):
    __slots__ = ["cost_usd", "input_tokens", "output_tokens"]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    cost_usd: float
    input_tokens: int
    output_tokens: int
    def __init__(self, input_tokens: _Optional[int] = ..., output_tokens: _Optional[int] = ..., cost_usd: _Optional[float] = ...) -> None: ...

class MissionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class StepStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
