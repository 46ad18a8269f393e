import AgionEnvelope

/// `agion.rpc.governance.trust`: current trust of up to `maxAgents` agents.
public struct TrustScoresRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.TrustScoresRequest"
    public static let maxAgents = 500

    public var agentIDs: [AgentID]
    /// The capability to score; nil for the overall score.
    public var capability: String?

    public init(agentIDs: [AgentID], capability: String? = nil) {
        self.agentIDs = agentIDs
        self.capability = capability
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        let ids = proto.list("agent_ids").compactMap(\.string)
        guard !ids.isEmpty, ids.count <= Self.maxAgents else {
            throw EnvelopeError(.invalidField, "name 1 to \(Self.maxAgents) agents", field: "agent_ids")
        }
        var agentIDs: [AgentID] = []
        for (i, id) in ids.enumerated() { agentIDs.append(try AgentID(id, field: "agent_ids[\(i)]")) }
        self.agentIDs = agentIDs
        capability = try Self.capability(proto.string("capability"))
    }

    /// A capability to score as given on the wire: nil when empty (the overall score).
    static func capability(_ text: String) throws(EnvelopeError) -> String? {
        guard text.utf8.count <= 64, !text.contains(" ") else {
            throw EnvelopeError(.invalidField, "a capability is at most 64 characters without spaces", field: "capability")
        }
        return text.isEmpty ? nil : text
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["agent_ids": .list(agentIDs.map { .string($0.description) }), "capability": .string(capability ?? "")])
    }
}

/// An agent's trust (`agion.v1.TrustScore`): a score in [0, 1] (0.5 neutral)
/// and the weight of evidence behind it.
public struct TrustScore: Hashable, Sendable {
    public var agentID: AgentID
    public var capability: String?
    public var score: Double
    public var evidence: Double
    public var updatedAtUnixNanos: Int64

    public init(agentID: AgentID, capability: String? = nil, score: Double, evidence: Double, updatedAtUnixNanos: Int64) {
        self.agentID = agentID
        self.capability = capability
        self.score = score
        self.evidence = evidence
        self.updatedAtUnixNanos = updatedAtUnixNanos
    }

    public init(proto: ProtoMessage, field: String) throws(EnvelopeError) {
        agentID = try AgentID(proto.string("agent_id"), field: field + ".agent_id")
        let capability = proto.string("capability")
        self.capability = capability.isEmpty ? nil : capability
        score = proto.double("score")
        guard (0...1).contains(score) else { throw EnvelopeError(.invalidField, "a score is in [0, 1]", field: field + ".score") }
        evidence = proto.double("evidence")
        updatedAtUnixNanos = proto.int("updated_at_unix_nanos")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "agent_id": .string(agentID.description), "capability": .string(capability ?? ""), "score": .double(score),
            "evidence": .double(evidence), "updated_at_unix_nanos": .int(updatedAtUnixNanos),
        ])
    }
}

/// The reply to `agion.rpc.governance.trust`, one score per agent asked for.
public struct TrustScoresResponse: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.TrustScoresResponse"
    public var scores: [TrustScore]

    public init(scores: [TrustScore]) { self.scores = scores }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        var scores: [TrustScore] = []
        for (i, entry) in proto.list("scores").compactMap(\.message).enumerated() {
            scores.append(try TrustScore(proto: entry, field: "scores[\(i)]"))
        }
        self.scores = scores
    }

    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["scores": .list(scores.map { .message($0.proto) })]) }
}
