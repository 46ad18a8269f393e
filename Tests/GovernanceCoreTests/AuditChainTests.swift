@testable import GovernanceCore
import Testing

@Suite struct AuditChainTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256MatchesTheStandardVectors(input: String, digest: String) {
        #expect(SHA256.hash(Array(input.utf8)).hexString == digest)
    }

    @Test func sha256OfAMillionAsInPiecesOfAnySize() {
        var hasher = SHA256()
        var remaining = 1_000_000, size = 1
        while remaining > 0 {
            let n = min(size, remaining)
            hasher.update([UInt8](repeating: UInt8(ascii: "a"), count: n))
            remaining -= n
            size = size % 97 + 13
        }
        #expect(hasher.finalize().hexString == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func chain(_ records: [String]) -> [AuditChain.Link] {
        var previous = AuditChain.genesis
        return records.enumerated().map { i, text in
            let hash = AuditChain.link(previous: previous, sequence: Int64(i + 1), record: Array(text.utf8))
            previous = hash
            return AuditChain.Link(sequence: Int64(i + 1), record: Array(text.utf8), hash: hash)
        }
    }

    @Test func anIntactChainVerifies() throws {
        let links = chain(["a", "b", "c"])
        #expect(try AuditChain.verify(links, previous: AuditChain.genesis, expectedSequence: 1).get() == links[2].hash)
        // Verification can resume from any verified link.
        #expect(try AuditChain.verify(Array(links[2...]), previous: links[1].hash, expectedSequence: 3).get() == links[2].hash)
    }

    @Test func renumberingRecordsBreaksTheChain() {
        var links = chain(["a", "b"])
        links[0] = AuditChain.Link(sequence: 1, record: links[1].record, hash: links[1].hash)
        links[1] = AuditChain.Link(sequence: 2, record: Array("a".utf8), hash: links[0].hash)
        #expect(throws: AuditChain.Break.self) { try AuditChain.verify(links, previous: AuditChain.genesis, expectedSequence: 1).get() }
    }

    @Test func theFirstBrokenLinkIsReported() {
        var links = chain(["a", "b", "c", "d"])
        links[1] = AuditChain.Link(sequence: 2, record: Array("B".utf8), hash: links[1].hash)
        if case .failure(let broken) = AuditChain.verify(links, previous: AuditChain.genesis, expectedSequence: 1) {
            #expect(broken.sequence == 2)
        } else {
            Issue.record("an altered record must break the chain")
        }
        var removed = chain(["a", "b", "c"])
        removed.remove(at: 1)
        if case .failure(let broken) = AuditChain.verify(removed, previous: AuditChain.genesis, expectedSequence: 1) {
            #expect(broken.sequence == 2)
        } else {
            Issue.record("a removed record must break the chain")
        }
        // Rewriting a record and its own hash still breaks the next link.
        var rewritten = chain(["a", "b", "c"])
        rewritten[1] = AuditChain.Link(sequence: 2, record: Array("B".utf8), hash: AuditChain.link(previous: rewritten[0].hash, sequence: 2, record: Array("B".utf8)))
        if case .failure(let broken) = AuditChain.verify(rewritten, previous: AuditChain.genesis, expectedSequence: 1) {
            #expect(broken.sequence == 3)
        } else {
            Issue.record("a rewritten record must break the following link")
        }
    }
}
