import AgionRegistry
import AgionRuntime
import Foundation
import Logging

// agion-registry: reads AGION_* (docs/configuration.md), runs until SIGTERM.
let environment = ProcessInfo.processInfo.environment
await ServiceMain.run(Registry.serviceName) {
    let configuration = try ServiceConfiguration(serviceName: Registry.serviceName, defaultAdminPort: Registry.adminPort, environment: environment)
    let registryConfiguration = try RegistryConfiguration(environment: environment)
    RuntimeBootstrap.bootstrap(configuration)
    let runtime = try await ServiceRuntime.start(configuration, logger: Logger(label: "agion.registry"))
    let services = try await Registry.build(runtime: runtime, configuration: registryConfiguration)
    try await runtime.run(services, checks: Registry.readinessChecks(runtime))
}
