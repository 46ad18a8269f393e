import AgionContract
import GovernanceCore
import Foundation

/// governance.policy_eval: one decision of the in-process policy engine
/// (no I/O), for policies of 10 and 1,000 rules, indexed and worst case.
enum PolicyBenchmark {
    static func run(iterations: Int) throws {
        let request = PolicyRequest(agentID: PolicyFixtures.agent, action: PolicyFixtures.action, principal: "user:alice",
                                    context: ["amount": 250, "region": "eu", "customer": ["tier": "gold"]], trust: 0.72,
                                    unixSeconds: Int64(Date().timeIntervalSince1970))
        for (rules, patternsOnly) in [(10, false), (1_000, false), (1_000, true)] {
            let policy = CompiledPolicy(try PolicyParser.parse(PolicyFixtures.yaml(rules: rules, patternsOnly: patternsOnly)))
            var allowed = 0
            for _ in 0..<1_000 { if policy.evaluate(request).effect == .allow { allowed += 1 } }
            precondition(allowed == 1_000, "the benchmark request must be allowed")
            let start = nowNanos()
            for _ in 0..<iterations { if policy.evaluate(request).effect == .allow { allowed += 1 } }
            let elapsed = nowNanos() - start
            BenchLine("governance.policy_eval").with("rules", rules).withText("index", patternsOnly ? "none" : "action")
                .with("ns_per_op", Int(elapsed / UInt64(iterations)))
                .with("ops_per_s", Int(Double(iterations) / (Double(elapsed) / 1e9))).print()
        }
    }
}
