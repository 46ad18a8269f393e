import AgionBus
import AgionContract
import AgionEnvelope
import AgionStore
import Foundation
import GovernanceCore
import Logging

/// The audit's Merkle tree at size: a tenant's chain loaded to 1M (and, with
/// `--records 1000000,10000000`, 10M) records straight into PostgreSQL, as
/// the shipper would have chained them, then the real `agion-governance`
/// (release build) building its tree over them (`audit.tree_build`, the
/// same path a migrated chain takes), answering inclusion and consistency
/// proofs over NATS (`audit.proof`, `audit.consistency`, each checked as
/// an auditor would), and verifying what was added since the last
/// verification as a background job (`audit.verify_incremental`).
enum AuditBenchmark {
    static let schema = "bench_audit"
    static let tenant = "bench-audit"
    static let adminPort = 19_331

    static func run(url: String, sizes: [Int], proofs: Int) async throws {
        let pool = ConnectionPool(StoreConfiguration(poolSize: 2, applicationName: "agion-bench"), logger: Logger(label: "bench"))
        try await pool.withConnection { try await $0.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        // The migration's tables exist before the first load: governance
        // creates them, and is stopped while records are loaded, so that the
        // tree is built after, from the records alone, as for a chain written
        // before the tree existed.
        var service = try startGovernance(url: url)
        try await waitFor(url: "http://127.0.0.1:\(adminPort)/ready")
        service.stop()
        var loader = ChainLoader(pool: pool)
        var verifiedTo: Int64 = 0
        var bus: Bus?
        var trusted: [String: [UInt8]] = [:]
        defer { service.stop() }
        for size in sizes.sorted() {
            service.stop()
            let before = loader.size
            let loadStart = nowNanos()
            try await loader.load(upTo: size)
            BenchLine("audit.bulk_load").with("records", size - before)
                .with("records_per_s", Int(Double(size - before) / (Double(nowNanos() - loadStart) / 1e9))).print()

            service = try startGovernance(url: url)
            try await waitFor(url: "http://127.0.0.1:\(adminPort)/ready")
            if bus == nil {
                bus = try await Bus.connect(BusConfiguration(url: url, name: "bench-audit", credentialsFile: benchCredentials), logger: Logger(label: "bench"))
            }
            let bus = bus!
            let keys = try await bus.call(GovernanceSubjects.auditKeys, AuditKeysRequest(), tenant: tenant, as: AuditKeysResponse.self).keys
            trusted = Dictionary(uniqueKeysWithValues: keys.map { ($0.keyID, [UInt8](hex: $0.publicKey)!) })
            let buildStart = nowNanos(), cpuBefore = service.cpuMicros()
            let head = try await waitForHead(size: Int64(size), bus: bus)
            let seconds = Double(nowNanos() - buildStart) / 1e9
            BenchLine("audit.tree_build").with("records", size - before).with("records_per_s", Int(Double(size - before) / seconds))
                .with("service_cpu_us_per_record", Double(service.cpuMicros() - cpuBefore) / Double(size - before))
                .with("rss_mb", service.residentMegabytes()).print()
            guard let signed = SignedTreeHead(head) else { throw BenchError("the head is not well formed") }
            try AuditProofCheck.head(signed, keys: trusted)

            try await measureProofs(size: size, count: proofs, cache: "as_loaded", bus: bus, keys: trusted, service: service)
            // The same with the audit's tables and indexes read into the
            // machine's page cache first (pg_prewarm): what a deployment
            // whose memory holds them gets, against the pages as the load
            // and the tree build left them.
            // (scripts/stack.sh creates the extension; a superuser must.)
            let prewarmStart = nowNanos()
            let blocks = try await pool.withConnection { connection -> Int64? in
                guard try await !connection.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_prewarm'").isEmpty else { return nil }
                return try await connection.query("""
                    SELECT coalesce(sum(pg_prewarm(oid, 'read')), 0)::bigint AS blocks FROM pg_class
                    WHERE relnamespace = '\(schema)'::regnamespace AND relkind IN ('r', 'i')
                    """)[0].decode("blocks")
            }
            if let blocks {
                BenchLine("audit.prewarm").with("records", size).with("mb", Int(blocks * 8 / 1024))
                    .with("seconds", Double(nowNanos() - prewarmStart) / 1e9).print()
                try await measureProofs(size: size, count: proofs, cache: "prewarmed", bus: bus, keys: trusted, service: service)
            } else {
                FileHandle.standardError.write(Data("agion-bench: no pg_prewarm in this database (scripts/stack.sh start creates it): proofs measured as loaded only\n".utf8))
            }

            var samples: [UInt64] = []
            for i in 0..<max(proofs / 4, 1) {
                let from = Int64.random(in: 1...Int64(size))
                let started = nowNanos()
                let proof = try await bus.call(GovernanceSubjects.auditConsistency, AuditConsistencyRequest(from: from, to: Int64(size)),
                                               tenant: tenant, as: AuditConsistencyProof.self)
                samples.append(nowNanos() - started)
                if i % 50 == 0, !MerkleTree.verifyConsistency(first: UInt64(from), second: UInt64(size), firstRoot: [UInt8](hex: proof.fromRoot)!,
                                                            secondRoot: signed.head.rootHash, proof: proof.proof.map { [UInt8](hex: $0)! }) {
                    throw BenchError("a consistency proof from \(from) to \(size) does not verify")
                }
            }
            samples.sort()
            BenchLine("audit.consistency").with("records", size).with("p50_us", percentileMicros(samples, 0.5))
                .with("p99_us", percentileMicros(samples, 0.99)).print()

            let verifyStart = nowNanos()
            var job = try await bus.call(GovernanceSubjects.auditVerify, AuditVerifyRequest(), tenant: tenant, as: AuditVerifyResponse.self)
            while !job.finished {
                try await Task.sleep(for: .milliseconds(200))
                job = try await bus.call(GovernanceSubjects.auditVerification, AuditVerificationRequest(verificationID: job.verificationID),
                                         tenant: tenant, as: AuditVerifyResponse.self)
            }
            guard job.intact, job.fromSize == verifiedTo else { throw BenchError("verification: \(job)") }
            verifiedTo = job.toSize
            BenchLine("audit.verify_incremental").with("records", Int(job.recordsChecked))
                .with("records_per_s", Int(Double(job.recordsChecked) / (Double(nowNanos() - verifyStart) / 1e9))).print()
        }
        try? await bus?.drain(timeout: .seconds(2))
        if ProcessInfo.processInfo.environment["AGION_BENCH_KEEP_AUDIT"] == nil {
            try await pool.withConnection { try await $0.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        }
        await pool.shutdown()
    }

    /// `audit.proof`: inclusion proofs of random decisions, one after
    /// another, every 50th checked as an auditor would (outside the timing).
    static func measureProofs(size: Int, count: Int, cache: String, bus: Bus, keys: [String: [UInt8]], service: ServiceProcess) async throws {
        var samples: [UInt64] = []
        for i in 0..<count {
            let sequence = Int.random(in: 1...size)
            let started = nowNanos()
            let proof = try await bus.call(GovernanceSubjects.auditProof, AuditProofRequest(decisionID: ChainLoader.decisionID(sequence)),
                                           tenant: tenant, as: AuditInclusionProof.self)
            samples.append(nowNanos() - started)
            if i % 50 == 0 {
                try AuditProofCheck.inclusion(leaf: proof.leaf, index: UInt64(proof.leafIndex), path: proof.auditPath.map { [UInt8](hex: $0)! },
                                              head: SignedTreeHead(proof.treeHead)!, keys: keys)
            }
        }
        samples.sort()
        BenchLine("audit.proof").with("records", size).with("proofs", count).withText("cache", cache).with("p50_us", percentileMicros(samples, 0.5))
            .with("p99_us", percentileMicros(samples, 0.99)).with("rss_mb", service.residentMegabytes()).print()
    }

    static func startGovernance(url: String) throws -> ServiceProcess {
        try ServiceProcess.start("agion-governance", environment: [
            "AGION_NATS_URL": url, "AGION_GOVERNANCE_SCHEMA": schema, "AGION_GOVERNANCE_AUDIT_HEAD_MS": "100",
            "AGION_GOVERNANCE_SPOOL_DIR": NSTemporaryDirectory() + "agion-bench-audit-spool-\(getpid())",
            "AGION_GOVERNANCE_CACHE_PREFIX": "bench:audit", "AGION_ADMIN_PORT": String(adminPort),
            "AGION_LOG_LEVEL": ProcessInfo.processInfo.environment["AGION_BENCH_SERVICE_LOG_LEVEL"] ?? "error",
        ])
    }

    static func waitForHead(size: Int64, bus: Bus) async throws -> AuditTreeHead {
        let deadline = ContinuousClock.now + .seconds(3_600)
        while ContinuousClock.now < deadline {
            if let head = try? await bus.call(GovernanceSubjects.auditHead, AuditTreeHeadRequest(), tenant: tenant, as: AuditTreeHead.self),
               head.treeSize >= size { return head }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("no head over \(size) records within an hour")
    }

    /// Writes chained records the way `AuditLedger.append` does, 10,000 a
    /// statement, with decision ids derived from their sequence (so proofs
    /// can be asked for without keeping ids in memory).
    struct ChainLoader {
        let pool: ConnectionPool
        var size = 0
        var chain = AuditChain.genesis

        init(pool: ConnectionPool) { self.pool = pool }

        static func decisionID(_ sequence: Int) -> String { String(format: "bench-%012d", sequence) }

        mutating func load(upTo target: Int) async throws {
            while size < target {
                let count = min(10_000, target - size)
                var rows = BinaryCopyRows(columns: 10, reservingBytes: count * 300)
                for sequence in size + 1 ... size + count {
                    let record = AuditRecord(decisionID: Self.decisionID(sequence), kind: .check, tenant: AuditBenchmark.tenant,
                                             agentID: "bench:agent\(sequence % 10)", action: "reports.generate", result: "allow",
                                             trustScore: 0.5, policyRevision: 1, decidedAtUnixNanos: Int64(sequence) * 1_000)
                    let bytes = record.fastEncoded()
                    chain = AuditChain.link(previous: chain, sequence: Int64(sequence), record: bytes)
                    rows.append([.text(AuditBenchmark.tenant), .bigint(Int64(sequence)), .text(record.decisionID), .text("check"), .text(record.agentID),
                                 .text(record.action), .text("allow"), .bigint(record.decidedAtUnixNanos), .bytea(bytes), .bytea(chain)])
                }
                let last = size + count, head = chain
                try await pool.withTransaction { connection in
                    try await connection.copy(into: "\(AuditBenchmark.schema).audit_records",
                                              columns: ["tenant", "sequence", "decision_id", "kind", "agent_id", "action", "result", "decided_at", "record", "hash"],
                                              rows: rows)
                    try await connection.execute("""
                        INSERT INTO \(AuditBenchmark.schema).audit_heads (tenant, sequence, hash) VALUES ($1, $2, $3)
                        ON CONFLICT (tenant) DO UPDATE SET sequence = EXCLUDED.sequence, hash = EXCLUDED.hash
                        """, [AuditBenchmark.tenant, Int64(last), head])
                }
                size = last
            }
        }
    }
}
