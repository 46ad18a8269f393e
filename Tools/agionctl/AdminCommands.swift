import AgionJSON
import ArgumentParser
import Foundation

struct Decisions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The audit trail: query decisions, verify the hash chain.",
                                                    subcommands: [Query.self, Verify.self])

    struct Query: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decisions by agent, action, result, kind, oldest first.")
        @OptionGroup var connection: ConnectionOptions
        @Option var agent: String?
        @Option var action: String?
        @Option var result: String?
        @Option var kind: String?
        @Option var pageSize: Int?
        @Option var pageToken: String?

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("GET", "/v1/decisions", query: [
                    "agent_id": agent, "action": action, "result": result, "kind": kind, "page_size": pageSize.map(String.init), "page_token": pageToken,
                ])
                Output.print(reply, format: try connection.format, list: "records",
                             columns: ["sequence", "decision_id", "kind", "agent_id", "action", "result", "rule_ids"])
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify the audit up to its latest signed head; exit 1 when something does not hold.",
            discussion: """
                From where the last successful verification ended, or from the first record with --full. A long range runs \
                as a background job: this waits for it (printing its progress) unless --no-wait, which prints the job and exits 0.
                """)
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "verify every record, not only those added since the last verification") var full = false
        @Flag(help: "do not wait for a background job to finish") var noWait = false

        func run() async throws {
            var intact = true
            try await perform {
                let client = try connection.client()
                var reply = try await client.call("POST", "/v1/decisions/verify", query: ["full": full ? "true" : nil])
                while !noWait, let status = reply["status"]?.stringValue, status == "pending" || status == "running",
                      let id = reply["verification_id"]?.stringValue {
                    FileHandle.standardError.write(Data("verifying: \(reply["records_checked"]?.stringValue ?? "0") of \(reply["from_size"]?.stringValue ?? "0")..\(reply["to_size"]?.stringValue ?? "?") (\(status))\n".utf8))
                    try await Task.sleep(for: .seconds(1))
                    reply = try await client.call("GET", "/v1/audit/verifications/\(id)")
                }
                let status = reply["status"]?.stringValue
                intact = reply["intact"] == .bool(true) || (noWait && (status == "pending" || status == "running"))
                Output.print(reply, format: try connection.format,
                             columns: ["status", "intact", "kind", "from_size", "to_size", "records_checked", "first_broken_sequence", "reason",
                                       "root_hash", "verification_id"])
            }
            if !intact { throw ExitCode(1) }
        }
    }
}

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "API keys of the tenant (admins).", subcommands: [List.self, Create.self, Revoke.self])
    static let columns = ["key_id", "name", "role", "agent_scope", "created_at", "revoked_at"]

    struct List: AsyncParsableCommand {
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await perform {
                Output.print(try await connection.client().call("GET", "/v1/api-keys"), format: try connection.format, list: "keys", columns: Keys.columns)
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A new key; it is printed once and cannot be shown again.")
        @OptionGroup var connection: ConnectionOptions
        @Option var name: String
        @Option(help: "admin, operator, agent, viewer or approver") var role: String
        @Option(help: "agent keys: container:name or container:*") var agentScope: String?
        @Option(name: .customLong("group"), help: "a group the key belongs to (approvals naming groups); repeat for more") var groups: [String] = []

        func run() async throws {
            var body: [String: JSONValue] = ["name": .string(name), "role": .string(role)]
            if let agentScope { body["agent_scope"] = .string(agentScope) }
            if !groups.isEmpty { body["groups"] = .array(groups.map { .string($0) }) }
            try await perform {
                let reply = try await connection.client().call("POST", "/v1/api-keys", json: .object(body))
                Output.print(reply, format: try connection.format, columns: Keys.columns + ["key"])
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        @OptionGroup var connection: ConnectionOptions
        @Argument var keyID: String

        func run() async throws {
            try await perform {
                Output.print(try await connection.client().call("DELETE", "/v1/api-keys/\(keyID)"), format: try connection.format, columns: Keys.columns)
            }
        }
    }
}

struct Tenants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tenants (platform administrators).", subcommands: [List.self, Create.self])

    struct List: AsyncParsableCommand {
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await perform {
                Output.print(try await connection.client().call("GET", "/v1/tenants"), format: try connection.format, list: "tenants",
                             columns: ["tenant", "display_name", "created_at"])
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A new tenant; prints its first admin key (once).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var tenant: String
        @Option var displayName: String?

        func run() async throws {
            var body: [String: JSONValue] = ["tenant": .string(tenant)]
            if let displayName { body["display_name"] = .string(displayName) }
            try await perform {
                Output.print(try await connection.client().call("POST", "/v1/tenants", json: .object(body)), format: try connection.format,
                             columns: ["tenant", "display_name", "admin_key.key_id", "admin_key.key"])
            }
        }
    }
}

struct NATSCredentials: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nats-credentials",
        abstract: "NATS credentials of agent containers (admins; docs/security.md).", subcommands: [List.self, Create.self, Revoke.self])
    static let columns = ["credential_id", "name", "agents", "created_at", "expires_at", "revoked_at"]

    struct List: AsyncParsableCommand {
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await perform {
                Output.print(try await connection.client().call("GET", "/v1/nats-credentials"), format: try connection.format, list: "credentials",
                             columns: NATSCredentials.columns)
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Credentials for a container serving these agents; the .creds file is written once (mode 0600) and cannot be shown again.")
        @OptionGroup var connection: ConnectionOptions
        @Option var name: String
        @Option(name: .customLong("agent"), help: "an agent the container serves (repeat for each)") var agents: [String]
        @Option(help: "valid for this many seconds (none: until revoked)") var expiresIn: Int?
        @Option(help: "where to write the .creds file") var out: String

        func run() async throws {
            var body: [String: JSONValue] = ["name": .string(name), "agents": .array(agents.map(JSONValue.string))]
            if let expiresIn { body["expires_in_seconds"] = .integer(Int64(expiresIn)) }
            try await perform {
                var reply = try await connection.client().call("POST", "/v1/nats-credentials", json: .object(body))
                guard case .object(var fields) = reply, case .string(let creds)? = fields["creds"] else {
                    throw ValidationError("the gateway answered without credentials")
                }
                guard FileManager.default.createFile(atPath: out, contents: Data(creds.utf8), attributes: [.posixPermissions: 0o600]) else {
                    throw ValidationError("cannot write \(out)")
                }
                fields["creds"] = .string(out)
                reply = .object(fields)
                Output.print(reply, format: try connection.format, columns: NATSCredentials.columns + ["creds"])
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        @OptionGroup var connection: ConnectionOptions
        @Argument var credentialID: String

        func run() async throws {
            try await perform {
                Output.print(try await connection.client().call("DELETE", "/v1/nats-credentials/\(credentialID)"), format: try connection.format,
                             columns: NATSCredentials.columns)
            }
        }
    }
}
