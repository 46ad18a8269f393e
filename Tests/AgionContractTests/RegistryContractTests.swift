import AgionContract
import AgionEnvelope
import Testing

@Suite struct AgentIDTests {
    @Test(arguments: ["langgraph-v2:chart_generator", "crew:writer.v2", "A:b", "x1:Y-2_z"])
    func acceptsContainerAndName(_ text: String) throws {
        #expect(try AgentID(text).description == text)
    }

    @Test(arguments: [
        ("chart_generator", "is not <container>:<name>"), ("a:b:c", "is not <container>:<name>"), (":name", "container must be 1 to 63"),
        ("container:", "name must be 1 to 63"), ("-c:name", "must start with a letter or digit"), ("c:na me", "may hold only"),
        ("c:na*me", "may hold only"), ("c:" + String(repeating: "n", count: 64), "name must be 1 to 63"),
    ])
    func rejectsWithAClearReason(_ text: String, _ reason: String) {
        let error = #expect(throws: EnvelopeError.self) { try AgentID(text, field: "agents[0].id") }
        #expect(error?.field == "agents[0].id")
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "") should say \(reason)")
    }
}

@Suite struct RegistryMessageTests {
    private func agent(_ name: String, container: String = "langgraph-v2") throws -> Agent {
        Agent(id: try AgentID(container: container, name: name), type: "llm", description: "makes charts",
              capabilities: ["charts", "pdf", "charts"], version: "2.1.0", endpoint: .http(baseURL: "http://lg:8080"),
              metadata: ["team": "bi"])
    }

    @Test func registrationRoundTripsThroughTheWire() throws {
        let request = RegisterAgentsRequest(container: "langgraph-v2", agents: [try agent("chart_generator"), try agent("summarizer")])
        let decoded = try RegisterAgentsRequest(decoding: request.encoded())
        #expect(decoded.agents.map(\.id.description) == ["langgraph-v2:chart_generator", "langgraph-v2:summarizer"])
        #expect(decoded.agents[0].capabilities == ["charts", "pdf"])  // deduplicated and sorted
        #expect(decoded.agents[0].endpoint == .http(baseURL: "http://lg:8080"))
        #expect(decoded.agents[0].metadata == ["team": "bi"])
    }

    @Test func agentsOfAnotherContainerOrTwiceAreRejectedByIndex() throws {
        let foreign = RegisterAgentsRequest(container: "langgraph-v2", agents: [try agent("a"), try agent("b", container: "crew")])
        let error = #expect(throws: EnvelopeError.self) { try RegisterAgentsRequest(decoding: foreign.encoded()) }
        #expect(error?.field == "agents[1].id")
        let twice = RegisterAgentsRequest(container: "langgraph-v2", agents: [try agent("a"), try agent("a")])
        #expect((#expect(throws: EnvelopeError.self) { try RegisterAgentsRequest(decoding: twice.encoded()) })?.field == "agents[1].id")
        let empty = RegisterAgentsRequest(container: "langgraph-v2", agents: [])
        #expect((#expect(throws: EnvelopeError.self) { try RegisterAgentsRequest(decoding: empty.encoded()) })?.field == "agents")
    }

    @Test func badEndpointsAndOversizedFieldsNameTheField() throws {
        var bad = try agent("a")
        bad.endpoint = .http(baseURL: "ftp://x")
        var error = #expect(throws: EnvelopeError.self) {
            try RegisterAgentsRequest(decoding: RegisterAgentsRequest(container: "langgraph-v2", agents: [bad]).encoded())
        }
        #expect(error?.field == "agents[0].endpoint.address")
        var long = try agent("b")
        long.description = String(repeating: "x", count: Agent.Limits.textLength + 1)
        error = #expect(throws: EnvelopeError.self) {
            try RegisterAgentsRequest(decoding: RegisterAgentsRequest(container: "langgraph-v2", agents: [long]).encoded())
        }
        #expect(error?.field == "agents[0].description")
        #expect(ErrorReply(invalid: error!).code == .invalidArgument)
        #expect(ErrorReply(invalid: error!).field == "agents[0].description")
    }

    @Test func heartbeatDefaultsAndBoundsItsTTL() throws {
        let id = try AgentID("crew:writer")
        #expect(try Heartbeat(decoding: Heartbeat(agentID: id, ttlSeconds: 10).encoded()).ttlSeconds == 10)
        let noTTL = try ProtoSchema.encode(ProtoMessage("agion.v1.Heartbeat", ["agent_id": .string("crew:writer")]))
        #expect(try Heartbeat(decoding: noTTL).ttlSeconds == Heartbeat.defaultTTL)
        let tooLong = try ProtoSchema.encode(ProtoMessage("agion.v1.Heartbeat", ["agent_id": .string("crew:writer"), "ttl_seconds": .uint(86_400)]))
        #expect((#expect(throws: EnvelopeError.self) { try Heartbeat(decoding: tooLong) })?.field == "ttl_seconds")
    }

    @Test func recordsCarryStatusRevisionAndTrust() throws {
        let record = AgentRecord(agent: try agent("a"), status: .unhealthy, revision: 3, registeredAtUnixNanos: 1,
                                 updatedAtUnixNanos: 2, lastHeartbeatUnixNanos: 3, trustScore: 0.7)
        #expect(try AgentRecord(decoding: record.encoded()) == record)
        let unknownStatus = try ProtoSchema.encode(ProtoMessage("agion.v1.AgentRecord", [
            "agent": .message(try agent("a").proto), "status": .enumValue(9),
        ]))
        #expect((#expect(throws: EnvelopeError.self) { try AgentRecord(decoding: unknownStatus) })?.field == "status")
    }

    @Test func garbageIsADecodeErrorNotAValidationError() {
        let error = #expect(throws: EnvelopeError.self) { try RegisterAgentsRequest(decoding: [0xFF, 0xFF, 0x01]) }
        #expect(ErrorReply(invalid: error!).code == .decodeFailed)
    }
}
