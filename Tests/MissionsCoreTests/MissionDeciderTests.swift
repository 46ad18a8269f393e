import AgionContract
import AgionJSON
@testable import MissionsCore
import Testing

/// The mission rules, step by step, with the randomness pinned.
@Suite struct MissionDeciderTests {
    static let t0: Int64 = 1_796_000_000_000_000_000
    static func agent(_ id: String, trust: Double = 0.5, healthy: Bool = true) -> AgentCandidate {
        AgentCandidate(id: try! AgentID(id), healthy: healthy, trust: trust)
    }
    static let book = AgentBook(
        byCapability: ["research": [agent("r:one"), agent("r:two")], "write": [agent("w:one")], "none": [agent("n:sick", healthy: false)]],
        byID: [try! AgentID("w:one"): agent("w:one"), try! AgentID("x:down"): agent("x:down", healthy: false)])

    static func step(_ id: String, _ capability: String = "research", after: [String] = [], input: JSONValue = [:],
                     attempts: Int = 3, onFailure: StepDefinition.OnFailure = .fail) -> StepDefinition {
        StepDefinition(id: id, target: .capability(capability), action: "\(capability).run", input: input, dependsOn: after,
                       retry: RetryPolicy(maxAttempts: attempts, initialBackoffMillis: 1_000, maxBackoffMillis: 8_000), onFailure: onFailure)
    }

    static func decider(at offset: Int64 = 0, book: AgentBook = book, unit: Double = 0) -> MissionDecider {
        MissionDecider(now: t0 + offset, agents: book, random: { unit })
    }

    static func succeed(_ step: String, _ state: MissionState, output: JSONValue = ["ok": true], usage: Usage = .zero,
                        at offset: Int64 = 1_000) -> (events: [MissionEvent], state: MissionState) {
        let current = state.steps[step]!
        return decider(at: offset).handle(.attemptFinished(AttemptOutcome(step: step, attempt: current.attempt, agent: current.agent!,
                                                                          result: .succeeded(output: output, usage: usage))), state: state)
    }

    static func fail(_ step: String, _ state: MissionState, retriable: Bool, usage: Usage = .zero) -> (events: [MissionEvent], state: MissionState) {
        let current = state.steps[step]!
        return decider(at: 2_000).handle(.attemptFinished(AttemptOutcome(
            step: step, attempt: current.attempt, agent: current.agent!,
            result: .failed(StepError(code: retriable ? "timeout" : "agent_error", message: "m", retriable: retriable), usage: usage))), state: state)
    }

    @Test func aChainRunsStepByStepWithEachInputBuiltFromTheLast() throws {
        let definition = MissionDefinition(input: ["topic": "solar"], steps: [
            Self.step("research", input: ["topic": ["$ref": "input.topic"]]),
            Self.step("write", "write", after: ["research"], input: ["facts": ["$ref": "steps.research.output.summary"]]),
        ])
        var (events, state) = Self.decider().submit(id: "m1", definition: definition, idempotencyKey: "k")
        #expect(events.map(\.name) == ["submitted", "step_scheduled"])
        guard case .stepScheduled(let first) = events[1] else { return }
        #expect(first.step == "research" && first.attempt == 1 && first.input == ["topic": "solar"] && first.action == "research.run")
        #expect(state.steps["research"]!.status == .scheduled && state.steps["write"]!.status == .pending)

        (events, state) = Self.decider().handle(.attemptStarted(step: "research", attempt: 1, agent: first.agent), state: state)
        #expect(events.map(\.name) == ["step_started"] && state.steps["research"]!.status == .running)

        (events, state) = Self.succeed("research", state, output: ["summary": "sunny"], usage: Usage(inputTokens: 10, outputTokens: 5, costUSD: 0.01))
        #expect(events.map(\.name) == ["step_succeeded", "step_scheduled"])
        guard case .stepScheduled(let second) = events[1] else { return }
        #expect(second.step == "write" && second.input == ["facts": "sunny"] && second.agent.description == "w:one")

        (events, state) = Self.succeed("write", state, output: ["text": "report"], usage: Usage(inputTokens: 1, outputTokens: 1, costUSD: 0.02))
        #expect(events.map(\.name) == ["step_succeeded", "succeeded"])
        #expect(state.status == .succeeded && state.output == ["write": ["text": "report"]])
        #expect(state.usage == Usage(inputTokens: 11, outputTokens: 6, costUSD: 0.03))
        #expect(state.position == 7)
    }

    @Test func independentStepsRunAtOnceAndAJoinWaitsForAll() {
        let definition = MissionDefinition(steps: [
            Self.step("a"), Self.step("b"), Self.step("c"), Self.step("join", "write", after: ["a", "b", "c"]),
        ])
        var (events, state) = Self.decider().submit(id: "m", definition: definition, idempotencyKey: "")
        #expect(events.filter { $0.name == "step_scheduled" }.count == 3)
        (events, state) = Self.succeed("a", state)
        (events, state) = Self.succeed("b", state)
        #expect(events.map(\.name) == ["step_succeeded"])
        (events, state) = Self.succeed("c", state)
        #expect(events.map(\.name) == ["step_succeeded", "step_scheduled"])
        #expect(state.steps["join"]!.status == .scheduled)
    }

    @Test func aRetriableFailureIsRetriedAfterBackoffOnAnotherAgentUntilAttemptsRunOut() {
        let definition = MissionDefinition(steps: [Self.step("a", attempts: 2)])
        var (events, state) = Self.decider().submit(id: "m", definition: definition, idempotencyKey: "")
        let firstAgent = state.steps["a"]!.agent!
        (events, state) = Self.fail("a", state, retriable: true)
        #expect(events.map(\.name) == ["step_failed", "step_retry_scheduled"])
        guard case .stepRetryScheduled(_, let attempt, let at) = events[1] else { return }
        // Attempt 1 failed: 1 s backoff with equal jitter (unit 0: half of it).
        #expect(attempt == 2 && at == Self.t0 + 2_000 + 500_000_000)
        #expect(state.steps["a"]!.status == .retrying)
        // Due: scheduled again, on the other agent.
        (events, state) = Self.decider(at: 600_000_000).handle(.retryDue(step: "a"), state: state)
        #expect(events.map(\.name) == ["step_scheduled"])
        #expect(state.steps["a"]!.attempt == 2 && state.steps["a"]!.agent != firstAgent)
        // The last attempt fails: the step and the mission fail.
        (events, state) = Self.fail("a", state, retriable: true)
        #expect(events.map(\.name) == ["step_failed", "failed"])
        #expect(state.status == .failed && state.outcome?.code == "step_failed" && state.outcome?.step == "a")
        #expect(state.steps["a"]!.errors.count == 2)
    }

    @Test func aPermanentFailureIsNotRetried() {
        var (_, state) = Self.decider().submit(id: "m", definition: MissionDefinition(steps: [Self.step("a"), Self.step("b")]), idempotencyKey: "")
        let events: [MissionEvent]
        (events, state) = Self.fail("a", state, retriable: false)
        #expect(events.map(\.name) == ["step_failed", "step_cancelled", "failed"])
        #expect(state.steps["b"]!.status == .cancelled)
    }

    @Test func aStepThatMayFailLetsItsDependentsRunWithNull() {
        let definition = MissionDefinition(steps: [
            Self.step("flaky", attempts: 1, onFailure: .continue),
            Self.step("after", "write", after: ["flaky"], input: ["got": ["$ref": "steps.flaky.output.x"]]),
        ])
        var (events, state) = Self.decider().submit(id: "m", definition: definition, idempotencyKey: "")
        (events, state) = Self.fail("flaky", state, retriable: true)
        #expect(events.map(\.name) == ["step_failed", "step_scheduled"])
        guard case .stepScheduled(let scheduled) = events[1] else { return }
        #expect(scheduled.input == ["got": .null])
        (events, state) = Self.succeed("after", state)
        #expect(state.status == .succeeded && state.steps["flaky"]!.status == .failed)
    }

    @Test func withoutAHealthyAgentTheStepFailsAndIsRetriedNeverGivenToAnUnhealthyOne() {
        let definition = MissionDefinition(steps: [
            Self.step("a", "none", attempts: 2),
            StepDefinition(id: "b", target: .agent(try! AgentID("x:down")), action: "x", retry: RetryPolicy(maxAttempts: 1)),
        ])
        let (events, state) = Self.decider().submit(id: "m", definition: definition, idempotencyKey: "")
        #expect(events.map(\.name) == ["submitted", "step_failed", "step_retry_scheduled", "step_failed", "step_cancelled", "failed"])
        if case .stepFailed(let failed) = events[1] { #expect(failed.error.code == "no_agent" && failed.agent == nil && !failed.final) }
        #expect(state.outcome?.step == "b")
        #expect(!events.contains { if case .stepScheduled = $0 { true } else { false } })
    }

    @Test func aPlatformFailureIsRetriedWithoutUsingUpTheStepsAttempts() {
        let definition = MissionDefinition(steps: [Self.step("a", attempts: 2)])
        var (events, state) = Self.decider().submit(id: "m", definition: definition, idempotencyKey: "")
        // Governance out of reach, five times over: never final, backoff from 0.5 s doubling.
        var delays: [Int64] = []
        for round in 1...5 {
            let current = state.steps["a"]!
            (events, state) = Self.decider(at: 2_000).handle(.attemptFinished(AttemptOutcome(
                step: "a", attempt: current.attempt, agent: current.agent!,
                result: .failed(StepError(code: "governance_unavailable", message: "down", retriable: true, platform: true), usage: .zero))), state: state)
            #expect(events.map(\.name) == ["step_failed", "step_retry_scheduled"], "round \(round)")
            guard case .stepRetryScheduled(_, _, let at) = events[1] else { return }
            delays.append((at - Self.t0 - 2_000) / 1_000_000)
            (events, state) = Self.decider(at: at - Self.t0).handle(.retryDue(step: "a"), state: state)
        }
        #expect(delays == [250, 500, 1_000, 2_000, 4_000])
        #expect(state.steps["a"]!.platformFailures == 5 && state.steps["a"]!.agentAttempts == 1)
        // The agent's own failures still count: two of them end the step.
        (events, state) = Self.fail("a", state, retriable: true)
        #expect(events.map(\.name) == ["step_failed", "step_retry_scheduled"])
        (events, state) = Self.decider(at: 60_000_000_000).handle(.retryDue(step: "a"), state: state)
        (events, state) = Self.fail("a", state, retriable: true)
        #expect(events.map(\.name) == ["step_failed", "failed"])
        #expect(state.steps["a"]!.attempt == 7)
    }

    @Test func aRegistryThatDoesNotAnswerDelaysTheStepWithoutFailingIt() {
        let target = StepDefinition.Target.capability("research")
        var silent = Self.book
        silent.unknown = [target]
        let definition = MissionDefinition(steps: [Self.step("a", attempts: 1)])
        var (events, state) = Self.decider(book: silent).submit(id: "m", definition: definition, idempotencyKey: "")
        #expect(events.map(\.name) == ["submitted", "step_failed", "step_retry_scheduled"])
        if case .stepFailed(let failed) = events[1] { #expect(failed.error.code == "registry_unavailable" && failed.error.platform && !failed.final) }
        (events, state) = Self.decider(at: 1_000_000_000, book: silent).handle(.retryDue(step: "a"), state: state)
        #expect(events.map(\.name) == ["step_failed", "step_retry_scheduled"])
        // The registry answers again: the step is scheduled, its one attempt intact.
        (events, state) = Self.decider(at: 5_000_000_000).handle(.retryDue(step: "a"), state: state)
        #expect(events.map(\.name) == ["step_scheduled"])
        #expect(state.steps["a"]!.agentAttempts == 1)
    }

    @Test func replayingAFailedMissionResumesItFromItsFailedSteps() {
        let definition = MissionDefinition(steps: [Self.step("a", attempts: 2), Self.step("b"), Self.step("c", "write", after: ["a", "b"])])
        var (events, state) = Self.decider().submit(id: "m", definition: definition, idempotencyKey: "")
        (events, state) = Self.succeed("b", state)
        (events, state) = Self.fail("a", state, retriable: false)
        #expect(state.status == .failed && state.steps["c"]!.status == .cancelled)
        // Refusals name what is wrong.
        let refusal = { (steps: [String], state: MissionState) -> MissionDecider.ReplayRefusal? in
            if case .failure(let refusal) = MissionDecider.replayTargets(steps, state: state, now: Self.t0) { refusal } else { nil }
        }
        #expect(refusal(["zzz"], state)?.field == "step_ids[0]")
        #expect(refusal(["a", "b"], state)?.reason == "step 'b' did not fail (it is succeeded)")
        // Resumed: a gets fresh attempts, c (cancelled by the failure) waits for it again.
        (events, state) = Self.decider(at: 5_000).handle(.replay(steps: [], by: "ops"), state: state)
        #expect(events.map(\.name) == ["step_replayed", "step_scheduled"])
        guard case .stepScheduled(let again) = events[1] else { return }
        #expect(again.step == "a" && again.attempt == 2)
        #expect(state.status == .running && state.outcome == nil && state.steps["c"]!.status == .pending)
        #expect(state.steps["a"]!.agentAttempts == 1 && state.steps["a"]!.errors.count == 1)
        // Its attempts are fresh: a retriable failure is retried once more (max 2).
        (events, state) = Self.fail("a", state, retriable: true)
        #expect(events.map(\.name) == ["step_failed", "step_retry_scheduled"])
        (events, state) = Self.decider(at: 60_000_000_000).handle(.retryDue(step: "a"), state: state)
        (events, state) = Self.succeed("a", state)
        #expect(events.map(\.name) == ["step_succeeded", "step_scheduled"])
        (events, state) = Self.succeed("c", state)
        #expect(state.status == .succeeded)
        #expect(refusal([], state)?.reason == "only a failed mission can be replayed; this one is succeeded")
        // The same state comes from the events alone.
        #expect(MissionState(snapshot: state.snapshot) == state)
    }

    @Test func aMissionThatFailedForItsBudgetOrDeadlineIsNotReplayed() {
        var definition = MissionDefinition(steps: [Self.step("a")])
        definition.budget = Budget(maxTokens: 10)
        var (_, state) = Self.decider().submit(id: "m", definition: definition, idempotencyKey: "")
        (_, state) = Self.succeed("a", state, usage: Usage(inputTokens: 20, outputTokens: 0, costUSD: 0))
        guard case .failure(let refusal) = MissionDecider.replayTargets([], state: state, now: Self.t0) else { Issue.record("replayable"); return }
        #expect(refusal.reason.hasPrefix("the mission failed for budget_exceeded"))
        let (events, _) = Self.decider().handle(.replay(steps: [], by: "ops"), state: state)
        #expect(events.isEmpty)
    }

    @Test func aRepeatedOrStaleReportChangesNothing() {
        var (_, state) = Self.decider().submit(id: "m", definition: MissionDefinition(steps: [Self.step("a"), Self.step("b", after: ["a"])]),
                                               idempotencyKey: "")
        let first = Self.succeed("a", state, usage: Usage(inputTokens: 7))
        state = first.state
        let again = Self.decider().handle(.attemptFinished(AttemptOutcome(step: "a", attempt: 1, agent: state.steps["a"]!.agent!,
                                                                        result: .succeeded(output: [:], usage: Usage(inputTokens: 7)))), state: state)
        #expect(again.events.isEmpty && again.state == state && state.usage.inputTokens == 7)
        let stale = Self.decider().handle(.attemptFinished(AttemptOutcome(step: "b", attempt: 5, agent: state.steps["b"]!.agent!,
                                                                        result: .succeeded(output: [:], usage: .zero))), state: state)
        #expect(stale.events.isEmpty)
        #expect(Self.decider().handle(.attemptStarted(step: "b", attempt: 9, agent: state.steps["b"]!.agent!), state: state).events.isEmpty)
        #expect(Self.decider().handle(.retryDue(step: "b"), state: state).events.isEmpty)
    }

    @Test func spendingPastTheBudgetFailsTheMissionAndCancelsWhatRuns() {
        let definition = MissionDefinition(budget: Budget(maxTokens: 100), steps: [Self.step("a"), Self.step("b"), Self.step("c", after: ["a"])])
        var (_, state) = Self.decider().submit(id: "m", definition: definition, idempotencyKey: "")
        let events: [MissionEvent]
        (events, state) = Self.succeed("a", state, usage: Usage(inputTokens: 80, outputTokens: 30))
        #expect(events.map(\.name) == ["step_succeeded", "budget_exceeded", "step_cancelled", "step_cancelled", "failed"])
        #expect(state.status == .failed && state.outcome?.code == "budget_exceeded")
        #expect(state.steps["b"]!.status == .cancelled && state.steps["c"]!.status == .cancelled)
    }

    @Test func aSpentBudgetStartsNoFurtherStep() {
        let definition = MissionDefinition(budget: Budget(maxCostUSD: 1), steps: [Self.step("a"), Self.step("b", after: ["a"])])
        var (_, state) = Self.decider().submit(id: "m", definition: definition, idempotencyKey: "")
        let events: [MissionEvent]
        (events, state) = Self.succeed("a", state, usage: Usage(costUSD: 1))
        #expect(events.map(\.name) == ["step_succeeded", "budget_exceeded", "step_cancelled", "failed"])
        #expect(state.outcome?.code == "budget_exceeded" && state.outcome?.step == "b")
        // Exactly spent with nothing left to run is a success.
        var (_, last) = Self.decider().submit(id: "m2", definition: MissionDefinition(budget: Budget(maxCostUSD: 1), steps: [Self.step("a")]),
                                              idempotencyKey: "")
        (_, last) = Self.succeed("a", last, usage: Usage(costUSD: 1))
        #expect(last.status == .succeeded)
    }

    @Test func theDeadlineEndsTheMissionOnlyOnceItHasPassed() {
        let definition = MissionDefinition(deadline: .after(seconds: 10), steps: [Self.step("a")])
        let (_, state) = Self.decider().submit(id: "m", definition: definition, idempotencyKey: "")
        #expect(state.deadlineUnixNanos == Self.t0 + 10_000_000_000)
        #expect(Self.decider(at: 9_999_999_999).handle(.deadlineDue, state: state).events.isEmpty)
        let (events, ended) = Self.decider(at: 10_000_000_000).handle(.deadlineDue, state: state)
        #expect(events.map(\.name) == ["step_cancelled", "timed_out"])
        #expect(ended.status == .timedOut && ended.outcome?.code == "deadline_exceeded")
        // Any command after the deadline ends it too (a lost timer cannot keep it alive).
        #expect(Self.decider(at: 11_000_000_000).handle(.retryDue(step: "a"), state: state).state.status == .timedOut)
    }

    @Test func cancelStopsEverythingOnceAndALateReportStillCountsItsUsage() {
        var (_, state) = Self.decider().submit(id: "m", definition: MissionDefinition(steps: [Self.step("a"), Self.step("b", after: ["a"])]),
                                               idempotencyKey: "")
        let agent = state.steps["a"]!.agent!
        var events: [MissionEvent]
        (events, state) = Self.decider().handle(.cancel(by: "user:alice", reason: ""), state: state)
        #expect(events.map(\.name) == ["cancel_requested", "step_cancelled", "step_cancelled", "cancelled"])
        #expect(state.status == .cancelled && state.outcome?.reason == "cancelled by user:alice")
        #expect(Self.decider().handle(.cancel(by: "user:bob", reason: "again"), state: state).events.isEmpty)
        (events, state) = Self.decider().handle(.attemptFinished(AttemptOutcome(step: "a", attempt: 1, agent: agent,
                                                                              result: .succeeded(output: [:], usage: Usage(outputTokens: 40)))), state: state)
        #expect(events.map(\.name) == ["step_succeeded"])
        #expect(state.status == .cancelled && state.steps["a"]!.status == .cancelled && state.usage.outputTokens == 40)
    }

    @Test func anOutputWithoutTheFieldAStepReadsFailsThatStepForGood() {
        let definition = MissionDefinition(steps: [Self.step("a"), Self.step("b", after: ["a"], input: ["x": ["$ref": "steps.a.output.summary"]])])
        var (_, state) = Self.decider().submit(id: "m", definition: definition, idempotencyKey: "")
        let events: [MissionEvent]
        (events, state) = Self.succeed("a", state, output: ["other": 1])
        #expect(events.map(\.name) == ["step_succeeded", "step_failed", "failed"])
        if case .stepFailed(let failed) = events[1] { #expect(failed.error.code == "bad_reference" && failed.final) }
    }

    @Test func replayingTheEventsGivesTheSameState() {
        let definition = MissionDefinition(steps: [Self.step("a", attempts: 3), Self.step("b", after: ["a"])])
        var all: [(MissionEvent, Int64)] = []
        var (events, state) = Self.decider().submit(id: "m", definition: definition, idempotencyKey: "key")
        all += events.map { ($0, Self.t0) }
        (events, state) = Self.fail("a", state, retriable: true)
        all += events.map { ($0, Self.t0 + 2_000) }
        (events, state) = Self.decider(at: 2_000_000_000).handle(.retryDue(step: "a"), state: state)
        all += events.map { ($0, Self.t0 + 2_000_000_000) }
        #expect(MissionState.replay(id: "m", all) == state)
    }
}
