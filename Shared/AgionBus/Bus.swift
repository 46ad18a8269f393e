import AgionEnvelope
import Foundation
import Logging

/// A process's connection to NATS: request/reply, responders, plain publishes and
/// JetStream. Thread-safe; one per process is enough.
public final class Bus: Sendable {
    let connection: NatsConnection
    private let requests: RequestMux
    /// JetStream on this connection.
    public let jetStream: JetStream
    let logger: Logger

    private init(connection: NatsConnection, inboxPrefix: String?, logger: Logger) throws(BusError) {
        self.connection = connection
        self.requests = try RequestMux(connection: connection, inboxPrefix: inboxPrefix)
        self.jetStream = try JetStream(connection: connection, logger: logger)
        self.logger = logger
    }

    /// Connects (on a blocking-pool thread: cnats connects synchronously).
    public static func connect(_ configuration: BusConfiguration, logger: Logger) async throws -> Bus {
        var refusals = 0
        while true {
            var result: Result<Bus, BusError> = await BlockingPool.shared.run {
                Result { () throws(BusError) in
                    try Bus(connection: NatsConnection(configuration, logger: logger), inboxPrefix: configuration.inboxPrefix, logger: logger)
                }
            }
            // Handed back before it was up, a connection whose credentials are
            // refused is closed by cnats soon after, not retried: every
            // subscription made on it would fail ("Connection Closed").
            if case .success(let bus) = result, await bus.connection.closedBeforeConnecting(within: .seconds(2)) {
                result = .failure(BusError(.closed, "the connection to \(configuration.url) was closed before it was ever up"))
            }
            switch result {
            case .success(let bus):
                return bus
            case .failure(let error) where configuration.credentialsFile != nil && refusals < 6 && error.mayBeAccountLoading:
                // nats-server 2.9 loads an account from its resolver on the
                // first connection to it, and connections racing that first
                // one were seen refused (or closed) with valid credentials
                // (docs/security.md): try again shortly, a few times.
                refusals += 1
                logger.warning("nats.connect_refused_retrying", metadata: ["error": "\(error)", "attempt": "\(refusals)"])
                try await Task.sleep(for: .milliseconds(50 << refusals))
            case .failure(let error):
                throw error
            }
        }
    }

    /// True while the connection is up (false while reconnecting).
    public var isConnected: Bool { connection.isConnected }

    /// The largest message the server takes (its `max_payload`; 0 while not connected).
    public var maxPayload: Int { connection.maxPayload }

    /// Since when the connection is down, and a signal each time it comes back.
    public var link: ConnectionLink { connection.link }

    /// Sends a request envelope and waits for the reply. Throws `BusError` with
    /// `.timeout`, `.noResponders`, or `.remote` (carrying the `ErrorReply`).
    public func request(_ subject: String, _ envelope: Envelope, timeout: Duration = .seconds(2)) async throws -> Envelope {
        try await requests.request(subject: subject, payload: try envelope.encoded(), timeout: timeout)
    }

    /// A batcher for `subject`: concurrent requests to it share NATS messages
    /// (`RequestBatcher`). Its responders must serve `<subject>.batch` too
    /// (`respondBlocking(_:queue:threads:batchHandler:handler:)`); if none do,
    /// requests still go alone. Make one per method and keep it.
    public func batcher(for subject: String, limits: RequestBatcher.Limits = .init()) -> RequestBatcher {
        RequestBatcher(mux: requests, subject: subject, limits: limits)
    }

    /// Sends raw bytes as a request (for tests of malformed input and for bridges).
    public func request(_ subject: String, bytes: [UInt8], timeout: Duration = .seconds(2)) async throws -> Envelope {
        try await requests.request(subject: subject, payload: bytes, timeout: timeout)
    }

    /// Sends a request and blocks the calling thread until the reply: for code
    /// that already runs on a thread of its own (a `BlockingRPCHandler`, a load
    /// generator), never on the cooperative pool. Same errors as `request`.
    public func requestBlocking(_ subject: String, _ envelope: Envelope, timeout: Duration = .seconds(2)) throws -> Envelope {
        let bytes = try envelope.encoded()
        // As `request`: no waiting out the timeout on a connection that is down.
        guard connection.isConnected else { throw BusError(.connectionFailed, "request \(subject): not connected to NATS (reconnecting)") }
        return try connection.requestBlocking(subject, bytes: bytes, timeout: timeout)
    }

    /// Publishes on core NATS, not stored: for live progress and notifications.
    public func publish(_ subject: String, _ envelope: Envelope) throws {
        try connection.publish(subject, bytes: try envelope.encoded())
    }

    /// Publishes raw bytes on core NATS (for tests of malformed input and for bridges).
    public func publish(_ subject: String, bytes: [UInt8]) throws {
        try connection.publish(subject, bytes: bytes)
    }

    /// A request and reply of plain bytes, not envelopes: for NATS's own API
    /// (`$SYS.REQ.CLAIMS.UPDATE`), never for Agion's subjects.
    public func requestRaw(_ subject: String, bytes: [UInt8], timeout: Duration = .seconds(2)) async throws -> [UInt8] {
        guard connection.isConnected else { throw BusError(.connectionFailed, "request \(subject): not connected to NATS (reconnecting)") }
        let connection = self.connection
        return try await BlockingPool.shared.run { () -> Result<[UInt8], BusError> in
            Result { () throws(BusError) in try connection.requestRawBlocking(subject, bytes: bytes, timeout: timeout) }
        }.get()
    }

    /// Serves `subject` in queue group `queue` (normally the service name);
    /// `scope` says who calls there (`RequestScope`).
    public func respond(_ subject: String, queue: String, scope: RequestScope = .platform, maxConcurrent: Int = 64, maxPending: Int = 10_000,
                        handler: @escaping RPCHandler) throws -> Responder {
        try Responder(connection: connection, subject: subject, queue: queue, scope: scope, maxConcurrent: maxConcurrent,
                      maxPending: maxPending, logger: logger, handler: handler)
    }

    /// Serves `subject` with a synchronous handler run on `threads` cnats delivery
    /// threads (see `BlockingResponder`): the lowest-latency way to answer.
    /// The default, one thread per core, measured best for CPU-bound handlers
    /// (docs/benchmarks.md); handlers that wait on I/O may want more.
    /// With a `batchHandler`, it also serves `<subject>.batch` (batches from a
    /// `RequestBatcher`) on as many threads again: the handler gets a batch's
    /// requests at once, so work such as an audit write is done once per batch.
    public func respondBlocking(_ subject: String, queue: String, scope: RequestScope = .platform,
                                threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                                batchHandler: BlockingBatchHandler? = nil,
                                handler: @escaping BlockingRPCHandler) throws -> BlockingResponder {
        try BlockingResponder(connection: connection, subject: subject, queue: queue, scope: scope, threads: threads, logger: logger,
                              batchHandler: batchHandler, handler: handler)
    }

    /// Flushes what is buffered and waits for the server to acknowledge it.
    public func flush(timeout: Duration = .seconds(5)) async throws {
        try await connection.flush(timeout: timeout)
    }

    /// Drains every subscription of this connection, then closes it.
    public func drain(timeout: Duration = .seconds(10)) async throws {
        requests.close()
        try connection.startDrain(timeout: timeout)
        await connection.waitUntilClosed(deadline: ContinuousClock.now + timeout + .seconds(1))
    }
}
