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
    }
}
