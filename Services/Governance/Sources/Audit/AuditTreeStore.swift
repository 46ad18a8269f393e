import AgionContract
import AgionEnvelope
import AgionStore
import Foundation
import GovernanceCore

/// The audit's Merkle trees in PostgreSQL (migration `audit_tree`): each
/// tenant's builder state, the hashes of its perfect subtrees of 16 leaves
/// or more, its signed heads, and the keys that signed them. Leaf `i` of a
/// tenant's tree is its audit record with sequence `i + 1`, its bytes as
/// chained; subtrees under 16 leaves are hashed again from those records
/// when a proof needs them (at most 16 per range), which saves writing seven
/// of every eight nodes.
struct AuditTreeStore: Sendable {
    let schema: String

    /// Subtrees of 2^storedLevel leaves and more are stored.
    static let storedLevel = 4

    /// The builder's position in a tenant's log.
    struct State: Sendable {
        var frontier: MerkleFrontier
        /// The chain hash of record `frontier.size` (the chain's genesis at 0).
        var chainHash: [UInt8]
    }

    /// Inserts completed subtrees (only those at `storedLevel` and above).
    func insert(nodes: [MerkleFrontier.Node], tenant: String, on connection: Connection) async throws {
        let stored = nodes.filter { $0.range.level >= Self.storedLevel }
        guard !stored.isEmpty else { return }
        try await connection.execute("""
            INSERT INTO \(schema).audit_tree_nodes (tenant, level, idx, hash)
            SELECT $1, * FROM unnest($2::smallint[], $3::bigint[], $4::bytea[]) ON CONFLICT DO NOTHING
            """, [tenant, PostgresTextArray(stored.map { String($0.range.level) }),
                  PostgresTextArray(stored.map { String($0.range.start >> UInt64($0.range.level)) }),
                  PostgresTextArray(stored.map { "\\x" + $0.hash.hexString })], prepared: true)
    }

    /// The hashes of `ranges` (perfect ranges inside the built tree): stored
    /// ones read in one query, smaller ones hashed from their records.
    func hashes(of ranges: Set<MerkleTree.Range>, tenant: String, on connection: Connection) async throws -> [MerkleTree.Range: MerkleTree.Hash] {
        var result: [MerkleTree.Range: MerkleTree.Hash] = [:]
        let stored = ranges.filter { $0.level >= Self.storedLevel }
        if !stored.isEmpty {
            let rows = try await connection.query("""
                SELECT level, idx, hash FROM \(schema).audit_tree_nodes
                WHERE tenant = $1 AND (level, idx) IN (SELECT * FROM unnest($2::smallint[], $3::bigint[]))
                """, [tenant, PostgresTextArray(stored.map { String($0.level) }),
                      PostgresTextArray(stored.map { String($0.start >> UInt64($0.level)) })], prepared: true)
            for row in rows {
                let level = try row.decode("level", as: Int.self), index = UInt64(try row.decode("idx", as: Int64.self))
                let start = index << UInt64(level)
                result[MerkleTree.Range(start: start, end: start + (1 << UInt64(level)))] = try row.decode("hash", as: [UInt8].self)
            }
            if let missing = stored.first(where: { result[$0] == nil }) {
                throw ErrorReply(code: .internalError, message: "the audit tree of tenant \(tenant) has no stored hash for leaves \(missing)")
            }
        }
        let small = ranges.filter { $0.level < Self.storedLevel }
        guard !small.isEmpty else { return result }
        let sequences = Set(small.flatMap { ($0.start ..< $0.end).map { Int64($0) + 1 } }).sorted()
        let rows = try await connection.queryBinary("""
            SELECT sequence, record FROM \(schema).audit_records WHERE tenant = $1 AND sequence = ANY($2::bigint[])
            """, [tenant, PostgresTextArray(sequences.map(String.init))], prepared: true)
        var leaves: [UInt64: MerkleTree.Hash] = [:]
        for row in rows { leaves[UInt64(try row.int64("sequence") - 1)] = MerkleTree.leafHash(try row.bytes("record")) }
        for range in small {
            guard let hash = Self.hash(range, leaves: leaves) else { throw try await missingRecords(in: range, tenant: tenant, on: connection) }
            result[range] = hash
        }
        return result
    }

    /// Why a small subtree's records are not there: dropped with an archive
    /// (the caller asked for a proof that needs them, which the archive
    /// holds), or removed behind the audit's back.
    private func missingRecords(in range: MerkleTree.Range, tenant: String, on connection: Connection) async throws -> ErrorReply {
        if let dropped = try await AuditArchives.droppedThrough(tenant: tenant, schema: schema, on: connection), range.end <= UInt64(dropped.size) {
            // Archives end at a multiple of 16 records, so only a proof
            // from a size inside the dropped range that is not on a
            // 16-record boundary needs subtrees smaller than those stored.
            return ErrorReply(code: .failedPrecondition, message: """
                records up to \(dropped.size) were archived and dropped, and the proof needs leaves \(range.start)..<\(range.end) among them: \
                a consistency proof from a size below \(dropped.size) must start at a multiple of 16 (the archives' own heads are)
                """)
        }
        return ErrorReply(code: .internalError, message: "the audit of tenant \(tenant) is missing records in leaves \(range)")
    }

    private static func hash(_ range: MerkleTree.Range, leaves: [UInt64: MerkleTree.Hash]) -> MerkleTree.Hash? {
        if range.count == 1 { return leaves[range.start] }
        let middle = range.start + range.count / 2
        guard let left = hash(MerkleTree.Range(start: range.start, end: middle), leaves: leaves),
              let right = hash(MerkleTree.Range(start: middle, end: range.end), leaves: leaves) else { return nil }
        return MerkleTree.nodeHash(left, right)
    }

    /// Runs `operation` on the stored hashes it reads (see `MerkleTree.rangesRead(by:)`).
    func withHashes<T>(tenant: String, on connection: Connection,
                       _ operation: (_ perfect: (MerkleTree.Range) -> MerkleTree.Hash) -> T) async throws -> T {
        let ranges = MerkleTree.rangesRead { perfect in withoutActuallyEscaping(perfect) { _ = operation($0) } }
        let hashes = try await hashes(of: ranges, tenant: tenant, on: connection)
        return operation { hashes[$0]! }
    }

    // MARK: Signed heads

    func insert(_ signed: SignedTreeHead, on connection: Connection) async throws {
        try await connection.execute("""
            INSERT INTO \(schema).audit_tree_heads (tenant, tree_size, root_hash, signed_at, key_id, signature)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING
            """, [signed.head.tenant, Int64(signed.head.treeSize), signed.head.rootHash, signed.head.timestampMillis, signed.keyID, signed.signature],
            prepared: true)
    }

    /// The signed head at `size`, or the latest when nil.
    func head(tenant: String, size: Int64?, on connection: Connection) async throws -> AuditTreeHead? {
        let rows = if let size {
            try await connection.query("""
                SELECT tree_size, root_hash, signed_at, key_id, signature FROM \(schema).audit_tree_heads WHERE tenant = $1 AND tree_size = $2
                """, [tenant, size], prepared: true)
        } else {
            try await connection.query("""
                SELECT tree_size, root_hash, signed_at, key_id, signature FROM \(schema).audit_tree_heads WHERE tenant = $1
                ORDER BY tree_size DESC LIMIT 1
                """, [tenant], prepared: true)
        }
        return try rows.first.map { row in
            AuditTreeHead(tenant: tenant, treeSize: try row.decode("tree_size"), rootHash: try row.decode("root_hash", as: [UInt8].self).hexString,
                          timestampUnixMillis: try row.decode("signed_at"), keyID: try row.decode("key_id"),
                          signature: try row.decode("signature", as: [UInt8].self).hexString)
        }
    }

    /// Records the key's public half, so heads it signs can be checked by anyone who asks for the keys.
    func register(_ signer: TreeHeadSigner, pool: ConnectionPool) async throws {
        try await pool.withConnection { connection in
            try await connection.execute("""
                INSERT INTO \(schema).audit_signing_keys (key_id, public_key, first_used_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
                """, [signer.keyID, signer.publicKey, Int64(Date().timeIntervalSince1970 * 1000)], prepared: true)
        }
    }

    func keys(pool: ConnectionPool) async throws -> AuditKeysResponse {
        let rows = try await pool.withConnection { connection in
            try await connection.query("SELECT key_id, public_key, first_used_at FROM \(schema).audit_signing_keys ORDER BY first_used_at, key_id")
        }
        return AuditKeysResponse(keys: try rows.map { row in
            AuditSigningKey(keyID: try row.decode("key_id"), publicKey: try row.decode("public_key", as: [UInt8].self).hexString,
                            firstUsedUnixMillis: try row.decode("first_used_at"))
        })
    }
}
