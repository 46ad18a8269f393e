import AgionContract
import AgionEnvelope
@testable import AgionGateway
import AgionJSON
import Testing

/// The check route's hand-written mapping must say exactly what the generic
/// one says, and leave to it everything it does not handle.
@Suite struct CheckFastPathTests {
    /// What the generic path sends for the same body.
    static func generic(_ body: [String: JSONValue]) throws -> [UInt8] {
        try ProtoSchema.encode(ProtoJSON.message(CheckRequest.protoName, from: .object(body), refusing: ["tenant"]))
    }

    static func randomJSON(_ rng: inout SplitMix, depth: Int = 0) -> JSONValue {
        switch Int.random(in: 0..<(depth > 2 ? 5 : 7), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .integer(Int64.random(in: -1_000_000...1_000_000, using: &rng))
        case 3: return .number(Double.random(in: -1e6...1e6, using: &rng))
        case 4: return .string(["", "eu", "é ✓", "a\"b\\c", String(repeating: "x", count: 300)].randomElement(using: &rng)!)
        case 5: return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in randomJSON(&rng, depth: depth + 1) })
        default:
            var object: [String: JSONValue] = [:]
            for i in 0..<Int.random(in: 0...4, using: &rng) { object["k\(i)\(["", "é", " "].randomElement(using: &rng)!)"] = randomJSON(&rng, depth: depth + 1) }
            return .object(object)
        }
    }

    @Test func sendsTheGenericPathsBytesForEveryWellTypedBody() throws {
        var rng = SplitMix(seed: 42)
        for _ in 0..<2_000 {
            var body: [String: JSONValue] = ["agent_id": .string(["langgraph-v2:charts", "", "not an id"].randomElement(using: &rng)!),
                                             "action": .string("reports.generate")]
            if Bool.random(using: &rng) {
                var context: [String: JSONValue] = [:]
                for i in 0..<Int.random(in: 0...5, using: &rng) { context["f\(i)"] = Self.randomJSON(&rng) }
                body["context"] = .object(context)
            }
            if Bool.random(using: &rng) { body["principal"] = Bool.random(using: &rng) ? .string("user:alice") : .null }
            if Bool.random(using: &rng) { body["delegation_chain"] = .array((0..<Int.random(in: 0...3, using: &rng)).map { .string("org:\($0)") }) }
            if Bool.random(using: &rng) { body["context"] = .null }
            let fast = try #require(CheckFastPath.request(body), "\(body)")
            #expect(fast.payload == (try Self.generic(body)), "\(body)")
            #expect(fast.agentID == body["agent_id"]?.stringValue)
        }
    }

    @Test(arguments: [
        ["agent_id": "a:b", "action": "x", "tenant": "other"],        // set from the credential, refused by the generic path
        ["agent_id": "a:b", "action": "x", "bogus": 1],                // unknown field
        ["agent_id": 7, "action": "x"],                                // wrong type
        ["agent_id": "a:b", "action": ["x"]],
        ["agent_id": "a:b", "action": "x", "context": "rows"],
        ["agent_id": "a:b", "action": "x", "delegation_chain": "org"],
        ["agent_id": "a:b", "action": "x", "delegation_chain": ["org", 1]],
        ["agent_id": "a:\u{0}b", "action": "x"],                       // NUL: protobuf-c would cut the string
        ["agent_id": "a:b", "action": "x", "context": ["k": "v\u{0}"]],
        ["agent_id": "a:b", "action": "x", "context": ["k\u{0}": 1]],
        ["agent_id": "a:b", "action": "x", "context": ["k": [["deep": "\u{0}"]]]],
    ] as [JSONValue])
    func leavesEverythingElseToTheGenericPath(_ body: JSONValue) {
        guard case .object(let fields) = body else { Issue.record("not an object"); return }
        #expect(CheckFastPath.request(fields) == nil)
    }

    @Test func writesDecisionsAsTheGenericPathDoes() throws {
        var rng = SplitMix(seed: 9)
        var decisions = [Decision(decisionID: "", effect: .deny, trustScore: 0, policyRevision: 0),
                         Decision(decisionID: "d", effect: .allow, trustScore: .infinity, policyRevision: UInt32.max)]
        for _ in 0..<500 {
            let obligations = (0..<Int.random(in: 0...2, using: &rng)).map { index in
                Obligation(kind: "kind\(index)", parameters: Dictionary(uniqueKeysWithValues: (0..<Int.random(in: 0...3, using: &rng)).map { ("p\($0)", "v é \($0)") }))
            }
            decisions.append(Decision(decisionID: UUIDv7.make().lowercasedString, effect: Effect.allCases.randomElement(using: &rng)!,
                                      ruleIDs: (0..<Int.random(in: 0...3, using: &rng)).map { "rule-\($0)" },
                                      reasons: (0..<Int.random(in: 0...3, using: &rng)).map { "because \"\($0)\"\n" },
                                      obligations: obligations, trustScore: Double.random(in: 0...1, using: &rng),
                                      policyRevision: UInt32.random(in: 0...1_000, using: &rng)))
        }
        for decision in decisions {
            let bytes = decision.fastEncoded()
            let generic = ProtoJSON.json(try ProtoSchema.decode(Decision.protoName, from: bytes)).serialized
            #expect(CheckFastPath.decisionJSON(bytes) == generic, "\(decision)")
        }
    }

    @Test func leavesRepliesItCannotReadToTheGenericPath() {
        #expect(CheckFastPath.decisionJSON([0x10, 0x00]) == nil, "effect unspecified")
        #expect(CheckFastPath.decisionJSON([0x10, 0x09]) == nil, "an effect this version does not know")
        #expect(CheckFastPath.decisionJSON([0x0a, 0x05, 0x61]) == nil, "truncated")
    }
}

