import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import Foundation
import MissionsCore
import Synchronization
import Testing

/// Missions end to end: two coordination and two execution replicas, the
/// registry and governance, and agents that are real HTTP servers.
@Suite(.serialized, .timeLimit(.minutes(4)), .needsGovernance) struct MissionServiceTests {
    static let chain = """
        {"name": "report", "input": {"topic": "solar"},
         "steps": [
           {"id": "research", "capability": "research", "action": "research.run", "input": {"topic": {"$ref": "input.topic"}}},
           {"id": "write", "agent_id": "lab:writer", "action": "report.write", "depends_on": ["research"],
            "input": {"facts": {"$ref": "steps.research.output.echo"}}},
           {"id": "check", "agent_id": "lab:checker", "action": "report.check", "depends_on": ["write"],
            "input": {"text": {"$ref": "steps.write.output"}}}
         ]}
        """

    @Test func aChainRunsStepByStepAcrossAgentsAndItsHistoryIsComplete() async throws {
        let tenant = try await MissionTenant(agents: ["lab:researcher": .echo(usage: .init(inputTokens: 10, outputTokens: 20, costUSD: 0.01)),
                                                      "lab:writer": .echo(), "lab:checker": .answer(["ok": true])],
                                             capabilities: ["lab:researcher": ["research"]])
        let submitted = try await tenant.submit(Self.chain)
        let id = submitted.string("mission_id")
        #expect(MissionTenant.status(submitted) == "running")
        let mission = try await tenant.final(id)
        #expect(MissionTenant.status(mission) == "succeeded", "\(mission)")
        #expect(mission.json("output") == ["check": ["ok": true]])
        // The writer got the research output, built from the mission's input.
        let write = try #require(MissionTenant.step(mission, "write"))
        #expect(write.json("output")["echo"] == ["facts": ["topic": "solar"]])
        #expect(mission.message("usage")?.int("output_tokens") == 20)
        // Every event, in order, positions without gaps.
        let events = try await tenant.events(id)
        #expect(events.map { $0.int("position") } == Array(1...Int64(events.count)))
        #expect(events.first?.string("name") == "submitted" && events.last?.string("name") == "succeeded")
        #expect(events.filter { $0.string("name") == "step_succeeded" }.map { $0.string("step_id") } == ["research", "write", "check"])
        // (Quick attempts are usually not reported started, but "quick" is
        // under 250 ms, which a loaded machine does not promise: not checked.)
        #expect(mission.int("position") == Int64(events.count))
        // From a position on, and the same key again is the same mission.
        #expect(try await tenant.events(id, after: Int64(events.count - 2)).count == 2)
    }

    @Test func theSameIdempotencyKeyMakesOneMissionEvenInAFloodOfSubmissions() async throws {
        let tenant = try await MissionTenant(agents: ["lab:researcher": .echo(), "lab:writer": .echo(), "lab:checker": .echo()],
                                             capabilities: ["lab:researcher": ["research"]])
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<40 { group.addTask { try await tenant.submit(Self.chain, key: "once").string("mission_id") } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(ids.count == 1)
        let list = try await tenant.call(CoordinationSubjects.list, ProtoMessage("agion.v1.ListMissionsRequest"))
        #expect(list.list("missions").count == 1)
    }

    @Test func independentStepsRunInParallelAndAJoinWaitsForThemAll() async throws {
        // 1.5 s per step: well past the 250 ms after which an attempt is
        // reported started, so a loaded machine still reports each (with
        // 300 ms, a start published late arrived after its finish once in
        // CI), and long enough that the machine's own delays (over 2 s on a
        // loaded CI machine) cannot make parallel look serial or back.
        let tenant = try await MissionTenant(agents: ["fan:a": .slow(.milliseconds(1_500)), "fan:b": .slow(.milliseconds(1_500))],
                                             capabilities: ["fan:a": ["work"], "fan:b": ["work"]])
        let steps = (0..<6).map { #"{"id": "p\#($0)", "capability": "work", "action": "work.do"}"# }.joined(separator: ",")
        let submitted = try await tenant.submit(#"""
            {"steps": [\#(steps), {"id": "join", "capability": "work", "action": "work.do", "depends_on": ["p0", "p1", "p2", "p3", "p4", "p5"],
              "input": {"first": {"$ref": "steps.p0.output.agent"}}}]}
            """#)
        let mission = try await tenant.final(submitted.string("mission_id"))
        #expect(MissionTenant.status(mission) == "succeeded")
        // Parallel: the agents had several steps running at once (counted by
        // the agents themselves, not by the clock, which a loaded machine
        // stretches: 9.3 s against 10.5 s serial once in the full suite).
        #expect(tenant.agents.mostAtOnce() >= 2, "at most \(tenant.agents.mostAtOnce()) steps ran at once")
        // The join ran after all six.
        #expect(tenant.agents.invocations.last?.key.hasSuffix("/join") == true, "\(tenant.agents.invocations.map(\.key))")
        // Attempts still running after 250 ms are reported started (quick ones are
        // not). A start is best effort and its report races the finish's through
        // coordination's four report loops: on a loaded machine one may lose (the
        // full suite saw 6 of 7 once), so most, not all.
        let events = try await tenant.events(submitted.string("mission_id"))
        #expect(events.filter { $0.string("name") == "step_started" }.count >= 5, "\(events.map { $0.string("name") })")
        // Work spread over both agents.
        #expect(Set(tenant.agents.invocations.map(\.agent)).count == 2)
    }

    @Test func aFailingAgentIsRetriedWithTheSameIdempotencyKeyUntilItAnswers() async throws {
        let tenant = try await MissionTenant(agents: ["flaky:one": .failFirst(times: 2, status: 503)], capabilities: ["flaky:one": ["flaky"]])
        let submitted = try await tenant.submit(#"""
            {"steps": [{"id": "s", "capability": "flaky", "action": "flaky.run", "retry": {"max_attempts": 4, "initial_backoff_ms": 50, "max_backoff_ms": 200}}]}
            """#)
        let id = submitted.string("mission_id")
        let mission = try await tenant.final(id)
        #expect(MissionTenant.status(mission) == "succeeded", "\(mission)")
        let step = try #require(MissionTenant.step(mission, "s"))
        #expect(step.int("attempt") == 3 && step.list("errors").count == 2)
        // Three calls, one key: an agent that applies each key once did the work once.
        #expect(tenant.agents.callsByKey == ["\(id)/s": 3])
        #expect(tenant.agents.invocations.map(\.attempt) == ["1", "2", "3"])
    }

    @Test func permanentFailuresAreNotRetriedAndFailTheMission() async throws {
        let tenant = try await MissionTenant(agents: ["bad:client": .status(400), "bad:json": .invalidJSON, "bad:big": .oversized(bytes: 17 << 20)],
                                             capabilities: [:])
        for (agent, code) in [("bad:client", "agent_rejected"), ("bad:json", "invalid_output"), ("bad:big", "output_too_large")] {
            let submitted = try await tenant.submit(#"{"steps": [{"id": "s", "agent_id": "\#(agent)", "action": "x.run"}]}"#)
            let mission = try await tenant.final(submitted.string("mission_id"))
            #expect(MissionTenant.status(mission) == "failed")
            #expect(mission.string("outcome_code") == "step_failed" && mission.string("outcome_step") == "s")
            let step = try #require(MissionTenant.step(mission, "s"))
            #expect(step.int("attempt") == 1)
            #expect(step.list("errors").first?.message?.string("code") == code, "\(agent): \(step)")
        }
    }

    @Test func aDroppedConnectionOrA500IsTheAgentsFailureRetriedUntilAttemptsRunOut() async throws {
        // A proxy in front of a port nothing listens on: it accepts the
        // connection, then closes it without a word.
        let dropper = try TCPProxy(target: PrivateServer.freePort(in: 63_000...63_999))
        let tenant = try await MissionTenant(agents: ["drop:closer": .echo(), "drop:five": .status(500)],
                                             endpoints: ["drop:closer": "http://127.0.0.1:\(dropper.port)"])
        for (agent, code) in [("drop:closer", "unreachable"), ("drop:five", "agent_error")] {
            let submitted = try await tenant.submit(#"""
                {"steps": [{"id": "s", "agent_id": "\#(agent)", "action": "x.run", "retry": {"max_attempts": 2, "initial_backoff_ms": 50, "max_backoff_ms": 100}}]}
                """#)
            let mission = try await tenant.final(submitted.string("mission_id"))
            #expect(MissionTenant.status(mission) == "failed")
            let errors = MissionTenant.step(mission, "s")?.list("errors").compactMap(\.message) ?? []
            #expect(errors.map { $0.string("code") } == [code, code], "\(agent): \(errors)")
            #expect(errors.allSatisfy { $0.bool("retriable") && !$0.bool("platform") })
        }
        #expect(tenant.agents.invocations.filter { $0.agent == "drop:five" }.count == 2)
        dropper.cut()
    }

    @Test func aBusyAgentGetsFewNewSteps() async throws {
        // The busy agent answers new steps as well as the idle one (so trust
        // stays even): only its load tells them apart.
        let tenant = try await MissionTenant(agents: ["load:busy": .holdWhenAsked, "load:idle": .echo()],
                                             capabilities: ["load:busy": ["work"], "load:idle": ["work"]])
        // Six attempts hang on the busy agent (picked by id, not by load).
        let steps = (0..<6).map { #"{"id": "h\#($0)", "agent_id": "load:busy", "action": "work.hold", "input": {"hold": true}, "timeout_seconds": 120}"# }
        let holding = try await tenant.submit(#"{"steps": [\#(steps.joined(separator: ","))]}"#).string("mission_id")
        // Other suites share the execution replicas' slots: on a loaded
        // machine the six may take a while to all be running.
        try await eventually(timeout: .seconds(45), "the busy agent holds six attempts") {
            let mission = try await tenant.get(holding)
            return (0..<6).allSatisfy { MissionTenant.step(mission, "h\($0)")?.int("status") == 3 }
        }
        // Thirty missions one after another, each one step that either agent
        // could take: weighed by load (1/49 against 1), the busy agent gets
        // almost none (five or more: about 1 in 10,000); by trust alone it
        // would get about half.
        for _ in 0..<30 {
            let submitted = try await tenant.submit(#"""
                {"steps": [{"id": "s", "capability": "work", "action": "work.run", "timeout_seconds": 1, "retry": {"max_attempts": 3, "initial_backoff_ms": 50}}]}
                """#)
            #expect(MissionTenant.status(try await tenant.final(submitted.string("mission_id"))) == "succeeded")
        }
        let toBusy = tenant.agents.invocations.filter { $0.agent == "load:busy" && $0.key.hasSuffix("/s") }
        #expect(toBusy.count <= 5, "the busy agent got \(toBusy.count) of 30 new steps")
        _ = try await tenant.cancel(holding, reason: "done")
    }

    @Test func aStepThatFailsForGoodIsDeadLetteredAndReplayingItResumesItsMission() async throws {
        let tenant = try await MissionTenant(agents: ["dead:first": .echo(), "dead:flaky": .status(503)])
        let letters = try await EventReader.open(tenant.bus, stream: DeadLetters.stream, subject: CoordinationSubjects.deadStepSubject(tenant: tenant.name))
        let submitted = try await tenant.submit(#"""
            {"input": {"n": 7}, "steps": [
              {"id": "a", "agent_id": "dead:first", "action": "x.run", "input": {"n": {"$ref": "input.n"}}},
              {"id": "b", "agent_id": "dead:flaky", "action": "x.run", "depends_on": ["a"], "input": {"from": {"$ref": "steps.a.output.echo"}},
               "retry": {"max_attempts": 2, "initial_backoff_ms": 50, "max_backoff_ms": 100}},
              {"id": "c", "agent_id": "dead:first", "action": "x.run", "depends_on": ["b"], "input": {"b": {"$ref": "steps.b.output.agent"}}}
            ]}
            """#)
        let id = submitted.string("mission_id")
        let failed = try await tenant.final(id)
        #expect(MissionTenant.status(failed) == "failed" && failed.string("outcome_step") == "b")
        #expect(MissionTenant.step(failed, "c")?.int("status") == 8)

        // The dead step, with its input and both errors: listed, and on the dead-letter stream.
        let listed = try await tenant.call(CoordinationSubjects.deadSteps, ProtoMessage("agion.v1.ListDeadStepsRequest"))
        let dead = try #require(listed.list("steps").first?.message)
        #expect(listed.list("steps").count == 1)
        #expect(dead.string("mission_id") == id && dead.string("step_id") == "b" && dead.int("attempt") == 2 && dead.string("agent_id") == "dead:flaky")
        #expect(dead.json("input") == ["from": ["n": 7]])
        #expect(dead.list("errors").compactMap { $0.message?.string("code") } == ["agent_error", "agent_error"])
        let letter = try #require(try await letters.next(1).first)
        #expect(letter.type == CoordinationSubjects.deadStepType && letter.tenant == tenant.name)
        #expect(try ProtoSchema.decode("agion.v1.DeadStep", from: letter.payload).string("step_id") == "b")

        // What cannot be replayed is refused, naming why.
        let succeededStep = await remoteError {
            _ = try await tenant.call(CoordinationSubjects.replay, ProtoMessage("agion.v1.ReplayMissionRequest", [
                "mission_id": .string(id), "step_ids": .list([.string("a")])]))
        }
        #expect(succeededStep?.code == .failedPrecondition && succeededStep?.field == "step_ids[0]", "\(String(describing: succeededStep))")

        // The agent is mended; the replay resumes the mission where it failed.
        tenant.agents.set("dead:flaky", .echo())
        let resumed = try await tenant.call(CoordinationSubjects.replay, ProtoMessage("agion.v1.ReplayMissionRequest", ["mission_id": .string(id)]))
        #expect(MissionTenant.status(resumed) == "running")
        let mission = try await tenant.final(id)
        #expect(MissionTenant.status(mission) == "succeeded", "\(mission)")
        #expect(MissionTenant.step(mission, "b")?.int("attempt") == 3)
        #expect(MissionTenant.step(mission, "c")?.json("output")["echo"] == ["b": "dead:flaky"])
        // Step a ran once: its output was kept.
        #expect(tenant.agents.callsByKey["\(id)/a"] == 1 && tenant.agents.callsByKey["\(id)/b"] == 3)
        let names = try await tenant.events(id).map { $0.string("name") }
        #expect(names.contains("step_replayed") && names.last == "succeeded")

        // Replayed: gone from the list, kept with the rest.
        #expect(try await tenant.call(CoordinationSubjects.deadSteps, ProtoMessage("agion.v1.ListDeadStepsRequest")).list("steps").isEmpty)
        let everything = try await tenant.call(CoordinationSubjects.deadSteps, ProtoMessage("agion.v1.ListDeadStepsRequest", [
            "include_replayed": .bool(true), "mission_id": .string(id)]))
        #expect(everything.list("steps").first?.message?.int("replayed_at_unix_nanos") ?? 0 > 0)
        let again = await remoteError {
            _ = try await tenant.call(CoordinationSubjects.replay, ProtoMessage("agion.v1.ReplayMissionRequest", ["mission_id": .string(id)]))
        }
        #expect(again?.code == .failedPrecondition && again?.message == "only a failed mission can be replayed; this one is succeeded")
        let unknown = await remoteError {
            _ = try await tenant.call(CoordinationSubjects.replay, ProtoMessage("agion.v1.ReplayMissionRequest", ["mission_id": .string(UUID().uuidString)]))
        }
        #expect(unknown?.code == .notFound)
    }

    @Test func malformedWorkAndReportsAreDeadLetteredAndTheServicesKeepServing() async throws {
        let tenant = try await MissionTenant(agents: ["poison:after": .echo()])
        let js = tenant.bus.jetStream
        let marker = "poison-\(tenant.name)"
        // Readers of both dead-letter subjects, from their start: ours are told apart by the marker or the tenant.
        var readers: [PullConsumer] = []
        for subject in [DeadLetters.subject(stream: ExecutionSubjects.workStream, consumer: ExecutionSubjects.workConsumer),
                        DeadLetters.subject(stream: ExecutionSubjects.stream, consumer: "coordination_reports_\(MissionsCluster.coordinationSchema)")] {
            let durable = TestEnvironment.uniqueName("dlq")
            try await js.provision(streams: [], consumers: [ConsumerSpec(stream: DeadLetters.stream.name, durable: durable, filterSubject: subject)])
            readers.append(try await js.pullConsumer(stream: DeadLetters.stream.name, durable: durable))
        }
        func envelope(_ type: String, _ payload: [UInt8]) throws -> [UInt8] {
            try Envelope(type: type, tenant: tenant.name, payload: payload).encoded()
        }
        let noMission = try ProtoSchema.encode(ProtoMessage("agion.v1.StepWork", ["step_id": .string("s"), "attempt": .uint(1), "agent_id": .string("poison:after")]))
        let unknownResult = try ProtoSchema.encode(ProtoMessage("agion.v1.AttemptFinished", [
            "mission_id": .string(UUID().uuidString), "step_id": .string("s"), "attempt": .uint(1), "agent_id": .string("poison:after"), "result": .enumValue(9)]))
        let work = ExecutionSubjects.workSubject(tenant: tenant.name)
        let report = ExecutionSubjects.eventSubject(tenant: tenant.name, event: "attempt_finished")
        for (subject, bytes) in [
            (work, Array("\(marker) not an envelope".utf8)), (work, try envelope(ExecutionSubjects.workType, [0xff, 0xff, 0x01])),
            (work, try envelope(ExecutionSubjects.workType, noMission)),
            (report, Array("\(marker) not an envelope".utf8)), (report, try envelope(ExecutionSubjects.EventType.attemptFinished, [0x0a, 0x90])),
            (report, try envelope(ExecutionSubjects.EventType.attemptFinished, unknownResult)),
        ] {
            _ = try await js.publishRaw(subject, bytes: bytes)
        }
        var found = [0, 0]
        try await eventually(timeout: .seconds(20), "six dead letters (found \(found))") {
            for (index, reader) in readers.enumerated() {
                for message in try await reader.fetch(max: 256, timeout: .milliseconds(200)) {
                    let bytes = message.bytes
                    let ours = String(decoding: bytes, as: UTF8.self).contains(marker) || (try? Envelope(decoding: bytes))?.tenant == tenant.name
                    if ours {
                        found[index] += 1
                        #expect(message.header(DeadLetters.Header.error)?.isEmpty == false)
                    }
                    try message.ack()
                }
            }
            return found == [3, 3]
        }
        // Nothing crashed: a mission still runs end to end.
        let submitted = try await tenant.submit(#"{"steps": [{"id": "s", "agent_id": "poison:after", "action": "x.run"}]}"#)
        #expect(MissionTenant.status(try await tenant.final(submitted.string("mission_id"))) == "succeeded")
    }

    @Test func governanceDecidesBeforeAnyAgentRuns() async throws {
        let tenant = try await MissionTenant(agents: ["gov:agent": .echo()], policy: """
            rules:
              - {id: ok, effect: allow, actions: [safe.run]}
              - {id: nope, effect: deny, actions: [danger.run]}
              - {id: ask, effect: require_approval, actions: [big.run]}
            """)
        let denied = try await tenant.final(try await tenant.submit(#"{"steps": [{"id": "s", "agent_id": "gov:agent", "action": "danger.run"}]}"#)
            .string("mission_id"))
        #expect(MissionTenant.step(denied, "s")?.list("errors").first?.message?.string("code") == "denied")
        let parked = try await tenant.submit(#"{"steps": [{"id": "s", "agent_id": "gov:agent", "action": "big.run"}]}"#)
        try await eventually("the step waits for approval") {
            MissionTenant.step(try await tenant.get(parked.string("mission_id")), "s")?.int("status") == 5
        }
        let waiting = try await tenant.get(parked.string("mission_id"))
        #expect(MissionTenant.status(waiting) == "running")
        #expect(MissionTenant.step(waiting, "s")?.list("approval_reasons").isEmpty == false)
        #expect(tenant.agents.invocations.isEmpty)
        let cancelled = try await tenant.cancel(parked.string("mission_id"), reason: "no approver today")
        #expect(MissionTenant.status(cancelled) == "cancelled")
    }

    @Test func cancellingStopsTheRunningAgentCallAndEndsTheMission() async throws {
        let tenant = try await MissionTenant(agents: ["slow:one": .hang])
        let submitted = try await tenant.submit(#"{"steps": [{"id": "s", "agent_id": "slow:one", "action": "x.run", "timeout_seconds": 60}]}"#)
        let id = submitted.string("mission_id")
        try await eventually("the agent is called") { !tenant.agents.invocations.isEmpty }
        let cancelled = try await tenant.cancel(id, reason: "changed my mind")
        #expect(MissionTenant.status(cancelled) == "cancelled" && cancelled.string("outcome_reason") == "changed my mind")
        #expect(MissionTenant.step(cancelled, "s")?.int("status") == 8)
        // A second cancel is no error; the history says who and why.
        #expect(MissionTenant.status(try await tenant.cancel(id)) == "cancelled")
        let events = try await tenant.events(id)
        #expect(events.contains { $0.string("name") == "cancel_requested" && $0.string("requested_by") == "test:canceller" })
    }

    @Test func aSpentBudgetFailsTheMissionAndStartsNothingMore() async throws {
        let tenant = try await MissionTenant(agents: ["cost:agent": .echo(usage: .init(inputTokens: 600, outputTokens: 600, costUSD: 0.5))])
        let submitted = try await tenant.submit(#"""
            {"budget": {"max_tokens": 1000}, "steps": [{"id": "a", "agent_id": "cost:agent", "action": "x.run"},
                                                       {"id": "b", "agent_id": "cost:agent", "action": "x.run", "depends_on": ["a"]}]}
            """#)
        let mission = try await tenant.final(submitted.string("mission_id"))
        #expect(MissionTenant.status(mission) == "failed" && mission.string("outcome_code") == "budget_exceeded", "\(mission)")
        #expect(MissionTenant.step(mission, "b")?.int("status") == 8)
        #expect(tenant.agents.invocations.count == 1)
    }

    @Test func aTimedOutAttemptIsRetriedAndTheDeadlineEndsTheMission() async throws {
        let tenant = try await MissionTenant(agents: ["slow:one": .hang])
        let submitted = try await tenant.submit(#"""
            {"deadline_seconds": 8, "steps": [{"id": "s", "agent_id": "slow:one", "action": "x.run", "timeout_seconds": 1,
              "retry": {"max_attempts": 10, "initial_backoff_ms": 10, "max_backoff_ms": 20}}]}
            """#)
        // Eight seconds for attempts of one: at least two time out even when a
        // loaded machine takes seconds to notice and retry (at 4 s, once only one).
        let mission = try await tenant.final(submitted.string("mission_id"), timeout: .seconds(30))
        #expect(MissionTenant.status(mission) == "timed_out", "\(mission)")
        let step = try #require(MissionTenant.step(mission, "s"))
        #expect(step.list("errors").compactMap { $0.message?.string("code") }.allSatisfy { $0 == "timeout" })
        #expect(step.list("errors").count >= 2)
    }

    @Test func badDefinitionsAreRefusedNamingTheFieldAndNothingIsStored() async throws {
        let tenant = try await MissionTenant(agents: ["lab:x": .echo()])
        let cycle = ProtoMessage("agion.v1.MissionDefinition", ["steps": .list([
            .message(ProtoMessage("agion.v1.MissionStepDefinition", ["id": .string("a"), "agent_id": .string("lab:x"), "action": .string("x"),
                                                                    "depends_on": .list([.string("b")])])),
            .message(ProtoMessage("agion.v1.MissionStepDefinition", ["id": .string("b"), "agent_id": .string("lab:x"), "action": .string("x"),
                                                                    "depends_on": .list([.string("a")])])),
        ])])
        let error = await remoteError { _ = try await tenant.submit(proto: cycle) }
        #expect(error?.code == .invalidArgument && error?.field.hasSuffix("depends_on[0]") == true, "\(String(describing: error))")
        let missing = await remoteError { _ = try await tenant.get(UUID().uuidString) }
        #expect(missing?.code == .notFound)
        let list = try await tenant.call(CoordinationSubjects.list, ProtoMessage("agion.v1.ListMissionsRequest"))
        #expect(list.list("missions").isEmpty)
    }
}

extension MissionServiceTests {
    /// An agent served over NATS (as SDK agents are): invoked with an
    /// AgentInvocation, answering an AgentResult or an error reply whose
    /// `retriable` decides the retry.
    @Test func anAgentServedOverNATSRunsStepsAndItsErrorsDecideRetries() async throws {
        let tenant = try await MissionTenant(agents: [:])
        let bus = try await TestEnvironment.bus(name: "nats-agent")
        let agent = try AgentID("natsy:echo")
        let subject = ExecutionSubjects.agentInvokeSubject(agent, tenant: try TenantID(tenant.name))
        let failures = CallCounter()
        let responder = try bus.respond(subject, queue: "natsy") { request in
            let invocation = try ProtoSchema.decode("agion.v1.AgentInvocation", from: request.payload)
            if invocation.json("input")["fail"] == .bool(true), failures.next() <= 1 {
                throw ErrorReply(code: .unavailable, message: "busy, try again", retriable: true)
            }
            let result = ProtoMessage("agion.v1.AgentResult", [
                "output": .message(JSONValue.object(["got": invocation.json("input"), "key": .string(invocation.string("idempotency_key")),
                                                     "attempt": .integer(invocation.int("attempt"))]).valueProto),
                "usage": .message(ProtoMessage("agion.v1.Usage", ["output_tokens": .int(7)])),
            ])
            return request.caused(type: "agion.v1.AgentResult", payload: try ProtoSchema.encode(result))
        }
        let registry = try await RegistryCluster.shared.bus()
        _ = try await registry.call(RegistrySubjects.register, RegisterAgentsRequest(container: "natsy", agents: [
            Agent(id: agent, type: "sdk", capabilities: ["echo"], version: "1", endpoint: .nats(subject: subject)),
        ]), tenant: tenant.name, as: RegisterAgentsResponse.self)
        try await eventually("governance knows the NATS agent") {
            let decision = try await tenant.bus.call(GovernanceSubjects.explain, ExplainRequest(request: CheckRequest(agentID: agent, action: "x")),
                                                     tenant: tenant.name, as: Decision.self)
            return !decision.reasons.contains { $0.contains("not registered") }
        }
        let submitted = try await tenant.submit(#"""
            {"steps": [{"id": "a", "capability": "echo", "action": "echo.run", "input": {"fail": true},
                        "retry": {"max_attempts": 3, "initial_backoff_ms": 20, "max_backoff_ms": 40}}]}
            """#)
        let mission = try await tenant.final(submitted.string("mission_id"))
        #expect(MissionTenant.status(mission) == "succeeded", "\(mission)")
        let step = try #require(MissionTenant.step(mission, "a"))
        #expect(step.int("attempt") == 2 && step.list("errors").first?.message?.string("code") == "agent_error")
        #expect(step.json("output") == ["got": ["fail": true], "key": .string("\(submitted.string("mission_id"))/a"), "attempt": 2])
        #expect(mission.message("usage")?.int("output_tokens") == 7)
        try await responder.drain()
        try await bus.drain()
    }
}

/// A counter shared with a responder's handler.
final class CallCounter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}
