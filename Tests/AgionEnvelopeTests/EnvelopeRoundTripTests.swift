import AgionEnvelope
import Foundation
import Testing

@Suite struct EnvelopeRoundTripTests {
    private func roundTrip(_ envelope: Envelope) throws -> Envelope {
        try Envelope(decoding: try envelope.encoded())
    }

    @Test func everyFieldSurvivesARoundTrip() throws {
        let envelope = Envelope(
            type: "agion.registry.agent_registered",
            schemaVersion: 3,
            occurredAtUnixNanos: 1_763_700_000_123_456_789,
            tenant: "acme",
            correlationID: "req-42",
            causationID: UUIDv7.make().lowercasedString,
            traceparent: Traceparent.makeRoot().description,
            headers: ["a": "1", "b": "two"],
            payload: Array("hello".utf8)
        )
        #expect(try roundTrip(envelope) == envelope)
    }

    @Test func emptyOptionalFieldsRoundTrip() throws {
        let envelope = Envelope(type: "t", schemaVersion: 0, occurredAtUnixNanos: 0, tenant: "",
                                correlationID: "", causationID: "", traceparent: "", headers: [:], payload: [])
        #expect(try roundTrip(envelope) == envelope)
    }

    @Test func unicodeStringsRoundTrip() throws {
        let envelope = Envelope(type: "agion.tëst.événement", tenant: "租户-🚀",
                                headers: ["ключ": "значение", "emoji": "👩‍💻"], payload: Array("ü".utf8))
        #expect(try roundTrip(envelope) == envelope)
    }

    @Test func oneMebibytePayloadRoundTrips() throws {
        var rng = SystemRandomNumberGenerator()
        let payload = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let envelope = Envelope(type: "agion.big", tenant: "t", payload: payload)
        #expect(try roundTrip(envelope).payload == payload)
    }

    @Test func manyHeadersRoundTrip() throws {
        let headers = Dictionary(uniqueKeysWithValues: (0..<1_000).map { ("h\($0)", String(repeating: "v", count: $0 % 17)) })
        let envelope = Envelope(type: "agion.headers", tenant: "t", headers: headers)
        #expect(try roundTrip(envelope).headers == headers)
    }

    @Test func encodingIsDeterministic() throws {
        let envelope = Envelope(type: "x", tenant: "t", headers: ["z": "1", "a": "2", "m": "3"])
        #expect(try envelope.encoded() == envelope.encoded())
    }

    @Test func embeddedNULIsRejectedInsteadOfTruncated() {
        let envelope = Envelope(type: "agion.x", tenant: "bad\u{0}tenant")
        #expect(throws: EnvelopeError.self) { try envelope.encoded() }
    }

    @Test func causedMessageCarriesCorrelationCausationAndTrace() {
        let root = Envelope(type: "agion.a", tenant: "t", traceparent: Traceparent.makeRoot().description)
        let child = root.caused(type: "agion.b", payload: [1])
        #expect(child.tenant == "t")
        #expect(child.correlationID == root.correlationID)
        #expect(child.causationID == root.id.lowercasedString)
        #expect(Traceparent(child.traceparent)?.traceID == Traceparent(root.traceparent)?.traceID)
        #expect(child.traceparent != root.traceparent)
    }

    @Test func errorReplyRoundTrips() throws {
        let reply = ErrorReply(code: .invalidArgument, message: "agent id must be <container>:<name>",
                               retriable: true, field: "agent.id")
        #expect(try ErrorReply(decoding: reply.encoded()) == reply)
    }

    /// Error texts quote what callers sent, NULs included; protobuf-c strings
    /// cannot hold one, so it is spelled out rather than losing the reply.
    @Test func errorRepliesQuotingANulStillEncode() throws {
        let reply = ErrorReply(code: .invalidArgument, message: "unknown key 'B\u{0}x'", field: "document.B\u{0}x")
        let decoded = try ErrorReply(decoding: reply.encoded())
        #expect(decoded.code == .invalidArgument)
        #expect(decoded.message == "unknown key 'B\\u{0}x'")
        #expect(decoded.field == "document.B\\u{0}x")
    }
}

@Suite struct ErrorReplyCodeTests {
    @Test func everyKnownCodeRoundTripsByItsWireText() throws {
        for code in ErrorReply.Code.known {
            #expect(ErrorReply.Code(wire: code.wire) == code)
            let decoded = try ErrorReply(decoding: ErrorReply(code: code, message: "m").encoded())
            #expect(decoded.code == code)
        }
        #expect(Set(ErrorReply.Code.known.map(\.wire)).count == ErrorReply.Code.known.count)
    }

    @Test func aCodeFromANewerServiceIsKeptNotLost() throws {
        let decoded = try ErrorReply(decoding: ErrorReply(code: .unrecognized("quota_frozen"), message: "m").encoded())
        #expect(decoded.code == .unrecognized("quota_frozen"))
        #expect(decoded.code.wire == "quota_frozen")
    }
}
