import AgionEnvelope

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
                capability: String? = nil, executionID: String = "", execution: ExecutionTiming? = nil) {
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
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "agent_id": .string(agentID.description), "action": .string(action), "output": .string(output),
            "content_type": .string(contentType), "capability": .string(capability ?? ""), "execution_id": .string(executionID),
            "report_execution": .bool(execution != nil), "latency_ms": .double(execution?.latencyMillis ?? 0),
            "target_latency_ms": .double(execution?.targetLatencyMillis ?? 0),
        ])
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
