import AgionContract
import Foundation
import Yams

/// Reads a policy document (YAML, or JSON, which is YAML too) into a `Policy`,
/// refusing anything it does not understand with the field and the reason:
/// unknown keys are errors, so a typo never silently weakens a policy.
public enum PolicyParser {
    /// Documents larger than this are refused before parsing.
    public static let maxDocumentBytes = 1 << 20
    public static let maxRules = 10_000

    public static func parse(_ text: String) throws(PolicyError) -> Policy {
        guard text.utf8.count <= maxDocumentBytes else {
            throw PolicyError(field: "", reason: "the document is larger than \(maxDocumentBytes) bytes")
        }
        try refuseAnchors(text)
        let tree: Any?
        do {
            // Nesting is bounded by the YAML reader itself: libyaml, inside
            // Yams, refuses documents deeper than 1,000 levels.
            tree = try Yams.load(yaml: text)
        } catch {
            throw PolicyError(field: "", reason: "not valid YAML or JSON: \(error)")
        }
        let root = try Node(try normalize(tree, path: ""), path: "").object(allowed: ["version", "defaults", "rules", "output"])
        if let version = root["version"] {
            guard try version.int() == 1 else { throw PolicyError(field: "version", reason: "only version 1 is supported") }
        }
        var policy = Policy()
        if let defaults = root["defaults"] { policy.defaults = try parseDefaults(defaults) }
        let rules = try root["rules"]?.list() ?? []
        guard rules.count <= maxRules else { throw PolicyError(field: "rules", reason: "at most \(maxRules) rules") }
        var ids = Set<String>()
        for rule in rules {
            let parsed = try parseRule(rule)
            guard ids.insert(parsed.id).inserted else { throw PolicyError(field: rule.path + ".id", reason: "'\(parsed.id)' is used by another rule") }
            policy.rules.append(parsed)
        }
        for rule in try root["output"]?.list() ?? [] {
            let parsed = try parseOutputRule(rule)
            guard ids.insert(parsed.id).inserted else { throw PolicyError(field: rule.path + ".id", reason: "'\(parsed.id)' is used by another rule") }
            policy.outputRules.append(parsed)
        }
        return policy
    }

    /// Yams gives mappings as `[AnyHashable: Any]`; rules are keyed by strings,
    /// so convert once (a non-string key is an error) and let the readers
    /// work on `[String: Any]`.
    static func normalize(_ value: Any?, path: String) throws(PolicyError) -> Any? {
        switch value {
        case let mapping as [AnyHashable: Any]:
            var result: [String: Any] = [:]
            for (key, child) in mapping {
                guard let name = key.base as? String else { throw PolicyError(field: path, reason: "keys must be strings, not \(key.base)") }
                let childPath = path.isEmpty ? name : path + "." + name
                result[name] = try normalize(child, path: childPath)
            }
            return result
        case let list as [Any]:
            var result: [Any] = []
            for (i, item) in list.enumerated() { result.append(try normalize(item, path: "\(path)[\(i)]") as Any) }
            return result
        default:
            return value
        }
    }

    static func parseDefaults(_ node: Node) throws(PolicyError) -> PolicyDefaults {
        let fields = try node.object(allowed: ["effect", "max_delegation_depth", "when_unavailable"])
        var defaults = PolicyDefaults()
        if let effect = fields["effect"] {
            defaults.effect = try effect.effect()
            guard defaults.effect != .allow else {
                throw PolicyError(field: effect.path, reason: "the default must be deny or require_approval: allow-by-default is not supported")
            }
        }
        if let depth = fields["max_delegation_depth"] { defaults.maxDelegationDepth = try depth.int(in: 0...32) }
        if let unavailable = fields["when_unavailable"] {
            defaults.whenUnavailable = try unavailable.effect()
            guard defaults.whenUnavailable != .requireApproval else {
                throw PolicyError(field: unavailable.path, reason: "must be deny or allow")
            }
        }
        return defaults
    }
}
