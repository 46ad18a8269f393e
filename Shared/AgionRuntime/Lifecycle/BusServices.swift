import AgionBus
import AgionEnvelope
import AgionStore
import ServiceLifecycle

/// Serves RPC methods for the lifetime of a service group: subscribes on start,
/// and on graceful shutdown stops taking requests and lets those in hand reply.
public struct RPCService: Service {
    public struct Method: Sendable {
        public let subject: String
        public let handler: RPCHandler
        public init(_ subject: String, handler: @escaping RPCHandler) {
            self.subject = subject
            self.handler = handler
        }
    }

    private let bus: Bus
    private let queue: String
    private let methods: [Method]
    private let maxConcurrent: Int

    /// - Parameter queue: the queue group, normally the service name, so replicas share requests.
    public init(bus: Bus, queue: String, methods: [Method], maxConcurrent: Int = 64) {
        self.bus = bus
        self.queue = queue
        self.methods = methods
        self.maxConcurrent = maxConcurrent
    }

    public func run() async throws {
        let responders = try methods.map {
            try bus.respond($0.subject, queue: queue, maxConcurrent: maxConcurrent, handler: $0.handler)
        }
        try? await gracefulShutdown()
        for responder in responders { try? await responder.drain() }
    }
}

/// Runs an `EventConsumer`; on graceful shutdown (or cancellation) the message
/// in hand finishes and is acked before `run` returns.
public struct EventConsumerService: Service {
    private let consumer: EventConsumer
    public init(_ consumer: EventConsumer) { self.consumer = consumer }

    public func run() async throws {
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await consumer.run()
        } onCancelOrGracefulShutdown: {
            consumer.stop()
        }
    }
}

/// Runs an `OutboxRelay` until graceful shutdown.
public struct OutboxRelayService: Service {
    private let relay: OutboxRelay
    public init(_ relay: OutboxRelay) { self.relay = relay }

    public func run() async throws {
        await withTaskCancellationOrGracefulShutdownHandler {
            await relay.run()
        } onCancelOrGracefulShutdown: {
            relay.stop()
        }
    }
}

/// Serves one latency-critical method with a blocking responder (the handler
/// runs on cnats' delivery threads); on graceful shutdown stops taking
/// requests and lets those in hand reply.
public struct BlockingRPCService: Service {
    private let bus: Bus
    private let subject: String
    private let queue: String
    private let threads: Int
    private let batchHandler: BlockingBatchHandler?
    private let handler: BlockingRPCHandler

    /// With a `batchHandler`, batches of requests (`RequestBatcher`) are served too.
    public init(bus: Bus, subject: String, queue: String, threads: Int, batchHandler: BlockingBatchHandler? = nil,
                handler: @escaping BlockingRPCHandler) {
        self.bus = bus
        self.subject = subject
        self.queue = queue
        self.threads = threads
        self.batchHandler = batchHandler
        self.handler = handler
    }

    public func run() async throws {
        let responder = try bus.respondBlocking(subject, queue: queue, threads: threads, batchHandler: batchHandler, handler: handler)
        try? await gracefulShutdown()
        try? await responder.drain()
    }
}

/// Hears every envelope on a broadcast subject (`Bus.subscribe`) for the
/// lifetime of a service group, and hands each to `handler` in order: how a
/// replica learns what concerns every replica (cache invalidations).
public struct BroadcastListener: Service {
    private let bus: Bus
    private let subject: String
    private let handler: @Sendable (Envelope) async -> Void

    public init(bus: Bus, subject: String, handler: @escaping @Sendable (Envelope) async -> Void) {
        self.bus = bus
        self.subject = subject
        self.handler = handler
    }

    public func run() async throws {
        let broadcast = try bus.subscribe(subject)
        await cancelWhenGracefulShutdown {
            for await envelope in broadcast { await handler(envelope) }
        }
        broadcast.close()
    }
}
