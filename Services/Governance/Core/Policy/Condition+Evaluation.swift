import AgionContract

extension Condition {
    /// Whether the context satisfies this condition. A missing field or a
    /// type mismatch fails a positive test (`eq`, `lt`, `in`, …) and passes a
    /// negative one (`ne`, `not_in`, `not_exists`).
    public func holds(in context: ContextValue) -> Bool {
        let field = context.value(at: path)
        switch op {
        case .exists: return field != nil
        case .notExists: return field == nil
        case .eq: return field.map { Self.equal($0, value) } ?? false
        case .ne: return !(field.map { Self.equal($0, value) } ?? false)
        case .lt, .lte, .gt, .gte:
            guard let field, let order = Self.compare(field, value) else { return false }
            switch op {
            case .lt: return order < 0
            case .lte: return order <= 0
            case .gt: return order > 0
            default: return order >= 0
            }
        case .in:
            guard let field, case .list(let options) = value else { return false }
            return options.contains { Self.equal(field, $0) }
        case .notIn:
            guard let field, case .list(let options) = value else { return true }
            return !options.contains { Self.equal(field, $0) }
        case .matches:
            guard let text = field?.string, let pattern else { return false }
            return pattern.matches(text)
        case .contains:
            switch field {
            case .string(let text)?: return value.string.map { text.contains($0) } ?? false
            case .list(let items)?: return items.contains { Self.equal($0, value) }
            default: return false
            }
        }
    }

    static func equal(_ a: ContextValue, _ b: ContextValue) -> Bool {
        if case .number(let x) = a, case .number(let y) = b { return x == y }
        return a == b
    }

    /// -1, 0, 1 for two numbers or two strings; nil otherwise.
    static func compare(_ a: ContextValue, _ b: ContextValue) -> Int? {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.string(let x), .string(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        default: return nil
        }
    }
}
