import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import Foundation
import Logging
import MissionsCore
import Synchronization

/// What a handler returns to fail an invocation with a stated reason:
/// `retriable` asks Agion to try the step again (a transient fault), `false`
/// says another attempt would fail the same way.
public struct AgentFailure: Error, Sendable {
    public let message: String
    public let retriable: Bool
    public let code: String

    public init(_ message: String, retriable: Bool, code: String = "agent_error") {
        self.message = message
        self.retriable = retriable
        self.code = code
    }
}

/// What the handler knows about the step it runs, and how it talks back.
public struct InvocationContext: Sendable {
    public let agent: AgentID
    public let tenant: String
    public let missionID: String
    public let stepID: String
    public let attempt: Int
    public let idempotencyKey: String
    public let action: String
    public let principal: String
    /// When the attempt times out, Unix nanoseconds (0: none).
    public let deadlineUnixNanos: Int64
    let meter: UsageMeter
    let progressSink: @Sendable (ProtoMessage) -> Void

    /// Counts what this invocation consumed; it goes back with the result.
    public func addUsage(inputTokens: Int64 = 0, outputTokens: Int64 = 0, costUSD: Double = 0) {
        meter.add(Usage(inputTokens: inputTokens, outputTokens: outputTokens, costUSD: costUSD))
    }

    /// Live progress while the step runs (not stored): a status, a share done
    /// (0-100), text to append, or a partial output. Never fails the invocation.
    public func progress(_ message: String = "", percent: Double = 0, text: String = "", partial: JSONValue? = nil) {
        guard !missionID.isEmpty else { return }
        var fields: [String: ProtoValue] = [
            "mission_id": .string(missionID), "step_id": .string(stepID), "attempt": .uint(UInt64(attempt)),
            "agent_id": .string(agent.description), "sequence": .uint(meter.nextSequence()), "message": .string(message),
            "percent": .double(min(max(percent, 0), 100)), "text": .string(text), "occurred_at_unix_nanos": .int(Envelope.nowUnixNanos()),
        ]
        if let partial { fields["partial"] = .message(partial.valueProto) }
        progressSink(ProtoMessage("agion.v1.StepProgress", fields))
    }
}

/// The usage and progress sequence of one invocation.
final class UsageMeter: Sendable {
    private let state = Mutex<(usage: Usage, sequence: UInt64)>((.zero, 0))
    func add(_ usage: Usage) { state.withLock { $0.usage = $0.usage + usage } }
    var usage: Usage { state.withLock { $0.usage } }
    func nextSequence() -> UInt64 { state.withLock { $0.sequence += 1; return $0.sequence } }
}

public typealias AgentHandler = @Sendable (JSONValue, InvocationContext) async throws -> JSONValue

/// Agents of one container, served over NATS (`agion.tenant.<tenant>.agent.<agent_id>.invoke`,
/// a queue group per agent so replicas share the work): registers them on
/// start, heartbeats, answers each idempotency key once, and on `stop`
/// deregisters them and finishes what it holds. The Swift twin of the Python
/// SDK's `AgentContainer` (docs/sdk-swift.md).
public final class AgentContainer: Sendable {
    public let name: String
    public let client: AgionClient
    public let heartbeatInterval: Duration
    public let maxConcurrent: Int
    private let logger: Logger
    private let state = Mutex<State>(State())
    private let answers: AnswerMemory

    struct Declared: Sendable {
        var agent: Agent
        var handler: AgentHandler
    }

    struct State: Sendable {
        var agents: [Declared] = []
        var responders: [Responder] = []
        var heartbeats: Task<Void, Never>?
        var started = false
    }

    public init(name: String, client: AgionClient, heartbeatInterval: Duration = .seconds(10), maxConcurrent: Int = 16,
                rememberAnswers: Int = 10_000, logger: Logger = Logger(label: "agion.sdk.container")) {
        self.name = name
        self.client = client
        self.heartbeatInterval = heartbeatInterval
        self.maxConcurrent = maxConcurrent
        self.logger = logger
        self.answers = AnswerMemory(capacity: rememberAnswers)
    }

    public static func invokeSubject(_ agent: AgentID, tenant: String) -> String { AgentSubjects.invoke(tenant: tenant, agent: agent.description) }

    /// Declares an agent `<container>:<name>` before `start`.
    public func agent(_ name: String, capabilities: [String], version: String = "1", description: String = "", type: String = "",
                      metadata: [String: String] = [:], handler: @escaping AgentHandler) throws {
        let id = try AgentID(container: self.name, name: name)
        let agent = Agent(id: id, type: type, description: description, capabilities: capabilities, version: version,
                          endpoint: .nats(subject: Self.invokeSubject(id, tenant: client.tenant)), metadata: metadata)
        try state.withLock { state in
            guard !state.started else { throw AgionSDKError(code: "failed_precondition", message: "agents are declared before start", retriable: false) }
            guard !state.agents.contains(where: { $0.agent.id == id }) else {
                throw AgionSDKError(code: "invalid_argument", message: "\(id) is declared twice", retriable: false)
            }
            state.agents.append(Declared(agent: agent, handler: handler))
        }
    }

    /// Serves, registers every agent (retrying while Agion is unavailable), then heartbeats.
    public func start() async throws {
        let declared = try state.withLock { state -> [Declared] in
            guard !state.agents.isEmpty else { throw AgionSDKError(code: "failed_precondition", message: "the container declares no agents", retriable: false) }
            state.started = true
            return state.agents
        }
        for entry in declared {
            let responder = try client.bus.respond(Self.invokeSubject(entry.agent.id, tenant: client.tenant), queue: entry.agent.id.description, maxConcurrent: maxConcurrent) {
                [self] request in try await self.serve(request, entry)
            }
            state.withLock { $0.responders.append(responder) }
        }
        try await registerUntilAccepted(declared.map(\.agent))
        let task = Task { [self] in await heartbeat(declared.map(\.agent)) }
        state.withLock { $0.heartbeats = task }
        logger.info("sdk.container_started", metadata: ["container": "\(name)", "agents": "\(declared.count)"])
    }

    /// Deregisters every agent, stops taking invocations and answers those in hand.
    public func stop(reason: String = "shutdown") async {
        let (agents, responders, heartbeats) = state.withLock { ($0.agents, $0.responders, $0.heartbeats) }
        heartbeats?.cancel()
        for entry in agents {
            do { try await client.deregister(entry.agent.id, reason: reason) } catch {
                logger.warning("sdk.deregister_failed", metadata: ["agent": "\(entry.agent.id)", "error": "\(error)"])
            }
        }
        for responder in responders { try? await responder.drain(timeout: .seconds(25)) }
    }

    /// Registers, retrying with backoff while Agion is unavailable.
    private func registerUntilAccepted(_ agents: [Agent]) async throws {
        var pause = Duration.milliseconds(250)
        while true {
            let failure: AgionSDKError
            do {
                try await client.register(container: name, agents: agents)
                return
            } catch {
                failure = error
            }
            guard failure.retriable else { throw failure }
            logger.warning("sdk.register_retrying", metadata: ["error": "\(failure)"])
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }

    private func heartbeat(_ agents: [Agent]) async {
        let ttl = UInt32(max(1, min(3_600, (heartbeatInterval * 3) / .seconds(1))))
        while !Task.isCancelled {
            try? await Task.sleep(for: heartbeatInterval)
            if Task.isCancelled { return }
            for agent in agents {
                let failure: AgionSDKError
                do {
                    _ = try await client.heartbeat(agent.id, ttlSeconds: ttl)
                    continue
                } catch {
                    failure = error
                }
                if failure.code == "not_found" {
                    // The registry lost the agent (a wiped database, an operator): register again.
                    try? await client.register(container: name, agents: agents)
                } else {
                    logger.warning("sdk.heartbeat_failed", metadata: ["agent": "\(agent.id)", "error": "\(failure)"])
                }
            }
        }
    }

    // MARK: one invocation

    private func serve(_ request: Envelope, _ entry: Declared) async throws -> Envelope {
        let invocation: ProtoMessage
        do { invocation = try ProtoSchema.decode("agion.v1.AgentInvocation", from: request.payload) } catch {
            throw ErrorReply(code: .decodeFailed, message: "not an AgentInvocation: \(error)")
        }
        let tenant = request.tenant
        let meter = UsageMeter()
        let bus = client.bus
        let context = InvocationContext(
            agent: entry.agent.id, tenant: tenant, missionID: invocation.string("mission_id"), stepID: invocation.string("step_id"),
            attempt: Int(invocation.int("attempt")), idempotencyKey: invocation.string("idempotency_key"), action: invocation.string("action"),
            principal: invocation.string("principal"), deadlineUnixNanos: invocation.int("deadline_unix_nanos"), meter: meter,
            progressSink: { update in
                guard let payload = try? ProtoSchema.encode(update) else { return }
                try? bus.publish(AgentSubjects.progress(tenant: tenant, agent: entry.agent.id.description, mission: update.string("mission_id")),
                                 Envelope(type: "agion.v1.StepProgress", tenant: tenant, payload: payload))
            })
        let input = invocation.json("input")
        let answer: (output: JSONValue, usage: Usage)
        do {
            answer = try await answers.answer(key: "\(entry.agent.id)/\(context.idempotencyKey)", remember: !context.idempotencyKey.isEmpty) {
                let output = try await entry.handler(input, context)
                return (output, meter.usage)
            }
        } catch let failure as AgentFailure {
            throw ErrorReply(code: ErrorReply.Code(wire: failure.code), message: failure.message, retriable: failure.retriable)
        } catch let sdk as AgionSDKError {
            // Agion said no to something the handler asked (a governed call denied), or was away.
            throw ErrorReply(code: ErrorReply.Code(wire: sdk.code), message: sdk.message, retriable: sdk.retriable)
        } catch {
            throw ErrorReply(code: .internalError, message: "\(type(of: error)): \(error)", retriable: true)
        }
        let result = ProtoMessage("agion.v1.AgentResult", ["output": .message(answer.output.valueProto), "usage": .message(answer.usage.proto)])
        return request.caused(type: "agion.v1.AgentResult", payload: try ProtoSchema.encode(result))
    }
}

/// The answers to idempotency keys: a repeated attempt gets the first answer
/// without the work running again; a repeat while the first runs waits for it.
/// Answers only, never errors: a failed attempt must be tried again.
actor AnswerMemory {
    typealias Answer = (output: JSONValue, usage: Usage)
    private let capacity: Int
    private var done: [String: Answer] = [:]
    private var order: [String] = []
    private var running: [String: Task<Answer, any Error>] = [:]

    init(capacity: Int) { self.capacity = capacity }

    func answer(key: String, remember: Bool, _ work: @escaping @Sendable () async throws -> Answer) async throws -> Answer {
        guard remember, capacity > 0 else { return try await work() }
        if let answer = done[key] { return answer }
        if let first = running[key] { return try await first.value }
        let task = Task { try await work() }
        running[key] = task
        defer { running[key] = nil }
        let answer = try await task.value
        done[key] = answer
        order.append(key)
        if order.count > capacity { done[order.removeFirst()] = nil }
        return answer
    }
}
