/// What an auditor checks, trusting nothing but the public keys they pinned
/// (by key id): a tree head's signature, a decision's inclusion proof against
/// a signed head, and that a newer head extends one kept earlier. Used by
/// `agionctl audit verify-proof` and the tests; the Python SDK's
/// `agion.audit` does the same in Python.
public enum AuditProofCheck {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String

        public init(description: String) { self.description = description }
    }

    public static func head(_ head: SignedTreeHead, keys: [String: [UInt8]]) throws(Failure) {
        guard let key = keys[head.keyID] else {
            throw Failure(description: "the head is signed by key \(head.keyID), which is not among the keys you trust")
        }
        guard head.isSigned(by: key) else { throw Failure(description: "the signature of the head of size \(head.head.treeSize) does not verify") }
    }

    /// That `leaf` (the record as hashed) is leaf `index` of the tree the signed head commits to.
    public static func inclusion(leaf: [UInt8], index: UInt64, path: [MerkleTree.Hash], head signed: SignedTreeHead,
                                 keys: [String: [UInt8]]) throws(Failure) {
        try head(signed, keys: keys)
        guard MerkleTree.verifyInclusion(leafHash: MerkleTree.leafHash(leaf), index: index, size: signed.head.treeSize, path: path,
                                         root: signed.head.rootHash) else {
            throw Failure(description: "the audit path does not lead from the record to the signed root: the record is not in the log as signed")
        }
    }

    /// That `newer` extends `older` (same tenant, both signed): the log was only appended to.
    public static func consistency(older: SignedTreeHead, newer: SignedTreeHead, proof: [MerkleTree.Hash], keys: [String: [UInt8]]) throws(Failure) {
        try head(older, keys: keys)
        try head(newer, keys: keys)
        guard older.head.tenant == newer.head.tenant else { throw Failure(description: "the heads are of different tenants") }
        guard MerkleTree.verifyConsistency(first: older.head.treeSize, second: newer.head.treeSize, firstRoot: older.head.rootHash,
                                           secondRoot: newer.head.rootHash, proof: proof) else {
            throw Failure(description: "the head of size \(newer.head.treeSize) does not extend the head of size \(older.head.treeSize): the log was rewritten")
        }
    }
}

/// Checks an exported archive record by record (docs/governance.md,
/// "Retention"): the records continue the chain from `chainHashBefore`,
/// follow each other from `fromSize + 1`, and, added as leaves to the tree
/// of `fromSize` leaves whose frontier is `frontierBefore`, give exactly the
/// root that `head` (signed at `toSize`) commits to. That proves they are
/// the log's records (fromSize, toSize] as signed, whatever else is gone.
public struct AuditArchiveCheck: Sendable {
    public let toSize: UInt64
    private let head: SignedTreeHead
    private var frontier: MerkleFrontier
    private var chainHash: [UInt8]

    public init(fromSize: UInt64, toSize: UInt64, chainHashBefore: [UInt8], frontierBefore: [MerkleTree.Hash], head: SignedTreeHead,
                keys: [String: [UInt8]]) throws(AuditProofCheck.Failure) {
        try AuditProofCheck.head(head, keys: keys)
        guard head.head.treeSize == toSize, fromSize < toSize else {
            throw AuditProofCheck.Failure(description: "the archive's head is signed at \(head.head.treeSize), not at its end \(toSize)")
        }
        guard frontierBefore.allSatisfy({ $0.count == 32 }), let frontier = MerkleFrontier(size: fromSize, hashes: frontierBefore.flatMap { $0 }) else {
            throw AuditProofCheck.Failure(description: "frontier_before is not the frontier of a tree of \(fromSize) leaves")
        }
        self.toSize = toSize
        self.head = head
        self.frontier = frontier
        self.chainHash = chainHashBefore
    }

    public mutating func add(sequence: Int64, record: [UInt8], hash: [UInt8]) throws(AuditProofCheck.Failure) {
        guard sequence == Int64(frontier.size) + 1 else {
            throw AuditProofCheck.Failure(description: "record \(frontier.size + 1) is missing (found \(sequence) next)")
        }
        guard AuditChain.link(previous: chainHash, sequence: sequence, record: record) == hash else {
            throw AuditProofCheck.Failure(description: "record \(sequence) does not match its chain hash")
        }
        chainHash = hash
        frontier.append(leafHash: MerkleTree.leafHash(record))
    }

    public func finish() throws(AuditProofCheck.Failure) {
        guard frontier.size == toSize else {
            throw AuditProofCheck.Failure(description: "the archive ends at record \(frontier.size), not at \(toSize)")
        }
        guard frontier.root == head.head.rootHash else {
            throw AuditProofCheck.Failure(description: "the records do not give the root signed at \(toSize): they are not the log's records")
        }
    }
}
