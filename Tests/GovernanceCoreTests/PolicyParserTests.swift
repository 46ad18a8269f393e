import AgionContract
@testable import GovernanceCore
import Testing

@Suite struct PolicyParserTests {
    static let yaml = """
        version: 1
        defaults:
          effect: deny
          max_delegation_depth: 2
        rules:
          - id: charts
            description: chart agents may draw
            effect: allow
            agents: ["langgraph-v2:*"]
            actions: [charts.render, "charts.export"]
            min_trust: 0.4
            when:
              - {field: rows, op: lte, value: 10000}
              - {field: customer.tier, op: in, value: [gold, silver]}
            time_window: {days: [mon, tue, wed, thu, fri], from: "08:00", to: "18:30", utc_offset: "+01:00"}
            rate_limit: {max: 100, per_seconds: 60, scope: agent_action}
            obligations:
              - {kind: redact, fields: [ssn, email]}
              - {kind: max_tokens, value: 2000}
          - id: no-bob
            effect: deny
            principals: ["user:bob"]
        output:
          - id: no-secrets
            max_bytes: 65536
            forbid: ["AKIA[0-9A-Z]{16}"]
            require_fields: [result.summary]
        """

    @Test func readsEveryPartOfAYAMLDocument() throws {
        let policy = try PolicyParser.parse(Self.yaml)
        #expect(policy.defaults.maxDelegationDepth == 2)
        #expect(policy.rules.map(\.id) == ["charts", "no-bob"])
        let charts = policy.rules[0]
        #expect(charts.effect == .allow)
        #expect(charts.actions.map(\.description) == ["charts.render", "charts.export"])
        #expect(charts.minTrust == 0.4)
        #expect(charts.conditions.map(\.op) == [.lte, .in])
        #expect(charts.conditions[1].path == ["customer", "tier"])
        #expect(charts.timeWindow == TimeWindow(days: [1, 2, 3, 4, 5], from: 480, to: 1110, utcOffsetMinutes: 60))
        #expect(charts.rateLimit == RateLimit(max: 100, windowSeconds: 60, scope: .agentAction))
        #expect(charts.obligations == [Obligation(kind: "redact", parameters: ["fields": "ssn,email"]),
                                       Obligation(kind: "max_tokens", parameters: ["value": "2000"])])
        #expect(policy.rules[1].principals.map(\.description) == ["user:bob"])
        #expect(policy.outputRules.first?.requiredFields == [["result", "summary"]])
    }

    @Test func readsJSONToo() throws {
        let policy = try PolicyParser.parse(#"{"rules": [{"id": "r1", "effect": "require_approval", "actions": ["payments.*"]}]}"#)
        #expect(policy.rules.first?.effect == .requireApproval)
        #expect(policy.defaults.effect == .deny)
    }

    @Test(arguments: [
        ("rules:\n  - {id: a, efect: allow}", "rules[0].efect"),
        ("rules:\n  - {id: a, effect: permit}", "rules[0].effect"),
        ("rules:\n  - {effect: allow}", "rules[0].id"),
        ("rules:\n  - {id: a, effect: allow}\n  - {id: a, effect: deny}", "rules[1].id"),
        ("rules:\n  - {id: a, effect: allow, when: [{field: x, op: between, value: 1}]}", "rules[0].when[0].op"),
        ("rules:\n  - {id: a, effect: allow, when: [{field: x, op: in, value: 3}]}", "rules[0].when[0].value"),
        ("rules:\n  - {id: a, effect: allow, when: [{field: x, op: exists, value: 3}]}", "rules[0].when[0].value"),
        ("rules:\n  - {id: a, effect: allow, min_trust: 1.5}", "rules[0].min_trust"),
        ("rules:\n  - {id: a, effect: allow, min_trust: 0.8, max_trust: 0.2}", "rules[0].max_trust"),
        ("rules:\n  - {id: a, effect: allow, time_window: {from: 900}}", "rules[0].time_window.from"),
        ("rules:\n  - {id: a, effect: allow, time_window: {days: [someday]}}", "rules[0].time_window.days[0]"),
        ("rules:\n  - {id: a, effect: allow, rate_limit: {max: 0, per_seconds: 10}}", "rules[0].rate_limit.max"),
        ("rules:\n  - {id: a, effect: allow, agents: []}", "rules[0].agents"),
        ("defaults: {effect: allow}", "defaults.effect"),
        ("output:\n  - {id: o, forbid: ['(unclosed']}", "output[0].forbid[0]"),
        ("version: 2", "version"),
        ("rules: {id: a}", "rules"),
        ("rules:\n  - {id: a, effect: allow, approval: {groups: [finance]}}", "rules[0].approval"),
        ("rules:\n  - {id: a, effect: require_approval, approval: {groups: [a b]}}", "rules[0].approval.groups[0]"),
        ("rules:\n  - {id: a, effect: require_approval, approval: {timeout_seconds: 0}}", "rules[0].approval.timeout_seconds"),
        ("rules:\n  - {id: a, effect: require_approval, approval: {who: me}}", "rules[0].approval.who"),
    ])
    func refusesAnInvalidDocumentNamingTheField(document: String, field: String) {
        #expect(throws: PolicyError.self) { try PolicyParser.parse(document) }
        do { _ = try PolicyParser.parse(document) } catch { #expect(error.field == field, "\(error)") }
    }

    @Test func aRequireApprovalRuleSaysWhoApprovesAsTheDecisionsApprovalObligation() throws {
        let policy = try PolicyParser.parse("""
            rules:
              - id: big
                effect: require_approval
                actions: [payments.*]
                approval: {groups: [finance, risk], timeout_seconds: 900, escalate_to: [cfo]}
            """)
        #expect(policy.rules[0].obligations == [Obligation(kind: "approval", parameters: [
            "groups": "finance,risk", "timeout_seconds": "900", "escalate_to": "cfo"])])
    }

    @Test func refusesTextThatIsNotYAML() {
        #expect(throws: PolicyError.self) { try PolicyParser.parse("rules: [ {id: a") }
        #expect(throws: PolicyError.self) { try PolicyParser.parse("- just\n- a list") }
    }
}
