import AgionBus
import AgionCache
import AgionStore
import Logging
import ServiceLifecycle

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
    public func serviceGroup(_ services: [any Service], checks: [ReadinessCheck],
                             handlesSignals: Bool = true) -> ServiceGroup {
        let admin = AdminServer.application(host: configuration.adminHost, port: configuration.adminPort,
                                            checks: checks, registry: RuntimeBootstrap.registry, logger: logger)
        var group = ServiceGroupConfiguration(services: [admin] + services,
                                              gracefulShutdownSignals: handlesSignals ? [.sigterm, .sigint] : [], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.shutdownTimeout
        group.maximumCancellationDuration = .seconds(5)
        return ServiceGroup(configuration: group)
    }

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
