import AgionBus
import AgionContract
import AgionCoordination
import AgionEnvelope
import AgionExecution
import AgionJSON
import AgionRuntime
import Foundation
import MissionsCore

/// Two coordination and two execution replicas shared by the mission tests,
/// beside the shared registry and governance replicas. Each test works in a
/// tenant of its own, with agents served by a `TestAgentServer`.
actor MissionsCluster {
    static let shared = MissionsCluster()
    static let coordinationSchema = "it_coordination"
    static let executionSchema = "it_execution"
    /// The replicas' time: a test moves its own tenant's on (approval expiry).
    static let clock = MissionClock()
    /// Tenants' limits: a test sets its own tenant's.
    static let limits = TenantLimits()

    private var replicas: [ServiceReplica] = []
    private var starting: Task<[ServiceReplica], any Error>?
    private var client: Bus?

    static var coordination: CoordinationConfiguration {
        var configuration = CoordinationConfiguration()
        configuration.schema = coordinationSchema
        configuration.timerPollInterval = .milliseconds(50)
        configuration.agentCacheTTL = .milliseconds(200)
        configuration.clock = clock
        configuration.schedulePollInterval = .milliseconds(100)
        configuration.tenantLimits = limits
        configuration.outputSweepInterval = .milliseconds(200)
        // About the attempts both execution replicas run at once (2 × 8): a
        // flood queues in coordination, where it is shared out fairly.
        configuration.dispatchWindow = 24
        return configuration
    }

    static var execution: ExecutionConfiguration {
        var configuration = ExecutionConfiguration()
        configuration.schema = executionSchema
        configuration.concurrency = 8
        return configuration
    }

    /// A client connection once every replica serves.
    func bus() async throws -> Bus {
        _ = try await RegistryCluster.shared.bus()
        _ = try await GovernanceCluster.shared.serving()
        if replicas.isEmpty {
            if starting == nil { starting = Task { try await Self.start() } }
            do {
                let started = try await starting!.value
                if replicas.isEmpty { replicas = started }
            } catch {
                starting = nil
                throw error
            }
        }
        if let client { return client }
        let bus = try await TestEnvironment.bus(name: "missions-tests")
        try await eventually(timeout: .seconds(30), "coordination serving") {
            do {
                _ = try await bus.request(CoordinationSubjects.list, Envelope(type: "x", tenant: "probe",
                                                                              payload: try ProtoSchema.encode(ProtoMessage("agion.v1.ListMissionsRequest"))))
                return true
            } catch let error as BusError where error.code == .noResponders { return false }
        }
        client = bus
        return bus
    }

    /// A replica's start, again if NATS closed its new connection: nats-server
    /// 2.9 now and then refuses valid credentials while an account's JWT is
    /// being updated (other suites create tenants meanwhile), which closes a
    /// connection that was provisioning streams (docs/architecture.md).
    private static func startRetrying(_ start: () async throws -> ServiceReplica) async throws -> ServiceReplica {
        for attempt in 1... {
            do {
                return try await start()
            } catch let error as BusError where (error.code == .closed || error.code == .connectionFailed) && attempt < 4 {
                TestEnvironment.logger.warning("missions cluster: a replica's connection was closed while it started (\(error)); starting it again")
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        fatalError("unreachable")
    }

    private static func start() async throws -> [ServiceReplica] {
        let pool = TestEnvironment.pool(size: 1)
        for schema in [coordinationSchema, executionSchema] { await TestEnvironment.dropSchema(schema, pool) }
        await pool.shutdown()
        let admin = try await TestEnvironment.bus(name: "missions-setup")
        // A work queue has one consumer: start from a clean one (work left by
        // an earlier run, or by `make up`'s services, would be taken by these
        // replicas and fail against agents that are gone).
        try? await admin.jetStream.deleteStream(ExecutionSubjects.workStream)
        var replicas: [ServiceReplica] = []
        for _ in 0..<2 {
            replicas.append(try await startRetrying { try await ServiceReplica.start(Coordination.serviceName, build: {
                try await Coordination.build(runtime: $0, configuration: coordination)
            }, checks: Coordination.readinessChecks) })
            replicas.append(try await startRetrying { try await ServiceReplica.start(Execution.serviceName, build: {
                try await Execution.build(runtime: $0, configuration: execution)
            }, checks: Execution.readinessChecks) })
        }
        try await admin.drain()
        return replicas
    }
}

/// What the mission tests do, in a tenant of their own.
struct MissionTenant {
    let name = TestEnvironment.uniqueName("m")
    let bus: Bus
    let agents: TestAgentServer

    /// With `bus`, everything goes to the services on that connection's
    /// NATS (a `ChildStack`); without, to the shared in-process clusters.
    /// `endpoints` registers some agents at another address than the test
    /// agent server (a proxy that drops connections, say).
    init(agents: [String: TestAgentServer.Behavior], capabilities: [String: [String]] = [:], endpoints: [String: String] = [:],
         metadata: [String: [String: String]] = [:], policy: String = "rules: [{id: all, effect: allow}]", on stackBus: Bus? = nil) async throws {
        if let stackBus { bus = stackBus } else { bus = try await MissionsCluster.shared.bus() }
        self.agents = try await TestAgentServer(agents)
        let registry = if let stackBus { stackBus } else { try await RegistryCluster.shared.bus() }
        for (container, ids) in Dictionary(grouping: agents.keys, by: { String($0.prefix { $0 != ":" }) }) {
            let records = try ids.map { id in
                Agent(id: try AgentID(id), type: "test", capabilities: capabilities[id] ?? [], version: "1",
                      endpoint: .http(baseURL: endpoints[id] ?? self.agents.baseURL), metadata: metadata[id] ?? [:])
            }
            _ = try await registry.call(RegistrySubjects.register, RegisterAgentsRequest(container: container, agents: records), tenant: name,
                                        as: RegisterAgentsResponse.self)
        }
        // One long heartbeat instead of one every 30 s: the agents stay
        // healthy through the longest test (and its faults).
        for id in agents.keys {
            _ = try await registry.call(RegistrySubjects.heartbeat, Heartbeat(agentID: try AgentID(id), ttlSeconds: 3_600), tenant: name,
                                        as: HeartbeatAck.self)
        }
        _ = try await bus.call(GovernanceSubjects.putPolicy, PutPolicyRequest(document: policy), tenant: name, as: PolicyRevision.self)
        // Governance hears of the agents through the registry's events.
        for id in agents.keys {
            try await eventually("governance knows \(id)") {
                let decision = try await bus.call(GovernanceSubjects.explain, ExplainRequest(request: CheckRequest(agentID: try AgentID(id), action: "x")),
                                                  tenant: name, as: Decision.self)
                return !decision.reasons.contains { $0.contains("not registered") }
            }
        }
    }

    /// Submits a definition (JSON text); the reply is the mission's view.
    func submit(_ definition: String, key: String = "") async throws -> ProtoMessage {
        let json = try JSONValue.parse(Array(definition.utf8))
        let parsed = try MissionDefinition.parse(json, nowUnixNanos: Envelope.nowUnixNanos())
        let request = ProtoMessage("agion.v1.SubmitMissionRequest", ["definition": .message(parsed.proto), "idempotency_key": .string(key)])
        return try await call(CoordinationSubjects.submit, request)
    }

    /// A raw submission (no client-side parsing), to see what coordination refuses.
    func submit(proto definition: ProtoMessage, key: String = "") async throws -> ProtoMessage {
        try await call(CoordinationSubjects.submit, ProtoMessage("agion.v1.SubmitMissionRequest", ["definition": .message(definition),
                                                                                                    "idempotency_key": .string(key)]))
    }

    func get(_ id: String) async throws -> ProtoMessage {
        try await call(CoordinationSubjects.get, ProtoMessage("agion.v1.GetMissionRequest", ["mission_id": .string(id)]))
    }

    func events(_ id: String, after: Int64 = 0) async throws -> [ProtoMessage] {
        try await call(CoordinationSubjects.events, ProtoMessage("agion.v1.MissionEventsRequest", ["mission_id": .string(id),
                                                                                                   "after_position": .int(after)]))
            .list("events").compactMap(\.message)
    }

    func cancel(_ id: String, reason: String = "") async throws -> ProtoMessage {
        var envelope = Envelope(type: "agion.v1.CancelMissionRequest", tenant: name,
                                payload: try ProtoSchema.encode(ProtoMessage("agion.v1.CancelMissionRequest", ["mission_id": .string(id),
                                                                                                               "reason": .string(reason)])))
        envelope.headers["agion-subject"] = "test:canceller"
        return try ProtoSchema.decode("agion.v1.Mission", from: try await bus.request(CoordinationSubjects.cancel, envelope, timeout: .seconds(10)).payload)
    }

    func call(_ subject: String, _ request: ProtoMessage) async throws -> ProtoMessage {
        let reply = try await bus.request(subject, Envelope(type: request.name, tenant: name, payload: try ProtoSchema.encode(request)),
                                          timeout: .seconds(10))
        return try ProtoSchema.decode(reply.type, from: reply.payload)
    }

    /// The mission once it reached a final state.
    func final(_ id: String, timeout: Duration = .seconds(30)) async throws -> ProtoMessage {
        var last = ProtoMessage("agion.v1.Mission")
        try await eventually(timeout: timeout, "mission \(id) ends (last seen \(last.int("status")))") {
            do {
                last = try await get(id)
            } catch let error as BusError where error.isRetriable || error.code == .connectionFailed {
                return false  // NATS or the service is away for a moment (the fault tests)
            }
            return last.int("status") > 1
        }
        return last
    }

    static func status(_ mission: ProtoMessage) -> String {
        ["unspecified", "running", "succeeded", "failed", "cancelled", "timed_out"][Int(mission.int("status"))]
    }

    static func step(_ mission: ProtoMessage, _ id: String) -> ProtoMessage? {
        mission.list("steps").compactMap(\.message).first { $0.string("id") == id }
    }
}
