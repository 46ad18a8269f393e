import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import AgionNATSAuth
import AgionSDK
import Foundation
import Synchronization
import Testing

extension ProcessStackSuites {
    /// NATS authentication as deployed (docs/security.md): every service on
    /// its own credentials, agent containers on credentials the gateway
    /// issues. An agent can only be itself: not another agent of its tenant,
    /// not an agent of another tenant, and it hears only its own invocations.
    @Suite(.timeLimit(.minutes(5))) struct SecureBusTests {
        @Test func agentsCanOnlyBeThemselvesAndRevokedCredentialsStopWorking() async throws {
            try await ChildStack.with(replicas: 1, missions: true, secured: true) { stack in
                let platform = try await stack.bus()
                let a = try await stack.tenant(agents: [])
                let b = try await stack.tenant(agents: [])
                let one = try await Container(stack, tenant: a, agents: ["lab:one"])
                let two = try await Container(stack, tenant: a, agents: ["lab:two"])
                let other = try await Container(stack, tenant: b, agents: ["lab:one"])

                // Each serves its agent through the SDK, on its own credentials:
                // registration, heartbeats and the invocation of a mission step.
                let calls = Mutex<[String]>([])
                for container in [one, two, other] {
                    let served = AgentContainer(name: "lab", client: AgionClient(bus: container.bus, tenant: container.tenant),
                                                heartbeatInterval: .seconds(1))
                    let label = "\(container.tenant)/\(container.agents[0])"
                    try served.agent(String(container.agents[0].split(separator: ":")[1]), capabilities: ["load"]) { input, context in
                        calls.withLock { $0.append(label) }
                        // Live progress, on the agent's own progress subject, relayed by execution to followers.
                        try await Task.sleep(for: .milliseconds(600))
                        context.progress("working", percent: 50)
                        try await Task.sleep(for: .milliseconds(200))
                        return ["served_by": .string(label)]
                    }
                    try await served.start()
                    container.served = served
                }
                let mission = try await HTTPClient.send("POST", stack.gatewayURL(0, "/v1/missions"), key: a.key, json: [
                    "steps": [["id": "s", "action": "load.run", "agent_id": "lab:one", "input": ["n": 1]]],
                ])
                #expect(mission.status == 201, "\(mission.text)")
                if mission.status != 201 { print(mission.text) }
                let missionID = try #require(mission.json?["mission_id"]?.stringValue)
                let followed = try await HTTPClient.send("GET", stack.gatewayURL(0, "/v1/missions/\(missionID)/stream"), key: a.key, timeout: 30)
                #expect(followed.text.contains("event: step_progress") && followed.text.contains(#""message":"working""#), "\(followed.text)")
                try await eventually(timeout: .seconds(30), "the mission succeeds") {
                    let got = try await HTTPClient.send("GET", stack.gatewayURL(0, "/v1/missions/\(missionID)"), key: a.key)
                    return got.json?["status"] == "MISSION_STATUS_SUCCEEDED" || got.json?["status"] == "succeeded"
                }
                #expect(calls.withLock { $0 } == ["\(a.name)/lab:one"], "only tenant A's lab:one was invoked")

                // Its own checks are answered.
                let own = try await one.check(as: "lab:one", subject: AgentSubjects.rpc(tenant: a.name, agent: "lab:one", platformSubject: GovernanceSubjects.check))
                #expect(own.type == Decision.protoName, "\(own.type)")

                // NATS refuses what the credentials do not allow: no reply ever comes.
                for (what, subject) in [
                    ("another agent of its tenant", AgentSubjects.rpc(tenant: a.name, agent: "lab:two", platformSubject: GovernanceSubjects.check)),
                    ("an agent of another tenant", AgentSubjects.rpc(tenant: b.name, agent: "lab:one", platformSubject: GovernanceSubjects.check)),
                    ("the platform's own subjects", GovernanceSubjects.check),
                    ("a policy change", GovernanceSubjects.putPolicy),
                    ("another agent's heartbeat", AgentSubjects.rpc(tenant: a.name, agent: "lab:two", platformSubject: RegistrySubjects.heartbeat)),
                    ("invoking another agent", AgentSubjects.invoke(tenant: a.name, agent: "lab:two")),
                ] {
                    do {
                        _ = try await one.check(as: "lab:one", subject: subject)
                        Issue.record("\(what) must not be reachable")
                    } catch let error as BusError {
                        #expect(error.remote == nil, "\(what): NATS drops it, no service sees it: \(error)")
                    }
                }
                // On its own subject, the services refuse another agent or tenant in the request.
                let ownSubject = AgentSubjects.rpc(tenant: a.name, agent: "lab:one", platformSubject: GovernanceSubjects.check)
                for (agent, tenant) in [("lab:two", a.name), ("lab:one", b.name)] {
                    do {
                        _ = try await one.check(as: agent, tenant: tenant, subject: ownSubject)
                        Issue.record("acting as \(agent) of \(tenant) must be refused")
                    } catch let error as BusError {
                        #expect(error.remote?.code == .permissionDenied, "\(error)")
                    }
                }

                // Listening in: another agent's invocations, any events: nothing arrives.
                let snooped = try [AgentSubjects.invoke(tenant: a.name, agent: "lab:two"), "agion.>", ">"].map { try one.bus.subscribe($0) }
                let listeners = snooped.map { subscription in
                    Task { var heard = 0; for await _ in subscription { heard += 1 }; return heard }
                }
                let before = calls.withLock { $0.count }
                let invocation = try ProtoSchema.encode(ProtoMessage("agion.v1.AgentInvocation", [
                    "agent_id": .string("lab:two"), "idempotency_key": .string("snoop"), "input": .message(JSONValue.object(["n": 2]).valueProto)]))
                let answered = try await platform.request(AgentSubjects.invoke(tenant: a.name, agent: "lab:two"),
                                                          Envelope(type: "agion.v1.AgentInvocation", tenant: a.name, payload: invocation), timeout: .seconds(5))
                #expect(answered.type == "agion.v1.AgentResult", "lab:two itself still gets its invocation")
                #expect(calls.withLock { $0.count } == before + 1)
                try platform.publish("agion.missions.evt.\(a.name).x", Envelope(type: "agion.test.event", tenant: a.name))
                try await Task.sleep(for: .seconds(1))
                snooped.forEach { $0.close() }
                var heard = 0
                for listener in listeners { heard += await listener.value }
                #expect(heard == 0, "a container hears nothing but its own agents' invocations")

                // Revoked: NATS closes the container's connections and refuses the credentials from then on.
                let revoked = try await HTTPClient.send("DELETE", stack.gatewayURL(0, "/v1/nats-credentials/\(one.credentialID)"), key: a.key)
                #expect(revoked.status == 200, "\(revoked.text)")
                #expect(revoked.json?["revoked_at"]?.stringValue != nil)
                try await eventually(timeout: .seconds(10), "the revoked connection is closed") { !one.bus.isConnected }
                await #expect(throws: (any Error).self, "revoked credentials cannot connect") {
                    _ = try await Bus.connect(BusConfiguration(url: stack.nats.url, name: "revoked", credentialsFile: one.file), logger: TestEnvironment.logger)
                }
                // So does a service's connect, which waits for a server that is not
                // up yet: a refusal is an error, never a bus that cnats has closed.
                // (cnats closes it at its background retry, here a second later, long
                // after the bus was made: as a loaded machine saw it in the full suite.)
                await #expect(throws: BusError.self, "revoked credentials cannot connect, retrying or not") {
                    var retrying = BusConfiguration(url: stack.nats.url, name: "revoked", credentialsFile: one.file)
                    retrying.retryOnFailedConnect = true
                    retrying.reconnectDelay = .seconds(1)
                    _ = try await Bus.connect(retrying, logger: TestEnvironment.logger)
                }
                // The others are untouched.
                let stillTwo = try await two.check(as: "lab:two", subject: AgentSubjects.rpc(tenant: a.name, agent: "lab:two", platformSubject: GovernanceSubjects.check))
                #expect(stillTwo.type == Decision.protoName)

                let listed = try await HTTPClient.send("GET", stack.gatewayURL(0, "/v1/nats-credentials"), key: a.key)
                #expect(listed.json?["credentials"]?.arrayValue?.count == 2)
                #expect(!listed.text.contains("SUA"), "the list never shows a seed")
                try await swiftTemplate(stack, tenant: a)
                for container in [two, other] { await container.served?.stop() }
                try stack.expectAllRunning("after the impersonation attempts")
                let violations = stack.services.filter { $0.log.contains("Permissions Violation") }
                #expect(violations.isEmpty, "a service used a subject its credentials do not allow: \(violations.map(\.logPath))")
                // What the server refused, from whom: only the test's own attempts.
                let refused = ((try? String(contentsOfFile: stack.nats.logPath, encoding: .utf8)) ?? "").split(separator: "\n")
                    .filter { $0.contains("Violation") && !$0.contains("container-") }
                #expect(refused.isEmpty, "\(refused.joined(separator: "\n"))")
            }
        }

        /// The Swift agent template (Templates/swift-agent) as its own process on
        /// credentials from the gateway: governed (the policy's max_tokens caps
        /// its summary), called by a mission, deregistered on SIGTERM.
        func swiftTemplate(_ stack: ChildStack, tenant: (name: String, key: String)) async throws {
            let policy = try await HTTPClient.send("POST", stack.gatewayURL(0, "/v1/policies"), key: tenant.key, raw: """
                rules:
                  - {id: load, effect: allow, actions: ["load.*"]}
                  - {id: summaries, effect: allow, agents: ["template:*"], actions: ["text.summarize"], obligations: [{kind: max_tokens, value: 3}]}
                """, contentType: "application/yaml")
            #expect(policy.status == 201, "\(policy.text)")
            let issued = try await HTTPClient.send("POST", stack.gatewayURL(0, "/v1/nats-credentials"), key: tenant.key,
                                                   json: ["name": "swift-template", "agents": ["template:swift-summarizer"]])
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("agion-swift-template-\(UUID().uuidString).creds").path
            try #require(issued.json?["creds"]?.stringValue).write(toFile: file, atomically: true, encoding: .utf8)
            let template = try ChildService("agion-template-swift", environment: ["AGION_NATS_URL": stack.nats.url, "AGION_NATS_CREDS": file,
                                                                                  "AGION_TENANT": tenant.name])
            try await eventually(timeout: .seconds(30), "the template registered (log: \(template.logPath))") {
                let got = try await HTTPClient.send("GET", stack.gatewayURL(0, "/v1/agents/template:swift-summarizer"), key: tenant.key)
                return got.json?["status"] == "healthy"
            }
            let mission = try await HTTPClient.send("POST", stack.gatewayURL(0, "/v1/missions"), key: tenant.key, json: [
                "steps": [["id": "s", "capability": "summarizing", "action": "load.summarize", "input": ["text": "one two three four five six"]]],
            ])
            let missionID = try #require(mission.json?["mission_id"]?.stringValue, "\(mission.text)")
            var finished: JSONValue?
            try await eventually(timeout: .seconds(30), "the template's mission ends") {
                let got = try await HTTPClient.send("GET", stack.gatewayURL(0, "/v1/missions/\(missionID)"), key: tenant.key)
                finished = got.json
                return ["succeeded", "failed"].contains(got.json?["status"]?.stringValue ?? "")
            }
            #expect(finished?["status"] == "succeeded", "\(String(describing: finished))")
            #expect(finished?["steps"]?.arrayValue?.first?["output"] == ["summary": "one two three", "words": 6, "limit": 3], "the max_tokens obligation capped it")
            let stopped = ContinuousClock.now
            template.terminate()
            #expect(ContinuousClock.now - stopped < .seconds(30) && template.process.terminationStatus == 0, "\(template.log.suffix(1_000))")
            let record = try await HTTPClient.send("GET", stack.gatewayURL(0, "/v1/agents/template:swift-summarizer"), key: tenant.key)
            #expect(record.json?["status"] == "deregistered")
        }
    }
}

/// An agent container of `tenant` on credentials from the gateway.
private final class Container: @unchecked Sendable {
    let tenant: String
    let agents: [String]
    let bus: Bus
    let file: String
    let credentialID: String
    var served: AgentContainer?

    init(_ stack: ChildStack, tenant: (name: String, key: String), agents: [String]) async throws {
        let issued = try await HTTPClient.send("POST", stack.gatewayURL(0, "/v1/nats-credentials"), key: tenant.key,
                                               json: ["name": "lab", "agents": .array(agents.map(JSONValue.string))])
        guard issued.status == 201, let text = issued.json?["creds"]?.stringValue, let id = issued.json?["credential_id"]?.stringValue else {
            throw TestFailure("credentials not issued: \(issued.status) \(issued.text)")
        }
        let credentials = try NATSCredentials(fileContents: text)
        #expect(issued.json?["inbox_prefix"]?.stringValue == credentials.inboxPrefix)
        file = FileManager.default.temporaryDirectory.appendingPathComponent("agion-\(id).creds").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        bus = try await Bus.connect(BusConfiguration(url: stack.nats.url, name: "container-\(id)", credentialsFile: file,
                                                     inboxPrefix: credentials.inboxPrefix), logger: TestEnvironment.logger)
        self.tenant = tenant.name
        self.agents = agents
        credentialID = id
    }

    /// A check request on `subject`, as `agent` of `tenant` (the container's unless said).
    func check(as agent: String, tenant claimed: String? = nil, subject: String) async throws -> Envelope {
        let request = CheckRequest(agentID: try AgentID(agent), action: "load.run")
        return try await bus.request(subject, Envelope(type: CheckRequest.protoName, tenant: claimed ?? tenant,
                                                       payload: try request.encoded()), timeout: .seconds(1))
    }
}
