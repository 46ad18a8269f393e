import AgionContract
import AgionJSON
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Missions through the public API: submit with an Idempotency-Key, read,
/// list, the history, cancel, and the server-sent event stream, resumed.
extension MissionServiceTests {
    @Test func missionsThroughTheGatewayWithTheirEventStream() async throws {
        let tenant = try await MissionTenant(agents: ["web:researcher": .echo(), "web:writer": .slow(.milliseconds(200))],
                                             capabilities: ["web:researcher": ["research"]])
        // The gateway's tenant is the mission tenant's name: make its keys.
        let platform = try await GatewayHarness.shared.adminKey()
        let created = try await gateway(.post, "/v1/tenants", key: platform, json: ["tenant": .string(tenant.name)])
        let admin = try #require(created.json?["admin_key"]?["key"]?.stringValue, "\(created.text)")
        let definition: JSONValue = ["name": "web", "input": ["topic": "wind"], "steps": [
            ["id": "research", "capability": "research", "action": "research.run", "input": ["t": ["$ref": "input.topic"]]],
            ["id": "write", "agent_id": "web:writer", "action": "report.write", "depends_on": ["research"]],
        ]]
        let submitted = try await gateway(.post, "/v1/missions", key: admin, json: definition, headers: [HTTPField.Name("Idempotency-Key")!: "web-1"])
        #expect(submitted.status == .created, "\(submitted.text)")
        let id = try #require(submitted.json?["mission_id"]?.stringValue)
        let again = try await gateway(.post, "/v1/missions", key: admin, json: definition, headers: [HTTPField.Name("Idempotency-Key")!: "web-1"])
        #expect(again.json?["mission_id"]?.stringValue == id)

        // The stream: every event from the first, and the stream ends with the final one.
        let stream = try await gateway(.get, "/v1/missions/\(id)/stream", key: admin)
        #expect(stream.status == .ok && stream.headers[.contentType] == "text/event-stream")
        let frames = Self.frames(stream.text)
        #expect(frames.map(\.id) == Array(1...Int64(frames.count)), "\(stream.text)")
        #expect(frames.first?.event == "submitted" && frames.last?.event == "succeeded")
        #expect(frames.last?.data["data"]?["write"]?["agent"] == "web:writer")
        // Resumed after position 3: the rest, nothing twice.
        let resumed = try await gateway(.get, "/v1/missions/\(id)/stream", key: admin, headers: [HTTPField.Name("Last-Event-ID")!: "3"])
        #expect(Self.frames(resumed.text).map(\.id) == Array(4...Int64(frames.count)))

        let mission = try await gateway(.get, "/v1/missions/\(id)", key: admin)
        #expect(mission.json?["status"] == "succeeded")
        #expect(Self.items(mission.json?["steps"]).map { $0["status"] } == ["succeeded", "succeeded"])
        #expect(mission.json?["output"]?["write"]?["agent"] == "web:writer", "\(mission.text)")
        let events = try await gateway(.get, "/v1/missions/\(id)/events?after_position=2&limit=2", key: admin)
        #expect(Self.items(events.json?["events"]).count == 2)
        let list = try await gateway(.get, "/v1/missions?status=succeeded", key: admin)
        #expect(Self.items(list.json?["missions"]).first?["mission_id"]?.stringValue == id, "\(list.text)")

        // Refused definitions name the field; other tenants see nothing.
        let broken = try await gateway(.post, "/v1/missions", key: admin, json: ["steps": [["id": "a", "capability": "c", "action": "x", "depends_on": ["zz"]]]])
        #expect(broken.status == .badRequest && broken.field == "steps[0].depends_on[0]", "\(broken.text)")
        let typo = try await gateway(.post, "/v1/missions", key: admin, json: ["stepz": []])
        #expect(typo.status == .badRequest && typo.field == "stepz", "\(typo.text)")
        let other = try await gateway(.post, "/v1/tenants", key: platform, json: ["tenant": .string(tenant.name + "x")])
        let outsider = try #require(other.json?["admin_key"]?["key"]?.stringValue)
        #expect(try await gateway(.get, "/v1/missions/\(id)", key: outsider).status == .notFound)
        #expect(try await gateway(.get, "/v1/missions/\(id)/stream", key: outsider).status == .notFound)
        #expect(try await gateway(.post, "/v1/missions/\(id)/cancel", key: outsider).status == .notFound)

        // Cancelling a finished mission is a conflict, a running one stops.
        let finished = try await gateway(.post, "/v1/missions/\(id)/cancel", key: admin)
        #expect(finished.status == .conflict && finished.problemType == "https://agion.dev/problems/failed-precondition", "\(finished.text)")
        tenant.agents.set("web:writer", .hang)
        let long = try await gateway(.post, "/v1/missions", key: admin, json: definition)
        let longID = try #require(long.json?["mission_id"]?.stringValue)
        try await eventually("the writer is called") { tenant.agents.invocations.filter { $0.agent == "web:writer" }.count == 2 }
        let cancelled = try await gateway(.post, "/v1/missions/\(longID)/cancel", key: admin, json: ["reason": "enough"])
        #expect(cancelled.json?["status"] == "cancelled" && cancelled.json?["outcome_reason"] == "enough", "\(cancelled.text)")
    }

    static func items(_ json: JSONValue?) -> [JSONValue] { if case .array(let items)? = json { items } else { [] } }

    static func frames(_ text: String) -> [(id: Int64, event: String, data: JSONValue)] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var id: Int64?, event = "", data = JSONValue.null
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = Int64(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = (try? JSONValue.parse(Array(line.dropFirst(6).utf8))) ?? .null }
            }
            return id.map { ($0, event, data) }
        }
    }
}

extension MissionServiceTests {
    /// agionctl: a mission from a YAML file, followed to its end (exit 0),
    /// one that fails (exit 1), and the list and one mission.
    @Test func agionctlRunsAMissionFromYAMLAndFollowsIt() async throws {
        let tenant = try await MissionTenant(agents: ["ctl:researcher": .echo(), "ctl:broken": .status(400)], capabilities: ["ctl:researcher": ["research"]])
        let created = try await gateway(.post, "/v1/tenants", key: try await GatewayHarness.shared.adminKey(), json: ["tenant": .string(tenant.name)])
        let admin = try #require(created.json?["admin_key"]?["key"]?.stringValue)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agionctl-\(tenant.name)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let good = directory.appendingPathComponent("good.yaml").path
        try """
            name: from-yaml
            input: {topic: tides}
            steps:
              - id: research
                capability: research
                action: research.run
                input: {topic: {$ref: input.topic}}
              - id: again
                capability: research
                action: research.run
                depends_on: [research]
                input: {prior: {$ref: steps.research.output.echo.topic}}
            """.write(toFile: good, atomically: true, encoding: .utf8)
        let bad = directory.appendingPathComponent("bad.json").path
        try #"{"steps": [{"id": "s", "agent_id": "ctl:broken", "action": "x.run"}]}"#.write(toFile: bad, atomically: true, encoding: .utf8)

        let application = Application(router: try await GatewayHarness.shared.router().make(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { client in
            let url = "http://127.0.0.1:\(client.port!)"
            let run = try await AgionCtlTests.agionctl(["missions", "run", "-f", good, "--wait", "--idempotency-key", "ctl-1"], url: url, key: admin)
            #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("step_succeeded  research") && run.stdout.contains("succeeded"), "\(run.stdout)")
            #expect(run.stdout.contains(#""prior":"tides""#), "\(run.stdout)")
            let failed = try await AgionCtlTests.agionctl(["missions", "run", "-f", bad, "--wait"], url: url, key: admin)
            #expect(failed.status == 1 && failed.stdout.contains("agent_rejected"), "\(failed.stdout)\n\(failed.stderr)")
            let list = try await AgionCtlTests.agionctl(["missions", "list", "-o", "json"], url: url, key: admin)
            let missions = (try JSONValue.parse(Array(list.stdout.utf8)))["missions"]?.arrayValue ?? []
            #expect(missions.count == 2)
            let id = try #require(missions.first { $0["name"] == "from-yaml" }?["mission_id"]?.stringValue)
            let one = try await AgionCtlTests.agionctl(["missions", "get", id], url: url, key: admin)
            #expect(one.status == 0 && one.stdout.contains("research") && one.stdout.contains("again"), "\(one.stdout)")
            let missing = try await AgionCtlTests.agionctl(["missions", "get", UUID().uuidString], url: url, key: admin)
            #expect(missing.status == 5)
            let output = try await AgionCtlTests.agionctl(["missions", "output", id, "again"], url: url, key: admin)
            #expect(output.status == 0 && (try? JSONValue.parse(Array(output.stdout.utf8)))?["echo"]?["prior"] == "tides", "\(output.status) \(output.stdout) \(output.stderr)")
            let noStep = try await AgionCtlTests.agionctl(["missions", "output", id, "nope"], url: url, key: admin)
            #expect(noStep.status == 5 && noStep.stderr.contains("step_id"), "\(noStep.status) \(noStep.stderr)")

            // The failed step is in the dead-letter list; mended, its replay finishes the mission.
            let broken = try #require(missions.first { $0["name"] != "from-yaml" }?["mission_id"]?.stringValue)
            let dead = try await AgionCtlTests.agionctl(["dlq", "list"], url: url, key: admin)
            #expect(dead.status == 0 && dead.stdout.contains(broken) && dead.stdout.contains("agent_rejected: HTTP 400"), "\(dead.stdout)")
            tenant.agents.set("ctl:broken", .echo())
            let replay = try await AgionCtlTests.agionctl(["dlq", "replay", broken, "--wait"], url: url, key: admin)
            #expect(replay.status == 0 && replay.stdout.contains("step_replayed  s") && !replay.stdout.contains("submitted"),
                    "\(replay.stdout)\n\(replay.stderr)")
            let after = try await AgionCtlTests.agionctl(["dlq", "list", "--all", "-o", "json"], url: url, key: admin)
            let entries = (try JSONValue.parse(Array(after.stdout.utf8)))["steps"]?.arrayValue ?? []
            #expect(entries.count == 1 && entries.first?["replayed_by"]?.stringValue?.isEmpty == false, "\(after.stdout)")
            let twice = try await AgionCtlTests.agionctl(["dlq", "replay", broken], url: url, key: admin)
            #expect(twice.status == 6 && twice.stderr.contains("only a failed mission can be replayed"), "\(twice.stderr)")
        }
    }
}
