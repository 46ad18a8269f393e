import AgionContract
@testable import GovernanceCore
import Testing

@Suite struct PolicyEvaluationTests {
    /// Wednesday 2026-11-18 12:00 UTC.
    static let noonWednesday: Int64 = 1_795_003_200

    func evaluate(_ yaml: String, agent: String = "langgraph-v2:charts", action: String = "charts.render",
                  principal: String? = nil, chain: [String] = [], context: ContextValue = [:], trust: Double = 0.5,
                  at time: Int64 = noonWednesday) throws -> Evaluation {
        CompiledPolicy(try PolicyParser.parse(yaml)).evaluate(
            PolicyRequest(agentID: agent, action: action, principal: principal, delegationChain: chain, context: context,
                          trust: trust, unixSeconds: time))
    }

    @Test func noMatchingRuleIsADefaultDenyWithAReason() throws {
        let result = try evaluate("rules: [{id: other, effect: allow, actions: [mail.send]}]")
        #expect(result.effect == .deny)
        #expect(result.ruleIDs.isEmpty)
        #expect(result.reasons == ["no rule allows 'charts.render' for langgraph-v2:charts"])
        #expect(try evaluate("rules: []").effect == .deny)
    }

    @Test func theDefaultCanBeRequireApproval() throws {
        #expect(try evaluate("defaults: {effect: require_approval}\nrules: []").effect == .requireApproval)
    }

    @Test func denyWinsOverAllowAndApproval() throws {
        let yaml = """
            rules:
              - {id: allow-all, effect: allow}
              - {id: approve, effect: require_approval, actions: ["charts.*"]}
              - {id: deny-render, effect: deny, actions: [charts.render], description: no rendering today}
            """
        let result = try evaluate(yaml)
        #expect(result.effect == .deny)
        #expect(result.ruleIDs == ["deny-render"])
        #expect(result.reasons == ["rule deny-render denies: no rendering today"])
        let other = try evaluate(yaml, action: "charts.export")
        #expect(other.effect == .requireApproval)
        #expect(other.ruleIDs == ["allow-all", "approve"])
        #expect(try evaluate(yaml, action: "mail.send").effect == .allow)
    }

    @Test func agentAndActionPatterns() throws {
        let yaml = "rules: [{id: r, effect: allow, agents: ['*:chart?', 'crewai:*'], actions: ['charts.*', '*.read']}]"
        #expect(try evaluate(yaml, agent: "langgraph-v2:charts").effect == .allow)
        #expect(try evaluate(yaml, agent: "crewai:anything", action: "db.read").effect == .allow)
        #expect(try evaluate(yaml, agent: "langgraph-v2:chartsx").effect == .deny)
        #expect(try evaluate(yaml, action: "mail.send").effect == .deny)
    }

    @Test func trustBoundsGateRulesAndExplainTheMiss() throws {
        let yaml = """
            rules:
              - {id: trusted, effect: allow, min_trust: 0.7}
              - {id: distrusted, effect: deny, max_trust: 0.2}
            """
        #expect(try evaluate(yaml, trust: 0.8).effect == .allow)
        let low = try evaluate(yaml, trust: 0.5)
        #expect(low.effect == .deny)
        #expect(low.reasons.contains("rule trusted needs trust ≥ 0.7; the agent has 0.5"))
        let veryLow = try evaluate(yaml, trust: 0.1)
        #expect(veryLow.ruleIDs == ["distrusted"])
    }

    @Test(arguments: [
        ("{field: amount, op: lt, value: 100}", ["amount": 50] as ContextValue, true),
        ("{field: amount, op: lt, value: 100}", ["amount": 100] as ContextValue, false),
        ("{field: amount, op: lte, value: 100}", ["amount": 100] as ContextValue, true),
        ("{field: amount, op: gt, value: 100}", ["amount": 101] as ContextValue, true),
        ("{field: amount, op: gte, value: 100}", ["amount": 99] as ContextValue, false),
        ("{field: amount, op: lt, value: 100}", ["amount": "50"] as ContextValue, false),
        ("{field: amount, op: lt, value: 100}", [:] as ContextValue, false),
        ("{field: region, op: eq, value: eu}", ["region": "eu"] as ContextValue, true),
        ("{field: region, op: ne, value: eu}", ["region": "us"] as ContextValue, true),
        ("{field: region, op: ne, value: eu}", [:] as ContextValue, true),
        ("{field: customer.tier, op: in, value: [gold, silver]}", ["customer": ["tier": "gold"]] as ContextValue, true),
        ("{field: customer.tier, op: in, value: [gold, silver]}", ["customer": ["tier": "bronze"]] as ContextValue, false),
        ("{field: customer.tier, op: not_in, value: [banned]}", ["customer": ["tier": "gold"]] as ContextValue, true),
        ("{field: url, op: matches, value: 'https://*.example.com/*'}", ["url": "https://api.example.com/v1"] as ContextValue, true),
        ("{field: url, op: matches, value: 'https://*.example.com/*'}", ["url": "https://evil.com/x"] as ContextValue, false),
        ("{field: tags, op: contains, value: pii}", ["tags": ["pii", "eu"]] as ContextValue, true),
        ("{field: query, op: contains, value: DROP}", ["query": "DROP TABLE x"] as ContextValue, true),
        ("{field: dry_run, op: eq, value: true}", ["dry_run": true] as ContextValue, true),
        ("{field: ticket, op: exists}", ["ticket": "T-1"] as ContextValue, true),
        ("{field: ticket, op: not_exists}", ["ticket": "T-1"] as ContextValue, false),
    ])
    func conditionsOnContextFields(condition: String, context: ContextValue, allowed: Bool) throws {
        let result = try evaluate("rules: [{id: r, effect: allow, when: [\(condition)]}]", context: context)
        #expect(result.effect == (allowed ? .allow : .deny))
    }

    @Test func timeWindowsIncludingOvernight() throws {
        let office = "rules: [{id: r, effect: allow, time_window: {days: [mon, tue, wed, thu, fri], from: '09:00', to: '17:00'}}]"
        #expect(try evaluate(office).effect == .allow)
        #expect(try evaluate(office, at: Self.noonWednesday + 6 * 3600).effect == .deny)          // 18:00
        #expect(try evaluate(office, at: Self.noonWednesday + 3 * 86_400).effect == .deny)        // Saturday
        let berlin = "rules: [{id: r, effect: allow, time_window: {from: '13:00', to: '14:00', utc_offset: '+01:00'}}]"
        #expect(try evaluate(berlin).effect == .allow)                                             // 13:00 in +01:00
        let night = "rules: [{id: r, effect: allow, time_window: {days: [wed], from: '22:00', to: '06:00'}}]"
        #expect(try evaluate(night, at: Self.noonWednesday + 11 * 3600).effect == .allow)         // Wed 23:00
        #expect(try evaluate(night, at: Self.noonWednesday + 15 * 3600).effect == .allow)         // Thu 03:00, Wednesday's night
        #expect(try evaluate(night, at: Self.noonWednesday - 9 * 3600).effect == .deny)           // Wed 03:00, Tuesday's night
    }

    @Test func rateLimitedAllowsCarryTheirBudget() throws {
        let result = try evaluate("rules: [{id: r, effect: allow, rate_limit: {max: 5, per_seconds: 60, scope: agent}}]")
        #expect(result.effect == .allow)
        #expect(result.rateLimits == [RateLimitUse(ruleID: "r", subject: "agent langgraph-v2:charts", max: 5, windowSeconds: 60)])
    }

    @Test func obligationsOfTheDecidingRulesAreMerged() throws {
        let yaml = """
            rules:
              - {id: a, effect: allow, obligations: [{kind: redact, fields: [ssn]}]}
              - {id: b, effect: allow, obligations: [{kind: redact, fields: [ssn]}, {kind: max_tokens, value: 100}]}
            """
        #expect(try evaluate(yaml).obligations == [Obligation(kind: "redact", parameters: ["fields": "ssn"]),
                                                   Obligation(kind: "max_tokens", parameters: ["value": "100"])])
    }

    @Test func delegationConsidersThePrincipalTheChainAndItsDepth() throws {
        let yaml = """
            defaults: {max_delegation_depth: 2}
            rules:
              - {id: for-users, effect: allow, principals: ['user:*']}
              - {id: no-mallory, effect: deny, principals: ['user:mallory']}
              - {id: shallow-payments, effect: allow, actions: [payments.send], principals: ['user:*'], max_delegation_depth: 0}
            """
        #expect(try evaluate(yaml, principal: "user:alice").effect == .allow)
        // Rules that name principals do not match a request without one.
        #expect(try evaluate(yaml).effect == .deny)
        #expect(try evaluate(yaml, principal: "service:batch").effect == .deny)
        #expect(try evaluate(yaml, principal: "user:mallory").ruleIDs == ["no-mallory"])
        // A denied principal cannot act through someone it delegated to.
        #expect(try evaluate(yaml, principal: "user:alice", chain: ["user:mallory"]).ruleIDs == ["no-mallory"])
        let deep = try evaluate(yaml, principal: "user:alice", chain: ["org:acme", "user:carol", "user:dave"])
        #expect(deep.effect == .deny)
        #expect(deep.reasons == ["delegation depth 3 exceeds the maximum of 2"])
        #expect(try evaluate(yaml, action: "payments.send", principal: "user:alice").ruleIDs == ["for-users", "shallow-payments"])
        #expect(try evaluate(yaml, action: "payments.send", principal: "user:alice", chain: ["org:acme"]).ruleIDs == ["for-users"])
    }

    @Test func indexedAndPatternRulesKeepDocumentOrder() throws {
        let yaml = """
            rules:
              - {id: p1, effect: allow, actions: ['charts.*']}
              - {id: e1, effect: allow, actions: [charts.render]}
              - {id: p2, effect: allow}
              - {id: e2, effect: allow, actions: [charts.render, charts.export]}
            """
        #expect(try evaluate(yaml).ruleIDs == ["p1", "e1", "p2", "e2"])
    }

    @Test(arguments: [
        ("*", "anything", true), ("a*", "abc", true), ("a*", "ba", false), ("*c", "abc", true), ("a?c", "abc", true),
        ("a?c", "ac", false), ("a*b*c", "axxbyyc", true), ("a*b*c", "axxbyy", false), ("exact", "exact", true), ("exact", "exac", false),
        ("*:*", "c:n", true), ("**", "", true),
    ])
    func globPatterns(pattern: String, text: String, matches: Bool) {
        #expect(GlobPattern(pattern).matches(text) == matches)
    }
}
