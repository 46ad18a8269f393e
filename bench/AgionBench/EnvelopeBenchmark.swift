import AgionEnvelope
import Foundation

/// envelope.roundtrip: encode + decode of an envelope with a 200-byte payload.
enum EnvelopeBenchmark {
    static func run(iterations: Int) throws {
        let envelope = Envelope(type: "agion.governance.check", tenant: "acme", correlationID: "req-1",
                                traceparent: Traceparent.makeRoot().description, headers: ["k": "v"],
                                payload: [UInt8](repeating: 0x5A, count: 200))
        var checksum = 0
        for _ in 0..<10_000 { checksum &+= try Envelope(decoding: envelope.encoded()).payload.count }
        let start = nowNanos()
        for _ in 0..<iterations { checksum &+= try Envelope(decoding: envelope.encoded()).payload.count }
        let elapsed = nowNanos() - start
        precondition(checksum > 0)
        BenchLine("envelope.roundtrip").with("ns_per_op", Int(elapsed / UInt64(iterations)))
            .with("ops_per_s", Int(Double(iterations) / (Double(elapsed) / 1e9))).with("rss_mb", residentMegabytes()).print()
        try genericRoundTrip(iterations: iterations / 4)
    }

    /// proto.generic_roundtrip: a governance Decision (nested, repeated, enum,
    /// double) through the descriptor-driven codec, `ProtoSchema`.
    static func genericRoundTrip(iterations: Int) throws {
        let decision = ProtoMessage("agion.v1.Decision", [
            "decision_id": .string(UUIDv7.make().lowercasedString), "effect": .enumValue(1),
            "rule_ids": .list([.string("allow-reports"), .string("business-hours")]),
            "reasons": .list([.string("allowed by allow-reports")]),
            "obligations": .list([.message(ProtoMessage("agion.v1.Obligation", ["kind": .string("max_tokens"),
                "parameters": .list([.message(ProtoMessage("agion.v1.Header", ["key": .string("limit"), "value": .string("2000")]))])]))]),
            "trust_score": .double(0.82), "policy_revision": .uint(12),
        ])
        var checksum = 0
        let start = nowNanos()
        for _ in 0..<iterations { checksum &+= try ProtoSchema.decode("agion.v1.Decision", from: ProtoSchema.encode(decision)).fields.count }
        let elapsed = nowNanos() - start
        precondition(checksum > 0)
        BenchLine("proto.generic_roundtrip").with("ns_per_op", Int(elapsed / UInt64(iterations)))
            .with("ops_per_s", Int(Double(iterations) / (Double(elapsed) / 1e9))).print()
    }
}
