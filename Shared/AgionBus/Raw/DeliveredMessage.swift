import CNats

/// Frees a message that a core NATS subscription delivered to our callback,
/// here and now.
///
/// `natsMsg_Destroy` hands every message to cnats' garbage-collector thread,
/// which wakes for it: at low load that is a third thread woken per message,
/// on both sides of every request (measured in docs/benchmarks.md,
/// 2026-12-01). cnats' collector only defers the same `natsMsg_free`; its one
/// other check skips messages cnats still owns (JetStream auto-ack callbacks,
/// internal control messages), and neither ever reaches a core subscription's
/// callback. Everything else (JetStream fetches, synchronous replies) keeps
/// `natsMsg_Destroy`.
func freeDeliveredMessage(_ message: OpaquePointer) {
    natsMsg_free(UnsafeMutableRawPointer(message))
}
