import AgionEnvelope
import CNats

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
    /// Stores `message` in the dead-letter stream and waits for the ack, so the
    /// caller may then `term` the original without losing it.
    func deadLetter(_ message: JetStreamMessage, consumer: String, reason: String) async throws {
        let subject = DeadLetters.subject(stream: message.stream, consumer: consumer)
        let headers = [
            DeadLetters.Header.originalSubject: message.subject,
            DeadLetters.Header.originalStream: message.stream,
            DeadLetters.Header.originalSequence: String(message.streamSequence),
            DeadLetters.Header.consumer: consumer,
            DeadLetters.Header.error: String(reason.prefix(1_024)),
            DeadLetters.Header.deliveryCount: String(message.deliveryCount),
        ]
        // Deduplicated by origin, so a crash between this and `term` leaves one copy.
        let msgID = "dlq-\(message.stream)-\(message.streamSequence)-\(consumer)"
        let bytes = message.bytes
        let result: Result<Void, BusError> = await BlockingPool.shared.run {
            Result { () throws(BusError) in
                let outgoing = try makeMessage(subject: subject, bytes: bytes, msgID: msgID, headers: headers)
                defer { natsMsg_Destroy(outgoing) }
                var ack: UnsafeMutablePointer<jsPubAck>?
                var jsErr = jsErrCode(0)
                try check(js_PublishMsg(&ack, self.context, outgoing, nil, &jsErr), "dead-letter \(subject)", jetStreamCode: jsErr)
                jsPubAck_Destroy(ack)
            }
        }
        try result.get()
    }
}
