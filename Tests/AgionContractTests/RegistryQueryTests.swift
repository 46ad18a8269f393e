import AgionContract
import AgionEnvelope
import Testing

@Suite struct RegistryQueryTests {
    private let id = try! AgentID("crew:writer")
    private func record(_ status: AgentStatus = .healthy) -> AgentRecord {
        AgentRecord(agent: Agent(id: id, capabilities: ["write"], endpoint: .nats(subject: AgentSubjects.invoke(tenant: "t", agent: "crew:writer"))),
                    status: status, revision: 1, registeredAtUnixNanos: 10, updatedAtUnixNanos: 20, lastHeartbeatUnixNanos: 30)
    }

    @Test func everyRegistryMessageRoundTrips() throws {
        #expect(try RegisterAgentsResponse(decoding: RegisterAgentsResponse(agents: [record().agent]).encoded()).agents == [record().agent])
        #expect(try HeartbeatAck(decoding: HeartbeatAck(agentID: id, status: .unhealthy).encoded()).status == .unhealthy)
        #expect(try DeregisterAgentRequest(decoding: DeregisterAgentRequest(agentID: id, reason: "SIGTERM").encoded()).reason == "SIGTERM")
        #expect(try GetAgentRequest(decoding: GetAgentRequest(agentID: id).encoded()).agentID == id)
        let list = ListAgentsRequest(capability: "write", status: .offline, container: "crew", pageSize: 20, pageToken: "abc")
        #expect(try ListAgentsRequest(decoding: list.encoded()) == list)
        let page = ListAgentsResponse(agents: [record(), record(.offline)], nextPageToken: "next")
        #expect(try ListAgentsResponse(decoding: page.encoded()) == page)
        #expect(try SearchAgentsRequest(decoding: SearchAgentsRequest(capability: "write", limit: 5).encoded()).limit == 5)
        #expect(try AgentRegistered(decoding: AgentRegistered(record: record()).encoded()).record == record())
        #expect(try AgentDeregistered(decoding: AgentDeregistered(agentID: id, reason: "gone").encoded()).agentID == id)
        let health = AgentHealthChanged(agentID: id, previous: .healthy, current: .unhealthy)
        #expect(try AgentHealthChanged(decoding: health.encoded()) == health)
    }

    @Test func listDefaultsAndBounds() throws {
        let empty = try ProtoSchema.encode(ProtoMessage("agion.v1.ListAgentsRequest"))
        let defaults = try ListAgentsRequest(decoding: empty)
        #expect(defaults.pageSize == ListAgentsRequest.defaultPageSize)
        #expect(defaults.capability == nil && defaults.status == nil && defaults.container == nil)
        let tooBig = try ProtoSchema.encode(ProtoMessage("agion.v1.ListAgentsRequest", ["page_size": .uint(10_000)]))
        #expect((#expect(throws: EnvelopeError.self) { try ListAgentsRequest(decoding: tooBig) })?.field == "page_size")
        let badStatus = try ProtoSchema.encode(ProtoMessage("agion.v1.ListAgentsRequest", ["status": .enumValue(42)]))
        #expect((#expect(throws: EnvelopeError.self) { try ListAgentsRequest(decoding: badStatus) })?.field == "status")
    }

    @Test func searchNeedsACapabilityAndABoundedLimit() throws {
        let none = try ProtoSchema.encode(ProtoMessage("agion.v1.SearchAgentsRequest"))
        #expect((#expect(throws: EnvelopeError.self) { try SearchAgentsRequest(decoding: none) })?.field == "capability")
        let huge = try ProtoSchema.encode(ProtoMessage("agion.v1.SearchAgentsRequest", ["capability": .string("x"), "limit": .uint(1_000)]))
        #expect((#expect(throws: EnvelopeError.self) { try SearchAgentsRequest(decoding: huge) })?.field == "limit")
        #expect(try SearchAgentsRequest(decoding: ProtoSchema.encode(ProtoMessage("agion.v1.SearchAgentsRequest", ["capability": .string("x")]))).limit == 10)
    }

    @Test func statusNamesRoundTrip() {
        for status in AgentStatus.allCases { #expect(AgentStatus(name: status.name) == status) }
        #expect(AgentStatus(name: "sleepy") == nil)
    }
}
