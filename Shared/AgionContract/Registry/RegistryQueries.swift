import AgionEnvelope

/// `agion.rpc.registry.register` reply: the records as stored.
public struct RegisterAgentsResponse: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.RegisterAgentsResponse"
    public var agents: [Agent]

    public init(agents: [Agent]) { self.agents = agents }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        var agents: [Agent] = []
        for (i, entry) in proto.list("agents").compactMap(\.message).enumerated() {
            agents.append(try Agent(proto: entry, field: "agents[\(i)]"))
        }
        self.agents = agents
    }

    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["agents": .list(agents.map { .message($0.proto) })]) }
}

/// `agion.rpc.registry.heartbeat` reply: the agent's status after the heartbeat.
public struct HeartbeatAck: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.HeartbeatAck"
    public var agentID: AgentID
    public var status: AgentStatus

    public init(agentID: AgentID, status: AgentStatus) {
        self.agentID = agentID
        self.status = status
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        agentID = try AgentID(proto.string("agent_id"))
        guard let status = AgentStatus(name: proto.string("status")) else {
            throw EnvelopeError(.invalidField, "unknown status '\(proto.string("status"))'", field: "status")
        }
        self.status = status
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["agent_id": .string(agentID.description), "status": .string(status.name)])
    }
}

/// `agion.rpc.registry.deregister`.
public struct DeregisterAgentRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.DeregisterAgentRequest"
    public var agentID: AgentID
    public var reason: String

    public init(agentID: AgentID, reason: String = "") {
        self.agentID = agentID
        self.reason = reason
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        agentID = try AgentID(proto.string("agent_id"))
        reason = String(proto.string("reason").prefix(1_024))
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["agent_id": .string(agentID.description), "reason": .string(reason)])
    }
}

/// `agion.rpc.registry.get`.
public struct GetAgentRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.GetAgentRequest"
    public var agentID: AgentID

    public init(agentID: AgentID) { self.agentID = agentID }

    public init(proto: ProtoMessage) throws(EnvelopeError) { agentID = try AgentID(proto.string("agent_id")) }

    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["agent_id": .string(agentID.description)]) }
}

/// `agion.rpc.registry.list`: filters are ANDed; nil means any.
public struct ListAgentsRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.ListAgentsRequest"
    /// Page sizes: 0 asks for the default.
    public static let defaultPageSize: UInt32 = 50
    public static let maxPageSize: UInt32 = 500

    public var capability: String?
    public var status: AgentStatus?
    public var container: String?
    public var pageSize: UInt32
    /// Opaque, from the previous page's `nextPageToken`.
    public var pageToken: String

    public init(capability: String? = nil, status: AgentStatus? = nil, container: String? = nil,
                pageSize: UInt32 = ListAgentsRequest.defaultPageSize, pageToken: String = "") {
        self.capability = capability
        self.status = status
        self.container = container
        self.pageSize = pageSize
        self.pageToken = pageToken
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        let capability = proto.string("capability"), container = proto.string("container")
        self.capability = capability.isEmpty ? nil : capability
        self.container = container.isEmpty ? nil : container
        status = proto.int("status") == 0 ? nil : try AgentStatus(protoValue: proto.int("status"), field: "status")
        let size = proto.int("page_size")
        guard size >= 0, size <= Int64(Self.maxPageSize) else {
            throw EnvelopeError(.invalidField, "page_size must be 1 to \(Self.maxPageSize)", field: "page_size")
        }
        pageSize = size == 0 ? Self.defaultPageSize : UInt32(size)
        pageToken = proto.string("page_token")
        guard pageToken.utf8.count <= 512 else { throw EnvelopeError(.invalidField, "page_token is not one this registry issued", field: "page_token") }
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "capability": .string(capability ?? ""), "status": .enumValue(status?.rawValue ?? 0),
            "container": .string(container ?? ""), "page_size": .uint(UInt64(pageSize)), "page_token": .string(pageToken),
        ])
    }
}

/// `agion.rpc.registry.list` and `.search` reply.
public struct ListAgentsResponse: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.ListAgentsResponse"
    public var agents: [AgentRecord]
    /// Empty on the last page.
    public var nextPageToken: String

    public init(agents: [AgentRecord], nextPageToken: String = "") {
        self.agents = agents
        self.nextPageToken = nextPageToken
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        var agents: [AgentRecord] = []
        for entry in proto.list("agents").compactMap(\.message) { agents.append(try AgentRecord(proto: entry)) }
        self.agents = agents
        nextPageToken = proto.string("next_page_token")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["agents": .list(agents.map { .message($0.proto) }), "next_page_token": .string(nextPageToken)])
    }
}

/// `agion.rpc.registry.search`: healthy agents with a capability, best trust first.
public struct SearchAgentsRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.SearchAgentsRequest"
    public static let maxLimit: UInt32 = 100

    public var capability: String
    public var limit: UInt32

    public init(capability: String, limit: UInt32 = 10) {
        self.capability = capability
        self.limit = limit
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        capability = proto.string("capability")
        guard !capability.isEmpty, capability.utf8.count <= 64 else {
            throw EnvelopeError(.invalidField, "name the capability to search for (1 to 64 characters)", field: "capability")
        }
        let limit = proto.int("limit")
        guard limit >= 0, limit <= Int64(Self.maxLimit) else {
            throw EnvelopeError(.invalidField, "limit must be 1 to \(Self.maxLimit)", field: "limit")
        }
        self.limit = limit == 0 ? 10 : UInt32(limit)
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["capability": .string(capability), "limit": .uint(UInt64(limit))])
    }
}
