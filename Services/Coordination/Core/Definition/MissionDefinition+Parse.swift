import AgionContract
import AgionJSON
import Foundation

extension MissionDefinition {
    /// Reads a definition from its JSON form (docs/missions.md) and validates
    /// it. Unknown keys are errors: a typo must not silently drop a limit.
    public static func parse(_ json: JSONValue, nowUnixNanos: Int64) throws(DefinitionError) -> MissionDefinition {
        let root = try Fields(json, field: "")
        try root.allow(["name", "input", "budget", "deadline", "deadline_seconds", "principal", "steps"])
        var definition = MissionDefinition(steps: [])
        definition.name = try root.string("name", maxBytes: DefinitionLimits.nameBytes, printable: true) ?? ""
        definition.input = root.values["input"] ?? .object([:])
        if let budget = root.values["budget"] { definition.budget = try Self.budget(budget) }
        definition.deadline = try Self.deadline(root, nowUnixNanos: nowUnixNanos)
        definition.principal = try root.token("principal") ?? ""
        guard case .array(let steps)? = root.values["steps"] else {
            throw DefinitionError(field: "steps", reason: root.values["steps"] == nil ? "required: a mission has at least one step" : "expected an array of steps")
        }
        for (index, step) in steps.enumerated() { definition.steps.append(try Self.step(step, field: "steps[\(index)]")) }
        try definition.validate()
        return definition
    }

    private static func budget(_ json: JSONValue) throws(DefinitionError) -> Budget {
        let fields = try Fields(json, field: "budget")
        try fields.allow(["max_tokens", "max_cost_usd"])
        let budget = Budget(maxTokens: try fields.integer("max_tokens", in: 1...Int64.max), maxCostUSD: try fields.positiveNumber("max_cost_usd"))
        guard budget.maxTokens != nil || budget.maxCostUSD != nil else {
            throw DefinitionError(field: "budget", reason: "give max_tokens, max_cost_usd or both (or leave budget out)")
        }
        return budget
    }

    private static func deadline(_ root: Fields, nowUnixNanos: Int64) throws(DefinitionError) -> Deadline? {
        let seconds = try root.integer("deadline_seconds", in: DefinitionLimits.deadlineSeconds)
        guard let text = try root.string("deadline", maxBytes: 64, printable: true) else { return seconds.map { .after(seconds: $0) } }
        guard seconds == nil else { throw DefinitionError(field: "deadline", reason: "give deadline or deadline_seconds, not both") }
        guard let date = ISO8601Formatting.fractional.date(from: text) ?? ISO8601Formatting.plain.date(from: text) else {
            throw DefinitionError(field: "deadline", reason: "expected an RFC 3339 time such as 2026-12-05T10:00:00Z")
        }
        // Milliseconds: what RFC 3339 text carries back exactly.
        let nanos = Int64((date.timeIntervalSince1970 * 1_000).rounded()) * 1_000_000
        guard nanos > nowUnixNanos else { throw DefinitionError(field: "deadline", reason: "is in the past") }
        return .at(unixNanos: nanos)
    }

    private static func step(_ json: JSONValue, field: String) throws(DefinitionError) -> StepDefinition {
        let fields = try Fields(json, field: field)
        try fields.allow(["id", "capability", "agent_id", "action", "input", "depends_on", "timeout_seconds", "retry", "on_failure", "approval"])
        guard let id = try fields.string("id", maxBytes: DefinitionLimits.stepIDBytes, printable: true) else {
            throw DefinitionError(field: field + ".id", reason: "required")
        }
        let target: StepDefinition.Target
        switch (try fields.token("capability"), try fields.string("agent_id", maxBytes: 128, printable: true)) {
        case (let capability?, nil):
            guard capability.utf8.count <= 64 else { throw DefinitionError(field: field + ".capability", reason: "at most 64 bytes") }
            target = .capability(capability)
        case (nil, let agent?):
            do { target = .agent(try AgentID(agent, field: field + ".agent_id")) } catch {
                throw DefinitionError(field: field + ".agent_id", reason: error.message)
            }
        case (nil, nil): throw DefinitionError(field: field, reason: "give capability (an agent is chosen) or agent_id")
        case (_?, _?): throw DefinitionError(field: field + ".agent_id", reason: "give capability or agent_id, not both")
        }
        guard let action = try fields.token("action") else { throw DefinitionError(field: field + ".action", reason: "required") }
        var step = StepDefinition(id: id, target: target, action: action, input: fields.values["input"] ?? .object([:]))
        if let dependsOn = fields.values["depends_on"] {
            guard case .array(let items) = dependsOn else { throw DefinitionError(field: field + ".depends_on", reason: "expected an array of step ids") }
            step.dependsOn = try items.enumerated().map { (index, item) throws(DefinitionError) -> String in
                guard case .string(let name) = item else { throw DefinitionError(field: "\(field).depends_on[\(index)]", reason: "expected a step id") }
                return name
            }
        }
        step.timeoutSeconds = Int(try fields.integer("timeout_seconds", in: Int64(DefinitionLimits.timeoutSeconds.lowerBound)...Int64(DefinitionLimits.timeoutSeconds.upperBound))
            ?? Int64(StepDefinition.defaultTimeoutSeconds))
        if let retry = fields.values["retry"] { step.retry = try Self.retry(retry, field: field + ".retry") }
        if let rule = try fields.string("on_failure", maxBytes: 16, printable: true) {
            guard let onFailure = StepDefinition.OnFailure(rawValue: rule) else {
                throw DefinitionError(field: field + ".on_failure", reason: "expected fail or continue")
            }
            step.onFailure = onFailure
        }
        if let approval = fields.values["approval"], approval != .null { step.approval = try Self.approval(approval, field: field + ".approval") }
        return step
    }

    /// `approval: required`, or who must approve: `{groups, timeout_seconds, escalate_to}`.
    private static func approval(_ json: JSONValue, field: String) throws(DefinitionError) -> ApprovalRequirement? {
        if case .string(let word) = json {
            guard word == "required" || word == "none" else { throw DefinitionError(field: field, reason: "expected required, none or an object") }
            return word == "required" ? ApprovalRequirement() : nil
        }
        let fields = try Fields(json, field: field)
        try fields.allow(["required", "groups", "timeout_seconds", "escalate_to"])
        if let required = fields.values["required"] {
            guard case .bool(let yes) = required else { throw DefinitionError(field: fields.path("required"), reason: "expected true or false") }
            if !yes { return nil }
        }
        var requirement = ApprovalRequirement()
        requirement.groups = try groups(fields, "groups")
        requirement.escalateTo = try groups(fields, "escalate_to")
        let range = Int64(ApprovalRequirement.timeoutSeconds.lowerBound)...Int64(ApprovalRequirement.timeoutSeconds.upperBound)
        if let timeout = try fields.integer("timeout_seconds", in: range) { requirement.timeoutSeconds = Int(timeout) }
        return requirement
    }

    private static func groups(_ fields: Fields, _ key: String) throws(DefinitionError) -> [String] {
        guard let value = fields.values[key], value != .null else { return [] }
        guard case .array(let items) = value, items.count <= ApprovalRequirement.maxGroups else {
            throw DefinitionError(field: fields.path(key), reason: "expected an array of at most \(ApprovalRequirement.maxGroups) group names")
        }
        return try items.enumerated().map { (index, item) throws(DefinitionError) -> String in
            guard case .string(let name) = item, GroupName.isValid(name) else {
                throw DefinitionError(field: "\(fields.path(key))[\(index)]", reason: GroupName.rule)
            }
            return name
        }
    }

    private static func retry(_ json: JSONValue, field: String) throws(DefinitionError) -> RetryPolicy {
        let fields = try Fields(json, field: field)
        try fields.allow(["max_attempts", "initial_backoff_ms", "max_backoff_ms"])
        let backoff = Int64(DefinitionLimits.backoffMillis.lowerBound)...Int64(DefinitionLimits.backoffMillis.upperBound)
        var policy = RetryPolicy()
        if let attempts = try fields.integer("max_attempts", in: Int64(DefinitionLimits.attempts.lowerBound)...Int64(DefinitionLimits.attempts.upperBound)) {
            policy.maxAttempts = Int(attempts)
        }
        if let initial = try fields.integer("initial_backoff_ms", in: backoff) { policy.initialBackoffMillis = Int(initial) }
        if let maximum = try fields.integer("max_backoff_ms", in: backoff) { policy.maxBackoffMillis = Int(maximum) }
        guard policy.maxBackoffMillis >= policy.initialBackoffMillis else {
            throw DefinitionError(field: field + ".max_backoff_ms", reason: "must be at least initial_backoff_ms (\(policy.initialBackoffMillis))")
        }
        return policy
    }
}

/// A JSON object being read field by field, each error naming its field.
struct Fields {
    let values: [String: JSONValue]
    let field: String

    init(_ json: JSONValue, field: String) throws(DefinitionError) {
        guard case .object(let values) = json else { throw DefinitionError(field: field, reason: "expected an object, not \(json.typeName)") }
        self.values = values
        self.field = field
    }

    func path(_ key: String) -> String { field.isEmpty ? key : field + "." + key }

    func allow(_ keys: Set<String>) throws(DefinitionError) {
        if let unknown = values.keys.sorted().first(where: { !keys.contains($0) }) {
            throw DefinitionError(field: path(unknown), reason: "unknown field; expected one of \(keys.sorted().joined(separator: ", "))")
        }
    }

    func string(_ key: String, maxBytes: Int, printable: Bool) throws(DefinitionError) -> String? {
        guard let value = values[key], value != .null else { return nil }
        guard case .string(let text) = value else { throw DefinitionError(field: path(key), reason: "expected a string, not \(value.typeName)") }
        guard text.utf8.count <= maxBytes else { throw DefinitionError(field: path(key), reason: "at most \(maxBytes) bytes") }
        if printable, text.unicodeScalars.contains(where: { $0.value < 32 || $0.value == 127 }) {
            throw DefinitionError(field: path(key), reason: "no control characters")
        }
        return text
    }

    /// Printable, no spaces (actions, capabilities, principals end up in subjects and logs).
    func token(_ key: String) throws(DefinitionError) -> String? {
        guard let text = try string(key, maxBytes: DefinitionLimits.tokenBytes, printable: true) else { return nil }
        guard !text.isEmpty, !text.contains(" ") else { throw DefinitionError(field: path(key), reason: "a non-empty word without spaces") }
        return text
    }

    func integer(_ key: String, in range: ClosedRange<Int64>) throws(DefinitionError) -> Int64? {
        guard let value = values[key], value != .null else { return nil }
        let number: Int64
        switch value {
        case .integer(let v): number = v
        case .number(let v) where v.rounded() == v && abs(v) < 9e15: number = Int64(v)
        default: throw DefinitionError(field: path(key), reason: "expected a whole number, not \(value.typeName == "a number" ? "a fraction" : value.typeName)")
        }
        guard range.contains(number) else { throw DefinitionError(field: path(key), reason: "must be from \(range.lowerBound) to \(range.upperBound)") }
        return number
    }

    func positiveNumber(_ key: String) throws(DefinitionError) -> Double? {
        guard let value = values[key], value != .null else { return nil }
        let number: Double
        switch value {
        case .integer(let v): number = Double(v)
        case .number(let v): number = v
        default: throw DefinitionError(field: path(key), reason: "expected a number, not \(value.typeName)")
        }
        guard number.isFinite, number > 0 else { throw DefinitionError(field: path(key), reason: "must be a positive number") }
        return number
    }
}

/// RFC 3339 times (made per use: formatters are not documented thread-safe
/// everywhere, and definitions are parsed rarely).
enum ISO8601Formatting {
    static var fractional: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }

    static var plain: ISO8601DateFormatter { ISO8601DateFormatter() }
}
