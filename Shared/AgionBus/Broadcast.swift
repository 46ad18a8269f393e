import AgionEnvelope
import Logging
import Metrics

/// Every message on a core NATS subject, as an async sequence of envelopes:
/// how each replica hears what concerns all of them (a policy activated, an
/// agent's standing changed, a key revoked). No queue group, so every
/// subscriber gets every message; nothing is stored, so a replica that was
/// away misses what was said meanwhile (use it for invalidations that also
/// expire, never for facts: those are JetStream events).
///
/// Messages that are not envelopes are logged and skipped. The buffer holds
/// 65,536 envelopes; beyond that new ones are dropped and counted
/// (`agion_broadcast_dropped_total`), never blocking cnats.
public final class Broadcast: AsyncSequence, Sendable {
    public typealias Element = Envelope
    public let subject: String
    private let subscription: Subscription
    private let stream: AsyncStream<Envelope>
    private let continuation: AsyncStream<Envelope>.Continuation

    init(connection: NatsConnection, subject: String, logger: Logger) throws(BusError) {
        self.subject = subject
        let (stream, continuation) = AsyncStream.makeStream(of: Envelope.self, bufferingPolicy: .bufferingOldest(65_536))
        self.stream = stream
        self.continuation = continuation
        let dropped = Counter(label: "agion_broadcast_dropped_total", dimensions: [("subject", subject)])
        let delivery = BroadcastDelivery(logger: logger, subject: subject) { envelope in
            if case .dropped = continuation.yield(envelope) { dropped.increment() }
        }
        self.subscription = try Subscription(connection: connection, subject: subject, queue: nil, delivery: delivery)
    }

    /// Stops listening and ends the sequence.
    public func close() {
        subscription.unsubscribe()
        continuation.finish()
    }

    /// Stops listening, but first hands on what has already arrived (cnats
    /// holds a subscription's messages on its own delivery thread, so a reply
    /// on another subscription can overtake them); then ends the sequence.
    /// Costs one round trip to the server. Falls back to `close` on failure.
    public func drain(timeout: Duration = .seconds(1)) async {
        do {
            try await subscription.drain(timeout: timeout)
        } catch {
            subscription.unsubscribe()
        }
        continuation.finish()
    }

    public func makeAsyncIterator() -> AsyncStream<Envelope>.Iterator { stream.makeAsyncIterator() }
}

extension Bus {
    /// Every envelope published to `subject` from now on (see `Broadcast`).
    /// Pair with `publish(_:_:)`; `BroadcastListener` (AgionRuntime) runs one
    /// for a service's lifetime.
    public func subscribe(_ subject: String) throws -> Broadcast {
        try Broadcast(connection: connection, subject: subject, logger: logger)
    }
}
