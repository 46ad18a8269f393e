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

    private struct State {
        var nextToken: UInt64 = 0
        var pending: [UInt64: CheckedContinuation<Envelope, any Error>] = [:]
    }

    init(connection: NatsConnection) throws(BusError) {
        self.connection = connection
        var inbox: UnsafeMutablePointer<natsInbox>?
        try check(natsInbox_Create(&inbox), "natsInbox_Create")
        defer { natsInbox_Destroy(inbox) }
        self.prefix = String(cString: inbox!) + "."
        let delivery = Delivery()
        self.subscription = try Subscription(connection: connection, subject: prefix + "*", queue: nil, delivery: delivery)
        delivery.mux = self
    }

    /// Sends `request` to `subject` and waits for the reply envelope.
    func request(subject: String, payload: [UInt8], timeout: Duration) async throws -> Envelope {
        let token = state.withLock { state -> UInt64 in
            state.nextToken &+= 1
            return state.nextToken
        }
        let replySubject = prefix + String(token)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                state.withLock { $0.pending[token] = continuation }
                let status = payload.withUnsafeBytes { body in
                    natsConnection_PublishRequest(connection.raw, subject, replySubject, body.baseAddress, Int32(body.count))
                }
                if status != NATS_OK {
                    complete(token, .failure(busError(status, "request \(subject)")))
                    return
                }
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(timeout.nanoseconds))) { [weak self] in
                    self?.complete(token, .failure(BusError(.timeout, "no reply from \(subject) within \(timeout)")))
                }
            }
        } onCancel: {
            complete(token, .failure(BusError(.cancelled, "request \(subject) cancelled")))
        }
    }

    /// Resumes the task waiting on `token`, once; later completions are ignored.
    func complete(_ token: UInt64, _ result: Result<Envelope, any Error>) {
        guard let continuation = state.withLock({ $0.pending.removeValue(forKey: token) }) else { return }
        continuation.resume(with: result)
    }

    fileprivate func deliver(_ message: OpaquePointer) {
        defer { natsMsg_Destroy(message) }
        let subject = String(cString: natsMsg_GetSubject(message))
        guard let token = UInt64(subject.dropFirst(prefix.count)) else { return }
        if natsMsg_IsNoResponders(message) {
            complete(token, .failure(BusError(.noResponders, "no responders")))
            return
        }
        let length = Int(natsMsg_GetDataLength(message))
        let body = UnsafeRawBufferPointer(start: natsMsg_GetData(message), count: length)
        do {
            let reply = try Envelope(decoding: body)
            if reply.type == ErrorReply.envelopeType {
                let error = try ErrorReply(decoding: reply.payload)
                complete(token, .failure(BusError(.remote, error.message, remote: error)))
            } else {
                complete(token, .success(reply))
            }
        } catch {
            complete(token, .failure(BusError(.decodeFailed, "undecodable reply: \(error)")))
        }
    }

    func close() { subscription.unsubscribe() }

    /// Forwards inbox messages to the mux; set once, right after the mux exists.
    private final class Delivery: MessageDelivery, @unchecked Sendable {
        // @unchecked: `mux` is written once before the subscription can deliver a
        // reply (no request has been sent yet) and only read afterwards.
        weak var mux: RequestMux?
        func deliver(_ message: OpaquePointer) {
            guard let mux else { natsMsg_Destroy(message); return }
            mux.deliver(message)
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
