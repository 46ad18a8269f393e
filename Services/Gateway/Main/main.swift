import AgionGateway
import AgionRuntime
import Foundation
import Logging

// agion-gateway: reads AGION_* (docs/configuration.md), serves the public API
// until SIGTERM.
let environment = ProcessInfo.processInfo.environment
// `agion-gateway openapi` prints the OpenAPI document (CI validates it) and exits.
if CommandLine.arguments.dropFirst().first == "openapi" {
    print(Gateway.openAPIDocument())
    exit(0)
}
let configuration = try ServiceConfiguration(serviceName: Gateway.serviceName, defaultAdminPort: Gateway.adminPort, environment: environment)
RuntimeBootstrap.bootstrap(configuration)
let runtime = try await ServiceRuntime.start(configuration, logger: Logger(label: "agion.gateway"))
let services = try await Gateway.build(runtime: runtime, configuration: try GatewayConfiguration(environment: environment))
try await runtime.run(services, checks: Gateway.readinessChecks(runtime))
