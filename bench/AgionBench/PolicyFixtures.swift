/// Policies of a given size for the governance benchmarks, shaped like a real
/// tenant's: most rules name exact actions, some use patterns, a few deny.
/// Every request in the benchmarks goes through conditions, a trust bound
/// and obligations of the rules that match it.
enum PolicyFixtures {
    /// The action the benchmark requests ask for; rule 0 and the pattern
    /// rules match it.
    static let action = "reports.generate"
    static let agent = "langgraph-v2:reporter"

    /// A YAML policy with `rules` rules. `patternsOnly` makes every rule's
    /// action a pattern that starts with `*`, which no index can narrow: every
    /// rule is tried (the worst case).
    static func yaml(rules count: Int, patternsOnly: Bool = false) -> String {
        var lines = ["version: 1", "defaults: {effect: deny, max_delegation_depth: 3}", "rules:"]
        for i in 0..<count {
            let action = i == 0 ? action : "tool\(i).invoke"
            let actions = patternsOnly ? "['*\(action)']" : "['\(action)']"
            switch i % 10 {
            case 9:
                lines.append("  - {id: deny-\(i), effect: deny, actions: \(actions), principals: ['user:blocked\(i)']}")
            case 5:
                lines.append("  - {id: approve-\(i), effect: require_approval, actions: \(actions), when: [{field: amount, op: gt, value: 10000}]}")
            default:
                lines.append("""
                      - id: allow-\(i)
                        effect: allow
                        agents: ['langgraph-v2:*']
                        actions: \(actions)
                        min_trust: 0.3
                        when: [{field: amount, op: lte, value: 10000}, {field: region, op: in, value: [eu, us]}]
                        obligations: [{kind: max_tokens, value: 2000}]
                    """)
            }
        }
        // Two broad rules every request meets, as real policies have.
        lines.append("  - {id: no-banned-principals, effect: deny, actions: ['*'], principals: ['user:banned-*']}")
        lines.append("  - {id: business-region, effect: allow, agents: ['*:reporter'], actions: ['reports.*'], when: [{field: region, op: ne, value: cn}]}")
        return lines.joined(separator: "\n")
    }
}
