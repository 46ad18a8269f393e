import AgionBus
import AgionContract
import AgionEnvelope
import AgionRuntime
import AgionStore
import Foundation
import Logging

/// governance.check: the real `agion-governance` (release build, its own
/// process) answering checks over NATS from this process, with policies of 10
/// and 1,000 rules, agent standing and trust read from Redis, and the audit
/// on (and off, to show what it costs). One client in sequence, then 16.
enum GovernanceBenchmark {
    static let agent = try! AgentID(PolicyFixtures.agent)

    static func run(url: String, requests: Int) async throws {
        // Standing (agent status and trust) read from Redis on every check, or
        // from the replica's memory (kept in step by change notifications).
        var configurations = [("on", "redis"), ("on", "memory"), ("off", "memory")]
        // AGION_BENCH_GOVERNANCE=on/memory runs one configuration (to profile it).
        if let only = ProcessInfo.processInfo.environment["AGION_BENCH_GOVERNANCE"] {
            configurations = configurations.filter { "\($0.0)/\($0.1)" == only }
        }
        for (audit, standing) in configurations {
            let service = try ServiceProcess.start("agion-governance", environment: [
                "AGION_NATS_URL": url, "AGION_GOVERNANCE_SCHEMA": "bench_governance", "AGION_GOVERNANCE_AUDIT": audit,
                "AGION_GOVERNANCE_STANDING_MEMORY_MS": standing == "redis" ? "0" : "1000",
                "AGION_GOVERNANCE_SPOOL_DIR": NSTemporaryDirectory() + "agion-bench-spool-\(getpid())",
                "AGION_GOVERNANCE_CACHE_PREFIX": "bench:gov", "AGION_ADMIN_PORT": String(Int.random(in: 20_000...29_999)),
                "AGION_LOG_LEVEL": ProcessInfo.processInfo.environment["AGION_BENCH_SERVICE_LOG_LEVEL"] ?? "error",
            ])
            defer { service.stop() }
            let bus = try await Bus.connect(BusConfiguration(url: url, name: "bench-governance", credentialsFile: benchCredentials), logger: Logger(label: "bench"))
            for rules in [10, 1_000] {
                let tenant = "bench-\(rules)-\(UInt32.random(in: 0...UInt32.max))"
                do {
                    try await prepare(tenant: tenant, rules: rules, bus: bus)
                } catch {
                    // Reported and skipped: one configuration must not cost the others.
                    FileHandle.standardError.write(Data("agion-bench: governance.check audit=\(audit) standing=\(standing) rules=\(rules): \(error)\n".utf8))
                    continue
                }
                let request = try Envelope(type: CheckRequest.protoName, tenant: tenant, payload: CheckRequest(
                    agentID: agent, action: PolicyFixtures.action, context: ["amount": 250, "region": "eu", "customer": ["tier": "gold"]],
                    principal: "user:alice").encoded())
                _ = measure(bus: bus, request: request, clients: 1, requests: 2_000)
                var cpu = CPUShare(service)
                let (one, oneElapsed) = measure(bus: bus, request: request, clients: 1, requests: requests)
                report(one, elapsed: oneElapsed, clients: 1, rules: rules, audit: audit, standing: standing, serviceRSS: service.residentMegabytes(),
                       cpu: cpu.perOperation(one.count))
                let ingest = audit == "on" ? try await AuditIngest.start(tenant: tenant) : nil
                cpu = CPUShare(service)
                let (many, manyElapsed) = await measureConcurrent(bus: bus, request: request, clients: 16, requests: requests * 2)
                report(many, elapsed: manyElapsed, clients: 16, rules: rules, audit: audit, standing: standing, serviceRSS: service.residentMegabytes(),
                       cpu: cpu.perOperation(many.count))
                try await ingest?.report(rules: rules, standing: standing)
            }
            try? await bus.drain(timeout: .seconds(2))
        }
    }

    /// A policy for the tenant, and the agent announced as the registry would.
    static func prepare(tenant: String, rules: Int, bus: Bus) async throws {
        // A restarted replica may first catch up on registry events (and a
        // message its predecessor had fetched comes back after the ack wait).
        let deadline = ContinuousClock.now + .seconds(180)
        while true {
            do {
                _ = try await bus.call(GovernanceSubjects.putPolicy, PutPolicyRequest(document: PolicyFixtures.yaml(rules: rules)), tenant: tenant,
                                       as: PolicyRevision.self, timeout: .seconds(10))
                break
            } catch let error as BusError where error.code == .noResponders && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        let record = AgentRecord(agent: Agent(id: agent, type: "llm", capabilities: ["reports"], version: "1",
                                              endpoint: .http(baseURL: "http://langgraph-v2:8080")),
                                 status: .healthy, revision: 1, registeredAtUnixNanos: Envelope.nowUnixNanos(),
                                 updatedAtUnixNanos: Envelope.nowUnixNanos(), lastHeartbeatUnixNanos: Envelope.nowUnixNanos())
        _ = try await bus.jetStream.publish(RegistrySubjects.eventSubject(tenant: tenant, event: "agent_registered"),
                                            Envelope(type: RegistrySubjects.EventType.agentRegistered, tenant: tenant,
                                                     payload: try AgentRegistered(record: record).encoded()))
        let probe = CheckRequest(agentID: agent, action: PolicyFixtures.action, context: ["amount": 250, "region": "eu"], principal: "user:alice")
        while true {
            let decision = try await bus.call(GovernanceSubjects.check, probe, tenant: tenant, as: Decision.self)
            if decision.effect == .allow { break }
            guard ContinuousClock.now < deadline else { throw BenchError("governance never allowed the benchmark request: \(decision.reasons)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// `requests` checks spread over `clients` threads, each in sequence.
    static func measure(bus: Bus, request: Envelope, clients: Int, requests: Int) -> ([UInt64], UInt64) {
        let perClient = max(requests / clients, 1)
        let results = LockedArray()
        let group = DispatchGroup()
        let start = nowNanos()
        for _ in 0..<clients {
            group.enter()
            Thread {
                var local: [UInt64] = []
                local.reserveCapacity(perClient)
                for _ in 0..<perClient {
                    let t0 = nowNanos()
                    guard let reply = try? bus.requestBlocking(GovernanceSubjects.check, request, timeout: .seconds(5)),
                          reply.type == Decision.protoName else { continue }
                    local.append(nowNanos() - t0)
                }
                results.append(local)
                group.leave()
            }.start()
        }
        group.wait()
        return (results.values, nowNanos() - start)
    }

    /// `clients` concurrent requests in flight from one connection (async
    /// requests multiplexed over one inbox): how a gateway or an SDK calls.
    static func measureConcurrent(bus: Bus, request: Envelope, clients: Int, requests: Int) async -> ([UInt64], UInt64) {
        let perClient = max(requests / clients, 1)
        let start = nowNanos()
        let samples = await withTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var local: [UInt64] = []
                    local.reserveCapacity(perClient)
                    for _ in 0..<perClient {
                        let t0 = nowNanos()
                        guard let reply = try? await bus.request(GovernanceSubjects.check, request, timeout: .seconds(5)),
                              reply.type == Decision.protoName else { continue }
                        local.append(nowNanos() - t0)
                    }
                    return local
                }
            }
            return await group.reduce(into: [UInt64]()) { $0 += $1 }
        }
        return (samples, nowNanos() - start)
    }

    static func report(_ samples: [UInt64], elapsed: UInt64, clients: Int, rules: Int, audit: String, standing: String, serviceRSS: Int,
                       cpu: (governance: Double, postgres: Double)) {
        let sorted = samples.sorted()
        BenchLine("governance.check").with("clients", clients).with("rules", rules).withText("audit", audit).withText("standing", standing)
            .with("ops_per_s", Int(Double(sorted.count) / (Double(elapsed) / 1e9)))
            .with("p50_us", percentileMicros(sorted, 0.50)).with("p99_us", percentileMicros(sorted, 0.99))
            .with("governance_cpu_us", cpu.governance).with("pg_cpu_us", cpu.postgres)
            .with("rss_mb", serviceRSS).print()
    }
}

/// The CPU time governance and PostgreSQL spend while a run lasts, per
/// check: steadier than latency on a shared machine, and it shows what the
/// audit costs each (the shipper's inserts, the tree builder).
struct CPUShare {
    let service: ServiceProcess
    let governance: Int
    let postgres: Int

    init(_ service: ServiceProcess) {
        self.service = service
        governance = service.cpuMicros()
        postgres = processCPUMicros(named: ["postgres"])
    }

    func perOperation(_ count: Int) -> (governance: Double, postgres: Double) {
        (Double(service.cpuMicros() - governance) / Double(max(count, 1)), Double(processCPUMicros(named: ["postgres"]) - postgres) / Double(max(count, 1)))
    }
}

final class LockedArray: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var storage: [UInt64] = []
    func append(_ values: [UInt64]) { lock.lock(); storage += values; lock.unlock() }
    var values: [UInt64] { lock.lock(); defer { lock.unlock() }; return storage }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// audit.ingest: how fast the audit takes in the records of the 16-client
/// run (from its start until the chain holds them all, so the shipper's lag
/// counts) and what PostgreSQL spends per record (all postgres processes'
/// CPU over the same time: the shipper's inserts, and the tree builder
/// reading them back and storing subtrees).
struct AuditIngest {
    let tenant: String
    let pool: ConnectionPool
    let started: UInt64
    let sequence: Int64
    let postgresCPU: Int

    static func start(tenant: String) async throws -> AuditIngest {
        let pool = ConnectionPool(StoreConfiguration(poolSize: 1, applicationName: "agion-bench"), logger: Logger(label: "bench"))
        let ingest = AuditIngest(tenant: tenant, pool: pool, started: nowNanos(), sequence: try await chained(tenant, pool),
                                 postgresCPU: processCPUMicros(named: ["postgres"]))
        return ingest
    }

    static func chained(_ tenant: String, _ pool: ConnectionPool) async throws -> Int64 {
        try await pool.withConnection { connection in
            try await connection.query("SELECT sequence FROM bench_governance.audit_heads WHERE tenant = $1", [tenant]).first?.decode("sequence") ?? 0
        }
    }

    /// Waits (up to a minute) until the chain stops growing, then reports.
    func report(rules: Int, standing: String) async throws {
        var last = try await Self.chained(tenant, pool), lastChange = nowNanos()
        let deadline = nowNanos() + 60_000_000_000
        while nowNanos() < deadline, nowNanos() - lastChange < 1_000_000_000 {
            try await Task.sleep(for: .milliseconds(50))
            let now = try await Self.chained(tenant, pool)
            if now != last { last = now; lastChange = nowNanos() }
        }
        let records = Int(last - sequence)
        let seconds = Double(lastChange - started) / 1e9
        BenchLine("audit.ingest").with("clients", 16).with("rules", rules).withText("standing", standing).with("records", records)
            .with("records_per_s", Int(Double(records) / seconds))
            .with("pg_cpu_us_per_record", Double(processCPUMicros(named: ["postgres"]) - postgresCPU) / Double(max(records, 1))).print()
        await pool.shutdown()
    }
}

