@testable import MissionsCore
import Testing

@Suite struct FairDispatchTests {
    static func candidates(_ tenant: String, _ count: Int, agent: String = "a:one", limit: Int = 0, from start: Int64 = 0) -> [FairDispatch.Candidate] {
        (0..<count).map { i in
            FairDispatch.Candidate(key: .init(mission: "\(tenant)-m\(i)", step: "s", attempt: 1), tenant: tenant, agent: agent, agentLimit: limit,
                                   enqueuedAt: start + Int64(i))
        }
    }

    @Test func aFloodingTenantDoesNotHoldBackAQuietOnesSingleStep() {
        // The flood came first, and already has attempts out; the quiet tenant's step came last.
        let flood = Self.candidates("flood", 64), quiet = Self.candidates("quiet", 1, from: 1_000)
        let chosen = FairDispatch.select(flood + quiet, load: .init(byTenant: ["flood": 30], byAgent: ["a:one": 30]), window: 32, tenantLimit: { _ in 0 })
        #expect(chosen.count == 2 && chosen.first?.tenant == "quiet", "\(chosen.map(\.tenant))")
    }

    @Test func freeSlotsAlternateBetweenTenantsWithWork() {
        let chosen = FairDispatch.select(Self.candidates("a", 10) + Self.candidates("b", 10, from: 100) + Self.candidates("c", 2, from: 200),
                                         load: .init(), window: 8, tenantLimit: { _ in 0 })
        #expect(chosen.map(\.tenant) == ["a", "b", "c", "a", "b", "c", "a", "b"])
        // Each tenant's own attempts go oldest first.
        #expect(chosen.filter { $0.tenant == "a" }.map(\.key.mission) == ["a-m0", "a-m1", "a-m2"])
    }

    @Test func tenantAndAgentLimitsHoldAndAFullAgentHoldsBackOnlyItsOwnSteps() {
        let limited = FairDispatch.select(Self.candidates("a", 10), load: .init(byTenant: ["a": 1]), window: 100, tenantLimit: { $0 == "a" ? 3 : 0 })
        #expect(limited.count == 2)
        let slow = Self.candidates("a", 5, agent: "slow:one", limit: 2), other = Self.candidates("a", 2, agent: "fast:one", from: 50)
        let chosen = FairDispatch.select(slow + other, load: .init(byTenant: ["a": 1], byAgent: ["slow:one": 1]), window: 100, tenantLimit: { _ in 0 })
        #expect(chosen.filter { $0.agent == "slow:one" }.count == 1 && chosen.filter { $0.agent == "fast:one" }.count == 2)
        #expect(FairDispatch.select(slow, load: .init(byTenant: ["a": 4]), window: 4, tenantLimit: { _ in 0 }).isEmpty, "the window is full")
    }

    @Test func anAgentsLimitComesFromItsMetadata() {
        #expect(FairDispatch.agentLimit(metadata: ["max_concurrency": "4"]) == 4)
        #expect(FairDispatch.agentLimit(metadata: ["max_concurrency": "0"]) == 0)
        #expect(FairDispatch.agentLimit(metadata: ["max_concurrency": "many"]) == 0)
        #expect(FairDispatch.agentLimit(metadata: [:]) == 0)
    }
}
