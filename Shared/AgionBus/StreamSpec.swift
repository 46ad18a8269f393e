/// A JetStream stream declared in code and provisioned idempotently at start-up.
public struct StreamSpec: Sendable, Hashable {
    public enum Retention: Sendable, Hashable {
        /// Keep messages until limits (age, count, bytes) remove them: event streams.
        case limits
        /// Remove a message once acknowledged: work queues (step executions).
        case workQueue
    }

    public var name: String
    public var subjects: [String]
    public var retention: Retention
    /// Zero means unlimited.
    public var maxAge: Duration
    public var maxMessages: Int64
    public var maxBytes: Int64
    /// How long JetStream remembers a `Nats-Msg-Id` to drop duplicates.
    public var duplicateWindow: Duration
    public var replicas: Int
    /// Messages kept per subject (-1: no limit); 1 makes a subject a slot
    /// whose new message replaces the old (a key-value layout).
    public var maxMessagesPerSubject: Int64

    public init(name: String, subjects: [String], retention: Retention = .limits, maxAge: Duration = .zero,
                maxMessages: Int64 = -1, maxBytes: Int64 = -1, duplicateWindow: Duration = .seconds(120), replicas: Int = 1,
                maxMessagesPerSubject: Int64 = -1) {
        self.maxMessagesPerSubject = maxMessagesPerSubject
        self.name = name
        self.subjects = subjects
        self.retention = retention
        self.maxAge = maxAge
        self.maxMessages = maxMessages
        self.maxBytes = maxBytes
        self.duplicateWindow = duplicateWindow
        self.replicas = replicas
    }
}

/// A durable pull consumer declared in code; replicas that bind to the same
/// durable compete for its messages.
public struct ConsumerSpec: Sendable, Hashable {
    public var stream: String
    public var durable: String
    /// Empty means every subject of the stream.
    public var filterSubject: String
    /// How long a delivered message may stay unacknowledged before redelivery.
    public var ackWait: Duration
    /// Deliveries after which a failing message goes to the dead-letter stream.
    public var maxDeliver: Int
    public var maxAckPending: Int
    /// Created fresh, the durable starts with the messages published from
    /// then on, not the stream's history (for messages only its own earlier
    /// work can cause). Kept as it was when the durable already exists.
    public var startsAtNew: Bool

    public init(stream: String, durable: String, filterSubject: String = "", ackWait: Duration = .seconds(30),
                maxDeliver: Int = 5, maxAckPending: Int = 10_000, startsAtNew: Bool = false) {
        self.stream = stream
        self.durable = durable
        self.filterSubject = filterSubject
        self.ackWait = ackWait
        self.maxDeliver = maxDeliver
        self.maxAckPending = maxAckPending
        self.startsAtNew = startsAtNew
    }
}

/// Where JetStream stored a published message.
public struct PublishAck: Sendable, Hashable {
    public let stream: String
    public let sequence: UInt64
    /// True when JetStream had already stored a message with this `Nats-Msg-Id`.
    public let duplicate: Bool
}

/// A message ready to publish: encoded bytes and the `Nats-Msg-Id` that
/// deduplicates it (for an envelope, its id).
public struct OutgoingMessage: Sendable {
    public var subject: String
    public var bytes: [UInt8]
    public var msgID: String
    public var headers: [String: String]

    public init(subject: String, bytes: [UInt8], msgID: String, headers: [String: String] = [:]) {
        self.subject = subject
        self.bytes = bytes
        self.msgID = msgID
        self.headers = headers
    }
}

/// A durable consumer's progress (`JetStream.consumerState`).
public struct ConsumerState: Sendable, Hashable {
    /// Messages in the stream not yet delivered to it.
    public let pending: UInt64
    /// Delivered and not yet acknowledged (or termed).
    public let ackPending: Int
    public let redelivered: Int
    /// The stream sequence up to which every message is settled.
    public let ackFloor: UInt64
    /// The last stream sequence delivered.
    public let delivered: UInt64
}
