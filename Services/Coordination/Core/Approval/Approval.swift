import AgionContract
import AgionEnvelope
import AgionJSON
import Crypto

/// Who must approve a run of a step, for how long, and whom to ask next: a
/// step's `approval:` or a policy rule's (which governance hands to execution
/// as the decision's `approval` obligation).
public struct ApprovalRequirement: Hashable, Sendable {
    /// Only members of one of these groups may decide; empty: any approver.
    public var groups: [String]
    /// How long a request waits for a decision (and again after an escalation).
    public var timeoutSeconds: Int
    /// On expiry, ask these groups once more; empty: reject on expiry.
    public var escalateTo: [String]

    public init(groups: [String] = [], timeoutSeconds: Int = ApprovalRequirement.defaultTimeoutSeconds, escalateTo: [String] = []) {
        self.groups = groups
        self.timeoutSeconds = timeoutSeconds
        self.escalateTo = escalateTo
    }

    public static let defaultTimeoutSeconds = 3_600
    /// A week: longer waits are a process outside Agion, not an approval.
    public static let timeoutSeconds: ClosedRange<Int> = 1...604_800
    public static let maxGroups = 16


    /// Read from an obligation's parameters (`groups` and `escalate_to`
    /// comma-separated, `timeout_seconds`), as governance carries a rule's
    /// `approval:`; values out of range fall back to the defaults.
    public init(obligationParameters parameters: [String: String]) {
        func list(_ key: String) -> [String] {
            (parameters[key] ?? "").split(separator: ",").map { String($0.filter { $0 != " " }) }.filter(GroupName.isValid)
        }
        let timeout = parameters["timeout_seconds"].flatMap { Int($0) }.flatMap { Self.timeoutSeconds.contains($0) ? $0 : nil }
        self.init(groups: Array(list("groups").prefix(Self.maxGroups)), timeoutSeconds: timeout ?? Self.defaultTimeoutSeconds,
                  escalateTo: Array(list("escalate_to").prefix(Self.maxGroups)))
    }
}

/// One request for a person's approval of one run of a step: what the agent
/// will do, with the exact input, bound to it by `digest`. It lives in its
/// step's state and in the mission's events (`approval_*`); coordination's
/// `approvals` table indexes it for the API.
public struct Approval: Hashable, Sendable {
    public enum Status: String, Hashable, Sendable, CaseIterable {
        case pending, approved, rejected, expired
        /// The mission ended (cancelled, timed out, failed) before a decision.
        case cancelled

        public var isFinal: Bool { self != .pending }
    }

    /// Why it was asked for.
    public enum Source: String, Hashable, Sendable {
        /// The step definition requires it (`approval: required`).
        case step
        /// Governance answered `require_approval` for the attempt.
        case policy
    }

    public var id: String
    public var step: String
    /// The attempt it was raised for: the one to run (a step's requirement),
    /// or the one governance stopped (a policy's).
    public var attempt: Int
    public var agent: AgentID
    public var action: String
    public var input: JSONValue
    public var digest: String
    public var status: Status
    /// Who may decide now (after an escalation, the escalation's groups).
    public var groups: [String]
    public var escalateTo: [String]
    public var timeoutSeconds: Int
    public var escalated: Bool
    public var source: Source
    public var reasons: [String]
    /// Who submitted the mission: they may not approve its requests.
    public var requestedBy: String
    public var requestedAtUnixNanos: Int64
    public var expiresAtUnixNanos: Int64
    public var decidedBy: String
    public var decidedAtUnixNanos: Int64
    public var comment: String

    public init(id: String, step: String, attempt: Int, agent: AgentID, action: String, input: JSONValue, requirement: ApprovalRequirement,
                source: Source, reasons: [String], requestedBy: String, now: Int64) {
        self.id = id
        self.step = step
        self.attempt = attempt
        self.agent = agent
        self.action = action
        self.input = input
        digest = Self.digest(agent: agent, action: action, input: input)
        status = .pending
        groups = requirement.groups
        escalateTo = requirement.escalateTo
        timeoutSeconds = requirement.timeoutSeconds
        escalated = false
        self.source = source
        self.reasons = reasons
        self.requestedBy = requestedBy
        requestedAtUnixNanos = now
        expiresAtUnixNanos = now + Int64(requirement.timeoutSeconds) * 1_000_000_000
        decidedBy = ""
        decidedAtUnixNanos = 0
        comment = ""
    }

    /// `sha256:<hex>` of what the agent will be asked to do: its id, the
    /// action and the input's canonical JSON (keys sorted, compact), each
    /// length-prefixed so no two different triples hash alike. Coordination
    /// binds a request to it and execution checks it again before invoking.
    public static func digest(agent: AgentID, action: String, input: JSONValue) -> String {
        var hasher = Crypto.SHA256()
        for part in [Array(agent.description.utf8), Array(action.utf8), input.serialized] {
            var length = UInt64(part.count).bigEndian
            withUnsafeBytes(of: &length) { hasher.update(bufferPointer: $0) }
            hasher.update(data: part)
        }
        return "sha256:" + hasher.finalize().hexString
    }

    /// The timer kind that expires a step's pending request.
    public static func timerKind(step: String) -> String { "approval:" + step }
}

/// Who is deciding: the caller as the gateway vouches for it.
public struct Approver: Hashable, Sendable {
    public var subject: String
    public var role: String
    public var groups: [String]

    public init(subject: String, role: String, groups: [String]) {
        self.subject = subject
        self.role = role
        self.groups = groups
    }

    /// Roles whose holders may decide approvals (the gateway's `approver`
    /// and `admin`); groups named by the request narrow them further.
    public static let roles: Set<String> = ["approver", "admin"]
    /// The role of coordination's own callers inside the platform (tests,
    /// tools on the service account): the gateway always sets a role.
    public var isAllowedRole: Bool { Self.roles.contains(role) }
}

/// An approver's answer to a request.
public struct ApprovalDecision: Hashable, Sendable {
    public var approvalID: String
    public var step: String
    public var approve: Bool
    public var approver: Approver
    public var comment: String
    /// The digest the approver saw, if they said: it must be the request's.
    public var digest: String?

    public init(approvalID: String, step: String, approve: Bool, approver: Approver, comment: String = "", digest: String? = nil) {
        self.approvalID = approvalID
        self.step = step
        self.approve = approve
        self.approver = approver
        self.comment = comment
        self.digest = digest
    }
}

/// Why a decision cannot be taken: `kind` chooses the API's status.
public struct ApprovalRefusal: Error, Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case notFound, forbidden, conflict
    }

    public var kind: Kind
    public var field: String
    public var reason: String

    public init(kind: Kind, field: String, reason: String) {
        self.kind = kind
        self.field = field
        self.reason = reason
    }
}

extension MissionDecider {
    /// Why `decision` cannot be applied to `state`, or nil when it can. The
    /// rules: the request exists and is pending, its mission runs, the
    /// approver holds an approving role and (when the request names groups)
    /// one of its groups, did not submit the mission, and saw this input.
    public static func approvalRefusal(_ decision: ApprovalDecision, state: MissionState) -> ApprovalRefusal? {
        guard let approval = state.steps[decision.step]?.approval, approval.id == decision.approvalID else {
            return ApprovalRefusal(kind: .notFound, field: "approval_id", reason: "no approval request \(decision.approvalID) in this tenant")
        }
        guard approval.status == .pending else {
            let by = approval.decidedBy.isEmpty ? "" : " by \(approval.decidedBy)"
            return ApprovalRefusal(kind: .conflict, field: "approval_id", reason: "the request is already \(approval.status.rawValue)\(by)")
        }
        guard !state.status.isFinal else {
            return ApprovalRefusal(kind: .conflict, field: "approval_id", reason: "mission \(state.id) is \(state.status.rawValue)")
        }
        guard decision.approver.isAllowedRole else {
            return ApprovalRefusal(kind: .forbidden, field: "approval_id",
                                   reason: "deciding approvals needs the approver or admin role; this credential is \(decision.approver.role)")
        }
        if !approval.groups.isEmpty, Set(approval.groups).isDisjoint(with: decision.approver.groups) {
            return ApprovalRefusal(kind: .forbidden, field: "approval_id",
                                   reason: "only members of \(approval.groups.joined(separator: ", ")) may decide this request")
        }
        guard decision.approver.subject != approval.requestedBy else {
            return ApprovalRefusal(kind: .forbidden, field: "approval_id", reason: "you submitted this mission: someone else must approve it")
        }
        if let digest = decision.digest, !digest.isEmpty, digest != approval.digest {
            return ApprovalRefusal(kind: .conflict, field: "input_digest",
                                   reason: "the request is for other input (its digest is \(approval.digest)): look at it again")
        }
        return nil
    }
}
