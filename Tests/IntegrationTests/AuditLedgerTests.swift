import AgionContract
import AgionEnvelope
@testable import AgionGovernance
import AgionStore
import GovernanceCore
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
            let (links, broken) = try await pool.withConnection { connection in
                try await ledger.checkedLinks(tenant: tenant, after: 0, through: 100, previous: AuditChain.genesis, on: connection)
            }
            #expect(links.count == 10 && broken?.reason.contains("record 11 is missing") == true)
        }
    }

    static func entries(_ count: Int, tenant: String, from first: Int = 0) -> [AuditLedger.Entry] {
        (first ..< first + count).map { i in
            AuditLedger.Entry(AuditRecord(decisionID: UUIDv7.make().lowercasedString, kind: .check, tenant: tenant, agentID: "c:n",
                                          action: "act.\(i)", result: "allow", trustScore: 0.5, policyRevision: 1, decidedAtUnixNanos: Int64(i)))
        }
    }

    /// The tree builder and verifications running while the shipper
    /// appends: every head signed verifies, every verification is intact,
    /// and in the end the tree, the heads and the verifications reach the
    /// last record.
    @Test func treeAndVerificationsKeepUpWithAppendsAndStayIntact() async throws {
        let pool = TestEnvironment.pool()
        let schema = TestEnvironment.schemaName()
        defer { Task { await TestEnvironment.dropSchema(schema, pool) } }
        try await Migrator(pool: pool, logger: TestEnvironment.logger).migrate(schema: schema, GovernanceMigrations.all)
        let ledger = AuditLedger(schema: schema)
        let signer = TreeHeadSigner.generate()
        let builder = AuditTreeBuilder(pool: pool, schema: schema, signer: signer, interval: .milliseconds(10), logger: TestEnvironment.logger,
                                       chunk: 60)
        let verifier = AuditVerifier(pool: pool, schema: schema, logger: TestEnvironment.logger, chunk: 45)
        let writer = TestEnvironment.pool()
        let appending = Task {
            for batch in 0..<40 {
                try await writer.withTransaction { try await ledger.append(Self.entries(25, tenant: "t", from: batch * 25), announce: false, on: $0) }
            }
        }
        var lastVerified: Int64 = 0
        // Paced: a loop flat out would load PostgreSQL (which every suite
        // running alongside needs) with thousands of jobs for nothing.
        for _ in 0..<400 {
            let heads = try await pool.withConnection { try await $0.query("SELECT sequence FROM \(schema).audit_heads WHERE tenant = 't'") }
            let finished = try heads.first?.decode("sequence", as: Int64.self) == 1_000
            try await builder.round()
            let verified = try await verifier.start(AuditVerifyRequest(), tenant: try TenantID("t"))
            #expect(verified.intact && verified.fromSize == lastVerified, "\(verified.reason)")
            lastVerified = verified.toSize
            if finished { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await appending.value
        await writer.shutdown()
        try await builder.round()
        let last = try await verifier.start(AuditVerifyRequest(), tenant: try TenantID("t"))
        #expect(last.intact && last.toSize == 1_000)
        let full = try await verifier.start(AuditVerifyRequest(full: true), tenant: try TenantID("t"))
        #expect(full.intact && full.recordsChecked == 1_000 && full.rootHash == last.rootHash)
    }

    /// A verification too long to answer at once is a job: a replica takes
    /// it under a lease and saves progress per chunk; when that replica
    /// stops mid-way, another takes over after the lease from the last chunk
    /// saved, and the first cannot overwrite what the second did.
    @Test func aLongVerificationIsAJobThatOutlivesTheReplicaRunningIt() async throws {
        let pool = TestEnvironment.pool()
        let schema = TestEnvironment.schemaName()
        defer { Task { await TestEnvironment.dropSchema(schema, pool) } }
        try await Migrator(pool: pool, logger: TestEnvironment.logger).migrate(schema: schema, GovernanceMigrations.all)
        let ledger = AuditLedger(schema: schema)
        try await pool.withTransaction { try await ledger.append(Self.entries(500, tenant: "t"), announce: false, on: $0) }
        try await AuditTreeBuilder(pool: pool, schema: schema, signer: TreeHeadSigner.generate(), interval: .seconds(1),
                                   logger: TestEnvironment.logger).round()
        let tenant = try TenantID("t")
        let first = AuditVerifier(pool: pool, schema: schema, logger: TestEnvironment.logger, inlineLimit: 100, chunk: 50, lease: .milliseconds(700))
        let second = AuditVerifier(pool: pool, schema: schema, logger: TestEnvironment.logger, inlineLimit: 100, chunk: 50, lease: .milliseconds(700))

        let pending = try await first.start(AuditVerifyRequest(full: true), tenant: tenant)
        #expect(pending.status == .pending && pending.toSize == 500 && pending.recordsChecked == 0)
        // Asking again while it is open follows the same job.
        #expect(try await second.start(AuditVerifyRequest(full: true), tenant: tenant).verificationID == pending.verificationID)

        var job = try #require(try await first.claim())
        for _ in 0..<3 { #expect(try await first.step(&job)) }
        // The first replica stops here (killed): progress so far is saved.
        let midway = try await first.get(AuditVerificationRequest(verificationID: pending.verificationID), tenant: tenant)
        #expect(midway.status == .running && midway.recordsChecked == 150)
        #expect(try await second.claim() == nil, "the lease still holds")
        try await Task.sleep(for: .milliseconds(800))
        let taken = try #require(try await second.claim())
        #expect(taken.nextSize == 150)
        try await second.process(taken)
        let done = try await second.get(AuditVerificationRequest(verificationID: pending.verificationID), tenant: tenant)
        #expect(done.status == .succeeded && done.intact && done.recordsChecked == 500)
        // The first replica, back, has lost the job and changes nothing.
        #expect(try await first.step(&job) == false)
        #expect(try await first.get(AuditVerificationRequest(verificationID: pending.verificationID), tenant: tenant) == done)
    }
}

/// How shipped checks are announced: one `decisions_recorded` per tenant per
/// batch, split by size, with ids that repeat for the same records.
@Suite struct AuditBatchEventTests {
    static func entry(_ index: Int, tenant: String, kind: AuditRecord.Kind = .check, padding: Int = 0) -> AuditLedger.Entry {
        AuditLedger.Entry(AuditRecord(decisionID: UUIDv7.make().lowercasedString, kind: kind, tenant: tenant, agentID: "c:n",
                                      action: "act.\(index)" + String(repeating: "x", count: padding), result: "allow", trustScore: 0.5,
                                      policyRevision: 1, decidedAtUnixNanos: Int64(index)))
    }

    @Test func oneEventPerTenantCarriesItsRecordsInChainOrder() throws {
        let entries = (0..<10).map { Self.entry($0, tenant: $0 % 3 == 0 ? "a" : "b") }
        let events = AuditLedger.batchEvents(for: entries)
        #expect(events.map(\.subject) == ["agion.governance.evt.a.decisions_recorded", "agion.governance.evt.b.decisions_recorded"])
        for (envelope, _) in events {
            #expect(envelope.type == GovernanceSubjects.EventType.decisionsRecorded)
            let records = try envelope.payload(as: DecisionsRecorded.self).records
            let expected = entries.filter { $0.record.tenant == envelope.tenant }
            #expect(records.map(\.decisionID) == expected.map(\.record.decisionID))
            #expect(envelope.occurredAtUnixNanos == expected.last!.record.decidedAtUnixNanos)
        }
        // The hand-made payload is what the generic codec makes of the same records.
        let generic = try DecisionsRecorded(records: entries.filter { $0.record.tenant == "a" }.map { try AuditRecord(decoding: $0.bytes) }).encoded()
        #expect(events[0].envelope.payload == generic)
    }

    @Test func theSameRecordsGiveTheSameEventIdAndOthersAnother() {
        let entries = (0..<5).map { Self.entry($0, tenant: "a") }
        #expect(AuditLedger.batchEvents(for: entries)[0].envelope.id == AuditLedger.batchEvents(for: entries)[0].envelope.id)
        #expect(AuditLedger.batchEvents(for: entries)[0].envelope.id != AuditLedger.batchEvents(for: Array(entries.prefix(4)))[0].envelope.id)
    }

    @Test func eventIdsAreUUIDv7LikeEveryEnvelopeId() {
        // They were version 8 while envelope.proto promised version 7.
        let entries = (0..<5).map { Self.entry($0 + 1_764_800_000_000_000_000, tenant: "a") }
        let id = AuditLedger.batchEvents(for: entries)[0].envelope.id
        #expect(id.uuid.6 >> 4 == 7)
        #expect(id.uuid.8 >> 6 == 0b10)
        #expect(UUIDv7.unixMillis(of: id) == UInt64(entries[0].record.decidedAtUnixNanos / 1_000_000))
    }

    @Test func aLargeBatchIsSplitUnderTheSizeLimitAndNothingIsLost() throws {
        let entries = (0..<20).map { Self.entry($0, tenant: "a", padding: 1_000) }
        let events = AuditLedger.batchEvents(for: entries, maxBytes: 4_000)
        #expect(events.count > 1)
        #expect(events.allSatisfy { $0.envelope.payload.count <= 4_000 })
        let announced = try events.flatMap { try $0.envelope.payload(as: DecisionsRecorded.self).records.map(\.decisionID) }
        #expect(announced == entries.map(\.record.decisionID))
    }

    @Test func validationsAreAnnouncedOneByOneAndChecksTogether() {
        let entries = [Self.entry(0, tenant: "a", kind: .validate), Self.entry(1, tenant: "a"), Self.entry(2, tenant: "a")]
        let events = AuditLedger.events(for: entries)
        #expect(events.map(\.envelope.type) == [GovernanceSubjects.EventType.outputValidated, GovernanceSubjects.EventType.decisionsRecorded])
        #expect(events[0].envelope.id.lowercasedString == entries[0].record.decisionID)
    }
}
