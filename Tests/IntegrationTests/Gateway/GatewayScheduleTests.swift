import AgionJSON
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Schedules through the public API and agionctl: created from a YAML file,
/// listed, fired on request, paused, resumed and deleted; refusals as
/// problems naming the field.
extension ScheduleServiceTests {
    @Test func schedulesThroughTheGatewayAndAgionctl() async throws {
        let tenant = try await MissionTenant(agents: ["cron:agent": .echo()])
        let platform = try await GatewayHarness.shared.adminKey()
        let created = try await gateway(.post, "/v1/tenants", key: platform, json: ["tenant": .string(tenant.name)])
        let admin = try #require(created.json?["admin_key"]?["key"]?.stringValue, "\(created.text)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("schedule-\(tenant.name).yaml").path
        try """
            name: weekday-report
            cron: "0 9 * * mon-fri"
            time_zone: Europe/Berlin
            overlap: buffer_one
            catch_up_window_seconds: 600
            definition:
              name: weekday-report
              steps:
                - {id: s, agent_id: "cron:agent", action: x.run, approval: none}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let application = Application(router: try await GatewayHarness.shared.router().make(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { client in
            let url = "http://127.0.0.1:\(client.port!)"
            let made = try await AgionCtlTests.agionctl(["schedules", "create", "-f", file, "-o", "json"], url: url, key: admin)
            #expect(made.status == 0, "\(made.stderr)")
            let schedule = try JSONValue.parse(Array(made.stdout.utf8))
            let id = try #require(schedule["schedule_id"]?.stringValue, "\(made.stdout)")
            #expect(schedule["time_zone"] == "Europe/Berlin" && schedule["overlap"] == "buffer_one" && schedule["catch_up_window_seconds"] == 600)
            let listed = try await AgionCtlTests.agionctl(["schedules", "list"], url: url, key: admin)
            #expect(listed.stdout.hasPrefix("SCHEDULE_ID") && listed.stdout.contains("weekday-report") && listed.stdout.contains("0 9 * * mon-fri"),
                    "\(listed.stdout)")

            let fired = try await AgionCtlTests.agionctl(["schedules", "trigger", id, "-o", "json"], url: url, key: admin)
            let mission = try #require(try JSONValue.parse(Array(fired.stdout.utf8))["mission_id"]?.stringValue, "\(fired.stdout) \(fired.stderr)")
            #expect(MissionTenant.status(try await tenant.final(mission)) == "succeeded")
            let firings = try await AgionCtlTests.agionctl(["schedules", "firings", id], url: url, key: admin)
            #expect(firings.stdout.contains("started") && firings.stdout.contains(mission), "\(firings.stdout)")

            let paused = try await gateway(.post, "/v1/schedules/\(id)/pause", key: admin)
            #expect(paused.status == .ok && paused.json?["paused"] == true, "\(paused.text)")
            #expect(try await AgionCtlTests.agionctl(["schedules", "resume", id], url: url, key: admin).status == 0)
            #expect(try await gateway(.get, "/v1/schedules/\(id)", key: admin).json?["paused"] == false)

            let badCron = try await gateway(.post, "/v1/schedules", key: admin, json: [
                "cron": "0 25 * * *", "definition": ["steps": [["id": "s", "agent_id": "cron:agent", "action": "x.run"]]]])
            #expect(badCron.status == .badRequest && badCron.field == "cron" && badCron.text.contains("hour"), "\(badCron.text)")
            let badStep = try await gateway(.post, "/v1/schedules", key: admin, json: [
                "cron": "* * * * *", "definition": ["steps": [["id": "s", "action": "x.run"]]]])
            #expect(badStep.status == .badRequest && badStep.field == "definition.steps[0]", "\(badStep.text)")
            #expect(try await AgionCtlTests.agionctl(["schedules", "delete", id], url: url, key: admin).status == 0)
            #expect(try await AgionCtlTests.agionctl(["schedules", "get", id], url: url, key: admin).status == 5)
            #expect(try await gateway(.post, "/v1/schedules/\(UUID().uuidString)/trigger", key: admin).status == .notFound)
        }
    }
}
