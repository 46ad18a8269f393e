import AgionBus
import AgionRuntime
import Hummingbird
import Prometheus

/// The public HTTP API: the edge middleware (request id, trace, problem
/// details), metrics, the system routes, and every route of `RouteTable`
/// behind authentication and its permission.
public struct GatewayRouter: Sendable {
    let authenticator: Authenticator
    let limiter: RateLimiter
    let calls: ServiceCallHandler
    let local: LocalHandler
    let missions: MissionStream
    let outputs: StepOutputDownload
    let checks: [ReadinessCheck]
    let corsOrigins: Set<String>
    let registry: PrometheusCollectorRegistry

    public func make() -> Router<GatewayContext> {
        let router = Router(context: GatewayContext.self)
        router.add(middleware: EdgeMiddleware())
        if !corsOrigins.isEmpty { router.add(middleware: CORSMiddleware(origins: corsOrigins)) }
        router.add(middleware: RouteMetricsMiddleware())
        AdminServer.addRoutes(to: router, checks: checks, registry: registry)
        let document = ByteBuffer(bytes: OpenAPIDocument.make().serialized)
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: document))
        }
        for route in RouteTable.all {
            router.on(RouterPath(route.routerPath), method: route.method) { request, context in
                try await self.serve(route, request: request, context: context)
            }
        }
        return router
    }

    func serve(_ route: Route, request: Request, context: GatewayContext) async throws -> Response {
        let credential = try await authenticator.authenticate(request.headers)
        let limit = await limiter.take(for: credential)
        do {
            if let limit, !limit.allowed {
                throw Problem(.rateLimited, "this credential or its tenant is over its request rate; retry after \(max(limit.resetSeconds, 1)) s")
            }
            var response = try await authorized(route, credential: credential, request: request, context: context)
            if let limit { response.headers.append(contentsOf: limit.headers) }
            return response
        } catch var problem as Problem {
            if let limit { problem.headers.append(contentsOf: limit.headers) }
            throw problem
        }
    }

    private func authorized(_ route: Route, credential: Credential, request: Request, context: GatewayContext) async throws -> Response {
        guard credential.allows(route.permission) else {
            throw Problem(.forbidden, "a \(credential.role.rawValue) key may not \(route.summary.lowercased()) (needs: \(OpenAPIDocument.roles(for: route.permission)))")
        }
        switch route.action {
        case .call(let call): return try await calls.handle(route, call, credential: credential, request: request, context: context)
        case .local(let operation): return try await local.handle(operation, credential: credential, request: request, context: context)
        case .missionStream: return try await missions.handle(credential: credential, request: request, context: context)
        case .stepOutput: return try await outputs.handle(credential: credential, context: context)
        }
    }
}
