import AgionGateway
import AgionRuntime
import Foundation
import Logging
import NIOCore
import NIOPosix

// agion-gateway: reads AGION_* (docs/configuration.md), serves the public API
// until SIGTERM.
// Swift concurrency's jobs run on NIO's event loops, so a request's handler
// and its socket share threads instead of hopping between the two pools for
// every await (measured: about 20% less CPU per request, docs/benchmarks.md).
// Safe because nothing in the gateway blocks a cooperative thread: libpq,
// hiredis and cnats calls run on their own threads. First, before any task.
let takenOver = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
let environment = ProcessInfo.processInfo.environment
// `agion-gateway openapi` prints the OpenAPI document (CI validates it) and exits.
if CommandLine.arguments.dropFirst().first == "openapi" {
    print(Gateway.openAPIDocument())
    exit(0)
}
let configuration = try ServiceConfiguration(serviceName: Gateway.serviceName, defaultAdminPort: Gateway.adminPort, environment: environment)
RuntimeBootstrap.bootstrap(configuration)
let runtime = try await ServiceRuntime.start(configuration, logger: Logger(label: "agion.gateway"))
runtime.logger.info("gateway.executor", metadata: ["tasks_on_event_loops": "\(takenOver)"])
let services = try await Gateway.build(runtime: runtime, configuration: try GatewayConfiguration(environment: environment))
try await runtime.run(services, checks: Gateway.readinessChecks(runtime))
