import AgionJSON
import AgionRuntime
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import Synchronization

/// A real agent container for the tests: an HTTP server on a free port that
/// implements the container contract (docs/agent-contract.md: `GET /health`,
/// `GET /agents`, `POST /agents/{agent_id}/invoke`), with agents that
/// misbehave on purpose. It counts every invocation by idempotency key, so a
/// test can show that retries carry the same key.
final class TestAgentServer: Sendable {
    /// What an agent does with an invocation.
    enum Behavior: Sendable {
        /// Answers `{"output": {"echo": <input>, "agent": <id>, "n": <calls>}, "usage": ...}`.
        case echo(usage: Usage = Usage())
        /// Answers this output.
        case answer(JSONValue, usage: Usage = Usage())
        /// Fails the first `times` calls of each idempotency key with `status`, then echoes.
        case failFirst(times: Int, status: Int)
        /// Always answers `status`.
        case status(Int)
        /// Waits this long, then echoes.
        case slow(Duration)
        /// Never answers (until the caller gives up).
        case hang
        /// Never answers an input with `"hold": true`; echoes any other.
        case holdWhenAsked
        /// Answers 200 with a body that is not JSON.
        case invalidJSON
        /// Answers 200 with this many bytes.
        case oversized(bytes: Int)
        /// Answers `{"bytes": <size of the input's compact JSON>, "sha256": "sha256:<hex>", "keys": [its keys]}`.
        case digestOfInput
        /// Streams (`text/event-stream`): a `progress` event per token, `every` apart,
        /// each stamped with when it was sent; then the `result`, the tokens joined.
        case stream(tokens: [String], every: Duration)
        /// Streams one `progress` event, then an `error` event.
        case streamError(retriable: Bool)
    }

    struct Usage: Sendable {
        var inputTokens = 0
        var outputTokens = 0
        var costUSD = 0.0
    }

    let port: Int
    /// What the route handlers and the tests share.
    private final class Record: Sendable {
        let behaviors: Mutex<[String: Behavior]>
        let calls = Mutex<[String: Int]>([:])
        let log = Mutex<[(agent: String, key: String, attempt: String, input: JSONValue)]>([])
        /// Invocations running now and the most at once, per agent and in all ("*").
        let running = Mutex<(now: [String: Int], most: [String: Int])>(([:], [:]))
        func enter(_ agent: String) {
            running.withLock { state in
                for key in [agent, "*"] {
                    state.now[key, default: 0] += 1
                    state.most[key] = max(state.most[key, default: 0], state.now[key]!)
                }
            }
        }
        func leave(_ agent: String) { running.withLock { state in for key in [agent, "*"] { state.now[key, default: 0] -= 1 } } }
        init(_ behaviors: [String: Behavior]) { self.behaviors = Mutex(behaviors) }
    }
    private let record: Record
    private let running: Task<Void, any Error>

    var baseURL: String { "http://127.0.0.1:\(port)" }

    init(_ behaviors: [String: Behavior]) async throws {
        let port = PrivateServer.freePort(in: 11_000...11_999)
        self.port = port
        let record = Record(behaviors)
        self.record = record
        let router = Router()
        router.get("/health") { _, _ in "ok" }
        router.get("/agents") { _, _ -> Response in
            let ids = record.behaviors.withLock { Array($0.keys) }.sorted()
            return Self.json(200, ["agents": .array(ids.map { .object(["id": .string($0)]) })])
        }
        router.post("/agents/:agent/invoke") { request, context -> Response in
            let agent = context.parameters.get("agent") ?? ""
            let key = request.headers[HTTPField.Name("Idempotency-Key")!] ?? ""
            let attempt = request.headers[HTTPField.Name("Agion-Attempt")!] ?? ""
            let body = try await request.body.collect(upTo: 40 << 20)  // stored outputs resolved into inputs: up to 16 MiB each
            let input = (try? JSONValue.parse(Array(body.readableBytesView)))?["input"] ?? .null
            let n = record.calls.withLock { calls in
                calls[key, default: 0] += 1
                return calls[key]!
            }
            record.log.withLock { $0.append((agent, key, attempt, input)) }
            record.enter(agent)
            defer { record.leave(agent) }
            guard let behavior = record.behaviors.withLock({ $0[agent] }) else { return Self.json(404, ["error": .string("no agent \(agent)")]) }
            switch behavior {
            case .echo(let usage):
                return Self.json(200, ["output": ["echo": input, "agent": .string(agent), "n": .integer(Int64(n))], "usage": Self.usage(usage)])
            case .answer(let output, let usage):
                return Self.json(200, ["output": output, "usage": Self.usage(usage)])
            case .failFirst(let times, let status):
                if n <= times { return Self.json(status, ["error": .string("failing on purpose (\(n) of \(times))")]) }
                return Self.json(200, ["output": ["echo": input, "agent": .string(agent), "n": .integer(Int64(n))]])
            case .status(let status):
                return Self.json(status, ["error": .string("always \(status)")])
            case .slow(let delay):
                try await Task.sleep(for: delay)
                return Self.json(200, ["output": ["echo": input, "agent": .string(agent), "n": .integer(Int64(n))]])
            case .hang:
                try await Task.sleep(for: .seconds(3_600))
                return Self.json(500, [:])
            case .holdWhenAsked:
                if input["hold"] == .bool(true) { try await Task.sleep(for: .seconds(3_600)) }
                return Self.json(200, ["output": ["echo": input, "agent": .string(agent), "n": .integer(Int64(n))]])
            case .digestOfInput:
                let bytes = input.serialized
                var keys: [JSONValue] = []
                if case .object(let fields) = input { keys = fields.keys.sorted().map { .string($0) } }
                return Self.json(200, ["output": ["bytes": .integer(Int64(bytes.count)), "sha256": .string(OutputStore.digest(of: bytes)),
                                                  "keys": .array(keys)]])
            case .invalidJSON:
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{not json")))
            case .stream(let tokens, let every):
                let (events, continuation) = AsyncStream<ByteBuffer>.makeStream()
                Task {
                    for (index, token) in tokens.enumerated() {
                        try? await Task.sleep(for: every)
                        let update: JSONValue = ["sequence": .integer(Int64(index + 1)), "text": .string(token),
                                                 "percent": .number(Double(index + 1) * 100 / Double(tokens.count)),
                                                 "occurred_at_unix_nanos": .integer(Int64(Date().timeIntervalSince1970 * 1e9))]
                        continuation.yield(Self.event("progress", update))
                    }
                    continuation.yield(Self.event("result", ["output": ["text": .string(tokens.joined())]]))
                    continuation.finish()
                }
                return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(asyncSequence: events))
            case .streamError(let retriable):
                let text = "event: progress\ndata: {\"message\":\"starting\"}\n\nevent: error\ndata: {\"code\":\"model_down\",\"message\":\"the model is away\",\"retriable\":\(retriable)}\n\n"
                return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(byteBuffer: ByteBuffer(string: text)))
            case .oversized(let bytes):
                let text = "{\"output\": \"" + String(repeating: "x", count: bytes) + "\"}"
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
            }
        }
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "test-agents"))
        running = Task { try await application.runService(gracefulShutdownSignals: []) }
        try await eventually("the test agents listen") { PrivateServer.accepts(port: port) }
    }

    deinit { running.cancel() }

    private static func event(_ name: String, _ data: JSONValue) -> ByteBuffer {
        var buffer = ByteBuffer(string: "event: \(name)\ndata: ")
        buffer.writeBytes(data.serialized)
        buffer.writeString("\n\n")
        return buffer
    }

    func stop() { running.cancel() }

    func set(_ agent: String, _ behavior: Behavior) { record.behaviors.withLock { $0[agent] = behavior } }

    /// The most invocations of `agent` that ran at once ("*": of all agents here).
    func mostAtOnce(_ agent: String = "*") -> Int { record.running.withLock { $0.most[agent] ?? 0 } }

    /// How often each idempotency key was invoked.
    var callsByKey: [String: Int] { record.calls.withLock { $0 } }

    /// Every invocation, in order.
    var invocations: [(agent: String, key: String, attempt: String, input: JSONValue)] { record.log.withLock { $0 } }

    private static func usage(_ usage: Usage) -> JSONValue {
        ["input_tokens": .integer(Int64(usage.inputTokens)), "output_tokens": .integer(Int64(usage.outputTokens)), "cost_usd": .number(usage.costUSD)]
    }

    private static func json(_ status: Int, _ body: JSONValue) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body.serialized)))
    }
}
