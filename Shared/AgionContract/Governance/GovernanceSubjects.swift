/// The governance service's NATS subjects and envelope types (docs/subjects.md).
public enum GovernanceSubjects {
    /// The queue group every governance replica serves in.
    public static let queue = "governance"

    public static let check = "agion.rpc.governance.check"
    public static let explain = "agion.rpc.governance.explain"
    public static let validate = "agion.rpc.governance.validate"
    public static let report = "agion.rpc.governance.report"
    public static let feedback = "agion.rpc.governance.feedback"
    public static let trust = "agion.rpc.governance.trust"
    public static let trustHistory = "agion.rpc.governance.trust.history"
    public static let putPolicy = "agion.rpc.governance.policy.put"
    public static let getPolicy = "agion.rpc.governance.policy.get"
    public static let listPolicies = "agion.rpc.governance.policy.list"
    public static let activatePolicy = "agion.rpc.governance.policy.activate"
    public static let auditQuery = "agion.rpc.governance.audit.query"
    public static let auditVerify = "agion.rpc.governance.audit.verify"
    public static let auditVerification = "agion.rpc.governance.audit.verification"
    public static let auditVerifications = "agion.rpc.governance.audit.verifications"
    /// The Merkle tree over the audit: signed heads, proofs and signing keys.
    public static let auditHead = "agion.rpc.governance.audit.head"
    public static let auditProof = "agion.rpc.governance.audit.proof"
    public static let auditConsistency = "agion.rpc.governance.audit.consistency"
    public static let auditKeys = "agion.rpc.governance.audit.keys"
    /// Retention: archive old records, export them, drop them.
    public static let createAuditArchive = "agion.rpc.governance.audit.archive.create"
    public static let listAuditArchives = "agion.rpc.governance.audit.archive.list"
    public static let auditArchiveRecords = "agion.rpc.governance.audit.archive.records"
    public static let dropAuditArchive = "agion.rpc.governance.audit.archive.drop"

    /// Events go to `agion.governance.evt.<tenant>.<event>` in stream `AGION_GOVERNANCE`.
    public static let stream = "AGION_GOVERNANCE"
    public static let eventSubjects = "agion.governance.evt.>"

    public static func eventSubject(tenant: String, event: String) -> String { "agion.governance.evt.\(tenant).\(event)" }

    /// Envelope types of governance's events.
    public enum EventType {
        /// Checks audited together (`DecisionsRecorded`), one event per tenant per shipped batch.
        public static let decisionsRecorded = "agion.governance.decisions_recorded"
        public static let outputValidated = "agion.governance.output_validated"
        public static let trustChanged = "agion.governance.trust_changed"
        public static let policyActivated = "agion.governance.policy_activated"
        /// A new signed tree head of the tenant's audit (`AuditTreeHead`).
        public static let auditHead = "agion.governance.audit_head"
    }
}
