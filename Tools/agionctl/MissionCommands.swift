import AgionJSON
import ArgumentParser
import Foundation
import Yams

struct Missions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run, follow, list and cancel missions (docs/missions.md).",
                                                    subcommands: [Run.self, Get.self, StepOutput.self, List.self, Events.self, Watch.self, Cancel.self])

    static let columns = ["mission_id", "name", "status", "outcome_code", "time"]
    static let stepColumns = ["id", "status", "attempt", "agent_id", "capability", "action"]
    static let finalStatuses: Set<String> = ["succeeded", "failed", "cancelled", "timed_out"]

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Submit a mission from a YAML or JSON file; --wait follows it to its end.",
                                                        discussion: "Exit code 0 when submitted (with --wait: when it succeeded), 1 when it failed, was cancelled or timed out.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .shortAndLong, help: "The mission's definition (.yaml, .yml or .json)") var file: String
        @Option(help: "Submitting the same key again returns the same mission") var idempotencyKey: String?
        @Flag(help: "Print each event as it happens and wait for the end") var wait = false

        func run() async throws {
            let definition = try Missions.definition(readFile(file), path: file)
            try await perform {
                let client = try connection.client()
                let mission = try await client.call("POST", "/v1/missions", json: definition,
                                                    headers: idempotencyKey.map { ["Idempotency-Key": $0] } ?? [:])
                guard wait, let id = mission["mission_id"]?.stringValue else {
                    Output.print(mission, format: try connection.format, columns: ["mission_id", "name", "status"])
                    return
                }
                let final = try await Missions.follow(id, client: client, format: try connection.format)
                if final["status"]?.stringValue != "succeeded" { throw ExitCode(1) }
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A mission, with each step.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var missionID: String

        func run() async throws {
            try await perform {
                let mission = try await connection.client().call("GET", "/v1/missions/\(missionID)")
                if try connection.format == .json { Output.print(mission, format: .json, columns: []); return }
                Output.fields(mission, columns: ["mission_id", "name", "status", "outcome_code", "outcome_reason", "usage", "output"])
                print("")
                Output.table(mission["steps"]?.arrayValue ?? [], columns: Missions.stepColumns)
            }
        }
    }

    struct StepOutput: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "output", abstract: "A step's output as JSON, the whole of it even when stored apart (up to 16 MiB).",
                                                        discussion: "Exit code 5 when there is no such step or output, or retention deleted it.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var missionID: String
        @Argument var stepID: String
        @Option(name: [.customShort("w"), .customLong("write")], help: "Write it to this file instead of standard output") var file: String?

        func run() async throws {
            try await perform {
                let path = "/v1/missions/\(missionID)/steps/\(stepID.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? stepID)/output"
                let data = try await connection.client().bytes("GET", path)
                if let file {
                    try data.write(to: URL(fileURLWithPath: file))
                } else {
                    FileHandle.standardOutput.write(data)
                    print("")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Missions, newest first.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "running, succeeded, failed, cancelled or timed_out") var status: String?
        @Option var name: String?
        @Option var pageSize: Int?
        @Option var pageToken: String?

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("GET", "/v1/missions", query: [
                    "status": status, "name": name, "page_size": pageSize.map(String.init), "page_token": pageToken,
                ])
                Output.print(reply.withTimes(in: "missions", from: "submitted_at_unix_nanos"), format: try connection.format, list: "missions",
                             columns: Missions.columns)
            }
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A mission's history, oldest first.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var missionID: String
        @Option(help: "Only events after this position") var after: Int = 0

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("GET", "/v1/missions/\(missionID)/events", query: ["after_position": String(after)])
                if try connection.format == .json { Output.print(reply, format: .json, columns: []); return }
                for event in reply["events"]?.arrayValue ?? [] { print(Missions.line(event)) }
            }
        }
    }

    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Follow a mission live, a line per event, until it ends.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var missionID: String

        func run() async throws {
            try await perform {
                let final = try await Missions.follow(missionID, client: try connection.client(), format: try connection.format)
                if final["status"]?.stringValue != "succeeded" { throw ExitCode(1) }
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a mission: running steps are stopped.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var missionID: String
        @Option var reason: String?

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("POST", "/v1/missions/\(missionID)/cancel",
                                                               json: reason.map { ["reason": .string($0)] } ?? [:])
                Output.print(reply, format: try connection.format, columns: ["mission_id", "status", "outcome_reason"])
            }
        }
    }

    /// Prints each event after `position` (from the first by default) as it
    /// happens (the events route, read on from the last position), then the
    /// mission at its end.
    static func follow(_ id: String, after position: Int = 0, client: APIClient, format: OutputFormat) async throws -> JSONValue {
        var position = position
        while true {
            let reply = try await client.call("GET", "/v1/missions/\(id)/events", query: ["after_position": String(position)])
            for event in reply["events"]?.arrayValue ?? [] {
                position = Int(event["position"]?.stringValue ?? "") ?? position
                print(format == .json ? event.serializedString : line(event))
            }
            let last = Int(reply["last_position"]?.stringValue ?? "") ?? 0
            if position >= last {
                let mission = try await client.call("GET", "/v1/missions/\(id)")
                if finalStatuses.contains(mission["status"]?.stringValue ?? ""), position >= Int(mission["position"]?.stringValue ?? "") ?? 0 {
                    if format == .table {
                        print("")
                        Output.fields(mission, columns: ["mission_id", "status", "outcome_reason", "usage", "output"])
                    }
                    return mission
                }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// `3  step_succeeded  research  attempt 1  lab:researcher  {...}`
    static func line(_ event: JSONValue) -> String {
        var parts = [event["position"]?.stringValue ?? "", event["name"]?.stringValue ?? ""]
        if let step = event["step_id"]?.stringValue, !step.isEmpty { parts.append(step) }
        if let attempt = event["attempt"], attempt != .integer(0), attempt != .null { parts.append("attempt \(Output.text(attempt))") }
        if let agent = event["agent_id"]?.stringValue, !agent.isEmpty { parts.append(agent) }
        for key in ["reason", "code"] { if let text = event[key]?.stringValue, !text.isEmpty { parts.append(text) } }
        if let error = event["error"], error != .null { parts.append("\(Output.text(error["code"])): \(Output.text(error["message"]))") }
        if let data = event["data"], data != .null, event["name"]?.stringValue != "submitted" {
            let text = data.serializedString
            parts.append(text.count > 160 ? String(text.prefix(157)) + "..." : text)
        }
        return parts.joined(separator: "  ")
    }

    /// A definition file as JSON: JSON as it is, YAML read into the same shape.
    static func definition(_ text: String, path: String) throws -> JSONValue {
        if path.hasSuffix(".json") { return try parseJSON(text, option: path) }
        guard let loaded = try? Yams.load(yaml: text), let json = json(loaded) else { throw ValidationError("\(path) is not valid YAML") }
        return json
    }

    static func json(_ value: Any?) -> JSONValue? {
        switch value {
        case nil, is NSNull: return .null
        case let v as Bool: return .bool(v)
        case let v as Int: return .integer(Int64(v))
        case let v as Double: return .number(v)
        case let v as String: return .string(v)
        case let v as [Any]: return .array(v.map { json($0) ?? .null })
        case let v as [AnyHashable: Any]:
            var object: [String: JSONValue] = [:]
            for (key, item) in v { object["\(key.base)"] = json(item) ?? .null }
            return .object(object)
        case let v as Date: return .string(ISO8601DateFormatter().string(from: v))
        default: return nil
        }
    }
}
