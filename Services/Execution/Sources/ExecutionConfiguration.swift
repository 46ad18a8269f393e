import AgionRuntime

/// Execution's own settings, on top of `ServiceConfiguration`.
///
/// | Key | Type | Default |
/// |-----|------|---------|
/// | `AGION_EXECUTION_SCHEMA` | PostgreSQL identifier | `execution` |
/// | `AGION_EXECUTION_CONCURRENCY` | int ≥ 1: attempts one replica runs at once | `16` |
/// | `AGION_EXECUTION_CONSUMER` | the shared durable on AGION_STEPS | `execution` |
/// | `AGION_EXECUTION_GOVERNANCE_TIMEOUT_MS` | int ≥ 1 | `5000` |
/// | `AGION_EXECUTION_MAX_OUTPUT_BYTES` | int ≥ 1 | `1048576` |
public struct ExecutionConfiguration: EnvironmentConfiguration, Sendable {
    public var schema = "execution"
    /// Attempts run at once per replica (each holds one work message):
    /// agents take seconds, so this is how much waiting a replica overlaps.
    public var concurrency = 16
    public var consumer = "execution"
    /// How long a governance check, validation or report may take.
    public var governanceTimeout: Duration = .seconds(5)
    /// An agent's answer larger than this fails the attempt (`output_too_large`).
    public var maxOutputBytes = 1 << 20

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
    }
}
