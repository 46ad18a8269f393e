import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import Foundation
import Testing

extension ProcessStackSuites {
    /// Missions while their services die (SIGKILL), while NATS restarts and
    /// while PostgreSQL is cut off: every mission reaches its final state, no
    /// step is lost, and each step's work is applied once (its idempotency key
    /// is the same on every attempt, and the agent applies a key once).
    @Suite(.timeLimit(.minutes(8))) struct MissionCrashTests {
        static let chain = """
            {"steps": [
              {"id": "one", "capability": "work", "action": "work.run", "input": {"n": 1}, "retry": {"max_attempts": 10, "initial_backoff_ms": 100, "max_backoff_ms": 1000}},
              {"id": "two", "capability": "work", "action": "work.run", "depends_on": ["one"], "retry": {"max_attempts": 10, "initial_backoff_ms": 100, "max_backoff_ms": 1000}},
              {"id": "three", "capability": "work", "action": "work.run", "depends_on": ["one"], "retry": {"max_attempts": 10, "initial_backoff_ms": 100, "max_backoff_ms": 1000}},
              {"id": "four", "capability": "work", "action": "work.run", "depends_on": ["two", "three"], "retry": {"max_attempts": 10, "initial_backoff_ms": 100, "max_backoff_ms": 1000}}
            ]}
            """

        @Test func missionsSurviveKilledReplicasANATSRestartAndAPostgreSQLOutage() async throws {
            try await ChildStack.with(replicas: 2, missions: true) { stack in
                let bus = try await stack.bus()
                let tenant = try await MissionTenant(agents: ["crash:a": .slow(.milliseconds(150)), "crash:b": .slow(.milliseconds(150))],
                                                     capabilities: ["crash:a": ["work"], "crash:b": ["work"]], on: bus)
                var ids: [String] = []

                // 1. Kill -9 one coordination and one execution replica in the middle of missions.
                ids += try await submit(tenant, count: 12)
                try await eventually("work is under way") { tenant.agents.invocations.count >= 6 }
                stack.coordinators[0].kill()
                stack.executors[0].kill()
                try await Task.sleep(for: .milliseconds(500))
                _ = try stack.replace(stack.coordinators[0])
                _ = try stack.replace(stack.executors[0])
                try await finishAll(ids, tenant)

                // 2. NATS restarted while missions run.
                let batch2 = try await submit(tenant, count: 8)
                ids += batch2
                try await eventually("work is under way") { tenant.agents.invocations.count >= 12 * 4 + 4 }
                stack.nats.stop()
                try await Task.sleep(for: .seconds(2))
                try await stack.nats.start()
                try await finishAll(batch2, tenant)

                // 3. PostgreSQL unreachable for a few seconds while missions run.
                let batch3 = try await submit(tenant, count: 8)
                ids += batch3
                try await eventually("work is under way") { tenant.agents.invocations.count >= 20 * 4 + 4 }
                stack.postgres.cut()
                try await Task.sleep(for: .seconds(3))
                try stack.postgres.restore()
                try await finishAll(batch3, tenant, timeout: .seconds(90))

                try stack.expectAllRunning("after the faults")
                // Every step of every mission ran, and each was applied once (one key per step).
                var keys = Set<String>()
                for id in ids {
                    let mission = try await tenant.get(id)
                    #expect(MissionTenant.status(mission) == "succeeded", "\(id): \(Self.summary(mission))")
                    for step in ["one", "two", "three", "four"] {
                        #expect(MissionTenant.step(mission, step)?.int("status") == 6)
                        keys.insert("\(id)/\(step)")
                    }
                    let events = try await tenant.events(id)
                    #expect(events.map { $0.int("position") } == Array(1...Int64(events.count)), "\(id): positions with gaps")
                    #expect(events.filter { $0.string("name") == "step_succeeded" }.count == 4, "\(id): a step succeeded twice")
                }
                #expect(Set(tenant.agents.callsByKey.keys) == keys)
                let repeated = tenant.agents.callsByKey.filter { $0.value > 1 }.count
                print("mission crash test: \(ids.count) missions, \(keys.count) steps, \(tenant.agents.invocations.count) agent calls, \(repeated) keys called more than once")
                try await bus.drain()
            }
        }

        /// Approvals live in PostgreSQL, not in a replica: killing every
        /// coordination replica while requests wait loses none and approves
        /// none; the approved step runs once, and a request's timeout still
        /// fires on the replicas that replace them.
        @Test func pendingApprovalsSurviveKilledCoordinatorsAndApproveNothingByThemselves() async throws {
            try await ChildStack.with(replicas: 2, missions: true) { stack in
                let bus = try await stack.bus()
                let tenant = try await MissionTenant(agents: ["approve:agent": .echo()], on: bus)
                let bob = ["agion-subject": "key:bob", "agion-role": "operator"]
                let waiting = try await tenant.submitAs("""
                    {"steps": [{"id": "pay", "agent_id": "approve:agent", "action": "pay.run", "input": {"amount": 7}, "approval": "required"}]}
                    """, headers: bob).string("mission_id")
                let expiring = try await tenant.submitAs("""
                    {"steps": [{"id": "pay", "agent_id": "approve:agent", "action": "pay.run", "approval": {"timeout_seconds": 4}}]}
                    """, headers: bob).string("mission_id")
                let approval = try await tenant.pendingApproval(waiting, step: "pay")
                _ = try await tenant.pendingApproval(expiring, step: "pay")

                for coordinator in stack.coordinators { coordinator.kill() }
                try await Task.sleep(for: .milliseconds(500))
                for coordinator in stack.coordinators { _ = try stack.replace(coordinator) }
                try await eventually(timeout: .seconds(30), "coordination serves again") {
                    (try? await tenant.approval(approval.string("approval_id"))) != nil
                }
                #expect(try await tenant.approval(approval.string("approval_id")).string("status") == "pending")
                #expect(tenant.agents.invocations.isEmpty, "nothing ran while the requests waited")

                _ = try await tenant.decide(approval.string("approval_id"), approve: true,
                                            headers: ["agion-subject": "key:alice", "agion-role": "approver"])
                let approved = try await tenant.final(waiting)
                #expect(MissionTenant.status(approved) == "succeeded", "\(Self.summary(approved))")
                let expired = try await tenant.final(expiring)
                #expect(MissionTenant.status(expired) == "failed" && MissionTenant.step(expired, "pay")?.list("errors").last?.message?
                    .string("code") == "approval_expired", "\(Self.summary(expired))")
                #expect(tenant.agents.invocations.map(\.input) == [["amount": 7]], "the approved step ran once, the expired one never")
                try await bus.drain()
            }
        }

        /// A failed mission in a line: each step's status and errors.
        static func summary(_ mission: ProtoMessage) -> String {
            let steps = mission.list("steps").compactMap(\.message).map { step in
                let errors = step.list("errors").compactMap(\.message).map { "\($0.int("attempt")):\($0.string("code"))(\($0.string("message")))" }
                return "\(step.string("id"))=\(step.int("status")) [\(errors.joined(separator: ", "))]"
            }
            return "\(MissionTenant.status(mission)) \(mission.string("outcome_reason")); " + steps.joined(separator: "; ")
        }

        private func submit(_ tenant: MissionTenant, count: Int) async throws -> [String] {
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<count { group.addTask { try await tenant.submit(Self.chain).string("mission_id") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }

        private func finishAll(_ ids: [String], _ tenant: MissionTenant, timeout: Duration = .seconds(60)) async throws {
            for id in ids {
                let mission = try await tenant.final(id, timeout: timeout)
                #expect(MissionTenant.status(mission) == "succeeded", "\(id): \(Self.summary(mission))")
            }
        }
    }
}
