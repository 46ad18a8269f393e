import AgionBus
import AgionEnvelope
import Foundation
import Logging

/// Where the project's local stack listens (scripts/stack.sh), overridable
/// through the same variables the services read.
enum TestEnvironment {
    static let natsURL = ProcessInfo.processInfo.environment["AGION_NATS_URL"] ?? "nats://127.0.0.1:14222"
    static let redisHost = ProcessInfo.processInfo.environment["AGION_REDIS_HOST"] ?? "127.0.0.1"
    static let redisPort = Int(ProcessInfo.processInfo.environment["AGION_REDIS_PORT"] ?? "") ?? 16379
    static let postgresPort = Int(ProcessInfo.processInfo.environment["AGION_POSTGRES_PORT"] ?? "") ?? 15432

    static let logger: Logger = {
        var logger = Logger(label: "agion.tests")
        logger.logLevel = .warning
        return logger
    }()

    /// A name no other test uses, for streams, schemas and key prefixes.
    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
    }

    /// The shared stack's NATS authority (scripts/stack.sh makes it under
    /// .run/nats/auth; `AGION_NATS_AUTH_DIR` names another), or nil when that
    /// NATS runs without authentication.
    static let sharedAuthDirectory: String? = {
        let directory = ProcessInfo.processInfo.environment["AGION_NATS_AUTH_DIR"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".run/nats/auth").path
        return FileManager.default.fileExists(atPath: "\(directory)/platform.creds") ? directory : nil
    }()

    /// The unrestricted `platform` user's credentials for the shared stack.
    static var sharedCredentials: String? { sharedAuthDirectory.map { "\($0)/platform.creds" } }

    /// A connection to `url`: to the shared stack as the `platform` user
    /// (when it runs with authentication).
    static func bus(url: String = natsURL, name: String = "tests") async throws -> Bus {
        try await Bus.connect(BusConfiguration(url: url, name: name, credentialsFile: url == natsURL ? sharedCredentials : nil), logger: logger)
    }
}

/// Waits until `condition` holds, checking every 10 ms, or fails after `timeout`.
func eventually(timeout: Duration = .seconds(10), _ what: String = "condition",
                _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw TestFailure("timed out waiting for \(what)")
}

/// The first envelope on `broadcast` that `matches`, or nil once `timeout`
/// passed (the broadcast is closed then, so a test never hangs on silence).
func firstEnvelope(on broadcast: Broadcast, within timeout: Duration = .seconds(10),
                   where matches: @escaping @Sendable (Envelope) -> Bool = { _ in true }) async -> Envelope? {
    let timer = Task {
        try? await Task.sleep(for: timeout)
        broadcast.close()
    }
    defer { timer.cancel() }
    for await envelope in broadcast where matches(envelope) { return envelope }
    return nil
}

/// The error reply a request got, or nil if it succeeded or failed otherwise.
func remoteError(_ body: () async throws -> Void) async -> ErrorReply? {
    do { try await body() } catch let error as BusError { return error.remote } catch { return nil }
    return nil
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
