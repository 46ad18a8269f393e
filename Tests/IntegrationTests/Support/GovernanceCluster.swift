import AgionBus
import AgionContract
import AgionEnvelope
import AgionGovernance
import AgionRuntime
import Foundation

/// Two governance replicas shared by the governance tests (one cluster per
/// test process, since RPC subjects are global), each with its own audit
/// spool. Tests that need governance to themselves stop it and restart it.
actor GovernanceCluster {
    static let shared = GovernanceCluster()
    static let schema = "it_governance"
    static let cachePrefix = "it:gov"

    private var replicas: [ServiceReplica] = []
    private var client: Bus?
    private var cleaned = false

    static func configuration(spool: String) -> GovernanceConfiguration {
        var configuration = GovernanceConfiguration()
        configuration.schema = schema
        configuration.spoolDirectory = spool
        configuration.cachePrefix = cachePrefix
        configuration.checkThreads = 2
        return configuration
    }

    static func spoolDirectory(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("agion-it-spool-\(name)-\(ProcessInfo.processInfo.processIdentifier)").path
    }

    /// A client connection once both replicas serve (starting them if needed).
    func bus() async throws -> Bus {
        if !cleaned {
            let pool = TestEnvironment.pool(size: 1)
            await TestEnvironment.dropSchema(Self.schema, pool)
            await pool.shutdown()
            cleaned = true
        }
        if replicas.isEmpty {
            for i in 0..<2 {
                replicas.append(try await Self.startReplica(spool: Self.spoolDirectory("r\(i)")))
            }
        }
        if let client { return client }
        let bus = try await TestEnvironment.bus(name: "governance-tests")
        client = bus
        return bus
    }

    static func startReplica(spool: String, configure: (inout ServiceConfiguration) -> Void = { _ in }) async throws -> ServiceReplica {
        try await ServiceReplica.start(Governance.serviceName, configure: configure, build: {
            try await Governance.build(runtime: $0, configuration: Self.configuration(spool: spool))
        }, checks: Governance.readinessChecks)
    }

    /// Stops both replicas (graceful); the next `bus()` starts them again.
    func stop() async {
        for replica in replicas { await replica.stop() }
        replicas.removeAll()
    }
}
