import AgionContract
import AgionEnvelope
import AgionJSON
@testable import MissionsCore
import Testing

/// What is stored and sent reads back to what was made.
@Suite struct MissionWireTests {
    static let definition = try! DefinitionTests.parse(DefinitionTests.report)

    @Test func aDefinitionRoundTripsThroughItsProtoAndTheWire() throws {
        let proto = Self.definition.proto
        let bytes = try ProtoSchema.encode(proto)
        let decoded = try MissionDefinition.parse(proto: try ProtoSchema.decode("agion.v1.MissionDefinition", from: bytes), nowUnixNanos: DefinitionTests.now)
        #expect(decoded == Self.definition)
    }

    @Test func aProtoDefinitionIsValidatedWithTheSameFieldPaths() throws {
        var proto = Self.definition.proto
        var steps = proto.list("steps")
        var second = steps[1].message!
        second.fields["depends_on"] = .list([.string("nowhere")])
        steps[1] = .message(second)
        proto.fields["steps"] = .list(steps)
        #expect(throws: DefinitionError(field: "steps[1].depends_on[0]", reason: "there is no step 'nowhere'")) {
            try MissionDefinition.parse(proto: proto, nowUnixNanos: DefinitionTests.now)
        }
    }

    @Test func jsonSurvivesTheValueWireWithIntegersKept() throws {
        let json: JSONValue = ["n": 42, "big": .integer(9_007_199_254_740_992), "pi": 3.25, "s": "x", "l": [true, .null, ["k": []]]]
        let back = JSONValue(valueProto: try ProtoSchema.decode("agion.v1.Value", from: try ProtoSchema.encode(json.valueProto)))
        #expect(back == json)
    }

    /// Every kind of event reads back from its proto as itself.
    @Test func everyEventRoundTripsThroughItsProto() throws {
        let agent = try AgentID("r:one")
        let events: [MissionEvent] = [
            .submitted(.init(definition: Self.definition, idempotencyKey: "k-1", submittedAtUnixNanos: 5, deadlineUnixNanos: 600_000_000_005)),
            .stepScheduled(.init(step: "research", attempt: 1, agent: agent, input: ["topic": "solar"], action: "research.run", timeoutSeconds: 60)),
            .stepStarted(step: "research", attempt: 1, agent: agent),
            .stepSucceeded(.init(step: "research", attempt: 1, agent: agent, output: ["rows": [1, 2]], usage: Usage(inputTokens: 3, outputTokens: 4, costUSD: 0.5),
                                 latencyMillis: 12.5)),
            .stepFailed(.init(step: "chart", attempt: 2, agent: agent, error: StepError(code: "timeout", message: "took 60 s", retriable: true),
                              usage: Usage(outputTokens: 1), final: false)),
            .stepFailed(.init(step: "chart", attempt: 3, agent: nil, error: .noAgent(.capability("charts")), final: true)),
            .stepFailed(.init(step: "chart", attempt: 4, agent: agent, error: StepError(code: "governance_unavailable", message: "down", retriable: true,
                                                                                      platform: true), final: false)),
            .stepRetryScheduled(step: "chart", attempt: 3, atUnixNanos: 99),
            .stepAwaitingApproval(step: "write", attempt: 1, agent: agent, reasons: ["rule big"]),
            .stepCancelled(step: "write", reason: "the budget is spent"),
            .budgetExceeded(usage: Usage(inputTokens: 100)),
            .cancelRequested(by: "key:abc", reason: "not needed"),
            .stepReplayed(step: "s", by: "key:ops"),
            .succeeded(output: ["write": ["text": "done"]]),
            .failed(code: "step_failed", reason: "step 'chart' failed", step: "chart"),
            .failed(code: "budget_exceeded", reason: "spent", step: nil),
            .cancelled(reason: "not needed"),
            .timedOut,
        ]
        for (position, event) in events.enumerated() {
            let proto = event.proto(mission: "m-1", position: Int64(position + 1), at: 5)
            let decoded = try ProtoSchema.decode("agion.v1.MissionEvent", from: try ProtoSchema.encode(proto))
            #expect(try MissionEvent(proto: decoded) == event, "\(event.name)")
            #expect(decoded.string("name") == event.name && decoded.int("position") == Int64(position + 1))
        }
        #expect(try MissionEvent(proto: ProtoMessage("agion.v1.MissionEvent", ["name": .string("from_the_future")])) == nil)
    }

    @Test func theSnapshotOfAStateReadsBackToTheSameState() throws {
        let research = MissionDeciderTests.book.byCapability["research"]!
        let decider = MissionDecider(now: 1, agents: AgentBook(byCapability: ["research": research, "charts": research]), random: { 0.3 })
        var (_, state) = decider.submit(id: "m-1", definition: Self.definition, idempotencyKey: "k")
        let first = state.steps["research"]!
        (_, state) = decider.handle(.attemptFinished(AttemptOutcome(step: "research", attempt: 1, agent: first.agent!,
                                                                  result: .succeeded(output: ["rows": [1, 2, 3]], usage: Usage(inputTokens: 9, costUSD: 0.1)))),
                                    state: state)
        let chart = state.steps["chart"]!
        (_, state) = decider.handle(.attemptFinished(AttemptOutcome(step: "chart", attempt: 1, agent: chart.agent!,
                                                                  result: .failed(StepError(code: "timeout", message: "slow", retriable: true), usage: .zero))),
                                    state: state)
        #expect(state.steps["chart"]!.status == .retrying)
        let stored = state.snapshot.serialized
        let restored = try #require(MissionState(snapshot: try JSONValue.parse(stored)))
        #expect(restored == state)
        // And the client's view carries the steps in definition order.
        let view = try ProtoSchema.decode("agion.v1.Mission", from: try ProtoSchema.encode(state.view))
        #expect(view.list("steps").compactMap { $0.message?.string("id") } == ["research", "chart", "write"])
        #expect(view.int("status") == 1 && view.message("usage")?.int("input_tokens") == 9)
    }
}
