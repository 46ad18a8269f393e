import AgionContract
import AgionEnvelope
import AgionRuntime

/// The registry's RPC methods (docs/subjects.md). Each validates its request
/// (typed methods do), acts on `AgentStore`, and replies.
struct RegistryHandlers: Sendable {
    let store: AgentStore
    let trust: TrustLookup

    /// Candidates fetched for a search before ordering by trust.
    static let searchCandidates = 500

    var methods: [RPCService.Method] {
        [
            .typed(RegistrySubjects.register, RegisterAgentsRequest.self) { request, context in
                try Self.checkRegistration(request.agents, context: context)
                let records = try await store.register(request.agents, tenant: context.tenant, request: context.envelope)
                return RegisterAgentsResponse(agents: records.map(\.agent))
            }.callableByAgents(),
            .typed(RegistrySubjects.heartbeat, Heartbeat.self) { heartbeat, context in
                try context.requireCaller(is: heartbeat.agentID.description)
                return HeartbeatAck(agentID: heartbeat.agentID,
                                    status: try await store.heartbeat(heartbeat, tenant: context.tenant, request: context.envelope))
            }.callableByAgents(),
            .typed(RegistrySubjects.deregister, DeregisterAgentRequest.self) { request, context in
                try context.requireCaller(is: request.agentID.description)
                try await store.deregister(request.agentID, reason: request.reason, tenant: context.tenant, request: context.envelope)
                return try await store.get(request.agentID, tenant: context.tenant)
            }.callableByAgents(),
            .typed(RegistrySubjects.get, GetAgentRequest.self) { request, context in
                try await store.get(request.agentID, tenant: context.tenant)
            },
            .typed(RegistrySubjects.list, ListAgentsRequest.self) { request, context in
                try await store.list(request, tenant: context.tenant)
            },
            .typed(RegistrySubjects.search, SearchAgentsRequest.self) { request, context in
                try await search(request, tenant: context.tenant)
            },
            .typed(RegistrySubjects.versions, AgentVersionsRequest.self) { request, context in
                AgentVersionsResponse(versions: try await store.versions(of: request.agentID, tenant: context.tenant))
            },
        ]
    }

    /// An agent registers only itself, and an agent served over NATS only on
    /// its own invoke subject: execution sends invocations to the registered
    /// subject, which must not be another agent's (or anything else's).
    static func checkRegistration(_ agents: [Agent], context: RequestContext) throws(ErrorReply) {
        for (index, agent) in agents.enumerated() {
            try context.requireCaller(is: agent.id.description, field: "agents[\(index)].id")
            if case .nats(let subject) = agent.endpoint {
                let expected = AgentSubjects.invoke(tenant: context.tenant.value, agent: agent.id.description)
                guard subject == expected else {
                    throw ErrorReply(code: .invalidArgument, message: "an agent served over NATS is invoked on \(expected), not \(subject.prefix(256))",
                                     field: "agents[\(index)].endpoint.address")
                }
            }
        }
    }

    /// Healthy agents with the capability, best trust first (then by id, so
    /// equal scores come in a stable order).
    func search(_ request: SearchAgentsRequest, tenant: TenantID) async throws -> ListAgentsResponse {
        let candidates = try await store.healthy(with: request.capability, tenant: tenant, limit: Self.searchCandidates)
        let scores = await trust.scores(for: candidates.map(\.agent.id), capability: request.capability, tenant: tenant)
        let ranked = candidates.map { record -> AgentRecord in
            var record = record
            record.trustScore = scores[record.agent.id]
            return record
        }.sorted { lhs, rhs in
            let l = lhs.trustScore ?? -1, r = rhs.trustScore ?? -1
            return l != r ? l > r : lhs.agent.id < rhs.agent.id
        }
        return ListAgentsResponse(agents: Array(ranked.prefix(Int(request.limit))))
    }
}
