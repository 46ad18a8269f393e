import AgionEnvelope

/// A tenant's name. Every request and event carries one (the envelope's
/// `tenant`); it appears in NATS subjects (`agion.registry.evt.<tenant>.…`)
/// and Redis keys, so it is 1-64 characters of letters, digits, `_` and `-`.
public struct TenantID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let value: String

    /// Validates `text`; the error names `field`.
    public init(_ text: String, field: String = "tenant") throws(EnvelopeError) {
        guard !text.isEmpty else { throw EnvelopeError(.invalidField, "the request names no tenant", field: field) }
        guard text.utf8.count <= 64 else { throw EnvelopeError(.invalidField, "a tenant is at most 64 characters", field: field) }
        guard text.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }) else {
            throw EnvelopeError(.invalidField, "the tenant '\(text.prefix(64))' may hold only letters, digits, '_' and '-'", field: field)
        }
        value = text
    }

    public var description: String { value }
    public static func < (lhs: TenantID, rhs: TenantID) -> Bool { lhs.value < rhs.value }
}

extension Envelope {
    /// The envelope's tenant, validated.
    public func tenantID() throws(EnvelopeError) -> TenantID { try TenantID(tenant) }
}
