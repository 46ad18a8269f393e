import AgionEnvelope
import AgionJSON
import Foundation

extension MissionDefinition {
    /// Reads an `agion.v1.MissionDefinition` with the same rules and error
    /// paths as the JSON form: the message is seen as the JSON the gateway
    /// read it from (proto3's zeros as absent), then `parse` decides.
    public static func parse(proto: ProtoMessage, nowUnixNanos: Int64) throws(DefinitionError) -> MissionDefinition {
        try parse(Self.jsonView(of: proto), nowUnixNanos: nowUnixNanos)
    }

    static func jsonView(of proto: ProtoMessage) -> JSONValue {
        var root: [String: JSONValue] = [:]
        if !proto.string("name").isEmpty { root["name"] = .string(proto.string("name")) }
        if proto.message("input") != nil { root["input"] = proto.json("input") }
        if let budget = proto.message("budget") {
            var fields: [String: JSONValue] = [:]
            if budget.int("max_tokens") != 0 { fields["max_tokens"] = .integer(budget.int("max_tokens")) }
            if budget.double("max_cost_usd") != 0 { fields["max_cost_usd"] = .number(budget.double("max_cost_usd")) }
            root["budget"] = .object(fields)
        }
        if !proto.string("deadline").isEmpty { root["deadline"] = .string(proto.string("deadline")) }
        if proto.int("deadline_seconds") != 0 { root["deadline_seconds"] = .integer(proto.int("deadline_seconds")) }
        if !proto.string("principal").isEmpty { root["principal"] = .string(proto.string("principal")) }
        root["steps"] = .array(proto.list("steps").compactMap(\.message).map(stepView))
        return .object(root)
    }

    private static func stepView(_ step: ProtoMessage) -> JSONValue {
        var fields: [String: JSONValue] = ["id": .string(step.string("id"))]
        for key in ["capability", "agent_id", "action", "on_failure"] where !step.string(key).isEmpty { fields[key] = .string(step.string(key)) }
        if step.message("input") != nil { fields["input"] = step.json("input") }
        let dependencies = step.list("depends_on").compactMap(\.string)
        if !dependencies.isEmpty { fields["depends_on"] = .array(dependencies.map { .string($0) }) }
        if step.int("timeout_seconds") != 0 { fields["timeout_seconds"] = .integer(step.int("timeout_seconds")) }
        if let retry = step.message("retry") {
            var policy: [String: JSONValue] = [:]
            for key in ["max_attempts", "initial_backoff_ms", "max_backoff_ms"] where retry.int(key) != 0 { policy[key] = .integer(retry.int(key)) }
            fields["retry"] = .object(policy)
        }
        return .object(fields)
    }

    /// As an `agion.v1.MissionDefinition`: what `parse(proto:)` reads back to
    /// the same definition (a deadline as seconds from submission or a moment).
    public var proto: ProtoMessage {
        var fields: [String: ProtoValue] = ["name": .string(name), "input": .message(input.valueProto), "principal": .string(principal),
                                            "steps": .list(steps.map { .message($0.proto) })]
        if let budget {
            fields["budget"] = .message(ProtoMessage("agion.v1.MissionBudget", ["max_tokens": .int(budget.maxTokens ?? 0),
                                                                                "max_cost_usd": .double(budget.maxCostUSD ?? 0)]))
        }
        switch deadline {
        case .after(let seconds)?: fields["deadline_seconds"] = .int(seconds)
        case .at(let nanos)?: fields["deadline"] = .string(Self.rfc3339(nanos))
        case nil: break
        }
        return ProtoMessage("agion.v1.MissionDefinition", fields)
    }

    static func rfc3339(_ unixNanos: Int64) -> String {
        let formatter = ISO8601Formatting.fractional
        return formatter.string(from: Date(timeIntervalSince1970: Double(unixNanos) / 1e9))
    }
}

extension StepDefinition {
    public var proto: ProtoMessage {
        var fields: [String: ProtoValue] = [
            "id": .string(id), "action": .string(action), "input": .message(input.valueProto),
            "depends_on": .list(dependsOn.map { .string($0) }), "timeout_seconds": .uint(UInt64(timeoutSeconds)),
            "retry": .message(ProtoMessage("agion.v1.MissionRetryPolicy", [
                "max_attempts": .uint(UInt64(retry.maxAttempts)), "initial_backoff_ms": .uint(UInt64(retry.initialBackoffMillis)),
                "max_backoff_ms": .uint(UInt64(retry.maxBackoffMillis)),
            ])),
            "on_failure": .string(onFailure.rawValue),
        ]
        switch target {
        case .capability(let capability): fields["capability"] = .string(capability)
        case .agent(let agent): fields["agent_id"] = .string(agent.description)
        }
        return ProtoMessage("agion.v1.MissionStepDefinition", fields)
    }
}
