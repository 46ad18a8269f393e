import AgionContract
import AgionJSON

/// The check route's messages without the generic JSON-to-protobuf mapping:
/// the gateway's busiest route spent about a sixth of its CPU in
/// `ProtoJSON` and the descriptor-driven codec (docs/benchmarks.md).
///
/// It takes only bodies whose every field has the expected JSON type and
/// replies it can read exactly; anything else returns nil and goes the
/// generic way, so errors (which field, what is wrong) are the generic path's
/// word for word. Tests compare both paths' output.
enum CheckFastPath {
    /// The `CheckRequest` payload for a JSON body, and the agent it names.
    static func request(_ fields: [String: JSONValue]) -> (payload: [UInt8], agentID: String)? {
        var agentID = "", action = "", principal = ""
        var context: ContextValue?
        var chain: [String] = []
        for (key, value) in fields {
            switch (key, value) {
            case (_, .null): continue  // absent, as in the generic mapping
            case ("agent_id", .string(let text)): agentID = text
            case ("action", .string(let text)): action = text
            case ("principal", .string(let text)): principal = text
            case ("context", .object(let object)):
                guard let converted = contextFields(object) else { return nil }
                context = .object(converted)
            case ("delegation_chain", .array(let items)):
                for item in items {
                    guard case .string(let text) = item else { return nil }
                    chain.append(text)
                }
            default: return nil
            }
        }
        // protobuf-c strings end at a NUL: the generic path refuses them with the field's name.
        guard ([agentID, action, principal] + chain).allSatisfy({ !$0.utf8.contains(0) }) else { return nil }
        return (CheckRequest.wireEncoded(agentID: agentID, action: action, context: context, principal: principal, delegationChain: chain),
                agentID)
    }

    /// The JSON of a `Decision` reply, byte for byte what `ProtoJSON` writes
    /// (keys in sorted order, as `JSONValue` writes objects); nil for a reply
    /// it cannot read. Written straight into the body: no dictionary per reply.
    static func decisionJSON(_ payload: [UInt8]) -> [UInt8]? {
        guard let decision = try? Decision(wire: payload) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(256)
        func key(_ name: StaticString, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: "\":".utf8)
        }
        func strings(_ list: [String]) {
            out.append(UInt8(ascii: "["))
            for (index, text) in list.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.appendString(text, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "{"))
        key("decision_id", first: true)
        JSONValue.appendString(decision.decisionID, to: &out)
        key("effect")
        JSONValue.appendString(decision.effect.rawValue, to: &out)
        key("fail_closed")
        out.append(contentsOf: (decision.failClosed ? "true" : "false").utf8)
        key("obligations")
        JSONValue.array(decision.obligations.map { obligation in
            .object(["kind": .string(obligation.kind), "parameters": .object(obligation.parameters.mapValues { .string($0) })])
        }).append(to: &out)
        key("policy_revision")
        out.append(contentsOf: String(decision.policyRevision).utf8)
        key("reasons")
        strings(decision.reasons)
        key("rule_ids")
        strings(decision.ruleIDs)
        key("trust_score")
        (decision.trustScore.isFinite ? JSONValue.number(decision.trustScore) : .null).append(to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// A JSON object as context; nil for strings with a NUL (see above).
    private static func contextFields(_ object: [String: JSONValue]) -> [String: ContextValue]? {
        var fields: [String: ContextValue] = [:]
        for (key, value) in object {
            guard !key.utf8.contains(0), let converted = contextValue(value) else { return nil }
            fields[key] = converted
        }
        return fields
    }

    private static func contextValue(_ json: JSONValue) -> ContextValue? {
        switch json {
        case .null: return .null
        case .bool(let v): return .bool(v)
        case .integer(let v): return .number(Double(v))
        case .number(let v): return .number(v)
        case .string(let v): return v.utf8.contains(0) ? nil : .string(v)
        case .array(let items):
            var list: [ContextValue] = []
            for item in items {
                guard let converted = contextValue(item) else { return nil }
                list.append(converted)
            }
            return .list(list)
        case .object(let object): return contextFields(object).map { .object($0) }
        }
    }
}
