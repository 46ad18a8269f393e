import AgionBus
import AgionContract
import AgionEnvelope
import Foundation
import GovernanceCore
import Testing

/// The audit's Merkle tree on the two governance replicas: signed heads,
/// inclusion and consistency proofs checked as an auditor would (only the
/// public keys trusted), and tampering after signing refused.
extension GovernanceServiceTests {
    func head(atLeast size: Int64, _ bus: Bus) async throws -> AuditTreeHead {
        var latest: AuditTreeHead?
        try await eventually(timeout: .seconds(20), "a signed head of \(size) records") {
            latest = try? await bus.call(GovernanceSubjects.auditHead, AuditTreeHeadRequest(), tenant: tenant, as: AuditTreeHead.self)
            return (latest?.treeSize ?? 0) >= size
        }
        return latest!
    }

    func trustedKeys(_ bus: Bus) async throws -> [String: [UInt8]] {
        let keys = try await bus.call(GovernanceSubjects.auditKeys, AuditKeysRequest(), tenant: tenant, as: AuditKeysResponse.self).keys
        return Dictionary(uniqueKeysWithValues: keys.map { ($0.keyID, [UInt8](hex: $0.publicKey)!) })
    }

    func decisions(_ count: Int, _ agent: AgentID, _ bus: Bus) async throws -> [String] {
        var ids: [String] = []
        for i in 0..<count { ids.append(try await check(CheckRequest(agentID: agent, action: "audit.step.\(i)"), bus).decisionID) }
        return ids
    }

    @Test func everyDecisionHasAnInclusionProofAgainstASignedHeadAndHeadsOnlyGrow() async throws {
        let bus = try await governance()
        try await putPolicy("rules: [{id: all, effect: allow}]", bus)
        let agent = try await register("merkle", bus)
        // 37 records: stored subtrees (16 and 32 leaves) and hashed-again ones (the last 5) both in the proofs.
        let ids = try await decisions(37, agent, bus)
        let older = try await head(atLeast: 37, bus)
        let keys = try await trustedKeys(bus)
        let olderSigned = try #require(SignedTreeHead(older))
        try AuditProofCheck.head(olderSigned, keys: keys)

        var indexes = Set<Int64>()
        for id in ids {
            let proof = try await bus.call(GovernanceSubjects.auditProof, AuditProofRequest(decisionID: id), tenant: tenant, as: AuditInclusionProof.self)
            // Leaves are in chain order: the two replicas' decisions interleave by when they were shipped.
            #expect(proof.leafIndex >= 0 && proof.leafIndex < proof.treeSize && indexes.insert(proof.leafIndex).inserted)
            #expect(proof.leafHash == MerkleTree.leafHash(proof.leaf).hexString)
            #expect(try AuditRecord(decoding: proof.leaf).decisionID == id)
            let signed = try #require(SignedTreeHead(proof.treeHead))
            #expect(proof.rootHash == signed.head.rootHash.hexString)
            try AuditProofCheck.inclusion(leaf: proof.leaf, index: UInt64(proof.leafIndex), path: proof.auditPath.map { [UInt8](hex: $0)! },
                                          head: signed, keys: keys)
            // A proof for another record, or with one hash of its path changed, does not verify.
            var forged = proof.leaf
            forged[forged.count / 2] ^= 1
            #expect(throws: AuditProofCheck.Failure.self) {
                try AuditProofCheck.inclusion(leaf: forged, index: UInt64(proof.leafIndex), path: proof.auditPath.map { [UInt8](hex: $0)! },
                                              head: signed, keys: keys)
            }
        }

        // More decisions: a newer head, which must extend the one kept.
        _ = try await decisions(30, agent, bus)
        let newer = try await head(atLeast: older.treeSize + 30, bus)
        let consistency = try await bus.call(GovernanceSubjects.auditConsistency, AuditConsistencyRequest(from: older.treeSize, to: newer.treeSize),
                                             tenant: tenant, as: AuditConsistencyProof.self)
        #expect(consistency.fromRoot == older.rootHash && consistency.toRoot == newer.rootHash)
        let newerSigned = try #require(SignedTreeHead(newer))
        try AuditProofCheck.consistency(older: olderSigned, newer: newerSigned, proof: consistency.proof.map { [UInt8](hex: $0)! }, keys: keys)
        // A forked head (same size, another root, even validly signed) does not extend it.
        var fork = olderSigned.head
        fork.rootHash = MerkleTree.leafHash([1, 2, 3])
        let forger = TreeHeadSigner.generate()
        let forged = try forger.sign(fork)
        #expect(throws: AuditProofCheck.Failure.self) {
            try AuditProofCheck.consistency(older: forged, newer: newerSigned, proof: consistency.proof.map { [UInt8](hex: $0)! },
                                            keys: keys.merging([forger.keyID: forger.publicKey]) { a, _ in a })
        }
        // Nor does a head signed by a key nobody trusts.
        #expect(throws: AuditProofCheck.Failure.self) { try AuditProofCheck.head(forged, keys: keys) }
        // The head at an earlier size is served as signed.
        let again = try await bus.call(GovernanceSubjects.auditHead, AuditTreeHeadRequest(treeSize: older.treeSize), tenant: tenant, as: AuditTreeHead.self)
        #expect(again == older)
    }

    @Test func aRecordChangedAfterSigningIsRefusedAndStopsTheTree() async throws {
        let bus = try await governance()
        try await putPolicy("rules: [{id: all, effect: allow}]", bus)
        let agent = try await register("merkle-tampered", bus)
        _ = try await decisions(20, agent, bus)
        _ = try await head(atLeast: 20, bus)

        let pool = TestEnvironment.pool(size: 1)
        defer { Task { await pool.shutdown() } }
        // Swap two records' bytes (a reordered pair), as an intruder with SQL access would.
        try await pool.withConnection { connection in
            try await connection.execute("""
                UPDATE \(GovernanceCluster.schema).audit_records r SET record = o.record
                FROM \(GovernanceCluster.schema).audit_records o
                WHERE r.tenant = $1 AND o.tenant = $1 AND ((r.sequence = 4 AND o.sequence = 5) OR (r.sequence = 5 AND o.sequence = 4))
                """, [tenant])
        }
        // The record next to them (leaf 5): its audit path is hashed again from leaves 4 and 5.
        let neighbour = try await pool.withConnection { connection in
            try await connection.query("SELECT decision_id FROM \(GovernanceCluster.schema).audit_records WHERE tenant = $1 AND sequence = 6", [tenant])[0]
                .decode("decision_id", as: String.self)
        }
        let refused = await remoteError {
            _ = try await bus.call(GovernanceSubjects.auditProof, AuditProofRequest(decisionID: neighbour), tenant: tenant, as: AuditInclusionProof.self)
        }
        #expect(refused?.message.contains("changed after signing") == true)

        // The tree itself was built from the records as they were: a newer
        // decision still proves, through the subtrees stored before the change.
        let later = try await decisions(1, agent, bus)[0]
        _ = try await head(atLeast: 21, bus)
        let proof = try await bus.call(GovernanceSubjects.auditProof, AuditProofRequest(decisionID: later), tenant: tenant, as: AuditInclusionProof.self)
        try AuditProofCheck.inclusion(leaf: proof.leaf, index: UInt64(proof.leafIndex), path: proof.auditPath.map { [UInt8](hex: $0)! },
                                      head: try #require(SignedTreeHead(proof.treeHead)), keys: try await trustedKeys(bus))

        // A record forged onto the end of the chain (its hash does not
        // link) stops the tree there: no head is ever signed over it.
        try await pool.withConnection { connection in
            try await connection.execute("""
                INSERT INTO \(GovernanceCluster.schema).audit_records (tenant, sequence, decision_id, kind, agent_id, action, result, decided_at, record, hash)
                SELECT tenant, 22, 'forged-' || decision_id, kind, agent_id, action, result, decided_at, record, '\\x00'::bytea
                FROM \(GovernanceCluster.schema).audit_records WHERE tenant = $1 AND sequence = 21
                """, [tenant])
            try await connection.execute("UPDATE \(GovernanceCluster.schema).audit_heads SET sequence = 22 WHERE tenant = $1", [tenant])
        }
        try await eventually(timeout: .seconds(20), "the builder found the forged record") {
            try await pool.withConnection { connection in
                try await connection.query("SELECT broken_at FROM \(GovernanceCluster.schema).audit_trees WHERE tenant = $1", [tenant])
                    .first?.decode("broken_at", as: Int64?.self)
            } == 22
        }
        let latest = try await bus.call(GovernanceSubjects.auditHead, AuditTreeHeadRequest(), tenant: tenant, as: AuditTreeHead.self)
        #expect(latest.treeSize == 21)
    }

    @Test func oldRecordsAreArchivedVerifiedAndDroppedWhileWhatIsKeptStillProves() async throws {
        let bus = try await governance()
        try await putPolicy("rules: [{id: all, effect: allow}]", bus)
        let agent = try await register("archived", bus)
        let old = try await decisions(40, agent, bus)
        // All 40 in the chain before the cut and before any newer decision:
        // two replicas ship in their own time, so chain order is not decision order.
        _ = try await head(atLeast: 40, bus)
        let cut = Int64(Date().timeIntervalSince1970 * 1e9)
        try await Task.sleep(for: .milliseconds(20))
        _ = try await decisions(10, agent, bus)
        _ = try await head(atLeast: 50, bus)
        let keys = try await trustedKeys(bus)

        // Records 1-40 were decided before the cut: the archive takes 1-32 (a multiple of 16).
        let archive = try await bus.call(GovernanceSubjects.createAuditArchive, CreateAuditArchiveRequest(beforeUnixNanos: cut), tenant: tenant,
                                         as: AuditArchive.self)
        #expect(archive.fromSize == 0 && archive.toSize == 32 && archive.head.treeSize == 32 && archive.droppedAtUnixMillis == 0)
        var exported: [AuditArchiveRecord] = []
        var after: Int64 = 0
        repeat {
            let page = try await bus.call(GovernanceSubjects.auditArchiveRecords, AuditArchiveRecordsRequest(toSize: 32, afterSequence: after, pageSize: 10),
                                          tenant: tenant, as: AuditArchiveRecordsResponse.self)
            exported += page.records
            after = page.nextAfterSequence
        } while after != 0
        #expect(exported.map(\.sequence) == Array(1...32))
        func check(_ records: [AuditArchiveRecord]) throws {
            var check = try AuditArchiveCheck(fromSize: UInt64(archive.fromSize), toSize: UInt64(archive.toSize),
                                              chainHashBefore: [UInt8](hex: archive.chainHashBefore)!, frontierBefore: archive.frontierBefore.map { [UInt8](hex: $0)! },
                                              head: try #require(SignedTreeHead(archive.head)), keys: keys)
            for record in records { try check.add(sequence: record.sequence, record: record.record, hash: [UInt8](hex: record.hash)!) }
            try check.finish()
        }
        try check(exported)
        var altered = exported
        altered[7].record[3] ^= 1
        #expect(throws: AuditProofCheck.Failure.self) { try check(altered) }
        #expect(throws: AuditProofCheck.Failure.self) { try check(Array(exported.dropLast())) }

        let dropped = try await bus.call(GovernanceSubjects.dropAuditArchive, DropAuditArchiveRequest(toSize: 32), tenant: tenant, as: AuditArchive.self)
        #expect(dropped.droppedAtUnixMillis > 0)
        let pool = TestEnvironment.pool(size: 1)
        defer { Task { await pool.shutdown() } }
        let left = try await pool.withConnection { connection in
            try await connection.query("SELECT min(sequence) AS first, count(*) AS n FROM \(GovernanceCluster.schema).audit_records WHERE tenant = $1", [tenant])[0]
        }
        #expect(try left.decode("first", as: Int64.self) == 33 && left.decode("n", as: Int64.self) == 18)

        // What was dropped has no proof here (its archive is its proof); what is kept still proves.
        let gone = await remoteError {
            _ = try await bus.call(GovernanceSubjects.auditProof, AuditProofRequest(decisionID: old[0]), tenant: tenant, as: AuditInclusionProof.self)
        }
        #expect(gone?.code == .notFound)
        let kept = try await pool.withConnection { connection in
            try await connection.query("SELECT decision_id FROM \(GovernanceCluster.schema).audit_records WHERE tenant = $1 AND sequence IN (33, 50)",
                                       [tenant]).map { try $0.decode("decision_id", as: String.self) }
        }
        for id in kept {
            let proof = try await bus.call(GovernanceSubjects.auditProof, AuditProofRequest(decisionID: id), tenant: tenant, as: AuditInclusionProof.self)
            try AuditProofCheck.inclusion(leaf: proof.leaf, index: UInt64(proof.leafIndex), path: proof.auditPath.map { [UInt8](hex: $0)! },
                                          head: try #require(SignedTreeHead(proof.treeHead)), keys: keys)
        }
        // The archive's head extends to every later head; sizes inside the dropped range but not on a 16 boundary have no proof.
        let latest = try await head(atLeast: 50, bus)
        let consistency = try await bus.call(GovernanceSubjects.auditConsistency, AuditConsistencyRequest(from: 32, to: latest.treeSize), tenant: tenant,
                                             as: AuditConsistencyProof.self)
        try AuditProofCheck.consistency(older: try #require(SignedTreeHead(archive.head)), newer: try #require(SignedTreeHead(latest)),
                                        proof: consistency.proof.map { [UInt8](hex: $0)! }, keys: keys)
        let inside = await remoteError {
            _ = try await bus.call(GovernanceSubjects.auditConsistency, AuditConsistencyRequest(from: 20, to: latest.treeSize), tenant: tenant,
                                   as: AuditConsistencyProof.self)
        }
        #expect(inside?.code == .failedPrecondition && inside?.message.contains("multiple of 16") == true, "\(String(describing: inside))")
        // Past the dropped records, any size has its proof again (its small subtrees' records are kept).
        let past = try await bus.call(GovernanceSubjects.auditConsistency, AuditConsistencyRequest(from: 37, to: latest.treeSize), tenant: tenant,
                                      as: AuditConsistencyProof.self)
        #expect(MerkleTree.verifyConsistency(first: 37, second: UInt64(latest.treeSize), firstRoot: [UInt8](hex: past.fromRoot)!,
                                             secondRoot: [UInt8](hex: latest.rootHash)!, proof: past.proof.map { [UInt8](hex: $0)! }))
        // A full verification starts where the dropped records end.
        let verified = try await bus.call(GovernanceSubjects.auditVerify, AuditVerifyRequest(full: true), tenant: tenant, as: AuditVerifyResponse.self)
        #expect(verified.intact && verified.fromSize == 32 && verified.toSize == latest.treeSize, "\(verified)")
        // Nothing more is old enough to archive: 33-40 do not make 16.
        let nothing = await remoteError {
            _ = try await bus.call(GovernanceSubjects.createAuditArchive, CreateAuditArchiveRequest(beforeUnixNanos: cut), tenant: tenant, as: AuditArchive.self)
        }
        #expect(nothing?.code == .failedPrecondition)
    }

    /// An intruder who reorders two records and recomputes every chain hash
    /// after them leaves a chain that links: the signed heads find it, and
    /// verification names the records between the last head that still
    /// agrees and the first that does not.
    @Test func aReorderedPairWithItsChainRewrittenIsFoundBetweenTheHeadsAroundIt() async throws {
        let bus = try await governance()
        try await putPolicy("rules: [{id: all, effect: allow}]", bus)
        let agent = try await register("merkle-rechained", bus)
        _ = try await decisions(8, agent, bus)
        let before = try await head(atLeast: 8, bus).treeSize
        _ = try await decisions(8, agent, bus)
        let after = try await head(atLeast: before + 8, bus).treeSize
        let pool = TestEnvironment.pool(size: 1)
        defer { Task { await pool.shutdown() } }
        let schema = GovernanceCluster.schema
        let first = before + 3
        try await pool.withConnection { connection in
            try await connection.execute("BEGIN")
            for (from, to) in [(first, Int64(-1)), (first + 1, first), (-1, first + 1)] {
                try await connection.execute("UPDATE \(schema).audit_records SET sequence = $3 WHERE tenant = $1 AND sequence = $2", [tenant, from, to])
            }
            let rows = try await connection.queryBinary("""
                SELECT sequence, record, hash FROM \(schema).audit_records WHERE tenant = $1 AND sequence >= $2 ORDER BY sequence
                """, [tenant, first - 1])
            var previous = try rows[0].bytes("hash")
            for row in rows.dropFirst() {
                let sequence = try row.int64("sequence")
                previous = AuditChain.link(previous: previous, sequence: sequence, record: try row.bytes("record"))
                try await connection.execute("UPDATE \(schema).audit_records SET hash = $3 WHERE tenant = $1 AND sequence = $2", [tenant, sequence, previous])
            }
            try await connection.execute("UPDATE \(schema).audit_heads SET hash = $2 WHERE tenant = $1", [tenant, previous])
            try await connection.execute("COMMIT")
        }
        let verified = try await bus.call(GovernanceSubjects.auditVerify, AuditVerifyRequest(full: true), tenant: tenant, as: AuditVerifyResponse.self)
        #expect(!verified.intact && verified.reason.contains("rewritten together with the chain hashes"), "\(verified)")
        // The head at `before` still agrees; the first one after the pair does not.
        #expect(verified.firstBrokenSequence > before && verified.firstBrokenSequence <= first, "\(verified)")
        #expect(verified.recordsChecked <= after)
    }

    @Test func aRemovedRecordOrATruncatedTailIsFound() async throws {
        let bus = try await governance()
        try await putPolicy("rules: [{id: all, effect: allow}]", bus)
        let agent = try await register("merkle-removed", bus)
        _ = try await decisions(6, agent, bus)
        let size = try await head(atLeast: 6, bus).treeSize
        let pool = TestEnvironment.pool(size: 1)
        defer { Task { await pool.shutdown() } }
        func remove(_ sequence: Int64) async throws {
            try await pool.withConnection { connection in
                try await connection.execute("DELETE FROM \(GovernanceCluster.schema).audit_records WHERE tenant = $1 AND sequence = $2", [tenant, sequence])
            }
        }
        func verify() async throws -> AuditVerifyResponse {
            try await bus.call(GovernanceSubjects.auditVerify, AuditVerifyRequest(full: true), tenant: tenant, as: AuditVerifyResponse.self)
        }
        try await remove(size)
        let truncated = try await verify()
        #expect(!truncated.intact && truncated.firstBrokenSequence == size && truncated.reason.contains("missing"), "\(truncated)")
        try await remove(3)
        let removed = try await verify()
        #expect(!removed.intact && removed.firstBrokenSequence == 3 && removed.reason.contains("missing"), "\(removed)")
    }

    @Test func proofRequestsThatCannotBeAnsweredSayWhy() async throws {
        let bus = try await governance()
        let unknown = await remoteError {
            _ = try await bus.call(GovernanceSubjects.auditProof, AuditProofRequest(decisionID: "no-such-decision"), tenant: tenant,
                                   as: AuditInclusionProof.self)
        }
        #expect(unknown?.code == .notFound)
        let empty = await remoteError {
            _ = try await bus.call(GovernanceSubjects.auditProof, AuditProofRequest(decisionID: ""), tenant: tenant, as: AuditInclusionProof.self)
        }
        #expect(empty?.code == .invalidArgument)
        let backwards = await remoteError {
            _ = try await bus.call(GovernanceSubjects.auditConsistency, AuditConsistencyRequest(from: 5, to: 2), tenant: tenant,
                                   as: AuditConsistencyProof.self)
        }
        #expect(backwards?.field == "from")
        let beyond = await remoteError {
            _ = try await bus.call(GovernanceSubjects.auditConsistency, AuditConsistencyRequest(from: 1, to: 1_000_000), tenant: tenant,
                                   as: AuditConsistencyProof.self)
        }
        #expect(beyond?.field == "to")
        let noHead = await remoteError {
            _ = try await bus.call(GovernanceSubjects.auditHead, AuditTreeHeadRequest(), tenant: tenant, as: AuditTreeHead.self)
        }
        #expect(noHead?.code == .notFound)
    }
}
