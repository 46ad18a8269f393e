import AgionJSON
import ArgumentParser
import Foundation

/// `agionctl approvals`: requests for a person's approval of a step, and deciding them.
struct Approvals: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Approval requests of mission steps, and approving or rejecting them (docs/missions.md).",
                                                    subcommands: [List.self, Show.self, Approve.self, Reject.self])

    static let columns = ["approval_id", "mission_id", "step_id", "agent_id", "action", "status", "groups", "time", "decided_by"]

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Requests, newest first: by default the pending ones you may decide.")
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Every request of the tenant, not only those waiting for you") var all = false
        @Option(help: "pending, approved, rejected, expired or cancelled") var status: String?
        @Option(help: "Only this mission's") var mission: String?
        @Option var pageSize: Int?
        @Option var pageToken: String?

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("GET", "/v1/approvals", query: [
                    "mine": all ? nil : "true", "status": status, "mission_id": mission, "page_size": pageSize.map(String.init), "page_token": pageToken,
                ])
                Output.print(reply.withTimes(in: "approvals", from: "requested_at_unix_nanos"), format: try connection.format, list: "approvals",
                             columns: Approvals.columns)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One request: the exact input the agent would get, and its digest.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var approvalID: String

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("GET", "/v1/approvals/\(approvalID)")
                Output.print(reply, format: try connection.format, columns: ["approval_id", "step_id", "agent_id", "action", "status", "input_digest"])
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a request: the step runs, with exactly the input shown.",
            discussion: "With --digest (from `approvals show`), the approval is refused if the request is for other input than you saw.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var approvalID: String
        @Option var comment: String?
        @Option(help: "The input digest you reviewed (sha256:...)") var digest: String?

        func run() async throws {
            try await Approvals.decide(approvalID, verb: "approve", comment: comment, digest: digest, connection: connection)
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a request: the step fails (approval_rejected).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var approvalID: String
        @Option var comment: String?

        func run() async throws {
            try await Approvals.decide(approvalID, verb: "reject", comment: comment, digest: nil, connection: connection)
        }
    }

    static func decide(_ id: String, verb: String, comment: String?, digest: String?, connection: ConnectionOptions) async throws {
        var body: [String: JSONValue] = [:]
        if let comment { body["comment"] = .string(comment) }
        if let digest { body["input_digest"] = .string(digest) }
        try await perform {
            let reply = try await connection.client().call("POST", "/v1/approvals/\(id)/\(verb)", json: .object(body))
            Output.print(reply, format: try connection.format, columns: ["approval_id", "step_id", "status", "decided_by"])
        }
    }
}
