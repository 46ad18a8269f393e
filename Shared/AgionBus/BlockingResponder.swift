import AgionEnvelope
import Logging

/// Handles one RPC method synchronously. It may block (a hiredis call, a
/// synchronous JetStream publish): it runs on a cnats delivery thread, never on
/// Swift's cooperative pool. Errors are answered as with `RPCHandler`.
public typealias BlockingRPCHandler = @Sendable (Envelope) throws -> Envelope

/// Handles a batch of requests to one method synchronously (see
/// `RequestBatcher`): one result per request, in order, each a reply or an
/// error as a `BlockingRPCHandler` would give.
public typealias BlockingBatchHandler = @Sendable ([Envelope]) -> [Result<Envelope, any Error>]

/// Serves a subject with a synchronous handler run directly on cnats' delivery
/// threads: one queue subscription per thread, so `threads` requests run at
/// once in this process. Compared with `Responder` this saves the hop from the
/// delivery thread to the cooperative pool on every request, which is most of
/// what separates `bus.rpc` from plain cnats (docs/benchmarks.md).
///
/// Each subscription handles one request at a time, and NATS picks the
/// subscription at random: a request can wait behind a slow one on the same
/// thread while others are idle. Use it for handlers with short, bounded
/// latency (the governance check); use `Responder` for anything that may take long.
public final class BlockingResponder: Sendable {
    public let subject: String
    private let subscriptions: [Subscription]

    init(connection: NatsConnection, subject: String, queue: String, scope: RequestScope, threads: Int, logger: Logger,
         batchHandler: BlockingBatchHandler?, handler: @escaping BlockingRPCHandler) throws(BusError) {
        self.subject = subject
        let channel = ReplyChannel(connection: connection, subject: subject, logger: logger)
        let core = BlockingResponderCore(channel: channel, scope: scope, handler: handler)
        var subscriptions: [Subscription] = []
        for _ in 0..<max(threads, 1) {
            subscriptions.append(try Subscription(connection: connection, subject: subject, queue: queue, delivery: core))
        }
        if let batchHandler {
            let batches = BlockingBatchResponderCore(channel: channel, handler: batchHandler)
            for _ in 0..<max(threads, 1) {
                subscriptions.append(try Subscription(connection: connection, subject: EnvelopeBatch.subject(for: subject), queue: queue,
                                                      delivery: batches))
            }
        }
        self.subscriptions = subscriptions
    }

    /// Stops taking requests and lets the ones already received reply;
    /// cancelled, it only unsubscribes (as `Responder.drain`).
    public func drain(timeout: Duration = .seconds(10)) async throws {
        if Task.isCancelled {
            subscriptions.forEach { $0.unsubscribe() }
            return
        }
        for subscription in subscriptions { try await subscription.drain(timeout: timeout) }
    }
}

private final class BlockingResponderCore: MessageDelivery, Sendable {
    let channel: ReplyChannel
    let scope: RequestScope
    let handler: BlockingRPCHandler

    init(channel: ReplyChannel, scope: RequestScope, handler: @escaping BlockingRPCHandler) {
        self.channel = channel
        self.scope = scope
        self.handler = handler
    }

    /// cnats delivery thread: the whole request, start to reply, happens here.
    func deliver(_ message: OpaquePointer) {
        let request = IncomingRequest(consuming: message)
        guard let envelope = channel.decode(request, scope: scope) else { return }
        let started = ContinuousClock.now
        let result: Result<Envelope, any Error>
        do { result = .success(try handler(envelope)) } catch { result = .failure(error) }
        channel.answer(result, request: envelope, replyTo: request.reply, started: started)
    }
}
