import AgionEnvelope

/// An agent's identity, `<container>:<name>`, for example `langgraph-v2:chart_generator`.
/// Each part is 1-63 characters of letters, digits, `_`, `-` and `.`, starting
/// with a letter or digit, so ids are safe in NATS subjects, URLs and logs.
public struct AgentID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let container: String
    public let name: String

    /// Validates `text`; the error names `field` and says what is wrong.
    public init(_ text: String, field: String = "agent_id") throws(EnvelopeError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw EnvelopeError(.invalidField, "'\(text.prefix(80))' is not <container>:<name> (for example langgraph-v2:chart_generator)", field: field)
        }
        try Self.validate(parts[0], part: "container", field: field)
        try Self.validate(parts[1], part: "name", field: field)
        container = String(parts[0])
        name = String(parts[1])
    }

    public init(container: String, name: String) throws(EnvelopeError) {
        try self.init("\(container):\(name)")
    }

    public var description: String { "\(container):\(name)" }

    public static func < (lhs: AgentID, rhs: AgentID) -> Bool { lhs.description < rhs.description }

    private static func validate(_ part: Substring, part label: String, field: String) throws(EnvelopeError) {
        guard (1...63).contains(part.utf8.count) else {
            throw EnvelopeError(.invalidField, "the \(label) must be 1 to 63 characters, not \(part.utf8.count)", field: field)
        }
        guard let first = part.utf8.first, isAlphanumeric(first) else {
            throw EnvelopeError(.invalidField, "the \(label) must start with a letter or digit", field: field)
        }
        guard part.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }) else {
            throw EnvelopeError(.invalidField, "the \(label) '\(part)' may hold only letters, digits, '_', '-' and '.'", field: field)
        }
    }
}
