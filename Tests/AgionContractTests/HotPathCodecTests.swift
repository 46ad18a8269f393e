import AgionContract
import AgionEnvelope
import Testing

/// The hand-written encoders must say exactly what the generic codec reads.
@Suite struct HotPathCodecTests {
    static let context: ContextValue = [
        "rows": 500, "zero": 0, "negative": -2.5, "region": "eu", "empty": "", "flag": false, "on": true, "nothing": nil,
        "customer": ["tier": "gold", "tags": ["a", 1, [:], []]], "unicode": "é ✓",
    ]

    @Test func auditRecordsDecodeToWhatWasEncoded() throws {
        var record = AuditRecord(decisionID: UUIDv7.make().lowercasedString, kind: .check, tenant: "acme", agentID: "c:n", action: "reports.generate",
                                 principal: "user:alice", delegationChain: ["org:acme", "user:bob"], context: Self.context, result: "allow",
                                 ruleIDs: ["a", "b"], reasons: ["rule a allows", ""], obligations: [Obligation(kind: "redact", parameters: ["fields": "ssn,email", "z": ""])],
                                 trustScore: 0.72, policyRevision: 12, decidedAtUnixNanos: 1_795_000_000_000_000_000, evaluationNanos: 12_345,
                                 violations: [Violation(ruleID: "r", kind: "max_bytes", message: "too big", field: "")], executionID: "exec-1")
        record.sequence = 42
        record.hash = "abc"
        #expect(try AuditRecord(decoding: record.fastEncoded()) == record)
        let minimal = AuditRecord(decisionID: "d", kind: .validate, tenant: "t", agentID: "c:n", action: "a", result: "passed",
                                  trustScore: 0, policyRevision: 0, decidedAtUnixNanos: 0)
        #expect(try AuditRecord(decoding: minimal.fastEncoded()) == minimal)
    }

    @Test func decisionsDecodeToWhatWasEncoded() throws {
        let decision = Decision(decisionID: UUIDv7.make().lowercasedString, effect: .requireApproval, ruleIDs: ["x"], reasons: ["because"],
                                obligations: [Obligation(kind: "max_tokens", parameters: ["value": "2000"])], trustScore: 0.5, policyRevision: 3)
        #expect(try Decision(decoding: decision.fastEncoded()) == decision)
        let bare = Decision(decisionID: "", effect: .deny, trustScore: 0, policyRevision: 0)
        #expect(try Decision(decoding: bare.fastEncoded()) == bare)
    }
}
