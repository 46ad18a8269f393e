import AgionEnvelope
import CNats
import DequeModule
import Logging
import Metrics
import Synchronization

/// Handles one RPC method: decoded request envelope in, reply envelope out. Throw
/// an `ErrorReply` to answer with that code; any other error becomes `internal`
/// (its text is logged, never sent).
public typealias RPCHandler = @Sendable (Envelope) async throws -> Envelope

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

    init(connection: NatsConnection, subject: String, queue: String, maxConcurrent: Int, maxPending: Int,
         logger: Logger, handler: @escaping RPCHandler) throws(BusError) {
        self.subject = subject
        self.connection = connection
        self.core = ResponderCore(connection: connection, subject: subject, maxConcurrent: maxConcurrent,
                                  maxPending: maxPending, logger: logger, handler: handler)
        self.subscription = try Subscription(connection: connection, subject: subject, queue: queue, delivery: core)
    }

    /// Stops taking requests, lets the ones already received finish and reply.
    public func drain(timeout: Duration = .seconds(10)) async throws {
        try await subscription.drain(timeout: timeout)
        await core.waitUntilIdle()
    }
}

/// The admission queue and handler execution behind a `Responder`.
private final class ResponderCore: MessageDelivery, Sendable {
    private struct Request: Sendable {
        let reply: String
        let body: [UInt8]
    }

    private struct State {
        var inFlight = 0
        var queue = Deque<Request>()
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let connection: NatsConnection
    private let subject: String
    private let maxConcurrent: Int
    private let maxPending: Int
    private let logger: Logger
    private let handler: RPCHandler
    private let state = Mutex(State())
    private let handled: Counter
    private let failed: Counter
    private let rejected: Counter
    private let undecodable: Counter
    private let duration: Metrics.Timer

    init(connection: NatsConnection, subject: String, maxConcurrent: Int, maxPending: Int,
         logger: Logger, handler: @escaping RPCHandler) {
        self.connection = connection
        self.subject = subject
        self.maxConcurrent = max(maxConcurrent, 1)
        self.maxPending = max(maxPending, 0)
        self.logger = logger
        self.handler = handler
        let label = "agion_rpc_requests_total"
        handled = Counter(label: label, dimensions: [("subject", subject), ("outcome", "ok")])
        failed = Counter(label: label, dimensions: [("subject", subject), ("outcome", "error")])
        rejected = Counter(label: label, dimensions: [("subject", subject), ("outcome", "overloaded")])
        undecodable = Counter(label: label, dimensions: [("subject", subject), ("outcome", "decode_failed")])
        duration = Metrics.Timer(label: "agion_rpc_handler_duration_seconds", dimensions: [("subject", subject)],
                                 preferredDisplayUnit: .seconds)
    }

    /// cnats thread: copy the request out, then start it or queue it.
    func deliver(_ message: OpaquePointer) {
        let reply = natsMsg_GetReply(message).map { String(cString: $0) } ?? ""
        let length = Int(natsMsg_GetDataLength(message))
        let body = [UInt8](UnsafeRawBufferPointer(start: natsMsg_GetData(message), count: length))
        natsMsg_Destroy(message)
        let request = Request(reply: reply, body: body)

        enum Admission { case start, queued, overloaded }
        let admission = state.withLock { state -> Admission in
            if state.inFlight < maxConcurrent { state.inFlight += 1; return .start }
            if state.queue.count < maxPending { state.queue.append(request); return .queued }
            return .overloaded
        }
        switch admission {
        case .start: Task { await self.run(request) }
        case .queued: break
        case .overloaded:
            rejected.increment()
            send(error: ErrorReply(code: ErrorReply.Codes.overloaded, message: "too many requests in flight", retriable: true),
                 to: request.reply, request: nil)
        }
    }

    /// Runs `first`, then whatever queued up meanwhile, on the same task.
    private func run(_ first: Request) async {
        var next: Request? = first
        while let request = next {
            await handle(request)
            next = state.withLock { state -> Request? in
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

    private func handle(_ request: Request) async {
        let envelope: Envelope
        do {
            envelope = try Envelope(decoding: request.body)
        } catch {
            undecodable.increment()
            logger.warning("rpc.decode_failed", metadata: ["nats.subject": "\(subject)", "error": "\(error)"])
            send(error: ErrorReply(code: ErrorReply.Codes.decodeFailed, message: "request is not a valid agion.v1.Envelope: \(error.message)"),
                 to: request.reply, request: nil)
            return
        }
        let start = ContinuousClock.now
        do {
            let reply = try await handler(envelope)
            duration.record(duration: ContinuousClock.now - start)
            handled.increment()
            send(reply, to: request.reply)
        } catch let error as ErrorReply {
            failed.increment()
            send(error: error, to: request.reply, request: envelope)
        } catch {
            failed.increment()
            logger.error("rpc.handler_failed", metadata: ["nats.subject": "\(subject)", "error": "\(error)",
                                                           "event.id": "\(envelope.id.lowercasedString)"])
            send(error: ErrorReply(code: ErrorReply.Codes.internalError, message: "internal error", retriable: true),
                 to: request.reply, request: envelope)
        }
    }

    private func send(error: ErrorReply, to reply: String, request: Envelope?) {
        let payload = (try? error.encoded()) ?? []
        let envelope = request?.caused(type: ErrorReply.envelopeType, payload: payload)
            ?? Envelope(type: ErrorReply.envelopeType, tenant: "", payload: payload)
        send(envelope, to: reply)
    }

    private func send(_ envelope: Envelope, to reply: String) {
        guard !reply.isEmpty else { return }
        do {
            let bytes = try envelope.encoded()
            // A publish only copies into cnats' buffer and, with send-asap, writes
            // the socket; it does not wait on the network round trip.
            let status = bytes.withUnsafeBytes { natsConnection_Publish(connection.raw, reply, $0.baseAddress, Int32($0.count)) }
            if status != NATS_OK {
                logger.warning("rpc.reply_failed", metadata: ["nats.subject": "\(subject)", "error": "\(busError(status, "reply"))"])
            }
        } catch {
            logger.error("rpc.reply_unencodable", metadata: ["nats.subject": "\(subject)", "error": "\(error)"])
        }
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
