import AgionGateway
import AgionJSON
import Foundation
import Glibc
import Hummingbird
import HummingbirdTesting
import Logging
import HTTPTypes
import Testing

extension GatewayTests {
    /// The routes the other tests do not pass through, each through the router
    /// to the real services: heartbeat, versions, search, policy revisions
    /// (list, get, explain, roll back), output validation, deregistration.
    @Test func agentPolicyAndOutputRoutesAnswerThroughTheRouter() async throws {
        let (_, admin) = try await tenant()
        #expect(try await gateway(.post, "/v1/agents", key: admin, json: Self.registration("worker")).status == .ok)

        // An agent key beats for its own agent.
        let agentKey = try await key("agent", scope: "langgraph-v2:worker", admin: admin)
        let beat = try await gateway(.post, "/v1/agents/langgraph-v2:worker/heartbeat", key: agentKey, json: ["ttl_seconds": 60, "load": ["queue": "3"]])
        #expect(beat.status == .ok && beat.json?["agent_id"] == "langgraph-v2:worker", "\(beat.text)")

        // A changed definition is a new version; both are kept.
        var changed = Self.registration("worker")
        if case .object(var root) = changed, case .array(var agents)? = root["agents"], case .object(var agent) = agents[0] {
            agent["version"] = "2"
            agents[0] = .object(agent)
            root["agents"] = .array(agents)
            changed = .object(root)
        }
        #expect(try await gateway(.post, "/v1/agents", key: admin, json: changed).status == .ok)
        let versions = try await gateway(.get, "/v1/agents/langgraph-v2:worker/versions", key: admin)
        #expect(versions.json?["versions"]?.arrayValue?.compactMap { $0["agent"]?["version"]?.stringValue }.sorted() == ["1", "2"], "\(versions.text)")
        let found = try await gateway(.get, "/v1/agents/search?capability=reports&limit=5", key: admin)
        #expect(found.json?["agents"]?.arrayValue?.contains { $0["agent"]?["id"] == "langgraph-v2:worker" } == true, "\(found.text)")

        // Two revisions: list newest first, read the older one, explain against the active one and a draft, roll back.
        let first = try await gateway(.post, "/v1/policies", key: admin, raw: Self.policy, contentType: "application/yaml")
        let firstRevision = try #require(first.json?["revision"])
        let second = try await gateway(.post, "/v1/policies?comment=lockdown", key: admin, raw: "rules: [{id: none, effect: deny}]",
                                       contentType: "application/yaml")
        #expect(second.status == .created && second.json?["active"] == true)
        let listed = try await gateway(.get, "/v1/policies?limit=10", key: admin)
        #expect(listed.json?["revisions"]?.arrayValue?.map { $0["comment"]?.stringValue ?? "" } == ["lockdown", ""], "\(listed.text)")
        let older = try await gateway(.get, "/v1/policies/\(firstRevision.serializedString)", key: admin)
        #expect(older.json?["document"]?.stringValue?.contains("reports.generate") == true && older.json?["revision"]?["active"] == false)
        let question: JSONValue = ["agent_id": "langgraph-v2:worker", "action": "reports.generate"]
        #expect(try await gateway(.post, "/v1/policies/explain", key: admin, json: ["request": question]).json?["effect"] == "deny")
        let draft = try await gateway(.post, "/v1/policies/explain", key: admin, json: ["request": question, "policy_document": .string(Self.policy)])
        #expect(draft.json?["effect"] == "allow" && (draft.json?["decision_id"]?.stringValue ?? "").isEmpty, "\(draft.text)")
        let rolledBack = try await gateway(.post, "/v1/policies/\(firstRevision.serializedString)/activate", key: admin)
        #expect(rolledBack.status == .ok && rolledBack.json?["active"] == true)
        try await eventually("the rollback is in force") {
            try await gateway(.post, "/v1/policies/explain", key: admin, json: ["request": question]).json?["effect"] == "allow"
        }

        // An output validation is answered and recorded in the audit trail.
        let validated = try await gateway(.post, "/v1/governance/validate", key: admin, json: [
            "agent_id": "langgraph-v2:worker", "action": "reports.generate", "output": "{\"rows\": 3}", "content_type": "application/json",
        ])
        #expect(validated.status == .ok && validated.json?["passed"] == true, "\(validated.text)")
        try await eventually("the validation is in the audit trail") {
            try await gateway(.get, "/v1/decisions?kind=validate", key: admin).json?["records"]?.arrayValue?.count == 1
        }

        // Deregistered agents are kept for history.
        let gone = try await gateway(.delete, "/v1/agents/langgraph-v2:worker?reason=retired", key: admin)
        #expect(gone.status == .ok && gone.json?["status"] == "deregistered", "\(gone.text)")
        #expect(try await gateway(.get, "/v1/agents/langgraph-v2:worker", key: admin).json?["status"] == "deregistered")
    }
}

extension GatewayTests {
    /// Every route against every role, from the role table in docs/gateway.md (written out here, not
    /// taken from the code): a role without the permission gets 403 before anything is read or sent;
    /// a role with it gets past the check (its bodies here are empty, so 400 or 404 are fine).
    @Test func everyRouteEnforcesTheRoleTable() async throws {
        let (_, admin) = try await tenant()
        let viewer: Set<String> = ["listAgents", "searchAgents", "getAgent", "agentVersions", "agentTrust", "queryDecisions", "listPolicies",
                                   "getPolicy", "explainPolicy", "listMissions", "getMission", "missionEvents", "streamMission", "listDeadSteps",
                                   "listApprovals", "getApproval", "listSchedules", "getSchedule", "scheduleFirings", "getStepOutput",
                                   "decisionProof", "auditTreeHead", "auditConsistency", "auditKeys",
                                   "listAuditVerifications", "getAuditVerification", "listAuditArchives"]
        let agent: Set<String> = ["registerAgents", "heartbeat", "check", "validateOutput", "reportExecution"]
        let operatorRole = viewer.union(agent).union(["deregisterAgent", "feedback", "putPolicy", "activatePolicy", "verifyDecisions",
                                                      "submitMission", "cancelMission", "replayMission",
                                                      "createSchedule", "deleteSchedule", "pauseSchedule", "resumeSchedule", "triggerSchedule"])
        let deciding: Set<String> = ["approveApproval", "rejectApproval"]
        let approver = viewer.union(deciding)
        let adminRole = operatorRole.union(["createAuditArchive", "auditArchiveRecords", "dropAuditArchive", "createAPIKey", "listAPIKeys", "revokeAPIKey", "createNATSCredential", "listNATSCredentials",
                                            "revokeNATSCredential"]).union(deciding)
        let platform = adminRole.union(["createTenant", "listTenants"])
        let keys: [(role: String, key: String, allowed: Set<String>)] = [
            ("viewer", try await key("viewer", admin: admin), viewer),
            ("agent", try await key("agent", scope: "langgraph-v2:*", admin: admin), agent),
            ("operator", try await key("operator", admin: admin), operatorRole),
            ("approver", try await key("approver", admin: admin), approver),
            ("admin", admin, adminRole),
            ("platform admin", try await GatewayHarness.shared.adminKey(), platform),
        ]
        let operations = GatewayRoutes.operations
        #expect(Set(operations.map(\.operationID)) == platform, "the table above names every route")
        for (method, path, operationID) in operations {
            let uri = path.replacingOccurrences(of: "{agent_id}", with: "langgraph-v2:nobody").replacingOccurrences(of: "{revision}", with: "999")
                .replacingOccurrences(of: "{key_id}", with: "0000000000000000").replacingOccurrences(of: "{mission_id}", with: UUID().uuidString)
                .replacingOccurrences(of: "{approval_id}", with: UUID().uuidString)
                .replacingOccurrences(of: "{schedule_id}", with: UUID().uuidString)
                .replacingOccurrences(of: "{credential_id}", with: "nc_0")
            for (role, key, allowed) in keys {
                let answer = try await gateway(HTTPRequest.Method(method)!, uri, key: key, json: method == "POST" ? [:] : nil)
                if allowed.contains(operationID) {
                    #expect(answer.status != .forbidden, "\(role) may \(operationID): \(answer.text)")
                } else {
                    #expect(answer.status == .forbidden && answer.problemType == "https://agion.dev/problems/forbidden", "\(role) may not \(operationID): \(answer.status)")
                }
            }
        }
    }
}

extension GatewayTests {
    /// A client connection that sends nothing is closed after the idle timeout;
    /// one that keeps talking is served.
    @Test func idleConnectionsAreClosed() async throws {
        var configuration = GatewayHarness.configuration
        configuration.host = "127.0.0.1"
        configuration.port = 0
        // A second, not less: on a loaded machine the fresh connection below
        // may wait that long for its event loop, and must not idle out first.
        configuration.idleTimeout = .seconds(1)
        let application = Gateway.application(try await GatewayHarness.shared.router(), configuration: configuration, logger: TestEnvironment.logger)
        try await application.test(.live) { client in  // its port only: the client idles out too
            let port = try #require(client.port)
            let idle = try RawSocket(port: port)
            defer { idle.close() }
            try await Task.sleep(for: .milliseconds(2_000))
            #expect(idle.readsEndOfStream(within: .seconds(3)), "the server closed the idle connection")
            // (The test client's own kept-alive connection was closed the same way.) A fresh one is served.
            // Up to three tries: on a loaded machine a fresh connection can
            // itself sit idle past the timeout before its request is read.
            var answer = ""
            for _ in 0..<3 where !answer.hasPrefix("HTTP/1.1 200") {
                let fresh = try RawSocket(port: port)
                defer { fresh.close() }
                fresh.send("GET /health HTTP/1.1\r\nHost: gateway\r\n\r\n")
                answer = fresh.receive(within: .seconds(3))
            }
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
        }
    }
}

/// A plain TCP client socket: connects, and tells whether the peer has closed.
struct RawSocket {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    /// True when a read returns 0 bytes (the peer closed) before `timeout`.
    func readsEndOfStream(within timeout: Duration) -> Bool {
        var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard Glibc.poll(&poll, 1, Int32(timeout / .milliseconds(1))) == 1 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }

    func send(_ text: String) { _ = text.utf8CString.withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count - 1, 0) } }

    /// What arrives within `timeout` (one read).
    func receive(within timeout: Duration) -> String {
        var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard Glibc.poll(&poll, 1, Int32(timeout / .milliseconds(1))) == 1 else { return "" }
        var buffer = [UInt8](repeating: 0, count: 4_096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : ""
    }

    func close() { _ = Glibc.close(fd) }
}

extension GatewayTests {
    /// Every request leaves an access log line with its route, status, request id and trace id.
    @Test func everyRequestIsInTheAccessLog() async throws {
        let lines = LogCapture()
        let logger = Logger(label: "gateway-test") { _ in lines }
        let application = Application(router: try await GatewayHarness.shared.router().make(), logger: logger)
        let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
        try await application.test(.router) { client in
            _ = try await client.execute(uri: "/v1/agents/langgraph-v2:nobody", method: .get,
                                         headers: [.authorization: "Bearer " + (try await GatewayHarness.shared.adminKey()),
                                                   HTTPField.Name("X-Request-Id")!: "req-follow-me",
                                                   HTTPField.Name("traceparent")!: "00-\(traceID)-00f067aa0ba902b7-01"])
        }
        let line = try #require(lines.entries.first { $0.message == "gateway.request" })
        #expect(line.metadata["request.id"] == "req-follow-me" && line.metadata["trace.id"] == "\(traceID)")
        #expect(line.metadata["http.route"] == "/v1/agents/{agent_id}" && line.metadata["http.status"] == "404", "\(line.metadata)")
        #expect(line.metadata["duration_ms"] != nil)
    }
}

/// Keeps what is logged through it, for tests that check log lines.
final class LogCapture: LogHandler, @unchecked Sendable {
    // @unchecked: entries are guarded by the lock; the rest is set up before use.
    struct Entry { let message: String; let metadata: [String: String] }
    private let lock = NSLock()
    private var stored: [Entry] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var entries: [Entry] { lock.withLock { stored } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
        lock.withLock { stored.append(Entry(message: event.message.description, metadata: merged)) }
    }
}
