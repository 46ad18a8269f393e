import AgionEnvelope
import DequeModule
import Logging
import Synchronization

/// Handles one RPC method: decoded request envelope in, reply envelope out. Throw
/// an `ErrorReply` to answer with that code; any other error becomes `internal`
/// (its text is logged, never sent).
public typealias RPCHandler = @Sendable (Envelope) async throws -> Envelope

/// Who may be calling on a responder's subject.
public enum RequestScope: Sendable {
    /// `agion.rpc.*`: platform callers (services, the gateway, operators'
    /// tools), trusted with the tenant the envelope names.
    case platform
    /// An agent's own subject (`AgentSubjects.rpcPattern`): the tenant and
    /// agent come from the subject; an envelope naming another tenant is
    /// refused with `permission_denied`, and `Envelope.callerAgent` is set.
    case agent
}

/// Serves requests on one subject in a queue group, so replicas share the load.
///
/// At most `maxConcurrent` handlers run at once; up to `maxPending` more requests
/// wait; beyond that the responder answers `overloaded` at once rather than
/// letting callers time out.
public final class Responder: Sendable {
    public let subject: String
    private let connection: NatsConnection
    private let core: ResponderCore
    private let subscription: Subscription

    init(connection: NatsConnection, subject: String, queue: String, scope: RequestScope, maxConcurrent: Int, maxPending: Int,
         logger: Logger, handler: @escaping RPCHandler) throws(BusError) {
        self.subject = subject
        self.connection = connection
        self.core = ResponderCore(connection: connection, subject: subject, scope: scope, maxConcurrent: maxConcurrent,
                                  maxPending: maxPending, logger: logger, handler: handler)
        self.subscription = try Subscription(connection: connection, subject: subject, queue: queue, delivery: core)
    }

    /// Stops taking requests, lets the ones already received finish and reply.
    /// Cancelled (the service is being torn down, not stopped), it only
    /// unsubscribes: what is in hand gets no reply and its callers time out.
    public func drain(timeout: Duration = .seconds(10)) async throws {
        if Task.isCancelled {
            subscription.unsubscribe()
            return
        }
        try await subscription.drain(timeout: timeout)
        await core.waitUntilIdle()
    }
}

/// The admission queue and handler execution behind a `Responder`.
private final class ResponderCore: MessageDelivery, Sendable {
    private struct State {
        var inFlight = 0
        var queue = Deque<IncomingRequest>()
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let channel: ReplyChannel
    private let scope: RequestScope
    private let maxConcurrent: Int
    private let maxPending: Int
    private let handler: RPCHandler
    private let state = Mutex(State())

    init(connection: NatsConnection, subject: String, scope: RequestScope, maxConcurrent: Int, maxPending: Int,
         logger: Logger, handler: @escaping RPCHandler) {
        self.channel = ReplyChannel(connection: connection, subject: subject, logger: logger)
        self.scope = scope
        self.maxConcurrent = max(maxConcurrent, 1)
        self.maxPending = max(maxPending, 0)
        self.handler = handler
    }

    /// cnats thread: copy the request out, then start it or queue it.
    func deliver(_ message: OpaquePointer) {
        let request = IncomingRequest(consuming: message)
        enum Admission { case start, queued, overloaded }
        let admission = state.withLock { state -> Admission in
            if state.inFlight < maxConcurrent { state.inFlight += 1; return .start }
            if state.queue.count < maxPending { state.queue.append(request); return .queued }
            return .overloaded
        }
        switch admission {
        case .start: Task { await self.run(request) }
        case .queued: break
        case .overloaded: channel.rejectOverloaded(replyTo: request.reply)
        }
    }

    /// Runs `first`, then whatever queued up meanwhile, on the same task.
    private func run(_ first: IncomingRequest) async {
        var next: IncomingRequest? = first
        while let request = next {
            await handle(request)
            next = state.withLock { state -> IncomingRequest? in
                if let queued = state.queue.popFirst() { return queued }
                state.inFlight -= 1
                if state.inFlight == 0 {
                    state.idleWaiters.forEach { $0.resume() }
                    state.idleWaiters.removeAll()
                }
                return nil
            }
        }
    }

    private func handle(_ request: IncomingRequest) async {
        guard let envelope = channel.decode(request, scope: scope) else { return }
        let started = ContinuousClock.now
        let result: Result<Envelope, any Error>
        do { result = .success(try await handler(envelope)) } catch { result = .failure(error) }
        channel.answer(result, request: envelope, replyTo: request.reply, started: started)
    }

    func waitUntilIdle() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state -> Bool in
                if state.inFlight == 0 { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }
}
