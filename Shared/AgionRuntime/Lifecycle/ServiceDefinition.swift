import Foundation
import Logging
import ServiceLifecycle

/// A service's settings of its own, read from `AGION_<SERVICE>_*`.
public protocol EnvironmentConfiguration {
    init(environment: [String: String]) throws(ConfigurationError)
}

/// What a service's `main` needs to know of it: its name and admin port, its
/// settings, the parts it runs and what makes it ready. `ServiceMain.run(_:)`
/// is then the whole `main`, the same for every service.
public protocol ServiceDefinition {
    associatedtype Configuration: EnvironmentConfiguration
    static var serviceName: String { get }
    static var adminPort: Int { get }
    static func build(runtime: ServiceRuntime, configuration: Configuration) async throws -> [any Service]
    static func readinessChecks(_ runtime: ServiceRuntime) -> [ReadinessCheck]
}

extension ServiceMain {
    /// Reads the settings (shared, then the service's own unless given),
    /// starts the runtime, builds the service and runs it until SIGTERM; a
    /// service that cannot start says why and exits 1 (`run(_:_:)`).
    /// `started` runs once the runtime is up (the gateway logs its executor there).
    public static func run<Definition: ServiceDefinition>(
        _ definition: Definition.Type, environment: [String: String] = ProcessInfo.processInfo.environment,
        configuration: Definition.Configuration? = nil, started: (ServiceRuntime) -> Void = { _ in }
    ) async -> Never {
        HealthProbe.runIfAsked(serviceName: Definition.serviceName, defaultAdminPort: Definition.adminPort, environment: environment)
        await run(Definition.serviceName) {
            let shared = try ServiceConfiguration(serviceName: Definition.serviceName, defaultAdminPort: Definition.adminPort,
                                                  environment: environment)
            let own = try configuration ?? Definition.Configuration(environment: environment)
            RuntimeBootstrap.bootstrap(shared)
            let runtime = try await ServiceRuntime.start(shared, logger: Logger(label: "agion.\(Definition.serviceName)"))
            started(runtime)
            let services = try await Definition.build(runtime: runtime, configuration: own)
            do {
                try await runtime.run(services, checks: Definition.readinessChecks(runtime))
            } catch {
                throw ServiceMain.RunFailure(underlying: error)
            }
        }
    }
}
