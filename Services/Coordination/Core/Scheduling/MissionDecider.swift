import AgionEnvelope
import AgionContract
import AgionJSON

/// The rules of a mission, as a pure function: given its state and what just
/// happened, the events to append. The coordination service loads the state,
/// asks, appends the events with optimistic concurrency, and turns them into
/// effects (work to publish, timers to set, cancellations to broadcast); the
/// rules themselves never touch I/O, so they are unit-tested in full.
public struct MissionDecider {
    public let now: Int64
    public let agents: AgentBook
    /// A random number in 0..<1 per call (agent choice, retry jitter).
    private let random: () -> Double
    /// A new approval request's id.
    private let makeID: () -> String

    public init(now: Int64, agents: AgentBook, random: @escaping () -> Double = { Double.random(in: 0..<1) },
                makeID: @escaping () -> String = { UUIDv7.make().lowercasedString }) {
        self.now = now
        self.agents = agents
        self.random = random
        self.makeID = makeID
    }

    /// A new mission's first events: `submitted`, then its ready steps scheduled.
    public func submit(id: String, definition: MissionDefinition, idempotencyKey: String, submittedBy: String = "") -> (events: [MissionEvent], state: MissionState) {
        let submitted = MissionEvent.Submitted(definition: definition, idempotencyKey: idempotencyKey, submittedAtUnixNanos: now,
                                               deadlineUnixNanos: definition.deadline?.moment(submittedAtNanos: now), submittedBy: submittedBy)
        var plan = Plan(state: MissionState(id: id, submitted: submitted), first: .submitted(submitted), now: now)
        advance(&plan)
        return (plan.events, plan.state)
    }

    /// The events `command` leads to (none when it changes nothing, such as a
    /// duplicate report), and the state after them.
    public func handle(_ command: MissionCommand, state: MissionState) -> (events: [MissionEvent], state: MissionState) {
        var plan = Plan(state: state, now: now)
        switch command {
        case .attemptStarted(let step, let attempt, let agent):
            guard let current = state.steps[step], current.attempt == attempt, current.status == .scheduled else { break }
            plan.append(.stepStarted(step: step, attempt: attempt, agent: agent))
        case .attemptFinished(let outcome):
            record(outcome, in: &plan)
        case .retryDue(let step):
            guard !state.status.isFinal, state.steps[step]?.status == .retrying else { break }
            schedule(step, attempt: state.steps[step]!.attempt + 1, in: &plan)
        case .deadlineDue:
            guard !state.status.isFinal, let deadline = state.deadlineUnixNanos, now >= deadline else { break }
            end(&plan, reason: "the mission's deadline passed", final: .timedOut)
        case .replay(let steps, let by):
            guard case .success(let targets) = Self.replayTargets(steps, state: state, now: now) else { break }
            for step in targets { plan.append(.stepReplayed(step: step, by: by)) }
        case .decideApproval(let decision):
            guard Self.approvalRefusal(decision, state: state) == nil, var approval = state.steps[decision.step]?.approval else { break }
            approval.status = decision.approve ? .approved : .rejected
            approval.decidedBy = decision.approver.subject
            approval.decidedAtUnixNanos = now
            approval.comment = decision.comment
            plan.append(.approval(decision.approve ? .approved : .rejected, approval))
            if decision.approve {
                schedule(decision.step, attempt: plan.state.steps[decision.step]!.attempt + 1, in: &plan)
            } else {
                let by = decision.comment.isEmpty ? decision.approver.subject : "\(decision.approver.subject): \(decision.comment)"
                refuse(approval, StepError(code: "approval_rejected", message: "rejected by \(by)", retriable: false), in: &plan)
            }
        case .approvalDue(let step):
            guard !state.status.isFinal, var approval = state.steps[step]?.approval, approval.status == .pending,
                  now >= approval.expiresAtUnixNanos else { break }
            if !approval.escalated, !approval.escalateTo.isEmpty {
                approval.escalated = true
                approval.groups = approval.escalateTo
                approval.expiresAtUnixNanos = now + Int64(approval.timeoutSeconds) * 1_000_000_000
                plan.append(.approval(.escalated, approval))
            } else {
                approval.status = .expired
                approval.decidedAtUnixNanos = now
                plan.append(.approval(.expired, approval))
                let message = "nobody decided within \(approval.timeoutSeconds) s" + (approval.escalated ? ", after an escalation" : "")
                refuse(approval, StepError(code: "approval_expired", message: message, retriable: false), in: &plan)
            }
        case .cancel(let by, let reason):
            guard !state.status.isFinal, !state.cancelRequested else { break }
            plan.append(.cancelRequested(by: by, reason: reason))
            end(&plan, reason: reason.isEmpty ? "cancelled by \(by)" : reason, final: .cancelled(reason: reason.isEmpty ? "cancelled by \(by)" : reason))
        }
        advance(&plan)
        return (plan.events, plan.state)
    }

    // MARK: Replay

    /// Why a replay cannot be done, naming the field at fault (of the
    /// request: `mission_id`, `step_ids[i]`).
    public struct ReplayRefusal: Error, Hashable, Sendable {
        public var field: String
        public var reason: String
    }

    /// The steps a replay of `requested` reopens (the failed steps that ended
    /// the mission, when none are named), or why it cannot: only a mission that
    /// failed because steps failed, before its deadline, resumes, and only
    /// from steps that failed; every step whose failure fails the mission must
    /// be among them, or it would fail again at once.
    public static func replayTargets(_ requested: [String], state: MissionState, now: Int64) -> Result<[String], ReplayRefusal> {
        guard state.status == .failed else {
            return .failure(.init(field: "mission_id", reason: "only a failed mission can be replayed; this one is \(state.status.rawValue)"))
        }
        guard state.outcome?.code == "step_failed" else {
            return .failure(.init(field: "mission_id", reason: "the mission failed for \(state.outcome?.code ?? "another reason"), not a step: "
                                  + (state.outcome?.reason ?? "") + "; submit it again instead"))
        }
        if let deadline = state.deadlineUnixNanos, now >= deadline {
            return .failure(.init(field: "mission_id", reason: "the mission's deadline has passed"))
        }
        let ending = state.definition.steps.filter { state.steps[$0.id]!.status == .failed && $0.onFailure == .fail }.map(\.id)
        guard !requested.isEmpty else {
            return ending.isEmpty ? .failure(.init(field: "mission_id", reason: "the mission has no failed step to replay")) : .success(ending)
        }
        for (index, id) in requested.enumerated() {
            guard let step = state.steps[id] else { return .failure(.init(field: "step_ids[\(index)]", reason: "the mission has no step '\(id)'")) }
            guard step.status == .failed else {
                return .failure(.init(field: "step_ids[\(index)]", reason: "step '\(id)' did not fail (it is \(step.status.rawValue))"))
            }
        }
        if let left = ending.first(where: { !requested.contains($0) }) {
            return .failure(.init(field: "step_ids", reason: "step '\(left)' failed too and would fail the mission again: replay it as well"))
        }
        var seen = Set<String>()
        return .success(requested.filter { seen.insert($0).inserted })
    }

    // MARK: Outcomes

    private func record(_ outcome: AttemptOutcome, in plan: inout Plan) {
        guard let step = plan.state.steps[outcome.step], outcome.attempt == step.attempt, !step.reported(outcome.attempt) else { return }
        let definition = plan.state.definition(of: outcome.step)
        switch outcome.result {
        case .succeeded(let output, let usage):
            plan.append(.stepSucceeded(.init(step: outcome.step, attempt: outcome.attempt, agent: outcome.agent, output: output, usage: usage,
                                             latencyMillis: outcome.latencyMillis)))
        case .failed(let error, let usage):
            fail(outcome.step, attempt: outcome.attempt, agent: outcome.agent, error: error, usage: usage, in: &plan)
        case .awaitingApproval(let reasons, let requirement):
            let input = (try? renderInput(outcome.step, state: plan.state)) ?? .null
            plan.append(.approval(.requested, Approval(
                id: makeID(), step: outcome.step, attempt: outcome.attempt, agent: outcome.agent, action: definition.action, input: input,
                requirement: requirement, source: .policy, reasons: reasons, requestedBy: plan.state.submittedBy, now: now)))
        }
    }

    /// A request that was rejected or ran out: the step fails for good (a
    /// person said no; trying again would ask again, which is a replay's call).
    private func refuse(_ approval: Approval, _ error: StepError, in plan: inout Plan) {
        // The step's own requirement never reached an attempt: no agent ran.
        let agent: AgentID? = approval.source == .policy ? approval.agent : nil
        let attempt = approval.source == .policy ? approval.attempt : plan.state.steps[approval.step]!.attempt + 1
        plan.append(.stepFailed(.init(step: approval.step, attempt: attempt, agent: agent, error: error, final: true)))
    }

    /// A step's input, rendered from the mission's input and its upstream outputs.
    private func renderInput(_ step: String, state: MissionState) throws -> JSONValue {
        let outputs = state.steps.compactMapValues { $0.status == .succeeded ? $0.output : nil }
        return try InputTemplate.render(state.definition(of: step).input, input: state.definition.input, outputs: outputs)
    }

    /// Records a failed attempt and, when another may help, the retry: a
    /// failure of the platform's (`StepError.platform`) is retried for as long
    /// as it lasts and does not use up an attempt; the agent's use them up.
    private func fail(_ step: String, attempt: Int, agent: AgentID?, error: StepError, usage: Usage = .zero, in plan: inout Plan) {
        let definition = plan.state.definition(of: step)
        let current = plan.state.steps[step]!
        let used = current.agentAttempts + (attempt > current.attempt ? 1 : 0) - (error.platform ? 1 : 0)
        let again = error.retriable && !plan.state.status.isFinal && (error.platform || used < definition.retry.maxAttempts)
        plan.append(.stepFailed(.init(step: step, attempt: attempt, agent: agent, error: error, usage: usage, final: !again)))
        guard again else { return }
        let unit = random()
        let millis = error.platform ? Self.platformDelayMillis(failures: plan.state.steps[step]!.platformFailures, unit: unit)
                                    : definition.retry.delayMillis(after: max(used, 1), unit: unit)
        plan.append(.stepRetryScheduled(step: step, attempt: attempt + 1, atUnixNanos: now + Int64(millis) * 1_000_000))
    }

    /// 0.5 s doubling to 30 s while the platform stays down, with equal jitter.
    static func platformDelayMillis(failures: Int, unit: Double) -> Int {
        RetryPolicy(maxAttempts: 1, initialBackoffMillis: 500, maxBackoffMillis: 30_000).delayMillis(after: max(failures, 1), unit: unit)
    }

    // MARK: Progress

    /// Brings the mission as far as it can go now: end it if it must end,
    /// succeed it when every step is done, otherwise schedule every step
    /// whose dependencies are done. Repeats until nothing changes (a step that
    /// fails at once, for want of an agent, may end the mission).
    private func advance(_ plan: inout Plan) {
        while !plan.state.status.isFinal {
            let state = plan.state
            if let deadline = state.deadlineUnixNanos, now >= deadline {
                return end(&plan, reason: "the mission's deadline passed", final: .timedOut)
            }
            if let budget = state.definition.budget, Self.exceeds(budget, state.usage) {
                plan.append(.budgetExceeded(usage: state.usage))
                return end(&plan, reason: "the budget is spent", final: .failed(code: "budget_exceeded", reason: Self.budgetReason(budget, state.usage), step: nil))
            }
            if let failed = state.definition.steps.first(where: { state.steps[$0.id]!.status == .failed && $0.onFailure == .fail }) {
                let reason = state.steps[failed.id]!.errors.last.map { "step '\(failed.id)' failed: \($0.error)" } ?? "step '\(failed.id)' failed"
                return end(&plan, reason: reason, final: .failed(code: "step_failed", reason: reason, step: failed.id))
            }
            if state.steps.values.allSatisfy(\.status.isFinal) {
                plan.append(.succeeded(output: Self.output(of: state)))
                return
            }
            let ready = state.definition.steps.filter { step in
                state.steps[step.id]!.status == .pending && step.dependsOn.allSatisfy { state.steps[$0]!.status.isFinal }
            }
            guard !ready.isEmpty else { return }
            if let budget = state.definition.budget, budget.isSpent(by: state.usage) {
                plan.append(.budgetExceeded(usage: state.usage))
                return end(&plan, reason: "the budget is spent", final: .failed(code: "budget_exceeded", reason: Self.budgetReason(budget, state.usage), step: ready[0].id))
            }
            for step in ready { schedule(step.id, attempt: state.steps[step.id]!.attempt + 1, in: &plan) }
        }
    }

    /// Gives attempt `attempt` of `step` to an agent, or fails it when no
    /// agent can take it or its input cannot be built.
    private func schedule(_ step: String, attempt: Int, in plan: inout Plan) {
        let definition = plan.state.definition(of: step)
        let input: JSONValue
        do {
            input = try renderInput(step, state: plan.state)
        } catch {
            let failure = StepError(code: "bad_reference", message: "\(error) in the step's input", retriable: false)
            return plan.append(.stepFailed(.init(step: step, attempt: attempt, agent: nil, error: failure, final: true)))
        }
        let tried = plan.state.steps[step]!.tried
        guard var candidates = agents.candidates(for: definition.target) else {
            return fail(step, attempt: attempt, agent: nil, error: .registryUnavailable, in: &plan)
        }
        // An approval is for one agent: an approved step runs there or waits for it.
        let approved = plan.state.steps[step]!.approval.flatMap { $0.status == .approved ? $0 : nil }
        if let approved { candidates = candidates.filter { $0.id == approved.agent } }
        let loaded = plan.assigned.isEmpty ? candidates : candidates.map { candidate in
            var candidate = candidate
            candidate.inFlight += plan.assigned[candidate.id] ?? 0
            return candidate
        }
        guard let agent = AgentPicker.pick(from: loaded, avoiding: tried, unit: random()) else {
            return fail(step, attempt: attempt, agent: nil, error: .noAgent(definition.target), in: &plan)
        }
        let approval = approved.flatMap { $0.digest == Approval.digest(agent: agent.id, action: definition.action, input: input) ? $0 : nil }
        if approval == nil, let requirement = definition.approval {
            // Nothing runs without a recorded approval of exactly this: the
            // step waits for a person (again, if its input changed since).
            return plan.append(.approval(.requested, Approval(
                id: makeID(), step: step, attempt: attempt, agent: agent.id, action: definition.action, input: input, requirement: requirement,
                source: .step, reasons: ["step '\(step)' requires an approval"], requestedBy: plan.state.submittedBy, now: now)))
        }
        plan.assigned[agent.id, default: 0] += 1
        plan.append(.stepScheduled(.init(step: step, attempt: attempt, agent: agent.id, input: input, action: definition.action,
                                         timeoutSeconds: definition.timeoutSeconds, approval: approval?.id)))
    }

    /// Ends the mission: every step not done is cancelled (running ones are
    /// told to stop by the service), then the final event.
    private func end(_ plan: inout Plan, reason: String, final: MissionEvent) {
        guard !plan.state.status.isFinal else { return }
        for step in plan.state.definition.steps where !plan.state.steps[step.id]!.status.isFinal {
            if var approval = plan.state.steps[step.id]!.approval, approval.status == .pending {
                approval.status = .cancelled
                approval.decidedAtUnixNanos = now
                plan.append(.approval(.cancelled, approval))
            }
            plan.append(.stepCancelled(step: step.id, reason: reason))
        }
        plan.append(final)
    }

    static func exceeds(_ budget: Budget, _ usage: Usage) -> Bool {
        if let maxTokens = budget.maxTokens, usage.totalTokens > maxTokens { return true }
        if let maxCost = budget.maxCostUSD, usage.costUSD > maxCost { return true }
        return false
    }

    static func budgetReason(_ budget: Budget, _ usage: Usage) -> String {
        var parts: [String] = []
        if let maxTokens = budget.maxTokens { parts.append("\(usage.totalTokens) of \(maxTokens) tokens") }
        if let maxCost = budget.maxCostUSD { parts.append("\(usage.costUSD) of \(maxCost) USD") }
        return "the budget is spent: " + parts.joined(separator: ", ")
    }

    /// The mission's result: the output of each step no other step depends on.
    static func output(of state: MissionState) -> JSONValue {
        let depended = Set(state.definition.steps.flatMap(\.dependsOn))
        var result: [String: JSONValue] = [:]
        for step in state.definition.steps where !depended.contains(step.id) { result[step.id] = state.steps[step.id]!.output ?? .null }
        return .object(result)
    }
}

/// Events decided so far, applied to the state as they are decided so each
/// rule sees the state the previous ones made.
struct Plan {
    var state: MissionState
    var events: [MissionEvent] = []
    let now: Int64
    /// Steps given to each agent by this decision so far: a fan-out's steps
    /// spread by load, not all by the load the book had before it.
    var assigned: [AgentID: Int] = [:]

    init(state: MissionState, first: MissionEvent? = nil, now: Int64) {
        self.state = state
        self.now = now
        if let first { events.append(first) }
    }

    mutating func append(_ event: MissionEvent) {
        events.append(event)
        state.apply(event, at: now)
    }
}
