import AgionEnvelope

/// One decision in the audit trail (`agion.v1.AuditRecord`): a check or a
/// validation, with everything that went into it. Also the payload of the
/// `output_validated` event, and carried by `decisions_recorded` (`DecisionsRecorded`).
public struct AuditRecord: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditRecord"
    public enum Kind: String, Sendable, Hashable { case check, validate }

    /// Position in the tenant's chain; 0 until chained.
    public var sequence: Int64
    public var decisionID: String
    public var kind: Kind
    public var tenant: String
    public var agentID: String
    public var action: String
    public var principal: String
    public var delegationChain: [String]
    public var context: ContextValue
    /// `allow` / `deny` / `require_approval`, or `passed` / `failed`.
    public var result: String
    public var ruleIDs: [String]
    public var reasons: [String]
    public var obligations: [Obligation]
    public var trustScore: Double
    public var policyRevision: UInt32
    public var decidedAtUnixNanos: Int64
    public var evaluationNanos: Int64
    public var violations: [Violation]
    public var executionID: String
    /// Hex link hash; empty until chained.
    public var hash: String

    public init(decisionID: String, kind: Kind, tenant: String, agentID: String, action: String, principal: String = "",
                delegationChain: [String] = [], context: ContextValue = .object([:]), result: String, ruleIDs: [String] = [],
                reasons: [String] = [], obligations: [Obligation] = [], trustScore: Double, policyRevision: UInt32,
                decidedAtUnixNanos: Int64, evaluationNanos: Int64 = 0, violations: [Violation] = [], executionID: String = "") {
        self.sequence = 0
        self.decisionID = decisionID
        self.kind = kind
        self.tenant = tenant
        self.agentID = agentID
        self.action = action
        self.principal = principal
        self.delegationChain = delegationChain
        self.context = context
        self.result = result
        self.ruleIDs = ruleIDs
        self.reasons = reasons
        self.obligations = obligations
        self.trustScore = trustScore
        self.policyRevision = policyRevision
        self.decidedAtUnixNanos = decidedAtUnixNanos
        self.evaluationNanos = evaluationNanos
        self.violations = violations
        self.executionID = executionID
        self.hash = ""
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        sequence = proto.int("sequence")
        decisionID = proto.string("decision_id")
        guard let kind = Kind(rawValue: proto.string("kind")) else { throw EnvelopeError(.invalidField, "kind is check or validate", field: "kind") }
        self.kind = kind
        tenant = proto.string("tenant")
        agentID = proto.string("agent_id")
        action = proto.string("action")
        principal = proto.string("principal")
        delegationChain = proto.list("delegation_chain").compactMap(\.string)
        context = try proto.message("context").map { (m) throws(EnvelopeError) in try ContextValue(structProto: m, field: "context") } ?? .object([:])
        result = proto.string("result")
        ruleIDs = proto.list("rule_ids").compactMap(\.string)
        reasons = proto.list("reasons").compactMap(\.string)
        obligations = proto.list("obligations").compactMap(\.message).map(Obligation.init(proto:))
        trustScore = proto.double("trust_score")
        policyRevision = UInt32(clamping: proto.int("policy_revision"))
        decidedAtUnixNanos = proto.int("decided_at_unix_nanos")
        evaluationNanos = proto.int("evaluation_nanos")
        violations = proto.list("violations").compactMap(\.message).map(Violation.init(proto:))
        executionID = proto.string("execution_id")
        hash = proto.string("hash")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "sequence": .int(sequence), "decision_id": .string(decisionID), "kind": .string(kind.rawValue), "tenant": .string(tenant),
            "agent_id": .string(agentID), "action": .string(action), "principal": .string(principal),
            "delegation_chain": .list(delegationChain.map { .string($0) }), "context": .message(context.structProto),
            "result": .string(result), "rule_ids": .list(ruleIDs.map { .string($0) }), "reasons": .list(reasons.map { .string($0) }),
            "obligations": .list(obligations.map { .message($0.proto) }), "trust_score": .double(trustScore),
            "policy_revision": .uint(UInt64(policyRevision)), "decided_at_unix_nanos": .int(decidedAtUnixNanos),
            "evaluation_nanos": .int(evaluationNanos), "violations": .list(violations.map { .message($0.proto) }),
            "execution_id": .string(executionID), "hash": .string(hash),
        ])
    }
}

/// `agion.rpc.governance.audit.query`: filters are ANDed; unset means any.
public struct AuditQuery: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditQuery"
    public static let maxPageSize: UInt32 = 1_000

    public var agentID: String?
    public var action: String?
    public var result: String?
    public var kind: AuditRecord.Kind?
    public var decisionID: String?
    public var fromUnixNanos: Int64?
    public var toUnixNanos: Int64?
    public var pageSize: UInt32
    public var pageToken: String

    public init(agentID: String? = nil, action: String? = nil, result: String? = nil, kind: AuditRecord.Kind? = nil, decisionID: String? = nil,
                fromUnixNanos: Int64? = nil, toUnixNanos: Int64? = nil, pageSize: UInt32 = 100, pageToken: String = "") {
        self.agentID = agentID
        self.action = action
        self.result = result
        self.kind = kind
        self.decisionID = decisionID
        self.fromUnixNanos = fromUnixNanos
        self.toUnixNanos = toUnixNanos
        self.pageSize = pageSize
        self.pageToken = pageToken
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        func optional(_ name: String) -> String? { let v = proto.string(name); return v.isEmpty ? nil : v }
        agentID = optional("agent_id")
        action = optional("action")
        result = optional("result")
        if let result, !["allow", "deny", "require_approval", "passed", "failed"].contains(result) {
            throw EnvelopeError(.invalidField, "result is allow, deny, require_approval, passed or failed", field: "result")
        }
        if let kind = optional("kind") {
            guard let parsed = AuditRecord.Kind(rawValue: kind) else { throw EnvelopeError(.invalidField, "kind is check or validate", field: "kind") }
            self.kind = parsed
        } else {
            kind = nil
        }
        decisionID = optional("decision_id")
        let from = proto.int("from_unix_nanos"), to = proto.int("to_unix_nanos")
        fromUnixNanos = from == 0 ? nil : from
        toUnixNanos = to == 0 ? nil : to
        if let f = fromUnixNanos, let t = toUnixNanos, f > t {
            throw EnvelopeError(.invalidField, "the range ends before it starts", field: "to_unix_nanos")
        }
        let size = proto.int("page_size")
        pageSize = size == 0 ? 100 : UInt32(clamping: min(size, Int64(Self.maxPageSize)))
        pageToken = proto.string("page_token")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "agent_id": .string(agentID ?? ""), "action": .string(action ?? ""), "result": .string(result ?? ""),
            "kind": .string(kind?.rawValue ?? ""), "decision_id": .string(decisionID ?? ""),
            "from_unix_nanos": .int(fromUnixNanos ?? 0), "to_unix_nanos": .int(toUnixNanos ?? 0),
            "page_size": .uint(UInt64(pageSize)), "page_token": .string(pageToken),
        ])
    }
}

public struct AuditQueryResponse: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditQueryResponse"
    public var records: [AuditRecord]
    public var nextPageToken: String

    public init(records: [AuditRecord], nextPageToken: String = "") {
        self.records = records
        self.nextPageToken = nextPageToken
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        var records: [AuditRecord] = []
        for entry in proto.list("records").compactMap(\.message) { records.append(try AuditRecord(proto: entry)) }
        self.records = records
        nextPageToken = proto.string("next_page_token")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["records": .list(records.map { .message($0.proto) }), "next_page_token": .string(nextPageToken)])
    }
}

/// `agion.rpc.governance.audit.verify`.
public struct AuditVerifyRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditVerifyRequest"
    public init() {}
    public init(proto: ProtoMessage) throws(EnvelopeError) {}
    public var proto: ProtoMessage { ProtoMessage(Self.protoName, [:]) }
}

public struct AuditVerifyResponse: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditVerifyResponse"
    public var intact: Bool
    public var recordsChecked: Int64
    /// The first record whose link does not hold; 0 when intact.
    public var firstBrokenSequence: Int64
    public var reason: String
    public var headHash: String

    public init(intact: Bool, recordsChecked: Int64, firstBrokenSequence: Int64 = 0, reason: String = "", headHash: String = "") {
        self.intact = intact
        self.recordsChecked = recordsChecked
        self.firstBrokenSequence = firstBrokenSequence
        self.reason = reason
        self.headHash = headHash
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        intact = proto.bool("intact")
        recordsChecked = proto.int("records_checked")
        firstBrokenSequence = proto.int("first_broken_sequence")
        reason = proto.string("reason")
        headHash = proto.string("head_hash")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["intact": .bool(intact), "records_checked": .int(recordsChecked),
                                      "first_broken_sequence": .int(firstBrokenSequence), "reason": .string(reason), "head_hash": .string(headHash)])
    }
}
