import AgionEnvelope
import CNats

/// The connection-level calls `Bus` makes (C stays in Raw/).
extension NatsConnection {
    /// A request on the calling thread, waiting for the reply; for code that
    /// runs on a thread of its own.
    func requestBlocking(_ subject: String, bytes: [UInt8], timeout: Duration) throws -> Envelope {
        let reply = try blockingReply(subject, bytes: bytes, timeout: timeout)
        defer { natsMsg_Destroy(reply) }
        return try interpretReply(reply).get()
    }

    /// A request whose reply is not an envelope (NATS's own `$SYS` API).
    func requestRawBlocking(_ subject: String, bytes: [UInt8], timeout: Duration) throws(BusError) -> [UInt8] {
        let reply = try blockingReply(subject, bytes: bytes, timeout: timeout)
        defer { natsMsg_Destroy(reply) }
        return [UInt8](UnsafeRawBufferPointer(start: natsMsg_GetData(reply), count: Int(natsMsg_GetDataLength(reply))))
    }

    /// The reply message (the caller destroys it).
    private func blockingReply(_ subject: String, bytes: [UInt8], timeout: Duration) throws(BusError) -> OpaquePointer {
        var reply: OpaquePointer?
        let status = bytes.withUnsafeBytes {
            natsConnection_Request(&reply, raw, subject, $0.baseAddress, Int32($0.count), timeout.milliseconds)
        }
        if status == NATS_TIMEOUT { throw BusError(.timeout, "no reply from \(subject) within \(timeout)") }
        try check(status, "request \(subject)")
        guard let reply else { throw BusError(.io, "request \(subject) returned no reply") }
        return reply
    }

    /// A core NATS publish (copied into cnats' buffer; not stored).
    func publish(_ subject: String, bytes: [UInt8]) throws(BusError) {
        try check(bytes.withUnsafeBytes { natsConnection_Publish(raw, subject, $0.baseAddress, Int32($0.count)) }, "publish \(subject)")
    }

    /// Flushes and waits for the server's acknowledgement, on a blocking thread.
    func flush(timeout: Duration) async throws {
        let status = await BlockingPool.shared.run { natsConnection_FlushTimeout(self.raw, timeout.milliseconds) }
        try check(status, "flush")
    }

    /// Starts draining every subscription, then closing (`waitUntilClosed`).
    func startDrain(timeout: Duration) throws(BusError) {
        try check(natsConnection_DrainTimeout(raw, timeout.milliseconds), "drain connection")
    }
}
