import AgionEnvelope
import Foundation
@testable import GovernanceCore
import Testing

/// RFC 9162's Merkle tree: the range-based algorithms against the RFC's own
/// definitions written naively over arrays of leaves (here, in the test),
/// every proof for every tree up to 40 leaves verified by the RFC's
/// verification algorithms, and tampering of every kind refused.
@Suite struct MerkleTreeTests {
    static let leaves: [[UInt8]] = (0..<40).map { Array("record \($0)".utf8) }
    static let leafHashes = leaves.map(MerkleTree.leafHash)

    // MARK: The RFC's definitions, on arrays (§2.1.1, §2.1.3.1, §2.1.4.1)

    static func mth(_ d: ArraySlice<[UInt8]>) -> [UInt8] {
        if d.isEmpty { return SHA256.hash([]) }
        if d.count == 1 { return MerkleTree.leafHash(d.first!) }
        let k = Int(MerkleTree.split(UInt64(d.count)))
        return MerkleTree.nodeHash(mth(d.prefix(k)), mth(d.dropFirst(k)))
    }

    static func path(_ m: Int, _ d: ArraySlice<[UInt8]>) -> [[UInt8]] {
        if d.count <= 1 { return [] }
        let k = Int(MerkleTree.split(UInt64(d.count)))
        return m < k ? path(m, d.prefix(k)) + [mth(d.dropFirst(k))] : path(m - k, d.dropFirst(k)) + [mth(d.prefix(k))]
    }

    static func subproof(_ m: Int, _ d: ArraySlice<[UInt8]>, _ b: Bool) -> [[UInt8]] {
        if m == d.count { return b ? [] : [mth(d)] }
        let k = Int(MerkleTree.split(UInt64(d.count)))
        return m <= k ? subproof(m, d.prefix(k), b) + [mth(d.dropFirst(k))] : subproof(m - k, d.dropFirst(k), false) + [mth(d.prefix(k))]
    }

    /// Perfect ranges' hashes as a log stores them: from the frontier's appends.
    static let stored: [MerkleTree.Range: [UInt8]] = {
        var frontier = MerkleFrontier(), hashes: [MerkleTree.Range: [UInt8]] = [:]
        for hash in leafHashes { for node in frontier.append(leafHash: hash) { hashes[node.range] = node.hash } }
        return hashes
    }()

    static func perfect(_ range: MerkleTree.Range) -> [UInt8] {
        guard let hash = stored[range] else { Issue.record("\(range) is not a stored perfect range"); return [] }
        return hash
    }

    @Test func rootsPathsAndProofsAreTheRFCsAndVerify() {
        var frontier = MerkleFrontier()
        #expect(frontier.root == SHA256.hash([]) && MerkleTree.root(of: .init(start: 0, end: 0), perfect: Self.perfect) == SHA256.hash([]))
        for n in 1...Self.leaves.count {
            frontier.append(leafHash: Self.leafHashes[n - 1])
            let d = Self.leaves.prefix(n), root = Self.mth(d)
            #expect(frontier.root == root && frontier.size == UInt64(n) && frontier.nodes.count == UInt64(n).nonzeroBitCount)
            #expect(MerkleTree.root(of: .init(start: 0, end: UInt64(n)), perfect: Self.perfect) == root)
            for m in 0..<n {
                let proof = MerkleTree.inclusionPath(index: UInt64(m), size: UInt64(n), perfect: Self.perfect)
                #expect(proof == Self.path(m, d), "PATH(\(m), D[\(n)])")
                #expect(MerkleTree.verifyInclusion(leafHash: Self.leafHashes[m], index: UInt64(m), size: UInt64(n), path: proof, root: root))
            }
            for m in 1..<n {
                let proof = MerkleTree.consistencyProof(first: UInt64(m), second: UInt64(n), perfect: Self.perfect)
                #expect(proof == Self.subproof(m, d, true), "PROOF(\(m), D[\(n)])")
                #expect(MerkleTree.verifyConsistency(first: UInt64(m), second: UInt64(n), firstRoot: Self.mth(Self.leaves.prefix(m)),
                                                     secondRoot: root, proof: proof))
            }
        }
    }

    /// The same roots and proofs checked by an implementation written
    /// separately from the RFC's text, in Python (Tests/Independent/rfc9162.py).
    @Test func anIndependentImplementationAgrees() throws {
        var cases: [[String: Any]] = []
        for n in 1...Self.leaves.count {
            let size = UInt64(n)
            cases.append(["kind": "root", "size": n, "root": MerkleTree.root(of: .init(start: 0, end: size), perfect: Self.perfect).hexString])
            for m in 0..<n {
                cases.append(["kind": "inclusion", "index": m, "size": n,
                              "path": MerkleTree.inclusionPath(index: UInt64(m), size: size, perfect: Self.perfect).map(\.hexString)])
            }
            for m in 1..<n {
                cases.append(["kind": "consistency", "first": m, "second": n,
                              "proof": MerkleTree.consistencyProof(first: UInt64(m), second: size, perfect: Self.perfect).map(\.hexString)])
            }
        }
        let input = try JSONSerialization.data(withJSONObject: ["leaves": Self.leaves.map(\.hexString), "cases": cases])
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Independent/rfc9162.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && output.contains("checked \(cases.count) cases"), "\(output)")
    }

    @Test func tamperingOfEveryKindIsRefused() {
        let n: UInt64 = 21, m: UInt64 = 13
        let root = Self.mth(Self.leaves.prefix(Int(n)))
        let proof = MerkleTree.inclusionPath(index: m, size: n, perfect: Self.perfect)
        let leaf = Self.leafHashes[Int(m)]
        #expect(MerkleTree.verifyInclusion(leafHash: leaf, index: m, size: n, path: proof, root: root))
        // A changed record, another position, another size, a changed, shortened or lengthened path.
        #expect(!MerkleTree.verifyInclusion(leafHash: MerkleTree.leafHash(Array("record 13!".utf8)), index: m, size: n, path: proof, root: root))
        #expect(!MerkleTree.verifyInclusion(leafHash: leaf, index: m + 1, size: n, path: proof, root: root))
        // A size whose tree has another shape (a size with the same shape is
        // bound by the root: heads are signed with their size).
        #expect(!MerkleTree.verifyInclusion(leafHash: leaf, index: m, size: 16, path: proof, root: root))
        #expect(!MerkleTree.verifyInclusion(leafHash: leaf, index: n, size: n, path: proof, root: root))
        var altered = proof
        altered[1][0] ^= 1
        #expect(!MerkleTree.verifyInclusion(leafHash: leaf, index: m, size: n, path: altered, root: root))
        #expect(!MerkleTree.verifyInclusion(leafHash: leaf, index: m, size: n, path: Array(proof.dropLast()), root: root))
        #expect(!MerkleTree.verifyInclusion(leafHash: leaf, index: m, size: n, path: proof + [root], root: root))
        // Two records swapped: the tree over the reordered log has another root.
        var swapped = Array(Self.leaves.prefix(Int(n)))
        swapped.swapAt(3, 4)
        #expect(Self.mth(swapped[...]) != root)

        // Consistency: a forked head (same size, other root), a truncated or rewritten tail.
        let first: UInt64 = 8, firstRoot = Self.mth(Self.leaves.prefix(8))
        let consistency = MerkleTree.consistencyProof(first: first, second: n, perfect: Self.perfect)
        #expect(MerkleTree.verifyConsistency(first: first, second: n, firstRoot: firstRoot, secondRoot: root, proof: consistency))
        var forked = Array(Self.leaves.prefix(8))
        forked[5] = Array("rewritten".utf8)
        #expect(!MerkleTree.verifyConsistency(first: first, second: n, firstRoot: Self.mth(forked[...]), secondRoot: root, proof: consistency))
        #expect(!MerkleTree.verifyConsistency(first: first, second: n, firstRoot: firstRoot, secondRoot: Self.mth(Self.leaves.prefix(20)),
                                              proof: consistency))
        #expect(!MerkleTree.verifyConsistency(first: n, second: first, firstRoot: root, secondRoot: firstRoot, proof: consistency))
        #expect(!MerkleTree.verifyConsistency(first: first, second: n, firstRoot: firstRoot, secondRoot: root, proof: []))
        #expect(MerkleTree.verifyConsistency(first: n, second: n, firstRoot: root, secondRoot: root, proof: []))
        #expect(!MerkleTree.verifyConsistency(first: n, second: n, firstRoot: root, secondRoot: firstRoot, proof: []))
    }

    @Test func operationsReadOnlyAFewPerfectRangesAndSayWhichBeforehand() {
        // At a hundred million leaves a proof reads a few dozen stored hashes.
        let size: UInt64 = 100_000_017
        let inclusion = MerkleTree.rangesRead { perfect in _ = MerkleTree.inclusionPath(index: 77_777_777, size: size, perfect: perfect) }
        let consistency = MerkleTree.rangesRead { perfect in _ = MerkleTree.consistencyProof(first: 99_000_001, second: size, perfect: perfect) }
        #expect(inclusion.allSatisfy(\.isPerfect) && consistency.allSatisfy(\.isPerfect))
        #expect(inclusion.count <= 64 && consistency.count <= 64, "\(inclusion.count) and \(consistency.count)")
        // The frontier resumes from what it stored, and refuses what is not a frontier.
        var frontier = MerkleFrontier()
        for hash in Self.leafHashes.prefix(11) { frontier.append(leafHash: hash) }
        #expect(MerkleFrontier(nodes: frontier.nodes) == frontier)
        #expect(MerkleFrontier(nodes: Array(frontier.nodes.dropFirst())) == nil)
        #expect(MerkleFrontier(nodes: Array(frontier.nodes.reversed())) == nil)
    }
}
