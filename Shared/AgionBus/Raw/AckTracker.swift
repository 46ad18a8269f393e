import Synchronization

/// Waiters for async-publish acks and the window that bounds how many
/// publishes are in flight. Keyed by the address of the published `natsMsg`:
/// cnats hands that same message to the ack handler, and the address cannot be
/// reused before the handler has settled and destroyed it.
final class AckTracker: Sendable {
    /// Who is told about an ack: one task, or one slot of a batch.
    enum Waiter: Sendable {
        case single(CheckedContinuation<PublishAck, any Error>)
        case batch(BatchCollector, Int)

        func settle(_ result: Result<PublishAck, any Error>) {
            switch self {
            case .single(let continuation): continuation.resume(with: result)
            case .batch(let collector, let index): collector.settle(index, result)
            }
        }
    }

    private struct State {
        var waiters: [UInt: Waiter] = [:]
        var inFlight = 0
        var blocked: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let limit: Int
    private let state = Mutex(State())

    init(limit: Int) { self.limit = limit }

    /// Waits until `count` (≤ limit) more publishes fit in the window, then takes them.
    func reserve(_ count: Int) async {
        let count = min(count, limit)
        if state.withLock({ s -> Bool in
            guard s.blocked.isEmpty, s.inFlight + count <= limit else { return false }
            s.inFlight += count
            return true
        }) { return }
        await withCheckedContinuation { continuation in
            let admitted = state.withLock { s -> Bool in
                if s.blocked.isEmpty, s.inFlight + count <= limit { s.inFlight += count; return true }
                s.blocked.append((count, continuation))
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    func register(_ message: OpaquePointer, _ waiter: Waiter) {
        state.withLock { $0.waiters[UInt(bitPattern: Int(bitPattern: message))] = waiter }
    }

    /// Settles the publish of `message`; also releases its window slot.
    func settle(_ message: OpaquePointer, _ result: Result<PublishAck, any Error>) {
        var admitted: [CheckedContinuation<Void, Never>] = []
        let waiter = state.withLock { s -> Waiter? in
            guard let first = s.waiters.removeValue(forKey: UInt(bitPattern: Int(bitPattern: message))) else { return nil }
            s.inFlight -= 1
            while let next = s.blocked.first, s.inFlight + next.count <= limit {
                s.inFlight += next.count
                admitted.append(next.continuation)
                s.blocked.removeFirst()
            }
            return first
        }
        admitted.forEach { $0.resume() }
        waiter?.settle(result)
    }

    /// Settles a publish that never reached cnats (it failed before a message existed).
    func fail(_ waiter: Waiter, _ error: any Error) {
        var admitted: [CheckedContinuation<Void, Never>] = []
        state.withLock { s in
            s.inFlight -= 1
            while let next = s.blocked.first, s.inFlight + next.count <= limit {
                s.inFlight += next.count
                admitted.append(next.continuation)
                s.blocked.removeFirst()
            }
        }
        admitted.forEach { $0.resume() }
        waiter.settle(.failure(error))
    }
}

/// Collects the acks of one batch and completes once all have settled.
final class BatchCollector: Sendable {
    private struct State {
        var acks: [PublishAck?]
        var firstError: (any Error)?
        var remaining: Int
    }
    private let state: Mutex<State>
    private let onComplete: @Sendable (Result<[PublishAck], any Error>) -> Void

    init(count: Int, onComplete: @escaping @Sendable (Result<[PublishAck], any Error>) -> Void) {
        state = Mutex(State(acks: Array(repeating: nil, count: count), firstError: nil, remaining: count))
        self.onComplete = onComplete
    }

    func settle(_ index: Int, _ result: Result<PublishAck, any Error>) {
        let done = state.withLock { s -> Result<[PublishAck], any Error>? in
            switch result {
            case .success(let ack): s.acks[index] = ack
            case .failure(let error): if s.firstError == nil { s.firstError = error }
            }
            s.remaining -= 1
            guard s.remaining == 0 else { return nil }
            if let error = s.firstError { return .failure(error) }
            return .success(s.acks.map { $0! })
        }
        if let done { onComplete(done) }
    }
}
