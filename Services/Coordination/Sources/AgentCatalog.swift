import AgionBus
import AgionContract
import AgionEnvelope
import AgionRuntime
import Logging
import MissionsCore
import Synchronization

/// The agents steps can go to, from the registry: the healthy agents of a
/// capability with their trust (`search`), or one agent by id (`get`). Kept a
/// short while per tenant, so a busy mission asks the registry about once a
/// second per capability, not once per step.
final class AgentCatalog: Sendable {
    private let bus: Bus
    private let ttl: Duration
    private let timeout: Duration
    private let logger: Logger
    private let cache = Mutex<[String: (candidates: [AgentCandidate], expires: ContinuousClock.Instant)]>([:])
    /// The agents' load, live (not cached with the registry's answers).
    let load: AgentLoadTracker

    init(bus: Bus, load: AgentLoadTracker, ttl: Duration, timeout: Duration, logger: Logger) {
        self.bus = bus
        self.load = load
        self.ttl = ttl
        self.timeout = timeout
        self.logger = logger
    }

    /// What the decider needs for the steps of `state` that may be scheduled
    /// now or soon (not finished). A target the registry did not answer for is
    /// `unknown`: its step waits for the registry (a platform failure, which
    /// uses up none of its attempts) instead of failing for want of an agent.
    /// A replay (`reopening`) may schedule failed and cancelled steps too.
    func book(for state: MissionState, tenant: String, reopening command: MissionCommand? = nil) async -> AgentBook {
        var book = AgentBook()
        let reopens = if case .replay? = command { true } else { false }
        let open = { (status: StepState.Status?) -> Bool in
            guard let status else { return false }
            return reopens ? status != .succeeded : !status.isFinal
        }
        for step in state.definition.steps where open(state.steps[step.id]?.status) && !book.unknown.contains(step.target) {
            switch step.target {
            case .capability(let capability) where book.byCapability[capability] == nil:
                if let found = await candidates(tenant: tenant, key: "c:" + capability, { try await self.search(capability, tenant: tenant) }) {
                    book.byCapability[capability] = found
                } else {
                    book.unknown.insert(step.target)
                }
            case .agent(let id) where book.byID[id] == nil:
                if let found = await candidates(tenant: tenant, key: "a:" + id.description, { try await self.get(id, tenant: tenant) }) {
                    book.byID[id] = found.first
                } else {
                    book.unknown.insert(step.target)
                }
            default:
                break
            }
        }
        return load.weigh(book)
    }

    /// Forgets what is cached for a tenant (after a step failed on an agent, say).
    func forget(tenant: String) {
        cache.withLock { $0 = $0.filter { !$0.key.hasPrefix(tenant + "/") } }
    }

    /// The cached or fresh candidates; nil when the registry did not answer
    /// (nothing is cached then, so the next mission asks again).
    private func candidates(tenant: String, key: String, _ fetch: () async throws -> [AgentCandidate]) async -> [AgentCandidate]? {
        let cacheKey = tenant + "/" + key
        let now = ContinuousClock.now
        if let hit = cache.withLock({ $0[cacheKey] }), hit.expires > now { return hit.candidates }
        do {
            let fresh = try await fetch()
            cache.withLock { $0[cacheKey] = (fresh, now + ttl) }
            return fresh
        } catch let error as BusError where !error.isRetriable {
            // The registry answered and refused: no retry changes that, so no agent.
            logger.warning("coordination.registry_refused", metadata: ["tenant": "\(tenant)", "agents": "\(key)", "error": "\(error)"])
            return []
        } catch {
            logger.warning("coordination.registry_unavailable", metadata: ["tenant": "\(tenant)", "agents": "\(key)", "error": "\(error)"])
            return nil
        }
    }

    private func search(_ capability: String, tenant: String) async throws -> [AgentCandidate] {
        let response = try await bus.call(RegistrySubjects.search, SearchAgentsRequest(capability: capability, limit: 100), tenant: tenant,
                                          as: ListAgentsResponse.self, timeout: timeout)
        return response.agents.map(Self.candidate)
    }

    private func get(_ id: AgentID, tenant: String) async throws -> [AgentCandidate] {
        do {
            return [Self.candidate(try await bus.call(RegistrySubjects.get, GetAgentRequest(agentID: id), tenant: tenant, as: AgentRecord.self,
                                                      timeout: timeout))]
        } catch let error as BusError where error.remote?.code == .notFound {
            return []
        }
    }

    static func candidate(_ record: AgentRecord) -> AgentCandidate {
        AgentCandidate(id: record.agent.id, healthy: record.status == .healthy, trust: record.trustScore ?? 0.5, endpoint: record.agent.endpoint,
                       maxConcurrency: FairDispatch.agentLimit(metadata: record.agent.metadata))
    }
}
