import AgionEnvelope
import DequeModule
import Metrics
import Synchronization

/// Coalesces concurrent requests to one high-rate method into batches: one NATS
/// message to the responder and one back for many requests, instead of two
/// each. Under load most of a request's cost is per message (a socket write
/// and a thread wake-up at every hop, twice through nats-server), so batching
/// is what lets the gateway's check rate scale (docs/benchmarks.md).
///
/// Batches form on their own, without a timer: while fewer than
/// `maxInFlight` requests or batches are on the wire, a request goes at once,
/// alone, on the method's own subject (an idle system adds no delay); once
/// that many are out, requests queue, and each reply that comes back sends
/// what queued meanwhile as one batch on `<subject>.batch` (`EnvelopeBatch`).
/// The busier the method, the larger the batches.
///
/// Each request keeps its own envelope (tenant, correlation, trace) and gets
/// its own reply or error; a batch-level failure (timeout, no reply, an error
/// reply to the batch) fails every request in it. If the responders do not
/// serve batches (an older version during a rollout), requests go alone for
/// a while and are not lost.
public final class RequestBatcher: Sendable {
    /// How batches are bounded.
    public struct Limits: Sendable {
        /// Requests in one batch at most. Default 64.
        public var maxBatch: Int
        /// Encoded request bytes in one batch at most: NATS refuses messages
        /// over its `max_payload` (1 MiB by default). A request larger than
        /// this always goes alone. Default 256 KiB.
        public var maxBatchBytes: Int
        /// Requests or batches on the wire at once; beyond that requests wait
        /// for the next batch. Default 1, which makes the largest batches: on
        /// two cores, the gateway's check rate was highest with 1 and fell with
        /// 2 and 4 (docs/benchmarks.md). Raise it when responders have cores to
        /// spare and a batch's round trip is long.
        public var maxInFlight: Int
        /// Requests waiting for a batch at most; beyond that they fail at once
        /// with `.overloaded` instead of waiting into their timeout. Default 10,000.
        public var maxQueued: Int

        public init(maxBatch: Int = 64, maxBatchBytes: Int = 256 << 10, maxInFlight: Int = 1, maxQueued: Int = 10_000) {
            self.maxBatch = max(maxBatch, 1)
            self.maxBatchBytes = max(maxBatchBytes, 1)
            self.maxInFlight = max(maxInFlight, 1)
            self.maxQueued = max(maxQueued, 0)
        }
    }

    /// The method's subject (batches go to `EnvelopeBatch.subject(for:)`).
    public let subject: String
    public let limits: Limits
    let batchSubject: String
    private let mux: RequestMux
    private let state = Mutex(State())
    private let batches: Counter
    private let batchedRequests: Counter
    /// How long requests go alone after the responders turned out not to serve batches.
    static let unbatchedPeriod: Duration = .seconds(10)

    private struct Item: Sendable {
        let token: UInt64
        let bytes: [UInt8]
        let deadline: ContinuousClock.Instant
    }

    private struct State {
        var queue = Deque<Item>()
        /// Every request not yet answered, queued or on the wire; whoever removes
        /// a request's continuation resumes it, so each is resumed exactly once.
        var waiting: [UInt64: CheckedContinuation<Envelope, any Error>] = [:]
        var inFlight = 0
        var nextToken: UInt64 = 0
        var unbatchedUntil: ContinuousClock.Instant?
    }

    init(mux: RequestMux, subject: String, limits: Limits) {
        self.mux = mux
        self.subject = subject
        self.limits = limits
        self.batchSubject = EnvelopeBatch.subject(for: subject)
        batches = Counter(label: "agion_rpc_batches_total", dimensions: [("subject", subject)])
        batchedRequests = Counter(label: "agion_rpc_batched_requests_total", dimensions: [("subject", subject)])
    }

    /// Sends `envelope` to the method, alone or in a batch, and waits for its
    /// reply. Throws `BusError` as `Bus.request` does, and `.overloaded` when
    /// too many requests are waiting already.
    public func request(_ envelope: Envelope, timeout: Duration = .seconds(2)) async throws -> Envelope {
        let bytes = try envelope.encoded()
        let now = ContinuousClock.now
        let unbatched = state.withLock { state in state.unbatchedUntil.map { now < $0 } ?? false }
        if bytes.count > limits.maxBatchBytes || unbatched {
            return try await mux.request(subject: subject, payload: bytes, timeout: timeout)
        }
        let token = state.withLock { state -> UInt64 in
            state.nextToken &+= 1
            return state.nextToken
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let item = Item(token: token, bytes: bytes, deadline: now + timeout)
                enum Admission { case send, queued, overloaded }
                let admission = state.withLock { state -> Admission in
                    if state.inFlight < limits.maxInFlight {
                        state.inFlight += 1
                        state.waiting[token] = continuation
                        return .send
                    }
                    guard state.queue.count < limits.maxQueued else { return .overloaded }
                    state.waiting[token] = continuation
                    state.queue.append(item)
                    return .queued
                }
                switch admission {
                case .send: dispatch([item])
                case .queued: break
                case .overloaded:
                    continuation.resume(throwing: BusError(.overloaded, "\(limits.maxQueued) requests to \(subject) are waiting already"))
                    return
                }
                // Cancelled before the request was registered: the handler below found nothing to cancel.
                if Task.isCancelled { finish(token, .failure(BusError(.cancelled, "request \(subject) cancelled"))) }
            }
        } onCancel: {
            finish(token, .failure(BusError(.cancelled, "request \(subject) cancelled")))
        }
    }

    /// Resumes the request `token`, once; later results for it are dropped.
    private func finish(_ token: UInt64, _ result: Result<Envelope, any Error>) {
        state.withLock { $0.waiting.removeValue(forKey: token) }?.resume(with: result)
    }

    /// Puts `items` on the wire: one alone on the method's subject, several as a batch.
    private func dispatch(_ items: [Item]) {
        // The batch may wait no longer than its most urgent request.
        let remaining = max(items.map(\.deadline).min()! - ContinuousClock.now, .milliseconds(1))
        guard items.count > 1 else {
            let token = items[0].token
            mux.request(subject: subject, payload: items[0].bytes, timeout: remaining) { result in
                self.finish(token, result)
                self.sendNext()
            }
            return
        }
        batches.increment()
        batchedRequests.increment(by: items.count)
        let payload: [UInt8]
        do {
            payload = try Envelope(type: EnvelopeBatch.envelopeType, tenant: "", payload: EnvelopeBatch(envelopes: items.map(\.bytes)).encoded())
                .encoded()
        } catch {
            // Unreachable (the outer envelope's strings are constants); fail the requests rather than trap.
            for item in items { finish(item.token, .failure(error)) }
            sendNext()
            return
        }
        mux.request(subject: batchSubject, payload: payload, timeout: remaining) { result in
            self.deliver(result, to: items)
            self.sendNext()
        }
    }

    /// A reply arrived (or the wait ended): send what queued meanwhile, or
    /// give the slot back.
    private func sendNext() {
        let now = ContinuousClock.now
        let (next, expired) = state.withLock { state -> ([Item], [Item]) in
            var next: [Item] = [], expired: [Item] = []
            var bytes = 0
            while let item = state.queue.first, next.count < limits.maxBatch {
                guard state.waiting[item.token] != nil else { state.queue.removeFirst(); continue }  // cancelled
                guard item.deadline > now else { expired.append(state.queue.removeFirst()); continue }
                guard next.isEmpty || bytes + item.bytes.count <= limits.maxBatchBytes else { break }
                bytes += item.bytes.count
                next.append(state.queue.removeFirst())
            }
            if next.isEmpty { state.inFlight -= 1 }
            return (next, expired)
        }
        for item in expired { finish(item.token, .failure(BusError(.timeout, "no reply from \(subject): the request waited out its timeout"))) }
        if !next.isEmpty { dispatch(next) }
    }

    /// Hands each request of a batch its own reply.
    private func deliver(_ result: Result<Envelope, any Error>, to items: [Item]) {
        let reply: Envelope
        switch result {
        case .success(let envelope):
            reply = envelope
        case .failure(let error as BusError) where error.code == .noResponders:
            // Nobody serves batches of this method: replicas of an older version.
            // Send these alone, and the next ones for a while.
            state.withLock { $0.unbatchedUntil = ContinuousClock.now + Self.unbatchedPeriod }
            let now = ContinuousClock.now
            for item in items {
                mux.request(subject: subject, payload: item.bytes, timeout: max(item.deadline - now, .milliseconds(1))) { result in
                    self.finish(item.token, result)
                }
            }
            return
        case .failure(let error):
            for item in items { finish(item.token, .failure(error)) }
            return
        }
        guard reply.type == EnvelopeBatch.envelopeType, let batch = try? EnvelopeBatch(decoding: reply.payload),
              batch.envelopes.count == items.count else {
            let error = BusError(.decodeFailed, "\(batchSubject) answered \(reply.type), not one reply per request")
            for item in items { finish(item.token, .failure(error)) }
            return
        }
        for (item, bytes) in zip(items, batch.envelopes) {
            do {
                finish(item.token, interpretReply(try Envelope(decoding: bytes)))
            } catch {
                finish(item.token, .failure(BusError(.decodeFailed, "undecodable reply in a batch: \(error)")))
            }
        }
    }
}
