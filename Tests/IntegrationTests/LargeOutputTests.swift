import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import AgionRuntime
import Foundation
import HTTPTypes
import MissionsCore
import Testing

/// Step outputs up to 16 MiB against the real services (two coordination
/// and two execution replicas): stored once outside the events, which hold
/// a reference; passed whole and in part to later steps; served whole by the
/// gateway; checked by governance's output rules; deleted by the tenant's
/// retention once the mission is old enough, its digest kept.
@Suite(.serialized, .timeLimit(.minutes(4)), .needsGovernance) struct LargeOutputTests {
    /// Just under 16 MiB of JSON: sixteen sections of 1,040,000 letters and a short summary.
    static let big: JSONValue = [
        "summary": "sixteen sections",
        "sections": .array((0..<16).map { .string(String(repeating: Character(UnicodeScalar(UInt8(97 + $0))), count: 1_040_000)) }),
    ]

    static let definition = #"""
        {"steps": [
          {"id": "big", "capability": "big", "action": "work.run", "input": {}},
          {"id": "part", "capability": "digest", "action": "work.run", "depends_on": ["big"],
           "input": {"summary": {"$ref": "steps.big.output.summary"}, "third": {"$ref": "steps.big.output.sections.2"}}},
          {"id": "whole", "capability": "digest", "action": "work.run", "depends_on": ["big"], "input": {"$ref": "steps.big.output"}}
        ]}
        """#

    @Test func aSixteenMebibyteOutputIsStoredOnceReadWholeAndInPartAndDeletedByRetention() async throws {
        let bytes = Self.big.serialized
        #expect(bytes.count > 16_000_000 && bytes.count < 16 << 20)
        let digest = OutputStore.digest(of: bytes)
        let tenant = try await MissionTenant(agents: ["lab:big": .answer(Self.big), "lab:digest": .digestOfInput],
                                             capabilities: ["lab:big": ["big"], "lab:digest": ["digest"]])
        let submitted = try await tenant.submit(Self.definition)
        let id = submitted.string("mission_id")
        let mission = try await tenant.final(id, timeout: .seconds(90))
        #expect(MissionTenant.status(mission) == "succeeded", "\(mission)")

        // The view and the history hold the reference, not the 16 MiB.
        let bigStep = try #require(MissionTenant.step(mission, "big"))
        let reference = try #require(OutputReference(bigStep.json("output")))
        #expect(reference.digest == digest && reference.size == bytes.count && reference.path.isEmpty)
        let events = try await tenant.events(id)
        let completed = try #require(events.first { $0.string("name") == "step_succeeded" && $0.string("step_id") == "big" }, "\(events.map { $0.string("name") })")
        #expect(try ProtoSchema.encode(completed).count < 4_096, "the event is small")
        #expect(events.reduce(0) { $0 + ((try? ProtoSchema.encode($1).count) ?? 0) } < 64 << 10, "the whole history is small")

        // The next steps got the stored value: a part (resolved by execution) and the whole.
        let part = try #require(MissionTenant.step(mission, "part")).json("output")
        let expectedPart: JSONValue = ["summary": "sixteen sections", "third": Self.big["sections"]?.arrayValue?[2] ?? .null]
        #expect(part["sha256"]?.stringValue == OutputStore.digest(of: expectedPart.serialized) && part["keys"] == ["summary", "third"])
        let whole = try #require(MissionTenant.step(mission, "whole")).json("output")
        #expect(whole["sha256"]?.stringValue == digest && whole["bytes"] == .integer(Int64(bytes.count)), "\(whole)")
        #expect(tenant.agents.invocations.filter { $0.agent == "lab:big" }.count == 1)

        // Stored once: the mission's outputs in the store are the one output.
        let store = OutputStore(jetStream: tenant.bus.jetStream)
        // (Digests compared, not 16 MiB arrays: a failing #expect would diff them for ever.)
        let read = try await store.read(reference, tenant: tenant.name, mission: id)
        #expect(read.count == bytes.count && OutputStore.digest(of: read) == digest)

        // The gateway serves all of it, with its digest.
        let platform = try await GatewayHarness.shared.adminKey()
        let created = try await gateway(.post, "/v1/tenants", key: platform, json: ["tenant": .string(tenant.name)])
        let key = try #require(created.json?["admin_key"]?["key"]?.stringValue, "\(created.text)")
        let served = try await gateway(.get, "/v1/missions/\(id)/steps/big/output", key: key)
        #expect(served.status == .ok && served.headers[HTTPField.Name("Agion-Output-Digest")!] == digest)
        let body = Array(served.text.utf8)
        #expect(body.count == bytes.count && OutputStore.digest(of: body) == digest, "\(served.status) \(served.text.prefix(300))")
        let small = try await gateway(.get, "/v1/missions/\(id)/steps/whole/output", key: key)
        #expect(small.status == .ok && small.json?["sha256"]?.stringValue == digest)
        let noStep = try await gateway(.get, "/v1/missions/\(id)/steps/nope/output", key: key)
        #expect(noStep.status == .notFound && noStep.field == "step_id", "\(noStep.text)")
        let badID = try await gateway(.get, "/v1/missions/not-a-uuid/steps/big/output", key: key)
        #expect(badID.status == .badRequest && badID.field == "mission_id")

        // Retention: an hour for this tenant. A running mission's outputs stay;
        // the finished one's go once its tenant's clock is two hours on.
        tenant.agents.set("lab:digest", .hang)
        let running = try await tenant.submit(Self.definition)
        let runningID = running.string("mission_id")
        try await eventually(timeout: .seconds(60), "the running mission's big step succeeded") {
            MissionTenant.step(try await tenant.get(runningID), "big")?.message("output") != nil
        }
        MissionsCluster.limits.set(.init(outputRetentionHours: 1), for: tenant.name)
        MissionsCluster.clock.advance(tenant: tenant.name, by: .seconds(7_200))
        try await eventually(timeout: .seconds(20), "retention deleted the finished mission's output") {
            try await !store.contains(reference, tenant: tenant.name, mission: id)
        }
        #expect(try await store.contains(reference, tenant: tenant.name, mission: runningID), "a running mission keeps its outputs")
        let gone = try await gateway(.get, "/v1/missions/\(id)/steps/big/output", key: key)
        #expect(gone.status == .gone && gone.problemType == "https://agion.dev/problems/gone" && gone.text.contains(digest), "\(gone.text)")
        // The history still has the digest.
        let after = try await tenant.events(id)
        #expect(after.count == events.count)
        let kept = try #require(MissionTenant.step(try await tenant.get(id), "big"))
        #expect(OutputReference(kept.json("output"))?.digest == digest)
        _ = try await tenant.cancel(runningID)
    }

    @Test func outputsThatCannotBeStoredOrReadFailTheStepByName() async throws {
        let hex = String(repeating: "ab", count: 32)
        let tenant = try await MissionTenant(
            agents: ["bad:forged": .answer(["$output": ["digest": .string("sha256:" + hex), "size": 3]]),
                     "bad:big": .answer(Self.big), "bad:digest": .digestOfInput],
            capabilities: ["bad:big": ["big"], "bad:digest": ["digest"]],
            // A rule that reads every output: the stored one is fetched and checked.
            policy: """
                rules: [{id: all, effect: allow}]
                output: [{id: no-p, agents: ["bad:big"], forbid: ["zzz"]}]
                """)
        // An agent may not answer the shape that means "stored output".
        let forged = try await tenant.final(try await tenant.submit(#"{"steps": [{"id": "a", "agent_id": "bad:forged", "action": "work.run"}]}"#)
            .string("mission_id"))
        let forgedError = MissionTenant.step(forged, "a")?.list("errors").first?.message
        #expect(forgedError?.string("code") == "invalid_output" && forgedError?.string("message").contains("$output") == true, "\(forged)")

        // A stored output passes the rule (no "zzz" in it) and one with it fails, read from the store.
        let passed = try await tenant.final(try await tenant.submit(#"{"steps": [{"id": "a", "capability": "big", "action": "work.run"}]}"#)
            .string("mission_id"), timeout: .seconds(60))
        #expect(MissionTenant.status(passed) == "succeeded", "\(passed)")
        tenant.agents.set("bad:big", .answer(["summary": "x", "text": .string(String(repeating: "q", count: 200_000) + "zzz")]))
        let failed = try await tenant.final(try await tenant.submit(#"{"steps": [{"id": "a", "capability": "big", "action": "work.run"}]}"#)
            .string("mission_id"), timeout: .seconds(60))
        let violation = MissionTenant.step(failed, "a")?.list("errors").first?.message
        #expect(violation?.string("code") == "invalid_output" && violation?.string("message").contains("no-p") == true, "\(failed)")

        // A path into a stored output that is not there fails the reading step (not a retry loop).
        tenant.agents.set("bad:big", .answer(Self.big))
        let missing = try await tenant.final(try await tenant.submit(#"""
            {"steps": [{"id": "big", "capability": "big", "action": "work.run"},
                       {"id": "use", "capability": "digest", "action": "work.run", "depends_on": ["big"],
                        "input": {"x": {"$ref": "steps.big.output.nothing.here"}}}]}
            """#).string("mission_id"), timeout: .seconds(60))
        let unavailable = MissionTenant.step(missing, "use")?.list("errors")
        #expect(unavailable?.count == 1 && unavailable?.first?.message?.string("code") == "input_unavailable", "\(missing)")
        #expect(unavailable?.first?.message?.string("message").contains("nothing.here") == true)
    }
}
