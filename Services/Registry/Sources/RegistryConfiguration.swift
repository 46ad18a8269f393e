import AgionRuntime

/// The registry's own settings, on top of `ServiceConfiguration`.
///
/// | Key | Type | Default |
/// |-----|------|---------|
/// | `AGION_REGISTRY_SCHEMA` | PostgreSQL identifier | `registry` |
/// | `AGION_REGISTRY_SWEEP_INTERVAL_MS` | int ≥ 1 | `1000` |
/// | `AGION_REGISTRY_OFFLINE_AFTER_TTLS` | int ≥ 1 | `3` |
/// | `AGION_REGISTRY_TRUST_TIMEOUT_MS` | int ≥ 1 | `250` |
public struct RegistryConfiguration: EnvironmentConfiguration, Sendable {
    /// The PostgreSQL schema the registry owns (tests use one of their own).
    public var schema = "registry"
    /// How often a replica looks for agents whose heartbeats are overdue.
    public var sweepInterval: Duration = .seconds(1)
    /// An agent without heartbeats is `unhealthy` after one TTL and `offline`
    /// after this many.
    public var offlineAfterTTLs = 3
    /// How long capability search waits for trust scores from governance
    /// before answering without them.
    public var trustTimeout: Duration = .milliseconds(250)

    public init() {}

    public init(environment: [String: String]) throws(ConfigurationError) {
        let env = EnvironmentReader(environment)
        schema = try env.schema("AGION_REGISTRY_SCHEMA") ?? schema
        sweepInterval = try env.milliseconds("AGION_REGISTRY_SWEEP_INTERVAL_MS") ?? sweepInterval
        offlineAfterTTLs = try env.positive("AGION_REGISTRY_OFFLINE_AFTER_TTLS") ?? offlineAfterTTLs
        trustTimeout = try env.milliseconds("AGION_REGISTRY_TRUST_TIMEOUT_MS") ?? trustTimeout
    }
}
