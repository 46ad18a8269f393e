import AgionBus
import AgionGateway
import AgionJSON
import AgionRuntime
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// One gateway in the test process (its own schema and bootstrap key file),
/// with the registry and governance clusters running behind it. Requests go
/// through the real router in-process (HummingbirdTesting's router mode).
actor GatewayHarness {
    static let shared = GatewayHarness()
    static let schema = "it_gateway"
    static let keyFile = FileManager.default.temporaryDirectory
        .appendingPathComponent("agion-it-gateway-\(ProcessInfo.processInfo.processIdentifier)/admin.key").path

    private var started: (router: GatewayRouter, replica: ServiceReplica)?
    /// The first start, shared by every caller: the actor is reentrant at each
    /// `await`, and a second caller that started again would drop the schema
    /// under the first one's migrations.
    private var starting: Task<(router: GatewayRouter, replica: ServiceReplica), any Error>?
    private var extra: [ServiceReplica] = []

    static var configuration: GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.schema = schema
        configuration.bootstrapKeyFile = keyFile
        // Longer than production's 5 s: the services behind are debug builds
        // sharing two cores with the whole suite, and a 504 here would only say
        // the machine was busy (the 504 test sets its own 300 ms).
        configuration.serviceTimeout = .seconds(10)
        configuration.maxBodyBytes = 64 << 10
        return configuration
    }

    func router() async throws -> GatewayRouter {
        // Failure tests stop the shared governance replicas; the next gateway
        // test starts them again (the `.needsGovernance` trait orders the two).
        _ = try await GovernanceCluster.shared.serving()
        if let started { return started.router }
        let task = starting ?? Task {
            _ = try await RegistryCluster.shared.bus()
            let pool = TestEnvironment.pool(size: 1)
            await TestEnvironment.dropSchema(Self.schema, pool)
            await pool.shutdown()
            try? FileManager.default.removeItem(atPath: Self.keyFile)
            let (router, replica) = try await Self.start(Self.configuration)
            return (router: router, replica: replica)
        }
        starting = task
        let made = try await task.value
        started = made
        return made.router
    }

    /// Another replica on the same schema with its own settings (rate limits).
    func replica(natsURL: String? = nil, _ configure: (inout GatewayConfiguration) -> Void) async throws -> GatewayRouter {
        _ = try await router()
        var configuration = Self.configuration
        configure(&configuration)
        let (router, replica) = try await Self.start(configuration, natsURL: natsURL)
        extra.append(replica)
        return router
    }

    /// A gateway of its own on a fresh `schema` (bootstrap tests), stopped by the caller.
    static func fresh(schema: String, _ configure: (inout GatewayConfiguration) -> Void) async throws -> (GatewayRouter, ServiceReplica) {
        _ = try await GovernanceCluster.shared.serving()
        let pool = TestEnvironment.pool(size: 1)
        await TestEnvironment.dropSchema(schema, pool)
        await pool.shutdown()
        var configuration = Self.configuration
        configuration.schema = schema
        configure(&configuration)
        return try await start(configuration)
    }

    /// A gateway replica without its HTTP server: the router and the replica running its background services.
    private static func start(_ configuration: GatewayConfiguration, natsURL: String? = nil) async throws -> (GatewayRouter, ServiceReplica) {
        nonisolated(unsafe) var made: GatewayRouter?
        let replica = try await ServiceReplica.start(Gateway.serviceName, configure: { if let natsURL { $0.bus.url = natsURL } }, build: { runtime in
            let (router, services) = try await Gateway.router(runtime: runtime, configuration: configuration)
            made = router
            return services
        }, checks: Gateway.readinessChecks)
        return (made!, replica)
    }

    /// The platform admin key the gateway wrote on first start.
    func adminKey() async throws -> String {
        _ = try await router()
        return try String(contentsOfFile: Self.keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A JSON response as the tests read it.
struct HTTPResult: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String
    /// The body parsed as JSON when asked: a 16 MiB output parsed for
    /// nothing costs seconds of CPU in a debug build, felt by every test
    /// running beside it.
    var json: JSONValue? { try? JSONValue.parse(Array(text.utf8)) }

    var problemType: String? { json?["type"]?.stringValue }
    var field: String? { json?["field"]?.stringValue }
}

/// Sends one request through the gateway's router.
func gateway(_ method: HTTPRequest.Method, _ uri: String, key: String?, json body: JSONValue? = nil, raw: String? = nil,
             contentType: String? = nil, headers extra: HTTPFields = [:], via replica: GatewayRouter? = nil) async throws -> HTTPResult {
    let router: GatewayRouter
    if let replica { router = replica } else { router = try await GatewayHarness.shared.router() }
    let application = Application(router: router.make())
    var headers = extra
    if let key { headers[.authorization] = "Bearer " + key }
    var buffer: ByteBuffer?
    if let body {
        buffer = ByteBuffer(bytes: body.serialized)
        headers[.contentType] = contentType ?? "application/json"
    } else if let raw {
        buffer = ByteBuffer(string: raw)
        if let contentType { headers[.contentType] = contentType }
    }
    let (sentHeaders, sentBody) = (headers, buffer)
    return try await application.test(.router) { client in
        try await client.execute(uri: uri, method: method, headers: sentHeaders, body: sentBody) { response in
            let text = String(buffer: response.body)
            return HTTPResult(status: response.status, headers: response.headers, text: text)
        }
    }
}
