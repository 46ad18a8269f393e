import AgionContract
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
        if let approval = step.message("approval"), let view = ApprovalRequirement.jsonView(of: approval) { fields["approval"] = view }
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
        if let approval { fields["approval"] = .message(approval.proto(required: true)) }
        return ProtoMessage("agion.v1.MissionStepDefinition", fields)
    }
}

extension ApprovalRequirement {
    /// As an `agion.v1.ApprovalRequirement`.
    public func proto(required: Bool = false) -> ProtoMessage {
        ProtoMessage("agion.v1.ApprovalRequirement", [
            "required": .bool(required), "groups": .list(groups.map { .string($0) }), "timeout_seconds": .uint(UInt64(timeoutSeconds)),
            "escalate_to": .list(escalateTo.map { .string($0) }),
        ])
    }

    /// Read from its proto (a policy's requirement, as execution reports it),
    /// with the same bounds as a definition's.
    public init(proto: ProtoMessage?) {
        let timeout = Int(proto?.int("timeout_seconds") ?? 0)
        self.init(groups: (proto?.list("groups").compactMap(\.string) ?? []).filter(GroupName.isValid).prefix(Self.maxGroups).map { $0 },
                  timeoutSeconds: Self.timeoutSeconds.contains(timeout) ? timeout : Self.defaultTimeoutSeconds,
                  escalateTo: (proto?.list("escalate_to").compactMap(\.string) ?? []).filter(GroupName.isValid).prefix(Self.maxGroups).map { $0 })
    }

    /// A step definition's `approval` as the JSON `parse` reads (nil when not required).
    static func jsonView(of proto: ProtoMessage) -> JSONValue? {
        guard proto.bool("required") else { return nil }
        var fields: [String: JSONValue] = [:]
        let groups = proto.list("groups").compactMap(\.string), escalate = proto.list("escalate_to").compactMap(\.string)
        if !groups.isEmpty { fields["groups"] = .array(groups.map { .string($0) }) }
        if !escalate.isEmpty { fields["escalate_to"] = .array(escalate.map { .string($0) }) }
        if proto.int("timeout_seconds") != 0 { fields["timeout_seconds"] = .integer(proto.int("timeout_seconds")) }
        return .object(fields)
    }
}

extension Approval {
    /// As an `agion.v1.Approval` (`mission` and its name are the caller's to add).
    public func proto(mission: String, missionName: String) -> ProtoMessage {
        ProtoMessage("agion.v1.Approval", [
            "approval_id": .string(id), "mission_id": .string(mission), "mission_name": .string(missionName), "step_id": .string(step),
            "attempt": .uint(UInt64(attempt)), "agent_id": .string(agent.description), "action": .string(action), "input": .message(input.valueProto),
            "input_digest": .string(digest), "status": .string(status.rawValue), "groups": .list(groups.map { .string($0) }),
            "escalate_to": .list(escalateTo.map { .string($0) }), "timeout_seconds": .uint(UInt64(timeoutSeconds)), "escalated": .bool(escalated),
            "source": .string(source.rawValue), "reasons": .list(reasons.map { .string($0) }), "requested_by": .string(requestedBy),
            "requested_at_unix_nanos": .int(requestedAtUnixNanos), "expires_at_unix_nanos": .int(expiresAtUnixNanos),
            "decided_by": .string(decidedBy), "decided_at_unix_nanos": .int(decidedAtUnixNanos), "comment": .string(comment),
        ])
    }

    /// Read back from its proto; nil when it is not one.
    public init?(proto: ProtoMessage?) {
        guard let proto, let agent = try? AgentID(proto.string("agent_id")), let status = Status(rawValue: proto.string("status")),
              let source = Source(rawValue: proto.string("source")), !proto.string("approval_id").isEmpty else { return nil }
        self.init(id: proto.string("approval_id"), step: proto.string("step_id"), attempt: Int(proto.int("attempt")), agent: agent,
                  action: proto.string("action"), input: proto.json("input"),
                  requirement: ApprovalRequirement(groups: [], timeoutSeconds: Int(proto.int("timeout_seconds")), escalateTo: []),
                  source: source, reasons: proto.list("reasons").compactMap(\.string), requestedBy: proto.string("requested_by"),
                  now: proto.int("requested_at_unix_nanos"))
        // As stored, not as computed: a request is bound to the digest it was raised with.
        digest = proto.string("input_digest")
        self.status = status
        groups = proto.list("groups").compactMap(\.string)
        escalateTo = proto.list("escalate_to").compactMap(\.string)
        escalated = proto.bool("escalated")
        expiresAtUnixNanos = proto.int("expires_at_unix_nanos")
        decidedBy = proto.string("decided_by")
        decidedAtUnixNanos = proto.int("decided_at_unix_nanos")
        comment = proto.string("comment")
    }
}
