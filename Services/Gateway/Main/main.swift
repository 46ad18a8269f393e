import AgionGateway
import AgionRuntime
import Foundation
import NIOCore
import NIOPosix

// agion-gateway: reads AGION_* (docs/configuration.md), serves the public API
// until SIGTERM.
let environment = ProcessInfo.processInfo.environment
// `agion-gateway openapi` prints the OpenAPI document (CI validates it) and exits.
if CommandLine.arguments.dropFirst().first == "openapi" {
    print(Gateway.openAPIDocument())
    exit(0)
}
let gatewayConfiguration: GatewayConfiguration
do { gatewayConfiguration = try GatewayConfiguration(environment: environment) } catch { ServiceMain.fail(Gateway.serviceName, error) }
// The number of event loops must be set before the loops exist.
if let loops = gatewayConfiguration.eventLoops { NIOSingletons.groupLoopCountSuggestion = loops }
// Swift concurrency's jobs run on NIO's event loops, so a request's handler
// and its socket share threads instead of hopping between the two pools for
// every await (measured: about 20% less CPU per request, docs/benchmarks.md).
// Safe because nothing in the gateway blocks a cooperative thread: libpq,
// hiredis and cnats calls run on their own threads. Before any task.
let takenOver = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
await ServiceMain.run(Gateway.self, environment: environment, configuration: gatewayConfiguration) { runtime in
    runtime.logger.info("gateway.executor", metadata: ["tasks_on_event_loops": "\(takenOver)",
                                                       "event_loops": "\(NIOSingletons.groupLoopCountSuggestion)"])
}
