import AgionEnvelope
import Logging
import Metrics
import Synchronization

/// What a handler saw of a delivery, besides the envelope.
public struct Delivery: Sendable {
    public let subject: String
    public let streamSequence: UInt64
    /// 1 on the first delivery.
    public let deliveryCount: UInt64
    let message: JetStreamMessage

    /// Tells JetStream the handler is still working, resetting the ack deadline.
    public func inProgress() throws { try message.inProgress() }
}

/// Runs a handler over a durable consumer with the reliability rules every Agion
/// consumer shares:
/// - a message that does not decode as an `Envelope` is dead-lettered at once;
/// - a handler that returns acks; one that throws gets a nak with backoff, and on
///   its last allowed delivery (`maxDeliver`) the message is dead-lettered;
/// - a message JetStream stops delivering without any verdict (the handler
///   crashed the process or hung past the ack deadline every time) is
///   dead-lettered from JetStream's MAX_DELIVERIES advisory;
/// - `stop()` lets the message in hand finish and ack, and naks the rest of the
///   fetched batch so other replicas take them at once.
public final class EventConsumer: Sendable {
    public typealias Handler = @Sendable (Envelope, Delivery) async throws -> Void

    private let jetStream: JetStream
    private let spec: ConsumerSpec
    private let upcaster: EnvelopeUpcaster
    private let logger: Logger
    private let handler: Handler
    private let backoff: @Sendable (UInt64) -> Duration
    private let consumers: [PullConsumer]
    private let watcher: WatcherHandle
    private let processed: Counter
    private let retried: Counter
    private let deadLettered: Counter

    /// - Parameters:
    ///   - concurrency: parallel fetch loops, each its own subscription on the
    ///     durable; order is kept within a loop, not across loops.
    ///   - backoff: delay before redelivery after the given failed delivery.
    public init(jetStream: JetStream, spec: ConsumerSpec, concurrency: Int = 1, batch: Int = 64,
                upcaster: EnvelopeUpcaster = EnvelopeUpcaster(), logger: Logger,
                backoff: @escaping @Sendable (UInt64) -> Duration = EventConsumer.defaultBackoff,
                handler: @escaping Handler) async throws {
        self.jetStream = jetStream
        self.spec = spec
        self.upcaster = upcaster
        self.logger = logger
        self.handler = handler
        self.backoff = backoff
        var consumers: [PullConsumer] = []
        for _ in 0..<max(concurrency, 1) {
            consumers.append(try await jetStream.pullConsumer(stream: spec.stream, durable: spec.durable, batch: batch))
        }
        self.consumers = consumers
        self.watcher = try MaxDeliveriesWatcher.start(jetStream: jetStream, stream: spec.stream, consumer: spec.durable, logger: logger)
        let dims = [("stream", spec.stream), ("consumer", spec.durable)]
        processed = Counter(label: "agion_consumer_messages_total", dimensions: dims + [("outcome", "ack")])
        retried = Counter(label: "agion_consumer_messages_total", dimensions: dims + [("outcome", "retry")])
        deadLettered = Counter(label: "agion_consumer_messages_total", dimensions: dims + [("outcome", "dead_letter")])
    }

    /// 1 s, 2 s, 4 s, ... capped at 60 s.
    public static let defaultBackoff: @Sendable (UInt64) -> Duration = { attempt in
        .seconds(min(1 << min(Int(attempt) - 1, 6), 60))
    }

    /// Processes messages until `stop()`; returns once in-hand work is done
    /// and the subscriptions are closed (so the connection drains at once).
    public func run() async throws {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for consumer in consumers {
                    group.addTask { try await self.loop(consumer) }
                }
                try await group.waitForAll()
            }
        } catch {
            await close()
            throw error
        }
        await close()
    }

    private func close() async {
        for consumer in consumers { await consumer.close() }
        watcher.close()
    }

    /// Stops fetching; `run()` returns after the current messages are settled.
    public func stop() { consumers.forEach { $0.stop() } }

    private func loop(_ consumer: PullConsumer) async throws {
        while !consumer.isStopped {
            let batch = try await consumer.fetch(max: 64, timeout: PullConsumer.pollInterval)
            for (index, message) in batch.enumerated() {
                if consumer.isStopped {
                    // Shutting down: hand the unstarted rest back at once.
                    for rest in batch[index...] { try? rest.nak() }
                    break
                }
                await process(message)
            }
        }
    }

    private func process(_ message: JetStreamMessage) async {
        let envelope: Envelope
        do {
            envelope = try upcaster.upcast(message.withBytes { buffer in try Envelope(decoding: buffer) })
        } catch {
            await deadLetter(message, reason: "decode failed: \(error)")
            return
        }
        let delivery = Delivery(subject: message.subject, streamSequence: message.streamSequence,
                                deliveryCount: message.deliveryCount, message: message)
        do {
            try await handler(envelope, delivery)
            try message.ack()
            processed.increment()
        } catch {
            if message.deliveryCount >= UInt64(spec.maxDeliver) {
                await deadLetter(message, reason: "\(error)")
            } else {
                retried.increment()
                logger.warning("consumer.retry", metadata: [
                    "event.id": "\(envelope.id.lowercasedString)", "nats.subject": "\(message.subject)",
                    "delivery.count": "\(message.deliveryCount)", "error": "\(error)",
                ])
                try? message.nak(delay: backoff(message.deliveryCount))
            }
        }
    }

    private func deadLetter(_ message: JetStreamMessage, reason: String) async {
        do {
            try await jetStream.deadLetter(message, consumer: spec.durable, reason: reason)
            try message.term()
            deadLettered.increment()
            logger.error("consumer.dead_lettered", metadata: [
                "nats.subject": "\(message.subject)", "stream.sequence": "\(message.streamSequence)",
                "delivery.count": "\(message.deliveryCount)", "error": "\(reason)",
            ])
        } catch {
            // Not stored in the dead-letter stream: leave it for redelivery.
            logger.error("consumer.dead_letter_failed", metadata: ["nats.subject": "\(message.subject)", "error": "\(error)"])
            try? message.nak(delay: .seconds(1))
        }
    }
}
