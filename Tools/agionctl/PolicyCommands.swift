import AgionJSON
import ArgumentParser

struct Policies: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply, list, activate, roll back and dry-run policies.",
                                                    subcommands: [Apply.self, List.self, Get.self, Activate.self, Rollback.self, Explain.self])

    static let columns = ["revision", "active", "rule_count", "output_rule_count", "comment", "digest"]

    static func contentType(_ path: String) -> String { path.hasSuffix(".json") ? "application/json" : "application/yaml" }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A new revision from a YAML or JSON document (active unless --draft).")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .shortAndLong) var file: String
        @Option var comment: String?
        @Flag var draft = false

        func run() async throws {
            let document = try readFile(file)
            try await perform {
                let reply = try await connection.client().call("POST", "/v1/policies", query: ["comment": comment, "draft": draft ? "true" : nil],
                                                               raw: (document, Policies.contentType(file)))
                Output.print(reply, format: try connection.format, columns: Policies.columns)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revisions, newest first.")
        @OptionGroup var connection: ConnectionOptions
        @Option var limit: Int?

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("GET", "/v1/policies", query: ["limit": limit.map(String.init)])
                Output.print(reply, format: try connection.format, list: "revisions", columns: Policies.columns)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One revision and its document.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var revision: Int

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("GET", "/v1/policies/\(revision)")
                if try connection.format == .json { Output.print(reply, format: .json, columns: []); return }
                print(reply["document"]?.stringValue ?? "")
            }
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a revision the active one.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var revision: Int

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("POST", "/v1/policies/\(revision)/activate")
                Output.print(reply, format: try connection.format, columns: Policies.columns)
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Activate the revision before the active one (or --to a given one).")
        @OptionGroup var connection: ConnectionOptions
        @Option var to: Int?

        func run() async throws {
            try await perform {
                let client = try connection.client()
                var target = to
                if target == nil {
                    let revisions = try await client.call("GET", "/v1/policies", query: ["limit": "1000"])["revisions"]?.arrayValue ?? []
                    let numbers = revisions.compactMap { revision -> (Int, Bool)? in
                        guard case .integer(let n)? = revision["revision"] else { return nil }
                        return (Int(n), revision["active"] == .bool(true))
                    }
                    guard let active = numbers.first(where: { $0.1 })?.0 else { throw CommandFailure(.notFound, "no revision is active") }
                    guard let previous = numbers.map(\.0).filter({ $0 < active }).max() else {
                        throw CommandFailure(.notFound, "revision \(active) is the first: nothing to roll back to")
                    }
                    target = previous
                }
                let reply = try await client.call("POST", "/v1/policies/\(target!)/activate")
                Output.print(reply, format: try connection.format, columns: Policies.columns)
            }
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dry run a check against the active policy or a draft document; nothing is recorded.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var request: CheckOptions
        @Option(name: .shortAndLong, help: "A draft policy document to evaluate instead of the active one.") var file: String?

        func run() async throws {
            var body: [String: JSONValue] = ["request": try request.body()]
            if let file { body["policy_document"] = .string(try readFile(file)) }
            try await perform {
                let reply = try await connection.client().call("POST", "/v1/policies/explain", json: .object(body))
                Output.print(reply, format: try connection.format, columns: ["effect", "rule_ids", "reasons", "obligations", "policy_revision"])
            }
        }
    }
}
