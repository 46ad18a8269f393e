import AgionContract
import AgionJSON
@testable import MissionsCore
import Testing

@Suite struct DefinitionTests {
    static let now: Int64 = 1_796_000_000_000_000_000

    static func parse(_ text: String) throws(DefinitionError) -> MissionDefinition {
        let json: JSONValue
        do { json = try JSONValue.parse(Array(text.utf8)) } catch { fatalError("test JSON does not parse: \(error)") }
        return try MissionDefinition.parse(json, nowUnixNanos: now)
    }

    static let report = """
        {"name": "weekly report", "input": {"topic": "solar", "pages": [1, 2]}, "principal": "user:alice",
         "budget": {"max_tokens": 100000, "max_cost_usd": 2.5}, "deadline_seconds": 600,
         "steps": [
           {"id": "research", "capability": "research", "action": "research.run", "input": {"topic": {"$ref": "input.topic"}},
            "timeout_seconds": 60, "retry": {"max_attempts": 4, "initial_backoff_ms": 200, "max_backoff_ms": 5000}},
           {"id": "chart", "capability": "charts", "action": "charts.render", "depends_on": ["research"],
            "input": {"rows": {"$ref": "steps.research.output.rows"}, "first_page": {"$ref": "input.pages.0"}}, "on_failure": "continue"},
           {"id": "write", "agent_id": "crewai:writer", "action": "report.write", "depends_on": ["research", "chart"],
            "input": {"facts": {"$ref": "steps.research.output"}, "chart": {"$ref": "steps.chart.output.url"}, "style": "brief"}}
         ]}
        """

    @Test func aFullDefinitionIsReadWithEveryField() throws {
        let mission = try Self.parse(Self.report)
        #expect(mission.name == "weekly report")
        #expect(mission.principal == "user:alice")
        #expect(mission.budget == Budget(maxTokens: 100_000, maxCostUSD: 2.5))
        #expect(mission.deadline == .after(seconds: 600))
        #expect(mission.steps.map(\.id) == ["research", "chart", "write"])
        let research = mission.steps[0]
        #expect(research.target == .capability("research"))
        #expect(research.timeoutSeconds == 60)
        #expect(research.retry == RetryPolicy(maxAttempts: 4, initialBackoffMillis: 200, maxBackoffMillis: 5_000))
        #expect(mission.steps[1].onFailure == .continue)
        #expect(mission.steps[2].target == .agent(try AgentID("crewai:writer")))
        #expect(mission.steps[2].dependsOn == ["research", "chart"])
        #expect(mission.steps[2].timeoutSeconds == StepDefinition.defaultTimeoutSeconds)
        #expect(mission.steps[2].retry == RetryPolicy())
    }

    @Test func anAbsoluteDeadlineIsAMomentAndAPastOneIsRefused() throws {
        let later = try Self.parse(#"{"deadline": "2027-01-01T00:00:00Z", "steps": [{"id": "a", "capability": "c", "action": "x"}]}"#)
        #expect(later.deadline == .at(unixNanos: 1_798_761_600_000_000_000))
        #expect(later.deadline?.moment(submittedAtNanos: Self.now) == 1_798_761_600_000_000_000)
        #expect(MissionDefinition.isStepID("a-b_c9") && !MissionDefinition.isStepID("-a") && !MissionDefinition.isStepID("A"))
    }

    /// Each broken definition is refused naming the exact field.
    @Test(arguments: [
        (#"{"steps": []}"#, "steps"),
        (#"{"stepz": []}"#, "stepz"),
        (#"{"input": {}}"#, "steps"),
        (#"[1]"#, ""),
        (#"{"steps": [{"id": "A", "capability": "c", "action": "x"}]}"#, "steps[0].id"),
        (#"{"steps": [{"capability": "c", "action": "x"}]}"#, "steps[0].id"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x"}, {"id": "a", "capability": "c", "action": "x"}]}"#, "steps[1].id"),
        (#"{"steps": [{"id": "a", "action": "x"}]}"#, "steps[0]"),
        (#"{"steps": [{"id": "a", "capability": "c", "agent_id": "x:y", "action": "x"}]}"#, "steps[0].agent_id"),
        (#"{"steps": [{"id": "a", "agent_id": "no colon", "action": "x"}]}"#, "steps[0].agent_id"),
        (#"{"steps": [{"id": "a", "capability": "c"}]}"#, "steps[0].action"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "has space"}]}"#, "steps[0].action"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x", "colour": 1}]}"#, "steps[0].colour"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x"}, {"id": "b", "capability": "c", "action": "x", "depends_on": ["zz"]}]}"#, "steps[1].depends_on[0]"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x", "depends_on": ["a"]}]}"#, "steps[0].depends_on[0]"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x"}, {"id": "b", "capability": "c", "action": "x", "depends_on": ["a", "a"]}]}"#, "steps[1].depends_on[1]"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x", "depends_on": [3]}]}"#, "steps[0].depends_on[0]"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x", "timeout_seconds": 0}]}"#, "steps[0].timeout_seconds"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x", "timeout_seconds": 1.5}]}"#, "steps[0].timeout_seconds"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x", "retry": {"max_attempts": 21}}]}"#, "steps[0].retry.max_attempts"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x", "retry": {"initial_backoff_ms": 500, "max_backoff_ms": 100}}]}"#, "steps[0].retry.max_backoff_ms"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x", "retry": {"jitter": true}}]}"#, "steps[0].retry.jitter"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x", "on_failure": "ignore"}]}"#, "steps[0].on_failure"),
        (#"{"budget": {}, "steps": [{"id": "a", "capability": "c", "action": "x"}]}"#, "budget"),
        (#"{"budget": {"max_cost_usd": -1}, "steps": [{"id": "a", "capability": "c", "action": "x"}]}"#, "budget.max_cost_usd"),
        (#"{"budget": {"max_tokens": 0}, "steps": [{"id": "a", "capability": "c", "action": "x"}]}"#, "budget.max_tokens"),
        (#"{"deadline": "tomorrow", "steps": [{"id": "a", "capability": "c", "action": "x"}]}"#, "deadline"),
        (#"{"deadline": "2020-01-01T00:00:00Z", "steps": [{"id": "a", "capability": "c", "action": "x"}]}"#, "deadline"),
        (#"{"deadline": "2027-01-01T00:00:00Z", "deadline_seconds": 5, "steps": [{"id": "a", "capability": "c", "action": "x"}]}"#, "deadline"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x", "input": {"t": {"$ref": "output.x"}}}]}"#, "steps[0].input.t.$ref"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x", "input": {"t": {"$ref": "input.topic", "b": 1}}}]}"#, "steps[0].input.t"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x", "input": [{"$ref": "input.missing"}]}]}"#, "steps[0].input[0].$ref"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x", "input": {"t": {"$ref": "steps.ghost.output"}}}]}"#, "steps[0].input.t.$ref"),
        (#"{"steps": [{"id": "a", "capability": "c", "action": "x"}, {"id": "b", "capability": "c", "action": "x", "input": {"t": {"$ref": "steps.a.output"}}}]}"#, "steps[1].input.t.$ref"),
    ])
    func aBrokenDefinitionNamesTheField(json: String, field: String) {
        do {
            _ = try Self.parse(json)
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.field == field, "\(error)")
        }
    }

    @Test func aCycleIsRefusedAtAnEdgeThatClosesIt() {
        let json = #"{"steps": [{"id": "a", "capability": "c", "action": "x", "depends_on": ["c"]}, {"id": "b", "capability": "c", "action": "x", "depends_on": ["a"]}, {"id": "c", "capability": "c", "action": "x", "depends_on": ["b"]}, {"id": "d", "capability": "c", "action": "x"}]}"#
        do {
            _ = try Self.parse(json)
            Issue.record("a cycle was accepted")
        } catch {
            #expect(error.field.hasPrefix("steps[") && error.field.hasSuffix("].depends_on[0]"), "\(error)")
            #expect(error.reason.contains("cycle"))
        }
    }

    @Test func referencesMayReachAnyStepUpstreamNotOnlyDirectDependencies() throws {
        let mission = try Self.parse("""
            {"steps": [{"id": "a", "capability": "c", "action": "x"},
                       {"id": "b", "capability": "c", "action": "x", "depends_on": ["a"]},
                       {"id": "c", "capability": "c", "action": "x", "depends_on": ["b"], "input": {"from_a": {"$ref": "steps.a.output.x"}}}]}
            """)
        #expect(mission.steps.count == 3)
    }

    @Test func sizesAreBounded() {
        let steps = (0...DefinitionLimits.steps).map { #"{"id": "s\#($0)", "capability": "c", "action": "x"}"# }.joined(separator: ",")
        #expect(throws: DefinitionError(field: "steps", reason: "at most \(DefinitionLimits.steps) steps, not \(DefinitionLimits.steps + 1)")) {
            try Self.parse(#"{"steps": [\#(steps)]}"#)
        }
        let big = String(repeating: "x", count: DefinitionLimits.inputBytes)
        do {
            _ = try Self.parse(#"{"input": {"blob": "\#(big)"}, "steps": [{"id": "a", "capability": "c", "action": "x"}]}"#)
            Issue.record("an oversized input was accepted")
        } catch {
            #expect(error.field == "input")
        }
    }
}
