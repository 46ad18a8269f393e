import AgionEnvelope
import Foundation
import Testing

@Suite struct EnvelopeDecodingTests {
    @Test func unknownFieldsAreIgnored() throws {
        let envelope = Envelope(type: "agion.x", tenant: "t", payload: [1, 2, 3])
        var bytes = try envelope.encoded()
        // Field 99, wire type 2 (length-delimited), 3 bytes; and field 100, varint 7.
        bytes += [0x9A, 0x06, 0x03, 0x61, 0x62, 0x63, 0xA0, 0x06, 0x07]
        #expect(try Envelope(decoding: bytes) == envelope)
    }

    @Test func emptyInputIsAnErrorBecauseTheIdIsMissing() {
        #expect(throws: EnvelopeError.self) { try Envelope(decoding: []) }
    }

    @Test func truncatedInputIsAnError() throws {
        let bytes = try Envelope(type: "agion.x", tenant: "t", payload: [UInt8](repeating: 7, count: 100)).encoded()
        #expect(throws: EnvelopeError.self) { try Envelope(decoding: Array(bytes.dropLast(10))) }
    }

    @Test func invalidUTF8IsAnError() {
        // Field 1 (id) as a 2-byte string 0xC3 0x28: invalid UTF-8.
        #expect(throws: EnvelopeError.self) { try Envelope(decoding: [0x0A, 0x02, 0xC3, 0x28]) }
    }

    @Test func nonUUIDIdIsAnError() {
        #expect(throws: EnvelopeError.self) { try Envelope(decoding: [0x0A, 0x03, 0x61, 0x62, 0x63, 0x12, 0x01, 0x74]) }
    }

    @Test func errorReplyRejectsGarbage() {
        #expect(throws: EnvelopeError.self) { try ErrorReply(decoding: [0xFF, 0xFF, 0xFF]) }
    }

    /// At least 100,000 random and mutated inputs; every one either decodes or
    /// throws. A crash or a leak of the C message would fail the run.
    @Test(.timeLimit(.minutes(2))) func decoderSurvivesRandomAndMutatedInput() throws {
        var rng = SplitMix64(seed: 0xA610_0001)
        let seeds = try [
            Envelope(type: "agion.registry.agent_registered", tenant: "acme", traceparent: Traceparent.makeRoot().description,
                     headers: ["k": "v", "k2": "v2"], payload: Array(repeating: 0x41, count: 64)).encoded(),
            Envelope(type: "t", tenant: "", payload: []).encoded(),
        ]
        var decoded = 0
        for iteration in 0..<120_000 {
            var input: [UInt8]
            if iteration % 3 == 0 {
                input = (0..<Int(rng.next() % 96)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                input = seeds[iteration % seeds.count]
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    switch rng.next() % 4 {
                    case 0: input[Int(rng.next() % UInt64(input.count))] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: input.removeLast(Int(rng.next() % UInt64(min(8, input.count))))
                    case 2: input.insert(UInt8(truncatingIfNeeded: rng.next()), at: Int(rng.next() % UInt64(input.count + 1)))
                    default: input[Int(rng.next() % UInt64(input.count))] ^= 0x80
                    }
                    if input.isEmpty { break }
                }
            }
            if (try? Envelope(decoding: input)) != nil { decoded += 1 }
        }
        // Some mutations hit only the payload or headers and still decode.
        #expect(decoded > 0)
        #expect(decoded < 120_000)
    }
}

/// A small deterministic generator, so a fuzz failure can be replayed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
