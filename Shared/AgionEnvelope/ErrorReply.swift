/// The payload of an RPC error reply (`agion.v1.ErrorReply`): a stable code, a
/// message for humans, whether a retry may help, and the offending field if any.
public struct ErrorReply: Hashable, Sendable, Error, CustomStringConvertible {
    /// Envelope type of an error reply.
    public static let envelopeType = "agion.rpc.error"

    public var code: Code
    public var message: String
    public var retriable: Bool
    public var field: String

    public init(code: Code, message: String, retriable: Bool = false, field: String = "") {
        self.code = code
        self.message = message
        self.retriable = retriable
        self.field = field
    }

    public var description: String {
        field.isEmpty ? "\(code): \(message)" : "\(code) (\(field)): \(message)"
    }

    /// What went wrong, as every service and client names it. The wire carries
    /// the code's text (`wire`); a code this reader does not know, from a newer
    /// service, is kept as `unrecognized` and treated as an error like any
    /// other. A new code is added here, and the gateway's mapping to HTTP
    /// (`Problem(_:service:)`, an exhaustive switch) will not compile until it
    /// says what the code means for an HTTP client.
    public enum Code: Hashable, Sendable, CustomStringConvertible {
        /// The request is well formed but a field holds a value the contract forbids (`field` says which).
        case invalidArgument
        /// The request is not an envelope, or its payload not the method's message.
        case decodeFailed
        case notFound
        /// The request names a tenant the service has no record of.
        case unknownTenant
        /// The request contradicts the current state (a duplicate, a version that moved on).
        case conflict
        /// The state does not allow it now (a mission already finished, say).
        case failedPrecondition
        /// The caller may not do this.
        case permissionDenied
        /// A budget (tokens, cost) would be or was exceeded.
        case budgetExceeded
        /// The work was cancelled before it finished.
        case cancelled
        /// A deadline passed before the work finished.
        case deadlineExceeded
        /// A dependency of the service is down; retriable.
        case unavailable
        /// Too many requests in flight; retriable.
        case overloaded
        /// A quota of the tenant is used up (its running missions, say); retriable once some is freed.
        case resourceExhausted
        /// A bug or an unexpected failure; details are logged, never sent.
        case internalError
        /// Nothing serves that method.
        case unknownMethod
        /// A code this reader does not know.
        case unrecognized(String)

        /// Every code this reader knows.
        public static let known: [Code] = [.invalidArgument, .decodeFailed, .notFound, .unknownTenant, .conflict, .failedPrecondition,
                                           .permissionDenied, .budgetExceeded, .cancelled, .deadlineExceeded, .unavailable, .overloaded,
                                           .resourceExhausted, .internalError, .unknownMethod]

        public init(wire: String) {
            self = Self.byWire[wire] ?? .unrecognized(wire)
        }

        /// The code as it travels (`agion.v1.ErrorReply.code`), snake case.
        public var wire: String {
            switch self {
            case .invalidArgument: "invalid_argument"
            case .decodeFailed: "decode_failed"
            case .notFound: "not_found"
            case .unknownTenant: "unknown_tenant"
            case .conflict: "conflict"
            case .failedPrecondition: "failed_precondition"
            case .permissionDenied: "permission_denied"
            case .budgetExceeded: "budget_exceeded"
            case .cancelled: "cancelled"
            case .deadlineExceeded: "deadline_exceeded"
            case .unavailable: "unavailable"
            case .overloaded: "overloaded"
            case .resourceExhausted: "resource_exhausted"
            case .internalError: "internal"
            case .unknownMethod: "unknown_method"
            case .unrecognized(let text): text
            }
        }

        public var description: String { wire }

        private static let byWire = Dictionary(uniqueKeysWithValues: known.map { ($0.wire, $0) })
    }
}

extension ErrorReply {
    /// The reply for a request whose payload failed to decode or validate.
    public init(invalid error: EnvelopeError) {
        self.init(code: error.code == .malformed ? .decodeFailed : .invalidArgument, message: error.message, retriable: false, field: error.field)
    }
}
