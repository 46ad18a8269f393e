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
///   its last allowed delivery (`maxDeliver`) the message is dead-lettered; one
///   that throws an `EnvelopeError` (its payload does not decode or validate)
///   is dead-lettered at once;
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
    private let batch: Int
    private let watcher: WatcherHandle
    private let processed: Counter
    private let retried: Counter
    private let deadLettered: Counter
    private let fetchFailures: Counter

    /// - Parameters:
    ///   - concurrency: parallel fetch loops, each its own subscription on the
    ///     durable; order is kept within a loop, not across loops.
    ///   - batch: messages one loop fetches at a time (1 for long work: the
    ///     rest of a batch would wait in hand while its ack deadline runs).
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
        self.batch = max(batch, 1)
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
        fetchFailures = Counter(label: "agion_consumer_fetch_failures_total", dimensions: dims)
    }

    /// 1 s, 2 s, 4 s, ... capped at 60 s.
    public static let defaultBackoff: @Sendable (UInt64) -> Duration = { attempt in
        .seconds(min(1 << min(Int(attempt) - 1, 6), 60))
    }

    /// Processes messages until `stop()` or cancellation; returns once in-hand
    /// work is done and the subscriptions are closed (so the connection drains
    /// at once). A failing fetch (NATS restarting, the consumer gone) never
    /// ends it: it fetches again with backoff until NATS answers.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for consumer in consumers {
                group.addTask { await self.loop(consumer) }
            }
            await group.waitForAll()
        }
        await close()
    }

    private func close() async {
        for consumer in consumers { await consumer.close() }
        watcher.close()
    }

    /// Stops fetching; `run()` returns after the current messages are settled.
    public func stop() { consumers.forEach { $0.stop() } }

    private func loop(_ consumer: PullConsumer) async {
        var failures = 0
        while !consumer.isStopped, !Task.isCancelled {
            let batch: [JetStreamMessage]
            do {
                batch = try await consumer.fetch(max: self.batch, timeout: PullConsumer.pollInterval)
            } catch {
                failures += 1
                await fetchFailed(error, failures: failures)
                continue
            }
            // A fetch "succeeds" (times out empty) while the connection is
            // down too: recovered means answered by a server.
            if failures > 0, jetStream.connection.isConnected {
                logger.info("consumer.fetch_recovered", metadata: ["nats.stream": "\(spec.stream)", "consumer": "\(spec.durable)",
                                                                  "failures": "\(failures)"])
                failures = 0
            }
            for (index, message) in batch.enumerated() {
                if consumer.isStopped || Task.isCancelled {
                    // Shutting down: hand the unstarted rest back at once.
                    for rest in batch[index...] { try? rest.nak() }
                    break
                }
                await process(message)
            }
        }
    }

    /// A fetch failed: NATS shutting down ("Server Shutdown" answers the
    /// pending pull), the connection lost, or the durable gone (a server that
    /// came back without its data, an operator who deleted it). Logged once
    /// per outage; after a few failures with the connection up, the durable
    /// is declared again (create-or-update, so harmless if it exists).
    private func fetchFailed(_ error: any Error, failures: Int) async {
        fetchFailures.increment()
        if failures == 1 {
            logger.warning("consumer.fetch_failed", metadata: ["nats.stream": "\(spec.stream)", "consumer": "\(spec.durable)",
                                                              "error": "\(error)"])
        }
        if failures % 5 == 0, jetStream.connection.isConnected {
            do { try await jetStream.provision(streams: [], consumers: [spec]) } catch {
                logger.warning("consumer.redeclare_failed", metadata: ["consumer": "\(spec.durable)", "error": "\(error)"])
            }
        }
        try? await Task.sleep(for: Self.fetchRetryDelay(after: failures))
    }

    /// 100 ms doubling to 2 s, with jitter so replicas do not fetch in step.
    static func fetchRetryDelay(after failures: Int) -> Duration {
        let ceiling = min(100 << min(failures - 1, 5), 2_000)
        return .milliseconds(Int.random(in: (ceiling / 2)...ceiling))
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
            // A payload that does not decode never will: no point retrying it.
            if message.deliveryCount >= UInt64(spec.maxDeliver) || error is EnvelopeError {
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
