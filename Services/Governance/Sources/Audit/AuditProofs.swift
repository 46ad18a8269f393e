import AgionContract
import AgionEnvelope
import AgionStore
import GovernanceCore
import Logging

/// Inclusion and consistency proofs over the tenants' audit trees, against
/// signed heads: each reads O(log n) stored hashes in one query and at most
/// a few blocks of 16 records, whatever the tree's size.
struct AuditProofs: Sendable {
    let pool: ConnectionPool
    let store: AuditTreeStore
    let logger: Logger

    func head(_ request: AuditTreeHeadRequest, tenant: TenantID) async throws -> AuditTreeHead {
        guard request.treeSize >= 0 else { throw ErrorReply(code: .invalidArgument, message: "tree_size must be ≥ 0", field: "tree_size") }
        let head = try await pool.withConnection { connection in
            try await store.head(tenant: tenant.value, size: request.treeSize == 0 ? nil : request.treeSize, on: connection)
        }
        guard let head else {
            throw ErrorReply(code: .notFound, message: request.treeSize == 0
                ? "no signed tree head yet: heads are signed within seconds of the first audited decision"
                : "no signed tree head at size \(request.treeSize)", field: request.treeSize == 0 ? "" : "tree_size")
        }
        return head
    }

    func inclusion(_ request: AuditProofRequest, tenant: TenantID) async throws -> AuditInclusionProof {
        guard !request.decisionID.isEmpty else { throw ErrorReply(code: .invalidArgument, message: "decision_id is required", field: "decision_id") }
        guard request.treeSize >= 0 else { throw ErrorReply(code: .invalidArgument, message: "tree_size must be ≥ 0", field: "tree_size") }
        return try await pool.withConnection { connection in
            guard let record = try await connection.queryBinary("""
                SELECT sequence, record FROM \(store.schema).audit_records WHERE tenant = $1 AND decision_id = $2
                """, [tenant.value, request.decisionID], prepared: true).first else {
                throw ErrorReply(code: .notFound, message: "no decision \(request.decisionID) in the audit", field: "decision_id")
            }
            let sequence = try record.int64("sequence")
            let head = try await store.head(tenant: tenant.value, size: request.treeSize == 0 ? nil : request.treeSize, on: connection)
            guard let head else {
                if request.treeSize != 0 { throw ErrorReply(code: .notFound, message: "no signed tree head at size \(request.treeSize)", field: "tree_size") }
                throw Self.notYetSigned(sequence)
            }
            guard head.treeSize >= sequence else {
                if request.treeSize != 0 {
                    throw ErrorReply(code: .failedPrecondition, message: "decision \(request.decisionID) is record \(sequence), after the head of size \(head.treeSize)",
                                     field: "tree_size")
                }
                throw Self.notYetSigned(sequence)
            }
            let index = UInt64(sequence - 1), size = UInt64(head.treeSize)
            let path = try await store.withHashes(tenant: tenant.value, on: connection) { perfect in
                MerkleTree.inclusionPath(index: index, size: size, perfect: perfect)
            }
            let leaf = try record.bytes("record")
            // The proof as a verifier will check it: the record as stored now
            // and the hashes it reads must lead to the root that was signed.
            let root = [UInt8](hex: head.rootHash) ?? []
            guard MerkleTree.verifyInclusion(leafHash: MerkleTree.leafHash(leaf), index: index, size: size, path: path, root: root) else {
                throw tampered(head)
            }
            return AuditInclusionProof(decisionID: request.decisionID, leafIndex: Int64(index), leafHash: MerkleTree.leafHash(leaf).hexString, leaf: leaf,
                                       auditPath: path.map(\.hexString), treeSize: head.treeSize, rootHash: root.hexString, treeHead: head)
        }
    }

    func consistency(_ request: AuditConsistencyRequest, tenant: TenantID) async throws -> AuditConsistencyProof {
        guard request.from >= 0 else { throw ErrorReply(code: .invalidArgument, message: "from must be ≥ 0", field: "from") }
        guard request.to >= 0 else { throw ErrorReply(code: .invalidArgument, message: "to must be ≥ 0", field: "to") }
        return try await pool.withConnection { connection in
            let latest = try await store.head(tenant: tenant.value, size: nil, on: connection)
            let to = request.to == 0 ? latest?.treeSize ?? 0 : request.to
            guard request.from <= to else {
                throw ErrorReply(code: .invalidArgument, message: "from (\(request.from)) must not be after to (\(to))", field: "from")
            }
            guard to <= latest?.treeSize ?? 0 else {
                throw ErrorReply(code: .invalidArgument, message: "to (\(to)) is beyond the latest signed tree head (size \(latest?.treeSize ?? 0))",
                                 field: "to")
            }
            let first = UInt64(request.from), second = UInt64(to)
            let (proof, fromRoot, toRoot) = try await store.withHashes(tenant: tenant.value, on: connection) { perfect in
                (MerkleTree.consistencyProof(first: first, second: second, perfect: perfect),
                 MerkleTree.root(of: MerkleTree.Range(start: 0, end: first), perfect: perfect),
                 MerkleTree.root(of: MerkleTree.Range(start: 0, end: second), perfect: perfect))
            }
            let fromHead = request.from == 0 ? nil : try await store.head(tenant: tenant.value, size: request.from, on: connection)
            let toHead = to == 0 ? nil : try await store.head(tenant: tenant.value, size: to, on: connection)
            if let fromHead, fromHead.rootHash != fromRoot.hexString { throw tampered(fromHead) }
            if let toHead, toHead.rootHash != toRoot.hexString { throw tampered(toHead) }
            return AuditConsistencyProof(from: request.from, to: to, fromRoot: fromRoot.hexString, toRoot: toRoot.hexString,
                                         proof: proof.map(\.hexString), fromHead: fromHead, toHead: toHead)
        }
    }

    func keys() async throws -> AuditKeysResponse { try await store.keys(pool: pool) }

    /// The tree as stored does not give the root the head signed: stored
    /// records or hashes were changed after signing. Refused loudly rather
    /// than serving a proof that cannot verify.
    private func tampered(_ head: AuditTreeHead) -> ErrorReply {
        logger.critical("audit.tree_tampered", metadata: ["tenant": "\(head.tenant)", "tree_size": "\(head.treeSize)"])
        return ErrorReply(code: .internalError, message: """
            the stored audit tree does not give the root signed at size \(head.treeSize): records or tree hashes were changed after signing
            """)
    }

    private static func notYetSigned(_ sequence: Int64) -> ErrorReply {
        ErrorReply(code: .unavailable, message: "record \(sequence) is not under a signed tree head yet: heads follow the audit within seconds, retry",
                   retriable: true)
    }
}
