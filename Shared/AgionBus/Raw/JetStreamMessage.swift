import AgionEnvelope
import CNats

/// One message delivered by a pull consumer. Acknowledge it exactly once with
/// `ack`, `nak`, or `term`; `inProgress` extends the ack deadline.
public final class JetStreamMessage: @unchecked Sendable {
    // @unchecked: the natsMsg is owned by this object alone and freed in deinit;
    // the ack calls only publish on the (thread-safe) connection.
    let raw: OpaquePointer
    /// cnats' ack reads the message's subscription (msg->sub->jsi) without
    /// retaining it: a message acked after its subscription was destroyed is a
    /// use-after-free (seen in CI as a SIGSEGV in _ackMsg). Holding the owner
    /// keeps the subscription alive for as long as any of its messages.
    private let subscription: AnyObject?

    public let subject: String
    /// The stream sequence and delivery count, from the reply subject metadata.
    public let streamSequence: UInt64
    public let deliveryCount: UInt64
    public let stream: String

    init(_ raw: OpaquePointer, subscription: AnyObject?) {
        self.raw = raw
        self.subscription = subscription
        self.subject = String(cString: natsMsg_GetSubject(raw))
        var meta: UnsafeMutablePointer<jsMsgMetaData>?
        if natsMsg_GetMetaData(&meta, raw) == NATS_OK, let meta {
            streamSequence = meta.pointee.Sequence.Stream
            deliveryCount = meta.pointee.NumDelivered
            stream = meta.pointee.Stream.map { String(cString: $0) } ?? ""
            jsMsgMetaData_Destroy(meta)
        } else {
            streamSequence = 0
            deliveryCount = 1
            stream = ""
        }
    }

    deinit { natsMsg_Destroy(raw) }

    /// The body, borrowed for the duration of `body`.
    public func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try body(UnsafeRawBufferPointer(start: natsMsg_GetData(raw), count: Int(natsMsg_GetDataLength(raw))))
    }

    /// A copy of the body.
    public var bytes: [UInt8] { withBytes { [UInt8]($0) } }

    /// A NATS header value, if present.
    public func header(_ key: String) -> String? {
        var value: UnsafePointer<CChar>?
        guard natsMsgHeader_Get(raw, key, &value) == NATS_OK, let value else { return nil }
        return String(cString: value)
    }

    public func ack() throws { try check(natsMsg_Ack(raw, nil), "ack") }

    /// Asks for redelivery after `delay` (immediately when zero).
    public func nak(delay: Duration = .zero) throws {
        if delay == .zero { try check(natsMsg_Nak(raw, nil), "nak") }
        else { try check(natsMsg_NakWithDelay(raw, delay.milliseconds, nil), "nak") }
    }

    /// Resets the ack deadline: the handler is still working.
    public func inProgress() throws { try check(natsMsg_InProgress(raw, nil), "in progress") }

    /// Never redeliver this message.
    public func term() throws { try check(natsMsg_Term(raw, nil), "term") }
}
