/// The Merkle tree of RFC 9162 (Certificate Transparency 2.0, §2.1) over a
/// log of records: the hashes, the tree head, inclusion and consistency
/// proofs, and their verification, exactly as the RFC writes them, so any
/// implementation of the RFC checks what this one proves.
///
/// Nothing here holds the tree. Every algorithm reads the hashes of
/// **perfect ranges** only (`Range.isPerfect`: 2^k leaves starting at a
/// multiple of 2^k), which are what a log stores as leaves are appended
/// (`MerkleFrontier` says which each append completes): the root of any
/// other range is computed from O(log n) of them. A caller with stored
/// hashes asks `rangesRead(by:)` which ones an operation needs, reads them in
/// one query, and runs the operation on them.
public enum MerkleTree {
    public typealias Hash = [UInt8]

    /// MTH of the empty tree: SHA-256 of nothing.
    public static let emptyRoot: Hash = SHA256.hash([])

    /// HASH(0x00 || leaf).
    public static func leafHash(_ leaf: [UInt8]) -> Hash {
        var hasher = SHA256()
        hasher.update([0x00])
        hasher.update(leaf)
        return hasher.finalize()
    }

    /// HASH(0x01 || left || right).
    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        var hasher = SHA256()
        hasher.update([0x01])
        hasher.update(left)
        hasher.update(right)
        return hasher.finalize()
    }

    /// Leaves `start ..< end` of the log.
    public struct Range: Hashable, Sendable, CustomStringConvertible {
        public let start: UInt64
        public let end: UInt64

        public init(start: UInt64, end: UInt64) {
            precondition(start <= end, "a range ends after it starts")
            self.start = start
            self.end = end
        }

        public var count: UInt64 { end - start }

        /// 2^k leaves starting at a multiple of 2^k: a complete subtree,
        /// whose hash never changes once its last leaf is in.
        public var isPerfect: Bool { count > 0 && count & (count - 1) == 0 && start % count == 0 }

        /// Its height: log2 of its count (for perfect ranges).
        public var level: Int { count == 0 ? 0 : 63 - count.leadingZeroBitCount }

        public var description: String { "[\(start), \(end))" }
    }

    /// The largest power of two smaller than `n` (n > 1): where the RFC splits.
    static func split(_ n: UInt64) -> UInt64 {
        precondition(n > 1)
        return UInt64(1) << (63 - (n - 1).leadingZeroBitCount)
    }

    // MARK: Computing (from perfect ranges' hashes)

    /// MTH(D[start:end]).
    public static func root(of range: Range, perfect: (Range) throws -> Hash) rethrows -> Hash {
        if range.count == 0 { return emptyRoot }
        if range.isPerfect { return try perfect(range) }
        let k = split(range.count)
        return nodeHash(try root(of: Range(start: range.start, end: range.start + k), perfect: perfect),
                        try root(of: Range(start: range.start + k, end: range.end), perfect: perfect))
    }

    /// PATH(index, D[0:size]): the audit path of leaf `index` in the tree of `size` leaves.
    public static func inclusionPath(index: UInt64, size: UInt64, perfect: (Range) throws -> Hash) rethrows -> [Hash] {
        precondition(index < size, "the leaf is in the tree")
        return try path(index, Range(start: 0, end: size), perfect)
    }

    private static func path(_ m: UInt64, _ range: Range, _ perfect: (Range) throws -> Hash) rethrows -> [Hash] {
        guard range.count > 1 else { return [] }
        let k = split(range.count)
        let left = Range(start: range.start, end: range.start + k), right = Range(start: range.start + k, end: range.end)
        if m < k { return try path(m, left, perfect) + [try root(of: right, perfect: perfect)] }
        return try path(m - k, right, perfect) + [try root(of: left, perfect: perfect)]
    }

    /// PROOF(first, D[0:second]): that the tree of `second` leaves extends the
    /// tree of `first` (empty when first is 0 or equals second).
    public static func consistencyProof(first: UInt64, second: UInt64, perfect: (Range) throws -> Hash) rethrows -> [Hash] {
        precondition(first <= second, "a tree only grows")
        guard first > 0, first < second else { return [] }
        return try subproof(first, Range(start: 0, end: second), true, perfect)
    }

    private static func subproof(_ m: UInt64, _ range: Range, _ complete: Bool, _ perfect: (Range) throws -> Hash) rethrows -> [Hash] {
        if m == range.count { return complete ? [] : [try root(of: range, perfect: perfect)] }
        let k = split(range.count)
        let left = Range(start: range.start, end: range.start + k), right = Range(start: range.start + k, end: range.end)
        if m <= k { return try subproof(m, left, complete, perfect) + [try root(of: right, perfect: perfect)] }
        return try subproof(m - k, right, false, perfect) + [try root(of: left, perfect: perfect)]
    }

    /// The perfect ranges `operation` reads: it is run on placeholder hashes
    /// (what an algorithm reads depends on the sizes, never on the hashes).
    public static func rangesRead(by operation: (_ perfect: (Range) -> Hash) -> Void) -> Set<Range> {
        var read: Set<Range> = []
        operation { range in
            read.insert(range)
            return emptyRoot
        }
        return read
    }

    // MARK: Verifying (RFC 9162 §2.1.3.2 and §2.1.4.2, word for word)

    /// Whether `path` proves that the leaf with `leafHash` is leaf `index` of
    /// the tree of `size` leaves whose root is `root`.
    public static func verifyInclusion(leafHash: Hash, index: UInt64, size: UInt64, path: [Hash], root: Hash) -> Bool {
        guard index < size else { return false }
        var fn = index, sn = size - 1, r = leafHash
        for p in path {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// Whether `proof` shows that the tree of `second` leaves with root
    /// `secondRoot` extends the tree of `first` leaves with root `firstRoot`.
    public static func verifyConsistency(first: UInt64, second: UInt64, firstRoot: Hash, secondRoot: Hash, proof: [Hash]) -> Bool {
        guard first <= second else { return false }
        if first == second { return proof.isEmpty && firstRoot == secondRoot }
        if first == 0 { return proof.isEmpty }  // the empty tree is a prefix of every tree
        guard !proof.isEmpty else { return false }
        var path = proof
        if first & (first - 1) == 0 { path.insert(firstRoot, at: 0) }
        var fn = first - 1, sn = second - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0], sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == firstRoot && sr == secondRoot && sn == 0
    }
}

/// The right edge of a growing tree: the perfect subtrees that cover leaves
/// `0 ..< size`, largest first (one per set bit of `size`). Appending a leaf
/// completes the perfect ranges a log stores (the leaf itself, then each
/// subtree it closes), and the root is the frontier folded from the right.
/// O(log n) memory, O(1) amortized hashes per leaf.
public struct MerkleFrontier: Sendable, Hashable {
    public struct Node: Sendable, Hashable {
        public let range: MerkleTree.Range
        public let hash: MerkleTree.Hash

        public init(range: MerkleTree.Range, hash: MerkleTree.Hash) {
            self.range = range
            self.hash = hash
        }
    }

    public private(set) var nodes: [Node]

    public var size: UInt64 { nodes.last?.range.end ?? 0 }

    public init() { nodes = [] }

    /// Resumes from stored subtrees; nil unless they are exactly the frontier
    /// of some size (perfect, adjacent from 0, strictly shrinking).
    public init?(nodes: [Node]) {
        var end: UInt64 = 0, previous = UInt64.max
        for node in nodes {
            guard node.range.start == end, node.range.isPerfect, node.range.count < previous else { return nil }
            end = node.range.end
            previous = node.range.count
        }
        self.nodes = nodes
    }

    /// The ranges of the frontier of a tree of `size` leaves, largest first.
    public static func ranges(size: UInt64) -> [MerkleTree.Range] {
        var ranges: [MerkleTree.Range] = []
        var start: UInt64 = 0
        for bit in stride(from: 63, through: 0, by: -1) where size & (1 << UInt64(bit)) != 0 {
            ranges.append(MerkleTree.Range(start: start, end: start + (1 << UInt64(bit))))
            start += 1 << UInt64(bit)
        }
        return ranges
    }

    /// The frontier of a tree of `size` leaves from its hashes, concatenated
    /// in the order of `ranges(size:)` (how it is stored and exported); nil
    /// unless there are exactly that many 32-byte hashes.
    public init?(size: UInt64, hashes: [UInt8]) {
        let ranges = Self.ranges(size: size)
        guard hashes.count == ranges.count * 32 else { return nil }
        self.init(nodes: ranges.enumerated().map { i, range in Node(range: range, hash: Array(hashes[i * 32 ..< (i + 1) * 32])) })
    }

    /// The hashes in the order `init(size:hashes:)` reads them.
    public var hashes: [UInt8] { nodes.flatMap(\.hash) }

    /// Appends a leaf; the perfect ranges it completed, smallest (the leaf) first.
    @discardableResult
    public mutating func append(leafHash: MerkleTree.Hash) -> [Node] {
        let index = size
        var completed = [Node(range: MerkleTree.Range(start: index, end: index + 1), hash: leafHash)]
        var current = completed[0]
        while let last = nodes.last, last.range.count == current.range.count {
            nodes.removeLast()
            current = Node(range: MerkleTree.Range(start: last.range.start, end: current.range.end), hash: MerkleTree.nodeHash(last.hash, current.hash))
            completed.append(current)
        }
        nodes.append(current)
        return completed
    }

    /// MTH(D[0:size]).
    public var root: MerkleTree.Hash {
        guard var root = nodes.last?.hash else { return MerkleTree.emptyRoot }
        for node in nodes.dropLast().reversed() { root = MerkleTree.nodeHash(node.hash, root) }
        return root
    }
}
