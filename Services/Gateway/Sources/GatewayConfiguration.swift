import AgionRuntime
import Foundation

/// The gateway's own settings, on top of `ServiceConfiguration`.
///
/// | Key | Type | Default |
/// |-----|------|---------|
/// | `AGION_GATEWAY_HOST` | host | `0.0.0.0` |
/// | `AGION_GATEWAY_PORT` | port | `8080` |
/// | `AGION_GATEWAY_SCHEMA` | PostgreSQL identifier | `gateway` |
/// | `AGION_GATEWAY_MAX_BODY_BYTES` | int ≥ 1 | `1048576` |
/// | `AGION_GATEWAY_SERVICE_TIMEOUT_MS` | int ≥ 1 | `5000` |
/// | `AGION_GATEWAY_KEY_CACHE_MS` | int ≥ 1 | `5000` |
/// | `AGION_GATEWAY_IDLE_TIMEOUT_MS` | int ≥ 1 | `60000` |
/// | `AGION_GATEWAY_BATCH_MAX` | int ≥ 1 (1: no batching) | `64` |
/// | `AGION_GATEWAY_BATCH_IN_FLIGHT` | int ≥ 1 | `1` |
/// | `AGION_GATEWAY_EVENT_LOOPS` | int ≥ 1 | one per core (NIO's `System.coreCount`, which follows a container's CPU quota) |
/// | `AGION_NATS_AUTH_DIR` | the NATS authority's directory (docs/security.md): the gateway issues agent containers' NATS credentials and keeps tenants' accounts on the servers | none: no NATS credentials |
/// | `AGION_GATEWAY_BOOTSTRAP_KEY_FILE` | path, or empty for none | `.run/credentials/admin.key` |
/// | `AGION_GATEWAY_BOOTSTRAP_KEY` | an API key (`agion_…`) to make the first admin key on a fresh database | none: generate one |
/// | `AGION_GATEWAY_RATE_PER_CREDENTIAL` / `_BURST_PER_CREDENTIAL` | requests/s, int ≥ 1 | `1000` / `2000` |
/// | `AGION_GATEWAY_RATE_PER_TENANT` / `_BURST_PER_TENANT` | requests/s, int ≥ 1 | `10000` / `20000` |
/// | `AGION_GATEWAY_RATE_LIMIT_PREFIX` | Redis key prefix | `agion:gw:rl` |
/// | `AGION_GATEWAY_CORS_ORIGINS` | comma-separated origins, or `*` | none (no CORS) |
/// | `AGION_GATEWAY_JWT_HS256_SECRET` | shared secret (≥ 32 bytes) for HS256 tokens | none |
/// | `AGION_GATEWAY_JWT_PUBLIC_KEYS` | comma-separated PEM files (RSA or P-256; the file name is the `kid`) | none |
/// | `AGION_GATEWAY_JWT_ISSUER` / `_AUDIENCE` | required `iss` / `aud` (both needed when tokens are on) | none |
public struct GatewayConfiguration: EnvironmentConfiguration, Sendable {
    public var host = "0.0.0.0"
    public var port = 8080
    /// The PostgreSQL schema the gateway owns (tenants, API keys).
    public var schema = "gateway"
    /// Larger bodies get 413 before they are read to the end.
    public var maxBodyBytes = 1 << 20
    /// How long a route waits for its service: then 504.
    public var serviceTimeout: Duration = .seconds(5)
    /// A client connection that sends nothing for this long is closed, so idle
    /// or abandoned keep-alive connections do not pile up.
    public var idleTimeout: Duration = .seconds(60)
    /// Checks in one NATS message to governance at most (`RequestBatcher`); 1
    /// sends every check alone.
    public var batchMax = 64
    /// Checks or batches of checks on the wire at once; more wait for the next batch.
    public var batchInFlight = 1
    /// Threads serving HTTP (and the gateway's tasks); nil: one per core.
    /// Fewer when the gateway shares its cores with other busy processes.
    public var eventLoops: Int?
    /// How long a replica trusts what it read about an API key (revocations
    /// are broadcast and apply at once; this bounds a missed broadcast).
    public var keyCacheTTL: Duration = .seconds(5)
    /// Where the first admin key is written on a fresh database (nil: not written).
    public var bootstrapKeyFile: String? = ".run/credentials/admin.key"
    /// The first admin key itself, chosen by the operator (a Kubernetes
    /// Secret): on a fresh database this key is installed instead of a new
    /// one, so nothing has to be read back from the gateway. nil: generate.
    public var bootstrapKey: APIKey?
    /// Where the NATS authority's keys are (`NATSAuthority`); nil: NATS runs
    /// without authentication and the credential routes answer 409.
    public var natsAuthDirectory: String?
    /// Token buckets per credential and per tenant, shared by the replicas through Redis.
    public var ratePerCredential = 1_000
    public var burstPerCredential = 2_000
    public var ratePerTenant = 10_000
    public var burstPerTenant = 20_000
    public var rateLimitPrefix = "agion:gw:rl"
    /// Origins browsers may call the API from (`*`: any); empty: none.
    public var corsOrigins: Set<String> = []
    /// JWT bearer tokens; nil: API keys only.
    public var jwt: JWTVerifier.Settings?

    public init() {}

    public init(environment: [String: String]) throws(ConfigurationError) {
        let env = EnvironmentReader(environment)
        host = try env.string("AGION_GATEWAY_HOST") ?? host
        port = try env.port("AGION_GATEWAY_PORT") ?? port
        schema = try env.schema("AGION_GATEWAY_SCHEMA") ?? schema
        maxBodyBytes = try env.positive("AGION_GATEWAY_MAX_BODY_BYTES") ?? maxBodyBytes
        serviceTimeout = try env.milliseconds("AGION_GATEWAY_SERVICE_TIMEOUT_MS") ?? serviceTimeout
        keyCacheTTL = try env.milliseconds("AGION_GATEWAY_KEY_CACHE_MS") ?? keyCacheTTL
        idleTimeout = try env.milliseconds("AGION_GATEWAY_IDLE_TIMEOUT_MS") ?? idleTimeout
        batchMax = try env.positive("AGION_GATEWAY_BATCH_MAX") ?? batchMax
        batchInFlight = try env.positive("AGION_GATEWAY_BATCH_IN_FLIGHT") ?? batchInFlight
        eventLoops = try env.positive("AGION_GATEWAY_EVENT_LOOPS") ?? eventLoops
        natsAuthDirectory = try env.string("AGION_NATS_AUTH_DIR")
        if let file = env.raw("AGION_GATEWAY_BOOTSTRAP_KEY_FILE") { bootstrapKeyFile = file.isEmpty ? nil : file }
        if let text = try env.string("AGION_GATEWAY_BOOTSTRAP_KEY") {
            guard let key = APIKey(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw ConfigurationError(key: "AGION_GATEWAY_BOOTSTRAP_KEY",
                                         reason: "must be an API key: agion_, 16 hex digits, _, 43 base64url characters (docs/deploy.md)")
            }
            bootstrapKey = key
        }
        ratePerCredential = try env.positive("AGION_GATEWAY_RATE_PER_CREDENTIAL") ?? ratePerCredential
        burstPerCredential = try env.positive("AGION_GATEWAY_BURST_PER_CREDENTIAL") ?? burstPerCredential
        ratePerTenant = try env.positive("AGION_GATEWAY_RATE_PER_TENANT") ?? ratePerTenant
        burstPerTenant = try env.positive("AGION_GATEWAY_BURST_PER_TENANT") ?? burstPerTenant
        rateLimitPrefix = try env.string("AGION_GATEWAY_RATE_LIMIT_PREFIX") ?? rateLimitPrefix
        jwt = try Self.jwtSettings(env)
        if let origins = try env.string("AGION_GATEWAY_CORS_ORIGINS") {
            corsOrigins = Set(origins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
    }

    private static func jwtSettings(_ env: EnvironmentReader) throws(ConfigurationError) -> JWTVerifier.Settings? {
        let secret = env.raw("AGION_GATEWAY_JWT_HS256_SECRET").map { Array($0.utf8) }
        var keys: [JWTVerifier.PublicKey] = []
        for path in try env.string("AGION_GATEWAY_JWT_PUBLIC_KEYS")?.split(separator: ",") ?? [] {
            let path = path.trimmingCharacters(in: .whitespaces)
            do {
                let pem = try String(contentsOfFile: path, encoding: .utf8)
                let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
                keys.append(try JWTVerifier.PublicKey(pem: pem, keyID: name))
            } catch {
                throw ConfigurationError(key: "AGION_GATEWAY_JWT_PUBLIC_KEYS", reason: "\(path) is not a readable RSA or P-256 public key in PEM (\(error))")
            }
        }
        guard secret != nil || !keys.isEmpty else { return nil }
        if let secret, secret.count < 32 {
            throw ConfigurationError(key: "AGION_GATEWAY_JWT_HS256_SECRET", reason: "is shorter than 32 bytes")
        }
        guard let issuer = try env.string("AGION_GATEWAY_JWT_ISSUER") else {
            throw ConfigurationError(key: "AGION_GATEWAY_JWT_ISSUER", reason: "is required when JWTs are accepted")
        }
        guard let audience = try env.string("AGION_GATEWAY_JWT_AUDIENCE") else {
            throw ConfigurationError(key: "AGION_GATEWAY_JWT_AUDIENCE", reason: "is required when JWTs are accepted")
        }
        return JWTVerifier.Settings(hs256Secret: secret, publicKeys: keys, issuer: issuer, audience: audience)
    }
}
