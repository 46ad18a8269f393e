import AgionContract

/// A policy prepared for evaluation: rules whose actions are all exact names
/// are indexed by action, so a request looks only at the rules for its action
/// plus those with patterns. Immutable and shared by all request threads.
public final class CompiledPolicy: Sendable {
    public let policy: Policy
    private let byAction: [String: [Int]]
    private let patternRules: [Int]

    public init(_ policy: Policy) {
        self.policy = policy
        var byAction: [String: [Int]] = [:]
        var patternRules: [Int] = []
        for (index, rule) in policy.rules.enumerated() {
            let exact = rule.actions.compactMap(\.exactText)
            if exact.count == rule.actions.count {
                for action in Set(exact) { byAction[action, default: []].append(index) }
            } else {
                patternRules.append(index)
            }
        }
        self.byAction = byAction
        self.patternRules = patternRules
    }

    /// Deny wins over require_approval, which wins over allow; no matching rule
    /// gives the default (deny). Pure: the same request gives the same answer.
    public func evaluate(_ request: PolicyRequest) -> Evaluation {
        let depth = request.delegationChain.count
        if depth > policy.defaults.maxDelegationDepth {
            return Evaluation(effect: .deny, reasons: ["delegation depth \(depth) exceeds the maximum of \(policy.defaults.maxDelegationDepth)"])
        }
        var denies: [Int] = [], approvals: [Int] = [], allows: [Int] = []
        var trustMisses: [String] = []
        forEachCandidate(for: request.action) { index in
            let rule = policy.rules[index]
            guard matches(rule, request, depth: depth) else { return }
            if let min = rule.minTrust, request.trust < min {
                if rule.effect != .deny { trustMisses.append("rule \(rule.id) needs trust ≥ \(min); the agent has \(Self.format(request.trust))") }
                return
            }
            if let max = rule.maxTrust, request.trust > max { return }
            switch rule.effect {
            case .deny: denies.append(index)
            case .requireApproval: approvals.append(index)
            case .allow: allows.append(index)
            }
        }
        if !denies.isEmpty {
            return Evaluation(effect: .deny, ruleIDs: denies.map { policy.rules[$0].id }, reasons: denies.map { reason(for: policy.rules[$0], "denies") })
        }
        let deciding = approvals.isEmpty ? allows : approvals + allows
        guard !deciding.isEmpty else {
            let base = "no rule allows '\(request.action)' for \(request.agentID)" + (request.principal.map { " on behalf of \($0)" } ?? "")
            return Evaluation(effect: policy.defaults.effect, reasons: [base] + trustMisses)
        }
        let rules = deciding.sorted().map { policy.rules[$0] }
        var obligations: [Obligation] = []
        for obligation in rules.flatMap(\.obligations) where !obligations.contains(obligation) { obligations.append(obligation) }
        return Evaluation(
            effect: approvals.isEmpty ? .allow : .requireApproval,
            ruleIDs: rules.map(\.id),
            reasons: rules.map { reason(for: $0, $0.effect == .allow ? "allows" : "requires approval") },
            obligations: obligations,
            rateLimits: rules.compactMap { rule in rule.rateLimit.map { use(of: $0, rule: rule, request) } })
    }

    /// Rule indices for `action` in document order: the indexed ones merged
    /// with the pattern rules.
    private func forEachCandidate(for action: String, _ body: (Int) -> Void) {
        let indexed = byAction[action] ?? []
        var i = 0, j = 0
        while i < indexed.count || j < patternRules.count {
            if j >= patternRules.count || (i < indexed.count && indexed[i] < patternRules[j]) {
                body(indexed[i]); i += 1
            } else {
                body(patternRules[j]); j += 1
            }
        }
    }

    private func matches(_ rule: Rule, _ request: PolicyRequest, depth: Int) -> Bool {
        guard rule.agents.contains(where: { $0.matches(request.agentID) }) else { return false }
        guard rule.actions.contains(where: { $0.matches(request.action) }) else { return false }
        if !rule.principals.isEmpty {
            let principalMatches = request.principal.map { p in rule.principals.contains { $0.matches(p) } } ?? false
            // A denied principal cannot act through a longer delegation chain.
            let chainMatches = rule.effect == .deny && request.delegationChain.contains { p in rule.principals.contains { $0.matches(p) } }
            guard principalMatches || chainMatches else { return false }
        }
        if let max = rule.maxDelegationDepth, depth > max { return false }
        if let window = rule.timeWindow, !window.contains(unixSeconds: request.unixSeconds) { return false }
        return rule.conditions.allSatisfy { $0.holds(in: request.context) }
    }

    private func use(of limit: RateLimit, rule: Rule, _ request: PolicyRequest) -> RateLimitUse {
        let subject = switch limit.scope {
        case .agent: "agent \(request.agentID)"
        case .action: "action \(request.action)"
        case .agentAction: "agent \(request.agentID) and action \(request.action)"
        case .principal: "principal \(request.principal ?? "(none)")"
        }
        return RateLimitUse(ruleID: rule.id, subject: subject, max: limit.max, windowSeconds: limit.windowSeconds)
    }

    private func reason(for rule: Rule, _ verb: String) -> String {
        rule.description.isEmpty ? "rule \(rule.id) \(verb)" : "rule \(rule.id) \(verb): \(rule.description)"
    }

    static func format(_ value: Double) -> String {
        let scaled = (value * 1_000).rounded() / 1_000
        return String(scaled)
    }
}
