/// Why a mission definition was refused, and the exact field to blame
/// (`steps[3].depends_on[0]`), so a client can point at it.
public struct DefinitionError: Error, Hashable, Sendable, CustomStringConvertible {
    public let field: String
    public let reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { field.isEmpty ? reason : "\(field): \(reason)" }
}

/// The bounds every definition is held to: they keep one mission from costing
/// the services (and every later read of it) more than a mission should.
public enum DefinitionLimits {
    public static let steps = 500
    public static let dependencies = 100
    /// The mission's input, and each step's input template, serialized.
    public static let inputBytes = 256 << 10
    public static let templateBytes = 64 << 10
    /// A step's output as reported by its agent.
    public static let outputBytes = 1 << 20
    public static let nameBytes = 200
    public static let tokenBytes = 256
    public static let stepIDBytes = 63
    public static let timeoutSeconds = 1...86_400
    public static let attempts = 1...20
    public static let backoffMillis = 10...86_400_000
    public static let deadlineSeconds: ClosedRange<Int64> = 1...(30 * 86_400)
}
