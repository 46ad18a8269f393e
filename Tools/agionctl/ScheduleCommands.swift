import AgionJSON
import ArgumentParser
import Foundation

/// `agionctl schedules`: missions started on a cron schedule.
struct Schedules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mission templates started on a cron schedule (docs/missions.md, \"Schedules\").",
        subcommands: [Create.self, List.self, Get.self, Pause.self, Resume.self, Trigger.self, Delete.self, Firings.self])

    static let columns = ["schedule_id", "name", "cron", "time_zone", "overlap", "paused", "next", "last_mission_id", "fired_count", "skipped_count"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a schedule from a YAML or JSON file.",
            discussion: """
                The file: name, cron (five fields), time_zone (IANA, default UTC), overlap (skip, buffer_one, allow_all, \
                cancel_previous), catch_up_window_seconds, paused, and definition: the mission to start, as for `missions run`.
                """)
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .shortAndLong, help: "The schedule (.yaml, .yml or .json)") var file: String

        func run() async throws {
            let schedule = try Missions.definition(readFile(file), path: file)
            try await perform {
                let reply = try await connection.client().call("POST", "/v1/schedules", json: schedule)
                Output.print(Schedules.withTimes(reply), format: try connection.format, columns: Schedules.columns)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Schedules, newest first.")
        @OptionGroup var connection: ConnectionOptions
        @Option var pageSize: Int?
        @Option var pageToken: String?

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("GET", "/v1/schedules", query: ["page_size": pageSize.map(String.init), "page_token": pageToken])
                guard case .object(var object) = reply else { return }
                object["schedules"] = .array((reply["schedules"]?.arrayValue ?? []).map(Schedules.withTimes))
                Output.print(.object(object), format: try connection.format, list: "schedules", columns: Schedules.columns)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One schedule.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var scheduleID: String
        func run() async throws { try await Schedules.act("GET", scheduleID, "", connection) }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pause: nothing fires until it is resumed.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var scheduleID: String
        func run() async throws { try await Schedules.act("POST", scheduleID, "/pause", connection) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume from the next time on (what fell due while paused does not run).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var scheduleID: String
        func run() async throws { try await Schedules.act("POST", scheduleID, "/resume", connection) }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete it (the missions it started stay).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var scheduleID: String
        func run() async throws { try await Schedules.act("DELETE", scheduleID, "", connection) }
    }

    struct Trigger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fire now (the overlap policy applies): prints the firing and its mission.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var scheduleID: String

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("POST", "/v1/schedules/\(scheduleID)/trigger")
                Output.print(reply, format: try connection.format, columns: ["schedule_id", "outcome", "mission_id"])
            }
        }
    }

    struct Firings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The schedule's firings, newest first, and what became of each.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var scheduleID: String
        @Option var pageSize: Int?
        @Option var pageToken: String?

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("GET", "/v1/schedules/\(scheduleID)/firings",
                                                               query: ["page_size": pageSize.map(String.init), "page_token": pageToken])
                Output.print(reply.withTimes(in: "firings", from: "fire_at_unix_nanos"), format: try connection.format, list: "firings",
                             columns: ["time", "outcome", "mission_id", "manual"])
            }
        }
    }

    static func act(_ method: String, _ id: String, _ suffix: String, _ connection: ConnectionOptions) async throws {
        try await perform {
            let reply = try await connection.client().call(method, "/v1/schedules/\(id)\(suffix)")
            Output.print(withTimes(reply), format: try connection.format, columns: columns)
        }
    }

    /// Adds `next`, the next firing as an RFC 3339 time.
    static func withTimes(_ schedule: JSONValue) -> JSONValue {
        guard case .object(var fields) = schedule else { return schedule }
        if let nanos = fields["next_fire_at_unix_nanos"]?.stringValue.flatMap({ Int64($0) }), nanos > 0 {
            fields["next"] = .string(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(nanos) / 1e9)))
        }
        return .object(fields)
    }
}
