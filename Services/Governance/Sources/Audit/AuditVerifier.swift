import AgionContract
import AgionEnvelope
import AgionStore
import Foundation
import GovernanceCore
import Logging
import Metrics
import ServiceLifecycle

/// Verification jobs (docs/governance.md, "Verification"): each reads the
/// records of a range as stored now, checks every chain link and query
/// column, recomputes the Merkle root from them and compares it with the
/// signed head at the range's end. Incremental jobs start where the last
/// successful one ended (its chain hash and frontier are kept with it), so
/// a tenant verified every hour reads an hour of records, not its history.
///
/// A short range is verified before `start` answers; a long one is left to
/// the replicas' workers, which take jobs under a lease and save progress
/// after every chunk: a replica killed mid-job leaves it to another (or to
/// itself, restarted) from the last chunk, once the lease runs out.
final class AuditVerifier: Service, Sendable {
    let pool: ConnectionPool
    let schema: String
    let store: AuditTreeStore
    let ledger: AuditLedger
    let logger: Logger
    /// Ranges up to this many records are verified before the reply.
    let inlineLimit: Int64
    let chunk: Int
    let lease: Duration
    let pollInterval: Duration
    private let owner = UUID().uuidString
    private let verified = Counter(label: "agion_audit_verified_records_total")
    private let broken = Counter(label: "agion_audit_verification_failures_total")

    init(pool: ConnectionPool, schema: String, logger: Logger, inlineLimit: Int64 = 20_000, chunk: Int = 10_000,
         lease: Duration = .seconds(30), pollInterval: Duration = .seconds(1)) {
        self.pool = pool
        self.schema = schema
        self.store = AuditTreeStore(schema: schema)
        self.ledger = AuditLedger(schema: schema)
        self.logger = logger
        self.inlineLimit = inlineLimit
        self.chunk = chunk
        self.lease = lease
        self.pollInterval = pollInterval
    }

    /// What a job carries between chunks.
    struct Job: Sendable {
        let id: UUID
        let tenant: String
        let toSize: Int64
        let rootHash: [UInt8]
        var nextSize: Int64
        var chainHash: [UInt8]
        var frontier: MerkleFrontier
        var recordsChecked: Int64
    }

    static let columns = """
        id, tenant, kind, status, from_size, to_size, root_hash, next_size, chain_hash, frontier, records_checked, first_broken_sequence, reason,
        created_at, finished_at
        """

    // MARK: Requests

    func start(_ request: AuditVerifyRequest, tenant: TenantID) async throws -> AuditVerifyResponse {
        let kind = request.full ? "full" : "incremental"
        let (created, inline) = try await pool.withTransaction { connection -> (Row, Bool) in
            // One open job per tenant and kind: asking again while one runs follows it.
            try await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", ["audit-verify/" + tenant.value], prepared: true)
            if let open = try await connection.query("""
                SELECT \(Self.columns) FROM \(schema).audit_verifications WHERE tenant = $1 AND kind = $2 AND finished_at IS NULL
                ORDER BY created_at DESC LIMIT 1
                """, [tenant.value, kind], prepared: true).first {
                return (open, false)
            }
            let head = try await store.head(tenant: tenant.value, size: nil, on: connection)
            var from: Int64 = 0, chainHash = AuditChain.genesis, frontier: [UInt8] = []
            if !request.full, let last = try await connection.query("""
                SELECT to_size, chain_hash, frontier FROM \(schema).audit_verifications WHERE tenant = $1 AND status = 'succeeded'
                ORDER BY to_size DESC LIMIT 1
                """, [tenant.value], prepared: true).first {
                from = try last.decode("to_size")
                chainHash = try last.decode("chain_hash")
                frontier = try last.decode("frontier")
            }
            // Records archived and dropped are verified where they were exported to.
            if let dropped = try await AuditArchives.droppedThrough(tenant: tenant.value, schema: schema, on: connection), dropped.size > from {
                (from, chainHash, frontier) = dropped
            }
            let to = max(head?.treeSize ?? 0, from)
            let inline = to - from <= inlineLimit
            let now = Self.nowMillis()
            let row = try await connection.query("""
                INSERT INTO \(schema).audit_verifications (id, tenant, kind, status, from_size, to_size, root_hash, next_size, chain_hash, frontier,
                    records_checked, created_at, lease_owner, lease_until)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $5, $8, $9, 0, $10, $11, $12) RETURNING \(Self.columns)
                """, [UUIDv7.make(), tenant.value, kind, inline ? "running" : "pending", from, to,
                      head.flatMap { [UInt8](hex: $0.rootHash) } ?? MerkleTree.emptyRoot, chainHash, frontier, now,
                      inline ? owner : "", inline ? now + lease.milliseconds : 0], prepared: true)[0]
            return (row, inline)
        }
        guard inline else { return try Self.response(created) }
        let job = try Self.job(created)
        try await process(job)
        return try await get(AuditVerificationRequest(verificationID: job.id.uuidString.lowercased()), tenant: tenant)
    }

    func get(_ request: AuditVerificationRequest, tenant: TenantID) async throws -> AuditVerifyResponse {
        guard let id = UUID(uuidString: request.verificationID) else {
            throw ErrorReply(code: .invalidArgument, message: "verification_id is not a verification id", field: "verification_id")
        }
        let row = try await pool.withConnection { connection in
            try await connection.query("SELECT \(Self.columns) FROM \(schema).audit_verifications WHERE tenant = $1 AND id = $2",
                                       [tenant.value, id], prepared: true).first
        }
        guard let row else { throw ErrorReply(code: .notFound, message: "no verification \(request.verificationID)", field: "verification_id") }
        return try Self.response(row)
    }

    func list(_ request: ListAuditVerificationsRequest, tenant: TenantID) async throws -> ListAuditVerificationsResponse {
        let limit = Int(min(max(request.limit, 1), 100))
        let rows = try await pool.withConnection { connection in
            try await connection.query("""
                SELECT \(Self.columns) FROM \(schema).audit_verifications WHERE tenant = $1 ORDER BY created_at DESC, id DESC LIMIT $2
                """, [tenant.value, limit], prepared: true)
        }
        return ListAuditVerificationsResponse(verifications: try rows.map(Self.response))
    }

    // MARK: The worker

    func run() async throws {
        var failing = false
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                // Jobs back to back while there are any; a pause when none.
                while let job = try await claim(), !Task.isShuttingDownGracefully {
                    logger.info("audit.verification_started", metadata: ["tenant": "\(job.tenant)", "id": "\(job.id)", "from": "\(job.nextSize)",
                                                                           "to": "\(job.toSize)"])
                    try await process(job)
                }
                failing = false
            } catch {
                if !failing { logger.warning("audit.verification_failed_to_run", metadata: ["error": "\(error)"]) }
                failing = true
            }
            try? await Task.sleep(for: pollInterval)
        }
    }

    /// The oldest unfinished job nobody holds (or whose holder's lease ran out).
    func claim() async throws -> Job? {
        let now = Self.nowMillis()
        let row = try await pool.withConnection { connection in
            try await connection.query("""
                UPDATE \(schema).audit_verifications SET status = 'running', lease_owner = $1, lease_until = $2
                WHERE id = (SELECT id FROM \(schema).audit_verifications WHERE finished_at IS NULL AND lease_until < $3
                            ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING \(Self.columns)
                """, [owner, now + lease.milliseconds, now], prepared: true).first
        }
        return try row.map(Self.job)
    }

    /// Runs a job this replica holds to its end, a chunk per transaction.
    func process(_ job: Job) async throws {
        var job = job
        while try await step(&job) {}
    }

    /// Verifies the job's next chunk and saves the progress (or the result);
    /// whether there is more to do. False too when another replica took the
    /// job over (this one stalled past its lease): it carries on, from the
    /// progress saved last.
    func step(_ job: inout Job) async throws -> Bool {
        let last = min(job.toSize, job.nextSize + Int64(chunk))
        var advanced = job
        var result = try await pool.withConnection { connection in try await self.verify(&advanced, through: last, on: connection) }
        let done = result != nil || advanced.nextSize >= advanced.toSize
        if done, result == nil, advanced.frontier.root != advanced.rootHash {
            result = AuditChain.Break(sequence: 0, reason: """
                the records up to \(advanced.toSize) give the root \(advanced.frontier.root.hexString), but the head signed at \(advanced.toSize) \
                says \(advanced.rootHash.hexString): records were rewritten together with their chain hashes
                """)
        }
        let now = Self.nowMillis()
        let saved = try await pool.withConnection { connection in
            try await connection.execute("""
                UPDATE \(schema).audit_verifications SET next_size = $3, chain_hash = $4, frontier = $5, records_checked = $6, lease_until = $7,
                    status = $8, first_broken_sequence = $9, reason = $10, finished_at = $11
                WHERE id = $1 AND lease_owner = $2 AND finished_at IS NULL
                """, [advanced.id, owner, advanced.nextSize, advanced.chainHash, advanced.frontier.hashes,
                      advanced.recordsChecked, done ? 0 : now + lease.milliseconds, done ? (result == nil ? "succeeded" : "failed") : "running",
                      result.map { $0.sequence } as Int64?, result?.reason, done ? now : nil as Int64?], prepared: true)
        }
        guard saved == 1 else { return false }
        verified.increment(by: Int(advanced.recordsChecked - job.recordsChecked))
        job = advanced
        if done, let result {
            broken.increment()
            logger.critical("audit.verification_broken", metadata: ["tenant": "\(job.tenant)", "id": "\(job.id)",
                                                                     "sequence": "\(result.sequence)", "reason": "\(result.reason)"])
        }
        return !done
    }

    /// Reads records (job.nextSize, last] and checks them, advancing `job`;
    /// the first break, if any. Every head signed inside the range is
    /// checked on the way, so records rewritten together with their chain
    /// hashes are found between the two heads around them (heads are signed
    /// every few seconds), not only at the job's end.
    private func verify(_ job: inout Job, through last: Int64, on connection: Connection) async throws -> AuditChain.Break? {
        let (links, broken) = try await ledger.checkedLinks(tenant: job.tenant, after: job.nextSize, through: last, previous: job.chainHash,
                                                            on: connection)
        let heads = try await connection.queryBinary("""
            SELECT tree_size, root_hash FROM \(schema).audit_tree_heads WHERE tenant = $1 AND tree_size > $2 AND tree_size <= $3 ORDER BY tree_size
            """, [job.tenant, job.nextSize, links.last?.sequence ?? job.nextSize], prepared: true)
        let signed = try heads.map { SignedRoot(size: try $0.int64("tree_size"), root: try $0.bytes("root_hash")) }
        guard let (head, root) = advance(&job, over: links, checking: signed) else { return broken }
        // Every head before this one agreed with the records: those of this
        // chunk just now, earlier ones when their chunk was saved.
        let agreed: Int64 = try await connection.query("""
            SELECT coalesce(max(tree_size), 0) AS size FROM \(schema).audit_tree_heads WHERE tenant = $1 AND tree_size < $2
            """, [job.tenant, head.size], prepared: true)[0].decode("size")
        return AuditChain.Break(sequence: agreed + 1, reason: """
            the records up to \(head.size) give the root \(root.hexString), but the head signed at \(head.size) says \(head.root.hexString): \
            a record in \(agreed + 1)...\(head.size) was rewritten together with the chain hashes after it
            """)
    }

    struct SignedRoot {
        let size: Int64
        let root: [UInt8]
    }

    /// Appends the links' records to the job's tree, checking the root at
    /// each signed head on the way; the first head the records do not give,
    /// with the root they give (the job stops there: what follows is built
    /// on it).
    private func advance(_ job: inout Job, over links: [AuditChain.Link], checking heads: [SignedRoot]) -> (SignedRoot, [UInt8])? {
        var heads = heads[...]
        for link in links {
            _ = job.frontier.append(leafHash: MerkleTree.leafHash(link.record))
            job.chainHash = link.hash
            job.nextSize = link.sequence
            job.recordsChecked += 1
            guard let head = heads.first, head.size == link.sequence else { continue }
            heads.removeFirst()
            let root = job.frontier.root
            if root != head.root { return (head, root) }
        }
        return nil
    }

    // MARK: Rows

    static func job(_ row: Row) throws -> Job {
        let next: Int64 = try row.decode("next_size")
        guard let frontier = MerkleFrontier(size: UInt64(next), hashes: try row.decode("frontier")) else {
            throw ErrorReply(code: .internalError, message: "verification \(try row.decode("id", as: UUID.self)) has a frontier that does not fit its size")
        }
        return Job(id: try row.decode("id"), tenant: try row.decode("tenant"), toSize: try row.decode("to_size"), rootHash: try row.decode("root_hash"),
                   nextSize: next, chainHash: try row.decode("chain_hash"), frontier: frontier, recordsChecked: try row.decode("records_checked"))
    }

    static func response(_ row: Row) throws -> AuditVerifyResponse {
        let status = AuditVerifyResponse.Status(rawValue: try row.decode("status")) ?? .pending
        let finished = status == .succeeded || status == .failed
        return AuditVerifyResponse(intact: status == .succeeded, recordsChecked: try row.decode("records_checked"),
                                   firstBrokenSequence: try row.decode("first_broken_sequence", as: Int64?.self) ?? 0,
                                   reason: try row.decode("reason", as: String?.self) ?? "",
                                   headHash: finished ? try row.decode("chain_hash", as: [UInt8].self).hexString : "",
                                   verificationID: try row.decode("id", as: UUID.self).uuidString.lowercased(), kind: try row.decode("kind"),
                                   status: status, fromSize: try row.decode("from_size"), toSize: try row.decode("to_size"),
                                   rootHash: try row.decode("root_hash", as: [UInt8].self).hexString,
                                   createdAtUnixMillis: try row.decode("created_at"),
                                   finishedAtUnixMillis: try row.decode("finished_at", as: Int64?.self) ?? 0)
    }

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
