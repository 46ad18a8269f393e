import AgionContract
import AgionJSON

/// Something that happened to a mission from outside: what execution
/// reported, a timer that came due, a user's request.
public enum MissionCommand: Hashable, Sendable {
    case attemptStarted(step: String, attempt: Int, agent: AgentID)
    case attemptFinished(AttemptOutcome)
    /// A step's retry backoff is over.
    case retryDue(step: String)
    /// The mission's deadline came.
    case deadlineDue
    case cancel(by: String, reason: String)
    /// An operator resumes a failed mission: its failed `steps` get fresh
    /// attempts (see `MissionDecider.replayRefusal`).
    case replay(steps: [String], by: String)
    /// An approver approved or rejected a step's approval request.
    case decideApproval(ApprovalDecision)
    /// A step's approval request may have run out of time.
    case approvalDue(step: String)
}

/// How one attempt of a step ended, as execution reports it.
public struct AttemptOutcome: Hashable, Sendable {
    public enum Result: Hashable, Sendable {
        case succeeded(output: JSONValue, usage: Usage)
        case failed(StepError, usage: Usage)
        /// Governance asked for approval (who must give it: the policy
        /// rule's requirement): the agent was not invoked.
        case awaitingApproval(reasons: [String], requirement: ApprovalRequirement = ApprovalRequirement())
    }

    public var step: String
    public var attempt: Int
    public var agent: AgentID
    public var result: Result
    public var latencyMillis: Double

    public init(step: String, attempt: Int, agent: AgentID, result: Result, latencyMillis: Double = 0) {
        self.step = step
        self.attempt = attempt
        self.agent = agent
        self.result = result
        self.latencyMillis = latencyMillis
    }
}

/// What the coordinator knows of the agents steps could go to, fetched
/// before deciding (the decider itself does no I/O).
public struct AgentBook: Hashable, Sendable {
    public var byCapability: [String: [AgentCandidate]]
    public var byID: [AgentID: AgentCandidate]
    /// Targets the registry could not be asked about (it did not answer).
    public var unknown: Set<StepDefinition.Target>

    public init(byCapability: [String: [AgentCandidate]] = [:], byID: [AgentID: AgentCandidate] = [:], unknown: Set<StepDefinition.Target> = []) {
        self.byCapability = byCapability
        self.byID = byID
        self.unknown = unknown
    }

    /// The candidates for `target`; nil when the registry could not say.
    public func candidates(for target: StepDefinition.Target) -> [AgentCandidate]? {
        if unknown.contains(target) { return nil }
        switch target {
        case .capability(let capability): return byCapability[capability] ?? []
        case .agent(let id): return byID[id].map { [$0] } ?? []
        }
    }
}
