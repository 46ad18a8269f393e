import AgionEnvelope

/// `agion.rpc.governance.report`: what happened when an agent ran a step.
public struct ExecutionReport: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.ExecutionReport"
    public enum Outcome: String, Sendable, Hashable, CaseIterable {
        case success, failure, timeout
        var protoValue: Int32 { switch self { case .success: 1; case .failure: 2; case .timeout: 3 } }
    }

    public var agentID: AgentID
    public var capability: String?
    public var outcome: Outcome
    public var latencyMillis: Double
    /// Zero when the step had no latency target.
    public var targetLatencyMillis: Double
    public var executionID: String

    public init(agentID: AgentID, capability: String? = nil, outcome: Outcome, latencyMillis: Double = 0,
                targetLatencyMillis: Double = 0, executionID: String = "") {
        self.agentID = agentID
        self.capability = capability
        self.outcome = outcome
        self.latencyMillis = latencyMillis
        self.targetLatencyMillis = targetLatencyMillis
        self.executionID = executionID
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        agentID = try AgentID(proto.string("agent_id"))
        capability = try CheckRequest.optionalCapability(proto)
        switch proto.int("outcome") {
        case 1: outcome = .success
        case 2: outcome = .failure
        case 3: outcome = .timeout
        default: throw EnvelopeError(.invalidField, "the outcome must be OUTCOME_SUCCESS, OUTCOME_FAILURE or OUTCOME_TIMEOUT", field: "outcome")
        }
        latencyMillis = proto.double("latency_ms")
        targetLatencyMillis = proto.double("target_latency_ms")
        guard latencyMillis.isFinite, latencyMillis >= 0 else { throw EnvelopeError(.invalidField, "a latency is ≥ 0", field: "latency_ms") }
        guard targetLatencyMillis.isFinite, targetLatencyMillis >= 0 else {
            throw EnvelopeError(.invalidField, "a latency target is ≥ 0", field: "target_latency_ms")
        }
        executionID = try CheckRequest.executionID(proto)
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "agent_id": .string(agentID.description), "capability": .string(capability ?? ""), "outcome": .enumValue(outcome.protoValue),
            "latency_ms": .double(latencyMillis), "target_latency_ms": .double(targetLatencyMillis), "execution_id": .string(executionID),
        ])
    }
}

/// `agion.rpc.governance.feedback`: a rating from 1 to 5 of an agent's work.
public struct FeedbackRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.FeedbackRequest"
    public var agentID: AgentID
    public var capability: String?
    public var rating: Int
    public var comment: String
    /// Who gives it; ratings from one source are damped.
    public var source: String
    public var executionID: String

    public init(agentID: AgentID, capability: String? = nil, rating: Int, comment: String = "", source: String, executionID: String = "") {
        self.agentID = agentID
        self.capability = capability
        self.rating = rating
        self.comment = comment
        self.source = source
        self.executionID = executionID
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        agentID = try AgentID(proto.string("agent_id"))
        capability = try CheckRequest.optionalCapability(proto)
        let rating = proto.int("rating")
        guard (1...5).contains(rating) else { throw EnvelopeError(.invalidField, "a rating is 1 to 5", field: "rating") }
        self.rating = Int(rating)
        comment = String(proto.string("comment").prefix(4_096))
        source = try CheckRequest.token(proto.string("source"), field: "source", limit: 256, required: true)
        executionID = try CheckRequest.executionID(proto)
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "agent_id": .string(agentID.description), "capability": .string(capability ?? ""), "rating": .int(Int64(rating)),
            "comment": .string(comment), "source": .string(source), "execution_id": .string(executionID),
        ])
    }
}

/// Event `agion.governance.trust_changed`.
public struct TrustChanged: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.TrustChanged"
    public var score: TrustScore
    public var previousScore: Double
    /// `success`, `failure`, `timeout`, `validation_passed`, `validation_failed`, `feedback`.
    public var cause: String
    public var executionID: String

    public init(score: TrustScore, previousScore: Double, cause: String, executionID: String = "") {
        self.score = score
        self.previousScore = previousScore
        self.cause = cause
        self.executionID = executionID
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        guard let score = proto.message("score") else { throw EnvelopeError(.invalidField, "the new score is missing", field: "score") }
        self.score = try TrustScore(proto: score)
        previousScore = proto.double("previous_score")
        cause = proto.string("cause")
        executionID = proto.string("execution_id")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["score": .message(score.proto), "previous_score": .double(previousScore),
                                      "cause": .string(cause), "execution_id": .string(executionID)])
    }
}

extension TrustScore: ProtoConvertible {
    public static let protoName = "agion.v1.TrustScore"
    public init(proto: ProtoMessage) throws(EnvelopeError) { try self.init(proto: proto, field: "score") }
}
