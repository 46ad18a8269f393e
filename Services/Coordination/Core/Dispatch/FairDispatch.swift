import AgionContract

/// Which waiting step attempts go to execution next, so tenants share it
/// fairly and limits hold across every replica: coordination keeps ready
/// attempts in a queue and hands out at most a window of them at a time;
/// each free slot goes to the tenant with the fewest attempts out (ties: the
/// one waiting longest), its oldest attempt first, unless that would pass
/// the tenant's limit of running steps or the agent's own concurrency
/// limit. One tenant's flood of 10,000 steps then waits behind itself, and
/// another tenant's single step is handed out at the next free slot.
public enum FairDispatch {
    public struct Candidate: Hashable, Sendable {
        public var key: AttemptKey
        public var tenant: String
        public var agent: String
        /// The agent's limit of concurrent invocations (0: none).
        public var agentLimit: Int
        public var enqueuedAt: Int64

        public init(key: AttemptKey, tenant: String, agent: String, agentLimit: Int, enqueuedAt: Int64) {
            self.key = key
            self.tenant = tenant
            self.agent = agent
            self.agentLimit = agentLimit
            self.enqueuedAt = enqueuedAt
        }
    }

    public struct AttemptKey: Hashable, Sendable {
        public var mission: String
        public var step: String
        public var attempt: Int

        public init(mission: String, step: String, attempt: Int) {
            self.mission = mission
            self.step = step
            self.attempt = attempt
        }
    }

    /// What is out now: attempts handed to execution and not finished.
    public struct Load: Hashable, Sendable {
        public var byTenant: [String: Int]
        public var byAgent: [String: Int]
        public var total: Int { byTenant.values.reduce(0, +) }

        public init(byTenant: [String: Int] = [:], byAgent: [String: Int] = [:]) {
            self.byTenant = byTenant
            self.byAgent = byAgent
        }
    }

    /// The candidates to hand out now, in order. `candidates` are each
    /// tenant's oldest waiting attempts (in any order); `window` the most out
    /// at once; `tenantLimit` a tenant's most running steps (0: none).
    public static func select(_ candidates: [Candidate], load: Load, window: Int, tenantLimit: (String) -> Int) -> [Candidate] {
        var load = load
        var free = window - load.total
        guard free > 0 else { return [] }
        var queues = Dictionary(grouping: candidates, by: \.tenant).mapValues { $0.sorted { ($0.enqueuedAt, $0.key.step) < ($1.enqueuedAt, $1.key.step) } }
        var chosen: [Candidate] = []
        while free > 0 {
            // The tenant with the fewest out, then the longest waiting.
            let eligible = queues.filter { tenant, queue in
                guard !queue.isEmpty else { return false }
                let limit = tenantLimit(tenant)
                return limit == 0 || load.byTenant[tenant, default: 0] < limit
            }
            guard let tenant = eligible.min(by: { a, b in
                let (outA, outB) = (load.byTenant[a.key, default: 0], load.byTenant[b.key, default: 0])
                return outA != outB ? outA < outB : (a.value[0].enqueuedAt, a.key) < (b.value[0].enqueuedAt, b.key)
            })?.key else { break }
            // Its oldest attempt whose agent has room; an agent at its limit
            // holds back only its own steps.
            guard let index = queues[tenant]!.firstIndex(where: { $0.agentLimit == 0 || load.byAgent[$0.agent, default: 0] < $0.agentLimit }) else {
                queues[tenant] = []
                continue
            }
            let next = queues[tenant]!.remove(at: index)
            chosen.append(next)
            load.byTenant[tenant, default: 0] += 1
            load.byAgent[next.agent, default: 0] += 1
            free -= 1
        }
        return chosen
    }

    /// An agent's concurrency limit from its registration metadata
    /// (`max_concurrency`: a whole number from 1 to 10,000); 0 when it sets none.
    public static func agentLimit(metadata: [String: String]) -> Int {
        guard let text = metadata["max_concurrency"], let limit = Int(text), (1...10_000).contains(limit) else { return 0 }
        return limit
    }
}
