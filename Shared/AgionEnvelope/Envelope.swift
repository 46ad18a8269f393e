import Foundation

/// The unit every Agion message travels in: a typed, versioned payload with the
/// metadata needed to route, deduplicate, correlate and trace it.
///
/// Wire form: `agion.v1.Envelope` in `Proto/agion/v1/envelope.proto`.
public struct Envelope: Hashable, Sendable {
    /// UUIDv7; also the JetStream `Nats-Msg-Id`, so retried publishes deduplicate.
    public var id: UUID
    /// `agion.<domain>.<event>`.
    public var type: String
    /// Version of the payload schema for `type`.
    public var schemaVersion: UInt32
    /// When the fact happened, nanoseconds since the Unix epoch (UTC).
    public var occurredAtUnixNanos: Int64
    public var tenant: String
    /// Shared by every message of one logical operation.
    public var correlationID: String
    /// The id of the message that caused this one; empty for a root message.
    public var causationID: String
    /// W3C `traceparent`; empty when the message is not traced.
    public var traceparent: String
    public var headers: [String: String]
    /// The encoded payload message.
    public var payload: [UInt8]
    /// The agent that sent this request, when it came on the agent's own
    /// subject (`AgentSubjects.rpc`): set by the bus from the subject, which
    /// NATS authentication vouches for; never read from or written to the wire.
    /// Nil for requests on `agion.rpc.*` (platform callers) and for events.
    public var callerAgent: String? = nil

    /// A new message. `correlationID` defaults to the message's own id, which makes
    /// it the root of a new operation.
    public init(
        id: UUID = UUIDv7.make(),
        type: String,
        schemaVersion: UInt32 = 1,
        occurredAtUnixNanos: Int64 = Envelope.nowUnixNanos(),
        tenant: String,
        correlationID: String? = nil,
        causationID: String = "",
        traceparent: String = "",
        headers: [String: String] = [:],
        payload: [UInt8] = []
    ) {
        self.id = id
        self.type = type
        self.schemaVersion = schemaVersion
        self.occurredAtUnixNanos = occurredAtUnixNanos
        self.tenant = tenant
        self.correlationID = correlationID ?? id.lowercasedString
        self.causationID = causationID
        self.traceparent = traceparent
        self.headers = headers
        self.payload = payload
    }

    /// `occurredAtUnixNanos` as a `Date` (sub-microsecond precision is lost).
    public var occurredAt: Date {
        Date(timeIntervalSince1970: Double(occurredAtUnixNanos) / 1_000_000_000)
    }

    /// A message caused by this one: same tenant and correlation, causation set to
    /// this id, and a child span of this trace.
    public func caused(type: String, schemaVersion: UInt32 = 1, payload: [UInt8]) -> Envelope {
        Envelope(
            type: type,
            schemaVersion: schemaVersion,
            tenant: tenant,
            correlationID: correlationID,
            causationID: id.lowercasedString,
            traceparent: Traceparent(traceparent)?.child().description ?? "",
            payload: payload
        )
    }

    /// Now, in nanoseconds since the Unix epoch.
    public static func nowUnixNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
