import Foundation

/// A server process of the test's own on a free port, for tests that stop and
/// restart it (reconnects) without disturbing the shared stack.
final class PrivateServer: @unchecked Sendable {
    // @unchecked: used from one test at a time.
    let port: Int
    private let executable: String
    private let arguments: [String]
    private var process: Process?
    let directory: URL

    static func nats() throws -> PrivateServer {
        let port = freePort(in: 30_000...39_999)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agion-nats-\(port)-\(UUID().uuidString)")
        return try PrivateServer(executable: "nats-server", port: port, directory: dir,
                                 arguments: ["-p", "\(port)", "-a", "127.0.0.1", "-js", "-sd", dir.path])
    }

    static func redis() throws -> PrivateServer {
        let port = freePort(in: 40_000...49_999)
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

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
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

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A port nothing has bound right now (a random one may be an outgoing
    /// connection's ephemeral port, and the server would fail to start).
    static func freePort(in range: ClosedRange<Int>) -> Int {
        for _ in 0..<50 {
            let port = Int.random(in: range)
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
