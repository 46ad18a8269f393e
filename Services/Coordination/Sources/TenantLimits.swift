import AgionJSON
import AgionRuntime
import Synchronization

/// How much of the platform one tenant may hold at once: running missions
/// (a submission past it is refused, `overloaded`, and may be retried) and
/// running steps (attempts handed to execution; the rest wait their turn);
/// and how long its finished missions' stored outputs are kept.
/// Defaults for every tenant, and overrides per tenant from the
/// configuration (`AGION_COORDINATION_TENANT_LIMITS`); tests set them at run time.
public final class TenantLimits: Sendable {
    public struct Limits: Hashable, Sendable {
        /// 0: no limit.
        public var maxRunningMissions: Int
        public var maxRunningSteps: Int
        /// Hours a finished mission's stored outputs are kept (0: for ever);
        /// `OutputRetention` deletes them after, the history keeps their digests.
        public var outputRetentionHours: Int

        public init(maxRunningMissions: Int = 0, maxRunningSteps: Int = 0, outputRetentionHours: Int = 0) {
            self.maxRunningMissions = maxRunningMissions
            self.maxRunningSteps = maxRunningSteps
            self.outputRetentionHours = outputRetentionHours
        }
    }

    private let state: Mutex<(defaults: Limits, overrides: [String: Limits])>

    public init(defaults: Limits = Limits(), overrides: [String: Limits] = [:]) {
        state = Mutex((defaults, overrides))
    }

    public func limits(for tenant: String) -> Limits {
        state.withLock { $0.overrides[tenant] ?? $0.defaults }
    }

    public func set(_ limits: Limits, for tenant: String) {
        state.withLock { $0.overrides[tenant] = limits }
    }

    /// `{"acme": {"max_running_missions": 100, "max_running_steps": 20, "output_retention_hours": 720}, ...}`;
    /// a field left out is 0 (no limit, kept for ever).
    static func overrides(json text: String, key: String) throws(ConfigurationError) -> [String: Limits] {
        guard let json = try? JSONValue.parse(Array(text.utf8)), case .object(let tenants) = json else {
            throw ConfigurationError(key: key, reason: "a JSON object of tenant to {max_running_missions, max_running_steps, output_retention_hours}")
        }
        var result: [String: Limits] = [:]
        for (tenant, value) in tenants {
            guard case .object(let fields) = value,
                  Set(fields.keys).isSubset(of: ["max_running_missions", "max_running_steps", "output_retention_hours"]) else {
                throw ConfigurationError(key: key, reason: "\(tenant): expected {max_running_missions, max_running_steps, output_retention_hours}")
            }
            func number(_ name: String) throws(ConfigurationError) -> Int {
                guard let field = fields[name] else { return 0 }
                guard case .integer(let n) = field, n >= 0, n <= 1_000_000 else {
                    throw ConfigurationError(key: key, reason: "\(tenant).\(name): a whole number from 0 (no limit) to 1000000")
                }
                return Int(n)
            }
            result[tenant] = Limits(maxRunningMissions: try number("max_running_missions"), maxRunningSteps: try number("max_running_steps"),
                                    outputRetentionHours: try number("output_retention_hours"))
        }
        return result
    }
}
