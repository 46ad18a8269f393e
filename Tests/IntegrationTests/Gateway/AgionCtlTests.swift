import AgionJSON
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// agionctl as a script would use it: the real binary against the gateway's
/// router served on a real port, checking output and exit codes.
@Suite(.serialized, .timeLimit(.minutes(3)), .needsGovernance) struct AgionCtlTests {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func agionctl(_ arguments: [String], url: String, key: String?) async throws -> Run {
        let process = Process()
        process.executableURL = try ChildService.binary("agionctl")
        // No URL: an offline command (audit verify-proof), which takes no connection options.
        process.arguments = arguments + (url.isEmpty ? [] : ["--url", url]) + (key.map { ["--key", $0] } ?? [])
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = FileManager.default.temporaryDirectory.path  // no config file of the developer's
        process.environment = environment
        process.currentDirectoryURL = FileManager.default.temporaryDirectory  // no .run/credentials either
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        return Run(status: status, stdout: String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
                   stderr: String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    /// `--wait-for-gateway`: a script started with the gateway (an init
    /// container) waits for it to listen and for its key file to be written,
    /// then does its work; without it, or past it, an unreachable gateway is
    /// exit 7 at once.
    @Test func waitForGatewayWaitsForTheGatewayAndItsKeyFile() async throws {
        let tenant = TestEnvironment.uniqueName("ctlwait")
        let created = try await gateway(.post, "/v1/tenants", key: try await GatewayHarness.shared.adminKey(), json: ["tenant": .string(tenant)])
        let admin = try #require(created.json?["admin_key"]?["key"]?.stringValue)
        let port = PrivateServer.freePort(in: 10_000...10_999)
        let url = "http://127.0.0.1:\(port)"
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("agionctl-\(tenant)/admin.key")

        let refused = try await Self.agionctl(["agents", "list"], url: url, key: admin)
        #expect(refused.status == 7 && refused.stderr.contains("cannot reach"), "\(refused.stderr)")
        let started = ContinuousClock.now
        let gaveUp = try await Self.agionctl(["agents", "list", "--wait-for-gateway", "1"], url: url, key: admin)
        #expect(gaveUp.status == 7 && ContinuousClock.now - started >= .seconds(1), "\(gaveUp.stderr)")

        let waiting = Task {
            try await Self.agionctl(["agents", "list", "-o", "json", "--key-file", keyFile.path, "--wait-for-gateway", "30"], url: url, key: nil)
        }
        try await Task.sleep(for: .seconds(1))
        try FileManager.default.createDirectory(at: keyFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try admin.write(to: keyFile, atomically: true, encoding: .utf8)
        try await Task.sleep(for: .seconds(1))
        // On the port agionctl is waiting on (the test framework's live mode picks its own).
        let application = Application(router: try await GatewayHarness.shared.router().make(), configuration: .init(address: .hostname("127.0.0.1", port: port)))
        let serving = Task { try await application.runService() }
        defer { serving.cancel() }
        let run = try await waiting.value
        #expect(run.status == 0, "\(run.stderr)")
        #expect((try? JSONValue.parse(Array(run.stdout.utf8)))?["agents"]?.arrayValue?.isEmpty == true, "\(run.stdout)")
    }

    @Test func scriptsGetOutputAndExitCodesTheyCanRelyOn() async throws {
        let tenant = TestEnvironment.uniqueName("ctl")
        let created = try await gateway(.post, "/v1/tenants", key: try await GatewayHarness.shared.adminKey(), json: ["tenant": .string(tenant)])
        let admin = try #require(created.json?["admin_key"]?["key"]?.stringValue)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agionctl-\(tenant)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let policy = directory.appendingPathComponent("policy.yaml").path
        try "version: 1\nrules:\n  - id: reports\n    effect: allow\n    agents: [\"langgraph-v2:*\"]\n    actions: [reports.generate]\n"
            .write(toFile: policy, atomically: true, encoding: .utf8)
        let agents = directory.appendingPathComponent("agents.json").path
        try GatewayTests.registration("cli").serializedString.write(toFile: agents, atomically: true, encoding: .utf8)

        let application = Application(router: try await GatewayHarness.shared.router().make(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { client in
            let url = "http://127.0.0.1:\(client.port!)"
            let applied = try await Self.agionctl(["policies", "apply", "-f", policy, "--comment", "from the cli"], url: url, key: admin)
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(applied.stdout.contains("revision") && applied.stdout.contains("from the cli"))
            let registered = try await Self.agionctl(["agents", "register", "-f", agents], url: url, key: admin)
            #expect(registered.status == 0, "\(registered.stderr)")

            let list = try await Self.agionctl(["agents", "list", "-o", "json"], url: url, key: admin)
            #expect(list.status == 0)
            #expect((try JSONValue.parse(Array(list.stdout.utf8)))["agents"]?.arrayValue?.count == 1)
            let table = try await Self.agionctl(["agents", "list"], url: url, key: admin)
            #expect(table.stdout.hasPrefix("AGENT.ID") && table.stdout.contains("langgraph-v2:cli"))

            try await eventually("governance allows the agent") {
                try await Self.agionctl(["check", "--agent", "langgraph-v2:cli", "--action", "reports.generate"], url: url, key: admin).status == 0
            }
            let denied = try await Self.agionctl(["check", "--agent", "langgraph-v2:cli", "--action", "files.delete", "-o", "json"], url: url, key: admin)
            #expect(denied.status == 10 && denied.stdout.contains("\"effect\":\"deny\""))
            // Exit 7 is "unavailable, try again" (a loaded machine's gateway gave
            // up waiting for governance): what a script does, the test does.
            func retryingUnavailable(_ arguments: [String]) async throws -> Run {
                var run = try await Self.agionctl(arguments, url: url, key: admin)
                for _ in 0..<3 where run.status == 7 {
                    try await Task.sleep(for: .milliseconds(500))
                    run = try await Self.agionctl(arguments, url: url, key: admin)
                }
                return run
            }
            let verified = try await retryingUnavailable(["decisions", "verify"])
            #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
            let rated = try await gateway(.post, "/v1/feedback", key: admin, json: ["agent_id": "langgraph-v2:cli", "rating": 4, "source": "user:bo"])
            #expect(rated.status == .ok, "\(rated.text)")
            let trust = try await retryingUnavailable(["trust", "langgraph-v2:cli"])
            #expect(trust.status == 0, "\(trust.stderr)")
            let lines = trust.stdout.split(separator: "\n")
            #expect(lines.first?.hasPrefix("agent_id") == true && lines.contains { $0.hasPrefix("score") }, "\(trust.stdout)")
            #expect(lines.contains { $0.hasPrefix("TIME") } && lines.last?.contains("feedback") == true, "\(trust.stdout)")

            let invalid = try await Self.agionctl(["agents", "get", "no-colon"], url: url, key: admin)
            #expect(invalid.status == 3 && invalid.stderr.contains("field agent_id"))
            #expect(try await Self.agionctl(["agents", "get", "langgraph-v2:ghost"], url: url, key: admin).status == 5)
            #expect(try await Self.agionctl(["agents", "list"], url: url, key: "agion_0123456789abcdef_" + String(repeating: "A", count: 43)).status == 4)
            #expect(try await Self.agionctl(["agents", "list"], url: "http://127.0.0.1:1", key: admin).status == 7)
            #expect(try await Self.agionctl(["agents", "list", "-o", "yaml"], url: url, key: admin).status != 0)
        }
    }

    /// `audit verify-proof`: an auditor keeps the keys and a head, and later
    /// checks a decision's proof and that the log only grew, offline.
    @Test func auditProofsAreVerifiedOfflineWithThePinnedKeysOnly() async throws {
        let tenant = TestEnvironment.uniqueName("ctlaudit")
        let created = try await gateway(.post, "/v1/tenants", key: try await GatewayHarness.shared.adminKey(), json: ["tenant": .string(tenant)])
        let admin = try #require(created.json?["admin_key"]?["key"]?.stringValue)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agionctl-\(tenant)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        @Sendable func file(_ name: String, _ text: String) throws -> String {
            let path = directory.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        #expect(try await gateway(.post, "/v1/policies", key: admin, raw: "rules: [{id: all, effect: allow}]", contentType: "application/yaml").status == .created)
        #expect(try await gateway(.post, "/v1/agents", key: admin, json: GatewayTests.registration("auditor")).status == .ok)
        var decisions: [String] = []
        try await eventually("governance knows the agent") {
            let decided = try await gateway(.post, "/v1/governance/check", key: admin, json: ["agent_id": "langgraph-v2:auditor", "action": "a.b"])
            guard decided.json?["effect"]?.stringValue == "allow", let id = decided.json?["decision_id"]?.stringValue else { return false }
            decisions.append(id)
            return true
        }
        for _ in 0..<20 {
            let decided = try await gateway(.post, "/v1/governance/check", key: admin, json: ["agent_id": "langgraph-v2:auditor", "action": "a.b"])
            decisions.append(try #require(decided.json?["decision_id"]?.stringValue))
        }

        let decided = decisions
        let application = Application(router: try await GatewayHarness.shared.router().make(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { client in
            let decisions = decided
            let url = "http://127.0.0.1:\(client.port!)"
            func run(_ arguments: [String]) async throws -> Run { try await Self.agionctl(arguments, url: url, key: admin) }
            func offline(_ arguments: [String]) async throws -> Run { try await Self.agionctl(arguments, url: "", key: nil) }
            var keptSize: Int64 = 0
            try await eventually(timeout: .seconds(20), "a head over the first decisions") {
                let head = try await run(["audit", "head", "-o", "json"])
                keptSize = (try? JSONValue.parse(Array(head.stdout.utf8)))?["tree_size"]?.stringValue.flatMap { Int64($0) } ?? 0
                return keptSize >= 5
            }
            let kept = try file("kept-head.json", try await run(["audit", "head", "--tree-size", String(keptSize), "-o", "json"]).stdout)
            let keys = try file("keys.json", try await run(["audit", "keys", "-o", "json"]).stdout)
            var proof = ""
            try await eventually(timeout: .seconds(20), "a proof of the last decision") {
                let fetched = try await run(["audit", "proof", decisions.last!, "-o", "json"])
                proof = fetched.stdout
                return fetched.status == 0
            }
            let proofFile = try file("proof.json", proof)
            let verified = try await offline(["audit", "verify-proof", proofFile, "--keys", keys])
            #expect(verified.status == 0 && verified.stdout.contains("verified: decision \(decisions.last!)"), "\(verified.stdout)\(verified.stderr)")

            let size = try #require((try JSONValue.parse(Array(proof.utf8)))["tree_size"]?.stringValue)
            let consistency = try file("consistency.json", try await run(["audit", "consistency", "--from", String(keptSize), "--to", size, "-o", "json"]).stdout)
            let extended = try await offline(["audit", "verify-proof", proofFile, "--keys", keys, "--kept-head", kept, "--consistency", consistency])
            #expect(extended.status == 0 && extended.stdout.contains("extends the kept head"), "\(extended.stdout)\(extended.stderr)")

            // Another decision's record in the proof, a head whose root was
            // rewritten, or keys that did not sign it: exit 1, saying why.
            var json = try JSONValue.parse(Array(proof.utf8))
            let other = try JSONValue.parse(Array(try await run(["audit", "proof", decisions[0], "-o", "json"]).stdout.utf8))
            if case .object(var fields) = json { fields["leaf"] = other["leaf"]; json = .object(fields) }
            let swapped = try await offline(["audit", "verify-proof", try file("swapped.json", json.serializedString), "--keys", keys])
            #expect(swapped.status == 1 && swapped.stderr.contains("NOT VERIFIED"), "\(swapped.stderr)")
            var forkedHead = try JSONValue.parse(Array(try String(contentsOfFile: kept, encoding: .utf8).utf8))
            if case .object(var fields) = forkedHead { fields["root_hash"] = .string(String(repeating: "ab", count: 32)); forkedHead = .object(fields) }
            let forked = try await offline(["audit", "verify-proof", proofFile, "--keys", keys, "--kept-head", try file("forked.json", forkedHead.serializedString),
                                        "--consistency", consistency])
            #expect(forked.status == 1 && forked.stderr.contains("NOT VERIFIED"), "\(forked.stderr)")
            let strangers = try file("strangers.json", #"{"keys":[{"key_id":"0011223344556677","public_key":"\#(String(repeating: "01", count: 32))"}]}"#)
            let untrusted = try await offline(["audit", "verify-proof", proofFile, "--keys", strangers])
            #expect(untrusted.status == 1 && untrusted.stderr.contains("not among the keys you trust"), "\(untrusted.stderr)")

            // Retention: what was decided so far into a file, verified with the pinned keys, then dropped from Agion.
            let archiveFile = directory.appendingPathComponent("archive.jsonl").path
            let archived = try await run(["audit", "archive", "--before", String(Int(Date().timeIntervalSince1970) + 1), "--out", archiveFile,
                                          "--keys", keys, "--drop"])
            #expect(archived.status == 0 && archived.stdout.contains("verified:") && archived.stdout.contains("dropped:"), "\(archived.stdout)\(archived.stderr)")
            let intact = try await offline(["audit", "verify-archive", archiveFile, "--keys", keys])
            #expect(intact.status == 0 && intact.stdout.contains("verified: 16 records"), "\(intact.stdout)\(intact.stderr)")
            var lines = try String(contentsOfFile: archiveFile, encoding: .utf8).split(separator: "\n").map(String.init)
            lines.remove(at: 3)
            let cut = try await offline(["audit", "verify-archive", try file("cut.jsonl", lines.joined(separator: "\n")), "--keys", keys])
            #expect(cut.status == 1 && cut.stderr.contains("NOT VERIFIED"), "\(cut.stderr)")
        }
    }
}
