import AgionNATSAuth
import Foundation
import Synchronization

/// A server process of the test's own on a free port, for tests that stop and
/// restart it (reconnects) without disturbing the shared stack.
final class PrivateServer: @unchecked Sendable {
    // @unchecked: used from one test at a time.
    let port: Int
    private let executable: String
    private let arguments: [String]
    private var process: Process?
    let directory: URL
    /// nats-server's monitoring port (`/subsz`, `/jsz`), for a server from `nats()`.
    private(set) var monitorPort = 0

    /// JetStream on, file storage in a directory of its own, and the local
    /// stack's 8 MB `max_payload` (the default 1 MB would refuse a 1 MiB request
    /// before any service could).
    ///
    /// `secured`: with NATS authentication as Agion deploys it (docs/security.md):
    /// a new authority in `<directory>/auth` (credentials for each service,
    /// `platform.creds`, the gateway's keys), accounts in `<directory>/jwt`.
    static func nats(secured: Bool = false) throws -> PrivateServer {
        let port = freePort(in: 30_000...32_699)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agion-nats-\(port)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("nats.conf")
        let monitor = freePort(in: 30_000...32_699)
        if secured {
            try NATSBootstrap.write(to: dir.appendingPathComponent("auth").path, resolverDirectory: dir.appendingPathComponent("jwt").path)
        }
        try """
            port: \(port)
            host: 127.0.0.1
            http: "127.0.0.1:\(monitor)"
            max_payload: 8MB
            max_control_line: 64KB
            jetstream { store_dir: "\(dir.appendingPathComponent("data").path)" }
            \(secured ? "include \"auth/resolver.conf\"" : "")
            """.write(to: config, atomically: true, encoding: .utf8)
        let server = try PrivateServer(executable: "nats-server", port: port, directory: dir, arguments: ["-c", config.path])
        server.monitorPort = monitor
        return server
    }

    static func redis() throws -> PrivateServer {
        let port = freePort(in: 61_000...62_999)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agion-redis-\(port)-\(UUID().uuidString)")
        return try PrivateServer(executable: "redis-server", port: port, directory: dir,
                                 arguments: ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--dir", dir.path])
    }

    private init(executable: String, port: Int, directory: URL, arguments: [String]) throws {
        self.executable = executable
        self.port = port
        self.directory = directory
        self.arguments = arguments
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    var url: String { "nats://127.0.0.1:\(port)" }

    var logPath: String { directory.appendingPathComponent("server.log").path }

    /// A secured server's authority directory (`nats(secured: true)`).
    var authDirectory: String { directory.appendingPathComponent("auth").path }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        // Its log, for a failing test to look at (`logPath`).
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = FileHandle(forWritingAtPath: logPath)
        log?.seekToEndOfFile()
        process.standardOutput = log ?? FileHandle.nullDevice
        process.standardError = log ?? FileHandle.nullDevice
        try process.run()
        self.process = process
        try await eventually(timeout: .seconds(10), "\(executable) on port \(port)") { Self.accepts(port: self.port) }
    }

    /// Kills the server at once (SIGKILL), as a crash or a lost host would.
    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// Deletes what JetStream stored (streams, consumers, messages), as a
    /// server that comes back on a new volume would find it. Stop it first.
    func wipeJetStream() throws {
        try FileManager.default.removeItem(at: directory.appendingPathComponent("data"))
    }

    /// Stops the server the way an operator or Kubernetes does (SIGTERM): it
    /// tells its clients, finishes, and exits.
    func terminate() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        self.process = nil
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A port nothing has bound right now (a random one may be an outgoing
    /// connection's ephemeral port, and the server would fail to start).
    /// A port in `range` nothing is bound to now. Ranges stay outside Linux's
    /// ephemeral ports (32768-60999): a client socket given the port between
    /// this check and the server's bind failed a test once.
    static func freePort(in range: ClosedRange<Int>) -> Int {
        for _ in 0..<50 {
            let port = Int.random(in: range)
            // Never the same port twice in this process: suites start servers
            // in parallel, and two that checked the same free port between
            // check and bind would both start on it (one then times out).
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(fd)
            if bound { return port }
        }
        return Int.random(in: range)
    }

    /// Ports `freePort` gave out so far.
    private static let handedOut = Mutex<Set<Int>>([])

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
