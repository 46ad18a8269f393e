import AgionEnvelope

/// `agion.rpc.registry.register`: register or update the agents of one
/// container. Every agent must belong to `container`.
public struct RegisterAgentsRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.RegisterAgentsRequest"
    /// Agents one request may register.
    public static let maxAgents = 256

    public var container: String
    public var agents: [Agent]

    public init(container: String, agents: [Agent]) {
        self.container = container
        self.agents = agents
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        container = proto.string("container")
        let entries = proto.list("agents").compactMap(\.message)
        guard !entries.isEmpty else { throw EnvelopeError(.invalidField, "register at least one agent", field: "agents") }
        guard entries.count <= Self.maxAgents else {
            throw EnvelopeError(.invalidField, "at most \(Self.maxAgents) agents per request", field: "agents")
        }
        var agents: [Agent] = []
        var seen = Set<AgentID>()
        for (i, entry) in entries.enumerated() {
            let agent = try Agent(proto: entry, field: "agents[\(i)]")
            guard agent.container == container else {
                throw EnvelopeError(.invalidField, "agent \(agent.id) is not in container '\(container)'", field: "agents[\(i)].id")
            }
            guard seen.insert(agent.id).inserted else {
                throw EnvelopeError(.invalidField, "agent \(agent.id) appears twice", field: "agents[\(i)].id")
            }
            agents.append(agent)
        }
        self.agents = agents
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["container": .string(container), "agents": .list(agents.map { .message($0.proto) })])
    }
}

/// `agion.rpc.registry.heartbeat`.
public struct Heartbeat: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.Heartbeat"
    /// TTL bounds: shorter floods the registry, longer hides failures.
    public static let ttlRange: ClosedRange<UInt32> = 1...3_600
    public static let defaultTTL: UInt32 = 30

    public var agentID: AgentID
    public var ttlSeconds: UInt32
    public var load: [String: String]

    public init(agentID: AgentID, ttlSeconds: UInt32 = Heartbeat.defaultTTL, load: [String: String] = [:]) {
        self.agentID = agentID
        self.ttlSeconds = ttlSeconds
        self.load = load
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        agentID = try AgentID(proto.string("agent_id"))
        let ttl = proto.int("ttl_seconds")
        if ttl == 0 {
            ttlSeconds = Self.defaultTTL
        } else {
            guard let value = UInt32(exactly: ttl), Self.ttlRange.contains(value) else {
                throw EnvelopeError(.invalidField, "ttl_seconds must be \(Self.ttlRange.lowerBound) to \(Self.ttlRange.upperBound)", field: "ttl_seconds")
            }
            ttlSeconds = value
        }
        load = [String: String](protoHeaders: proto.list("load"), limit: 32)
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "agent_id": .string(agentID.description), "ttl_seconds": .uint(UInt64(ttlSeconds)),
            "load": load.protoHeaders,
        ])
    }
}

/// Liveness of a registered agent (`agion.v1.AgentStatus`).
public enum AgentStatus: Int32, Hashable, Sendable, CaseIterable {
    case healthy = 1, unhealthy = 2, offline = 3, deregistered = 4

    /// The status with the given lower-case name (`healthy`, ...).
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }

    /// The lower-case name used in APIs and logs.
    public var name: String {
        switch self {
        case .healthy: "healthy"
        case .unhealthy: "unhealthy"
        case .offline: "offline"
        case .deregistered: "deregistered"
        }
    }
}

/// An agent as the registry holds it (`agion.v1.AgentRecord`).
public struct AgentRecord: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AgentRecord"

    public var agent: Agent
    public var status: AgentStatus
    public var revision: UInt32
    public var registeredAtUnixNanos: Int64
    public var updatedAtUnixNanos: Int64
    public var lastHeartbeatUnixNanos: Int64
    /// Set when the answer includes trust (capability search).
    public var trustScore: Double?

    public init(agent: Agent, status: AgentStatus, revision: UInt32, registeredAtUnixNanos: Int64,
                updatedAtUnixNanos: Int64, lastHeartbeatUnixNanos: Int64, trustScore: Double? = nil) {
        self.agent = agent
        self.status = status
        self.revision = revision
        self.registeredAtUnixNanos = registeredAtUnixNanos
        self.updatedAtUnixNanos = updatedAtUnixNanos
        self.lastHeartbeatUnixNanos = lastHeartbeatUnixNanos
        self.trustScore = trustScore
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        guard let agent = proto.message("agent") else { throw EnvelopeError(.invalidField, "a record needs its agent", field: "agent") }
        self.agent = try Agent(proto: agent)
        status = try AgentStatus(protoValue: proto.int("status"), field: "status")
        revision = UInt32(clamping: proto.int("revision"))
        registeredAtUnixNanos = proto.int("registered_at_unix_nanos")
        updatedAtUnixNanos = proto.int("updated_at_unix_nanos")
        lastHeartbeatUnixNanos = proto.int("last_heartbeat_unix_nanos")
        let trust = proto.double("trust_score")
        trustScore = trust == 0 ? nil : trust
    }

    public var proto: ProtoMessage {
        var message = ProtoMessage(Self.protoName, [
            "agent": .message(agent.proto), "status": .enumValue(status.rawValue), "revision": .uint(UInt64(revision)),
            "registered_at_unix_nanos": .int(registeredAtUnixNanos), "updated_at_unix_nanos": .int(updatedAtUnixNanos),
            "last_heartbeat_unix_nanos": .int(lastHeartbeatUnixNanos),
        ])
        if let trustScore { message["trust_score"] = .double(trustScore) }
        return message
    }
}
