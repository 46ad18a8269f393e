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

/// `agion.rpc.governance.audit.verify`: start a verification (docs/governance.md).
public struct AuditVerifyRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditVerifyRequest"
    /// From the first record instead of from where the last successful verification ended.
    public var full: Bool

    public init(full: Bool = false) { self.full = full }
    public init(proto: ProtoMessage) throws(EnvelopeError) { full = proto.bool("full") }
    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["full": .bool(full)]) }
}

/// A verification job and, once finished, its result.
public struct AuditVerifyResponse: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditVerifyResponse"
    public enum Status: String, Sendable {
        case pending, running, succeeded, failed
    }

    /// True when the job finished and everything held.
    public var intact: Bool
    public var recordsChecked: Int64
    /// The first record that does not hold; 0 when intact.
    public var firstBrokenSequence: Int64
    public var reason: String
    /// The chain hash of record `toSize`, once finished.
    public var headHash: String
    public var verificationID: String
    /// `incremental` or `full`.
    public var kind: String
    public var status: Status
    public var fromSize: Int64
    public var toSize: Int64
    /// The signed root at `toSize`, which the records must give.
    public var rootHash: String
    public var createdAtUnixMillis: Int64
    public var finishedAtUnixMillis: Int64

    public init(intact: Bool, recordsChecked: Int64, firstBrokenSequence: Int64 = 0, reason: String = "", headHash: String = "",
                verificationID: String = "", kind: String = "incremental", status: Status = .succeeded, fromSize: Int64 = 0, toSize: Int64 = 0,
                rootHash: String = "", createdAtUnixMillis: Int64 = 0, finishedAtUnixMillis: Int64 = 0) {
        self.intact = intact
        self.recordsChecked = recordsChecked
        self.firstBrokenSequence = firstBrokenSequence
        self.reason = reason
        self.headHash = headHash
        self.verificationID = verificationID
        self.kind = kind
        self.status = status
        self.fromSize = fromSize
        self.toSize = toSize
        self.rootHash = rootHash
        self.createdAtUnixMillis = createdAtUnixMillis
        self.finishedAtUnixMillis = finishedAtUnixMillis
    }

    public var finished: Bool { status == .succeeded || status == .failed }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        intact = proto.bool("intact")
        recordsChecked = proto.int("records_checked")
        firstBrokenSequence = proto.int("first_broken_sequence")
        reason = proto.string("reason")
        headHash = proto.string("head_hash")
        verificationID = proto.string("verification_id")
        kind = proto.string("kind")
        status = Status(rawValue: proto.string("status")) ?? .pending
        fromSize = proto.int("from_size")
        toSize = proto.int("to_size")
        rootHash = proto.string("root_hash")
        createdAtUnixMillis = proto.int("created_at_unix_millis")
        finishedAtUnixMillis = proto.int("finished_at_unix_millis")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["intact": .bool(intact), "records_checked": .int(recordsChecked),
                                      "first_broken_sequence": .int(firstBrokenSequence), "reason": .string(reason), "head_hash": .string(headHash),
                                      "verification_id": .string(verificationID), "kind": .string(kind), "status": .string(status.rawValue),
                                      "from_size": .int(fromSize), "to_size": .int(toSize), "root_hash": .string(rootHash),
                                      "created_at_unix_millis": .int(createdAtUnixMillis), "finished_at_unix_millis": .int(finishedAtUnixMillis)])
    }
}

/// `agion.rpc.governance.audit.verification`: one job by id.
public struct AuditVerificationRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditVerificationRequest"
    public var verificationID: String

    public init(verificationID: String) { self.verificationID = verificationID }
    public init(proto: ProtoMessage) throws(EnvelopeError) { verificationID = proto.string("verification_id") }
    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["verification_id": .string(verificationID)]) }
}

/// `agion.rpc.governance.audit.verifications`: the newest jobs first.
public struct ListAuditVerificationsRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.ListAuditVerificationsRequest"
    public var limit: UInt32

    public init(limit: UInt32 = 20) { self.limit = limit }
    public init(proto: ProtoMessage) throws(EnvelopeError) { limit = UInt32(clamping: proto.int("limit")) }
    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["limit": .uint(UInt64(limit))]) }
}

public struct ListAuditVerificationsResponse: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.ListAuditVerificationsResponse"
    public var verifications: [AuditVerifyResponse]

    public init(verifications: [AuditVerifyResponse]) { self.verifications = verifications }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        var verifications: [AuditVerifyResponse] = []
        for entry in proto.list("verifications").compactMap(\.message) { verifications.append(try AuditVerifyResponse(proto: entry)) }
        self.verifications = verifications
    }

    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["verifications": .list(verifications.map { .message($0.proto) })]) }
}
