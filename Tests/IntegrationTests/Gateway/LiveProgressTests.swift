import AgionJSON
import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import MissionsCore
import NIOCore
import Testing

/// Live partial results: an HTTP agent that streams its answer as events,
/// and a client following the mission through the gateway sees each token
/// as the agent produces it, not at the end.
extension MissionServiceTests {
    @Test func aFollowerSeesStreamedTokensAsTheAgentProducesThem() async throws {
        let tokens = ["Solar ", "storage ", "grew ", "42% ", "this year."]
        let tenant = try await MissionTenant(agents: ["live:writer": .stream(tokens: tokens, every: .milliseconds(400)),
                                                      "live:broken": .streamError(retriable: false)])
        let platform = try await GatewayHarness.shared.adminKey()
        let created = try await gateway(.post, "/v1/tenants", key: platform, json: ["tenant": .string(tenant.name)])
        let admin = try #require(created.json?["admin_key"]?["key"]?.stringValue, "\(created.text)")
        let application = Application(router: try await GatewayHarness.shared.router().make(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { client in
            let base = "http://127.0.0.1:\(client.port!)"
            let submitted = try await gateway(.post, "/v1/missions", key: admin, json: [
                "steps": [["id": "write", "agent_id": "live:writer", "action": "report.write"]]])
            let id = try #require(submitted.json?["mission_id"]?.stringValue, "\(submitted.text)")
            let frames = try await Self.follow("\(base)/v1/missions/\(id)/stream", key: admin)

            let progress = frames.filter { $0.name == "step_progress" }
            #expect(progress.map { $0.data["text"]?.stringValue ?? "" } == tokens, "\(frames.map(\.name))")
            #expect(progress.allSatisfy { $0.data["live"] == true && $0.data["agent_id"] == "live:writer" && $0.data["step_id"] == "write" })
            #expect(progress.allSatisfy { $0.id == nil }, "live updates carry no SSE id: they are not stored")
            let done = try #require(frames.first { $0.name == "step_succeeded" })
            // As produced: the first token long before the step ended, the tokens spread over its run.
            let first = try #require(progress.first), last = try #require(progress.last)
            #expect(done.at - first.at > .milliseconds(1_000), "first token \(first.at), step done \(done.at)")
            #expect(last.at - first.at > .milliseconds(1_000))
            #expect(done.data["data"]?["text"]?.stringValue == tokens.joined())
            // Stored: the output, not the tokens.
            let names = try await tenant.events(id).map { $0.string("name") }
            #expect(!names.contains("step_progress") && names.last == "succeeded", "\(names)")

            // A streamed error fails the attempt with the agent's reason.
            let broken = try await gateway(.post, "/v1/missions", key: admin, json: [
                "steps": [["id": "s", "agent_id": "live:broken", "action": "x.run"]]])
            let mission = try await tenant.final(try #require(broken.json?["mission_id"]?.stringValue))
            let error = MissionTenant.step(mission, "s")?.list("errors").last?.message
            #expect(error?.string("code") == "agent_error" && error?.string("message").contains("model_down") == true, "\(mission)")
        }
    }

    struct Frame {
        var id: String?
        var name: String
        var data: JSONValue
        /// When the client read it.
        var at: ContinuousClock.Instant
    }

    /// Reads a mission's event stream as it arrives, each frame stamped with
    /// when it came, until the mission's final event.
    static func follow(_ url: String, key: String) async throws -> [Frame] {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer " + key)
        let response = try await AsyncHTTPClient.HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(response.status == .ok && response.headers.first(name: "Content-Type") == "text/event-stream")
        var frames: [Frame] = []
        var pending = ""
        for try await chunk in response.body {
            pending += String(buffer: chunk)
            while let end = pending.range(of: "\n\n") {
                let block = pending[..<end.lowerBound]
                pending = String(pending[end.upperBound...])
                var frame = Frame(id: nil, name: "", data: .null, at: .now)
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("id: ") { frame.id = String(line.dropFirst(4)) }
                    if line.hasPrefix("event: ") { frame.name = String(line.dropFirst(7)) }
                    if line.hasPrefix("data: ") { frame.data = (try? JSONValue.parse(Array(line.dropFirst(6).utf8))) ?? .null }
                }
                guard !frame.name.isEmpty else { continue }
                frames.append(frame)
                if ["succeeded", "failed", "cancelled", "timed_out"].contains(frame.name) { return frames }
            }
        }
        return frames
    }
}
