import CNats
import Foundation
import Logging

/// Dead-letters messages that ran out of deliveries without a handler verdict:
/// a handler that crashed the process or hung past the ack deadline on every
/// delivery. JetStream then stops redelivering and only says so in an advisory
/// (`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>`); this
/// watcher reads the message back by sequence and stores it in `AGION_DLQ`.
///
/// Every replica may run one: the dead letter's `Nats-Msg-Id` is the same as the
/// one `EventConsumer` uses, so however many paths report a message, it is
/// stored once.
final class MaxDeliveriesWatcher: MessageDelivery, Sendable {
    private let jetStream: JetStream
    private let stream: String
    private let consumer: String
    private let logger: Logger

    private init(jetStream: JetStream, stream: String, consumer: String, logger: Logger) {
        self.jetStream = jetStream
        self.stream = stream
        self.consumer = consumer
        self.logger = logger
    }

    /// Starts watching; the returned handle keeps the subscription alive.
    static func start(jetStream: JetStream, stream: String, consumer: String, logger: Logger) throws(BusError) -> WatcherHandle {
        let watcher = MaxDeliveriesWatcher(jetStream: jetStream, stream: stream, consumer: consumer, logger: logger)
        let subject = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.\(stream).\(consumer)"
        let subscription = try Subscription(connection: jetStream.connection, subject: subject, queue: nil, delivery: watcher)
        return WatcherHandle(watcher: watcher, subscription: subscription)
    }

    /// cnats thread: parse the advisory, then move the message on a blocking thread.
    func deliver(_ message: OpaquePointer) {
        let body = Data(bytes: natsMsg_GetData(message), count: Int(natsMsg_GetDataLength(message)))
        freeDeliveredMessage(message)
        guard let advisory = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              let sequence = (advisory["stream_seq"] as? NSNumber)?.uint64Value else {
            logger.warning("consumer.advisory_unreadable", metadata: ["nats.stream": "\(stream)"])
            return
        }
        let deliveries = (advisory["deliveries"] as? NSNumber)?.uint64Value ?? 0
        Task { await self.deadLetter(sequence: sequence, deliveries: deliveries) }
    }

    private func deadLetter(sequence: UInt64, deliveries: UInt64) async {
        do {
            try await jetStream.deadLetterStored(stream: stream, sequence: sequence, consumer: consumer, deliveries: deliveries,
                                                 reason: "no verdict after \(deliveries) deliveries (handler crashed or timed out)")
            logger.error("consumer.dead_lettered", metadata: [
                "nats.stream": "\(stream)", "stream.sequence": "\(sequence)", "delivery.count": "\(deliveries)",
                "error": "max deliveries without a verdict",
            ])
        } catch {
            logger.error("consumer.dead_letter_failed", metadata: ["nats.stream": "\(stream)", "stream.sequence": "\(sequence)",
                                                                  "error": "\(error)"])
        }
    }
}

/// Keeps a watcher's subscription alive; dropping it stops the watcher.
final class WatcherHandle: Sendable {
    let watcher: MaxDeliveriesWatcher
    let subscription: Subscription
    init(watcher: MaxDeliveriesWatcher, subscription: Subscription) {
        self.watcher = watcher
        self.subscription = subscription
    }

    /// Stops watching now rather than at the connection's drain.
    func close() { subscription.unsubscribe() }
}
