import AgionBus
import AgionContract
import AgionCoordination
import AgionEnvelope
import AgionJSON
import Foundation
import Testing

/// Sharing execution between tenants, and the limits that hold across
/// replicas: a flood does not hold back another tenant's step; an agent's
/// declared concurrency and a tenant's running-step and running-mission
/// limits are never passed.
@Suite(.serialized, .timeLimit(.minutes(4)), .needsGovernance) struct FairnessTests {
    static func parallel(_ count: Int, agent: String) -> String {
        let steps = (0..<count).map { #"{"id": "p\#($0)", "agent_id": "\#(agent)", "action": "x.run", "timeout_seconds": 120}"# }
        return #"{"steps": [\#(steps.joined(separator: ","))]}"#
    }

    @Test func aFloodingTenantDoesNotHoldBackAnotherTenantsSingleStep() async throws {
        let flood = try await MissionTenant(agents: ["flood:a": .slow(.milliseconds(300))])
        let quiet = try await MissionTenant(agents: ["quiet:b": .echo()])
        // 200 steps of 300 ms for 16 execution slots: about four seconds of backlog.
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<40 { group.addTask { try await flood.submit(Self.parallel(5, agent: "flood:a")).string("mission_id") } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        try await eventually("the flood runs") { flood.agents.invocations.count >= 16 }
        let started = ContinuousClock.now
        let single = try await quiet.final(try await quiet.submit(#"{"steps": [{"id": "s", "agent_id": "quiet:b", "action": "x.run"}]}"#)
            .string("mission_id"))
        let waited = ContinuousClock.now - started
        let floodDone = flood.agents.invocations.count
        #expect(MissionTenant.status(single) == "succeeded")
        // Handed out at the next free slot, not after the flood's backlog: measured
        // against the flood's own progress (the whole suite shares two cores).
        #expect(floodDone < 120, "the quiet step ended after \(waited), when \(floodDone) of the flood's 200 steps had started")
        for id in ids { #expect(MissionTenant.status(try await flood.final(id, timeout: .seconds(60))) == "succeeded") }
    }

    // Steps of a second: "most at once" must reach the limit, so a step must
    // outlast the next one's dispatch, which takes hundreds of milliseconds
    // when the suite loads both cores (at 200 ms, three once ran only two).
    @Test func anAgentsDeclaredConcurrencyHoldsAcrossExecutionReplicas() async throws {
        let tenant = try await MissionTenant(agents: ["lim:agent": .slow(.seconds(1))], metadata: ["lim:agent": ["max_concurrency": "2"]])
        let mission = try await tenant.final(try await tenant.submit(Self.parallel(8, agent: "lim:agent")).string("mission_id"))
        #expect(MissionTenant.status(mission) == "succeeded")
        #expect(tenant.agents.mostAtOnce("lim:agent") == 2, "most at once: \(tenant.agents.mostAtOnce("lim:agent"))")
    }

    @Test func aTenantsRunningStepAndMissionLimitsHold() async throws {
        let tenant = try await MissionTenant(agents: ["cap:agent": .slow(.seconds(1)), "cap:hang": .hang])
        MissionsCluster.limits.set(.init(maxRunningMissions: 3, maxRunningSteps: 3), for: tenant.name)
        let mission = try await tenant.final(try await tenant.submit(Self.parallel(9, agent: "cap:agent")).string("mission_id"))
        #expect(MissionTenant.status(mission) == "succeeded")
        #expect(tenant.agents.mostAtOnce() == 3, "most at once: \(tenant.agents.mostAtOnce())")

        let hanging = try await [1, 2, 3].asyncMap { _ in
            try await tenant.submit(#"{"steps": [{"id": "s", "agent_id": "cap:hang", "action": "x.run", "timeout_seconds": 600}]}"#).string("mission_id")
        }
        do {
            _ = try await tenant.submit(#"{"steps": [{"id": "s", "agent_id": "cap:agent", "action": "x.run"}]}"#)
            Issue.record("a fourth running mission must be refused")
        } catch let error as BusError {
            #expect(error.remote?.code == .resourceExhausted && error.remote?.retriable == true && error.remote?.message.contains("3 running missions") == true,
                    "\(error)")
        }
        // Through the API: 429, with when to try again.
        let platform = try await GatewayHarness.shared.adminKey()
        let created = try await gateway(.post, "/v1/tenants", key: platform, json: ["tenant": .string(tenant.name)])
        let admin = try #require(created.json?["admin_key"]?["key"]?.stringValue, "\(created.text)")
        let refused = try await gateway(.post, "/v1/missions", key: admin, json: ["steps": [["id": "s", "agent_id": "cap:agent", "action": "x.run"]]])
        #expect(refused.status == .tooManyRequests && refused.headers[.retryAfter] != nil && refused.text.contains("running missions"),
                "\(refused.status) \(refused.text)")
        _ = try await tenant.cancel(hanging[0])
        let accepted = try await tenant.submit(#"{"steps": [{"id": "s", "agent_id": "cap:agent", "action": "x.run"}]}"#)
        #expect(MissionTenant.status(try await tenant.final(accepted.string("mission_id"))) == "succeeded")
        for id in hanging.dropFirst() { _ = try await tenant.cancel(id) }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
