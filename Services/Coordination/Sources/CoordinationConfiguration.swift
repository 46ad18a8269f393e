import AgionRuntime

/// Coordination's own settings, on top of `ServiceConfiguration`.
///
/// | Key | Type | Default |
/// |-----|------|---------|
/// | `AGION_COORDINATION_SCHEMA` | PostgreSQL identifier | `coordination` |
/// | `AGION_COORDINATION_TIMER_POLL_MS` | int ≥ 1 | `200` |
/// | `AGION_COORDINATION_AGENT_CACHE_MS` | int ≥ 1 | `1000` |
/// | `AGION_COORDINATION_REGISTRY_TIMEOUT_MS` | int ≥ 1 | `2000` |
/// | `AGION_COORDINATION_SCHEDULE_POLL_MS` | int ≥ 1 | `1000` |
/// | `AGION_COORDINATION_DISPATCH_WINDOW` | int ≥ 1: step attempts out to execution at once | `24` |
/// | `AGION_COORDINATION_DISPATCH_POLL_MS` | int ≥ 1 | `100` |
/// | `AGION_COORDINATION_MAX_RUNNING_MISSIONS` | int ≥ 0 per tenant, 0: none | `0` |
/// | `AGION_COORDINATION_MAX_RUNNING_STEPS` | int ≥ 0 per tenant, 0: none | `0` |
/// | `AGION_COORDINATION_OUTPUT_RETENTION_HOURS` | int ≥ 0: finished missions' stored outputs kept this long, 0: for ever | `0` |
/// | `AGION_COORDINATION_OUTPUT_SWEEP_MS` | int ≥ 1: how often a replica deletes outputs past their retention | `60000` |
/// | `AGION_COORDINATION_TENANT_LIMITS` | JSON: tenant to its own limits and retention | none |
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
    /// How often a replica looks for due schedules: the longest a firing is late.
    public var schedulePollInterval: Duration = .seconds(1)
    /// Step attempts handed to execution and not finished, at most: what
    /// waits beyond it is handed out fairly between tenants (FairDispatch).
    /// About the attempts all execution replicas run at once, plus a few:
    /// what is out beyond those waits in AGION_STEPS, first come first
    /// served, ahead of any other tenant's next step (the default suits one
    /// replica at AGION_EXECUTION_CONCURRENCY 16; missions.fairness).
    public var dispatchWindow = 24
    /// How often a replica looks for attempts to hand out when nothing woke it.
    public var dispatchPollInterval: Duration = .milliseconds(100)
    public var tenantLimits = TenantLimits()
    /// How often a replica looks for finished missions' outputs past their retention.
    public var outputSweepInterval: Duration = .seconds(60)
    /// The time missions are decided by (tests move a tenant's on).
    public var clock = MissionClock()

    public init() {}

    public init(environment: [String: String]) throws(ConfigurationError) {
        let env = EnvironmentReader(environment)
        schema = try env.schema("AGION_COORDINATION_SCHEMA") ?? schema
        timerPollInterval = try env.milliseconds("AGION_COORDINATION_TIMER_POLL_MS") ?? timerPollInterval
        agentCacheTTL = try env.milliseconds("AGION_COORDINATION_AGENT_CACHE_MS") ?? agentCacheTTL
        registryTimeout = try env.milliseconds("AGION_COORDINATION_REGISTRY_TIMEOUT_MS") ?? registryTimeout
        schedulePollInterval = try env.milliseconds("AGION_COORDINATION_SCHEDULE_POLL_MS") ?? schedulePollInterval
        dispatchWindow = try env.positive("AGION_COORDINATION_DISPATCH_WINDOW") ?? dispatchWindow
        dispatchPollInterval = try env.milliseconds("AGION_COORDINATION_DISPATCH_POLL_MS") ?? dispatchPollInterval
        let defaults = TenantLimits.Limits(maxRunningMissions: try env.nonNegative("AGION_COORDINATION_MAX_RUNNING_MISSIONS") ?? 0,
                                           maxRunningSteps: try env.nonNegative("AGION_COORDINATION_MAX_RUNNING_STEPS") ?? 0,
                                           outputRetentionHours: try env.nonNegative("AGION_COORDINATION_OUTPUT_RETENTION_HOURS") ?? 0)
        outputSweepInterval = try env.milliseconds("AGION_COORDINATION_OUTPUT_SWEEP_MS") ?? outputSweepInterval
        let overrides = try env.string("AGION_COORDINATION_TENANT_LIMITS").map { text throws(ConfigurationError) in
            try TenantLimits.overrides(json: text, key: "AGION_COORDINATION_TENANT_LIMITS")
        } ?? [:]
        tenantLimits = TenantLimits(defaults: defaults, overrides: overrides)
    }
}
