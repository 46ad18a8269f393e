/// The payload of an RPC error reply (`agion.v1.ErrorReply`): a stable code, a
/// message for humans, whether a retry may help, and the offending field if any.
public struct ErrorReply: Hashable, Sendable, Error, CustomStringConvertible {
    /// Envelope type of an error reply.
    public static let envelopeType = "agion.rpc.error"

    public var code: String
    public var message: String
    public var retriable: Bool
    public var field: String

    public init(code: String, message: String, retriable: Bool = false, field: String = "") {
        self.code = code
        self.message = message
        self.retriable = retriable
        self.field = field
    }

    public var description: String {
        field.isEmpty ? "\(code): \(message)" : "\(code) (\(field)): \(message)"
    }
}

extension ErrorReply {
    /// The reply for a request whose payload failed to decode or validate.
    public init(invalid error: EnvelopeError) {
        self.init(code: error.code == .malformed ? Codes.decodeFailed : Codes.invalidArgument,
                  message: error.message, retriable: false, field: error.field)
    }

    /// Well-known codes. Services may use others; clients treat unknown codes as errors.
    public enum Codes {
        public static let invalidArgument = "invalid_argument"
        public static let notFound = "not_found"
        public static let decodeFailed = "decode_failed"
        public static let unavailable = "unavailable"
        public static let overloaded = "overloaded"
        public static let internalError = "internal"
        public static let unknownMethod = "unknown_method"
        /// The request names a tenant the service has no record of.
        public static let unknownTenant = "unknown_tenant"
    }
}
