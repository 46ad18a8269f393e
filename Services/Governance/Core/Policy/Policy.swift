import AgionContract

/// A tenant's governance policy: the rules `check` evaluates, the output rules
/// `validate` applies, and the defaults. Made by `PolicyParser` from a YAML or
/// JSON document (docs/policies.md describes the format).
public struct Policy: Sendable, Hashable {
    public var defaults: PolicyDefaults
    public var rules: [Rule]
    public var outputRules: [OutputRule]

    public init(defaults: PolicyDefaults = PolicyDefaults(), rules: [Rule] = [], outputRules: [OutputRule] = []) {
        self.defaults = defaults
        self.rules = rules
        self.outputRules = outputRules
    }
}

public struct PolicyDefaults: Sendable, Hashable {
    /// The effect when no rule matches: deny (default deny) or require_approval.
    public var effect: Effect = .deny
    /// Longest delegation chain a request may carry.
    public var maxDelegationDepth = 3
    /// The effect when governance cannot reach its database or audit: deny
    /// (fail closed) unless the policy opts into allow.
    public var whenUnavailable: Effect = .deny

    public init() {}
}

/// One permission rule. A rule matches a request when every part it states
/// matches; parts it leaves out match anything.
public struct Rule: Sendable, Hashable {
    public var id: String
    public var description: String
    public var effect: Effect
    public var agents: [GlobPattern]
    public var actions: [GlobPattern]
    /// Patterns for the principal the agent acts for; empty matches any
    /// (including none). A deny rule also matches any principal of the delegation chain.
    public var principals: [GlobPattern]
    public var minTrust: Double?
    public var maxTrust: Double?
    public var maxDelegationDepth: Int?
    public var conditions: [Condition]
    public var timeWindow: TimeWindow?
    public var rateLimit: RateLimit?
    public var obligations: [Obligation]

    public init(id: String, description: String = "", effect: Effect, agents: [GlobPattern] = [.any], actions: [GlobPattern] = [.any],
                principals: [GlobPattern] = [], minTrust: Double? = nil, maxTrust: Double? = nil, maxDelegationDepth: Int? = nil,
                conditions: [Condition] = [], timeWindow: TimeWindow? = nil, rateLimit: RateLimit? = nil, obligations: [Obligation] = []) {
        self.id = id
        self.description = description
        self.effect = effect
        self.agents = agents
        self.actions = actions
        self.principals = principals
        self.minTrust = minTrust
        self.maxTrust = maxTrust
        self.maxDelegationDepth = maxDelegationDepth
        self.conditions = conditions
        self.timeWindow = timeWindow
        self.rateLimit = rateLimit
        self.obligations = obligations
    }
}

/// A test on one context field.
public struct Condition: Sendable, Hashable {
    public enum Operator: String, Sendable, Hashable, CaseIterable {
        case eq, ne, lt, lte, gt, gte
        case `in` = "in", notIn = "not_in"
        case matches, contains, exists
        case notExists = "not_exists"
    }
    /// Dotted path into the context, for example `customer.tier`.
    public var path: [String]
    public var op: Operator
    /// The operand; a list for `in` / `not_in`, a glob for `matches`, absent for `exists`.
    public var value: ContextValue
    /// `matches` compiled once.
    public var pattern: GlobPattern?

    public init(path: [String], op: Operator, value: ContextValue = .null) {
        self.path = path
        self.op = op
        self.value = value
        self.pattern = op == .matches ? value.string.map(GlobPattern.init) : nil
    }
}

/// When a rule applies: on these days, between these times (in a fixed UTC
/// offset). `from` after `to` spans midnight.
public struct TimeWindow: Sendable, Hashable {
    /// 0 = Sunday … 6 = Saturday; empty means every day.
    public var days: Set<Int>
    /// Minutes after midnight, local to `utcOffsetMinutes`.
    public var from: Int
    public var to: Int
    public var utcOffsetMinutes: Int

    public init(days: Set<Int> = [], from: Int = 0, to: Int = 24 * 60, utcOffsetMinutes: Int = 0) {
        self.days = days
        self.from = from
        self.to = to
        self.utcOffsetMinutes = utcOffsetMinutes
    }

    public func contains(unixSeconds: Int64) -> Bool {
        let local = unixSeconds + Int64(utcOffsetMinutes) * 60
        let dayNumber = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let minute = Int((local - dayNumber * 86_400) / 60)
        // 1970-01-01 was a Thursday (4).
        let weekday = Int(((dayNumber % 7) + 7 + 4) % 7)
        if from <= to {
            return (days.isEmpty || days.contains(weekday)) && minute >= from && minute < to
        }
        // Overnight: the part after midnight belongs to the previous day's window.
        if minute >= from { return days.isEmpty || days.contains(weekday) }
        if minute < to { return days.isEmpty || days.contains((weekday + 6) % 7) }
        return false
    }
}

/// At most `max` allowed decisions per `windowSeconds`, counted in Redis so
/// all replicas share the count.
public struct RateLimit: Sendable, Hashable {
    public enum Scope: String, Sendable, Hashable, CaseIterable {
        /// One budget per agent, across actions.
        case agent
        /// One budget per action, across agents.
        case action
        /// One budget per agent and action.
        case agentAction = "agent_action"
        /// One budget per principal.
        case principal
    }
    public var max: Int
    public var windowSeconds: Int
    public var scope: Scope

    public init(max: Int, windowSeconds: Int, scope: Scope = .agent) {
        self.max = max
        self.windowSeconds = windowSeconds
        self.scope = scope
    }
}

/// A rule for `validate`: what an agent's output must (not) contain.
public struct OutputRule: Sendable, Hashable {
    public var id: String
    public var description: String
    public var agents: [GlobPattern]
    public var actions: [GlobPattern]
    public var maxBytes: Int?
    /// Regular expressions that must not occur (secrets, keys, …).
    public var forbiddenPatterns: [String]
    /// Dotted paths that must exist when the output is JSON.
    public var requiredFields: [[String]]

    public init(id: String, description: String = "", agents: [GlobPattern] = [.any], actions: [GlobPattern] = [.any],
                maxBytes: Int? = nil, forbiddenPatterns: [String] = [], requiredFields: [[String]] = []) {
        self.id = id
        self.description = description
        self.agents = agents
        self.actions = actions
        self.maxBytes = maxBytes
        self.forbiddenPatterns = forbiddenPatterns
        self.requiredFields = requiredFields
    }
}
