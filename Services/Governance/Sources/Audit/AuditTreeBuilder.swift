import AgionBus
import AgionContract
import AgionEnvelope
import AgionStore
import Foundation
import GovernanceCore
import Logging
import Metrics
import ServiceLifecycle

/// Grows each tenant's Merkle tree behind its hash chain and signs a tree
/// head whenever it grew, every `interval` (docs/governance.md).
///
/// Off the decision path on purpose: the shipper only appends records, so
/// the tree costs a check nothing; the tree follows within about `interval`.
/// Every record is checked as it is added: its chain link must continue the
/// previous one and its query columns must match its bytes. A record that
/// fails stops that tenant's tree there (logged as critical, kept in
/// `audit_trees.broken_*`): nothing is ever signed over a broken chain.
///
/// Any number of replicas run it: a tenant's tree row is locked while it
/// grows (`SKIP LOCKED`), so replicas share the tenants and never sign over
/// each other. Existing chains are built the same way from their first
/// record, which is the whole of the migration.
final class AuditTreeBuilder: Service, Sendable {
    let pool: ConnectionPool
    let schema: String
    let store: AuditTreeStore
    let ledger: AuditLedger
    let outbox: Outbox
    let signer: TreeHeadSigner
    let interval: Duration
    let logger: Logger
    /// Records read and added per transaction, and per tenant per round (so
    /// one tenant's backfill cannot hold back heads of the others for long).
    let chunk: Int
    let perRound: Int
    private let added = Counter(label: "agion_audit_tree_leaves_total")
    private let signed = Counter(label: "agion_audit_tree_heads_signed_total")
    private let broken = Counter(label: "agion_audit_tree_broken_total")

    init(pool: ConnectionPool, schema: String, signer: TreeHeadSigner, interval: Duration, logger: Logger, chunk: Int = 5_000, perRound: Int = 100_000) {
        self.pool = pool
        self.schema = schema
        self.store = AuditTreeStore(schema: schema)
        self.ledger = AuditLedger(schema: schema)
        self.outbox = Outbox(schema: schema)
        self.signer = signer
        self.interval = interval
        self.logger = logger
        self.chunk = chunk
        self.perRound = perRound
    }

    func run() async throws {
        var registered = false
        var failing = false
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                if !registered {
                    try await store.register(signer, pool: pool)
                    registered = true
                }
                try await round()
                if failing { logger.info("audit.tree_recovered") }
                failing = false
            } catch {
                if !failing { logger.warning("audit.tree_failed", metadata: ["error": "\(error)"]) }
                failing = true
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// One pass over the tenants whose chain is ahead of their tree.
    func round() async throws {
        let tenants = try await pool.withConnection { connection in
            try await connection.execute("""
                INSERT INTO \(schema).audit_trees (tenant, size, frontier, chain_hash)
                SELECT h.tenant, 0, ''::bytea, $1 FROM \(schema).audit_heads h
                WHERE NOT EXISTS (SELECT 1 FROM \(schema).audit_trees t WHERE t.tenant = h.tenant) ON CONFLICT DO NOTHING
                """, [AuditChain.genesis], prepared: true)
            return try await connection.query("""
                SELECT t.tenant FROM \(schema).audit_trees t JOIN \(schema).audit_heads h USING (tenant)
                WHERE t.size < h.sequence AND t.broken_at IS NULL ORDER BY t.tenant
                """, prepared: true).map { try $0.decode("tenant", as: String.self) }
        }
        for tenant in tenants { try await grow(tenant: tenant) }
    }

    /// Adds up to `perRound` records to the tenant's tree, a chunk per
    /// transaction, and signs a head over the last: heads are published with
    /// the tree (the outbox), so no head names a tree that was not stored.
    func grow(tenant: String) async throws {
        var remaining = perRound
        while remaining > 0 {
            let limit = min(chunk, remaining)
            let outcome = try await pool.withTransaction { connection in
                try await self.grow(tenant: tenant, limit: limit, lastOfRound: limit == remaining, on: connection)
            }
            switch outcome {
            case .busy, .caughtUp: return
            case .grew(let count, let more):
                remaining -= count
                if !more { return }
            }
        }
    }

    enum Outcome: Sendable {
        /// Another replica holds the tenant's tree.
        case busy
        /// Nothing to add (or the chain is broken).
        case caughtUp
        case grew(Int, more: Bool)
    }

    private func grow(tenant: String, limit: Int, lastOfRound: Bool, on connection: Connection) async throws -> Outcome {
        guard let row = try await connection.query("""
            SELECT size, frontier, chain_hash FROM \(schema).audit_trees WHERE tenant = $1 AND broken_at IS NULL FOR UPDATE SKIP LOCKED
            """, [tenant], prepared: true).first else { return .busy }
        let size: Int64 = try row.decode("size")
        guard var frontier = MerkleFrontier(size: UInt64(size), hashes: try row.decode("frontier")) else {
            throw ErrorReply(code: .internalError, message: "the stored audit tree frontier of tenant \(tenant) does not fit its size \(size)")
        }
        // Records up to the chain head are all committed (the shipper commits
        // records and head together), so the range read has no gaps.
        let head: Int64 = try await connection.query("SELECT sequence FROM \(schema).audit_heads WHERE tenant = $1", [tenant], prepared: true)
            .first?.decode("sequence") ?? 0
        let last = min(head, size + Int64(limit))
        guard last > size else { return .caughtUp }
        var chainHash: [UInt8] = try row.decode("chain_hash")
        let (links, breakFound) = try await ledger.checkedLinks(tenant: tenant, after: size, through: last, previous: chainHash, on: connection)
        if let breakFound {
            // The records before the break are left out too: the tree stops
            // at its last head, where a person can look at what happened.
            try await connection.execute("UPDATE \(schema).audit_trees SET broken_at = $2, broken_reason = $3 WHERE tenant = $1",
                                         [tenant, breakFound.sequence, breakFound.reason], prepared: true)
            broken.increment()
            logger.critical("audit.chain_broken", metadata: ["tenant": "\(tenant)", "sequence": "\(breakFound.sequence)", "reason": "\(breakFound.reason)"])
            return .caughtUp
        }
        var completed: [MerkleFrontier.Node] = []
        for link in links { completed += frontier.append(leafHash: MerkleTree.leafHash(link.record)) }
        if let lastLink = links.last { chainHash = lastLink.hash }
        try await store.insert(nodes: completed, tenant: tenant, on: connection)
        try await connection.execute("UPDATE \(schema).audit_trees SET size = $2, frontier = $3, chain_hash = $4 WHERE tenant = $1",
                                     [tenant, Int64(frontier.size), frontier.hashes, chainHash], prepared: true)
        let more = last < head
        if !more || lastOfRound {
            let signedHead = try signer.sign(TreeHead(tenant: tenant, treeSize: frontier.size, rootHash: frontier.root,
                                                      timestampMillis: Int64(Date().timeIntervalSince1970 * 1000)))
            try await store.insert(signedHead, on: connection)
            let envelope = Envelope(type: GovernanceSubjects.EventType.auditHead, tenant: tenant, payload: try AuditTreeHead(signedHead).encoded())
            try await outbox.enqueue(envelope, subject: GovernanceSubjects.eventSubject(tenant: tenant, event: "audit_head"), on: connection)
            signed.increment()
        }
        added.increment(by: links.count)
        return .grew(links.count, more: more)
    }
}
