import AgionContract
import AgionJSON

/// What happened to a mission, as appended to its event stream
/// (`mission:v1-<id>`) and published on `AGION_MISSIONS`. The projection
/// (`MissionState`) is what these events add up to; nothing else changes it.
public enum MissionEvent: Hashable, Sendable {
    /// Accepted and stored; the first event of every mission.
    case submitted(Submitted)
    /// An attempt was handed to execution (`agion.steps.run.<tenant>`).
    case stepScheduled(StepScheduled)
    /// Execution began the attempt.
    case stepStarted(step: String, attempt: Int, agent: AgentID)
    case stepSucceeded(StepSucceeded)
    /// The attempt failed; `final` when no attempt follows (permanent, or the last).
    case stepFailed(StepFailed)
    /// The step will be tried again at `atUnixNanos`.
    case stepRetryScheduled(step: String, attempt: Int, atUnixNanos: Int64)
    /// Governance answered `require_approval`: the step waits, visibly, and is not run.
    case stepAwaitingApproval(step: String, attempt: Int, agent: AgentID, reasons: [String])
    /// The mission ended before this step ran, or while it ran (told to stop).
    case stepCancelled(step: String, reason: String)
    /// The usage reported so far reached the budget.
    case budgetExceeded(usage: Usage)
    case cancelRequested(by: String, reason: String)
    /// An operator replayed the step after it failed for good: the mission
    /// runs again, and the step gets `max_attempts` fresh attempts.
    case stepReplayed(step: String, by: String)
    /// A request for a person's approval of a run of a step changed:
    /// `approval` is the request as it is after the change.
    case approval(ApprovalChange, Approval)
    case succeeded(output: JSONValue)
    case failed(code: String, reason: String, step: String?)
    case cancelled(reason: String)
    case timedOut

    /// What happened to an approval request (the event `approval_<change>`).
    public enum ApprovalChange: String, Hashable, Sendable, CaseIterable {
        /// Raised: the step waits and its agent is not invoked.
        case requested
        case approved, rejected
        /// Its time ran out with nobody left to ask: the step fails.
        case expired
        /// Its time ran out: the escalation's groups are asked, once.
        case escalated
        /// The mission ended before anyone decided.
        case cancelled
    }

    public struct Submitted: Hashable, Sendable {
        public var definition: MissionDefinition
        public var idempotencyKey: String
        public var submittedAtUnixNanos: Int64
        /// The deadline as a moment, if there is one.
        public var deadlineUnixNanos: Int64?
        /// Who submitted it (the caller's subject): they may not approve its requests.
        public var submittedBy: String

        public init(definition: MissionDefinition, idempotencyKey: String, submittedAtUnixNanos: Int64, deadlineUnixNanos: Int64?,
                    submittedBy: String = "") {
            self.definition = definition
            self.idempotencyKey = idempotencyKey
            self.submittedAtUnixNanos = submittedAtUnixNanos
            self.deadlineUnixNanos = deadlineUnixNanos
            self.submittedBy = submittedBy
        }
    }

    public struct StepScheduled: Hashable, Sendable {
        public var step: String
        public var attempt: Int
        public var agent: AgentID
        /// The rendered input the agent gets.
        public var input: JSONValue
        public var action: String
        public var timeoutSeconds: Int
        /// The approval the attempt runs under, if the step needed one.
        public var approval: String?

        public init(step: String, attempt: Int, agent: AgentID, input: JSONValue, action: String, timeoutSeconds: Int, approval: String? = nil) {
            self.step = step
            self.attempt = attempt
            self.agent = agent
            self.input = input
            self.action = action
            self.timeoutSeconds = timeoutSeconds
            self.approval = approval
        }
    }

    public struct StepSucceeded: Hashable, Sendable {
        public var step: String
        public var attempt: Int
        public var agent: AgentID
        public var output: JSONValue
        public var usage: Usage
        public var latencyMillis: Double

        public init(step: String, attempt: Int, agent: AgentID, output: JSONValue, usage: Usage, latencyMillis: Double) {
            self.step = step
            self.attempt = attempt
            self.agent = agent
            self.output = output
            self.usage = usage
            self.latencyMillis = latencyMillis
        }
    }

    public struct StepFailed: Hashable, Sendable {
        public var step: String
        public var attempt: Int
        /// Nil when no agent could be chosen.
        public var agent: AgentID?
        public var error: StepError
        public var usage: Usage
        public var final: Bool

        public init(step: String, attempt: Int, agent: AgentID?, error: StepError, usage: Usage = .zero, final: Bool) {
            self.step = step
            self.attempt = attempt
            self.agent = agent
            self.error = error
            self.usage = usage
            self.final = final
        }
    }

    /// The event's name (`agion.missions.<name>`), as published and stored.
    public var name: String {
        switch self {
        case .submitted: "submitted"
        case .stepScheduled: "step_scheduled"
        case .stepStarted: "step_started"
        case .stepSucceeded: "step_succeeded"
        case .stepFailed: "step_failed"
        case .stepRetryScheduled: "step_retry_scheduled"
        case .stepAwaitingApproval: "step_awaiting_approval"
        case .stepCancelled: "step_cancelled"
        case .budgetExceeded: "budget_exceeded"
        case .cancelRequested: "cancel_requested"
        case .stepReplayed: "step_replayed"
        case .approval(let change, _): "approval_" + change.rawValue
        case .succeeded: "succeeded"
        case .failed: "failed"
        case .cancelled: "cancelled"
        case .timedOut: "timed_out"
        }
    }
}

/// Why an attempt failed: a stable code (`timeout`, `agent_error`, `denied`,
/// `invalid_output`, `no_agent`, ...), words for people, and whether trying
/// again may help.
public struct StepError: Hashable, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var retriable: Bool
    /// Agion's own failure (governance, the registry or NATS unavailable),
    /// not the agent's: retried until the platform is back, without using up
    /// an attempt (a mission's deadline still bounds the wait).
    public var platform: Bool

    public init(code: String, message: String, retriable: Bool, platform: Bool = false) {
        self.code = code
        self.message = message
        self.retriable = retriable
        self.platform = platform
    }

    /// The registry could not be asked which agents may take the step.
    public static let registryUnavailable = StepError(code: "registry_unavailable", message: "the registry did not answer", retriable: true,
                                                      platform: true)

    public var description: String { "\(code): \(message)" }

    /// No healthy agent could take the step (retriable: one may come).
    public static func noAgent(_ target: StepDefinition.Target) -> StepError {
        switch target {
        case .capability(let capability): StepError(code: "no_agent", message: "no healthy agent has capability '\(capability)'", retriable: true)
        case .agent(let agent): StepError(code: "no_agent", message: "agent \(agent) is not healthy", retriable: true)
        }
    }
}
