import Foundation
import Testing

/// `make up` and `make run` run each service under scripts/supervise.sh: a
/// service that exits unexpectedly is started again at once (no build), and
/// the log says why it went; one asked to stop stays stopped.
@Suite(.timeLimit(.minutes(2))) struct SupervisorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func aServiceThatDiesIsRestartedAtOnceAndTheLogSaysWhy() async throws {
        let nats = try PrivateServer.nats()
        try await nats.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agion-supervise-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("agion-registry.log").path
        let pidFile = directory.appendingPathComponent("agion-registry.pid").path
        let adminPort = PrivateServer.freePort(in: 20_000...29_999)
        let schema = TestEnvironment.uniqueName("sv").lowercased()

        let supervisor = Process()
        supervisor.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // The test runner ignores SIGTERM and SIGINT (its in-process services
        // take them through Dispatch), children inherit that, and a shell may
        // not trap a signal ignored on entry: give the supervisor the defaults
        // a shell started by make or a terminal has.
        supervisor.arguments = ["--default-signal=TERM,INT", "bash", Self.root.appendingPathComponent("scripts/supervise.sh").path, "agion-registry", log, pidFile,
                                try ChildService.binary("agion-registry").path]
        var environment = ProcessInfo.processInfo.environment
        environment["AGION_NATS_URL"] = nats.url
        environment["AGION_ADMIN_PORT"] = String(adminPort)
        environment["AGION_REGISTRY_SCHEMA"] = schema
        environment["AGION_POSTGRES_PORT"] = String(TestEnvironment.postgresPort)
        environment["AGION_LOG_LEVEL"] = "warning"
        supervisor.environment = environment
        supervisor.standardOutput = FileHandle.nullDevice
        supervisor.standardError = FileHandle.nullDevice
        try supervisor.run()
        defer {
            if supervisor.isRunning { kill(supervisor.processIdentifier, SIGKILL) }
            if let pid = Self.pid(pidFile) { kill(pid, SIGKILL) }
        }

        func healthy() async -> Bool { (try? await HTTPClient.send("GET", "http://127.0.0.1:\(adminPort)/health", timeout: 1))?.status == 200 }
        try await eventually(timeout: .seconds(30), "the service answers") { await healthy() }
        let first = try #require(Self.pid(pidFile))

        kill(first, SIGKILL)
        let killed = ContinuousClock.now
        try await eventually(timeout: .seconds(15), "a new process answers") {
            guard let pid = Self.pid(pidFile), pid != first else { return false }
            return await healthy()
        }
        let restartedIn = ContinuousClock.now - killed
        #expect(restartedIn < .seconds(5), "restarted after \(restartedIn)")
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("\"msg\":\"service.restarting\",\"service\":\"agion-registry\",\"reason\":\"killed by signal 9 (SIGKILL)\""), "\(text.suffix(600))")

        // Asked to stop: the service drains and exits, and nothing restarts it.
        let second = try #require(Self.pid(pidFile))
        kill(supervisor.processIdentifier, SIGINT)
        try await eventually(timeout: .seconds(40), "the supervisor exits") { !supervisor.isRunning }
        #expect(supervisor.terminationStatus == 0)
        #expect(kill(second, 0) != 0)
        #expect(try String(contentsOfFile: log, encoding: .utf8).components(separatedBy: "service.restarting").count == 2)

        nats.stop()
        let pool = TestEnvironment.pool(size: 1)
        await TestEnvironment.dropSchema(schema, pool)
        await pool.shutdown()
    }

    static func pid(_ file: String) -> pid_t? {
        (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
