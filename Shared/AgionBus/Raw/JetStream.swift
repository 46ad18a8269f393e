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
        jsCtx_Destroy(context)
        tracker.release()
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
        let bytes = try envelope.encoded()
        let msgID = envelope.id.lowercasedString
        await tracker.takeUnretainedValue().reserve(1)
        return try await withCheckedThrowingContinuation { continuation in
            let waiter = AckTracker.Waiter { continuation.resume(with: $0) }
            send(subject: subject, bytes: bytes, msgID: msgID, headers: headers, waiter: waiter)
        }
    }

    /// Publishes a batch in order without waiting between messages, then waits for
    /// every ack. Returns the acks in the same order; throws the first failure
    /// after all have settled.
    public func publishAsync(batch: [(subject: String, envelope: Envelope)]) async throws -> [PublishAck] {
        guard !batch.isEmpty else { return [] }
        let encoded = try batch.map { (subject: $0.subject, bytes: try $0.envelope.encoded(), msgID: $0.envelope.id.lowercasedString) }
        let collector = BatchCollector(count: encoded.count)
        let tracker = tracker.takeUnretainedValue()
        return try await withCheckedThrowingContinuation { continuation in
            collector.onComplete = { continuation.resume(with: $0) }
            Task {
                for (index, item) in encoded.enumerated() {
                    await tracker.reserve(1)
                    self.send(subject: item.subject, bytes: item.bytes, msgID: item.msgID, headers: [:],
                              waiter: AckTracker.Waiter { collector.settle(index, $0) })
                }
            }
        }
    }

    private func send(subject: String, bytes: [UInt8], msgID: String, headers: [String: String], waiter: AckTracker.Waiter) {
        let tracker = tracker.takeUnretainedValue()
        tracker.register(msgID, waiter)
        do {
            var message: OpaquePointer? = try makeMessage(subject: subject, bytes: bytes, msgID: msgID, headers: headers)
            // Without MaxWait an ack lost to a disconnect is awaited forever; with
            // it cnats reports a timeout through the ack handler.
            var options = jsPubOptions()
            jsPubOptions_Init(&options)
            options.MaxWait = Self.ackTimeout.milliseconds
            let status = js_PublishMsgAsync(context, &message, &options)
            if status != NATS_OK {
                // On failure the message is still ours.
                natsMsg_Destroy(message)
                tracker.settle(msgID, .failure(busError(status, "publish \(subject)")))
            }
        } catch {
            tracker.settle(msgID, .failure(error))
        }
    }

    /// A pull subscription bound to an existing durable consumer.
    public func pullConsumer(stream: String, durable: String, batch: Int = 256) throws -> PullConsumer {
        try PullConsumer(jetStream: self, stream: stream, durable: durable, batch: batch)
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

/// cnats thread: match the ack to its waiter by `Nats-Msg-Id`.
private func onPublishAck(_ js: OpaquePointer?, _ msg: OpaquePointer?, _ ack: UnsafeMutablePointer<jsPubAck>?,
                          _ err: UnsafeMutablePointer<jsPubAckErr>?, _ closure: UnsafeMutableRawPointer?) {
    guard let msg else { return }
    defer { natsMsg_Destroy(msg) }
    var value: UnsafePointer<CChar>?
    guard natsMsgHeader_Get(msg, "Nats-Msg-Id", &value) == NATS_OK, let value else { return }
    let tracker = Unmanaged<AckTracker>.fromOpaque(closure!).takeUnretainedValue()
    let msgID = String(cString: value)
    if let ack {
        tracker.settle(msgID, .success(PublishAck(ack.pointee)))
    } else if let err {
        let text = err.pointee.ErrText.map { String(cString: $0) } ?? "publish failed"
        let error = busError(err.pointee.Err, text, jetStreamCode: err.pointee.ErrCode)
        tracker.settle(msgID, .failure(error))
    }
}
