import AgionJSON
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A small agent container implementing Agion's container contract
/// (docs/agent-contract.md): `GET /health`, `GET /agents`,
/// `POST /agents/{agent_id}/invoke`. On start it registers its agents through
/// the gateway, heartbeats while it runs, and deregisters them on SIGTERM
/// before it stops. The example agents are built on it; a real one would use
/// the SDK the same way.
public struct AgentContainer: Sendable {
    /// One agent: what the registry is told, and what it does with an input.
    public struct Agent: Sendable {
        public var name: String
        public var capabilities: [String]
        public var description: String
        public var handle: @Sendable (JSONValue, Invocation) async throws -> Answer

        public init(name: String, capabilities: [String], description: String, handle: @escaping @Sendable (JSONValue, Invocation) async throws -> Answer) {
            self.name = name
            self.capabilities = capabilities
            self.description = description
            self.handle = handle
        }
    }

    /// What the agent is told about the step beside its input.
    public struct Invocation: Sendable {
        public let idempotencyKey: String
        public let attempt: Int
        public let context: JSONValue
    }

    /// The agent's answer: its output and what it spent.
    public struct Answer: Sendable {
        public var output: JSONValue
        public var inputTokens: Int
        public var outputTokens: Int
        public var costUSD: Double

        public init(output: JSONValue, inputTokens: Int = 0, outputTokens: Int = 0, costUSD: Double = 0) {
            self.output = output
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
            self.costUSD = costUSD
        }
    }

    public let container: String
    public let agents: [Agent]
    public let settings: Settings

    public init(container: String, agents: [Agent], settings: Settings) {
        self.container = container
        self.agents = agents
        self.settings = settings
    }

    /// Runs until SIGTERM or SIGINT: serve, register, heartbeat; then deregister.
    public func run() async throws {
        var logger = Logger(label: "agion.example.\(container)")
        logger.logLevel = .info
        let gateway = GatewayClient(settings: settings, logger: logger)
        let answers = AnswerCache()
        let router = Router()
        router.get("/health") { _, _ in "ok" }
        router.get("/agents") { _, _ -> Response in
            Self.json(200, ["agents": .array(agents.map { ["id": .string("\(container):\($0.name)"), "capabilities": .array($0.capabilities.map { .string($0) })] })])
        }
        router.post("/agents/:agent/invoke") { request, context -> Response in
            let id = context.parameters.get("agent") ?? ""
            guard let agent = agents.first(where: { "\(container):\($0.name)" == id }) else { return Self.json(404, ["error": .string("no agent \(id)")]) }
            let body = try await request.body.collect(upTo: 1 << 20)
            guard let json = try? JSONValue.parse(Array(body.readableBytesView)), case .object(let fields) = json else {
                return Self.json(400, ["error": "the body is {\"input\": ..., \"context\": {...}}"])
            }
            let key = request.headers[HTTPField.Name("Idempotency-Key")!] ?? ""
            // The same key again (a retry after a lost answer): the same answer, the work done once.
            if !key.isEmpty, let cached = answers.answer(for: key) { return Self.json(200, cached) }
            let invocation = Invocation(idempotencyKey: key, attempt: Int(request.headers[HTTPField.Name("Agion-Attempt")!] ?? "") ?? 1,
                                        context: fields["context"] ?? .null)
            do {
                let answer = try await agent.handle(fields["input"] ?? .null, invocation)
                let reply: JSONValue = ["output": answer.output, "usage": ["input_tokens": .integer(Int64(answer.inputTokens)),
                                                                           "output_tokens": .integer(Int64(answer.outputTokens)),
                                                                           "cost_usd": .number(answer.costUSD)]]
                if !key.isEmpty { answers.remember(reply, for: key) }
                return Self.json(200, reply)
            } catch let refusal as Refusal {
                return Self.json(422, ["error": .string(refusal.reason)])
            }
        }
        let application = Application(router: router, configuration: .init(address: .hostname(settings.host, port: settings.port),
                                                                           serverName: "agion-example-\(container)"), logger: logger)
        let lifecycle = Lifecycle(container: self, gateway: gateway, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [application, lifecycle], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try? await gateway.shutdown()
    }

    static func json(_ status: Int, _ body: JSONValue) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body.serialized)))
    }
}

/// An input the agent will not work on (answered 422: permanent, not retried).
public struct Refusal: Error {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// Answers kept by idempotency key (the last 10,000).
final class AnswerCache: Sendable {
    private let state = Mutex<(answers: [String: JSONValue], order: [String])>(([:], []))

    func answer(for key: String) -> JSONValue? { state.withLock { $0.answers[key] } }

    func remember(_ answer: JSONValue, for key: String) {
        state.withLock { state in
            if state.answers.updateValue(answer, forKey: key) == nil { state.order.append(key) }
            if state.order.count > 10_000 { state.answers[state.order.removeFirst()] = nil }
        }
    }
}
