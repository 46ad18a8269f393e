import AgionEnvelope
import Foundation
import Testing

@Suite struct ProtoSchemaTests {
    private func agent() -> ProtoMessage {
        ProtoMessage("agion.v1.Agent", [
            "id": .string("langgraph-v2:chart_generator"), "tenant": .string("acme"), "name": .string("chart_generator"),
            "capabilities": .list([.string("charts"), .string("pdf")]), "version": .string("2.1.0"),
            "container": .string("langgraph-v2"),
            "endpoint": .message(ProtoMessage("agion.v1.AgentEndpoint", ["kind": .enumValue(1), "address": .string("http://lg:8080")])),
            "metadata": .list([.message(ProtoMessage("agion.v1.Header", ["key": .string("team"), "value": .string("bi")]))]),
        ])
    }

    @Test func everyMessageInProtoIsRegistered() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Proto/agion/v1")
        var declared: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: root.path) where file.hasSuffix(".proto") {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("message ") {
                declared.append("agion.v1." + line.dropFirst(8).prefix { $0 != " " && $0 != "{" })
            }
        }
        #expect(!declared.isEmpty)
        #expect(declared.sorted() == ProtoSchema.messageNames)
    }

    @Test func nestedRepeatedAndEnumFieldsRoundTrip() throws {
        let decoded = try ProtoSchema.decode("agion.v1.Agent", from: ProtoSchema.encode(agent()))
        #expect(decoded.string("id") == "langgraph-v2:chart_generator")
        #expect(decoded.list("capabilities") == [.string("charts"), .string("pdf")])
        #expect(decoded.message("endpoint")?.int("kind") == 1)
        #expect(decoded.message("endpoint")?.string("address") == "http://lg:8080")
        #expect(decoded.list("metadata").first?.message?.string("value") == "bi")
        #expect(decoded.string("description") == "")  // proto3 default
    }

    @Test func reflectionAgreesWithTheHandWrittenEnvelopeCodec() throws {
        let envelope = Envelope(type: "agion.x", schemaVersion: 2, occurredAtUnixNanos: 99, tenant: "t",
                                headers: ["a": "1"], payload: [1, 2, 3])
        let generic = try ProtoSchema.decode("agion.v1.Envelope", from: envelope.encoded())
        #expect(generic.string("id") == envelope.id.lowercasedString)
        #expect(generic.int("schema_version") == 2)
        #expect(generic.int("occurred_at_unix_nanos") == 99)
        #expect(generic.bytes("payload") == [1, 2, 3])
        #expect(try ProtoSchema.encode(generic) == envelope.encoded())
    }

    @Test func oneofMembersAndDoublesRoundTrip() throws {
        func value(_ kind: String, _ v: ProtoValue) -> ProtoValue { .message(ProtoMessage("agion.v1.Value", [kind: v])) }
        let context = ProtoMessage("agion.v1.StructValue", ["fields": .list([
            .message(ProtoMessage("agion.v1.Field", ["key": .string("amount"), "value": value("number_value", .double(12.5))])),
            .message(ProtoMessage("agion.v1.Field", ["key": .string("urgent"), "value": value("bool_value", .bool(true))])),
            .message(ProtoMessage("agion.v1.Field", ["key": .string("tags"), "value": value("list_value",
                .message(ProtoMessage("agion.v1.ListValue", ["values": .list([value("string_value", .string("a"))])])))])),
        ])])
        let request = ProtoMessage("agion.v1.CheckRequest", [
            "agent_id": .string("c:a"), "action": .string("pay"), "context": .message(context),
            "delegation_chain": .list([.string("alice"), .string("bob")]),
        ])
        let decoded = try ProtoSchema.decode("agion.v1.CheckRequest", from: ProtoSchema.encode(request))
        let fields = decoded.message("context")?.list("fields").compactMap(\.message) ?? []
        #expect(fields.count == 3)
        #expect(fields[0].message("value")?.fields == ["number_value": .double(12.5)])  // only the set oneof member
        #expect(fields[1].message("value")?.fields == ["bool_value": .bool(true)])
        #expect(fields[2].message("value")?.message("list_value")?.list("values").first?.message?.string("string_value") == "a")
        #expect(decoded.list("delegation_chain") == [.string("alice"), .string("bob")])
    }

    @Test func contractMistakesAreErrorsNamingTheField() {
        #expect(throws: EnvelopeError.self) { try ProtoSchema.encode(ProtoMessage("agion.v1.Agent", ["nmae": .string("x")])) }
        #expect(throws: EnvelopeError.self) { try ProtoSchema.encode(ProtoMessage("agion.v1.Agent", ["name": .int(3)])) }
        #expect(throws: EnvelopeError.self) { try ProtoSchema.encode(ProtoMessage("agion.v1.Agent", ["capabilities": .string("x")])) }
        #expect(throws: EnvelopeError.self) { try ProtoSchema.encode(ProtoMessage("agion.v1.Heartbeat", ["ttl_seconds": .int(-1)])) }
        #expect(throws: EnvelopeError.self) {
            try ProtoSchema.encode(ProtoMessage("agion.v1.Value", ["bool_value": .bool(true), "string_value": .string("x")]))
        }
        #expect(throws: EnvelopeError.self) { try ProtoSchema.encode(ProtoMessage("agion.v1.Nope")) }
        #expect(throws: EnvelopeError.self) {
            try ProtoSchema.encode(ProtoMessage("agion.v1.Agent", ["endpoint": .message(ProtoMessage("agion.v1.Header"))]))
        }
        let error = #expect(throws: EnvelopeError.self) { try ProtoSchema.encode(ProtoMessage("agion.v1.Agent", ["name": .bool(true)])) }
        #expect(error?.message.contains("agion.v1.Agent.name") == true)
    }

    @Test(.timeLimit(.minutes(1))) func genericDecoderSurvivesMutatedInput() throws {
        var rng = SplitMix64(seed: 0xA610_0002)
        let seed = try ProtoSchema.encode(agent())
        var decoded = 0
        for _ in 0..<30_000 {
            var input = seed
            for _ in 0..<(1 + Int(rng.next() % 3)) where !input.isEmpty {
                input[Int(rng.next() % UInt64(input.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            if (try? ProtoSchema.decode("agion.v1.Agent", from: input)) != nil { decoded += 1 }
        }
        #expect(decoded > 0)
    }
}

/// How a service declares a contract type: fields by name, validation in init.
private struct HeartbeatExample: ProtoConvertible, Equatable {
    static let protoName = "agion.v1.Heartbeat"
    var agentID: String
    var ttlSeconds: UInt32

    init(agentID: String, ttlSeconds: UInt32) {
        self.agentID = agentID
        self.ttlSeconds = ttlSeconds
    }

    init(proto: ProtoMessage) throws(EnvelopeError) {
        agentID = proto.string("agent_id")
        guard agentID.contains(":") else { throw EnvelopeError(.invalidField, "agent_id must be <container>:<name>") }
        ttlSeconds = UInt32(clamping: proto.int("ttl_seconds"))
    }

    var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["agent_id": .string(agentID), "ttl_seconds": .uint(UInt64(ttlSeconds))])
    }
}

@Suite struct ProtoConvertibleTests {
    @Test func typedContractValuesRoundTripThroughAnEnvelope() throws {
        let heartbeat = HeartbeatExample(agentID: "crew:writer", ttlSeconds: 30)
        let envelope = Envelope(type: "agion.registry.heartbeat", tenant: "t", payload: try heartbeat.encoded())
        #expect(try Envelope(decoding: envelope.encoded()).payload(as: HeartbeatExample.self) == heartbeat)
    }

    @Test func validationInTheContractTypeRejectsBadValues() throws {
        let bytes = try ProtoSchema.encode(ProtoMessage("agion.v1.Heartbeat", ["agent_id": .string("no-colon")]))
        #expect(throws: EnvelopeError.self) { try HeartbeatExample(decoding: bytes) }
        #expect(throws: EnvelopeError.self) { try HeartbeatExample(decoding: [0xFF, 0xFF]) }
    }
}
