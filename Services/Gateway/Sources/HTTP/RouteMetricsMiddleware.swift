import Dispatch
import HTTPTypes
import Hummingbird
import Metrics
import Synchronization

/// Per-route request counts, latency and status codes at `/metrics`: the same
/// series, names and labels as Hummingbird's `MetricsMiddleware`
/// (`hb_requests`, `http_server_request_duration`, `hb_request_errors`,
/// `http_server_active_requests`).
///
/// Hummingbird's middleware times a request until its body is written by
/// wrapping the body in a closure; a wrapped body loses Hummingbird's
/// single-write path, so every response went out in two `write(2)`s (head,
/// then body) and woke the client twice. This one records when the response
/// is ready, which leaves the body as it is: one write per response
/// (measured in docs/benchmarks.md, 2026-12-01 "one write per response").
struct RouteMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let cache = RouteMetricsCache()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        let active = cache.activeRequests(request.method)
        active.increment()
        defer { active.decrement() }
        do {
            let response = try await next(request, context)
            let series = cache.series(route: context.endpointPath ?? "Unknown", method: request.method, status: response.status)
            series.requests.increment()
            series.duration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
            return response
        } catch {
            let status = Self.status(of: error)
            let series = cache.series(route: context.endpointPath ?? "NotFound", method: request.method, status: status)
            series.requests.increment()
            series.errors.increment()
            throw error
        }
    }

    /// The status `EdgeMiddleware` answers a thrown error with. (Hummingbird's
    /// middleware knew only its own errors and counted every problem, a 404
    /// included, as a 500.)
    static func status(of error: any Error) -> HTTPResponse.Status {
        if let problem = error as? Problem { return problem.kind.status }
        if let error = error as? HTTPError { return EdgeMiddleware.problem(for: error).kind.status }
        return .internalServerError
    }
}

/// swift-metrics looks a metric up in its factory on every construction;
/// the gateway keeps each (route, method, status) series once made.
private final class RouteMetricsCache: Sendable {
    struct Key: Hashable {
        let route: String
        let method: HTTPRequest.Method
        let status: HTTPResponse.Status
    }

    struct Series: Sendable {
        let requests: Counter
        let duration: Metrics.Timer
        let errors: Counter

        init(_ key: Key) {
            let labels = [("http.route", key.route), ("http.request.method", key.method.rawValue),
                          ("http.response.status_code", String(key.status.code))]
            requests = Counter(label: "hb.requests", dimensions: labels)
            duration = Metrics.Timer(label: "http.server.request.duration", dimensions: labels, preferredDisplayUnit: .seconds)
            errors = Counter(label: "hb.request.errors", dimensions: [labels[0], labels[1], ("error.type", String(key.status.code))])
        }
    }

    private let series = Mutex<[Key: Series]>([:])
    private let active = Mutex<[HTTPRequest.Method: Meter]>([:])

    func series(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status) -> Series {
        let key = Key(route: route, method: method, status: status)
        return series.withLock { known in
            if let existing = known[key] { return existing }
            let made = Series(key)
            known[key] = made
            return made
        }
    }

    func activeRequests(_ method: HTTPRequest.Method) -> Meter {
        active.withLock { known in
            if let existing = known[method] { return existing }
            let made = Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method.rawValue)])
            known[method] = made
            return made
        }
    }
}
