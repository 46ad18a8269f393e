import AgionContract
@testable import MissionsCore
import Testing

@Suite struct AgentPickerTests {
    static func candidate(_ id: String, trust: Double, healthy: Bool = true, inFlight: Int = 0) -> AgentCandidate {
        AgentCandidate(id: try! AgentID(id), healthy: healthy, trust: trust, inFlight: inFlight)
    }

    @Test func onlyHealthyAgentsArePicked() {
        let sick = Self.candidate("a:sick", trust: 1, healthy: false)
        #expect(AgentPicker.pick(from: [sick], unit: 0.3) == nil)
        #expect(AgentPicker.pick(from: [sick, Self.candidate("a:well", trust: 0.1)], unit: 0.99)?.id.name == "well")
    }

    @Test func trustWinsMoreOftenButNotAlwaysAndLoadSpreadsWork() {
        let candidates = [Self.candidate("a:low", trust: 0.3), Self.candidate("a:high", trust: 0.9)]
        var counts: [String: Int] = [:]
        for i in 0..<1_000 { counts[AgentPicker.pick(from: candidates, unit: Double(i) / 1_000)!.id.name, default: 0] += 1 }
        // Weights 0.09 and 0.81: 10% and 90%.
        #expect(counts["low"] == 100 && counts["high"] == 900)
        let busy = [Self.candidate("a:low", trust: 0.3), Self.candidate("a:high", trust: 0.9, inFlight: 10)]
        counts = [:]
        for i in 0..<1_000 { counts[AgentPicker.pick(from: busy, unit: Double(i) / 1_000)!.id.name, default: 0] += 1 }
        #expect(counts["low"]! > counts["high"]!)
    }

    @Test func aRetryAvoidsAgentsThatHadTheStepWhileAnotherIsThere() {
        let candidates = [Self.candidate("a:one", trust: 0.9), Self.candidate("a:two", trust: 0.1)]
        let tried = [try! AgentID("a:one")]
        for unit in stride(from: 0.0, to: 1.0, by: 0.1) { #expect(AgentPicker.pick(from: candidates, avoiding: tried, unit: unit)?.id.name == "two") }
        #expect(AgentPicker.pick(from: [candidates[0]], avoiding: tried, unit: 0.5)?.id.name == "one")
    }

    @Test func backoffDoublesIsCappedAndJittersInItsUpperHalf() {
        let policy = RetryPolicy(maxAttempts: 10, initialBackoffMillis: 100, maxBackoffMillis: 1_000)
        #expect(policy.delayMillis(after: 1, unit: 0) == 50 && policy.delayMillis(after: 1, unit: 1) == 100)
        #expect(policy.delayMillis(after: 2, unit: 1) == 200 && policy.delayMillis(after: 4, unit: 1) == 800)
        #expect(policy.delayMillis(after: 5, unit: 1) == 1_000 && policy.delayMillis(after: 60, unit: 0.5) == 750)
    }
}
