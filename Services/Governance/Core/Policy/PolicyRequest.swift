import AgionContract

/// What `check` asks the policy: may this agent do this, now, for this principal?
public struct PolicyRequest: Sendable {
    public var agentID: String
    public var action: String
    /// Who the agent acts for; nil when it acts on its own.
    public var principal: String?
    /// The principals that delegated to `principal`, outermost first.
    public var delegationChain: [String]
    public var context: ContextValue
    /// The agent's trust score in [0, 1].
    public var trust: Double
    public var unixSeconds: Int64

    public init(agentID: String, action: String, principal: String? = nil, delegationChain: [String] = [],
                context: ContextValue = .object([:]), trust: Double = 0.5, unixSeconds: Int64) {
        self.agentID = agentID
        self.action = action
        self.principal = principal
        self.delegationChain = delegationChain
        self.context = context
        self.trust = trust
        self.unixSeconds = unixSeconds
    }
}

/// The policy's answer, before rate limits are drawn.
public struct Evaluation: Sendable, Hashable {
    public var effect: Effect
    /// The rules that decided (all matching deny rules for a deny).
    public var ruleIDs: [String]
    public var reasons: [String]
    public var obligations: [Obligation]
    /// Budgets the decision draws from; if any is exhausted, the caller turns
    /// the decision into a deny (`RateLimitUse.exceededReason`).
    public var rateLimits: [RateLimitUse]

    public init(effect: Effect, ruleIDs: [String] = [], reasons: [String] = [], obligations: [Obligation] = [], rateLimits: [RateLimitUse] = []) {
        self.effect = effect
        self.ruleIDs = ruleIDs
        self.reasons = reasons
        self.obligations = obligations
        self.rateLimits = rateLimits
    }
}

/// One rate-limited rule's budget for this request.
public struct RateLimitUse: Sendable, Hashable {
    public var ruleID: String
    /// What the budget is per: the agent id, the action, both, or the principal.
    public var subject: String
    public var max: Int
    public var windowSeconds: Int

    public var exceededReason: String {
        "rate limit of rule \(ruleID) reached: at most \(max) per \(windowSeconds) s for \(subject)"
    }
}
