import AgionContract
import AgionEnvelope
import AgionStore
import Foundation
import GovernanceCore
import Logging

/// Retention (docs/governance.md, "Retention"): a tenant's old records are
/// set aside as an archive, exported page by page, verified by whoever keeps
/// them, then dropped, while the tree's stored subtrees and the signed heads
/// stay, so the records kept still have their proofs and every head still
/// checks.
///
/// An archive ends at a multiple of 16 records: the subtrees a kept record's
/// proof needs on the archived side are then all of 16 leaves or more, which
/// are stored, never hashed again from records. Its head is signed at exactly
/// its end, and it carries the chain hash and tree frontier where it starts,
/// so the records alone prove they are the log's (`AuditArchiveCheck`).
struct AuditArchives: Sendable {
    let pool: ConnectionPool
    let store: AuditTreeStore
    let signer: TreeHeadSigner
    let logger: Logger
    /// Records deleted per transaction when an archive is dropped.
    var dropChunk = 20_000

    var schema: String { store.schema }

    static let columns = "from_size, to_size, chain_hash_before, frontier_before, created_at, dropped_at"

    func create(_ request: CreateAuditArchiveRequest, tenant: TenantID) async throws -> AuditArchive {
        guard request.beforeUnixNanos > 0 else {
            throw ErrorReply(code: .invalidArgument, message: "before_unix_nanos is required: records decided before it are archived",
                             field: "before_unix_nanos")
        }
        return try await pool.withTransaction { connection in
            try await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", ["audit-archive/" + tenant.value], prepared: true)
            let previous = try await connection.query("""
                SELECT to_size FROM \(schema).audit_archives WHERE tenant = $1 ORDER BY to_size DESC LIMIT 1
                """, [tenant.value], prepared: true).first
            let from: Int64 = try previous?.decode("to_size") ?? 0
            let built: Int64 = try await connection.query("SELECT size FROM \(schema).audit_trees WHERE tenant = $1", [tenant.value], prepared: true)
                .first?.decode("size") ?? 0
            // Decision times are not in chain order (two replicas, shipping
            // lag): the archive ends before the first record decided at or
            // after the cut, so nothing newer is in it.
            let firstNewer: Int64? = try await connection.query("""
                SELECT min(sequence) AS first FROM \(schema).audit_records WHERE tenant = $1 AND sequence > $2 AND sequence <= $3 AND decided_at >= $4
                """, [tenant.value, from, built, request.beforeUnixNanos], prepared: true).first?.decode("first", as: Int64?.self)
            let end = min(firstNewer.map { $0 - 1 } ?? built, built)
            let to = end - end % 16
            guard to > from else {
                throw ErrorReply(code: .failedPrecondition, message: """
                    nothing to archive before that time: \(from) records are archived already, and archives end at a multiple of 16 records \
                    under the tree (\(built) records now)
                    """, field: "before_unix_nanos")
            }
            let chainBefore: [UInt8] = from == 0 ? AuditChain.genesis : try await connection.query("""
                SELECT hash FROM \(schema).audit_records WHERE tenant = $1 AND sequence = $2
                """, [tenant.value, from], prepared: true).first?.decode("hash") ?? AuditChain.genesis
            let frontierBefore = try await frontier(size: UInt64(from), tenant: tenant.value, on: connection)
            let frontierAfter = try await frontier(size: UInt64(to), tenant: tenant.value, on: connection)
            // A head at exactly the archive's end (if none was signed at that size before).
            try await store.insert(try signer.sign(TreeHead(tenant: tenant.value, treeSize: UInt64(to), rootHash: frontierAfter.root,
                                                            timestampMillis: Int64(Date().timeIntervalSince1970 * 1000))), on: connection)
            guard let head = try await store.head(tenant: tenant.value, size: to, on: connection), head.rootHash == frontierAfter.root.hexString else {
                throw ErrorReply(code: .internalError, message: "the head signed at \(to) does not match the stored tree: the audit tree was changed")
            }
            let chainAfter: [UInt8] = try await connection.query("SELECT hash FROM \(schema).audit_records WHERE tenant = $1 AND sequence = $2",
                                                                 [tenant.value, to], prepared: true)[0].decode("hash")
            let row = try await connection.query("""
                INSERT INTO \(schema).audit_archives (tenant, from_size, to_size, chain_hash_before, frontier_before, chain_hash_after, frontier_after,
                    created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING \(Self.columns)
                """, [tenant.value, from, to, chainBefore, frontierBefore.hashes, chainAfter, frontierAfter.hashes,
                      Int64(Date().timeIntervalSince1970 * 1000)], prepared: true)[0]
            logger.info("audit.archive_created", metadata: ["tenant": "\(tenant.value)", "from": "\(from)", "to": "\(to)"])
            return try archive(row, head: head, tenant: tenant.value)
        }
    }

    func list(tenant: TenantID) async throws -> ListAuditArchivesResponse {
        try await pool.withConnection { connection in
            let rows = try await connection.query("SELECT \(Self.columns) FROM \(schema).audit_archives WHERE tenant = $1 ORDER BY to_size",
                                                  [tenant.value], prepared: true)
            var archives: [AuditArchive] = []
            for row in rows {
                let to: Int64 = try row.decode("to_size")
                guard let head = try await store.head(tenant: tenant.value, size: to, on: connection) else {
                    throw ErrorReply(code: .internalError, message: "the head signed for the archive ending at \(to) is missing")
                }
                archives.append(try archive(row, head: head, tenant: tenant.value))
            }
            return ListAuditArchivesResponse(archives: archives)
        }
    }

    func records(_ request: AuditArchiveRecordsRequest, tenant: TenantID) async throws -> AuditArchiveRecordsResponse {
        let pageSize = Int(min(max(request.pageSize, 1), 5_000))
        return try await pool.withConnection { connection in
            let archive = try await row(toSize: request.toSize, tenant: tenant.value, on: connection)
            if try archive.decode("dropped_at", as: Int64?.self) != nil {
                throw ErrorReply(code: .failedPrecondition, message: "the archive ending at \(request.toSize) was dropped: its records are where it was exported to",
                                 field: "to_size")
            }
            let from: Int64 = try archive.decode("from_size")
            let rows = try await connection.query("""
                SELECT sequence, record, hash FROM \(schema).audit_records WHERE tenant = $1 AND sequence > $2 AND sequence <= $3
                ORDER BY sequence LIMIT $4
                """, [tenant.value, max(from, request.afterSequence), request.toSize, pageSize], prepared: true)
            let records = try rows.map { row in
                AuditArchiveRecord(sequence: try row.decode("sequence"), record: try row.decode("record"), hash: try row.decode("hash", as: [UInt8].self).hexString)
            }
            let last = records.last?.sequence ?? request.toSize
            return AuditArchiveRecordsResponse(records: records, nextAfterSequence: last < request.toSize ? last : 0)
        }
    }

    /// Deletes the archive's records, a chunk per transaction (so a drop of
    /// millions holds no long transaction; asking again finishes one that
    /// was interrupted). Archives are dropped oldest first.
    func drop(_ request: DropAuditArchiveRequest, tenant: TenantID) async throws -> AuditArchive {
        let (from, earlierKept) = try await pool.withConnection { connection in
            let archive = try await row(toSize: request.toSize, tenant: tenant.value, on: connection)
            let kept = try await connection.query("""
                SELECT to_size FROM \(schema).audit_archives WHERE tenant = $1 AND to_size < $2 AND dropped_at IS NULL ORDER BY to_size LIMIT 1
                """, [tenant.value, request.toSize], prepared: true).first
            return (try archive.decode("from_size", as: Int64.self), try kept?.decode("to_size", as: Int64.self))
        }
        if let earlierKept {
            throw ErrorReply(code: .failedPrecondition, message: "drop the archive ending at \(earlierKept) first: archives are dropped oldest first",
                             field: "to_size")
        }
        var next = from
        while next < request.toSize {
            let last = min(next + Int64(dropChunk), request.toSize)
            try await pool.withConnection { connection in
                try await connection.execute("DELETE FROM \(schema).audit_records WHERE tenant = $1 AND sequence > $2 AND sequence <= $3",
                                             [tenant.value, next, last], prepared: true)
            }
            next = last
        }
        try await pool.withConnection { connection in
            try await connection.execute("""
                UPDATE \(schema).audit_archives SET dropped_at = $3 WHERE tenant = $1 AND to_size = $2 AND dropped_at IS NULL
                """, [tenant.value, request.toSize, Int64(Date().timeIntervalSince1970 * 1000)], prepared: true)
        }
        logger.notice("audit.archive_dropped", metadata: ["tenant": "\(tenant.value)", "from": "\(from)", "to": "\(request.toSize)"])
        return try await list(tenant: tenant).archives.first { $0.toSize == request.toSize }!
    }

    /// The frontier of the tree of `size` leaves (a multiple of 16): stored subtrees only.
    private func frontier(size: UInt64, tenant: String, on connection: Connection) async throws -> MerkleFrontier {
        let ranges = MerkleFrontier.ranges(size: size)
        let hashes = try await store.hashes(of: Set(ranges), tenant: tenant, on: connection)
        return MerkleFrontier(nodes: ranges.map { MerkleFrontier.Node(range: $0, hash: hashes[$0]!) })!
    }

    private func row(toSize: Int64, tenant: String, on connection: Connection) async throws -> Row {
        guard let row = try await connection.query("""
            SELECT \(Self.columns) FROM \(schema).audit_archives WHERE tenant = $1 AND to_size = $2
            """, [tenant, toSize], prepared: true).first else {
            throw ErrorReply(code: .notFound, message: "no archive ending at \(toSize)", field: "to_size")
        }
        return row
    }

    private func archive(_ row: Row, head: AuditTreeHead, tenant: String) throws -> AuditArchive {
        let from: Int64 = try row.decode("from_size")
        let frontier = MerkleFrontier(size: UInt64(from), hashes: try row.decode("frontier_before"))?.nodes.map(\.hash.hexString) ?? []
        return AuditArchive(tenant: tenant, fromSize: from, toSize: try row.decode("to_size"),
                            chainHashBefore: try row.decode("chain_hash_before", as: [UInt8].self).hexString, frontierBefore: frontier, head: head,
                            createdAtUnixMillis: try row.decode("created_at"), droppedAtUnixMillis: try row.decode("dropped_at", as: Int64?.self) ?? 0)
    }

    /// Where verification starts when records were dropped: the end of the
    /// last dropped archive, with its chain hash and frontier.
    static func droppedThrough(tenant: String, schema: String, on connection: Connection) async throws -> (size: Int64, chainHash: [UInt8], frontier: [UInt8])? {
        guard let row = try await connection.query("""
            SELECT to_size, chain_hash_after, frontier_after FROM \(schema).audit_archives WHERE tenant = $1 AND dropped_at IS NOT NULL
            ORDER BY to_size DESC LIMIT 1
            """, [tenant], prepared: true).first else { return nil }
        return (try row.decode("to_size"), try row.decode("chain_hash_after"), try row.decode("frontier_after"))
    }
}
