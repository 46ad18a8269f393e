import AgionEnvelope
import AgionBus
import AgionContract
import AsyncHTTPClient
import Testing
@testable import AgionExecution

/// A NATS agent called while execution's own bus is down: the failure is
/// Agion's (`bus_unavailable`, a platform failure that does not use up the
/// step's attempts), not the agent's. With the bus up and nobody serving the
/// agent's subject, it is the agent that cannot be reached.
@Suite(.timeLimit(.minutes(1))) struct AgentInvokerBusTests {
    @Test func aNATSAgentCalledWhileOurBusIsDownIsAPlatformFailure() async throws {
        let server = try PrivateServer.nats()
        try await server.start()
        let bus = try await TestEnvironment.bus(url: server.url)
        let http = AsyncHTTPClient.HTTPClient(eventLoopGroupProvider: .singleton)
        let invoker = AgentInvoker(http: http, bus: bus, maxOutputBytes: 1 << 20, progress: ProgressRelay(bus: bus, logger: .init(label: "test")))
        let agent = try AgentID("bus:nobody")
        let invocation = AgentInvoker.Invocation(
            agent: agent, endpoint: .nats(subject: AgentSubjects.invoke(tenant: "t", agent: "bus:nobody")), input: ["n": 1],
            context: ["tenant": "t"], idempotencyKey: "k", attempt: 1, timeout: .seconds(2), traceparent: "",
            live: .init(tenant: "t", mission: "m", step: "s", attempt: 1, agent: agent))

        guard case .failure(let unserved) = await invoker.invoke(invocation) else { Issue.record("nobody serves the subject"); return }
        #expect(!unserved.platform, "\(unserved)")
        #expect(unserved.retriable)

        server.stop()
        try await eventually("disconnect noticed") { !bus.isConnected }
        guard case .failure(let down) = await invoker.invoke(invocation) else { Issue.record("the bus is down"); return }
        #expect(down.code == "bus_unavailable", "\(down)")
        #expect(down.platform && down.retriable)
        try? await bus.drain()
        try await http.shutdown()
    }
}
