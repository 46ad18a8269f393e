import Dispatch
import Synchronization

/// A signal one task waits on with a timeout; signals while nobody waits are
/// remembered (one), so a commit between two relay passes is not missed.
public final class Wakeup: Sendable {
    private let state = Mutex<(pending: Bool, waiter: CheckedContinuation<Void, Never>?, generation: UInt64)>((false, nil, 0))

    public init() {}

    /// Wakes the waiter, or the next `wait` if none is waiting.
    public func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let waiter = s.waiter else { s.pending = true; return nil }
            s.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at the next `signal` (or at once if one came since the last
    /// wait), or after `timeout`.
    public func wait(timeout: Duration) async {
        await withCheckedContinuation { continuation in
            let generation = state.withLock { s -> UInt64? in
                if s.pending { s.pending = false; return nil }
                s.generation += 1
                s.waiter = continuation
                return s.generation
            }
            guard let generation else { continuation.resume(); return }
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(timeout / .nanoseconds(1)))) {
                let expired = self.state.withLock { s -> CheckedContinuation<Void, Never>? in
                    guard s.generation == generation, let waiter = s.waiter else { return nil }
                    s.waiter = nil
                    return waiter
                }
                expired?.resume()
            }
        }
    }
}
