import AgionContract
import AgionEnvelope
@testable import AgionGovernance
import AgionStore
import Testing

/// The audit ledger against PostgreSQL: what the shipper relies on when a
/// replica died after committing a batch but before marking it shipped.
@Suite(.timeLimit(.minutes(1))) struct AuditLedgerTests {
    @Test func reShippingABatchChainsEachDecisionOnce() async throws {
        let pool = TestEnvironment.pool()
        let schema = TestEnvironment.schemaName()
        defer { Task { await TestEnvironment.dropSchema(schema, pool) } }
        try await Migrator(pool: pool, logger: TestEnvironment.logger).migrate(schema: schema, GovernanceMigrations.all)
        let ledger = AuditLedger(schema: schema)
        func entries(_ range: Range<Int>) -> [AuditLedger.Entry] {
            range.map { i in
                AuditLedger.Entry(AuditRecord(decisionID: UUIDv7.make().lowercasedString, kind: .check, tenant: i % 2 == 0 ? "a" : "b",
                                                  agentID: "c:n", action: "act.\(i)", result: "allow", trustScore: 0.5, policyRevision: 1,
                                                  decidedAtUnixNanos: Int64(i)))
            }
        }
        let first = entries(0..<10), second = entries(10..<20)
        #expect(try await pool.withTransaction { try await ledger.append(first, announce: false, on: $0) } == 10)
        // The crashed batch again, followed by records it never reached.
        #expect(try await pool.withTransaction { try await ledger.append(Array(first[4...]) + second, announce: false, on: $0) } == 10)
        for tenant in ["a", "b"] {
            let verified = try await ledger.verify(tenant: try TenantID(tenant), pool: pool)
            #expect(verified.intact)
            #expect(verified.recordsChecked == 10)
        }
    }

    /// Verification while the shipper appends must not mistake the new
    /// records for a head that does not match (seen once in CI: the head was
    /// read after the records; it is now read first). The window is narrow,
    /// so this checks the property under load rather than replaying that race.
    @Test func verifyingWhileRecordsAreAppendedStaysIntact() async throws {
        let pool = TestEnvironment.pool()
        let schema = TestEnvironment.schemaName()
        defer { Task { await TestEnvironment.dropSchema(schema, pool) } }
        try await Migrator(pool: pool, logger: TestEnvironment.logger).migrate(schema: schema, GovernanceMigrations.all)
        let ledger = AuditLedger(schema: schema)
        let writer = TestEnvironment.pool()
        let appending = Task {
            for batch in 0..<40 {
                let entries = (0..<25).map { i in
                    AuditLedger.Entry(AuditRecord(decisionID: UUIDv7.make().lowercasedString, kind: .check, tenant: "t", agentID: "c:n",
                                                  action: "act", result: "allow", trustScore: 0.5, policyRevision: 1,
                                                  decidedAtUnixNanos: Int64(batch * 25 + i)))
                }
                try await writer.withTransaction { try await ledger.append(entries, announce: false, on: $0) }
            }
        }
        var verifications = 0
        while !appending.isCancelled, verifications < 200 {
            let verified = try await ledger.verify(tenant: try TenantID("t"), pool: pool, pageSize: 7)
            #expect(verified.intact, "\(verified.reason)")
            verifications += 1
            if (try? await pool.withConnection({ try await $0.query("SELECT sequence FROM \(schema).audit_heads WHERE tenant = 't'") }))?
                .first.flatMap({ try? $0.decode("sequence", as: Int64.self) }) == 1_000 { break }
        }
        try await appending.value
        await writer.shutdown()
        #expect(try await ledger.verify(tenant: try TenantID("t"), pool: pool).recordsChecked == 1_000)
    }
}
