import AgionEnvelope
import Foundation
import HTTPTypes
import Hummingbird

/// Per-request state: the request id and trace context (set first, by
/// `EdgeMiddleware`), carried into every envelope sent for the request.
public struct GatewayContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID = ""
    public var traceparent = Traceparent.makeRoot()
    /// The connection's event loop, where the request's task prefers to run.
    let executor: EventLoopTaskExecutor?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        executor = EventLoopTaskExecutor.of(source.channel.eventLoop)
    }

    /// A path parameter as the client meant it: percent-decoded, since
    /// clients encode what they like (`langgraph-v2%3Acharts` is
    /// `langgraph-v2:charts`); a malformed escape is the client's error.
    func pathParameter(_ name: String) throws -> String? {
        guard let raw = parameters.get(name) else { return nil }
        guard raw.contains("%") else { return raw }
        guard let decoded = raw.removingPercentEncoding else {
            throw Problem(.invalidRequest, "the path has a malformed percent escape", field: name)
        }
        return decoded
    }
}

/// The edge of every request: accepts the caller's `X-Request-Id` and W3C
/// `traceparent` (or makes them), answers with both, and turns every error
/// into `application/problem+json` with the request id in it.
struct EdgeMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var context = context
        context.requestID = Self.requestID(request.headers[Self.requestIDHeader])
        if let header = request.headers[Self.traceparentHeader], let incoming = Traceparent(header) {
            context.traceparent = incoming.child()
        }
        var response: Response
        do {
            response = try await withTaskExecutorPreference(context.executor) { try await next(request, context) }
        } catch let problem as Problem {
            response = problem.response(requestID: context.requestID)
        } catch let error as HTTPError {
            response = Self.problem(for: error).response(requestID: context.requestID)
        } catch {
            context.logger.error("gateway.unhandled_error", metadata: ["error": "\(error)", "request.id": "\(context.requestID)"])
            response = Problem(.internalError, "the gateway failed to answer; quote the request id").response(requestID: context.requestID)
        }
        response.headers[Self.requestIDHeader] = context.requestID
        response.headers[Self.traceparentHeader] = context.traceparent.description
        // The access log: the request id and trace id are what the services' logs carry too.
        context.logger.info("gateway.request", metadata: [
            "http.method": "\(request.method.rawValue)", "http.route": "\(context.endpointPath ?? "-")", "url.path": "\(request.uri.path)",
            "http.status": "\(response.status.code)", "duration_ms": "\(Self.milliseconds(ContinuousClock.now - started))",
            "request.id": "\(context.requestID)", "trace.id": "\(context.traceparent.traceID)",
        ])
        return response
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        return "\(micros / 1_000).\(String(format: "%03d", Int(micros % 1_000)))"
    }

    static let requestIDHeader = HTTPField.Name("X-Request-Id")!
    static let traceparentHeader = HTTPField.Name("traceparent")!

    /// A caller's id is kept if it is short and printable (it goes into logs).
    static func requestID(_ presented: String?) -> String {
        if let presented, (1...128).contains(presented.utf8.count), presented.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) { return presented }
        return UUIDv7.make().lowercasedString
    }

    static func problem(for error: HTTPError) -> Problem {
        switch error.status {
        case .notFound: Problem(.notFound, "no such route; see /openapi.json")
        case .methodNotAllowed: Problem(.methodNotAllowed, "this route does not take that method; see /openapi.json")
        case .contentTooLarge: Problem(.payloadTooLarge, error.body ?? "the body is too large")
        case .badRequest: Problem(.invalidRequest, error.body ?? "bad request")
        default: Problem(.internalError, error.body ?? "the gateway failed to answer; quote the request id")
        }
    }
}
