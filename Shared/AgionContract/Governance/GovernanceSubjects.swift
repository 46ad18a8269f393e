/// The governance service's NATS subjects and envelope types (docs/subjects.md).
public enum GovernanceSubjects {
    /// The queue group every governance replica serves in.
    public static let queue = "governance"

    public static let check = "agion.rpc.governance.check"
    public static let trust = "agion.rpc.governance.trust"

    /// Events go to `agion.governance.evt.<tenant>.<event>` in stream `AGION_GOVERNANCE`.
    public static let stream = "AGION_GOVERNANCE"
    public static let eventSubjects = "agion.governance.evt.>"

    public static func eventSubject(tenant: String, event: String) -> String { "agion.governance.evt.\(tenant).\(event)" }
}
