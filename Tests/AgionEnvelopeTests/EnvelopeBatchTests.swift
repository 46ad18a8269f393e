import AgionEnvelope
import Foundation
import Testing

/// The batch that carries coalesced requests and their replies.
@Suite struct EnvelopeBatchTests {
    @Test func roundTripsEnvelopesInOrderIncludingEmptyOnes() throws {
        let envelopes = try (0..<5).map { index in
            try Envelope(type: "agion.v1.CheckRequest", tenant: "t\(index)", payload: Array(repeating: UInt8(index), count: index * 100)).encoded()
        }
        let batch = EnvelopeBatch(envelopes: envelopes + [[]])
        let decoded = try EnvelopeBatch(decoding: batch.encoded())
        #expect(decoded == batch)
        #expect(try decoded.envelopes.prefix(5).map { try Envelope(decoding: $0).tenant } == ["t0", "t1", "t2", "t3", "t4"])
    }

    @Test func anEmptyBatchIsEmptyBytesAndDecodesToNoEnvelopes() throws {
        #expect(EnvelopeBatch(envelopes: []).encoded().isEmpty)
        #expect(try EnvelopeBatch(decoding: []).envelopes.isEmpty)
    }

    @Test func malformedBytesAreAnErrorNotATrap() throws {
        let good = EnvelopeBatch(envelopes: [[1, 2, 3], [4, 5]]).encoded()
        var generator = SystemRandomNumberGenerator()
        var failures = 0
        for _ in 0..<5_000 {
            var bytes = good
            // A length that runs past the end, a wire type protobuf does not have, or random damage.
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: bytes[1] = 0x7f
            case 1: bytes[0] = 0x0f
            default: for _ in 0..<3 { bytes[Int.random(in: 0..<bytes.count, using: &generator)] = .random(in: 0...255, using: &generator) }
            }
            do { _ = try EnvelopeBatch(decoding: bytes) } catch { failures += 1 }
        }
        #expect(failures > 0)
        #expect(throws: EnvelopeError.self) { try EnvelopeBatch(decoding: [0x0a, 0x05, 1]) }
    }

    @Test func theBatchSubjectIsTheMethodsWithABatchToken() {
        #expect(EnvelopeBatch.subject(for: "agion.rpc.governance.check") == "agion.rpc.governance.check.batch")
    }
}
