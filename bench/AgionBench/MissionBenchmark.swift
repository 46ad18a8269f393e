import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import AgionStore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Logging
import MissionsCore
import NIOCore
import Synchronization

/// missions.chain, missions.fanout, missions.burst: missions through the real
/// registry, governance, coordination and execution (release builds, each
/// its own process, on schemas of their own), with governance checks and
/// validation on and every event durable, run by no-op agents this process
/// serves: one over NATS (`agion.agent.<id>.invoke`) and one over HTTP (the
/// container contract). A mission's time is from its submission to its final
/// event as an outside subscriber of AGION_MISSIONS sees it.
enum MissionBenchmark {
    static let natsAgent = try! AgentID("bench:nats")
    static let httpAgent = try! AgentID("bench:http")
    /// Streams its answer: `StreamBenchmark.tokens` progress events, then the result.
    static let streamAgent = try! AgentID("bench:stream")

    static func run(url: String, only: String?) async throws {
        let stack = try await MissionStack.start(url: url)
        defer { stack.stop() }
        let bus = try await Bus.connect(BusConfiguration(url: url, name: "bench-missions", credentialsFile: benchCredentials), logger: Logger(label: "bench"))
        let tenant = "bench-m-\(UInt32.random(in: 0...UInt32.max))"
        try await stack.waitForBacklog(bus: bus)
        let agents = try await NoOpAgents.start(bus: bus, tenant: tenant)
        defer { agents.stop() }
        try await prepare(tenant: tenant, bus: bus, agents: agents)
        let finals = try FinalEvents(bus: bus, tenant: tenant)
        let runner = Runner(bus: bus, tenant: tenant, finals: finals)

        if only == nil || only == "chain" {
            for agent in [natsAgent, httpAgent] {
                let definition = chain(steps: 10, agent: agent)
                _ = try await runner.sequential(definition, count: 10)  // warm up
                let cpuBefore = stack.cpuMicros()
                let samples = try await runner.sequential(definition, count: 100)
                BenchLine("missions.chain").with("steps", 10).withText("agent", agent == natsAgent ? "nats" : "http").with("missions", 100)
                    .with("p50_us", percentileMicros(samples, 0.50)).with("p99_us", percentileMicros(samples, 0.99))
                    .with("step_p50_us", percentileMicros(samples, 0.50) / 10)
                    .cpu(stack, before: cpuBefore, steps: 1_000).print()
            }
        }
        if only == nil || only == "fanout" {
            let definition = fanout(width: 50, agent: natsAgent)
            _ = try await runner.sequential(definition, count: 3)
            let samples = try await runner.sequential(definition, count: 20)
            BenchLine("missions.fanout").with("steps", 52).withText("agent", "nats").with("missions", 20)
                .with("p50_us", percentileMicros(samples, 0.50)).with("p99_us", percentileMicros(samples, 0.99)).print()
        }
        if only == nil || only == "burst" {
            let missions = Int(ProcessInfo.processInfo.environment["AGION_BENCH_BURST_MISSIONS"] ?? "") ?? 1_000
            let definition = chain(steps: 10, agent: natsAgent)
            let writesBefore = try await stack.postgresWrites()
            let cpuBefore = stack.cpuMicros()
            let started = nowNanos()
            let samples = try await runner.burst(definition, count: missions, inFlight: 64)
            let elapsed = Double(nowNanos() - started) / 1e9
            let writes = try await stack.postgresWrites().minus(writesBefore)
            let steps = missions * 10
            BenchLine("missions.burst").with("missions", missions).with("steps", steps)
                .with("steps_per_s", Int(Double(steps) / elapsed)).with("seconds", elapsed)
                .with("p50_us", percentileMicros(samples, 0.50)).with("p99_us", percentileMicros(samples, 0.99))
                .with("coordination_rss_mb", stack.coordination.peakMegabytes()).with("execution_rss_mb", stack.execution.peakMegabytes())
                .with("governance_rss_mb", stack.governance.peakMegabytes())
                .with("pg_commits_per_step", Double(writes.commits) / Double(steps))
                .with("pg_rows_per_step", Double(writes.rows) / Double(steps))
                .cpu(stack, before: cpuBefore, steps: steps).print()
        }
        if only == nil || only == "fairness" {
            try await FairnessBenchmark.run(bus: bus, tenant: tenant, runner: runner)
        }
        if only == nil || only == "stream" {
            try await StreamBenchmark.run(url: url, bus: bus, tenant: tenant, stack: stack)
        }
        finals.close()
        try? await bus.drain(timeout: .seconds(2))
    }

    // MARK: Missions

    static func chain(steps: Int, agent: AgentID) -> ProtoMessage {
        definition((0..<steps).map { index in
            step("s\(index)", agent: agent, dependsOn: index == 0 ? [] : ["s\(index - 1)"],
                 input: index == 0 ? ["n": 0] : ["previous": ["$ref": .string("steps.s\(index - 1).output.ok")]])
        })
    }

    static func fanout(width: Int, agent: AgentID) -> ProtoMessage {
        let middle = (0..<width).map { step("p\($0)", agent: agent, dependsOn: ["first"], input: ["i": .integer(Int64($0))]) }
        return definition([step("first", agent: agent, dependsOn: [], input: [:])] + middle
                          + [step("last", agent: agent, dependsOn: middle.map { $0.string("id") }, input: [:])])
    }

    static func step(_ id: String, agent: AgentID, dependsOn: [String], input: JSONValue) -> ProtoMessage {
        ProtoMessage("agion.v1.MissionStepDefinition", [
            "id": .string(id), "agent_id": .string(agent.description), "action": .string("bench.run"), "input": .message(input.valueProto),
            "depends_on": .list(dependsOn.map { .string($0) }), "timeout_seconds": .uint(30),
        ])
    }

    static func definition(_ steps: [ProtoMessage]) -> ProtoMessage {
        ProtoMessage("agion.v1.MissionDefinition", ["name": .string("bench"), "steps": .list(steps.map { .message($0) })])
    }

    // MARK: Setup

    /// A policy that allows the steps and validates outputs, and both agents
    /// registered (with a long heartbeat) and known to governance.
    static func prepare(tenant: String, bus: Bus, agents: NoOpAgents) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            do {
                _ = try await bus.call(GovernanceSubjects.putPolicy, PutPolicyRequest(document: """
                    rules: [{id: bench, effect: allow, actions: [bench.run]}]
                    output: [{id: shape, require_fields: [ok]}]
                    """), tenant: tenant, as: PolicyRevision.self, timeout: .seconds(10))
                _ = try await bus.call(RegistrySubjects.register, RegisterAgentsRequest(container: "bench", agents: [
                    Agent(id: natsAgent, type: "noop", capabilities: ["bench"], version: "1", endpoint: .nats(subject: agents.natsSubject)),
                    Agent(id: httpAgent, type: "noop", capabilities: ["bench"], version: "1", endpoint: .http(baseURL: agents.httpBaseURL)),
                    Agent(id: streamAgent, type: "stream", capabilities: ["bench-stream"], version: "1", endpoint: .http(baseURL: agents.httpBaseURL)),
                ]), tenant: tenant, as: RegisterAgentsResponse.self, timeout: .seconds(10))
                break
            } catch let error as BusError where error.isRetriable && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        for agent in [natsAgent, httpAgent, streamAgent] {
            _ = try await bus.call(RegistrySubjects.heartbeat, Heartbeat(agentID: agent, ttlSeconds: 3_600), tenant: tenant, as: HeartbeatAck.self)
            while true {
                let decision = try await bus.call(GovernanceSubjects.explain, ExplainRequest(request: CheckRequest(agentID: agent, action: "bench.run")),
                                                  tenant: tenant, as: Decision.self)
                if decision.effect == .allow { break }
                guard ContinuousClock.now < deadline else { throw BenchError("governance never allowed \(agent): \(decision.reasons)") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Submits missions and waits for their final events.
    struct Runner {
        let bus: Bus
        let tenant: String
        let finals: FinalEvents

        /// One mission at a time: each one's time from submission to its end.
        func sequential(_ definition: ProtoMessage, count: Int) async throws -> [UInt64] {
            var samples: [UInt64] = []
            for _ in 0..<count { samples.append(try await one(definition)) }
            return samples.sorted()
        }

        /// `count` missions submitted at once (at most `inFlight` submissions
        /// waiting for their reply), each timed from its submission to its end.
        func burst(_ definition: ProtoMessage, count: Int, inFlight: Int) async throws -> [UInt64] {
            try await withThrowingTaskGroup(of: UInt64.self) { group in
                var samples: [UInt64] = []
                var submitted = 0
                // Submissions are throttled; missions run all at once.
                let gate = SubmissionGate(limit: inFlight)
                while submitted < count {
                    await gate.enter()
                    submitted += 1
                    group.addTask { try await one(definition, gate: gate) }
                }
                for try await sample in group { samples.append(sample) }
                return samples.sorted()
            }
        }

        private func one(_ definition: ProtoMessage, gate: SubmissionGate? = nil) async throws -> UInt64 {
            let started = nowNanos()
            let request = ProtoMessage("agion.v1.SubmitMissionRequest", ["definition": .message(definition)])
            let reply: Envelope
            do {
                reply = try await bus.request(CoordinationSubjects.submit, Envelope(type: "agion.v1.SubmitMissionRequest", tenant: tenant,
                                                                                   payload: try ProtoSchema.encode(request)), timeout: .seconds(30))
            } catch {
                await gate?.leave()
                throw error
            }
            await gate?.leave()
            let mission = try ProtoSchema.decode("agion.v1.Mission", from: reply.payload)
            let outcome = await finals.wait(mission.string("mission_id"))
            guard outcome == "succeeded" else { throw BenchError("mission \(mission.string("mission_id")) ended \(outcome)") }
            return nowNanos() - started
        }
    }
}

/// At most `limit` submissions waiting for their reply at once.
actor SubmissionGate {
    private let limit: Int
    private var inside = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    func enter() async {
        if inside < limit { inside += 1; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty { inside -= 1 } else { waiting.removeFirst().resume() }
    }
}

/// The final event of each mission of a tenant, as published on
/// AGION_MISSIONS (heard as core NATS messages, as any subscriber would).
final class FinalEvents: Sendable {
    /// Final events heard before anyone waited for them, and who waits.
    private final class Board: Sendable {
        let state = Mutex<(ended: [String: String], waiting: [String: CheckedContinuation<String, Never>])>(([:], [:]))
    }
    private let broadcast: Broadcast
    private let board = Board()
    private let listening: Task<Void, Never>
    static let finalNames: Set<String> = ["succeeded", "failed", "cancelled", "timed_out"]

    init(bus: Bus, tenant: String) throws {
        let broadcast = try bus.subscribe("agion.missions.evt.\(tenant).>")
        self.broadcast = broadcast
        let board = self.board
        listening = Task {
            for await envelope in broadcast {
                guard let event = try? ProtoSchema.decode("agion.v1.MissionEvent", from: envelope.payload),
                      Self.finalNames.contains(event.string("name")) else { continue }
                let id = event.string("mission_id"), name = event.string("name")
                let waiter = board.state.withLock { state -> CheckedContinuation<String, Never>? in
                    if let waiter = state.waiting.removeValue(forKey: id) { return waiter }
                    state.ended[id] = name
                    return nil
                }
                waiter?.resume(returning: name)
            }
        }
    }

    /// The mission's final event name, once it is published (a mission that
    /// never ends holds the run: scripts/bench.sh bounds it).
    func wait(_ mission: String) async -> String {
        let name = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            let ended = board.state.withLock { state -> String? in
                if let name = state.ended.removeValue(forKey: mission) { return name }
                state.waiting[mission] = continuation
                return nil
            }
            if let ended { continuation.resume(returning: ended) }
        }
        return name
    }

    func close() {
        broadcast.close()
        listening.cancel()
    }
}

/// The no-op agents: `bench:nats` answers on NATS, `bench:http` over HTTP,
/// both `{"ok": true}` with a little usage, at once.
final class NoOpAgents: Sendable {
    let natsSubject: String
    let httpBaseURL: String
    private let responder: Responder
    private let server: Task<Void, any Error>

    private init(responder: Responder, server: Task<Void, any Error>, port: Int, natsSubject: String) {
        self.natsSubject = natsSubject
        self.responder = responder
        self.server = server
        httpBaseURL = "http://127.0.0.1:\(port)"
    }

    static func start(bus: Bus, tenant: String) async throws -> NoOpAgents {
        let natsSubject = AgentSubjects.invoke(tenant: tenant, agent: MissionBenchmark.natsAgent.description)
        let result = try ProtoSchema.encode(ProtoMessage("agion.v1.AgentResult", [
            "output": .message(JSONValue.object(["ok": true]).valueProto),
            "usage": .message(ProtoMessage("agion.v1.Usage", ["input_tokens": .int(10), "output_tokens": .int(5)])),
        ]))
        let responder = try bus.respond(natsSubject, queue: "bench-agent") { request in
            request.caused(type: "agion.v1.AgentResult", payload: result)
        }
        let body = ByteBuffer(string: #"{"output": {"ok": true}, "usage": {"input_tokens": 10, "output_tokens": 5, "cost_usd": 0}}"#)
        let router = Router()
        router.post("/agents/:agent/invoke") { request, context -> Response in
            _ = try await request.body.collect(upTo: 1 << 20)
            if context.parameters.get("agent") == MissionBenchmark.streamAgent.description { return StreamBenchmark.streamedAnswer() }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }
        router.get("/health") { _, _ in "ok" }
        let port = Int.random(in: 64_000...64_999)
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "bench-agent"),
                                      logger: Logger(label: "bench-agent", factory: { _ in SwiftLogNoOpLogHandler() }))
        let server = Task { try await application.runService(gracefulShutdownSignals: []) }
        let agents = NoOpAgents(responder: responder, server: server, port: port, natsSubject: natsSubject)
        try await waitFor(url: agents.httpBaseURL + "/health")
        return agents
    }

    func stop() {
        server.cancel()
        Task { [responder] in try? await responder.drain() }
    }
}

/// The four services of a mission, from this build, on schemas of their own.
struct MissionStack {
    let registry: ServiceProcess
    let governance: ServiceProcess
    let coordination: ServiceProcess
    let execution: ServiceProcess
    let pool: ConnectionPool
    static let schemas = ["bench_m_registry", "bench_m_governance", "bench_m_coordination", "bench_m_execution"]
    static let adminPorts = [19_311, 19_312, 19_313, 19_314]

    var all: [ServiceProcess] { [registry, governance, coordination, execution] }

    static func start(url: String) async throws -> MissionStack {
        let pool = ConnectionPool(StoreConfiguration(poolSize: 1, applicationName: "agion-bench"), logger: Logger(label: "bench"))
        try await pool.withConnection { connection in
            for schema in schemas { try await connection.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        }
        let level = ProcessInfo.processInfo.environment["AGION_BENCH_SERVICE_LOG_LEVEL"] ?? "error"
        func start(_ name: String, _ index: Int, _ settings: [String: String]) throws -> ServiceProcess {
            try ServiceProcess.start(name, environment: settings.merging([
                "AGION_NATS_URL": url, "AGION_ADMIN_PORT": String(adminPorts[index]), "AGION_LOG_LEVEL": level,
            ]) { $1 })
        }
        let stack = MissionStack(
            registry: try start("agion-registry", 0, ["AGION_REGISTRY_SCHEMA": schemas[0]]),
            governance: try start("agion-governance", 1, [
                "AGION_GOVERNANCE_SCHEMA": schemas[1], "AGION_GOVERNANCE_SPOOL_DIR": NSTemporaryDirectory() + "agion-bench-m-spool-\(getpid())",
                "AGION_GOVERNANCE_CACHE_PREFIX": "bench:m",
            ]),
            // The dispatch window: the default unless the run says (AGION_BENCH_DISPATCH_WINDOW).
            coordination: try start("agion-coordination", 2, ["AGION_COORDINATION_SCHEMA": schemas[2]].merging(
                ProcessInfo.processInfo.environment["AGION_BENCH_DISPATCH_WINDOW"].map { ["AGION_COORDINATION_DISPATCH_WINDOW": $0] } ?? [:]) { $1 }),
            execution: try start("agion-execution", 3, ["AGION_EXECUTION_SCHEMA": schemas[3]]),
            pool: pool)
        for port in adminPorts { try await waitFor(url: "http://127.0.0.1:\(port)/ready") }
        return stack
    }

    /// Waits until the new coordination has gone through the execution
    /// reports already in the stream (a fresh durable starts at the first),
    /// so the measurements do not include that backlog.
    func waitForBacklog(bus: Bus) async throws {
        let durable = "coordination_reports_\(Self.schemas[2])"
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline {
            let state = try await bus.jetStream.consumerState(stream: ExecutionSubjects.stream, durable: durable)
            if state.pending == 0 && state.ackPending == 0 { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw BenchError("coordination did not catch up with AGION_EXECUTION")
    }

    func stop() {
        for service in all.reversed() { service.stop() }
    }

    /// CPU time each service, nats-server, every PostgreSQL process and this
    /// benchmark (the agents, the client) used so far, in microseconds.
    func cpuMicros() -> [Int] {
        all.map { $0.cpuMicros() } + [processCPUMicros(named: ["nats-server"]), processCPUMicros(named: ["postgres"]),
                                      processCPUMicros(pid: getpid())]
    }

    /// Commits in the database and rows written in the services' schemas so far.
    func postgresWrites() async throws -> PostgresWrites {
        try await pool.withConnection { connection in
            let commits = try await connection.query("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
            let rows = try await connection.query("""
                SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint AS n FROM pg_stat_user_tables WHERE schemaname = ANY($1::text[])
                """, [PostgresTextArray(Self.schemas)])
            return PostgresWrites(commits: try commits[0].decode("xact_commit", as: Int64.self), rows: try rows[0].decode("n", as: Int64.self))
        }
    }
}

struct PostgresWrites {
    var commits: Int64
    var rows: Int64
    func minus(_ other: PostgresWrites) -> PostgresWrites { PostgresWrites(commits: commits - other.commits, rows: rows - other.rows) }
}

extension BenchLine {
    /// CPU time per step of each service since `before`.
    func cpu(_ stack: MissionStack, before: [Int], steps: Int) -> BenchLine {
        var line = self
        for (service, (start, end)) in zip(["registry", "governance", "coordination", "execution", "nats", "postgres", "bench"],
                                           zip(before, stack.cpuMicros())) {
            line = line.with("\(service)_cpu_us", (end - start) / max(steps, 1))
        }
        return line
    }
}

/// Waits until `url` answers 200 (a service's /ready, the agent's /health).
func waitFor(url: String, timeout: Duration = .seconds(120)) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let (_, response) = try? await URLSession.shared.data(from: URL(string: url)!), (response as? HTTPURLResponse)?.statusCode == 200 { return }
        try await Task.sleep(for: .milliseconds(200))
    }
    throw BenchError("\(url) did not answer 200 in \(timeout)")
}

/// CPU time (user + system, with waited-for children) of every process whose
/// command is one of `names`, in microseconds.
func processCPUMicros(named names: Set<String>) -> Int {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
    return entries.compactMap { Int32($0) }.filter { pid in
        let command = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return command.map(names.contains) ?? false
    }.reduce(0) { $0 + processCPUMicros(pid: $1) }
}

func processCPUMicros(pid: Int32) -> Int {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let end = stat.lastIndex(of: ")") else { return 0 }
    let fields = stat[stat.index(after: end)...].split(separator: " ")
    guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { return 0 }
    return (user + system) * 1_000_000 / Int(sysconf(Int32(_SC_CLK_TCK)))
}
