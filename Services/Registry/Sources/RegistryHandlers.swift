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
                let records = try await store.register(request.agents, tenant: context.tenant, request: context.envelope)
                return RegisterAgentsResponse(agents: records.map(\.agent))
            },
            .typed(RegistrySubjects.heartbeat, Heartbeat.self) { heartbeat, context in
                HeartbeatAck(agentID: heartbeat.agentID,
                             status: try await store.heartbeat(heartbeat, tenant: context.tenant, request: context.envelope))
            },
            .typed(RegistrySubjects.deregister, DeregisterAgentRequest.self) { request, context in
                try await store.deregister(request.agentID, reason: request.reason, tenant: context.tenant, request: context.envelope)
                return try await store.get(request.agentID, tenant: context.tenant)
            },
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
