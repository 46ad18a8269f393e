import AgionBus
import AgionRuntime
import Logging
import ServiceLifecycle

/// One replica of a service running in the test process with its own NATS
/// connection and pools, exactly as `main` wires it, minus the signal handlers.
final class ServiceReplica: Sendable {
    let runtime: ServiceRuntime
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    private init(runtime: ServiceRuntime, group: ServiceGroup, running: Task<Void, any Error>) {
        self.runtime = runtime
        self.group = group
        self.running = running
    }

    /// Starts a replica named `name` (admin server on a free port).
    static func start(_ name: String, configure: (inout ServiceConfiguration) -> Void = { _ in },
                      build: (ServiceRuntime) async throws -> [any Service],
                      checks: (ServiceRuntime) -> [ReadinessCheck]) async throws -> ServiceReplica {
        var configuration = ServiceConfiguration(serviceName: name, adminPort: 0)
        configuration.bus.url = TestEnvironment.natsURL
        configuration.store.port = TestEnvironment.postgresPort
        configuration.store.poolSize = 4
        configuration.redis.host = TestEnvironment.redisHost
        configuration.redis.port = TestEnvironment.redisPort
        configure(&configuration)
        if configuration.bus.url == TestEnvironment.natsURL, configuration.bus.credentialsFile == nil {
            configuration.bus.credentialsFile = TestEnvironment.sharedCredentials
        }
        let runtime = try await ServiceRuntime.start(configuration, logger: TestEnvironment.logger)
        let services = try await build(runtime)
        let group = runtime.serviceGroup(services, checks: checks(runtime), handlesSignals: false)
        return ServiceReplica(runtime: runtime, group: group, running: Task { try await group.run() })
    }

    /// Graceful stop, as on SIGTERM.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await running.result
        await runtime.shutdown()
    }
}
