import AgionContract
#if canImport(Glibc)
import Glibc
#endif

/// A policy prepared for evaluation. Rules are indexed by what their action
/// patterns pin down: exact actions by name, `segment.…` patterns by their
/// first dotted segment; a request looks at the rules of its action and of its
/// first segment plus the few whose patterns pin nothing (`*`, `*.read`), in
/// document order. Immutable and shared by all request threads.
public final class CompiledPolicy: Sendable {
    public let policy: Policy
    private let byAction: [String: [Int]]
    private let bySegment: [String: [Int]]
    private let unindexed: [Int]
    /// The rules behind references: the scan reads fields of a rule without
    /// copying the whole struct (and retaining its dozen arrays) per rule.
    private let boxes: [RuleBox]
    /// A first-pass action test per rule in flat, reference-free storage, so
    /// scanning thousands of pattern rules costs a few nanoseconds each.
    private let actionFilters: ActionFilters

    public init(_ policy: Policy) {
        self.policy = policy
        self.boxes = policy.rules.map(RuleBox.init)
        self.actionFilters = ActionFilters(policy.rules)
        var byAction: [String: [Int]] = [:], bySegment: [String: [Int]] = [:]
        var unindexed: [Int] = []
        for (index, rule) in policy.rules.enumerated() {
            switch Self.indexKeys(rule.actions) {
            case .exact(let actions): for action in actions { byAction[action, default: []].append(index) }
            case .segments(let segments): for segment in segments { bySegment[segment, default: []].append(index) }
            case nil: unindexed.append(index)
            }
        }
        self.byAction = byAction
        self.bySegment = bySegment
        self.unindexed = unindexed
    }

    private enum IndexKeys { case exact(Set<String>), segments(Set<String>) }

    /// Exact names when every pattern is exact; first segments when every
    /// pattern starts with a literal `segment.`; nil otherwise.
    private static func indexKeys(_ patterns: [GlobPattern]) -> IndexKeys? {
        let exact = patterns.compactMap(\.exactText)
        if exact.count == patterns.count { return .exact(Set(exact)) }
        let segments = patterns.compactMap { pattern -> String? in
            let literal = pattern.description.prefix { $0 != "*" && $0 != "?" }
            guard let dot = literal.firstIndex(of: ".") else { return nil }
            return String(literal[..<dot])
        }
        return segments.count == patterns.count ? .segments(Set(segments)) : nil
    }

    /// Deny wins over require_approval, which wins over allow; no matching rule
    /// gives the default (deny). Pure: the same request gives the same answer.
    public func evaluate(_ request: PolicyRequest) -> Evaluation {
        var agent = request.agentID, action = request.action
        return agent.withUTF8 { agentBytes in action.withUTF8 { actionBytes in evaluate(request, agentBytes, actionBytes) } }
    }

    private func evaluate(_ request: PolicyRequest, _ agent: UnsafeBufferPointer<UInt8>, _ action: UnsafeBufferPointer<UInt8>) -> Evaluation {
        let depth = request.delegationChain.count
        if depth > policy.defaults.maxDelegationDepth {
            return Evaluation(effect: .deny, reasons: ["delegation depth \(depth) exceeds the maximum of \(policy.defaults.maxDelegationDepth)"])
        }
        var denies: [Int] = [], approvals: [Int] = [], allows: [Int] = []
        var trustMisses: [String] = []
        forEachCandidate(for: request.action) { index in
            guard actionFilters.mayMatch(rule: index, action: action) else { return }
            let box = boxes[index]
            guard box.matches(agent: agent, action: action) else { return }
            let rule = box.rule
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

    /// Rule indices that may match `action`, in document order: a three-way
    /// merge of the sorted index lists.
    private func forEachCandidate(for action: String, _ body: (Int) -> Void) {
        let exact = byAction[action] ?? []
        let segment = action.firstIndex(of: ".").flatMap { bySegment[String(action[..<$0])] } ?? []
        var i = 0, j = 0, k = 0
        while true {
            let a = i < exact.count ? exact[i] : Int.max
            let b = j < segment.count ? segment[j] : Int.max
            let c = k < unindexed.count ? unindexed[k] : Int.max
            let next = min(a, b, c)
            if next == Int.max { return }
            if next == a { i += 1 } else if next == b { j += 1 } else { k += 1 }
            body(next)
        }
    }

    /// The parts of a match beyond agent and action.
    private func matches(_ rule: borrowing Rule, _ request: PolicyRequest, depth: Int) -> Bool {
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

private final class RuleBox: Sendable {
    let rule: Rule
    let agents: [GlobPattern]
    let actions: [GlobPattern]

    init(_ rule: Rule) {
        self.rule = rule
        self.agents = rule.agents
        self.actions = rule.actions
    }

    /// The cheap first test of the scan, on bytes prepared once per request.
    @inline(__always)
    func matches(agent: UnsafeBufferPointer<UInt8>, action: UnsafeBufferPointer<UInt8>) -> Bool {
        var matched = false
        for pattern in actions where pattern.matches(utf8: action) { matched = true; break }
        guard matched else { return false }
        for pattern in agents where pattern.matches(utf8: agent) { return true }
        return false
    }
}

/// For each rule with a single exact, prefix or suffix action pattern, that
/// pattern as (shape, offset, length) into one byte pool; other rules pass.
private struct ActionFilters: Sendable {
    private struct Filter: Sendable {
        var shape: GlobPattern.Shape
        var start: Int32
        var count: Int32
    }
    private let filters: [Filter]
    private let pool: [UInt8]

    init(_ rules: [Rule]) {
        var filters: [Filter] = [], pool: [UInt8] = []
        for rule in rules {
            if rule.actions.count == 1, let pattern = rule.actions.first, pattern.shape != .general {
                filters.append(Filter(shape: pattern.shape, start: Int32(pool.count), count: Int32(pattern.literal.count)))
                pool += pattern.literal
            } else {
                filters.append(Filter(shape: .any, start: 0, count: 0))
            }
        }
        self.filters = filters
        self.pool = pool
    }

    @inline(__always)
    func mayMatch(rule: Int, action: UnsafeBufferPointer<UInt8>) -> Bool {
        let filter = filters[rule]
        let count = Int(filter.count)
        switch filter.shape {
        case .any, .general: return true
        case .exact: if action.count != count { return false }
        case .prefix, .suffix: if action.count < count { return false }
        }
        if count == 0 { return true }
        let offset = filter.shape == .suffix ? action.count - count : 0
        return pool.withUnsafeBufferPointer { pool in memcmp(action.baseAddress! + offset, pool.baseAddress! + Int(filter.start), count) == 0 }
    }
}
