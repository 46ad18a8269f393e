import AgionEnvelope

/// `agion.rpc.registry.versions`: the definitions an agent has had.
public struct AgentVersionsRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AgentVersionsRequest"
    public var agentID: AgentID

    public init(agentID: AgentID) { self.agentID = agentID }
    public init(proto: ProtoMessage) throws(EnvelopeError) { agentID = try AgentID(proto.string("agent_id")) }
    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["agent_id": .string(agentID.description)]) }
}

/// One recorded definition of an agent (`agion.v1.AgentVersion`).
public struct AgentVersion: Hashable, Sendable {
    public var revision: UInt32
    public var agent: Agent
    public var recordedAtUnixNanos: Int64

    public init(revision: UInt32, agent: Agent, recordedAtUnixNanos: Int64) {
        self.revision = revision
        self.agent = agent
        self.recordedAtUnixNanos = recordedAtUnixNanos
    }

    init(proto: ProtoMessage, field: String) throws(EnvelopeError) {
        guard let agent = proto.message("agent") else { throw EnvelopeError(.invalidField, "a version needs its agent", field: field + ".agent") }
        self.agent = try Agent(proto: agent, field: field + ".agent")
        revision = UInt32(clamping: proto.int("revision"))
        recordedAtUnixNanos = proto.int("recorded_at_unix_nanos")
    }

    var proto: ProtoMessage {
        ProtoMessage("agion.v1.AgentVersion", ["revision": .uint(UInt64(revision)), "agent": .message(agent.proto),
                                               "recorded_at_unix_nanos": .int(recordedAtUnixNanos)])
    }
}

/// The reply to `agion.rpc.registry.versions`, oldest first.
public struct AgentVersionsResponse: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AgentVersionsResponse"
    public var versions: [AgentVersion]

    public init(versions: [AgentVersion]) { self.versions = versions }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        var versions: [AgentVersion] = []
        for (i, entry) in proto.list("versions").compactMap(\.message).enumerated() {
            versions.append(try AgentVersion(proto: entry, field: "versions[\(i)]"))
        }
        self.versions = versions
    }

    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["versions": .list(versions.map { .message($0.proto) })]) }
}
