import AgionContract
import AgionJSON

/// A mission as its events add up: what `GET /v1/missions/{id}` shows, kept
/// with the event stream so reading a mission never replays its history.
/// `apply` is the only way it changes, and it is total: an event that does
/// not fit (a late report of an attempt that was superseded) leaves it as is.
public struct MissionState: Hashable, Sendable {
    public enum Status: String, Hashable, Sendable, CaseIterable {
        case running, succeeded, failed, cancelled
        case timedOut = "timed_out"

        public var isFinal: Bool { self != .running }
    }

    public let id: String
    public var definition: MissionDefinition
    public var idempotencyKey: String
    public var status: Status
    public var submittedAtUnixNanos: Int64
    public var deadlineUnixNanos: Int64?
    public var updatedAtUnixNanos: Int64
    public var steps: [String: StepState]
    public var usage: Usage
    /// How many events the stream holds: the position of the next is `position + 1`.
    public var position: Int64
    public var cancelRequested: Bool
    /// Who submitted it (empty for missions stored before this was kept).
    public var submittedBy: String
    /// Why it ended, when it failed, was cancelled or timed out.
    public var outcome: Outcome?
    /// The outputs of the steps no other step depends on, by step id.
    public var output: JSONValue?

    public struct Outcome: Hashable, Sendable {
        public var code: String
        public var reason: String
        public var step: String?
    }

    /// The state after `submitted`, the first event.
    public init(id: String, submitted: MissionEvent.Submitted) {
        self.id = id
        definition = submitted.definition
        idempotencyKey = submitted.idempotencyKey
        submittedBy = submitted.submittedBy
        status = .running
        submittedAtUnixNanos = submitted.submittedAtUnixNanos
        deadlineUnixNanos = submitted.deadlineUnixNanos
        updatedAtUnixNanos = submitted.submittedAtUnixNanos
        steps = Dictionary(uniqueKeysWithValues: submitted.definition.steps.map { ($0.id, StepState()) })
        usage = .zero
        position = 1
        cancelRequested = false
    }

    /// The state of the mission's stream from its first event on.
    public static func replay(id: String, _ events: [(event: MissionEvent, atUnixNanos: Int64)]) -> MissionState? {
        guard case .submitted(let submitted)? = events.first?.event else { return nil }
        var state = MissionState(id: id, submitted: submitted)
        for (event, at) in events.dropFirst() { state.apply(event, at: at) }
        return state
    }

    public mutating func apply(_ event: MissionEvent, at unixNanos: Int64) {
        position += 1
        updatedAtUnixNanos = max(updatedAtUnixNanos, unixNanos)
        switch event {
        case .submitted:
            break
        case .stepScheduled(let scheduled):
            update(scheduled.step) {
                $0.approvalReasons = []
                $0.status = .scheduled
                $0.attempt = scheduled.attempt
                $0.agent = scheduled.agent
                if !$0.tried.contains(scheduled.agent) { $0.tried.append(scheduled.agent) }
                $0.retryAtUnixNanos = nil
                $0.scheduledAtUnixNanos = unixNanos
            }
        case .stepStarted(let step, let attempt, _):
            update(step) { if $0.attempt == attempt, $0.status == .scheduled { $0.status = .running } }
        case .stepSucceeded(let success):
            usage = usage + success.usage
            update(success.step) {
                $0.usage = $0.usage + success.usage
                $0.lastReportedAttempt = max($0.lastReportedAttempt, success.attempt)
                guard $0.attempt == success.attempt, !$0.status.isFinal else { return }
                $0.status = .succeeded
                $0.output = success.output
                $0.finishedAtUnixNanos = unixNanos
            }
        case .stepFailed(let failure):
            usage = usage + failure.usage
            update(failure.step) {
                $0.usage = $0.usage + failure.usage
                if failure.agent != nil { $0.lastReportedAttempt = max($0.lastReportedAttempt, failure.attempt) }
                guard $0.attempt == failure.attempt || failure.agent == nil, !$0.status.isFinal else { return }
                $0.attempt = failure.attempt
                if failure.error.platform { $0.platformFailures += 1 }
                $0.errors.append(StepState.AttemptError(attempt: failure.attempt, agent: failure.agent, error: failure.error))
                if failure.final {
                    $0.status = .failed
                    $0.finishedAtUnixNanos = unixNanos
                }
            }
        case .stepRetryScheduled(let step, _, let at):
            update(step) {
                guard !$0.status.isFinal else { return }
                $0.status = .retrying
                $0.retryAtUnixNanos = at
            }
        case .stepAwaitingApproval(let step, let attempt, _, let reasons):
            update(step) {
                $0.lastReportedAttempt = max($0.lastReportedAttempt, attempt)
                guard $0.attempt == attempt, !$0.status.isFinal else { return }
                $0.status = .awaitingApproval
                $0.approvalReasons = reasons
            }
        case .stepCancelled(let step, _):
            update(step) {
                guard !$0.status.isFinal else { return }
                $0.status = .cancelled
                $0.finishedAtUnixNanos = unixNanos
            }
        case .budgetExceeded:
            break
        case .cancelRequested:
            cancelRequested = true
        case .stepReplayed(let step, _):
            guard steps[step]?.status == .failed else { return }
            if status == .failed {
                // Running again: the steps the failure cancelled wait to be scheduled again.
                status = .running
                outcome = nil
                for (id, other) in steps where other.status == .cancelled { steps[id]!.reopen() }
            }
            update(step) { $0.reopen(replayed: true) }
        case .approval(let change, let approval):
            update(approval.step) {
                // A change to a request the step no longer has (superseded) is history only.
                guard change == .requested || $0.approval?.id == approval.id else { return }
                $0.approval = approval
                switch change {
                case .requested:
                    guard !$0.status.isFinal else { return }
                    if approval.source == .policy {
                        // The attempt governance stopped ended here; it does not count.
                        $0.lastReportedAttempt = max($0.lastReportedAttempt, approval.attempt)
                        $0.approvalWaits += 1
                    }
                    $0.status = .awaitingApproval
                    $0.approvalReasons = approval.reasons
                case .approved, .rejected, .expired, .escalated, .cancelled:
                    break
                }
            }
        case .succeeded(let output):
            finish(.succeeded, outcome: nil)
            self.output = output
        case .failed(let code, let reason, let step):
            finish(.failed, outcome: Outcome(code: code, reason: reason, step: step))
        case .cancelled(let reason):
            finish(.cancelled, outcome: Outcome(code: "cancelled", reason: reason, step: nil))
        case .timedOut:
            finish(.timedOut, outcome: Outcome(code: "deadline_exceeded", reason: "the mission's deadline passed", step: nil))
        }
    }

    private mutating func finish(_ status: Status, outcome: Outcome?) {
        guard !self.status.isFinal else { return }
        self.status = status
        self.outcome = outcome
    }

    private mutating func update(_ step: String, _ change: (inout StepState) -> Void) {
        guard var state = steps[step] else { return }
        change(&state)
        steps[step] = state
    }

    /// The step's definition (every step of the state is one of the definition's).
    public func definition(of step: String) -> StepDefinition { definition.step(step)! }
}

/// One step of a mission, as its events add up.
public struct StepState: Hashable, Sendable {
    public enum Status: String, Hashable, Sendable, CaseIterable {
        /// Waiting for its dependencies.
        case pending
        /// Handed to execution; not yet begun.
        case scheduled
        case running
        /// Failed, and will be tried again (`retryAtUnixNanos`).
        case retrying
        /// Governance asked for a human's approval; not run.
        case awaitingApproval = "awaiting_approval"
        case succeeded, failed, cancelled

        public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
        /// Given to execution and not finished.
        public var isInFlight: Bool { self == .scheduled || self == .running }
    }

    public struct AttemptError: Hashable, Sendable {
        public var attempt: Int
        public var agent: AgentID?
        public var error: StepError
    }

    public var status: Status = .pending
    /// The current (or last) attempt, 1 for the first; 0 before any.
    public var attempt = 0
    public var agent: AgentID?
    /// Agents that were given this step, in order (a retry prefers another).
    public var tried: [AgentID] = []
    public var output: JSONValue?
    public var usage: Usage = .zero
    public var errors: [AttemptError] = []
    public var approvalReasons: [String] = []
    public var retryAtUnixNanos: Int64?
    public var scheduledAtUnixNanos: Int64?
    public var finishedAtUnixNanos: Int64?
    /// The highest attempt whose outcome execution reported: a report again
    /// (a redelivery) changes nothing.
    public var lastReportedAttempt = 0
    /// Attempts that failed for the platform's sake, not the agent's: they do
    /// not count against the step's `max_attempts`.
    public var platformFailures = 0
    /// Attempts governance stopped to ask for an approval: they do not count either.
    public var approvalWaits = 0
    /// The step's current (or last) approval request.
    public var approval: Approval?

    public init() {}

    /// Attempts before the step was last replayed: they no longer count.
    public var attemptsBeforeReplay = 0

    /// Attempts that count against the step's `max_attempts`.
    public var agentAttempts: Int { attempt - platformFailures - approvalWaits - attemptsBeforeReplay }

    /// Back to `pending` (its mission resumed); a replayed step's attempts so
    /// far stop counting. Its history (errors, agents tried, usage) stays.
    mutating func reopen(replayed: Bool = false) {
        if replayed { attemptsBeforeReplay = attempt - platformFailures - approvalWaits }
        status = .pending
        retryAtUnixNanos = nil
        finishedAtUnixNanos = nil
        approvalReasons = []
    }

    /// Whether the outcome of `attempt` was already recorded.
    public func reported(_ attempt: Int) -> Bool { attempt <= lastReportedAttempt }
}
