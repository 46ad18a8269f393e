import AgionEnvelope
import Foundation

/// `agion.rpc.governance.validate`: an agent's output against the tenant's output rules.
public struct ValidateOutputRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.ValidateOutputRequest"
    /// Outputs larger than this are refused outright (rules may set lower limits).
    public static let maxOutputBytes = 4 << 20

    public var agentID: AgentID
    public var action: String
    public var output: String
    public var contentType: String
    public var capability: String?
    public var executionID: String
    /// Also the execution's report: the invocation that answered `output`
    /// took this long (success if the output passes, failure if not).
    public var execution: ExecutionTiming?
    /// An output too large to send: where execution stored it (`output` is
    /// then empty and governance reads the content when a rule applies).
    public var stored: StoredOutput?

    /// An output in `AGION_OUTPUTS` (`OutputStore`).
    public struct StoredOutput: Sendable, Hashable {
        public var missionID: String
        public var digest: String
        public var size: Int

        public init(missionID: String, digest: String, size: Int) {
            self.missionID = missionID
            self.digest = digest
            self.size = size
        }
    }

    /// How long the invocation took, and its target (0: none).
    public struct ExecutionTiming: Sendable, Hashable {
        public var latencyMillis: Double
        public var targetLatencyMillis: Double

        public init(latencyMillis: Double, targetLatencyMillis: Double = 0) {
            self.latencyMillis = latencyMillis
            self.targetLatencyMillis = targetLatencyMillis
        }
    }

    public init(agentID: AgentID, action: String, output: String, contentType: String = "text/plain",
                capability: String? = nil, executionID: String = "", execution: ExecutionTiming? = nil, stored: StoredOutput? = nil) {
        self.stored = stored
        self.agentID = agentID
        self.action = action
        self.output = output
        self.contentType = contentType
        self.capability = capability
        self.executionID = executionID
        self.execution = execution
    }


    public var isJSON: Bool { contentType.hasPrefix("application/json") }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        agentID = try AgentID(proto.string("agent_id"))
        action = try CheckRequest.token(proto.string("action"), field: "action", limit: CheckRequest.Limits.actionLength, required: true)
        output = proto.string("output")
        guard output.utf8.count <= Self.maxOutputBytes else {
            throw EnvelopeError(.invalidField, "outputs larger than \(Self.maxOutputBytes) bytes are refused", field: "output")
        }
        contentType = String(proto.string("content_type").prefix(128))
        capability = try CheckRequest.optionalCapability(proto)
        executionID = try CheckRequest.executionID(proto)
        if proto.bool("report_execution") {
            let latency = proto.double("latency_ms"), target = proto.double("target_latency_ms")
            guard latency.isFinite, latency >= 0, target.isFinite, target >= 0 else {
                throw EnvelopeError(.invalidField, "latencies are finite and not negative", field: "latency_ms")
            }
            execution = ExecutionTiming(latencyMillis: latency, targetLatencyMillis: target)
        }
        if let stored = proto.message("stored_output") {
            let mission = stored.string("mission_id"), digest = stored.string("digest")
            guard UUID(uuidString: mission) != nil, mission == mission.lowercased() else {
                throw EnvelopeError(.invalidField, "a stored output's mission is a lowercase UUID", field: "stored_output.mission_id")
            }
            guard digest.hasPrefix("sha256:"), digest.utf8.count == 71,
                  digest.utf8.dropFirst(7).allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
                throw EnvelopeError(.invalidField, "a stored output's digest is sha256: and 64 lowercase hex digits", field: "stored_output.digest")
            }
            guard output.isEmpty else { throw EnvelopeError(.invalidField, "an output is sent or stored, not both", field: "output") }
            self.stored = StoredOutput(missionID: mission, digest: digest, size: Int(clamping: max(0, stored.int("size"))))
        }
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "agent_id": .string(agentID.description), "action": .string(action), "output": .string(output),
            "content_type": .string(contentType), "capability": .string(capability ?? ""), "execution_id": .string(executionID),
            "report_execution": .bool(execution != nil), "latency_ms": .double(execution?.latencyMillis ?? 0),
            "target_latency_ms": .double(execution?.targetLatencyMillis ?? 0),
        ].merging(stored.map { ["stored_output": .message(ProtoMessage("agion.v1.StoredOutput", [
            "mission_id": .string($0.missionID), "digest": .string($0.digest), "size": .uint(UInt64($0.size)),
        ]))] } ?? [:]) { first, _ in first })
    }
}

/// One broken output rule (`agion.v1.Violation`).
public struct Violation: Sendable, Hashable {
    public var ruleID: String
    /// `max_bytes`, `forbidden_pattern` or `required_field`.
    public var kind: String
    public var message: String
    public var field: String

    public init(ruleID: String, kind: String, message: String, field: String = "") {
        self.ruleID = ruleID
        self.kind = kind
        self.message = message
        self.field = field
    }

    public init(proto: ProtoMessage) {
        ruleID = proto.string("rule_id")
        kind = proto.string("kind")
        message = proto.string("message")
        field = proto.string("field")
    }

    public var proto: ProtoMessage {
        ProtoMessage("agion.v1.Violation", ["rule_id": .string(ruleID), "kind": .string(kind), "message": .string(message), "field": .string(field)])
    }
}

/// The reply to `validate`.
public struct ValidationResult: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.ValidationResult"
    public var validationID: String
    public var passed: Bool
    public var violations: [Violation]
    public var trustScore: Double
    public var policyRevision: UInt32

    public init(validationID: String, passed: Bool, violations: [Violation], trustScore: Double, policyRevision: UInt32) {
        self.validationID = validationID
        self.passed = passed
        self.violations = violations
        self.trustScore = trustScore
        self.policyRevision = policyRevision
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        validationID = proto.string("validation_id")
        passed = proto.bool("passed")
        violations = proto.list("violations").compactMap(\.message).map(Violation.init(proto:))
        trustScore = proto.double("trust_score")
        policyRevision = UInt32(clamping: proto.int("policy_revision"))
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "validation_id": .string(validationID), "passed": .bool(passed), "violations": .list(violations.map { .message($0.proto) }),
            "trust_score": .double(trustScore), "policy_revision": .uint(UInt64(policyRevision)),
        ])
    }
}
