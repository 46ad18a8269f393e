import AgionContract
import AgionEnvelope
import Testing

/// The hand-written encoders must say exactly what the generic codec reads.
@Suite struct HotPathCodecTests {
    static let context: ContextValue = [
        "rows": 500, "zero": 0, "negative": -2.5, "region": "eu", "empty": "", "flag": false, "on": true, "nothing": nil,
        "customer": ["tier": "gold", "tags": ["a", 1, [:], []]], "unicode": "é ✓",
    ]

    @Test func auditRecordsDecodeToWhatWasEncoded() throws {
        var record = AuditRecord(decisionID: UUIDv7.make().lowercasedString, kind: .check, tenant: "acme", agentID: "c:n", action: "reports.generate",
                                 principal: "user:alice", delegationChain: ["org:acme", "user:bob"], context: Self.context, result: "allow",
                                 ruleIDs: ["a", "b"], reasons: ["rule a allows", ""], obligations: [Obligation(kind: "redact", parameters: ["fields": "ssn,email", "z": ""])],
                                 trustScore: 0.72, policyRevision: 12, decidedAtUnixNanos: 1_795_000_000_000_000_000, evaluationNanos: 12_345,
                                 violations: [Violation(ruleID: "r", kind: "max_bytes", message: "too big", field: "")], executionID: "exec-1")
        record.sequence = 42
        record.hash = "abc"
        #expect(try AuditRecord(decoding: record.fastEncoded()) == record)
        let minimal = AuditRecord(decisionID: "d", kind: .validate, tenant: "t", agentID: "c:n", action: "a", result: "passed",
                                  trustScore: 0, policyRevision: 0, decidedAtUnixNanos: 0)
        #expect(try AuditRecord(decoding: minimal.fastEncoded()) == minimal)
    }

    @Test func decisionsDecodeToWhatWasEncoded() throws {
        let decision = Decision(decisionID: UUIDv7.make().lowercasedString, effect: .requireApproval, ruleIDs: ["x"], reasons: ["because"],
                                obligations: [Obligation(kind: "max_tokens", parameters: ["value": "2000"])], trustScore: 0.5, policyRevision: 3)
        #expect(try Decision(decoding: decision.fastEncoded()) == decision)
        let bare = Decision(decisionID: "", effect: .deny, trustScore: 0, policyRevision: 0)
        #expect(try Decision(decoding: bare.fastEncoded()) == bare)
    }
}

/// The hand-written check request decoder must accept, refuse and read
/// exactly what the generic codec does.
@Suite struct CheckRequestWireTests {
    static func generic(_ bytes: [UInt8]) throws(EnvelopeError) -> CheckRequest {
        try CheckRequest(proto: ProtoSchema.decode(CheckRequest.protoName, from: bytes))
    }

    /// Deterministic, so a failure can be replayed.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func randomValue(_ rng: inout SplitMix64, depth: Int) -> ContextValue {
        switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .number([0, -0.5, 1e300, Double(Int.random(in: -1_000...1_000, using: &rng))].randomElement(using: &rng)!)
        case 3: return .string(["", "eu", "é ✓", String(repeating: "x", count: Int.random(in: 0...300, using: &rng))].randomElement(using: &rng)!)
        case 4: return .list((0..<Int.random(in: 0...4, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        default: return randomObject(&rng, depth: depth + 1)
        }
    }

    static func randomObject(_ rng: inout SplitMix64, depth: Int) -> ContextValue {
        var fields: [String: ContextValue] = [:]
        for _ in 0..<Int.random(in: 0...5, using: &rng) { fields[["a", "b", "amount", "", "ключ"].randomElement(using: &rng)! + String(depth)] = randomValue(&rng, depth: depth) }
        return .object(fields)
    }

    @Test func generatedRequestsDecodeAsWithTheGenericCodec() throws {
        var rng = SplitMix64(state: 20261121)
        for _ in 0..<500 {
            let principal = Bool.random(using: &rng) ? "user:alice" : nil
            let request = CheckRequest(agentID: try AgentID("langgraph-v2:chart_\(Int.random(in: 0...9, using: &rng))"), action: "reports.generate",
                                       context: Self.randomObject(&rng, depth: 0), principal: principal,
                                       delegationChain: principal == nil ? [] : ["org:acme", "user:bob"].shuffled(using: &rng))
            let bytes = try request.encoded()
            let fast = try CheckRequest(decoding: bytes)
            #expect(fast == request)
            #expect(try Self.generic(bytes) == fast)
        }
    }

    /// Cut and corrupted bytes. The hand-written decoder never traps; what it
    /// accepts is a valid request by the generic codec's rules too; where both
    /// accept, they read the same request. It may refuse what protobuf-c lets
    /// through (a bool sent with another wire type, a repeated nested message
    /// whose first copy is malformed): stricter, never looser.
    @Test func brokenBytesAreNeverReadDifferently() throws {
        let request = CheckRequest(agentID: try AgentID("c:n"), action: "reports.generate",
                                   context: HotPathCodecTests.context, principal: "user:alice", delegationChain: ["org:acme"])
        let bytes = try request.encoded()
        var rng = SplitMix64(state: 7)
        var variants = (0..<bytes.count).map { Array(bytes[..<$0]) }
        for _ in 0..<10_000 {
            var corrupted = bytes
            for _ in 0..<Int.random(in: 1...3, using: &rng) { corrupted[Int.random(in: 0..<corrupted.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            variants.append(corrupted)
        }
        variants.append([0x08])  // a varint with no value
        variants.append([0x0b, 0x0c])  // a group (wire type 3)
        variants.append([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])  // a length beyond the message
        var problems: [String] = []
        var refusedByBoth = 0
        for variant in variants {
            let fast = Result { () throws(EnvelopeError) in try CheckRequest(decoding: variant) }
            let generic = Result { () throws(EnvelopeError) in try Self.generic(variant) }
            switch (fast, generic) {
            case (.success(let a), .success(let b)):
                if a != b { problems.append("\(variant): read differently") }
            case (.success(let a), .failure):
                // Accepted only by the fast decoder: it must still be a request
                // the generic codec accepts once written out properly.
                if (try? Self.generic(a.encoded())) != a { problems.append("\(variant): accepted an invalid request") }
            case (.failure(let error), .success):
                if error.code != .malformed { problems.append("\(variant): refused a valid request (\(error))") }
            case (.failure, .failure):
                refusedByBoth += 1
            }
        }
        #expect(problems.isEmpty, "\(problems.count) of \(variants.count): \(problems.prefix(3))")
        #expect(refusedByBoth > variants.count / 2)
    }

    /// An invalid request and the field both decoders must blame.
    struct Invalid: CustomTestStringConvertible, Sendable {
        let field: String
        let fields: [String: ProtoValue]
        var testDescription: String { field }
        var bytes: [UInt8] {
            get throws { try ProtoSchema.encode(ProtoMessage(CheckRequest.protoName, ["agent_id": .string("c:n"), "action": .string("a")].merging(fields) { $1 })) }
        }
    }

    static let invalid: [Invalid] = [
        Invalid(field: "agent_id", fields: ["agent_id": .string("nocolon")]),
        Invalid(field: "action", fields: ["action": .string("")]),
        Invalid(field: "action", fields: ["action": .string("has space")]),
        Invalid(field: "principal", fields: ["delegation_chain": .list([.string("org:x")])]),
        Invalid(field: "delegation_chain", fields: ["principal": .string("p"), "delegation_chain": .list(Array(repeating: .string("org:x"), count: 33))]),
        Invalid(field: "context.x", fields: ["context": .message(ContextValue.object(["x": .number(1)]).structProto.replacingNumbers(with: .infinity))]),
        Invalid(field: "context" + String(repeating: ".k", count: 17), fields: ["context": .message(nested(20).structProto)]),
        Invalid(field: "context.many[4095]", fields: ["context": .message(ContextValue.object(["many": .list(Array(repeating: .bool(true), count: 5_000))]).structProto)]),
    ]

    @Test(arguments: invalid)
    func invalidRequestsNameTheSameField(_ invalid: Invalid) throws {
        let bytes = try invalid.bytes
        var fastError: EnvelopeError?, genericError: EnvelopeError?
        do { _ = try CheckRequest(decoding: bytes) } catch { fastError = error }
        do { _ = try Self.generic(bytes) } catch { genericError = error }
        #expect(genericError?.field == invalid.field)
        #expect(fastError?.field == invalid.field)
        #expect(fastError?.message == genericError?.message)
    }

    static func nested(_ depth: Int) -> ContextValue {
        depth == 0 ? .string("leaf") : .object(["k": nested(depth - 1)])
    }

    @Test func auditColumnsAreReadFromTheBytes() throws {
        let record = AuditRecord(decisionID: "0193", kind: .validate, tenant: "acme", agentID: "c:n", action: "reports.generate",
                                 context: HotPathCodecTests.context, result: "failed", trustScore: 0.4, policyRevision: 2,
                                 decidedAtUnixNanos: 1_795_000_000_000_000_000)
        #expect(try AuditRecord.columns(of: record.fastEncoded()) == record.columns)
        #expect(throws: EnvelopeError.self) { try AuditRecord.columns(of: [0x1a, 0x03, 0x78, 0x78, 0x78]) }  // kind "xxx"
        #expect(throws: EnvelopeError.self) { try AuditRecord.columns(of: [0x12, 0x05, 0x61]) }  // truncated
    }
}

extension ProtoMessage {
    /// The same message with every `number_value` replaced (to build values
    /// `ContextValue` itself cannot hold, such as infinity).
    func replacingNumbers(with number: Double) -> ProtoMessage {
        var copy = self
        for (name, value) in fields { copy.fields[name] = value.replacingNumbers(with: number, field: name) }
        return copy
    }
}

extension ProtoValue {
    func replacingNumbers(with number: Double, field: String) -> ProtoValue {
        switch self {
        case .double where field == "number_value": .double(number)
        case .message(let m): .message(m.replacingNumbers(with: number))
        case .list(let items): .list(items.map { $0.replacingNumbers(with: number, field: field) })
        default: self
        }
    }
}
