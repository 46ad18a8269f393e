import AgionRuntime

/// Coordination's own settings, on top of `ServiceConfiguration`.
///
/// | Key | Type | Default |
/// |-----|------|---------|
/// | `AGION_COORDINATION_SCHEMA` | PostgreSQL identifier | `coordination` |
/// | `AGION_COORDINATION_TIMER_POLL_MS` | int ≥ 1 | `200` |
/// | `AGION_COORDINATION_AGENT_CACHE_MS` | int ≥ 1 | `1000` |
/// | `AGION_COORDINATION_REGISTRY_TIMEOUT_MS` | int ≥ 1 | `2000` |
public struct CoordinationConfiguration: EnvironmentConfiguration, Sendable {
    /// The PostgreSQL schema coordination owns (tests use one of their own).
    public var schema = "coordination"
    /// How often a replica looks for due timers (retries, deadlines) when
    /// nothing woke it sooner: the longest a retry or a deadline is late.
    public var timerPollInterval: Duration = .milliseconds(200)
    /// How long the agents of a capability (from the registry) are reused
    /// before being asked for again.
    public var agentCacheTTL: Duration = .seconds(1)
    public var registryTimeout: Duration = .seconds(2)

    public init() {}

    public init(environment: [String: String]) throws(ConfigurationError) {
        let env = EnvironmentReader(environment)
        schema = try env.schema("AGION_COORDINATION_SCHEMA") ?? schema
        timerPollInterval = try env.milliseconds("AGION_COORDINATION_TIMER_POLL_MS") ?? timerPollInterval
        agentCacheTTL = try env.milliseconds("AGION_COORDINATION_AGENT_CACHE_MS") ?? agentCacheTTL
        registryTimeout = try env.milliseconds("AGION_COORDINATION_REGISTRY_TIMEOUT_MS") ?? registryTimeout
    }
}
