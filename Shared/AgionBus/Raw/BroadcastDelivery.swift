import AgionEnvelope
import Logging

/// cnats thread: copies a broadcast message out, decodes it, hands it on.
final class BroadcastDelivery: MessageDelivery, Sendable {
    private let logger: Logger
    private let subject: String
    private let handle: @Sendable (Envelope) -> Void

    init(logger: Logger, subject: String, handle: @escaping @Sendable (Envelope) -> Void) {
        self.logger = logger
        self.subject = subject
        self.handle = handle
    }

    func deliver(_ message: OpaquePointer) {
        let incoming = IncomingRequest(consuming: message)
        do {
            handle(try Envelope(decoding: incoming.body))
        } catch {
            logger.warning("broadcast.undecodable", metadata: ["nats.subject": "\(subject)", "error": "\(error)"])
        }
    }
}
