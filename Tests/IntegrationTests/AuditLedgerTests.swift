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
}
