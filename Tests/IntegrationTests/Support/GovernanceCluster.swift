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
    private var starting: Task<[ServiceReplica], any Error>?
    private var client: Bus?
    private var cleaned = false

    static func configuration(spool: String) -> GovernanceConfiguration {
        var configuration = GovernanceConfiguration()
        configuration.schema = schema
        configuration.spoolDirectory = spool
        configuration.cachePrefix = cachePrefix
        configuration.checkThreads = 2
        // The default head interval (1 s): a fifth of a second made the two
        // replicas' tree builders and their audit_head events a visible share
        // of the shared servers' work while every suite runs.
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
        // One start at a time: callers from several suites may arrive together
        // (actor methods are reentrant at every await).
        if replicas.isEmpty {
            if starting == nil {
                starting = Task {
                    var started: [ServiceReplica] = []
                    for i in 0..<2 { started.append(try await Self.startReplica(spool: Self.spoolDirectory("r\(i)"))) }
                    return started
                }
            }
            let task = starting!
            do {
                let started = try await task.value
                if replicas.isEmpty { replicas = started }
                starting = nil
            } catch {
                starting = nil
                throw error
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

    /// `bus()`, then waits until a replica answers (after a failure test the
    /// replicas are started again and take a moment to subscribe).
    func serving() async throws -> Bus {
        let bus = try await bus()
        try await eventually(timeout: .seconds(30), "governance serving") {
            do {
                _ = try await bus.call(GovernanceSubjects.listPolicies, ListPolicyRevisionsRequest(), tenant: "probe",
                                       as: ListPolicyRevisionsResponse.self, timeout: .seconds(1))
                return true
            } catch let error as BusError where error.code == .noResponders || error.code == .timeout {
                return false
            } catch {
                return true  // an error reply is an answer
            }
        }
        return bus
    }

    /// Stops both replicas (graceful); the next `bus()` starts them again.
    func stop() async {
        for replica in replicas { await replica.stop() }
        replicas.removeAll()
    }
}
