import AgionBus
import AgionCache
import AgionStore
import Logging
import ServiceLifecycle
import Synchronization

/// What every Agion service shares: its configuration, logger, NATS, PostgreSQL
/// and Redis, the admin HTTP server, and a service group that stops gracefully
/// on SIGTERM or SIGINT within `shutdownTimeout`.
///
/// A service's build function makes one, adds its handlers, consumers and
/// relays as `Service`s, and calls `run`.
public final class ServiceRuntime: Sendable {
    public let configuration: ServiceConfiguration
    public let logger: Logger
    public let bus: Bus
    public let store: ConnectionPool
    public let cache: RedisPool
    /// The streams and consumers `provision` declared, declared again on reconnect.
    private let declarations = Mutex<(streams: [StreamSpec], consumers: [ConsumerSpec])>(([], []))

    private init(configuration: ServiceConfiguration, logger: Logger, bus: Bus, store: ConnectionPool, cache: RedisPool) {
        self.configuration = configuration
        self.logger = logger
        self.bus = bus
        self.store = store
        self.cache = cache
    }

    /// Connects to NATS (retrying in the background if it is not up yet) and
    /// prepares the PostgreSQL and Redis pools (they connect on first use).
    public static func start(_ configuration: ServiceConfiguration, logger: Logger) async throws -> ServiceRuntime {
        var busConfiguration = configuration.bus
        busConfiguration.retryOnFailedConnect = true
        let bus = try await Bus.connect(busConfiguration, logger: logger)
        return ServiceRuntime(configuration: configuration, logger: logger, bus: bus,
                              store: ConnectionPool(configuration.store, logger: logger),
                              cache: RedisPool(configuration.redis))
    }

    /// Readiness of the three shared dependencies; Redis optional when the
    /// service can answer from PostgreSQL.
    public func standardChecks(redisRequired: Bool = true) -> [ReadinessCheck] {
        [.nats(bus), .postgres(store), .redis(cache, required: redisRequired)]
    }

    /// A service group of the admin server and `services`, stopped gracefully by
    /// SIGTERM or SIGINT. Services stop in reverse order, so list producers of
    /// work before its consumers; the admin server stops last.
    ///
    /// A part that throws, or returns while nothing asked it to stop, is
    /// logged (`service.part_failed`) and shuts the whole group down
    /// gracefully: the process then exits non-zero for its supervisor to
    /// restart, instead of limping on without, say, its consumer. Every part
    /// also stops on cancellation, so the group's cancellation deadline is
    /// never what ends the process.
    public func serviceGroup(_ services: [any Service], checks: [ReadinessCheck],
                             handlesSignals: Bool = true) -> ServiceGroup {
        let admin = AdminServer.application(host: configuration.adminHost, port: configuration.adminPort,
                                            checks: checks, registry: RuntimeBootstrap.registry, logger: logger)
        let parts: [any Service] = [admin, StreamKeeper(runtime: self)] + services
        var group = ServiceGroupConfiguration(
            services: parts.map {
                .init(service: GuardedPart($0, logger: logger), successTerminationBehavior: .gracefullyShutdownGroup,
                      failureTerminationBehavior: .gracefullyShutdownGroup)
            },
            gracefulShutdownSignals: handlesSignals ? [.sigterm, .sigint] : [], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.shutdownTimeout
        group.maximumCancellationDuration = .seconds(5)
        return ServiceGroup(configuration: group)
    }

    /// Records streams and consumers to declare again on reconnect; returns
    /// the given ones without repeats.
    func declare(streams: [StreamSpec], consumers: [ConsumerSpec]) -> (streams: [StreamSpec], consumers: [ConsumerSpec]) {
        var uniqueStreams: [StreamSpec] = []
        for var stream in streams where !uniqueStreams.contains(where: { $0.name == stream.name }) {
            // The deployment decides how many copies (AGION_STREAM_REPLICAS), not the code.
            stream.replicas = configuration.streamReplicas
            uniqueStreams.append(stream)
        }
        declarations.withLock { declared in
            for stream in uniqueStreams {
                declared.streams.removeAll { $0.name == stream.name }
                declared.streams.append(stream)
            }
            for consumer in consumers {
                declared.consumers.removeAll { $0.stream == consumer.stream && $0.durable == consumer.durable }
                declared.consumers.append(consumer)
            }
        }
        return (uniqueStreams, consumers)
    }

    /// Everything `provision` declared so far.
    var declared: (streams: [StreamSpec], consumers: [ConsumerSpec]) { declarations.withLock { $0 } }

    /// Runs until a signal ends it, then drains NATS and closes the pools.
    public func run(_ services: [any Service], checks: [ReadinessCheck]? = nil) async throws {
        logger.info("service.starting", metadata: ["service.name": "\(configuration.serviceName)",
                                                   "admin.port": "\(configuration.adminPort)"])
        do {
            try await serviceGroup(services, checks: checks ?? standardChecks()).run()
        } catch {
            logger.error("service.failed", metadata: ["error": "\(error)"])
            await shutdown()
            throw error
        }
        await shutdown()
        logger.info("service.stopped", metadata: ["service.name": "\(configuration.serviceName)"])
    }

    /// Drains NATS and closes the pools. `run` does this on exit; call it
    /// yourself only when running `serviceGroup` directly (tests).
    public func shutdown() async {
        try? await bus.drain(timeout: .seconds(5))
        await store.shutdown()
        await cache.shutdown()
    }
}
