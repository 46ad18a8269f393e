import AgionGovernance
import AgionRuntime
import Foundation
import Logging

// agion-governance: reads AGION_* (docs/configuration.md), runs until SIGTERM.
let environment = ProcessInfo.processInfo.environment
await ServiceMain.run(Governance.serviceName) {
    let configuration = try ServiceConfiguration(serviceName: Governance.serviceName, defaultAdminPort: Governance.adminPort, environment: environment)
    let governanceConfiguration = try GovernanceConfiguration(environment: environment)
    RuntimeBootstrap.bootstrap(configuration)
    let runtime = try await ServiceRuntime.start(configuration, logger: Logger(label: "agion.governance"))
    let services = try await Governance.build(runtime: runtime, configuration: governanceConfiguration)
    try await runtime.run(services, checks: Governance.readinessChecks(runtime))
}
