import AgionContract

/// An agent that could take a step: what the registry and governance say of it.
public struct AgentCandidate: Hashable, Sendable {
    public var id: AgentID
    /// Only healthy agents are picked; unhealthy, offline and deregistered never.
    public var healthy: Bool
    /// Governance's trust score, 0 to 1 (0.5 for an agent without evidence).
    public var trust: Double
    /// Steps it has in flight now, as far as this coordinator knows.
    public var inFlight: Int
    /// Where execution reaches it (carried into the step's work).
    public var endpoint: AgentEndpoint?
    /// How many invocations it takes at once (its registration's `max_concurrency`; 0: no limit).
    public var maxConcurrency: Int

    public init(id: AgentID, healthy: Bool, trust: Double, inFlight: Int = 0, endpoint: AgentEndpoint? = nil, maxConcurrency: Int = 0) {
        self.maxConcurrency = maxConcurrency
        self.id = id
        self.healthy = healthy
        self.trust = trust
        self.inFlight = inFlight
        self.endpoint = endpoint
    }
}

/// Chooses the agent for a step among candidates: healthy ones only, at
/// random with weights that favour trust (squared, so 0.9 is picked about
/// three times as often as 0.5) and disfavour load (divided by the square of
/// one plus the attempts in flight, so an agent with three in flight is
/// picked a sixteenth as often as an idle one of the same trust), so work
/// spreads instead of piling on the single best agent. A retry avoids the agents that already had the step while another
/// healthy one exists.
public enum AgentPicker {
    public static func pick(from candidates: [AgentCandidate], avoiding tried: [AgentID] = [], unit: Double) -> AgentCandidate? {
        let healthy = candidates.filter(\.healthy).sorted { $0.id < $1.id }
        let fresh = healthy.filter { !tried.contains($0.id) }
        let pool = fresh.isEmpty ? healthy : fresh
        guard !pool.isEmpty else { return nil }
        let weights = pool.map(weight)
        let total = weights.reduce(0, +)
        var remaining = min(max(unit, 0), 0.999_999_999) * total
        for (candidate, weight) in zip(pool, weights) {
            if remaining < weight { return candidate }
            remaining -= weight
        }
        return pool.last
    }

    static func weight(_ candidate: AgentCandidate) -> Double {
        let trust = min(max(candidate.trust, 0.01), 1)
        let load = Double(1 + max(candidate.inFlight, 0))
        return trust * trust / (load * load)
    }
}
