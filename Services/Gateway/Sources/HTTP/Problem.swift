import AgionBus
import AgionEnvelope
import AgionJSON
import HTTPTypes
import Hummingbird

/// An error answered as `application/problem+json` (RFC 9457): a stable
/// `type` per kind of problem, a human-readable `detail`, the offending
/// `field` when one is to blame, and the request id to quote to an operator.
/// Every error the gateway answers goes through here (`EdgeMiddleware`).
public struct Problem: Error, Sendable, Equatable {
    /// The stable kinds; their slugs are part of the API (docs/gateway.md).
    public struct Kind: Sendable, Equatable {
        public let slug: String
        public let title: String
        public let status: HTTPResponse.Status

        public static let invalidJSON = Kind(slug: "invalid-json", title: "The body is not valid JSON", status: .badRequest)
        public static let invalidRequest = Kind(slug: "invalid-request", title: "The request does not fit the contract", status: .badRequest)
        public static let unauthenticated = Kind(slug: "unauthenticated", title: "No valid credential", status: .unauthorized)
        public static let forbidden = Kind(slug: "forbidden", title: "The credential's role does not allow this", status: .forbidden)
        public static let notFound = Kind(slug: "not-found", title: "Not found", status: .notFound)
        public static let gone = Kind(slug: "gone", title: "Deleted by retention", status: .gone)
        public static let methodNotAllowed = Kind(slug: "method-not-allowed", title: "Method not allowed", status: .methodNotAllowed)
        public static let conflict = Kind(slug: "conflict", title: "Conflict", status: .conflict)
        public static let failedPrecondition = Kind(slug: "failed-precondition", title: "The resource's state does not allow this", status: .conflict)
        public static let budgetExceeded = Kind(slug: "budget-exceeded", title: "The budget is spent", status: .conflict)
        public static let cancelled = Kind(slug: "cancelled", title: "Cancelled", status: .conflict)
        public static let deadlineExceeded = Kind(slug: "deadline-exceeded", title: "The deadline passed", status: .gatewayTimeout)
        public static let payloadTooLarge = Kind(slug: "payload-too-large", title: "The body is too large", status: .contentTooLarge)
        public static let unsupportedMediaType = Kind(slug: "unsupported-media-type", title: "Unsupported content type", status: .unsupportedMediaType)
        public static let rateLimited = Kind(slug: "rate-limited", title: "Too many requests", status: .tooManyRequests)
        public static let unknownTenant = Kind(slug: "unknown-tenant", title: "The tenant is not set up", status: .notFound)
        public static let serviceTimeout = Kind(slug: "service-timeout", title: "The service did not answer in time", status: .gatewayTimeout)
        public static let serviceUnavailable = Kind(slug: "service-unavailable", title: "The service is unavailable", status: .serviceUnavailable)
        public static let internalError = Kind(slug: "internal", title: "Internal error", status: .internalServerError)

        public static let all: [Kind] = [invalidJSON, invalidRequest, unauthenticated, forbidden, notFound, gone, methodNotAllowed, conflict,
                                         failedPrecondition, budgetExceeded, cancelled, deadlineExceeded, payloadTooLarge,
                                         unsupportedMediaType, rateLimited, unknownTenant, serviceTimeout, serviceUnavailable, internalError]

        public var typeURI: String { "https://agion.dev/problems/" + slug }
    }

    public let kind: Kind
    public let detail: String
    public var field: String?
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPFields = [:]

    public init(_ kind: Kind, _ detail: String, field: String? = nil, headers: HTTPFields = [:]) {
        self.kind = kind
        self.detail = detail
        self.field = field
        self.headers = headers
    }

    public static func == (a: Problem, b: Problem) -> Bool { a.kind == b.kind && a.detail == b.detail && a.field == b.field }

    func response(requestID: String) -> Response {
        var body: [String: JSONValue] = [
            "type": .string(kind.typeURI), "title": .string(kind.title), "status": .integer(Int64(kind.status.code)),
            "detail": .string(detail), "request_id": .string(requestID),
        ]
        if let field { body["field"] = .string(field) }
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        return Response(status: kind.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSONValue.object(body).serialized)))
    }
}

extension Problem {
    /// What a service's error reply means for an HTTP client: the one place
    /// that maps wire codes to HTTP, exhaustive, so a new code cannot go out
    /// as a 500 by omission.
    init(_ reply: ErrorReply, service: String) {
        let field = reply.field.isEmpty ? nil : reply.field
        switch reply.code {
        case .invalidArgument, .decodeFailed: self.init(.invalidRequest, reply.message, field: field)
        case .notFound: self.init(.notFound, reply.message, field: field)
        case .unknownTenant: self.init(.unknownTenant, reply.message)
        case .conflict: self.init(.conflict, reply.message, field: field)
        case .failedPrecondition: self.init(.failedPrecondition, reply.message, field: field)
        case .permissionDenied: self.init(.forbidden, reply.message, field: field)
        case .budgetExceeded: self.init(.budgetExceeded, reply.message, field: field)
        case .cancelled: self.init(.cancelled, reply.message, field: field)
        case .deadlineExceeded: self.init(.deadlineExceeded, reply.message, field: field)
        case .unavailable, .overloaded:
            self.init(.serviceUnavailable, "\(service): \(reply.message)", headers: [.retryAfter: "1"])
        case .resourceExhausted: self.init(.rateLimited, reply.message, field: field, headers: [.retryAfter: "5"])
        case .internalError, .unknownMethod, .unrecognized:
            self.init(.internalError, "\(service) failed to answer (code \(reply.code)); quote the request id")
        }
    }

    /// A failed NATS request to `service`.
    init(_ error: BusError, service: String) {
        switch error.code {
        case .remote where error.remote != nil: self.init(error.remote!, service: service)
        case .timeout: self.init(.serviceTimeout, "\(service) did not answer in time")
        case .noResponders: self.init(.serviceUnavailable, "no \(service) replica is running", headers: [.retryAfter: "1"])
        case .connectionFailed, .closed, .io: self.init(.serviceUnavailable, "the gateway cannot reach NATS", headers: [.retryAfter: "1"])
        case .overloaded: self.init(.serviceUnavailable, "\(service) is overloaded", headers: [.retryAfter: "1"])
        default: self.init(.internalError, "the request to \(service) failed; quote the request id")
        }
    }
}
