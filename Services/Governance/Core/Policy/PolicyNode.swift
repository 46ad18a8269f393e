import AgionContract
import Foundation

/// A value of the parsed document with its path, so every error names the field.
struct Node {
    let value: Any?
    let path: String

    init(_ value: Any?, path: String) {
        self.value = value
        self.path = path
    }

    private func fail(_ reason: String) -> PolicyError { PolicyError(field: path, reason: reason) }

    func object(allowed: Set<String>) throws(PolicyError) -> [String: Node] {
        guard let mapping = value as? [String: Any] else { throw fail("expected a mapping") }
        var nodes: [String: Node] = [:]
        for (key, child) in mapping {
            let childPath = path.isEmpty ? key : path + "." + key
            guard allowed.contains(key) else {
                throw PolicyError(field: childPath, reason: "unknown field; expected one of \(allowed.sorted().joined(separator: ", "))")
            }
            nodes[key] = Node(child, path: childPath)
        }
        return nodes
    }

    func list() throws(PolicyError) -> [Node] {
        guard let items = value as? [Any] else { throw fail("expected a list") }
        return items.indices.map { Node(items[$0], path: "\(path)[\($0)]") }
    }

    func string(maxBytes: Int) throws(PolicyError) -> String {
        guard let text = value as? String else { throw fail("expected a string") }
        guard text.utf8.count <= maxBytes else { throw fail("at most \(maxBytes) bytes") }
        return text
    }

    func int(in range: ClosedRange<Int> = Int.min...Int.max) throws(PolicyError) -> Int {
        guard let number = value as? Int, !(value is Bool) else { throw fail("expected a whole number") }
        guard range.contains(number) else { throw fail("must be from \(range.lowerBound) to \(range.upperBound)") }
        return number
    }

    func unitInterval() throws(PolicyError) -> Double {
        let number: Double
        switch value {
        case let v as Int where !(value is Bool): number = Double(v)
        case let v as Double: number = v
        default: throw fail("expected a number from 0 to 1")
        }
        guard (0...1).contains(number) else { throw fail("must be from 0 to 1") }
        return number
    }

    func effect() throws(PolicyError) -> Effect {
        let text = try string(maxBytes: 32)
        guard let effect = Effect(rawValue: text) else { throw fail("one of allow, deny, require_approval, not '\(text)'") }
        return effect
    }

    /// A scalar as text (obligation parameters).
    func scalarText() throws(PolicyError) -> String {
        switch value {
        case let v as String: return v
        case let v as Bool: return v ? "true" : "false"
        case let v as Int: return String(v)
        case let v as Double: return String(v)
        default: throw fail("expected a string, number or boolean")
        }
    }

    /// Any YAML value as a context value (condition operands).
    func contextValue() throws(PolicyError) -> ContextValue {
        switch value {
        case nil, is NSNull: return .null
        case let v as Bool: return .bool(v)
        case let v as Int: return .number(Double(v))
        case let v as Double: return .number(v)
        case let v as String: return .string(v)
        case let v as [Any]:
            var items: [ContextValue] = []
            for (i, item) in v.enumerated() { items.append(try Node(item, path: "\(path)[\(i)]").contextValue()) }
            return .list(items)
        case let v as [String: Any]:
            var fields: [String: ContextValue] = [:]
            for (key, item) in v { fields[key] = try Node(item, path: "\(path).\(key)").contextValue() }
            return .object(fields)
        default: throw fail("unsupported value")
        }
    }
}
