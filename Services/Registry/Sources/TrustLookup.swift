import AgionBus
import AgionContract
import Logging

/// Trust scores come from governance, which owns them: capability search asks
/// it over NATS. When governance does not answer in time, search still answers
/// (healthy agents, without scores) rather than failing.
struct TrustLookup: Sendable {
    let bus: Bus
    let timeout: Duration
    let logger: Logger

    /// Scores for `agents` in `capability`, by agent id; empty when unavailable.
    func scores(for agents: [AgentID], capability: String, tenant: TenantID) async -> [AgentID: Double] {
        guard !agents.isEmpty else { return [:] }
        do {
            let reply = try await bus.call(GovernanceSubjects.trust, TrustScoresRequest(agentIDs: agents, capability: capability),
                                           tenant: tenant.value, as: TrustScoresResponse.self, timeout: timeout)
            return Dictionary(reply.scores.map { ($0.agentID, $0.score) }, uniquingKeysWith: { first, _ in first })
        } catch {
            logger.warning("registry.trust_unavailable", metadata: ["error": "\(error)", "tenant": "\(tenant)"])
            return [:]
        }
    }
}
