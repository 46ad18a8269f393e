import AgionContract
import Foundation
import GovernanceCore
import Synchronization

/// Checks an agent's output against the output rules that apply to it.
/// Regular expressions are compiled once per pattern and reused.
final class OutputValidator: Sendable {
    private let compiled = Mutex<[String: NSRegularExpressionBox]>([:])

    /// The rules that apply to this agent and action.
    func applicable(to request: ValidateOutputRequest, rules: [OutputRule]) -> [OutputRule] {
        rules.filter { rule in
            rule.agents.contains { $0.matches(request.agentID.description) } && rule.actions.contains { $0.matches(request.action) }
        }
    }

    func violations(of request: ValidateOutputRequest, rules: [OutputRule]) -> [Violation] {
        let applicable = applicable(to: request, rules: rules)
        guard !applicable.isEmpty else { return [] }
        var violations: [Violation] = []
        let size = request.output.utf8.count
        var json: Any?? = nil
        for rule in applicable {
            if let max = rule.maxBytes, size > max {
                violations.append(Violation(ruleID: rule.id, kind: "max_bytes", message: "the output is \(size) bytes; at most \(max) are allowed"))
            }
            for pattern in rule.forbiddenPatterns {
                guard let regex = regex(pattern) else { continue }
                let range = NSRange(request.output.startIndex..., in: request.output)
                if regex.firstMatch(in: request.output, range: range) != nil {
                    // The match itself is not echoed: it may be the secret.
                    violations.append(Violation(ruleID: rule.id, kind: "forbidden_pattern", message: "the output contains text matching a forbidden pattern"))
                }
            }
            guard !rule.requiredFields.isEmpty, request.isJSON else { continue }
            if json == nil { json = .some(try? JSONSerialization.jsonObject(with: Data(request.output.utf8), options: [.fragmentsAllowed])) }
            guard let document = json ?? nil else {
                violations.append(Violation(ruleID: rule.id, kind: "invalid_json", message: "the output is declared JSON but does not parse"))
                continue
            }
            for path in rule.requiredFields where !Self.has(document, path) {
                violations.append(Violation(ruleID: rule.id, kind: "required_field", message: "required field is missing",
                                            field: path.joined(separator: ".")))
            }
        }
        return violations
    }

    private static func has(_ document: Any, _ path: [String]) -> Bool {
        var current: Any = document
        for key in path {
            guard let object = current as? [String: Any], let next = object[key], !(next is NSNull) else { return false }
            current = next
        }
        return true
    }

    private func regex(_ pattern: String) -> NSRegularExpression? {
        if let cached = compiled.withLock({ $0[pattern] }) { return cached.regex }
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return nil }
        compiled.withLock { $0[pattern] = NSRegularExpressionBox(regex: regex) }
        return regex
    }
}

/// NSRegularExpression is immutable and documented thread-safe for matching.
private struct NSRegularExpressionBox: @unchecked Sendable {
    // @unchecked: NSRegularExpression instances are immutable after creation.
    let regex: NSRegularExpression
}
