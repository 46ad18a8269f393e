import Foundation

/// A service executable (built next to the test bundle) run as a process of
/// its own, for what only a real process shows: SIGKILL, restarts.
final class ChildService: @unchecked Sendable {
    // @unchecked: used from one test at a time.
    let process = Process()
    let adminPort = PrivateServer.freePort(in: 20_000...29_999)
    let logPath: String

    init(_ executable: String, environment: [String: String]) throws {
        process.executableURL = try Self.binary(executable)
        var env = ProcessInfo.processInfo.environment
        env["AGION_NATS_URL"] = TestEnvironment.natsURL
        env["AGION_REDIS_HOST"] = TestEnvironment.redisHost
        env["AGION_REDIS_PORT"] = String(TestEnvironment.redisPort)
        env["AGION_POSTGRES_PORT"] = String(TestEnvironment.postgresPort)
        env["AGION_ADMIN_PORT"] = String(adminPort)
        env["AGION_LOG_LEVEL"] = "warning"
        for (key, value) in environment { env[key] = value }
        // Credentials: "" means none; on the shared stack, the service's own.
        if env["AGION_NATS_CREDS"] == "" {
            env.removeValue(forKey: "AGION_NATS_CREDS")
        } else if environment["AGION_NATS_CREDS"] == nil, env["AGION_NATS_URL"] == TestEnvironment.natsURL,
                  let directory = TestEnvironment.sharedAuthDirectory {
            let service = executable.replacingOccurrences(of: "agion-", with: "")
            env["AGION_NATS_CREDS"] = "\(directory)/\(FileManager.default.fileExists(atPath: "\(directory)/\(service).creds") ? service : "platform").creds"
        }
        process.environment = env
        // Its logs (JSON, warnings and up) go to a file the failure message names.
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("agion-child-\(executable)-\(adminPort).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: logPath)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
    }

    /// SIGKILL: no shutdown code runs.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then wait for the graceful exit.
    func terminate() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    var isRunning: Bool { process.isRunning }

    /// What the child wrote (JSON logs at warning and up, and any crash report).
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit { if process.isRunning { kill() } }

    /// An executable of this package, built next to the test bundle.
    static func binary(_ executable: String) throws -> URL {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var binary = directory.appendingPathComponent(executable)
        if !FileManager.default.fileExists(atPath: binary.path) {
            // Run as `swift test`: the bundle sits beside the executables, or one level down.
            binary = directory.deletingLastPathComponent().appendingPathComponent(executable)
        }
        guard FileManager.default.fileExists(atPath: binary.path) else { throw TestFailure("build \(executable) first (swift build)") }
        return binary
    }
}
