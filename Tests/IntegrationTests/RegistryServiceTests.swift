import AgionBus
import AgionContract
import AgionEnvelope
import AgionRuntime
import Testing

/// The registry service, two replicas, against real NATS and PostgreSQL.
@Suite(.timeLimit(.minutes(2))) struct RegistryServiceTests {
    let tenant = TestEnvironment.uniqueName("t")

    func agent(_ name: String, in container: String = "langgraph-v2", capabilities: [String] = ["charts"],
               description: String = "draws charts") throws -> Agent {
        Agent(id: try AgentID(container: container, name: name), type: "llm", description: description,
              capabilities: capabilities, version: "1.0.0", endpoint: .http(baseURL: "http://\(container):8080"))
    }

    func register(_ agents: [Agent], _ bus: Bus) async throws -> RegisterAgentsResponse {
        try await bus.call(RegistrySubjects.register, RegisterAgentsRequest(container: agents[0].container, agents: agents),
                           tenant: tenant, as: RegisterAgentsResponse.self)
    }

    func get(_ id: AgentID, _ bus: Bus) async throws -> AgentRecord {
        try await bus.call(RegistrySubjects.get, GetAgentRequest(agentID: id), tenant: tenant, as: AgentRecord.self)
    }

    @Test func registeringAgainIsIdempotentAndANewDefinitionIsANewRevision() async throws {
        let bus = try await RegistryCluster.shared.bus()
        let events = try await EventReader.open(bus, stream: EventStreams.registry, subject: "agion.registry.evt.\(tenant).>")
        defer { Task { await events.close() } }
        let chart = try agent("chart_generator"), summary = try agent("summarizer", capabilities: ["summaries"])

        _ = try await register([chart, summary], bus)
        let first = try await get(chart.id, bus)
        #expect(first.agent == chart)
        #expect(first.revision == 1)
        #expect(first.status == .healthy)
        #expect(try await events.next(2).map(\.type) == [RegistrySubjects.EventType.agentRegistered, RegistrySubjects.EventType.agentRegistered])

        _ = try await register([chart, summary], bus)
        #expect(try await get(chart.id, bus).revision == 1)
        #expect(try await events.isQuiet())

        var changed = chart
        changed.description = "draws better charts"
        changed.version = "1.1.0"
        _ = try await register([changed, summary], bus)
        let updated = try await get(chart.id, bus)
        #expect(updated.revision == 2)
        #expect(updated.agent.description == "draws better charts")
        let event = try await events.next(1)[0]
        #expect(event.type == RegistrySubjects.EventType.agentUpdated)
        #expect(try event.payload(as: AgentRegistered.self).record.revision == 2)

        let history = try await bus.call(RegistrySubjects.versions, AgentVersionsRequest(agentID: chart.id), tenant: tenant,
                                         as: AgentVersionsResponse.self)
        #expect(history.versions.map(\.revision) == [1, 2])
        #expect(history.versions.map(\.agent.version) == ["1.0.0", "1.1.0"])
    }

    @Test func racingRegistrationsOnBothReplicasStoreOneAgent() async throws {
        let bus = try await RegistryCluster.shared.bus()
        let chart = try agent("racer")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 { group.addTask { _ = try await register([chart], bus) } }
            try await group.waitForAll()
        }
        #expect(try await get(chart.id, bus).revision == 1)
        let history = try await bus.call(RegistrySubjects.versions, AgentVersionsRequest(agentID: chart.id), tenant: tenant,
                                         as: AgentVersionsResponse.self)
        #expect(history.versions.count == 1)
    }

    @Test func missedHeartbeatsMakeAnAgentUnhealthyThenOfflineAndAHeartbeatBringsItBack() async throws {
        let bus = try await RegistryCluster.shared.bus()
        let events = try await EventReader.open(bus, stream: EventStreams.registry, subject: "agion.registry.evt.\(tenant).agent_health_changed")
        defer { Task { await events.close() } }
        let chart = try agent("pulse")
        _ = try await register([chart], bus)
        let ack = try await bus.call(RegistrySubjects.heartbeat, Heartbeat(agentID: chart.id, ttlSeconds: 1), tenant: tenant, as: HeartbeatAck.self)
        #expect(ack.status == .healthy)

        let changes = try await events.next(2, timeout: .seconds(10)).map { try $0.payload(as: AgentHealthChanged.self) }
        #expect(changes.map(\.current) == [.unhealthy, .offline])
        #expect(changes.map(\.previous) == [.healthy, .unhealthy])
        #expect(try await get(chart.id, bus).status == .offline)

        _ = try await bus.call(RegistrySubjects.heartbeat, Heartbeat(agentID: chart.id, ttlSeconds: 60), tenant: tenant, as: HeartbeatAck.self)
        let back = try await events.next(1)[0].payload(as: AgentHealthChanged.self)
        #expect(back.previous == .offline && back.current == .healthy)
        #expect(try await get(chart.id, bus).status == .healthy)
        // Both replicas sweep; each change is announced once.
        #expect(try await events.isQuiet())
    }

    @Test func deregisteredAgentsStayForHistoryAndCanComeBack() async throws {
        let bus = try await RegistryCluster.shared.bus()
        let events = try await EventReader.open(bus, stream: EventStreams.registry, subject: "agion.registry.evt.\(tenant).>")
        defer { Task { await events.close() } }
        let chart = try agent("leaver")
        _ = try await register([chart], bus)
        let record = try await bus.call(RegistrySubjects.deregister, DeregisterAgentRequest(agentID: chart.id, reason: "container stopped"),
                                        tenant: tenant, as: AgentRecord.self)
        #expect(record.status == .deregistered)
        let types = try await events.next(2).map(\.type)
        #expect(types == [RegistrySubjects.EventType.agentRegistered, RegistrySubjects.EventType.agentDeregistered])

        let error = await remoteError {
            _ = try await bus.call(RegistrySubjects.heartbeat, Heartbeat(agentID: chart.id), tenant: tenant, as: HeartbeatAck.self)
        }
        #expect(error?.code == ErrorReply.Code.notFound)

        _ = try await register([chart], bus)
        #expect(try await get(chart.id, bus).status == .healthy)
        #expect(try await events.next(1)[0].type == RegistrySubjects.EventType.agentRegistered)
    }

    @Test func listFiltersAndPages() async throws {
        let bus = try await RegistryCluster.shared.bus()
        _ = try await register([try agent("a1"), try agent("a2", capabilities: ["charts", "tables"]), try agent("a3", capabilities: ["tables"])], bus)
        _ = try await register([try agent("b1", in: "crewai", capabilities: ["tables"]), try agent("b2", in: "crewai")], bus)

        var ids: [String] = [], token = ""
        repeat {
            let page = try await bus.call(RegistrySubjects.list, ListAgentsRequest(pageSize: 2, pageToken: token), tenant: tenant,
                                          as: ListAgentsResponse.self)
            #expect(page.agents.count <= 2)
            ids += page.agents.map(\.agent.id.description)
            token = page.nextPageToken
        } while !token.isEmpty
        #expect(ids == ["crewai:b1", "crewai:b2", "langgraph-v2:a1", "langgraph-v2:a2", "langgraph-v2:a3"])

        let tables = try await bus.call(RegistrySubjects.list, ListAgentsRequest(capability: "tables"), tenant: tenant, as: ListAgentsResponse.self)
        #expect(tables.agents.map(\.agent.id.description) == ["crewai:b1", "langgraph-v2:a2", "langgraph-v2:a3"])
        let crew = try await bus.call(RegistrySubjects.list, ListAgentsRequest(capability: "tables", container: "crewai"), tenant: tenant,
                                      as: ListAgentsResponse.self)
        #expect(crew.agents.map(\.agent.id.description) == ["crewai:b1"])
        let offline = try await bus.call(RegistrySubjects.list, ListAgentsRequest(status: .offline), tenant: tenant, as: ListAgentsResponse.self)
        #expect(offline.agents.isEmpty)
        // Another tenant sees none of them.
        let other = try await bus.call(RegistrySubjects.list, ListAgentsRequest(), tenant: tenant + "x", as: ListAgentsResponse.self)
        #expect(other.agents.isEmpty)
    }

    @Test func searchReturnsOnlyHealthyAgentsWithTheCapability() async throws {
        let bus = try await RegistryCluster.shared.bus()
        _ = try await register([try agent("s1"), try agent("s2"), try agent("s3", capabilities: ["tables"])], bus)
        _ = try await bus.call(RegistrySubjects.deregister, DeregisterAgentRequest(agentID: try AgentID("langgraph-v2:s2")),
                               tenant: tenant, as: AgentRecord.self)
        let found = try await bus.call(RegistrySubjects.search, SearchAgentsRequest(capability: "charts"), tenant: tenant, as: ListAgentsResponse.self)
        #expect(found.agents.map(\.agent.id.description) == ["langgraph-v2:s1"])
        #expect(found.agents.allSatisfy { $0.status == .healthy })
    }

    @Test func badRequestsGetErrorRepliesAndTheServiceKeepsServing() async throws {
        let bus = try await RegistryCluster.shared.bus()
        // An id that is not <container>:<name>, inside a valid envelope.
        var bad = ProtoMessage("agion.v1.GetAgentRequest", ["agent_id": .string("no-colon")])
        let invalid = await remoteError {
            _ = try await bus.request(RegistrySubjects.get, Envelope(type: "x", tenant: tenant, payload: try ProtoSchema.encode(bad)))
        }
        #expect(invalid?.code == ErrorReply.Code.invalidArgument)
        #expect(invalid?.field == "agent_id")

        // An agent of another container in a registration.
        bad = RegisterAgentsRequest(container: "langgraph-v2", agents: [try agent("x", in: "crewai")]).proto
        let foreign = await remoteError {
            _ = try await bus.request(RegistrySubjects.register, Envelope(type: "x", tenant: tenant, payload: try ProtoSchema.encode(bad)))
        }
        #expect(foreign?.field == "agents[0].id")

        // No tenant, a tenant that cannot be a subject token, malformed protobuf, not an envelope.
        for tenant in ["", "a.b"] {
            let error = await remoteError {
                _ = try await bus.call(RegistrySubjects.list, ListAgentsRequest(), tenant: tenant, as: ListAgentsResponse.self)
            }
            #expect(error?.field == "tenant")
        }
        let malformed = await remoteError {
            _ = try await bus.request(RegistrySubjects.list, Envelope(type: "x", tenant: tenant, payload: [0xFF, 0xFF, 0xFF]))
        }
        #expect(malformed?.code == ErrorReply.Code.decodeFailed)
        let garbage = await remoteError { _ = try await bus.request(RegistrySubjects.list, bytes: [1, 2, 3, 4]) }
        #expect(garbage?.code == ErrorReply.Code.decodeFailed)
        let unknown = await remoteError { _ = try await get(try AgentID("nope:nobody"), bus) }
        #expect(unknown?.code == ErrorReply.Code.notFound)
        let token = await remoteError {
            _ = try await bus.call(RegistrySubjects.list, ListAgentsRequest(pageToken: "%%%"), tenant: tenant, as: ListAgentsResponse.self)
        }
        #expect(token?.field == "page_token")

        // Still serving.
        _ = try await register([try agent("survivor")], bus)
        #expect(try await get(try AgentID("langgraph-v2:survivor"), bus).status == .healthy)
    }
}
