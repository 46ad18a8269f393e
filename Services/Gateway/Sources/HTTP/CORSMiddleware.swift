import HTTPTypes
import Hummingbird

/// Cross-origin requests from the origins in `AGION_GATEWAY_CORS_ORIGINS`
/// (a browser dashboard): preflights are answered here, before routing, and
/// responses to an allowed origin name it (never `*` with credentials).
/// Without configured origins no CORS headers are sent and browsers refuse.
struct CORSMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    let origins: Set<String>
    var allowsAny: Bool { origins.contains("*") }

    static let allowedHeaders = "Authorization, Content-Type, X-API-Key, X-Request-Id, traceparent"
    static let exposedHeaders = "X-Request-Id, traceparent, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset"

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], allowsAny || origins.contains(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            return Response(status: .noContent, headers: [
                .accessControlAllowOrigin: origin, .vary: "Origin",
                .accessControlAllowMethods: "GET, POST, DELETE, OPTIONS",
                .accessControlAllowHeaders: Self.allowedHeaders, .accessControlMaxAge: "600",
            ])
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        return response
    }
}
