import AgionContract

/// The attempts each agent has in flight, as far as one coordinator can
/// tell: those it gave out itself, and those any execution replica reports
/// started, until they are reported finished. Keyed by attempt, so hearing of
/// one twice (given out here, then started) counts it once. An attempt whose
/// end is never heard of (a lost broadcast) is forgotten when it expires, so
/// the count cannot drift upward for good. Feeds `AgentCandidate.inFlight`.
public struct AgentLoad: Sendable {
    public struct Attempt: Hashable, Sendable {
        public var mission: String
        public var step: String
        public var attempt: Int

        public init(mission: String, step: String, attempt: Int) {
            self.mission = mission
            self.step = step
            self.attempt = attempt
        }
    }

    private var open: [Attempt: (agent: AgentID, expires: Int64)] = [:]
    private var counts: [AgentID: Int] = [:]

    public init() {}

    /// `attempt` went to `agent` (given out, or heard started); it counts
    /// until it ends or until `expires` (Unix nanoseconds).
    public mutating func began(_ attempt: Attempt, agent: AgentID, expires: Int64) {
        if let known = open[attempt] {
            open[attempt] = (known.agent, max(known.expires, expires))
            return
        }
        open[attempt] = (agent, expires)
        counts[agent, default: 0] += 1
    }

    /// `attempt` ended (a report of its end, whatever the outcome).
    public mutating func ended(_ attempt: Attempt) {
        guard let known = open.removeValue(forKey: attempt) else { return }
        decrement(known.agent)
    }

    /// Forgets the attempts whose end was never heard of by `now`.
    public mutating func expire(now: Int64) {
        for (attempt, known) in open where known.expires <= now {
            open[attempt] = nil
            decrement(known.agent)
        }
    }

    public func inFlight(_ agent: AgentID) -> Int { counts[agent] ?? 0 }

    /// Attempts counted, over all agents.
    public var total: Int { open.count }

    private mutating func decrement(_ agent: AgentID) {
        let left = (counts[agent] ?? 1) - 1
        counts[agent] = left > 0 ? left : nil
    }
}
