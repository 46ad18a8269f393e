import AgionEnvelope
import CNats
import Dispatch
import Synchronization

/// Request/reply over one wildcard inbox subscription (`_INBOX.<id>.*`): each
/// request gets a token, and the reply callback resumes the waiting task. No
/// thread blocks while a request is in flight, and no subscription is made per
/// request.
final class RequestMux: Sendable {
    private let connection: NatsConnection
    private let prefix: String
    private let state = Mutex(State())
    private let subscription: Subscription

    /// Who gets the reply: a task, or a callback on the thread that delivers it
    /// (a `RequestBatcher` splitting a batch reply for its callers).
    enum Waiter: Sendable {
        case task(CheckedContinuation<Envelope, any Error>)
        case callback(@Sendable (Result<Envelope, any Error>) -> Void)

        func resume(with result: Result<Envelope, any Error>) {
            switch self {
            case .task(let continuation): continuation.resume(with: result)
            case .callback(let callback): callback(result)
            }
        }
    }

    private struct Pending {
        let waiter: Waiter
        let deadline: UInt64
        let subject: String
        let timeout: Duration
    }

    private struct State {
        var nextToken: UInt64 = 0
        var pending: [UInt64: Pending] = [:]
        var sweeperArmed = false
    }

    /// One timer for every deadline, armed only while requests are pending: a
    /// Dispatch timer per request cost more than the rest of the request path.
    private let sweeperBox: TimerBox
    private var sweeper: DispatchSourceTimer { sweeperBox.timer }
    private static let sweepInterval = DispatchTimeInterval.milliseconds(10)

    /// `inboxPrefix` replaces `_INBOX` (agent containers may receive replies
    /// only under their own prefix; `BusConfiguration.inboxPrefix`).
    init(connection: NatsConnection, inboxPrefix: String? = nil) throws(BusError) {
        self.connection = connection
        var inbox: UnsafeMutablePointer<natsInbox>?
        try check(natsInbox_Create(&inbox), "natsInbox_Create")
        defer { natsInbox_Destroy(inbox) }
        let unique = String(cString: inbox!)
        if let inboxPrefix, let dot = unique.firstIndex(of: ".") {
            self.prefix = inboxPrefix + unique[dot...] + "."
        } else {
            self.prefix = unique + "."
        }
        let delivery = Delivery()
        self.subscription = try Subscription(connection: connection, subject: prefix + "*", queue: nil, delivery: delivery)
        self.sweeperBox = TimerBox(DispatchSource.makeTimerSource(queue: DispatchQueue(label: "agion.bus.request-deadlines")))
        delivery.mux = self
        // A reply cannot outlive the connection it was to arrive on: NATS does
        // not keep core messages for a client that is away. Fail what is in
        // flight at once instead of letting each caller wait out its timeout
        // (and, through a `RequestBatcher`, everything queued behind it).
        connection.link.whenDisconnected { [weak self] in
            self?.failAll(BusError(.connectionFailed, "the connection to NATS was lost before the reply"))
        }
        sweeper.setEventHandler { [weak self] in self?.sweep() }
        sweeper.schedule(deadline: .distantFuture)
        sweeper.resume()
    }

    deinit { sweeper.cancel() }

    /// Fails every request past its deadline; re-arms while any remain.
    private func sweep() {
        let now = DispatchTime.now().uptimeNanoseconds
        let expired = state.withLock { state -> [Pending] in
            let overdue = state.pending.filter { $0.value.deadline <= now }
            for token in overdue.keys { state.pending.removeValue(forKey: token) }
            state.sweeperArmed = !state.pending.isEmpty
            if state.sweeperArmed { sweeper.schedule(deadline: .now() + Self.sweepInterval) }
            return Array(overdue.values)
        }
        for pending in expired {
            pending.waiter.resume(with: .failure(BusError(.timeout, "no reply from \(pending.subject) within \(pending.timeout)")))
        }
    }

    /// Fails every request in flight with `error`.
    private func failAll(_ error: BusError) {
        let pending = state.withLock { state -> [Pending] in
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for request in pending { request.waiter.resume(with: .failure(error)) }
    }

    /// Sends `request` to `subject` and waits for the reply envelope.
    func request(subject: String, payload: [UInt8], timeout: Duration) async throws -> Envelope {
        let token = nextToken()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                send(subject: subject, payload: payload, timeout: timeout, token: token, waiter: .task(continuation))
                // Cancelled before the request was registered: the handler below found nothing to cancel.
                if Task.isCancelled { complete(token, .failure(BusError(.cancelled, "request \(subject) cancelled"))) }
            }
        } onCancel: {
            complete(token, .failure(BusError(.cancelled, "request \(subject) cancelled")))
        }
    }

    /// Sends `request` to `subject`; `completion` gets the reply (or the
    /// failure) once, on a cnats thread or the deadline sweeper: it must not block.
    func request(subject: String, payload: [UInt8], timeout: Duration,
                 completion: @escaping @Sendable (Result<Envelope, any Error>) -> Void) {
        send(subject: subject, payload: payload, timeout: timeout, token: nextToken(), waiter: .callback(completion))
    }

    private func nextToken() -> UInt64 {
        state.withLock { state -> UInt64 in
            state.nextToken &+= 1
            return state.nextToken
        }
    }

    private func send(subject: String, payload: [UInt8], timeout: Duration, token: UInt64, waiter: Waiter) {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(timeout.nanoseconds, 0))
        state.withLock { state in
            state.pending[token] = Pending(waiter: waiter, deadline: deadline, subject: subject, timeout: timeout)
            if !state.sweeperArmed {
                state.sweeperArmed = true
                sweeper.schedule(deadline: .now() + Self.sweepInterval)
            }
        }
        // While reconnecting cnats would buffer the request and the caller
        // would wait out its whole timeout for a reply that cannot come:
        // fail at once, retriably, so a client hears "unavailable" now.
        guard connection.isConnected else {
            complete(token, .failure(BusError(.connectionFailed, "request \(subject): not connected to NATS (reconnecting)")))
            return
        }
        let replySubject = prefix + String(token)
        let status = payload.withUnsafeBytes { body in
            natsConnection_PublishRequest(connection.raw, subject, replySubject, body.baseAddress, Int32(body.count))
        }
        if status != NATS_OK {
            complete(token, .failure(busError(status, "request \(subject)")))
        }
    }

    /// Resumes the task waiting on `token`, once; later completions are ignored.
    func complete(_ token: UInt64, _ result: Result<Envelope, any Error>) {
        guard let pending = state.withLock({ $0.pending.removeValue(forKey: token) }) else { return }
        pending.waiter.resume(with: result)
    }

    fileprivate func deliver(_ message: OpaquePointer) {
        defer { freeDeliveredMessage(message) }
        let subject = String(cString: natsMsg_GetSubject(message))
        guard let token = UInt64(subject.dropFirst(prefix.count)) else { return }
        if natsMsg_IsNoResponders(message) {
            complete(token, .failure(BusError(.noResponders, "no responders")))
            return
        }
        complete(token, interpretReply(message))
    }

    func close() { subscription.unsubscribe() }

    /// Forwards inbox messages to the mux; set once, right after the mux exists.
    private final class Delivery: MessageDelivery, @unchecked Sendable {
        // @unchecked: `mux` is written once before the subscription can deliver a
        // reply (no request has been sent yet) and only read afterwards.
        weak var mux: RequestMux?
        func deliver(_ message: OpaquePointer) {
            guard let mux else { freeDeliveredMessage(message); return }
            mux.deliver(message)
        }
    }
}

/// A Dispatch timer shared across threads.
private final class TimerBox: @unchecked Sendable {
    // @unchecked: Dispatch sources are thread-safe to schedule and cancel.
    let timer: DispatchSourceTimer
    init(_ timer: DispatchSourceTimer) { self.timer = timer }
}

/// A reply message as the caller sees it: the reply envelope, or the remote
/// `ErrorReply` as `BusError.remote`, or `.decodeFailed`.
func interpretReply(_ message: OpaquePointer) -> Result<Envelope, any Error> {
    let body = UnsafeRawBufferPointer(start: natsMsg_GetData(message), count: Int(natsMsg_GetDataLength(message)))
    do {
        return interpretReply(try Envelope(decoding: body))
    } catch {
        return .failure(BusError(.decodeFailed, "undecodable reply: \(error)"))
    }
}

/// A decoded reply envelope as the caller sees it (an error reply becomes `.remote`).
func interpretReply(_ reply: Envelope) -> Result<Envelope, any Error> {
    guard reply.type == ErrorReply.envelopeType else { return .success(reply) }
    do {
        let error = try ErrorReply(decoding: reply.payload)
        return .failure(BusError(.remote, error.message, remote: error))
    } catch {
        return .failure(BusError(.decodeFailed, "undecodable error reply: \(error)"))
    }
}
