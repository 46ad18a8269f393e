import AgionEnvelope

/// `agion.rpc.governance.trust.history`: one agent's current trust and the
/// changes that led to it, newest first, a page at a time.
public struct TrustHistoryRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.TrustHistoryRequest"
    public static let defaultPageSize: UInt32 = 50
    public static let maxPageSize: UInt32 = 500

    public var agentID: AgentID
    /// The capability whose score to show; nil for the overall score.
    public var capability: String?
    public var pageSize: UInt32
    public var pageToken: String

    public init(agentID: AgentID, capability: String? = nil, pageSize: UInt32 = Self.defaultPageSize, pageToken: String = "") {
        self.agentID = agentID
        self.capability = capability
        self.pageSize = pageSize
        self.pageToken = pageToken
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        agentID = try AgentID(proto.string("agent_id"), field: "agent_id")
        capability = try TrustScoresRequest.capability(proto.string("capability"))
        let size = proto.int("page_size")
        pageSize = size == 0 ? Self.defaultPageSize : UInt32(clamping: min(size, Int64(Self.maxPageSize)))
        pageToken = proto.string("page_token")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "agent_id": .string(agentID.description), "capability": .string(capability ?? ""),
            "page_size": .uint(UInt64(pageSize)), "page_token": .string(pageToken),
        ])
    }
}

/// One change of a trust score (`agion.v1.TrustHistoryEntry`).
public struct TrustHistoryEntry: Hashable, Sendable {
    public static let protoName = "agion.v1.TrustHistoryEntry"

    public var cause: String
    public var positiveAdded: Double
    public var negativeAdded: Double
    /// The score right after the change.
    public var score: Double
    public var executionID: String
    public var occurredAtUnixNanos: Int64

    public init(cause: String, positiveAdded: Double, negativeAdded: Double, score: Double, executionID: String, occurredAtUnixNanos: Int64) {
        self.cause = cause
        self.positiveAdded = positiveAdded
        self.negativeAdded = negativeAdded
        self.score = score
        self.executionID = executionID
        self.occurredAtUnixNanos = occurredAtUnixNanos
    }

    public init(proto: ProtoMessage) {
        cause = proto.string("cause")
        positiveAdded = proto.double("positive_added")
        negativeAdded = proto.double("negative_added")
        score = proto.double("score")
        executionID = proto.string("execution_id")
        occurredAtUnixNanos = proto.int("occurred_at_unix_nanos")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "cause": .string(cause), "positive_added": .double(positiveAdded), "negative_added": .double(negativeAdded),
            "score": .double(score), "execution_id": .string(executionID), "occurred_at_unix_nanos": .int(occurredAtUnixNanos),
        ])
    }
}

/// The reply to `agion.rpc.governance.trust.history`.
public struct TrustHistoryResponse: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.TrustHistoryResponse"

    public var current: TrustScore
    /// Newest first.
    public var history: [TrustHistoryEntry]
    /// Empty on the last page.
    public var nextPageToken: String

    public init(current: TrustScore, history: [TrustHistoryEntry], nextPageToken: String = "") {
        self.current = current
        self.history = history
        self.nextPageToken = nextPageToken
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        guard let current = proto.message("current") else { throw EnvelopeError(.invalidField, "the current score is missing", field: "current") }
        self.current = try TrustScore(proto: current, field: "current")
        history = proto.list("history").compactMap(\.message).map(TrustHistoryEntry.init(proto:))
        nextPageToken = proto.string("next_page_token")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "current": .message(current.proto), "history": .list(history.map { .message($0.proto) }),
            "next_page_token": .string(nextPageToken),
        ])
    }
}
