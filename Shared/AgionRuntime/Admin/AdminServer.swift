import Hummingbird
import Logging
import Prometheus

/// The admin HTTP surface every service exposes on its admin port:
/// `GET /health` (the process is alive), `GET /ready` (its dependencies answer;
/// 503 when a required one does not) and `GET /metrics` (Prometheus text).
public enum AdminServer {
    /// The router, separate from the application so tests can drive it in-process.
    public static func router(checks: [ReadinessCheck], registry: PrometheusCollectorRegistry,
                              checkTimeout: Duration = .seconds(1)) -> Router<BasicRequestContext> {
        let router = Router()
        addRoutes(to: router, checks: checks, registry: registry, checkTimeout: checkTimeout)
        return router
    }

    /// The three routes on any router (the gateway serves them on its public port too).
    public static func addRoutes<Context: Hummingbird.RequestContext>(to router: Router<Context>, checks: [ReadinessCheck], registry: PrometheusCollectorRegistry,
                                                          checkTimeout: Duration = .seconds(1)) {
        router.get("/health") { _, _ in
            json(.ok, "{\"status\":\"alive\"}")
        }
        router.get("/ready") { _, _ in
            let readiness = await Readiness.evaluate(checks, timeout: checkTimeout)
            return json(readiness.status == .notReady ? .serviceUnavailable : .ok, readiness.json)
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }

    /// The admin application on `host:port`.
    public static func application(host: String, port: Int, checks: [ReadinessCheck], registry: PrometheusCollectorRegistry,
                                   logger: Logger) -> some ApplicationProtocol {
        Application(router: router(checks: checks, registry: registry),
                    configuration: .init(address: .hostname(host, port: port), serverName: "agion-admin"),
                    logger: logger)
    }

    private static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
