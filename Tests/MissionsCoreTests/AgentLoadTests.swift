import AgionContract
import AgionJSON
@testable import MissionsCore
import Testing

@Suite struct AgentLoadTests {
    static let one = try! AgentID("a:one")
    static let two = try! AgentID("a:two")
    static func attempt(_ step: String, _ number: Int = 1) -> AgentLoad.Attempt { .init(mission: "m", step: step, attempt: number) }

    @Test func anAttemptHeardOfTwiceCountsOnceUntilItEnds() {
        var load = AgentLoad()
        load.began(Self.attempt("a"), agent: Self.one, expires: 100)
        load.began(Self.attempt("a"), agent: Self.one, expires: 200)  // given out here, then heard started
        load.began(Self.attempt("b"), agent: Self.one, expires: 100)
        load.began(Self.attempt("a", 2), agent: Self.two, expires: 100)
        #expect(load.inFlight(Self.one) == 2 && load.inFlight(Self.two) == 1)
        load.ended(Self.attempt("a"))
        load.ended(Self.attempt("a"))  // a redelivered report
        load.ended(Self.attempt("zzz"))  // never heard began
        #expect(load.inFlight(Self.one) == 1 && load.total == 2)
    }

    @Test func attemptsWhoseEndIsNeverHeardOfExpire() {
        var load = AgentLoad()
        load.began(Self.attempt("a"), agent: Self.one, expires: 100)
        load.began(Self.attempt("a"), agent: Self.one, expires: 300)  // the later expiry holds
        load.began(Self.attempt("b"), agent: Self.one, expires: 150)
        load.expire(now: 200)
        #expect(load.inFlight(Self.one) == 1)
        load.expire(now: 300)
        #expect(load.inFlight(Self.one) == 0 && load.total == 0)
    }

    @Test func aFanOutSpreadsOverEquallyTrustedAgentsByTheLoadItCreates() {
        let book = AgentBook(byCapability: ["work": [AgentCandidate(id: Self.one, healthy: true, trust: 0.8),
                                                     AgentCandidate(id: Self.two, healthy: true, trust: 0.8)]])
        let steps = (0..<10).map { StepDefinition(id: "s\($0)", target: .capability("work"), action: "work.run") }
        // The same random draw every time: without load the same agent would get all ten.
        let (events, _) = MissionDecider(now: 0, agents: book, random: { 0.5 }).submit(id: "m", definition: MissionDefinition(steps: steps),
                                                                                     idempotencyKey: "")
        var counts: [AgentID: Int] = [:]
        for case .stepScheduled(let scheduled) in events { counts[scheduled.agent, default: 0] += 1 }
        #expect(counts == [Self.one: 5, Self.two: 5])
    }

    @Test func aBusyAgentGetsLessOfANewFanOut() {
        let book = AgentBook(byCapability: ["work": [AgentCandidate(id: Self.one, healthy: true, trust: 0.8, inFlight: 8),
                                                     AgentCandidate(id: Self.two, healthy: true, trust: 0.8)]])
        let steps = (0..<10).map { StepDefinition(id: "s\($0)", target: .capability("work"), action: "work.run") }
        let (events, _) = MissionDecider(now: 0, agents: book, random: { 0.5 }).submit(id: "m", definition: MissionDefinition(steps: steps),
                                                                                     idempotencyKey: "")
        var counts: [AgentID: Int] = [:]
        for case .stepScheduled(let scheduled) in events { counts[scheduled.agent, default: 0] += 1 }
        #expect(counts[Self.two]! >= 8, "\(counts)")
    }
}
