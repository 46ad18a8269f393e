import AgionRuntime

/// Execution's own settings, on top of `ServiceConfiguration`.
///
/// | Key | Type | Default |
/// |-----|------|---------|
/// | `AGION_EXECUTION_SCHEMA` | PostgreSQL identifier | `execution` |
/// | `AGION_EXECUTION_CONCURRENCY` | int ≥ 1: attempts one replica runs at once | `16` |
/// | `AGION_EXECUTION_CONSUMER` | the shared durable on AGION_STEPS | `execution` |
/// | `AGION_EXECUTION_GOVERNANCE_TIMEOUT_MS` | int ≥ 1 | `5000` |
/// | `AGION_EXECUTION_MAX_OUTPUT_BYTES` | int ≥ 1: an agent's answer beyond this fails the attempt | `16777216` (16 MiB) |
/// | `AGION_EXECUTION_INLINE_OUTPUT_BYTES` | int ≥ 1: larger outputs go to the output store, the events hold a reference | `65536` |
/// | `AGION_EXECUTION_STARTED_AFTER_MS` | int ≥ 1: report `attempt_started` for attempts still running this long | `250` |
public struct ExecutionConfiguration: EnvironmentConfiguration, Sendable {
    public var schema = "execution"
    /// Attempts run at once per replica (each holds one work message):
    /// agents take seconds, so this is how much waiting a replica overlaps.
    public var concurrency = 16
    public var consumer = "execution"
    /// How long a governance check, validation or report may take.
    public var governanceTimeout: Duration = .seconds(5)
    /// An agent's answer larger than this fails the attempt (`output_too_large`).
    public var maxOutputBytes = 16 << 20
    /// Outputs whose JSON is larger are stored once in `AGION_OUTPUTS`
    /// (`OutputStore`) and reported as an `OutputReference`: the mission's
    /// events, projection and work messages stay small whatever agents answer.
    public var inlineOutputBytes = 64 << 10
    /// `attempt_started` is reported for an attempt still running after this
    /// long: a quick attempt goes from scheduled to its end without it (its
    /// start is in its end's latency), saving the mission a write and a
    /// relay per step; a long one shows as running (1 ms: every attempt).
    public var startedReportDelay: Duration = .milliseconds(250)

    public init() {}

    public init(environment: [String: String]) throws(ConfigurationError) {
        let env = EnvironmentReader(environment)
        schema = try env.schema("AGION_EXECUTION_SCHEMA") ?? schema
        concurrency = try env.positive("AGION_EXECUTION_CONCURRENCY") ?? concurrency
        if let consumer = try env.string("AGION_EXECUTION_CONSUMER") {
            guard consumer.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 45 }), consumer.utf8.count <= 64 else {
                throw ConfigurationError(key: "AGION_EXECUTION_CONSUMER", reason: "must be 1 to 64 of a-z, 0-9, '_' and '-'")
            }
            self.consumer = consumer
        }
        governanceTimeout = try env.milliseconds("AGION_EXECUTION_GOVERNANCE_TIMEOUT_MS") ?? governanceTimeout
        maxOutputBytes = try env.positive("AGION_EXECUTION_MAX_OUTPUT_BYTES") ?? maxOutputBytes
        inlineOutputBytes = try env.positive("AGION_EXECUTION_INLINE_OUTPUT_BYTES") ?? inlineOutputBytes
        startedReportDelay = try env.milliseconds("AGION_EXECUTION_STARTED_AFTER_MS") ?? startedReportDelay
    }
}
