import AgionEnvelope
import CNats

/// Receives the messages of a core NATS subscription on a cnats thread. The
/// receiver owns each message and must free it (`freeDeliveredMessage`).
protocol MessageDelivery: AnyObject, Sendable {
    func deliver(_ message: OpaquePointer)
}

/// Owns one core NATS subscription and keeps its delivery target alive until
/// cnats reports the subscription complete (after which no callback can run).
final class Subscription: @unchecked Sendable {
    // @unchecked: `raw` is set once in init; cnats subscriptions are thread-safe.
    let raw: OpaquePointer
    private let connection: NatsConnection

    init(connection: NatsConnection, subject: String, queue: String?, delivery: MessageDelivery) throws(BusError) {
        self.connection = connection
        let box = Unmanaged.passRetained(DeliveryBox(delivery))
        var sub: OpaquePointer?
        let status = if let queue {
            natsConnection_QueueSubscribe(&sub, connection.raw, subject, queue, onMessage, box.toOpaque())
        } else {
            natsConnection_Subscribe(&sub, connection.raw, subject, onMessage, box.toOpaque())
        }
        guard status == NATS_OK, let sub else {
            box.release()
            throw busError(status, "subscribe \(subject)")
        }
        // Released by onComplete, which cnats calls once after the last delivery.
        natsSubscription_SetOnCompleteCB(sub, onComplete, box.toOpaque())
        // Requests are answered, not buffered for long: generous limits, and a
        // slow consumer is reported through the connection's error handler.
        natsSubscription_SetPendingLimits(sub, 1 << 20, 512 << 20)
        self.raw = sub
    }

    /// Stops delivery at once (pending messages are dropped).
    func unsubscribe() { natsSubscription_Unsubscribe(raw) }

    /// Stops taking new messages, delivers what is pending, then completes.
    /// With the connection down there is nobody to tell and nothing more will
    /// arrive: it unsubscribes instead of waiting out the timeout.
    func drain(timeout: Duration) async throws(BusError) {
        guard connection.isConnected else {
            unsubscribe()
            return
        }
        try check(natsSubscription_DrainTimeout(raw, timeout.milliseconds), "drain subscription")
        let status = await BlockingPool.shared.run { natsSubscription_WaitForDrainCompletion(self.raw, timeout.milliseconds + 1_000) }
        try check(status, "wait for drain")
    }

    deinit {
        // cnats 3.4.1 can crash when a message arrives for a subscription being
        // destroyed: drain first (stop interest, deliver what is queued), and
        // destroy once the drain completed, off the cooperative pool. The closure
        // keeps the connection alive until then.
        let raw = UncheckedPointer(self.raw), connection = self.connection
        natsSubscription_Drain(raw.pointer)
        BlockingPool.shared.submit { _ in
            _ = natsSubscription_WaitForDrainCompletion(raw.pointer, 5_000)
            natsSubscription_Destroy(raw.pointer)
            withExtendedLifetime(connection) {}
        }
    }
}

/// A C handle moved to another thread for teardown.
struct UncheckedPointer: @unchecked Sendable {
    // @unchecked: only used to hand a handle to the one thread that destroys it.
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

private final class DeliveryBox: Sendable {
    let delivery: MessageDelivery
    init(_ delivery: MessageDelivery) { self.delivery = delivery }
}

private func onMessage(_ nc: OpaquePointer?, _ sub: OpaquePointer?, _ msg: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    guard let msg else { return }
    Unmanaged<DeliveryBox>.fromOpaque(closure!).takeUnretainedValue().delivery.deliver(msg)
}

private func onComplete(_ closure: UnsafeMutableRawPointer?) {
    Unmanaged<DeliveryBox>.fromOpaque(closure!).release()
}
