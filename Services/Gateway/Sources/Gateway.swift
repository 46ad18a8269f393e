import AgionBus
import AgionEnvelope
import AgionNATSAuth
import AgionRuntime
import AgionStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The gateway: the public HTTP API (docs/gateway.md). It holds no business
/// logic: routes translate to NATS requests to the services, with the tenant
/// taken from the caller's credential. Its own schema holds tenants and API keys.
public enum Gateway: ServiceDefinition {
    public static let serviceName = "gateway"
    public static let adminPort = 9105

    /// Migrates, makes sure a first admin key exists, and returns the services
    /// to run: the HTTP server and the listener for key revocations.
    public static func build(runtime: ServiceRuntime, configuration: GatewayConfiguration) async throws -> [any Service] {
        let (router, services) = try await Self.router(runtime: runtime, configuration: configuration)
        return services + [application(router, configuration: configuration, logger: runtime.logger)]
    }

    /// The HTTP server for `router` with the configured address and idle timeout.
    public static func application(_ router: GatewayRouter, configuration: GatewayConfiguration, logger: Logger) -> some ApplicationProtocol {
        Application(router: router.make(),
                    server: .http1(configuration: .init(idleTimeout: .milliseconds(Int64(configuration.idleTimeout / .milliseconds(1))))),
                    configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "agion-gateway"),
                    logger: logger)
    }

    /// Everything but the HTTP server: the router (tests drive it in-process)
    /// and the background services.
    public static func router(runtime: ServiceRuntime, configuration: GatewayConfiguration) async throws -> (GatewayRouter, [any Service]) {
        try await runtime.migrate(schema: configuration.schema, GatewayMigrations.all)
        let keys = KeyStore(pool: runtime.store, schema: configuration.schema)
        try await BootstrapKey.ensure(keys: keys, file: configuration.bootstrapKeyFile, given: configuration.bootstrapKey, logger: runtime.logger)
        var accounts: TenantAccounts?
        if let directory = configuration.natsAuthDirectory {
            accounts = TenantAccounts(authority: try NATSAuthority(directory: directory),
                                      system: try await TenantAccounts.connect(directory: directory, url: runtime.configuration.bus.url,
                                                                               logger: runtime.logger),
                                      keys: keys, credentials: NATSCredentialStore(pool: runtime.store, schema: configuration.schema),
                                      logger: runtime.logger)
        }
        let router = makeRouter(runtime: runtime, configuration: configuration, keys: keys, accounts: accounts)
        let authenticator = router.authenticator
        // Every replica forgets a revoked key at once.
        let revocations = BroadcastListener(bus: runtime.bus, subject: Authenticator.revokedSubject) { revocation in
            authenticator.forget(String(decoding: revocation.payload, as: UTF8.self))
        }
        return (router, [revocations] + (accounts.map { [$0] } ?? []))
    }

    static func makeRouter(runtime: ServiceRuntime, configuration: GatewayConfiguration, keys: KeyStore,
                           accounts: TenantAccounts? = nil) -> GatewayRouter {
        let authenticator = Authenticator(keys: keys, jwt: configuration.jwt.map(JWTVerifier.init), cacheTTL: configuration.keyCacheTTL)
        let limiter = RateLimiter(redis: runtime.cache, keyPrefix: configuration.rateLimitPrefix,
                                  perCredential: .init(rate: Double(configuration.ratePerCredential), burst: configuration.burstPerCredential),
                                  perTenant: .init(rate: Double(configuration.ratePerTenant), burst: configuration.burstPerTenant),
                                  logger: runtime.logger)
        return GatewayRouter(
            authenticator: authenticator, limiter: limiter,
            calls: ServiceCallHandler(bus: runtime.bus, timeout: configuration.serviceTimeout, maxBodyBytes: configuration.maxBodyBytes,
                                      batchLimits: .init(maxBatch: configuration.batchMax, maxInFlight: configuration.batchInFlight)),
            local: LocalHandler(keys: keys, authenticator: authenticator, bus: runtime.bus, maxBodyBytes: configuration.maxBodyBytes,
                                accounts: accounts),
            missions: MissionStream(bus: runtime.bus, timeout: configuration.serviceTimeout),
            outputs: StepOutputDownload(bus: runtime.bus, timeout: configuration.serviceTimeout, store: OutputStore(jetStream: runtime.bus.jetStream)),
            checks: readinessChecks(runtime), corsOrigins: configuration.corsOrigins, registry: RuntimeBootstrap.registry)
    }

    /// The OpenAPI 3.1 document served at /openapi.json.
    public static func openAPIDocument() -> String { OpenAPIDocument.make().serializedString }

    /// NATS and PostgreSQL (credentials) are required; without Redis requests
    /// pass without rate limits, and `/ready` says degraded.
    public static func readinessChecks(_ runtime: ServiceRuntime) -> [ReadinessCheck] {
        runtime.standardChecks(redisRequired: false)
    }
}
