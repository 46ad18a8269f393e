import AgionContract
import Foundation

extension PolicyParser {
    static let ruleKeys: Set<String> = ["id", "description", "effect", "agents", "actions", "principals", "min_trust", "max_trust",
                                        "max_delegation_depth", "when", "time_window", "rate_limit", "obligations", "approval"]

    static func parseRule(_ node: Node) throws(PolicyError) -> Rule {
        let fields = try node.object(allowed: ruleKeys)
        guard let effect = fields["effect"] else { throw PolicyError(field: node.path + ".effect", reason: "a rule needs an effect (allow, deny or require_approval)") }
        var rule = Rule(id: try ruleID(fields, node), effect: try effect.effect())
        rule.description = try fields["description"]?.string(maxBytes: 1_024) ?? ""
        rule.agents = try fields["agents"].map(patterns) ?? [.any]
        rule.actions = try fields["actions"].map(patterns) ?? [.any]
        rule.principals = try fields["principals"].map(patterns) ?? []
        rule.minTrust = try fields["min_trust"]?.unitInterval()
        rule.maxTrust = try fields["max_trust"]?.unitInterval()
        if let min = rule.minTrust, let max = rule.maxTrust, min > max {
            throw PolicyError(field: node.path + ".max_trust", reason: "max_trust \(max) is below min_trust \(min)")
        }
        rule.maxDelegationDepth = try fields["max_delegation_depth"]?.int(in: 0...32)
        rule.conditions = try (fields["when"]?.list() ?? []).map(parseCondition)
        rule.timeWindow = try fields["time_window"].map(parseTimeWindow)
        rule.rateLimit = try fields["rate_limit"].map(parseRateLimit)
        rule.obligations = try (fields["obligations"]?.list() ?? []).map(parseObligation)
        if let approval = fields["approval"] {
            guard rule.effect == .requireApproval else {
                throw PolicyError(field: approval.path, reason: "only a require_approval rule says who approves")
            }
            rule.obligations.append(try parseApproval(approval))
        }
        return rule
    }

    /// `approval: {groups: [...], timeout_seconds: N, escalate_to: [...]}`:
    /// who must approve what the rule holds back, carried to execution as
    /// the decision's `approval` obligation (docs/missions.md).
    static func parseApproval(_ node: Node) throws(PolicyError) -> Obligation {
        let fields = try node.object(allowed: ["groups", "timeout_seconds", "escalate_to"])
        var parameters: [String: String] = [:]
        for key in ["groups", "escalate_to"] {
            guard let list = fields[key] else { continue }
            let items = try list.list()
            guard items.count <= 16 else { throw PolicyError(field: list.path, reason: "at most 16 groups") }
            var names: [String] = []
            for item in items {
                let name = try item.string(maxBytes: GroupName.maxLength)
                guard GroupName.isValid(name) else { throw PolicyError(field: item.path, reason: GroupName.rule) }
                names.append(name)
            }
            parameters[key] = names.joined(separator: ",")
        }
        if let timeout = fields["timeout_seconds"] { parameters["timeout_seconds"] = String(try timeout.int(in: 1...604_800)) }
        return Obligation(kind: "approval", parameters: parameters)
    }

    static func ruleID(_ fields: [String: Node], _ node: Node) throws(PolicyError) -> String {
        guard let id = fields["id"] else { throw PolicyError(field: node.path + ".id", reason: "every rule needs an id") }
        let text = try id.string(maxBytes: 128)
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw PolicyError(field: id.path, reason: "an id is 1-128 printable ASCII characters without spaces")
        }
        return text
    }

    static func patterns(_ node: Node) throws(PolicyError) -> [GlobPattern] {
        let items = try node.list()
        guard !items.isEmpty else { throw PolicyError(field: node.path, reason: "list at least one pattern, or leave the field out to match any") }
        var result: [GlobPattern] = []
        for item in items { result.append(GlobPattern(try item.string(maxBytes: 256))) }
        return result
    }

    static func parseCondition(_ node: Node) throws(PolicyError) -> Condition {
        let fields = try node.object(allowed: ["field", "op", "value"])
        guard let field = fields["field"] else { throw PolicyError(field: node.path + ".field", reason: "a condition needs the context field it tests") }
        let path = try field.string(maxBytes: 256).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !path.contains(where: \.isEmpty) else { throw PolicyError(field: field.path, reason: "a dotted path such as customer.tier") }
        guard let opNode = fields["op"] else { throw PolicyError(field: node.path + ".op", reason: "a condition needs an op") }
        let opText = try opNode.string(maxBytes: 32)
        guard let op = Condition.Operator(rawValue: opText) else {
            throw PolicyError(field: opNode.path, reason: "unknown op '\(opText)'; one of \(Condition.Operator.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let value = fields["value"]
        switch op {
        case .exists, .notExists:
            guard value == nil else { throw PolicyError(field: node.path + ".value", reason: "\(op.rawValue) takes no value") }
            return Condition(path: path, op: op)
        case .in, .notIn:
            guard let value, case .list = try value.contextValue() else { throw PolicyError(field: node.path + ".value", reason: "\(op.rawValue) needs a list") }
            return Condition(path: path, op: op, value: try value.contextValue())
        case .lt, .lte, .gt, .gte:
            guard let value, let operand = try? value.contextValue(), operand.number != nil || operand.string != nil else {
                throw PolicyError(field: node.path + ".value", reason: "\(op.rawValue) compares with a number or a string")
            }
            return Condition(path: path, op: op, value: operand)
        case .matches:
            guard let value else { throw PolicyError(field: node.path + ".value", reason: "matches needs a pattern") }
            return Condition(path: path, op: op, value: .string(try value.string(maxBytes: 256)))
        case .eq, .ne, .contains:
            guard let value else { throw PolicyError(field: node.path + ".value", reason: "\(op.rawValue) needs a value") }
            return Condition(path: path, op: op, value: try value.contextValue())
        }
    }

    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    static func parseTimeWindow(_ node: Node) throws(PolicyError) -> TimeWindow {
        let fields = try node.object(allowed: ["days", "from", "to", "utc_offset"])
        var window = TimeWindow()
        for day in try fields["days"]?.list() ?? [] {
            let name = try day.string(maxBytes: 16).lowercased().prefix(3)
            guard let index = dayNames.firstIndex(of: String(name)) else { throw PolicyError(field: day.path, reason: "a day is one of \(dayNames.joined(separator: ", "))") }
            window.days.insert(index)
        }
        if let from = fields["from"] { window.from = try clock(from, allowEndOfDay: false) }
        if let to = fields["to"] { window.to = try clock(to, allowEndOfDay: true) }
        guard window.from != window.to else { throw PolicyError(field: node.path + ".to", reason: "the window is empty (from equals to)") }
        if let offset = fields["utc_offset"] {
            let text = try offset.string(maxBytes: 8)
            guard let minutes = offsetMinutes(text) else { throw PolicyError(field: offset.path, reason: "a UTC offset such as +02:00 or -05:30") }
            window.utcOffsetMinutes = minutes
        }
        return window
    }

    /// "HH:MM" to minutes after midnight. A number is refused rather than
    /// guessed at (YAML 1.1 readers turn an unquoted 09:30 into 570).
    static func clock(_ node: Node, allowEndOfDay: Bool) throws(PolicyError) -> Int {
        guard let text = node.value as? String else { throw PolicyError(field: node.path, reason: "write times as quoted strings, for example '09:30'") }
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]), (0...59).contains(minutes),
              (0...23).contains(hours) || (allowEndOfDay && hours == 24 && minutes == 0) else {
            throw PolicyError(field: node.path, reason: "a time of day HH:MM from 00:00 to 24:00")
        }
        return hours * 60 + minutes
    }

    static func offsetMinutes(_ text: String) -> Int? {
        guard let sign = text.first, sign == "+" || sign == "-" else { return nil }
        let parts = text.dropFirst().split(separator: ":")
        guard parts.count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]), (0...14).contains(hours), (0...59).contains(minutes) else { return nil }
        return (sign == "-" ? -1 : 1) * (hours * 60 + minutes)
    }

    static func parseRateLimit(_ node: Node) throws(PolicyError) -> RateLimit {
        let fields = try node.object(allowed: ["max", "per_seconds", "scope"])
        guard let max = fields["max"], let per = fields["per_seconds"] else {
            throw PolicyError(field: node.path, reason: "a rate limit needs max and per_seconds")
        }
        var limit = RateLimit(max: try max.int(in: 1...10_000_000), windowSeconds: try per.int(in: 1...86_400))
        if let scope = fields["scope"] {
            let text = try scope.string(maxBytes: 32)
            guard let parsed = RateLimit.Scope(rawValue: text) else {
                throw PolicyError(field: scope.path, reason: "one of \(RateLimit.Scope.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            limit.scope = parsed
        }
        return limit
    }

    static func parseObligation(_ node: Node) throws(PolicyError) -> Obligation {
        guard let fields = node.value as? [String: Any], let kind = fields["kind"] as? String, !kind.isEmpty, kind.utf8.count <= 64 else {
            throw PolicyError(field: node.path + ".kind", reason: "an obligation is a mapping with a kind, for example {kind: redact, fields: [ssn]}")
        }
        var parameters: [String: String] = [:]
        for (key, value) in fields where key != "kind" {
            let child = Node(value, path: node.path + "." + key)
            switch value {
            case let list as [Any]: parameters[key] = try list.indices.map { i throws(PolicyError) in try Node(list[i], path: "\(child.path)[\(i)]").scalarText() }.joined(separator: ",")
            default: parameters[key] = try child.scalarText()
            }
        }
        return Obligation(kind: kind, parameters: parameters)
    }

    static func parseOutputRule(_ node: Node) throws(PolicyError) -> OutputRule {
        let fields = try node.object(allowed: ["id", "description", "agents", "actions", "max_bytes", "forbid", "require_fields"])
        var rule = OutputRule(id: try ruleID(fields, node))
        rule.description = try fields["description"]?.string(maxBytes: 1_024) ?? ""
        rule.agents = try fields["agents"].map(patterns) ?? [.any]
        rule.actions = try fields["actions"].map(patterns) ?? [.any]
        rule.maxBytes = try fields["max_bytes"]?.int(in: 1...(64 << 20))
        for item in try fields["forbid"]?.list() ?? [] {
            let pattern = try item.string(maxBytes: 1_024)
            guard (try? NSRegularExpression(pattern: pattern)) != nil else { throw PolicyError(field: item.path, reason: "not a valid regular expression") }
            rule.forbiddenPatterns.append(pattern)
        }
        for item in try fields["require_fields"]?.list() ?? [] {
            let path = try item.string(maxBytes: 256).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !path.contains(where: \.isEmpty) else { throw PolicyError(field: item.path, reason: "a dotted path such as result.summary") }
            rule.requiredFields.append(path)
        }
        guard rule.maxBytes != nil || !rule.forbiddenPatterns.isEmpty || !rule.requiredFields.isEmpty else {
            throw PolicyError(field: node.path, reason: "an output rule needs max_bytes, forbid or require_fields")
        }
        return rule
    }
}
