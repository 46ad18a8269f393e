import AgionEnvelope
import CNats
import Logging
import Metrics

/// How a responder answers: decoding the request, metrics per outcome, and
/// publishing replies and error replies. Shared by `Responder` (async handlers)
/// and `BlockingResponder` (handlers on cnats' delivery threads).
struct ReplyChannel: Sendable {
    let connection: NatsConnection
    let subject: String
    let logger: Logger
    private let handled: Counter
    private let failed: Counter
    private let rejected: Counter
    private let undecodable: Counter
    private let duration: Metrics.Timer

    init(connection: NatsConnection, subject: String, logger: Logger) {
        self.connection = connection
        self.subject = subject
        self.logger = logger
        let label = "agion_rpc_requests_total"
        handled = Counter(label: label, dimensions: [("subject", subject), ("outcome", "ok")])
        failed = Counter(label: label, dimensions: [("subject", subject), ("outcome", "error")])
        rejected = Counter(label: label, dimensions: [("subject", subject), ("outcome", "overloaded")])
        undecodable = Counter(label: label, dimensions: [("subject", subject), ("outcome", "decode_failed")])
        duration = Metrics.Timer(label: "agion_rpc_handler_duration_seconds", dimensions: [("subject", subject)],
                                 preferredDisplayUnit: .seconds)
    }

    /// The request envelope, or nil after answering `decode_failed` (or
    /// `invalid_argument` for a schema version newer than this reader's).
    func decode(_ request: IncomingRequest, scope: RequestScope) -> Envelope? {
        var envelope: Envelope
        do {
            envelope = try Self.request(request.body)
        } catch {
            send(error: undecodable(error), to: request.reply, request: nil)
            return nil
        }
        guard scope == .agent else { return envelope }
        // The subject, which the caller's NATS credentials had to allow, says
        // who is calling; the envelope may only agree with it.
        guard let caller = AgentSubjects.caller(of: request.subject) else {
            send(error: ErrorReply(code: .permissionDenied, message: "not an agent subject: \(request.subject)"), to: request.reply, request: envelope)
            return nil
        }
        guard envelope.tenant == caller.tenant else {
            send(error: ErrorReply(code: .permissionDenied, message: "the envelope's tenant '\(envelope.tenant.prefix(64))' is not the tenant of the agent's subject", field: "tenant"),
                 to: request.reply, request: envelope)
            return nil
        }
        envelope.callerAgent = caller.agent
        return envelope
    }

    /// Requests are read as events are: an unknown newer schema version is
    /// refused, never served as if it were the version this reader knows.
    static func request(_ bytes: [UInt8]) throws(EnvelopeError) -> Envelope {
        try Self.versions.upcast(try Envelope(decoding: bytes))
    }

    /// Every request type is at version 1 today.
    private static let versions = EnvelopeUpcaster()

    /// Answers with the handler's result: its reply, its `ErrorReply`, or `internal`.
    func answer(_ result: Result<Envelope, any Error>, request: Envelope, replyTo reply: String, started: ContinuousClock.Instant) {
        send(replyEnvelope(result, request: request, started: started), to: reply)
    }

    /// The envelope that answers `request` with the handler's result; logs and
    /// counts the outcome (a batch's replies are counted one by one).
    func replyEnvelope(_ result: Result<Envelope, any Error>, request: Envelope, started: ContinuousClock.Instant) -> Envelope {
        // Per request at debug level (free when off): with the caller's request id and trace
        // id, one HTTP request can be followed from the gateway's access log through here.
        logger.debug("rpc.handled", metadata: [
            "nats.subject": "\(subject)", "outcome": "\(Self.outcome(result))", "correlation.id": "\(request.correlationID)",
            "trace.id": "\(Self.traceID(request))", "tenant": "\(request.tenant)",
        ])
        switch result {
        case .success(let envelope):
            duration.record(duration: ContinuousClock.now - started)
            handled.increment()
            return envelope
        case .failure(let error as ErrorReply):
            failed.increment()
            countError(code: error.code.wire)
            return errorEnvelope(error, request: request)
        case .failure(let error):
            failed.increment()
            countError(code: ErrorReply.Code.internalError.wire)
            logger.error("rpc.handler_failed", metadata: ["nats.subject": "\(subject)", "error": "\(error)",
                                                           "event.id": "\(request.id.lowercasedString)",
                                                           "correlation.id": "\(request.correlationID)", "trace.id": "\(Self.traceID(request))"])
            return errorEnvelope(ErrorReply(code: ErrorReply.Code.internalError, message: "internal error", retriable: true), request: request)
        }
    }

    private static func outcome(_ result: Result<Envelope, any Error>) -> String {
        switch result {
        case .success: "ok"
        case .failure(let error as ErrorReply): error.code.wire
        case .failure: ErrorReply.Code.internalError.wire
        }
    }

    /// The trace id of the request's `traceparent` (its second field), or "" without one.
    private static func traceID(_ request: Envelope) -> Substring {
        let parts = request.traceparent.split(separator: "-")
        return parts.count >= 2 ? parts[1] : ""
    }

    /// `agion_rpc_errors_total{subject, code}`: which errors callers get, so bad
    /// input shows on a dashboard. Error paths only, so the lookup is not hot.
    private func countError(code: String) {
        Counter(label: "agion_rpc_errors_total", dimensions: [("subject", subject), ("code", code)]).increment()
    }

    func rejectOverloaded(replyTo reply: String) {
        rejected.increment()
        send(error: ErrorReply(code: ErrorReply.Code.overloaded, message: "too many requests in flight", retriable: true),
             to: reply, request: nil)
    }

    private func send(error: ErrorReply, to reply: String, request: Envelope?) {
        send(errorEnvelope(error, request: request), to: reply)
    }

    /// An error reply, caused by `request` when there is one.
    func errorEnvelope(_ error: ErrorReply, request: Envelope?) -> Envelope {
        let payload = (try? error.encoded()) ?? []
        return request?.caused(type: ErrorReply.envelopeType, payload: payload)
            ?? Envelope(type: ErrorReply.envelopeType, tenant: "", payload: payload)
    }

    /// An undecodable request, counted and logged; its answer is `decode_failed`,
    /// or `invalid_argument` for a version this reader does not know.
    func undecodable(_ error: EnvelopeError) -> ErrorReply {
        undecodable.increment()
        logger.warning("rpc.decode_failed", metadata: ["nats.subject": "\(subject)", "error": "\(error)"])
        if error.code == .unsupportedVersion { return ErrorReply(invalid: error) }
        return ErrorReply(code: ErrorReply.Code.decodeFailed, message: "request is not a valid agion.v1.Envelope: \(error.message)")
    }

    func send(_ envelope: Envelope, to reply: String) {
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
}

/// A request copied out of its cnats message.
struct IncomingRequest: Sendable {
    let subject: String
    let reply: String
    let body: [UInt8]

    /// Copies and frees `message`, delivered to a core subscription's callback
    /// (which owns it).
    init(consuming message: OpaquePointer) {
        subject = natsMsg_GetSubject(message).map { String(cString: $0) } ?? ""
        reply = natsMsg_GetReply(message).map { String(cString: $0) } ?? ""
        body = [UInt8](UnsafeRawBufferPointer(start: natsMsg_GetData(message), count: Int(natsMsg_GetDataLength(message))))
        freeDeliveredMessage(message)
    }
}
