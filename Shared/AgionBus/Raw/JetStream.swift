import AgionEnvelope
import CNats
import Logging
import Synchronization

/// JetStream on one connection: provisioning, publishing (sync and async with
/// ack tracking) and pull consumers.
public final class JetStream: @unchecked Sendable {
    // @unchecked: `context` is created once and destroyed in deinit; a jsCtx is
    // safe to use from several threads. `tracker` is itself thread-safe.
    let context: OpaquePointer
    let connection: NatsConnection
    let logger: Logger
    private let tracker: Unmanaged<AckTracker>

    /// Most async publishes in flight; further publishes wait (asynchronously)
    /// for acks, so cnats never stalls a thread on its own limit.
    static let maxPendingAcks = 16_384

    /// How long an async publish waits for its ack before failing with `.timeout`.
    static let ackTimeout: Duration = .seconds(5)

    init(connection: NatsConnection, logger: Logger) throws(BusError) {
        self.connection = connection
        self.logger = logger
        let tracker = Unmanaged.passRetained(AckTracker(limit: Self.maxPendingAcks))
        var options = jsOptions()
        jsOptions_Init(&options)
        options.PublishAsync.MaxPending = Int64(Self.maxPendingAcks * 2)
        options.PublishAsync.AckHandler = onPublishAck
        options.PublishAsync.AckHandlerClosure = tracker.toOpaque()
        var context: OpaquePointer?
        let status = natsConnection_JetStream(&context, connection.raw, &options)
        guard status == NATS_OK, let context else {
            tracker.release()
            throw busError(status, "natsConnection_JetStream")
        }
        self.context = context
        self.tracker = tracker
    }

    deinit {
        // With the connection: off the cooperative pool, and the tracker (the ack
        // handler's closure) released only after the context is gone.
        let context = UncheckedPointer(self.context), tracker = self.tracker, connection = self.connection
        BlockingPool.shared.submit { _ in
            jsCtx_Destroy(context.pointer)
            tracker.release()
            withExtendedLifetime(connection) {}
        }
    }

    /// Creates or updates streams, then consumers. Safe to run from every replica
    /// at start-up: the result is the same however many run it.
    public func provision(streams: [StreamSpec], consumers: [ConsumerSpec] = []) async throws {
        let result: Result<Void, BusError> = await BlockingPool.shared.run {
            Result { () throws(BusError) in
                for stream in streams { try self.provisionBlocking(stream) }
                for consumer in consumers { try self.provisionBlocking(consumer) }
            }
        }
        try result.get()
    }

    /// Deletes a stream if it exists.
    public func deleteStream(_ name: String) async throws {
        let result: Result<Void, BusError> = await BlockingPool.shared.run {
            Result { () throws(BusError) in try self.deleteStreamBlocking(name) }
        }
        try result.get()
    }

    /// Deletes a durable consumer if it exists.
    public func deleteConsumer(stream: String, durable: String) async throws {
        let result: Result<Void, BusError> = await BlockingPool.shared.run {
            Result { () throws(BusError) in
                var jsErr = jsErrCode(0)
                let status = js_DeleteConsumer(self.context, stream, durable, nil, &jsErr)
                if status != NATS_OK && status != NATS_NOT_FOUND {
                    throw busError(status, "delete consumer \(stream)/\(durable)", jetStreamCode: jsErr)
                }
            }
        }
        try result.get()
    }

    /// The number of messages a stream holds now.
    public func messageCount(stream: String) async throws -> UInt64 {
        let result: Result<UInt64, BusError> = await BlockingPool.shared.run {
            Result { () throws(BusError) in
                var info: UnsafeMutablePointer<jsStreamInfo>?
                var jsErr = jsErrCode(0)
                try check(js_GetStreamInfo(&info, self.context, stream, nil, &jsErr), "stream info \(stream)", jetStreamCode: jsErr)
                defer { jsStreamInfo_Destroy(info) }
                return info!.pointee.State.Msgs
            }
        }
        return try result.get()
    }

    /// Where a durable consumer stands: what it still has to deliver, what
    /// awaits an ack, and its ack floor (every message up to it is settled).
    /// For operators and tests: a message nobody settles holds the floor.
    public func consumerState(stream: String, durable: String) async throws -> ConsumerState {
        let result: Result<ConsumerState, BusError> = await BlockingPool.shared.run {
            Result { () throws(BusError) in
                var info: UnsafeMutablePointer<jsConsumerInfo>?
                var jsErr = jsErrCode(0)
                try check(js_GetConsumerInfo(&info, self.context, stream, durable, nil, &jsErr), "consumer info \(stream)/\(durable)",
                          jetStreamCode: jsErr)
                defer { jsConsumerInfo_Destroy(info) }
                let value = info!.pointee
                return ConsumerState(pending: value.NumPending, ackPending: Int(value.NumAckPending), redelivered: Int(value.NumRedelivered),
                                     ackFloor: value.AckFloor.Stream, delivered: value.Delivered.Stream)
            }
        }
        return try result.get()
    }

    /// Publishes and waits for JetStream to store the message. `Nats-Msg-Id` is
    /// the envelope id, so a retry of the same envelope is deduplicated.
    public func publish(_ subject: String, _ envelope: Envelope, headers: [String: String] = [:]) async throws -> PublishAck {
        try await publishRaw(subject, bytes: try envelope.encoded(), msgID: envelope.id.lowercasedString, headers: headers)
    }

    /// Publishes bytes that are not (or not known to be) an envelope: bridges from
    /// other systems, and tests of what consumers do with them.
    @discardableResult
    public func publishRaw(_ subject: String, bytes: [UInt8], msgID: String? = nil,
                           headers: [String: String] = [:]) async throws -> PublishAck {
        let result: Result<PublishAck, BusError> = await BlockingPool.shared.run {
            Result { () throws(BusError) in
                let message = try makeMessage(subject: subject, bytes: bytes, msgID: msgID, headers: headers)
                defer { natsMsg_Destroy(message) }
                var ack: UnsafeMutablePointer<jsPubAck>?
                var jsErr = jsErrCode(0)
                try check(js_PublishMsg(&ack, self.context, message, nil, &jsErr), "publish \(subject)", jetStreamCode: jsErr)
                defer { jsPubAck_Destroy(ack) }
                return PublishAck(ack!.pointee)
            }
        }
        return try result.get()
    }

    /// Publishes without blocking a thread and returns once JetStream acknowledged
    /// the message. Many may be in flight at once.
    public func publishAsync(_ subject: String, _ envelope: Envelope, headers: [String: String] = [:]) async throws -> PublishAck {
        let message = OutgoingMessage(subject: subject, bytes: try envelope.encoded(), msgID: envelope.id.lowercasedString, headers: headers)
        let tracker = tracker.takeUnretainedValue()
        await tracker.reserve(1)
        return try await withCheckedThrowingContinuation { continuation in
            send(message, waiter: .single(continuation))
        }
    }

    /// Publishes envelopes in order without waiting between them, then waits for
    /// every ack. Returns the acks in order; throws the first failure after all
    /// have settled.
    public func publishAsync(batch: [(subject: String, envelope: Envelope)]) async throws -> [PublishAck] {
        try await publishAsync(batch: batch.map {
            OutgoingMessage(subject: $0.subject, bytes: try $0.envelope.encoded(), msgID: $0.envelope.id.lowercasedString)
        })
    }

    /// Publishes already-encoded messages (for example an outbox's stored
    /// envelopes) in order, then waits for every ack.
    public func publishAsync(batch: [OutgoingMessage]) async throws -> [PublishAck] {
        guard !batch.isEmpty else { return [] }
        let tracker = tracker.takeUnretainedValue()
        return try await withCheckedThrowingContinuation { continuation in
            let collector = BatchCollector(count: batch.count) { continuation.resume(with: $0) }
            Task {
                var index = 0
                while index < batch.count {
                    let chunk = min(1_024, batch.count - index)
                    await tracker.reserve(chunk)
                    for offset in index..<(index + chunk) {
                        self.send(batch[offset], waiter: .batch(collector, offset))
                    }
                    index += chunk
                }
            }
        }
    }

    private func send(_ outgoing: OutgoingMessage, waiter: AckTracker.Waiter) {
        let tracker = tracker.takeUnretainedValue()
        do {
            let created = try makeMessage(subject: outgoing.subject, bytes: outgoing.bytes,
                                          msgID: outgoing.msgID, headers: outgoing.headers)
            tracker.register(created, waiter)
            var message: OpaquePointer? = created
            // Without MaxWait an ack lost to a disconnect is awaited forever; with
            // it cnats reports a timeout through the ack handler.
            var options = jsPubOptions()
            jsPubOptions_Init(&options)
            options.MaxWait = Self.ackTimeout.milliseconds
            let status = js_PublishMsgAsync(context, &message, &options)
            if status != NATS_OK {
                // On failure the message is still ours: settle first, then free it.
                tracker.settle(created, .failure(busError(status, "publish \(outgoing.subject)")))
                natsMsg_Destroy(message)
            }
        } catch {
            tracker.fail(waiter, error)
        }
    }

    /// A pull subscription bound to an existing durable consumer. Binding asks
    /// the server about the consumer (a round trip), so it runs on a blocking thread.
    public func pullConsumer(stream: String, durable: String, batch: Int = 256) async throws -> PullConsumer {
        let result: Result<PullConsumer, BusError> = await BlockingPool.shared.run {
            Result { () throws(BusError) in try PullConsumer(jetStream: self, stream: stream, durable: durable, batch: batch) }
        }
        return try result.get()
    }
}

func makeMessage(subject: String, bytes: [UInt8], msgID: String?, headers: [String: String]) throws(BusError) -> OpaquePointer {
    var message: OpaquePointer?
    try check(bytes.withUnsafeBytes { natsMsg_Create(&message, subject, nil, $0.baseAddress?.assumingMemoryBound(to: CChar.self), Int32($0.count)) },
              "natsMsg_Create")
    guard let message else { throw BusError(.io, "natsMsg_Create returned nothing") }
    do {
        if let msgID { try check(natsMsgHeader_Set(message, "Nats-Msg-Id", msgID), "set Nats-Msg-Id") }
        for (key, value) in headers { try check(natsMsgHeader_Set(message, key, value), "set header \(key)") }
    } catch {
        natsMsg_Destroy(message)
        throw error
    }
    return message
}

extension PublishAck {
    init(_ ack: jsPubAck) {
        self.init(stream: ack.Stream.map { String(cString: $0) } ?? "", sequence: ack.Sequence, duplicate: ack.Duplicate)
    }
}

/// cnats thread: cnats passes back the message that was published, so the
/// waiter is found by its address. The message is destroyed after settling.
private func onPublishAck(_ js: OpaquePointer?, _ msg: OpaquePointer?, _ ack: UnsafeMutablePointer<jsPubAck>?,
                          _ err: UnsafeMutablePointer<jsPubAckErr>?, _ closure: UnsafeMutableRawPointer?) {
    guard let msg else { return }
    defer { natsMsg_Destroy(msg) }
    let tracker = Unmanaged<AckTracker>.fromOpaque(closure!).takeUnretainedValue()
    if let ack {
        tracker.settle(msg, .success(PublishAck(ack.pointee)))
    } else if let err {
        let text = err.pointee.ErrText.map { String(cString: $0) } ?? "publish failed"
        tracker.settle(msg, .failure(busError(err.pointee.Err, text, jetStreamCode: err.pointee.ErrCode)))
    } else {
        tracker.settle(msg, .failure(BusError(.io, "publish acknowledged with neither ack nor error")))
    }
}
