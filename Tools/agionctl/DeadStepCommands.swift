import AgionJSON
import ArgumentParser
import Foundation

/// `agionctl dlq`: the steps that failed for good, and resuming their missions.
struct DeadLetters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dlq", abstract: "Steps that failed for good, and replaying them (docs/missions.md).",
                                                    subcommands: [List.self, Replay.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dead steps, newest first, with their last error.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Only this mission's") var mission: String?
        @Flag(help: "Also the steps already replayed") var all = false
        @Option var pageSize: Int?
        @Option var pageToken: String?

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("GET", "/v1/dlq/steps", query: [
                    "mission_id": mission, "include_replayed": all ? "true" : nil, "page_size": pageSize.map(String.init), "page_token": pageToken,
                ])
                Output.print(DeadLetters.withLastError(reply.withTimes(in: "steps", from: "dead_at_unix_nanos")), format: try connection.format,
                             list: "steps", columns: ["mission_id", "step_id", "attempt", "agent_id", "error", "time", "replayed_by"])
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resume a failed mission: its failed steps (or those named) get fresh attempts.",
            discussion: "With --wait, follows the mission to its end: exit code 0 when it succeeded, 1 otherwise.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var missionID: String
        @Argument(help: "Steps to run again (default: those whose failure ended the mission)") var steps: [String] = []
        @Flag(help: "Print each event as it happens and wait for the end") var wait = false

        func run() async throws {
            try await perform {
                let client = try connection.client()
                // Where the history stood, so --wait prints what the replay adds.
                let before = wait ? Int(try await client.call("GET", "/v1/missions/\(missionID)")["position"]?.stringValue ?? "") ?? 0 : 0
                let mission = try await client.call("POST", "/v1/missions/\(missionID)/replay",
                                                    json: steps.isEmpty ? [:] : ["step_ids": .array(steps.map { .string($0) })])
                guard wait else {
                    Output.print(mission, format: try connection.format, columns: ["mission_id", "status"])
                    return
                }
                let final = try await Missions.follow(missionID, after: before, client: client, format: try connection.format)
                if final["status"]?.stringValue != "succeeded" { throw ExitCode(1) }
            }
        }
    }

    /// Adds `error` (the last error's code and message) to each dead step.
    static func withLastError(_ reply: JSONValue) -> JSONValue {
        guard case .object(var object) = reply, let rows = object["steps"]?.arrayValue else { return reply }
        object["steps"] = .array(rows.map { row in
            guard case .object(var fields) = row, let last = fields["errors"]?.arrayValue?.last else { return row }
            fields["error"] = .string("\(Output.text(last["code"])): \(Output.text(last["message"]))")
            return .object(fields)
        })
        return .object(object)
    }
}
