@testable import GovernanceCore
import Testing

/// Policy documents arrive over NATS and HTTP from anyone with the right to
/// write policies: deep nesting and alias bombs are refused with a reason,
/// never a crash or an hour of CPU.
@Suite struct PolicyNestingTests {
    /// The YAML reader stops at 1,000 levels (libyaml's limit, inside Yams),
    /// and everything after it recurses at most that deep.
    @Test(arguments: [990, 1_000, 10_000, 200_000])
    func deeplyNestedFlowCollectionsAreRefused(levels: Int) {
        for (open, close) in [("[", "]"), ("{a: ", "}")] {
            let document = "rules: " + String(repeating: open, count: levels) + String(repeating: close, count: levels)
            #expect(throws: PolicyError.self) { try PolicyParser.parse(document) }
        }
    }

    @Test func deeplyNestedBlockMappingsAreRefused() {
        var document = "rules:\n"
        for level in 0..<1_200 { document += String(repeating: " ", count: level + 1) + "k\(level):\n" }
        #expect(throws: PolicyError.self) { try PolicyParser.parse(document) }
    }

    @Test func anAliasBombIsRefusedAtOnce() {
        var document = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...30 { document += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n" }
        document += "rules: []\n"
        let started = ContinuousClock.now
        #expect(throws: PolicyError.self) { try PolicyParser.parse(document) }
        #expect(ContinuousClock.now - started < .seconds(1))
    }

    @Test func ampersandsThatAreNotAnchorsStillParse() throws {
        let policy = try PolicyParser.parse("""
            rules:
              - {id: a, description: "R&D and Q & A", effect: allow, actions: ["*.read"]}
            """)
        #expect(policy.rules.first?.description == "R&D and Q & A")
    }
}
