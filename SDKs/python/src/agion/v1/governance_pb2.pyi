from agion.v1 import envelope_pb2 as _envelope_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ActivatePolicyRequest(_message.Message):
    __slots__ = ["revision"]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    revision: int
    def __init__(self, revision: _Optional[int] = ...) -> None: ...

class AuditArchive(_message.Message):
    __slots__ = ["chain_hash_before", "created_at_unix_millis", "dropped_at_unix_millis", "from_size", "frontier_before", "head", "tenant", "to_size"]
    CHAIN_HASH_BEFORE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_UNIX_MILLIS_FIELD_NUMBER: _ClassVar[int]
    DROPPED_AT_UNIX_MILLIS_FIELD_NUMBER: _ClassVar[int]
    FROM_SIZE_FIELD_NUMBER: _ClassVar[int]
    FRONTIER_BEFORE_FIELD_NUMBER: _ClassVar[int]
    HEAD_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    TO_SIZE_FIELD_NUMBER: _ClassVar[int]
    chain_hash_before: str
    created_at_unix_millis: int
    dropped_at_unix_millis: int
    from_size: int
    frontier_before: _containers.RepeatedScalarFieldContainer[str]
    head: AuditTreeHead
    tenant: str
    to_size: int
    def __init__(self, tenant: _Optional[str] = ..., from_size: _Optional[int] = ..., to_size: _Optional[int] = ..., chain_hash_before: _Optional[str] = ..., frontier_before: _Optional[_Iterable[str]] = ..., head: _Optional[_Union[AuditTreeHead, _Mapping]] = ..., created_at_unix_millis: _Optional[int] = ..., dropped_at_unix_millis: _Optional[int] = ...) -> None: ...

class AuditArchiveRecord(_message.Message):
    __slots__ = ["hash", "record", "sequence"]
    HASH_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    hash: str
    record: bytes
    sequence: int
    def __init__(self, sequence: _Optional[int] = ..., record: _Optional[bytes] = ..., hash: _Optional[str] = ...) -> None: ...

class AuditArchiveRecordsRequest(_message.Message):
    __slots__ = ["after_sequence", "page_size", "to_size"]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    TO_SIZE_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    page_size: int
    to_size: int
    def __init__(self, to_size: _Optional[int] = ..., after_sequence: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class AuditArchiveRecordsResponse(_message.Message):
    __slots__ = ["next_after_sequence", "records"]
    NEXT_AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    next_after_sequence: int
    records: _containers.RepeatedCompositeFieldContainer[AuditArchiveRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[AuditArchiveRecord, _Mapping]]] = ..., next_after_sequence: _Optional[int] = ...) -> None: ...

class AuditConsistencyProof(_message.Message):
    __slots__ = ["from_head", "from_root", "proof", "to", "to_head", "to_root"]
    FROM_FIELD_NUMBER: _ClassVar[int]
    FROM_HEAD_FIELD_NUMBER: _ClassVar[int]
    FROM_ROOT_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    TO_HEAD_FIELD_NUMBER: _ClassVar[int]
    TO_ROOT_FIELD_NUMBER: _ClassVar[int]
    from_head: AuditTreeHead
    from_root: str
    proof: _containers.RepeatedScalarFieldContainer[str]
    to: int
    to_head: AuditTreeHead
    to_root: str
    def __init__(self, to: _Optional[int] = ..., from_root: _Optional[str] = ..., to_root: _Optional[str] = ..., proof: _Optional[_Iterable[str]] = ..., from_head: _Optional[_Union[AuditTreeHead, _Mapping]] = ..., to_head: _Optional[_Union[AuditTreeHead, _Mapping]] = ..., **kwargs) -> None: ...

class AuditConsistencyRequest(_message.Message):
    __slots__ = ["to"]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    to: int
    def __init__(self, to: _Optional[int] = ..., **kwargs) -> None: ...

class AuditInclusionProof(_message.Message):
    __slots__ = ["audit_path", "decision_id", "leaf", "leaf_hash", "leaf_index", "root_hash", "tree_head", "tree_size"]
    AUDIT_PATH_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    LEAF_FIELD_NUMBER: _ClassVar[int]
    LEAF_HASH_FIELD_NUMBER: _ClassVar[int]
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    ROOT_HASH_FIELD_NUMBER: _ClassVar[int]
    TREE_HEAD_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    audit_path: _containers.RepeatedScalarFieldContainer[str]
    decision_id: str
    leaf: bytes
    leaf_hash: str
    leaf_index: int
    root_hash: str
    tree_head: AuditTreeHead
    tree_size: int
    def __init__(self, decision_id: _Optional[str] = ..., leaf_index: _Optional[int] = ..., leaf_hash: _Optional[str] = ..., leaf: _Optional[bytes] = ..., audit_path: _Optional[_Iterable[str]] = ..., tree_size: _Optional[int] = ..., root_hash: _Optional[str] = ..., tree_head: _Optional[_Union[AuditTreeHead, _Mapping]] = ...) -> None: ...

class AuditKeysRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class AuditKeysResponse(_message.Message):
    __slots__ = ["keys"]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[AuditSigningKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[AuditSigningKey, _Mapping]]] = ...) -> None: ...

class AuditProofRequest(_message.Message):
    __slots__ = ["decision_id", "tree_size"]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    tree_size: int
    def __init__(self, decision_id: _Optional[str] = ..., tree_size: _Optional[int] = ...) -> None: ...

class AuditQuery(_message.Message):
    __slots__ = ["action", "agent_id", "decision_id", "from_unix_nanos", "kind", "page_size", "page_token", "result", "to_unix_nanos"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    TO_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    action: str
    agent_id: str
    decision_id: str
    from_unix_nanos: int
    kind: str
    page_size: int
    page_token: str
    result: str
    to_unix_nanos: int
    def __init__(self, agent_id: _Optional[str] = ..., action: _Optional[str] = ..., result: _Optional[str] = ..., kind: _Optional[str] = ..., from_unix_nanos: _Optional[int] = ..., to_unix_nanos: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., decision_id: _Optional[str] = ...) -> None: ...

class AuditQueryResponse(_message.Message):
    __slots__ = ["next_page_token", "records"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    records: _containers.RepeatedCompositeFieldContainer[AuditRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[AuditRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AuditRecord(_message.Message):
    __slots__ = ["action", "agent_id", "context", "decided_at_unix_nanos", "decision_id", "delegation_chain", "evaluation_nanos", "execution_id", "hash", "kind", "obligations", "policy_revision", "principal", "reasons", "result", "rule_ids", "sequence", "tenant", "trust_score", "violations"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    DELEGATION_CHAIN_FIELD_NUMBER: _ClassVar[int]
    EVALUATION_NANOS_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OBLIGATIONS_FIELD_NUMBER: _ClassVar[int]
    POLICY_REVISION_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    RULE_IDS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    TRUST_SCORE_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    action: str
    agent_id: str
    context: StructValue
    decided_at_unix_nanos: int
    decision_id: str
    delegation_chain: _containers.RepeatedScalarFieldContainer[str]
    evaluation_nanos: int
    execution_id: str
    hash: str
    kind: str
    obligations: _containers.RepeatedCompositeFieldContainer[Obligation]
    policy_revision: int
    principal: str
    reasons: _containers.RepeatedScalarFieldContainer[str]
    result: str
    rule_ids: _containers.RepeatedScalarFieldContainer[str]
    sequence: int
    tenant: str
    trust_score: float
    violations: _containers.RepeatedCompositeFieldContainer[Violation]
    def __init__(self, sequence: _Optional[int] = ..., decision_id: _Optional[str] = ..., kind: _Optional[str] = ..., tenant: _Optional[str] = ..., agent_id: _Optional[str] = ..., action: _Optional[str] = ..., principal: _Optional[str] = ..., delegation_chain: _Optional[_Iterable[str]] = ..., context: _Optional[_Union[StructValue, _Mapping]] = ..., result: _Optional[str] = ..., rule_ids: _Optional[_Iterable[str]] = ..., reasons: _Optional[_Iterable[str]] = ..., obligations: _Optional[_Iterable[_Union[Obligation, _Mapping]]] = ..., trust_score: _Optional[float] = ..., policy_revision: _Optional[int] = ..., decided_at_unix_nanos: _Optional[int] = ..., evaluation_nanos: _Optional[int] = ..., violations: _Optional[_Iterable[_Union[Violation, _Mapping]]] = ..., execution_id: _Optional[str] = ..., hash: _Optional[str] = ...) -> None: ...

class AuditSigningKey(_message.Message):
    __slots__ = ["first_used_unix_millis", "key_id", "public_key"]
    FIRST_USED_UNIX_MILLIS_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    first_used_unix_millis: int
    key_id: str
    public_key: str
    def __init__(self, key_id: _Optional[str] = ..., public_key: _Optional[str] = ..., first_used_unix_millis: _Optional[int] = ...) -> None: ...

class AuditTreeHead(_message.Message):
    __slots__ = ["key_id", "root_hash", "signature", "tenant", "timestamp_unix_millis", "tree_size"]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    ROOT_HASH_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_UNIX_MILLIS_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    root_hash: str
    signature: str
    tenant: str
    timestamp_unix_millis: int
    tree_size: int
    def __init__(self, tenant: _Optional[str] = ..., tree_size: _Optional[int] = ..., root_hash: _Optional[str] = ..., timestamp_unix_millis: _Optional[int] = ..., key_id: _Optional[str] = ..., signature: _Optional[str] = ...) -> None: ...

class AuditTreeHeadRequest(_message.Message):
    __slots__ = ["tree_size"]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    tree_size: int
    def __init__(self, tree_size: _Optional[int] = ...) -> None: ...

class AuditVerificationRequest(_message.Message):
    __slots__ = ["verification_id"]
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    verification_id: str
    def __init__(self, verification_id: _Optional[str] = ...) -> None: ...

class AuditVerifyRequest(_message.Message):
    __slots__ = ["full"]
    FULL_FIELD_NUMBER: _ClassVar[int]
    full: bool
    def __init__(self, full: bool = ...) -> None: ...

class AuditVerifyResponse(_message.Message):
    __slots__ = ["created_at_unix_millis", "finished_at_unix_millis", "first_broken_sequence", "from_size", "head_hash", "intact", "kind", "reason", "records_checked", "root_hash", "status", "to_size", "verification_id"]
    CREATED_AT_UNIX_MILLIS_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_UNIX_MILLIS_FIELD_NUMBER: _ClassVar[int]
    FIRST_BROKEN_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    FROM_SIZE_FIELD_NUMBER: _ClassVar[int]
    HEAD_HASH_FIELD_NUMBER: _ClassVar[int]
    INTACT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RECORDS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    ROOT_HASH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_SIZE_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    created_at_unix_millis: int
    finished_at_unix_millis: int
    first_broken_sequence: int
    from_size: int
    head_hash: str
    intact: bool
    kind: str
    reason: str
    records_checked: int
    root_hash: str
    status: str
    to_size: int
    verification_id: str
    def __init__(self, intact: bool = ..., records_checked: _Optional[int] = ..., first_broken_sequence: _Optional[int] = ..., reason: _Optional[str] = ..., head_hash: _Optional[str] = ..., verification_id: _Optional[str] = ..., kind: _Optional[str] = ..., status: _Optional[str] = ..., from_size: _Optional[int] = ..., to_size: _Optional[int] = ..., root_hash: _Optional[str] = ..., created_at_unix_millis: _Optional[int] = ..., finished_at_unix_millis: _Optional[int] = ...) -> None: ...

class CheckRequest(_message.Message):
    __slots__ = ["action", "agent_id", "context", "delegation_chain", "principal"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DELEGATION_CHAIN_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    action: str
    agent_id: str
    context: StructValue
    delegation_chain: _containers.RepeatedScalarFieldContainer[str]
    principal: str
    def __init__(self, agent_id: _Optional[str] = ..., action: _Optional[str] = ..., context: _Optional[_Union[StructValue, _Mapping]] = ..., principal: _Optional[str] = ..., delegation_chain: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateAuditArchiveRequest(_message.Message):
    __slots__ = ["before_unix_nanos"]
    BEFORE_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    before_unix_nanos: int
    def __init__(self, before_unix_nanos: _Optional[int] = ...) -> None: ...

class Decision(_message.Message):
    __slots__ = ["decision_id", "effect", "fail_closed", "obligations", "policy_revision", "reasons", "rule_ids", "trust_score"]
    class Effect(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    EFFECT_ALLOW: Decision.Effect
    EFFECT_DENY: Decision.Effect
    EFFECT_FIELD_NUMBER: _ClassVar[int]
    EFFECT_REQUIRE_APPROVAL: Decision.Effect
    EFFECT_UNSPECIFIED: Decision.Effect
    FAIL_CLOSED_FIELD_NUMBER: _ClassVar[int]
    OBLIGATIONS_FIELD_NUMBER: _ClassVar[int]
    POLICY_REVISION_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    RULE_IDS_FIELD_NUMBER: _ClassVar[int]
    TRUST_SCORE_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    effect: Decision.Effect
    fail_closed: bool
    obligations: _containers.RepeatedCompositeFieldContainer[Obligation]
    policy_revision: int
    reasons: _containers.RepeatedScalarFieldContainer[str]
    rule_ids: _containers.RepeatedScalarFieldContainer[str]
    trust_score: float
    def __init__(self, decision_id: _Optional[str] = ..., effect: _Optional[_Union[Decision.Effect, str]] = ..., rule_ids: _Optional[_Iterable[str]] = ..., reasons: _Optional[_Iterable[str]] = ..., obligations: _Optional[_Iterable[_Union[Obligation, _Mapping]]] = ..., trust_score: _Optional[float] = ..., policy_revision: _Optional[int] = ..., fail_closed: bool = ...) -> None: ...

class DecisionsRecorded(_message.Message):
    __slots__ = ["records"]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[AuditRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[AuditRecord, _Mapping]]] = ...) -> None: ...

class DropAuditArchiveRequest(_message.Message):
    __slots__ = ["to_size"]
    TO_SIZE_FIELD_NUMBER: _ClassVar[int]
    to_size: int
    def __init__(self, to_size: _Optional[int] = ...) -> None: ...

class ExecutionReport(_message.Message):
    __slots__ = ["agent_id", "capability", "execution_id", "latency_ms", "outcome", "target_latency_ms"]
    class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FAILURE: ExecutionReport.Outcome
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_SUCCESS: ExecutionReport.Outcome
    OUTCOME_TIMEOUT: ExecutionReport.Outcome
    OUTCOME_UNSPECIFIED: ExecutionReport.Outcome
    TARGET_LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    capability: str
    execution_id: str
    latency_ms: float
    outcome: ExecutionReport.Outcome
    target_latency_ms: float
    def __init__(self, agent_id: _Optional[str] = ..., capability: _Optional[str] = ..., outcome: _Optional[_Union[ExecutionReport.Outcome, str]] = ..., latency_ms: _Optional[float] = ..., target_latency_ms: _Optional[float] = ..., execution_id: _Optional[str] = ...) -> None: ...

class ExplainRequest(_message.Message):
    __slots__ = ["policy_document", "request"]
    POLICY_DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    policy_document: str
    request: CheckRequest
    def __init__(self, request: _Optional[_Union[CheckRequest, _Mapping]] = ..., policy_document: _Optional[str] = ...) -> None: ...

class FeedbackRequest(_message.Message):
    __slots__ = ["agent_id", "capability", "comment", "execution_id", "rating", "source"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    capability: str
    comment: str
    execution_id: str
    rating: int
    source: str
    def __init__(self, agent_id: _Optional[str] = ..., capability: _Optional[str] = ..., rating: _Optional[int] = ..., comment: _Optional[str] = ..., source: _Optional[str] = ..., execution_id: _Optional[str] = ...) -> None: ...

class Field(_message.Message):
    __slots__ = ["key", "value"]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: Value
    def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Value, _Mapping]] = ...) -> None: ...

class GetPolicyRequest(_message.Message):
    __slots__ = ["revision"]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    revision: int
    def __init__(self, revision: _Optional[int] = ...) -> None: ...

class ListAuditArchivesRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListAuditArchivesResponse(_message.Message):
    __slots__ = ["archives"]
    ARCHIVES_FIELD_NUMBER: _ClassVar[int]
    archives: _containers.RepeatedCompositeFieldContainer[AuditArchive]
    def __init__(self, archives: _Optional[_Iterable[_Union[AuditArchive, _Mapping]]] = ...) -> None: ...

class ListAuditVerificationsRequest(_message.Message):
    __slots__ = ["limit"]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    limit: int
    def __init__(self, limit: _Optional[int] = ...) -> None: ...

class ListAuditVerificationsResponse(_message.Message):
    __slots__ = ["verifications"]
    VERIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    verifications: _containers.RepeatedCompositeFieldContainer[AuditVerifyResponse]
    def __init__(self, verifications: _Optional[_Iterable[_Union[AuditVerifyResponse, _Mapping]]] = ...) -> None: ...

class ListPolicyRevisionsRequest(_message.Message):
    __slots__ = ["limit"]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    limit: int
    def __init__(self, limit: _Optional[int] = ...) -> None: ...

class ListPolicyRevisionsResponse(_message.Message):
    __slots__ = ["revisions"]
    REVISIONS_FIELD_NUMBER: _ClassVar[int]
    revisions: _containers.RepeatedCompositeFieldContainer[PolicyRevision]
    def __init__(self, revisions: _Optional[_Iterable[_Union[PolicyRevision, _Mapping]]] = ...) -> None: ...

class ListValue(_message.Message):
    __slots__ = ["values"]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[Value]
    def __init__(self, values: _Optional[_Iterable[_Union[Value, _Mapping]]] = ...) -> None: ...

class Obligation(_message.Message):
    __slots__ = ["kind", "parameters"]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    kind: str
    parameters: _containers.RepeatedCompositeFieldContainer[_envelope_pb2.Header]
    def __init__(self, kind: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[_envelope_pb2.Header, _Mapping]]] = ...) -> None: ...

class PolicyDocument(_message.Message):
    __slots__ = ["document", "revision"]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    document: str
    revision: PolicyRevision
    def __init__(self, revision: _Optional[_Union[PolicyRevision, _Mapping]] = ..., document: _Optional[str] = ...) -> None: ...

class PolicyRevision(_message.Message):
    __slots__ = ["active", "comment", "created_at_unix_nanos", "digest", "output_rule_count", "revision", "rule_count"]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_RULE_COUNT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    RULE_COUNT_FIELD_NUMBER: _ClassVar[int]
    active: bool
    comment: str
    created_at_unix_nanos: int
    digest: str
    output_rule_count: int
    revision: int
    rule_count: int
    def __init__(self, revision: _Optional[int] = ..., active: bool = ..., comment: _Optional[str] = ..., created_at_unix_nanos: _Optional[int] = ..., rule_count: _Optional[int] = ..., output_rule_count: _Optional[int] = ..., digest: _Optional[str] = ...) -> None: ...

class PutPolicyRequest(_message.Message):
    __slots__ = ["comment", "document", "draft"]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    DRAFT_FIELD_NUMBER: _ClassVar[int]
    comment: str
    document: str
    draft: bool
    def __init__(self, document: _Optional[str] = ..., comment: _Optional[str] = ..., draft: bool = ...) -> None: ...

class StoredOutput(_message.Message):
    __slots__ = ["digest", "mission_id", "size"]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    MISSION_ID_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    digest: str
    mission_id: str
    size: int
    def __init__(self, mission_id: _Optional[str] = ..., digest: _Optional[str] = ..., size: _Optional[int] = ...) -> None: ...

class StructValue(_message.Message):
    __slots__ = ["fields"]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    fields: _containers.RepeatedCompositeFieldContainer[Field]
    def __init__(self, fields: _Optional[_Iterable[_Union[Field, _Mapping]]] = ...) -> None: ...

class TrustChanged(_message.Message):
    __slots__ = ["cause", "execution_id", "previous_score", "score"]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SCORE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    cause: str
    execution_id: str
    previous_score: float
    score: TrustScore
    def __init__(self, score: _Optional[_Union[TrustScore, _Mapping]] = ..., previous_score: _Optional[float] = ..., cause: _Optional[str] = ..., execution_id: _Optional[str] = ...) -> None: ...

class TrustHistoryEntry(_message.Message):
    __slots__ = ["cause", "execution_id", "negative_added", "occurred_at_unix_nanos", "positive_added", "score"]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_ADDED_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    POSITIVE_ADDED_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    cause: str
    execution_id: str
    negative_added: float
    occurred_at_unix_nanos: int
    positive_added: float
    score: float
    def __init__(self, cause: _Optional[str] = ..., positive_added: _Optional[float] = ..., negative_added: _Optional[float] = ..., score: _Optional[float] = ..., execution_id: _Optional[str] = ..., occurred_at_unix_nanos: _Optional[int] = ...) -> None: ...

class TrustHistoryRequest(_message.Message):
    __slots__ = ["agent_id", "capability", "page_size", "page_token"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    capability: str
    page_size: int
    page_token: str
    def __init__(self, agent_id: _Optional[str] = ..., capability: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class TrustHistoryResponse(_message.Message):
    __slots__ = ["current", "history", "next_page_token"]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    current: TrustScore
    history: _containers.RepeatedCompositeFieldContainer[TrustHistoryEntry]
    next_page_token: str
    def __init__(self, current: _Optional[_Union[TrustScore, _Mapping]] = ..., history: _Optional[_Iterable[_Union[TrustHistoryEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TrustScore(_message.Message):
    __slots__ = ["agent_id", "capability", "evidence", "score", "updated_at_unix_nanos"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_UNIX_NANOS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    capability: str
    evidence: float
    score: float
    updated_at_unix_nanos: int
    def __init__(self, agent_id: _Optional[str] = ..., capability: _Optional[str] = ..., score: _Optional[float] = ..., evidence: _Optional[float] = ..., updated_at_unix_nanos: _Optional[int] = ...) -> None: ...

class TrustScoresRequest(_message.Message):
    __slots__ = ["agent_ids", "capability"]
    AGENT_IDS_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    agent_ids: _containers.RepeatedScalarFieldContainer[str]
    capability: str
    def __init__(self, agent_ids: _Optional[_Iterable[str]] = ..., capability: _Optional[str] = ...) -> None: ...

class TrustScoresResponse(_message.Message):
    __slots__ = ["scores"]
    SCORES_FIELD_NUMBER: _ClassVar[int]
    scores: _containers.RepeatedCompositeFieldContainer[TrustScore]
    def __init__(self, scores: _Optional[_Iterable[_Union[TrustScore, _Mapping]]] = ...) -> None: ...

class ValidateOutputRequest(_message.Message):
    __slots__ = ["action", "agent_id", "capability", "content_type", "execution_id", "latency_ms", "output", "report_execution", "stored_output", "target_latency_ms"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    REPORT_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    STORED_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    TARGET_LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    action: str
    agent_id: str
    capability: str
    content_type: str
    execution_id: str
    latency_ms: float
    output: str
    report_execution: bool
    stored_output: StoredOutput
    target_latency_ms: float
    def __init__(self, agent_id: _Optional[str] = ..., action: _Optional[str] = ..., output: _Optional[str] = ..., content_type: _Optional[str] = ..., capability: _Optional[str] = ..., execution_id: _Optional[str] = ..., report_execution: bool = ..., latency_ms: _Optional[float] = ..., target_latency_ms: _Optional[float] = ..., stored_output: _Optional[_Union[StoredOutput, _Mapping]] = ...) -> None: ...

class ValidationResult(_message.Message):
    __slots__ = ["passed", "policy_revision", "trust_score", "validation_id", "violations"]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    POLICY_REVISION_FIELD_NUMBER: _ClassVar[int]
    TRUST_SCORE_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_ID_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    passed: bool
    policy_revision: int
    trust_score: float
    validation_id: str
    violations: _containers.RepeatedCompositeFieldContainer[Violation]
    def __init__(self, validation_id: _Optional[str] = ..., passed: bool = ..., violations: _Optional[_Iterable[_Union[Violation, _Mapping]]] = ..., trust_score: _Optional[float] = ..., policy_revision: _Optional[int] = ...) -> None: ...

class Value(_message.Message):
    __slots__ = ["bool_value", "list_value", "null_value", "number_value", "string_value", "struct_value"]
    BOOL_VALUE_FIELD_NUMBER: _ClassVar[int]
    LIST_VALUE_FIELD_NUMBER: _ClassVar[int]
    NULL_VALUE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_VALUE_FIELD_NUMBER: _ClassVar[int]
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    STRUCT_VALUE_FIELD_NUMBER: _ClassVar[int]
    bool_value: bool
    list_value: ListValue
    null_value: bool
    number_value: float
    string_value: str
    struct_value: StructValue
    def __init__(self, null_value: bool = ..., bool_value: bool = ..., number_value: _Optional[float] = ..., string_value: _Optional[str] = ..., list_value: _Optional[_Union[ListValue, _Mapping]] = ..., struct_value: _Optional[_Union[StructValue, _Mapping]] = ...) -> None: ...

class Violation(_message.Message):
    __slots__ = ["field", "kind", "message", "rule_id"]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    field: str
    kind: str
    message: str
    rule_id: str
    def __init__(self, rule_id: _Optional[str] = ..., kind: _Optional[str] = ..., message: _Optional[str] = ..., field: _Optional[str] = ...) -> None: ...
