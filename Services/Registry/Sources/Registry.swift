import AgionContract
import AgionRuntime
import AgionStore
import ServiceLifecycle

/// The registry service: agents, their versions and their liveness.
///
/// `build` is what `main` and the integration tests call: it migrates the
/// schema, provisions `AGION_REGISTRY`, and returns the services to run
/// (responders, the health sweeper, the outbox relay).
public enum Registry: ServiceDefinition {
    public static let serviceName = "registry"
    public static let adminPort = 9101

    public static func build(runtime: ServiceRuntime, configuration: RegistryConfiguration) async throws -> [any Service] {
        try await runtime.migrate(schema: configuration.schema, RegistryMigrations.all)
        try await runtime.provision(streams: [EventStreams.registry])
        let store = AgentStore(pool: runtime.store, schema: configuration.schema, offlineAfterTTLs: configuration.offlineAfterTTLs)
        let handlers = RegistryHandlers(store: store, trust: TrustLookup(bus: runtime.bus, timeout: configuration.trustTimeout,
                                                                         logger: runtime.logger))
        let relay = try OutboxRelay(pool: runtime.store, jetStream: runtime.bus.jetStream, schema: configuration.schema,
                                    logger: runtime.logger)
        // Listed in start order; they stop in reverse: responders first, the
        // relay last so events of the final requests still go out.
        return [
            OutboxRelayService(relay),
            HealthSweeper(store: store, interval: configuration.sweepInterval, logger: runtime.logger),
            RPCService(bus: runtime.bus, queue: RegistrySubjects.queue, methods: handlers.methods),
        ]
    }
}

extension Registry {
    /// The registry needs NATS and PostgreSQL; it does not use Redis.
    public static func readinessChecks(_ runtime: ServiceRuntime) -> [ReadinessCheck] {
        [.nats(runtime.bus), .postgres(runtime.store)]
    }
}
