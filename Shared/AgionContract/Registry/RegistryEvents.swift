import AgionEnvelope

/// Event `agion.registry.agent_registered` (first version) or
/// `agion.registry.agent_updated` (a new version of its definition).
public struct AgentRegistered: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AgentRegistered"
    public var record: AgentRecord

    public init(record: AgentRecord) { self.record = record }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        guard let record = proto.message("record") else { throw EnvelopeError(.invalidField, "the event needs its record", field: "record") }
        self.record = try AgentRecord(proto: record)
    }

    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["record": .message(record.proto)]) }
}

/// Event `agion.registry.agent_deregistered`.
public struct AgentDeregistered: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AgentDeregistered"
    public var agentID: AgentID
    public var reason: String

    public init(agentID: AgentID, reason: String) {
        self.agentID = agentID
        self.reason = reason
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        agentID = try AgentID(proto.string("agent_id"))
        reason = proto.string("reason")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["agent_id": .string(agentID.description), "reason": .string(reason)])
    }
}

/// Event `agion.registry.agent_health_changed`.
public struct AgentHealthChanged: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AgentHealthChanged"
    public var agentID: AgentID
    public var previous: AgentStatus
    public var current: AgentStatus

    public init(agentID: AgentID, previous: AgentStatus, current: AgentStatus) {
        self.agentID = agentID
        self.previous = previous
        self.current = current
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        agentID = try AgentID(proto.string("agent_id"))
        previous = try AgentStatus(protoValue: proto.int("previous"), field: "previous")
        current = try AgentStatus(protoValue: proto.int("current"), field: "current")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "agent_id": .string(agentID.description), "previous": .enumValue(previous.rawValue), "current": .enumValue(current.rawValue),
        ])
    }
}
