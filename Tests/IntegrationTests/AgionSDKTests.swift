import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import AgionSDK
import Foundation
import MissionsCore
import Synchronization
import Testing

/// The Swift SDK against the real services: governance calls, `governed`,
/// and an `AgentContainer` whose NATS agent runs a mission step, reports usage
/// and progress, answers a repeated key once, and deregisters on stop.
@Suite(.serialized, .timeLimit(.minutes(3)), .needsGovernance) struct AgionSDKTests {
    static let policy = """
        rules:
          - {id: reports, effect: allow, actions: ["reports.*", "work.*"], obligations: [{kind: max_tokens, value: 100}]}
          - {id: exports, effect: require_approval, actions: ["exports.*"]}
          - {id: no-deletes, effect: deny, actions: ["*.delete"]}
        """

    @Test func governanceCallsAndGovernedBlocks() async throws {
        let tenant = try await MissionTenant(agents: ["swift:charts": .echo()], policy: Self.policy)
        let agion = AgionClient(bus: tenant.bus, tenant: tenant.name)
        let agent = try AgentID("swift:charts")

        let allowed = try await agion.check(agent, "reports.generate", context: ["rows": .number(5)])
        #expect(allowed.effect == .allow && allowed.obligation("max_tokens")?.parameters["value"] == "100")
        let chart = try await agion.governed(agent, "reports.generate") { decision in "chart under \(decision.ruleIDs)" }
        #expect(chart == #"chart under ["reports"]"#)
        await #expect(throws: AgionSDKError.self) { try await agion.governed(agent, "files.delete") { _ in "never" } }
        do {
            _ = try await agion.governed(agent, "exports.csv") { _ in "never" }
            Issue.record("an approval requirement must throw")
        } catch let error as AgionSDKError {
            #expect(error.code == "approval_required" && error.decision?.effect == .requireApproval)
        }
        do {
            _ = try await agion.check(agent, "")
            Issue.record("an empty action is refused")
        } catch {
            #expect(error.code == "invalid_argument" && error.field == "action" && !error.retriable)
        }
        #expect(try await agion.validate(agent, "reports.generate", output: ["summary": "ok"]).passed)
        let trust = try await agion.report(agent, .success, latencyMillis: 12)
        #expect(trust.agentID == agent)
        let rated = try await agion.feedback(agent, from: try AgentID("swift:frontdesk"), rating: 1, source: "user:a")
        #expect(rated.score < trust.score)
        do {
            _ = try await agion.feedback(agent, from: agent, rating: 5, source: "user:a")
            Issue.record("an agent may not rate itself")
        } catch {
            #expect(error.code == "permission_denied")
        }
    }

    /// On an agent's own subject the services believe the subject, not the
    /// envelope: another agent or another tenant named in the request is
    /// refused (NATS authentication, SecureBusTests, keeps anyone else off
    /// the subject).
    @Test func anAgentsSubjectOnlyActsForThatAgentAndTenant() async throws {
        let tenant = try await MissionTenant(agents: [:], policy: Self.policy)
        let me = try AgentID("swift:me"), other = try AgentID("swift:other")
        func refusal<Reply: ProtoConvertible>(_ method: String, _ request: some ProtoConvertible, tenant claimed: String,
                                              reply: Reply.Type) async -> ErrorReply? {
            let subject = AgentSubjects.rpc(tenant: tenant.name, agent: me.description, platformSubject: method)
            do {
                _ = try await tenant.bus.call(subject, request, tenant: claimed, as: Reply.self)
                return nil
            } catch {
                return (error as? BusError)?.remote
            }
        }
        let check = await refusal(GovernanceSubjects.check, CheckRequest(agentID: other, action: "reports.generate"), tenant: tenant.name, reply: Decision.self)
        #expect(check?.code == .permissionDenied)
        let otherTenant = await refusal(GovernanceSubjects.check, CheckRequest(agentID: me, action: "reports.generate"), tenant: "someone-else",
                                        reply: Decision.self)
        #expect(otherTenant?.code == .permissionDenied && otherTenant?.field == "tenant")
        let register = await refusal(RegistrySubjects.register, RegisterAgentsRequest(container: "swift", agents: [
            Agent(id: other, capabilities: ["x"], endpoint: .nats(subject: AgentSubjects.invoke(tenant: tenant.name, agent: other.description))),
        ]), tenant: tenant.name, reply: RegisterAgentsResponse.self)
        #expect(register?.code == .permissionDenied && register?.field == "agents[0].id")
        let hijack = await refusal(RegistrySubjects.register, RegisterAgentsRequest(container: "swift", agents: [
            Agent(id: me, capabilities: ["x"], endpoint: .nats(subject: AgentSubjects.invoke(tenant: tenant.name, agent: other.description))),
        ]), tenant: tenant.name, reply: RegisterAgentsResponse.self)
        #expect(hijack?.code == .invalidArgument && hijack?.field == "agents[0].endpoint.address", "no registering on another agent's subject")
        let heartbeat = await refusal(RegistrySubjects.heartbeat, Heartbeat(agentID: other, ttlSeconds: 30), tenant: tenant.name, reply: HeartbeatAck.self)
        #expect(heartbeat?.code == .permissionDenied)
        let report = await refusal(GovernanceSubjects.report, ExecutionReport(agentID: other, outcome: .success), tenant: tenant.name,
                                   reply: TrustScore.self)
        #expect(report?.code == .permissionDenied)
        // Acting as itself works.
        let own = await refusal(GovernanceSubjects.check, CheckRequest(agentID: me, action: "reports.generate"), tenant: tenant.name, reply: Decision.self)
        #expect(own == nil || own?.code != .permissionDenied)
    }

    @Test func aContainerServesAMissionStepOverNATS() async throws {
        let tenant = try await MissionTenant(agents: [:], policy: Self.policy)
        let agion = AgionClient(bus: tenant.bus, tenant: tenant.name)
        let container = AgentContainer(name: "swiftsdk", client: agion, heartbeatInterval: .milliseconds(500))
        let runs = Mutex(0)
        try container.agent("worker", capabilities: ["swift-work"], description: "doubles n") { input, context in
            runs.withLock { $0 += 1 }
            context.progress("halfway", percent: 50)
            context.addUsage(inputTokens: 3, outputTokens: 4)
            guard let n = input["n"]?.doubleValue else { throw AgentFailure("the input needs n", retriable: false) }
            return ["doubled": .number(n * 2), "step": .string(context.stepID), "attempt": .integer(Int64(context.attempt))]
        }
        let progress = try tenant.bus.subscribe("agion.tenant.\(tenant.name).agent.*.progress.>")
        // What followers of the mission see: execution's relay of it.
        let relayed = try tenant.bus.subscribe("agion.missions.live.\(tenant.name).>")
        try await container.start()

        let submitted = try await tenant.submit(#"""
            {"steps": [{"id": "double", "capability": "swift-work", "action": "work.run", "input": {"n": 21}},
                       {"id": "refused", "capability": "swift-work", "action": "work.run", "input": {}, "on_failure": "continue"}]}
            """#)
        let mission = try await tenant.final(submitted.string("mission_id"))
        #expect(MissionTenant.status(mission) == "succeeded", "\(mission)")
        let step = try #require(MissionTenant.step(mission, "double"))
        #expect(step.json("output") == ["doubled": 42, "step": "double", "attempt": 1])
        #expect(step.message("usage")?.int("output_tokens") == 4)
        let refused = try #require(MissionTenant.step(mission, "refused"))
        #expect(refused.list("errors").count == 1, "a non-retriable failure is not retried")
        #expect(refused.list("errors").first?.message?.string("message").contains("the input needs n") == true)

        let heard = try await firstEnvelope(on: progress).map { try ProtoSchema.decode("agion.v1.StepProgress", from: $0.payload) }
        #expect(heard?.string("message") == "halfway" && heard?.string("mission_id") == submitted.string("mission_id"))
        // (The refused step says "halfway" too.)
        let live = try await firstEnvelope(on: relayed) { envelope in
            (try? ProtoSchema.decode("agion.v1.StepProgress", from: envelope.payload))?.string("step_id") == "double"
        }.map { try ProtoSchema.decode("agion.v1.StepProgress", from: $0.payload) }
        #expect(live?.string("message") == "halfway" && live?.double("percent") == 50 && live?.string("agent_id") == "swiftsdk:worker")
        #expect(live?.string("step_id") == "double" && live?.string("mission_id") == submitted.string("mission_id"))

        // The same idempotency key again: answered without running again.
        let invocation = ProtoMessage("agion.v1.AgentInvocation", ["agent_id": .string("swiftsdk:worker"), "idempotency_key": .string("k1"),
                                                                   "input": .message(JSONValue.object(["n": 1]).valueProto)])
        let before = runs.withLock { $0 }
        for _ in 0..<2 {
            let reply = try await tenant.bus.request(AgentContainer.invokeSubject(try AgentID("swiftsdk:worker"), tenant: tenant.name),
                                                     Envelope(type: "agion.v1.AgentInvocation", tenant: tenant.name,
                                                              payload: try ProtoSchema.encode(invocation)), timeout: .seconds(10))
            #expect(try ProtoSchema.decode("agion.v1.AgentResult", from: reply.payload).json("output")["doubled"] == 2)
        }
        #expect(runs.withLock { $0 } == before + 1)

        await container.stop()
        let record = try await tenant.bus.call(RegistrySubjects.get, GetAgentRequest(agentID: try AgentID("swiftsdk:worker")), tenant: tenant.name,
                                               as: AgentRecord.self)
        #expect(record.status == .deregistered)
    }
}
