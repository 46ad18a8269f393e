import Synchronization

/// Waiters for async-publish acks, keyed by `Nats-Msg-Id`, and the window that
/// bounds how many publishes are in flight.
final class AckTracker: Sendable {
    struct Waiter: Sendable {
        let settle: @Sendable (Result<PublishAck, any Error>) -> Void
        init(_ settle: @escaping @Sendable (Result<PublishAck, any Error>) -> Void) { self.settle = settle }
    }

    private struct State {
        // Several publishes may share an id (a relay retrying): each gets the ack.
        var waiters: [String: [Waiter]] = [:]
        var inFlight = 0
        var blocked: [CheckedContinuation<Void, Never>] = []
    }

    private let limit: Int
    private let state = Mutex(State())

    init(limit: Int) { self.limit = limit }

    /// Waits until `count` more publishes fit in the window, then takes them.
    func reserve(_ count: Int) async {
        if state.withLock({ s -> Bool in
            guard s.inFlight + count <= limit else { return false }
            s.inFlight += count
            return true
        }) { return }
        await withCheckedContinuation { continuation in
            let admitted = state.withLock { s -> Bool in
                if s.inFlight + count <= limit { s.inFlight += count; return true }
                s.blocked.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    func register(_ msgID: String, _ waiter: Waiter) {
        state.withLock { $0.waiters[msgID, default: []].append(waiter) }
    }

    func settle(_ msgID: String, _ result: Result<PublishAck, any Error>) {
        let (waiter, resumed) = state.withLock { s -> (Waiter?, CheckedContinuation<Void, Never>?) in
            guard var list = s.waiters[msgID], !list.isEmpty else { return (nil, nil) }
            let first = list.removeFirst()
            s.waiters[msgID] = list.isEmpty ? nil : list
            s.inFlight -= 1
            // Admit one blocked publisher per freed slot (each reserved one).
            return (first, s.blocked.isEmpty ? nil : s.blocked.removeFirst().self)
        }
        if let resumed {
            state.withLock { $0.inFlight += 1 }
            resumed.resume()
        }
        waiter?.settle(result)
    }
}

/// Collects the acks of one batch and completes once all have settled.
final class BatchCollector: @unchecked Sendable {
    // @unchecked: every field is guarded by `lock`; `onComplete` is set before
    // the first publish of the batch.
    private let lock = Mutex(())
    private var results: [Result<PublishAck, any Error>?]
    private var remaining: Int
    var onComplete: (@Sendable (Result<[PublishAck], any Error>) -> Void)?

    init(count: Int) {
        results = Array(repeating: nil, count: count)
        remaining = count
        if count == 0 { remaining = 0 }
    }

    func settle(_ index: Int, _ result: Result<PublishAck, any Error>) {
        let done = lock.withLock { _ -> Bool in
            results[index] = result
            remaining -= 1
            return remaining == 0
        }
        guard done else { return }
        var acks: [PublishAck] = []
        acks.reserveCapacity(results.count)
        for result in results {
            switch result {
            case .success(let ack): acks.append(ack)
            case .failure(let error): onComplete?(.failure(error)); return
            case nil: return
            }
        }
        onComplete?(.success(acks))
    }
}
