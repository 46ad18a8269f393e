import AgionEnvelope
import Foundation
import Testing

/// The Swift codec against the reference protobuf toolchain (`protoc --encode` /
/// `--decode`), so any other protobuf implementation can read and write Agion messages.
@Suite struct WireCompatibilityTests {
    static let protoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Proto").path

    private func protoc(_ arguments: [String], input: Data) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["protoc", "-I", Self.protoRoot] + arguments
            + ["agion/v1/envelope.proto", "agion/v1/errors.proto", "agion/v1/registry.proto", "agion/v1/governance.proto"]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "protoc failed; run `make test` so it is installed")
        return output
    }

    @Test func bytesFromProtocDecodeInSwift() throws {
        let text = """
        id: "0190f3a2-7b1c-7def-8123-456789abcdef"
        type: "agion.registry.agent_registered"
        schema_version: 2
        occurred_at_unix_nanos: 1763700000123456789
        tenant: "acme"
        correlation_id: "corr"
        causation_id: "cause"
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        headers { key: "x" value: "1" }
        headers { key: "y" value: "ü" }
        payload: "\\001\\002\\003"
        """
        let bytes = try protoc(["--encode=agion.v1.Envelope"], input: Data(text.utf8))
        let envelope = try Envelope(decoding: [UInt8](bytes))
        #expect(envelope.id == UUID(uuidString: "0190f3a2-7b1c-7def-8123-456789abcdef"))
        #expect(envelope.type == "agion.registry.agent_registered")
        #expect(envelope.schemaVersion == 2)
        #expect(envelope.occurredAtUnixNanos == 1_763_700_000_123_456_789)
        #expect(envelope.tenant == "acme")
        #expect(envelope.correlationID == "corr")
        #expect(envelope.causationID == "cause")
        #expect(envelope.traceparent == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        #expect(envelope.headers == ["x": "1", "y": "ü"])
        #expect(envelope.payload == [1, 2, 3])
    }

    @Test func bytesFromSwiftDecodeWithProtoc() throws {
        let envelope = Envelope(type: "agion.governance.decision_made", schemaVersion: 4,
                                occurredAtUnixNanos: 42, tenant: "t1", correlationID: "c", causationID: "d",
                                headers: ["k": "v"], payload: Array("ab".utf8))
        let text = String(decoding: try protoc(["--decode=agion.v1.Envelope"], input: Data(try envelope.encoded())), as: UTF8.self)
        #expect(text.contains("id: \"\(envelope.id.lowercasedString)\""))
        #expect(text.contains("type: \"agion.governance.decision_made\""))
        #expect(text.contains("schema_version: 4"))
        #expect(text.contains("occurred_at_unix_nanos: 42"))
        #expect(text.contains("tenant: \"t1\""))
        #expect(text.contains("key: \"k\""))
        #expect(text.contains("payload: \"ab\""))
    }

    @Test func batchesAgreeWithProtocBothWays() throws {
        let batch = EnvelopeBatch(envelopes: [Array("first".utf8), [], [0, 255, 10]])
        let text = String(decoding: try protoc(["--decode=agion.v1.EnvelopeBatch"], input: Data(batch.encoded())), as: UTF8.self)
        #expect(text == "envelopes: \"first\"\nenvelopes: \"\"\nenvelopes: \"\\000\\377\\n\"\n")
        let encoded = try protoc(["--encode=agion.v1.EnvelopeBatch"], input: Data(text.utf8))
        #expect(try EnvelopeBatch(decoding: [UInt8](encoded)) == batch)
    }

    @Test func genericCodecAgreesWithProtocOnNestedMessages() throws {
        let text = """
        decision_id: "d-1" effect: EFFECT_REQUIRE_APPROVAL rule_ids: "r1" rule_ids: "r2"
        reasons: "amount over 1000"
        obligations { kind: "redact" parameters { key: "field" value: "card" } }
        trust_score: 0.75 policy_revision: 7
        """
        let decision = try ProtoSchema.decode("agion.v1.Decision", from: [UInt8](protoc(["--encode=agion.v1.Decision"], input: Data(text.utf8))))
        #expect(decision.string("decision_id") == "d-1")
        #expect(decision.int("effect") == 3)
        #expect(decision.list("rule_ids") == [.string("r1"), .string("r2")])
        #expect(decision.double("trust_score") == 0.75)
        #expect(decision.int("policy_revision") == 7)
        #expect(decision.list("obligations").first?.message?.list("parameters").first?.message?.string("value") == "card")

        let back = String(decoding: try protoc(["--decode=agion.v1.Decision"], input: Data(ProtoSchema.encode(decision))), as: UTF8.self)
        #expect(back.contains("effect: EFFECT_REQUIRE_APPROVAL"))
        #expect(back.contains("trust_score: 0.75"))
        #expect(back.contains("value: \"card\""))
    }

    @Test func errorReplyFromProtocDecodesInSwift() throws {
        let bytes = try protoc(["--encode=agion.v1.ErrorReply"],
                               input: Data("code: \"not_found\" message: \"no agent\" retriable: true field: \"agent_id\"".utf8))
        #expect(try ErrorReply(decoding: [UInt8](bytes)) == ErrorReply(code: .notFound, message: "no agent", retriable: true, field: "agent_id"))
    }
}
