import AgionContract
import AgionEnvelope
import AgionJSON
@testable import MissionsCore
import Testing

/// Human approvals: nothing runs without a recorded approval of exactly what
/// runs; who may decide; expiry, escalation, rejection and cancellation.
@Suite struct ApprovalTests {
    typealias D = MissionDeciderTests
    static let second: Int64 = 1_000_000_000
    static let alice = Approver(subject: "key:alice", role: "approver", groups: ["finance"])
    static let submitter = "key:bob"

    static func definition(approval: ApprovalRequirement? = ApprovalRequirement(), input: JSONValue = ["amount": 120]) -> MissionDefinition {
        var pay = D.step("pay", "write", input: ["amount": ["$ref": "input.amount"]])
        pay.approval = approval
        return MissionDefinition(input: input, steps: [pay, D.step("notify", "write", after: ["pay"])])
    }

    static func submit(_ definition: MissionDefinition = definition()) -> (events: [MissionEvent], state: MissionState) {
        var n = 0
        return MissionDecider(now: D.t0, agents: D.book, random: { 0 }, makeID: { n += 1; return "0190a000-0000-7000-8000-00000000000\(n)" })
            .submit(id: "m", definition: definition, idempotencyKey: "", submittedBy: submitter)
    }

    static func decide(_ state: MissionState, _ approver: Approver = alice, approve: Bool = true, digest: String? = nil, at offset: Int64 = 5 * second)
        -> (events: [MissionEvent], state: MissionState) {
        let approval = state.steps["pay"]!.approval!
        let decision = ApprovalDecision(approvalID: approval.id, step: "pay", approve: approve, approver: approver, comment: "ok", digest: digest)
        return D.decider(at: offset).handle(.decideApproval(decision), state: state)
    }

    @Test func aStepThatRequiresApprovalWaitsAndRunsOnlyOnceApprovedWithTheSameInput() throws {
        var (events, state) = Self.submit()
        #expect(events.map(\.name) == ["submitted", "approval_requested"])
        let approval = try #require(state.steps["pay"]!.approval)
        #expect(state.steps["pay"]!.status == .awaitingApproval && state.steps["pay"]!.attempt == 0)
        #expect(approval.status == .pending && approval.source == .step && approval.attempt == 1 && approval.input == ["amount": 120])
        #expect(approval.agent.description == "w:one" && approval.requestedBy == Self.submitter)
        #expect(approval.digest == Approval.digest(agent: approval.agent, action: "write.run", input: ["amount": 120]))
        #expect(approval.expiresAtUnixNanos == D.t0 + 3_600 * Self.second)

        (events, state) = Self.decide(state)
        #expect(events.map(\.name) == ["approval_approved", "step_scheduled"])
        guard case .stepScheduled(let scheduled) = events[1] else { return }
        #expect(scheduled.approval == approval.id && scheduled.attempt == 1 && scheduled.agent == approval.agent)
        #expect(state.steps["pay"]!.approval?.status == .approved && state.steps["pay"]!.approval?.decidedBy == "key:alice")
        // Deciding again changes nothing, and says why.
        #expect(Self.decide(state).events.isEmpty)
        #expect(MissionDecider.approvalRefusal(.init(approvalID: approval.id, step: "pay", approve: true, approver: Self.alice), state: state)?.kind
                == .conflict)
        // A retry of the approved run needs no new approval: the same call.
        (events, state) = D.fail("pay", state, retriable: true)
        (events, state) = D.decider(at: 10 * Self.second).handle(.retryDue(step: "pay"), state: state)
        #expect(events.map(\.name) == ["step_scheduled"])
        if case .stepScheduled(let retry) = events[0] { #expect(retry.approval == approval.id && retry.attempt == 2) }
    }

    @Test func onlyAnotherApproverOfTheNamedGroupsWhoSawThisInputMayDecide() throws {
        let (_, state) = Self.submit(Self.definition(approval: ApprovalRequirement(groups: ["finance", "risk"])))
        let approval = state.steps["pay"]!.approval!
        func refusal(_ approver: Approver, digest: String? = nil) -> ApprovalRefusal.Kind? {
            MissionDecider.approvalRefusal(.init(approvalID: approval.id, step: "pay", approve: true, approver: approver, digest: digest), state: state)?.kind
        }
        #expect(refusal(Approver(subject: "key:v", role: "viewer", groups: ["finance"])) == .forbidden)
        #expect(refusal(Approver(subject: "key:c", role: "approver", groups: ["sales"])) == .forbidden)
        #expect(refusal(Approver(subject: Self.submitter, role: "admin", groups: ["finance"])) == .forbidden, "the submitter")
        #expect(refusal(Self.alice, digest: "sha256:00") == .conflict, "approved for other input")
        #expect(refusal(Self.alice, digest: approval.digest) == nil)
        #expect(refusal(Approver(subject: "key:ops", role: "admin", groups: ["risk"])) == nil)
        #expect(MissionDecider.approvalRefusal(.init(approvalID: "other", step: "pay", approve: true, approver: Self.alice), state: state)?.kind
                == .notFound)
        // Refused decisions append nothing.
        #expect(Self.decide(state, Approver(subject: "key:c", role: "approver", groups: [])).events.isEmpty)
        #expect(Self.decide(state, digest: "sha256:00").events.isEmpty)
    }

    @Test func aRejectionFailsTheStepForGoodAndAReplayAsksAgain() throws {
        var (events, state) = Self.submit()
        (events, state) = Self.decide(state, approve: false)
        #expect(events.map(\.name) == ["approval_rejected", "step_failed", "step_cancelled", "failed"])
        if case .stepFailed(let failure) = events[1] { #expect(failure.error.code == "approval_rejected" && failure.final && failure.agent == nil) }
        #expect(state.status == .failed && state.outcome?.code == "step_failed")
        let first = state.steps["pay"]!.approval!.id
        (events, state) = D.decider(at: 9 * Self.second).handle(.replay(steps: [], by: "key:ops"), state: state)
        #expect(events.map(\.name) == ["step_replayed", "approval_requested"])
        #expect(state.steps["pay"]!.approval!.id != first && state.steps["pay"]!.approval!.status == .pending)
    }

    @Test func anUnansweredRequestEscalatesOnceThenExpiresAndFailsTheStep() throws {
        var (events, state) = Self.submit(Self.definition(approval: ApprovalRequirement(groups: ["finance"], timeoutSeconds: 60, escalateTo: ["cfo"])))
        // Not before its time.
        #expect(D.decider(at: 59 * Self.second).handle(.approvalDue(step: "pay"), state: state).events.isEmpty)
        (events, state) = D.decider(at: 61 * Self.second).handle(.approvalDue(step: "pay"), state: state)
        #expect(events.map(\.name) == ["approval_escalated"])
        let escalated = state.steps["pay"]!.approval!
        #expect(escalated.groups == ["cfo"] && escalated.escalated && escalated.expiresAtUnixNanos == D.t0 + 121 * Self.second)
        #expect(state.steps["pay"]!.status == .awaitingApproval)
        // Finance may no longer decide; the CFO may.
        #expect(MissionDecider.approvalRefusal(.init(approvalID: escalated.id, step: "pay", approve: true, approver: Self.alice), state: state)?.kind
                == .forbidden)
        (events, state) = D.decider(at: 122 * Self.second).handle(.approvalDue(step: "pay"), state: state)
        #expect(events.map(\.name) == ["approval_expired", "step_failed", "step_cancelled", "failed"])
        if case .stepFailed(let failure) = events[1] { #expect(failure.error.code == "approval_expired" && !failure.error.retriable) }
        #expect(state.steps["pay"]!.approval!.status == .expired)
    }

    @Test func withoutAnEscalationTheRequestExpiresAtItsTimeout() {
        var (events, state) = Self.submit(Self.definition(approval: ApprovalRequirement(timeoutSeconds: 30)))
        (events, state) = D.decider(at: 30 * Self.second).handle(.approvalDue(step: "pay"), state: state)
        #expect(events.map(\.name) == ["approval_expired", "step_failed", "step_cancelled", "failed"])
    }

    @Test func governancesRequireApprovalCostsNoAttemptAndTheApprovedRunGoesToTheSameAgent() throws {
        var (events, state) = Self.submit(Self.definition(approval: nil))
        let agent = state.steps["pay"]!.agent!
        (events, state) = D.decider(at: Self.second).handle(.attemptFinished(AttemptOutcome(
            step: "pay", attempt: 1, agent: agent,
            result: .awaitingApproval(reasons: ["rule big needs a human"], requirement: ApprovalRequirement(groups: ["finance"])))), state: state)
        #expect(events.map(\.name) == ["approval_requested"])
        let approval = try #require(state.steps["pay"]!.approval)
        #expect(approval.source == .policy && approval.attempt == 1 && approval.agent == agent && approval.groups == ["finance"])
        #expect(state.steps["pay"]!.status == .awaitingApproval && state.steps["pay"]!.agentAttempts == 0)
        #expect(state.steps["pay"]!.approvalReasons == ["rule big needs a human"])
        // The same report again changes nothing.
        #expect(D.decider(at: Self.second).handle(.attemptFinished(AttemptOutcome(
            step: "pay", attempt: 1, agent: agent, result: .awaitingApproval(reasons: []))), state: state).events.isEmpty)
        (events, state) = Self.decide(state)
        #expect(events.map(\.name) == ["approval_approved", "step_scheduled"])
        if case .stepScheduled(let scheduled) = events[1] { #expect(scheduled.attempt == 2 && scheduled.agent == agent && scheduled.approval == approval.id) }
    }

    @Test func anApprovedAgentThatIsGoneIsWaitedForNotSwapped() {
        var (_, state) = Self.submit()
        // The approved agent left the book: the step fails for want of it and is retried.
        let gone = AgentBook(byCapability: ["write": [D.agent("w:two")]])
        let approval = state.steps["pay"]!.approval!
        let decision = ApprovalDecision(approvalID: approval.id, step: "pay", approve: true, approver: Self.alice)
        let events: [MissionEvent]
        (events, state) = MissionDecider(now: D.t0, agents: gone, random: { 0 }).handle(.decideApproval(decision), state: state)
        #expect(events.map(\.name) == ["approval_approved", "step_failed", "step_retry_scheduled"])
    }

    @Test func endingTheMissionCancelsItsPendingRequests() {
        var (events, state) = Self.submit()
        (events, state) = D.decider(at: Self.second).handle(.cancel(by: "key:ops", reason: "not needed"), state: state)
        #expect(events.map(\.name) == ["cancel_requested", "approval_cancelled", "step_cancelled", "step_cancelled", "cancelled"])
        #expect(state.steps["pay"]!.approval!.status == .cancelled)
        #expect(Self.decide(state).events.isEmpty)
    }

    @Test func theDigestBindsAgentActionAndInputAndIgnoresKeyOrder() throws {
        let agent = try AgentID("w:one")
        let base = Approval.digest(agent: agent, action: "pay.run", input: ["a": 1, "b": [true, "x"]])
        #expect(base.hasPrefix("sha256:") && base.count == 7 + 64)
        let reordered = try JSONValue.parse(Array(#"{"b": [true, "x"], "a": 1}"#.utf8))
        #expect(Approval.digest(agent: agent, action: "pay.run", input: reordered) == base)
        #expect(Approval.digest(agent: agent, action: "pay.run", input: ["a": 2, "b": [true, "x"]]) != base)
        #expect(Approval.digest(agent: try AgentID("w:two"), action: "pay.run", input: ["a": 1, "b": [true, "x"]]) != base)
        #expect(Approval.digest(agent: agent, action: "pay.runs", input: ["a": 1, "b": [true, "x"]]) != base)
    }

    @Test func approvalEventsAndStatesSurviveTheWireAndTheSnapshot() throws {
        var (events, state) = Self.submit(Self.definition(approval: ApprovalRequirement(groups: ["finance"], timeoutSeconds: 60, escalateTo: ["cfo"])))
        var all = events
        (events, state) = D.decider(at: 61 * Self.second).handle(.approvalDue(step: "pay"), state: state)
        all += events
        (events, state) = Self.decide(state, Approver(subject: "key:cfo", role: "approver", groups: ["cfo"]), at: 70 * Self.second)
        all += events
        // (The submitted event's time is its envelope's: the other tests cover it.)
        for (position, event) in all.dropFirst().enumerated() {
            let proto = event.proto(mission: "m", position: Int64(position + 2), at: 5)
            let decoded = try ProtoSchema.decode("agion.v1.MissionEvent", from: try ProtoSchema.encode(proto))
            #expect(try MissionEvent(proto: decoded) == event, "\(event.name)")
        }
        let restored = try #require(MissionState(snapshot: try JSONValue.parse(state.snapshot.serialized)))
        #expect(restored == state && restored.submittedBy == Self.submitter)
        let view = try ProtoSchema.decode("agion.v1.Mission", from: try ProtoSchema.encode(state.view))
        let step = try #require(view.list("steps").first?.message)
        #expect(step.message("approval")?.string("status") == "approved" && step.message("approval")?.string("decided_by") == "key:cfo")
    }

    @Test func aDefinitionSaysWhoApprovesAndBadOnesAreRefusedByField() throws {
        func parse(_ approval: String) throws(DefinitionError) -> MissionDefinition {
            let json = try! JSONValue.parse(Array(#"{"steps": [{"id": "a", "capability": "c", "action": "x.y", "approval": \#(approval)}]}"#.utf8))
            return try MissionDefinition.parse(json, nowUnixNanos: 0)
        }
        #expect(try parse(#""required""#).steps[0].approval == ApprovalRequirement())
        #expect(try parse(#""none""#).steps[0].approval == nil)
        let full = try parse(#"{"groups": ["finance"], "timeout_seconds": 900, "escalate_to": ["cfo"]}"#).steps[0].approval
        #expect(full == ApprovalRequirement(groups: ["finance"], timeoutSeconds: 900, escalateTo: ["cfo"]))
        // Through the proto and back.
        let definition = try parse(#"{"groups": ["finance"], "timeout_seconds": 900}"#)
        #expect(try MissionDefinition.parse(proto: definition.proto, nowUnixNanos: 0) == definition)
        let cases: [(String, String)] = [
            (#""maybe""#, "steps[0].approval"), (#"{"groups": ["a b"]}"#, "steps[0].approval.groups[0]"),
            (#"{"timeout_seconds": 0}"#, "steps[0].approval.timeout_seconds"), (#"{"who": 1}"#, "steps[0].approval.who"),
        ]
        for (text, field) in cases {
            #expect(throws: DefinitionError.self) { try parse(text) }
            do { _ = try parse(text) } catch { #expect(error.field == field, "\(text): \(error)") }
        }
    }

    @Test func aPolicyRequirementIsReadFromItsObligationWithBoundsKept() {
        let read = ApprovalRequirement(obligationParameters: ["groups": "finance, risk", "timeout_seconds": "120", "escalate_to": "cfo"])
        #expect(read == ApprovalRequirement(groups: ["finance", "risk"], timeoutSeconds: 120, escalateTo: ["cfo"]))
        #expect(ApprovalRequirement(obligationParameters: ["timeout_seconds": "99999999"]).timeoutSeconds == ApprovalRequirement.defaultTimeoutSeconds)
    }
}
