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
        /// Also served on the agents' own subject (`AgentSubjects.rpcPattern`),
        /// where the caller is the agent the subject names.
        public private(set) var callableByAgents = false
        public init(_ subject: String, handler: @escaping RPCHandler) {
            self.subject = subject
            self.handler = handler
        }

        /// This method, served to agents too. Its handler must check that what
        /// the request acts on belongs to `RequestContext.callerAgent`.
        public func callableByAgents(_ callable: Bool = true) -> Self {
            var method = self
            method.callableByAgents = callable
            return method
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
        var responders: [Responder] = []
        for method in methods {
            responders.append(try bus.respond(method.subject, queue: queue, maxConcurrent: maxConcurrent, handler: method.handler))
            if method.callableByAgents {
                responders.append(try bus.respond(AgentSubjects.agentPattern(forPlatformSubject: method.subject), queue: queue, scope: .agent,
                                                  maxConcurrent: maxConcurrent, handler: method.handler))
            }
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
    private let callableByAgents: Bool
    private let batchHandler: BlockingBatchHandler?
    private let handler: BlockingRPCHandler

    /// With a `batchHandler`, batches of requests (`RequestBatcher`) are served too.
    /// `callableByAgents`: also served on the agents' own subject (one thread;
    /// batches are for platform callers), as `RPCService.Method.callableByAgents`.
    public init(bus: Bus, subject: String, queue: String, threads: Int, callableByAgents: Bool = false,
                batchHandler: BlockingBatchHandler? = nil, handler: @escaping BlockingRPCHandler) {
        self.bus = bus
        self.subject = subject
        self.queue = queue
        self.threads = threads
        self.callableByAgents = callableByAgents
        self.batchHandler = batchHandler
        self.handler = handler
    }

    public func run() async throws {
        var responders = [try bus.respondBlocking(subject, queue: queue, threads: threads, batchHandler: batchHandler, handler: handler)]
        if callableByAgents {
            responders.append(try bus.respondBlocking(AgentSubjects.agentPattern(forPlatformSubject: subject), queue: queue, scope: .agent,
                                                      threads: threads, handler: handler))
        }
        try? await gracefulShutdown()
        for responder in responders { try? await responder.drain() }
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
