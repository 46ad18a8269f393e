import AgionEnvelope
import CNats
import Dispatch
import NIOPosix
import Synchronization

/// A pull subscription bound to a durable consumer, read as an async sequence.
///
/// Fetches run on a thread of this consumer's own (cnats' fetch blocks until
/// messages or its timeout), never on the cooperative pool. One fetch loop per
/// subscription: cnats refuses concurrent fetches; scale with more consumers on
/// the same durable.
public final class PullConsumer: AsyncSequence, Sendable {
    public typealias Element = JetStreamMessage

    public let stream: String
    public let durable: String
    let jetStream: JetStream
    private let subscription: RawPullSubscription
    private let thread: NIOThreadPool
    private let batch: Int
    private let stopped = Atomic<Bool>(false)

    init(jetStream: JetStream, stream: String, durable: String, batch: Int) throws(BusError) {
        self.jetStream = jetStream
        self.stream = stream
        self.durable = durable
        self.batch = Swift.max(batch, 1)
        self.subscription = try RawPullSubscription(context: jetStream.context, stream: stream, durable: durable)
        self.thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
    }

    deinit {
        // Never block here (deinit may run on the cooperative pool). The callback
        // holds the subscription until the fetch thread has stopped, so no fetch is
        // using it when it is destroyed (a cnats 3.4.1 crash otherwise).
        let subscription = self.subscription
        thread.shutdownGracefully(queue: .global()) { _ in withExtendedLifetime(subscription) {} }
    }

    /// Ends iteration after the fetch in progress returns (within `pollInterval`).
    public func stop() { stopped.store(true, ordering: .relaxed) }

    /// Stops and removes the subscription's interest once no fetch is using it
    /// (the durable consumer stays). Call it when done: a pull subscription
    /// left to the connection's drain never completes it, because the server's
    /// late answers to the last pull request (408 status messages) sit in its
    /// queue with nobody fetching, and the drain waits out its timeout.
    public func close() async {
        stop()
        let subscription = self.subscription
        // The consumer's own thread runs one job at a time, so this comes after any fetch.
        await thread.run { _ = natsSubscription_Unsubscribe(subscription.raw) }
    }

    public var isStopped: Bool { stopped.load(ordering: .relaxed) }

    /// Fetches up to `max` messages, waiting at most `timeout` for the first.
    /// Returns an empty array when none arrived.
    public func fetch(max: Int, timeout: Duration) async throws -> [JetStreamMessage] {
        let subscription = self.subscription
        let result: Result<[JetStreamMessage], BusError> = await thread.run {
            Result { () throws(BusError) in try subscription.fetch(max: max, timeout: timeout) }
        }
        return try result.get()
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: PullConsumer
        var buffer: [JetStreamMessage] = []
        var index = 0

        public mutating func next() async throws -> JetStreamMessage? {
            while index >= buffer.count {
                if consumer.isStopped || Task.isCancelled { return nil }
                buffer = try await consumer.fetch(max: consumer.batch, timeout: PullConsumer.pollInterval)
                index = 0
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: self) }

    /// How long one fetch waits for messages before checking for stop.
    static let pollInterval: Duration = .milliseconds(500)
}

/// Owns the cnats pull subscription.
final class RawPullSubscription: @unchecked Sendable {
    // @unchecked: used by one fetch thread at a time (the consumer's own thread);
    // destroyed in deinit, once the fetch thread has stopped and every message
    // it delivered (each holds this object) is gone.
    let raw: OpaquePointer

    init(context: OpaquePointer, stream: String, durable: String) throws(BusError) {
        var options = jsSubOptions()
        jsSubOptions_Init(&options)
        var sub: OpaquePointer?
        var jsErr = jsErrCode(0)
        let status = stream.withCString { streamName in
            durable.withCString { consumerName in
                options.Stream = streamName
                options.Consumer = consumerName
                return js_PullSubscribe(&sub, context, nil, consumerName, nil, &options, &jsErr)
            }
        }
        guard status == NATS_OK, let sub else { throw busError(status, "pull subscribe \(stream)/\(durable)", jetStreamCode: jsErr) }
        self.raw = sub
    }

    deinit { natsSubscription_Destroy(raw) }

    func fetch(max: Int, timeout: Duration) throws(BusError) -> [JetStreamMessage] {
        var list = natsMsgList()
        var jsErr = jsErrCode(0)
        let status = natsSubscription_Fetch(&list, raw, Int32(max), timeout.milliseconds, &jsErr)
        if status == NATS_TIMEOUT { return [] }
        try check(status, "fetch", jetStreamCode: jsErr)
        var messages: [JetStreamMessage] = []
        messages.reserveCapacity(Int(list.Count))
        for i in 0..<Int(list.Count) {
            if let msg = list.Msgs[i] {
                messages.append(JetStreamMessage(msg, subscription: self))
                // Kept messages must be nulled before the list is destroyed.
                list.Msgs[i] = nil
            }
        }
        natsMsgList_Destroy(&list)
        return messages
    }
}
