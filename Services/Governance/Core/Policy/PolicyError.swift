/// Why a policy document was refused: the exact field (a path such as
/// `rules[2].when[0].op`) and the reason.
public struct PolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    public let field: String
    public let reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { field.isEmpty ? reason : "\(field): \(reason)" }
}
