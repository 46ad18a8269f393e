import AgionJSON
import ArgumentParser

struct Agents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Register, list, inspect and deregister agents.",
                                                    subcommands: [List.self, Get.self, Register.self, Deregister.self])

    static let columns = ["agent.id", "status", "agent.version", "agent.capabilities", "trust_score"]

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Agents of the tenant, with filters; --capability alone searches (healthy, best trust first).")
        @OptionGroup var connection: ConnectionOptions
        @Option var capability: String?
        @Option var status: String?
        @Option var container: String?
        @Option var pageSize: Int?
        @Option var pageToken: String?

        func run() async throws {
            try await perform {
                let client = try connection.client()
                let searching = capability != nil && status == nil && container == nil && pageToken == nil
                let reply = searching
                    ? try await client.call("GET", "/v1/agents/search", query: ["capability": capability, "limit": pageSize.map(String.init)])
                    : try await client.call("GET", "/v1/agents", query: ["capability": capability, "status": status, "container": container,
                                                                         "page_size": pageSize.map(String.init), "page_token": pageToken])
                Output.print(reply, format: try connection.format, list: "agents", columns: Agents.columns)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One agent.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "container:name") var agentID: String

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("GET", "/v1/agents/\(agentID)")
                Output.print(reply, format: try connection.format, columns: Agents.columns + ["agent.endpoint.address", "revision"])
            }
        }
    }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register or update a container's agents from a JSON file (the body of POST /v1/agents).")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .shortAndLong, help: "A JSON file: {\"container\": …, \"agents\": […]}") var file: String

        func run() async throws {
            let body = try parseJSON(try readFile(file), option: file)
            try await perform {
                let reply = try await connection.client().call("POST", "/v1/agents", json: body)
                Output.print(reply, format: try connection.format, list: "agents", columns: ["id", "version", "capabilities"])
            }
        }
    }

    struct Deregister: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deregister an agent (kept for history).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "container:name") var agentID: String
        @Option var reason: String?

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("DELETE", "/v1/agents/\(agentID)", query: ["reason": reason])
                Output.print(reply, format: try connection.format, columns: Agents.columns)
            }
        }
    }
}

struct Trust: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "An agent's trust score (overall or for a capability) and the changes that led to it, newest first.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "container:name") var agentID: String
    @Option var capability: String?
    @Option(help: "How many changes to show (1-500, default 50).") var pageSize: Int?
    @Option var pageToken: String?

    func run() async throws {
        try await perform {
            let reply = try await connection.client().call("GET", "/v1/agents/\(agentID)/trust", query: [
                "capability": capability, "page_size": pageSize.map(String.init), "page_token": pageToken,
            ])
            switch try connection.format {
            case .json:
                Output.print(reply, format: .json, columns: [])
            case .table:
                Output.fields(reply["current"] ?? .null, columns: ["agent_id", "capability", "score", "evidence"])
                print("")
                Output.print(reply.withTimes(in: "history", from: "occurred_at_unix_nanos"), format: .table, list: "history",
                             columns: ["time", "cause", "score", "positive_added", "negative_added", "execution_id"])
            }
        }
    }
}

/// The question of `check` and `policies explain`: agent, action, context, principal.
struct CheckOptions: ParsableArguments {
    @Option(help: "container:name") var agent: String
    @Option var action: String
    @Option(help: "The context as a JSON object.") var context: String?
    @Option var principal: String?

    /// The body of POST /v1/governance/check.
    func body() throws -> JSONValue {
        var body: [String: JSONValue] = ["agent_id": .string(agent), "action": .string(action)]
        if let context { body["context"] = try parseJSON(context, option: "--context") }
        if let principal { body["principal"] = .string(principal) }
        return .object(body)
    }
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Ask governance: may the agent perform the action? Exit 0 allow, 10 deny, 11 approval.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var request: CheckOptions

    func run() async throws {
        let body = try request.body()
        var effect = ""
        try await perform {
            let reply = try await connection.client().call("POST", "/v1/governance/check", json: body)
            effect = reply["effect"]?.stringValue ?? ""
            Output.print(reply, format: try connection.format, columns: ["effect", "rule_ids", "reasons", "obligations", "trust_score", "decision_id"])
        }
        switch effect {
        case "deny": throw ExitCode(10)
        case "require_approval": throw ExitCode(11)
        default: break
        }
    }
}
