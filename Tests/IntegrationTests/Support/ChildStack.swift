import AgionBus
import AgionJSON
import Foundation
import Testing

/// The registry, governance, the gateway (and, with `missions`, coordination
/// and execution) as real processes (two replicas
/// each by default) on a nats-server of their own, with the shared PostgreSQL
/// and Redis under schemas and key prefixes of their own: for what only
/// processes show (a crash is a dead process, not a dead test runner) and for
/// taking NATS away without disturbing the other suites.
final class ChildStack: @unchecked Sendable {
    // @unchecked: built once, then used by one test at a time.
    let nats: PrivateServer
    let name: String
    private(set) var registries: [ChildService] = []
    private(set) var governors: [ChildService] = []
    private(set) var gateways: [(service: ChildService, port: Int)] = []
    private(set) var coordinators: [ChildService] = []
    private(set) var executors: [ChildService] = []
    /// Every service reaches PostgreSQL through this proxy, so a test can cut it.
    let postgres: TCPProxy
    let keyFile: String
    private let spools: [String]

    var registrySchema: String { "\(name)_registry" }
    var governanceSchema: String { "\(name)_governance" }
    var gatewaySchema: String { "\(name)_gateway" }
    var coordinationSchema: String { "\(name)_coordination" }
    var executionSchema: String { "\(name)_execution" }
    var services: [ChildService] { registries + governors + gateways.map(\.service) + coordinators + executors }

    /// NATS with authentication: every service connects with its own credentials.
    let secured: Bool

    private init(replicas: Int, secured: Bool) throws {
        self.secured = secured
        nats = try PrivateServer.nats(secured: secured)
        postgres = try TCPProxy(target: TestEnvironment.postgresPort)
        name = TestEnvironment.uniqueName("cs").lowercased()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agion-\(name)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        keyFile = directory.appendingPathComponent("admin.key").path
        spools = (0..<replicas).map { directory.appendingPathComponent("spool-\($0)").path }
    }

    /// Runs `body` on a stack of its own, shut down (and its schemas dropped)
    /// afterwards whether `body` passed or threw.
    static func with(replicas: Int = 2, missions: Bool = false, secured: Bool = false, _ body: (ChildStack) async throws -> Void) async throws {
        let stack = try await start(replicas: replicas, missions: missions, secured: secured)
        do {
            try await body(stack)
        } catch {
            await stack.shutdown()
            throw error
        }
        await stack.shutdown()
    }

    /// Starts NATS and the services, and returns once every replica is ready.
    static func start(replicas: Int = 2, missions: Bool = false, secured: Bool = false) async throws -> ChildStack {
        let stack = try ChildStack(replicas: replicas, secured: secured)
        try await stack.nats.start()
        let common = ["AGION_NATS_URL": stack.nats.url, "AGION_POSTGRES_PORT": String(stack.postgres.port)]
        for _ in 0..<replicas {
            stack.registries.append(try ChildService("agion-registry", environment: common.merging(stack.credentials("registry")) { $1 }
                .merging(["AGION_REGISTRY_SCHEMA": stack.registrySchema]) { $1 }))
        }
        for spool in stack.spools {
            stack.governors.append(try ChildService("agion-governance", environment: common.merging(stack.credentials("governance")) { $1 }.merging([
                "AGION_GOVERNANCE_SCHEMA": stack.governanceSchema, "AGION_GOVERNANCE_SPOOL_DIR": spool,
                "AGION_GOVERNANCE_CACHE_PREFIX": "it:\(stack.name)", "AGION_GOVERNANCE_CHECK_THREADS": "2",
            ]) { $1 }))
        }
        for index in 0..<replicas {
            let port = PrivateServer.freePort(in: 10_000...10_999)
            stack.gateways.append((try ChildService("agion-gateway", environment: common.merging(stack.credentials("gateway")) { $1 }.merging([
                "AGION_GATEWAY_SCHEMA": stack.gatewaySchema, "AGION_GATEWAY_PORT": String(port), "AGION_GATEWAY_HOST": "127.0.0.1",
                "AGION_GATEWAY_BOOTSTRAP_KEY_FILE": stack.keyFile, "AGION_GATEWAY_RATE_LIMIT_PREFIX": "it:\(stack.name):rl",
                "AGION_GATEWAY_EVENT_LOOPS": "1",
            ]) { $1 }), port))
            // The first replica writes the bootstrap key; the others find it.
            if index == 0 { try await eventually(timeout: .seconds(60), "the bootstrap key") { FileManager.default.fileExists(atPath: stack.keyFile) } }
        }
        if missions {
            for _ in 0..<replicas {
                stack.coordinators.append(try stack.startCoordination())
                stack.executors.append(try stack.startExecution())
            }
        }
        try await stack.waitUntilReady(timeout: .seconds(60))
        return stack
    }

    func startCoordination() throws -> ChildService {
        try ChildService("agion-coordination", environment: credentials("coordination").merging([
            "AGION_NATS_URL": nats.url, "AGION_POSTGRES_PORT": String(postgres.port),
            "AGION_COORDINATION_SCHEMA": coordinationSchema, "AGION_COORDINATION_TIMER_POLL_MS": "50"]) { $1 })
    }

    func startExecution() throws -> ChildService {
        try ChildService("agion-execution", environment: credentials("execution").merging([
            "AGION_NATS_URL": nats.url, "AGION_POSTGRES_PORT": String(postgres.port),
            "AGION_EXECUTION_SCHEMA": executionSchema, "AGION_EXECUTION_CONCURRENCY": "8"]) { $1 })
    }

    /// A service's NATS credentials on a secured stack (the gateway also gets
    /// the authority, to issue agents' credentials); nothing otherwise.
    func credentials(_ service: String) -> [String: String] {
        guard secured else { return ["AGION_NATS_CREDS": ""] }
        var environment = ["AGION_NATS_CREDS": "\(nats.authDirectory)/\(service).creds"]
        if service == "gateway" { environment["AGION_NATS_AUTH_DIR"] = nats.authDirectory }
        return environment
    }

    /// Replaces a replica that was killed with a new process of the same service.
    func replace(_ dead: ChildService) throws -> ChildService {
        let fresh = try dead.process.executableURL!.lastPathComponent == "agion-coordination" ? startCoordination() : startExecution()
        if let index = coordinators.firstIndex(where: { $0 === dead }) { coordinators[index] = fresh }
        if let index = executors.firstIndex(where: { $0 === dead }) { executors[index] = fresh }
        return fresh
    }

    func adminURL(_ service: ChildService, _ path: String) -> String { "http://127.0.0.1:\(service.adminPort)\(path)" }
    func gatewayURL(_ index: Int, _ path: String) -> String { "http://127.0.0.1:\(gateways[index].port)\(path)" }

    /// `GET /ready` of one replica, or nil when it does not answer.
    func ready(_ service: ChildService) async -> HTTPClient.Response? {
        try? await HTTPClient.send("GET", adminURL(service, "/ready"), timeout: 2)
    }

    func waitUntilReady(timeout: Duration) async throws {
        for service in services {
            try await eventually(timeout: timeout, "\(service.process.executableURL!.lastPathComponent) ready (log: \(service.logPath))") {
                guard service.isRunning else { throw TestFailure("\(service.logPath): exited\n\(service.log.suffix(2_000))") }
                return await ready(service)?.status == 200
            }
        }
    }

    /// The platform administrator's key the first gateway wrote.
    var platformKey: String {
        get throws { try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// A connection to this stack's NATS (as the unrestricted `platform` user when secured).
    func bus() async throws -> Bus {
        try await Bus.connect(BusConfiguration(url: nats.url, name: "tests-\(name)",
                                               credentialsFile: secured ? "\(nats.authDirectory)/platform.creds" : nil),
                              logger: TestEnvironment.logger)
    }

    /// Fails with the logs of any replica that is no longer running.
    func expectAllRunning(_ moment: String) throws {
        let dead = services.filter { !$0.isRunning }
        guard dead.isEmpty else {
            throw TestFailure("\(moment): \(dead.map(\.logPath)) exited:\n" + dead.map { String($0.log.suffix(3_000)) }.joined(separator: "\n---\n"))
        }
    }

    /// Stops the services (SIGTERM), NATS, and drops the schemas.
    func shutdown() async {
        for service in services { service.terminate() }
        nats.stop()
        let pool = TestEnvironment.pool(size: 1)
        for schema in [registrySchema, governanceSchema, gatewaySchema, coordinationSchema, executionSchema] {
            await TestEnvironment.dropSchema(schema, pool)
        }
        await pool.shutdown()
    }
}

extension ChildStack {
    /// A registration body for `POST /v1/agents`.
    static func registration(container: String, ids: [String]) -> JSONValue {
        .object(["container": .string(container), "agents": .array(ids.map { id in
            ["id": .string(id), "type": "llm", "capabilities": ["load"], "version": "1",
             "endpoint": ["kind": "http", "address": .string("http://\(container):8080")]]
        })])
    }

    /// A new tenant set up through the API: its admin key, `agents` registered
    /// (in their containers), and a policy that allows `load.*` actions;
    /// returns once a check of the first agent is allowed.
    func tenant(agents: [String]) async throws -> (name: String, key: String) {
        let name = TestEnvironment.uniqueName("t")
        let created = try await HTTPClient.send("POST", gatewayURL(0, "/v1/tenants"), key: try platformKey, json: ["tenant": .string(name)])
        guard created.status == 201, let key = created.json?["admin_key"]?["key"]?.stringValue else {
            throw TestFailure("tenant not created: \(created.status) \(created.text)")
        }
        for (container, ids) in Dictionary(grouping: agents, by: { String($0.prefix { $0 != ":" }) }) {
            let registered = try await HTTPClient.send("POST", gatewayURL(0, "/v1/agents"), key: key, json: Self.registration(container: container, ids: ids))
            guard registered.status == 200 else { throw TestFailure("registration: \(registered.status) \(registered.text)") }
        }
        let policy = try await HTTPClient.send("POST", gatewayURL(0, "/v1/policies"), key: key,
                                               raw: "rules:\n  - {id: load, effect: allow, actions: [\"load.*\"]}\n", contentType: "application/yaml")
        guard policy.status == 201 else { throw TestFailure("policy: \(policy.status) \(policy.text)") }
        if let first = agents.first {
            try await eventually(timeout: .seconds(30), "\(first) is allowed") {
                let decision = try await HTTPClient.send("POST", gatewayURL(0, "/v1/governance/check"), key: key,
                                                         json: ["agent_id": .string(first), "action": "load.run"])
                return decision.json?["effect"] == "allow"
            }
        }
        return (name, key)
    }

    /// RPC requests a replica answered successfully so far (its `/metrics`).
    func requestsServed(_ service: ChildService) async -> Int {
        guard let metrics = try? await HTTPClient.send("GET", adminURL(service, "/metrics"), timeout: 2) else { return -1 }
        return metrics.text.split(separator: "\n")
            .filter { $0.hasPrefix("agion_rpc_requests_total{") && $0.contains("outcome=\"ok\"") }
            .compactMap { Int($0.split(separator: " ").last ?? "") }
            .reduce(0, +)
    }
}

/// The suites that run the services as processes on a `ChildStack`, one at a
/// time: each starts three to six service processes, and all at once (with
/// the rest of the tests running beside them) they loaded the machine enough
/// to make timing-sensitive tests elsewhere fail.
@Suite(.serialized) enum ProcessStackSuites {}
