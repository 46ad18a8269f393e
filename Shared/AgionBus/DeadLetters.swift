/// The dead-letter stream: messages that could not be decoded, or that failed on
/// their last allowed delivery, with where they came from and why.
public enum DeadLetters {
    public static let stream = StreamSpec(name: "AGION_DLQ", subjects: ["agion.dlq.>"], maxAge: .seconds(30 * 24 * 3600))

    /// Headers set on every dead letter; the body is the original message, unchanged.
    public enum Header {
        public static let originalSubject = "Agion-Dlq-Original-Subject"
        public static let originalStream = "Agion-Dlq-Original-Stream"
        public static let originalSequence = "Agion-Dlq-Original-Sequence"
        public static let consumer = "Agion-Dlq-Consumer"
        public static let error = "Agion-Dlq-Error"
        public static let deliveryCount = "Agion-Dlq-Delivery-Count"
    }

    /// `agion.dlq.<stream>.<consumer>`.
    public static func subject(stream: String, consumer: String) -> String { "agion.dlq.\(stream).\(consumer)" }
}

extension JetStream {
    /// Stores a delivered message in the dead-letter stream and waits for the ack,
    /// so the caller may then `term` the original without losing it.
    func deadLetter(_ message: JetStreamMessage, consumer: String, reason: String) async throws {
        try await storeDeadLetter(bytes: message.bytes, originalSubject: message.subject, stream: message.stream,
                                  sequence: message.streamSequence, consumer: consumer, deliveries: message.deliveryCount, reason: reason)
    }

    /// Stores `bytes` in the dead-letter stream with where they came from and why.
    func storeDeadLetter(bytes: [UInt8], originalSubject: String, stream: String, sequence: UInt64,
                         consumer: String, deliveries: UInt64, reason: String) async throws {
        let headers = [
            DeadLetters.Header.originalSubject: originalSubject,
            DeadLetters.Header.originalStream: stream,
            DeadLetters.Header.originalSequence: String(sequence),
            DeadLetters.Header.consumer: consumer,
            DeadLetters.Header.error: String(reason.prefix(1_024)),
            DeadLetters.Header.deliveryCount: String(deliveries),
        ]
        // Deduplicated by origin: a crash between this and `term`, or the handler
        // path and the advisory path both reporting a message, leave one copy.
        try await publishRaw(DeadLetters.subject(stream: stream, consumer: consumer), bytes: bytes,
                             msgID: "dlq-\(stream)-\(sequence)-\(consumer)", headers: headers)
    }
}
