import AgionRuntime

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
/// | `AGION_GATEWAY_BOOTSTRAP_KEY_FILE` | path, or empty for none | `.run/credentials/admin.key` |
public struct GatewayConfiguration: Sendable {
    public var host = "0.0.0.0"
    public var port = 8080
    /// The PostgreSQL schema the gateway owns (tenants, API keys).
    public var schema = "gateway"
    /// Larger bodies get 413 before they are read to the end.
    public var maxBodyBytes = 1 << 20
    /// How long a route waits for its service: then 504.
    public var serviceTimeout: Duration = .seconds(5)
    /// How long a replica trusts what it read about an API key (revocations
    /// are broadcast and apply at once; this bounds a missed broadcast).
    public var keyCacheTTL: Duration = .seconds(5)
    /// Where the first admin key is written on a fresh database (nil: not written).
    public var bootstrapKeyFile: String? = ".run/credentials/admin.key"

    public init() {}

    public init(environment: [String: String]) throws(ConfigurationError) {
        let env = EnvironmentReader(environment)
        host = try env.string("AGION_GATEWAY_HOST") ?? host
        port = try env.port("AGION_GATEWAY_PORT") ?? port
        schema = try env.schema("AGION_GATEWAY_SCHEMA") ?? schema
        maxBodyBytes = try env.positive("AGION_GATEWAY_MAX_BODY_BYTES") ?? maxBodyBytes
        serviceTimeout = try env.milliseconds("AGION_GATEWAY_SERVICE_TIMEOUT_MS") ?? serviceTimeout
        keyCacheTTL = try env.milliseconds("AGION_GATEWAY_KEY_CACHE_MS") ?? keyCacheTTL
        if let file = env.raw("AGION_GATEWAY_BOOTSTRAP_KEY_FILE") { bootstrapKeyFile = file.isEmpty ? nil : file }
    }
}
