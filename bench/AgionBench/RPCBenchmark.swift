import AgionBus
import AgionEnvelope
import Foundation
import Logging
import Synchronization

/// bus.rpc: request/reply through the Bus module with the responder in another
/// process, one client in sequence and 16 concurrent clients.
enum RPCBenchmark {
    static let logger = Logger(label: "agion.bench")

    /// The responder process: async handlers (`Bus.respond`), or with
    /// `blocking` synchronous ones on cnats' delivery threads (`Bus.respondBlocking`).
    static func serve(url: String, subject: String, blocking: Bool) async throws {
        let bus = try await Bus.connect(BusConfiguration(url: url, name: "bench-responder", credentialsFile: benchCredentials), logger: logger)
        let reply = [UInt8](repeating: 1, count: 64)
        if blocking {
            let responder = try bus.respondBlocking(subject, queue: "bench") { request in
                request.caused(type: "agion.bench.reply", payload: reply)
            }
            try await waitForParent(bus)
            try await responder.drain()
        } else {
            let responder = try bus.respond(subject, queue: "bench", maxConcurrent: 256) { request in
                request.caused(type: "agion.bench.reply", payload: reply)
            }
            try await waitForParent(bus)
            try await responder.drain()
        }
    }

    private static func waitForParent(_ bus: Bus) async throws {
        try await bus.flush()
        print("ready")
        fflush(nil)
        // Runs until the parent closes our stdin.
        _ = FileHandle.standardInput.readDataToEndOfFile()
    }

    /// bus.rpc_blocking: `respondBlocking` in the responder process and
    /// `requestBlocking` from client threads: the path with no cooperative-pool hops.
    static func runBlocking(url: String, requests: Int) async throws {
        let subject = "agion.bench.rpcb.\(UInt32.random(in: 0...UInt32.max))"
        let server = try startServer(subject: subject, blocking: true)
        defer { server.stop() }
        let bus = try await Bus.connect(BusConfiguration(url: url, name: "bench-client", credentialsFile: benchCredentials), logger: logger)
        let request = Envelope(type: "agion.bench.request", tenant: "bench", payload: [UInt8](repeating: 7, count: 200))
        func clientThread(_ count: Int) async -> [UInt64] {
            await withCheckedContinuation { continuation in
                Thread {
                    var local: [UInt64] = []
                    local.reserveCapacity(count)
                    for _ in 0..<count {
                        let t0 = nowNanos()
                        guard (try? bus.requestBlocking(subject, request)) != nil else { continue }
                        local.append(nowNanos() - t0)
                    }
                    continuation.resume(returning: local)
                }.start()
            }
        }
        _ = await clientThread(1_000)
        let start = nowNanos()
        let one = await clientThread(requests)
        report(one, clients: 1, elapsed: nowNanos() - start, bench: "bus.rpc_blocking")
        let start16 = nowNanos()
        let all = await withTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<16 { group.addTask { await clientThread(requests / 2) } }
            return await group.reduce(into: [UInt64]()) { $0 += $1 }
        }
        report(all, clients: 16, elapsed: nowNanos() - start16, bench: "bus.rpc_blocking")
    }

    /// A responder child process, ready when this returns; `stop` ends it.
    struct Server {
        let process: Process
        let input: Pipe
        func stop() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    static func startServer(subject: String, blocking: Bool) throws -> Server {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        server.arguments = [blocking ? "rpc-server-blocking" : "rpc-server", subject]
        let input = Pipe(), output = Pipe()
        server.standardInput = input
        server.standardOutput = output
        try server.run()
        _ = output.fileHandleForReading.availableData  // "ready"
        return Server(process: server, input: input)
    }

    /// bus.rpc: `Bus.request` from tasks. With `blockingServer` the responder
    /// process uses `respondBlocking` instead (bench `bus.rpc_async_to_blocking`).
    static func run(url: String, requests: Int, blockingServer: Bool = false) async throws {
        let subject = "agion.bench.rpc.\(UInt32.random(in: 0...UInt32.max))"
        let server = try startServer(subject: subject, blocking: blockingServer)
        defer { server.stop() }
        let bench = blockingServer ? "bus.rpc_async_to_blocking" : "bus.rpc"

        let bus = try await Bus.connect(BusConfiguration(url: url, name: "bench-client", credentialsFile: benchCredentials), logger: logger)
        let request = Envelope(type: "agion.bench.request", tenant: "bench", payload: [UInt8](repeating: 7, count: 200))
        for _ in 0..<1_000 { _ = try await bus.request(subject, request) }

        var samples: [UInt64] = []
        samples.reserveCapacity(requests)
        let start = nowNanos()
        for _ in 0..<requests {
            let t0 = nowNanos()
            _ = try await bus.request(subject, request)
            samples.append(nowNanos() - t0)
        }
        report(samples, clients: 1, elapsed: nowNanos() - start, bench: bench)

        let clients = 16
        let perClient = requests / 2
        let start16 = nowNanos()
        let all = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var local: [UInt64] = []
                    local.reserveCapacity(perClient)
                    for _ in 0..<perClient {
                        let t0 = nowNanos()
                        _ = try await bus.request(subject, request)
                        local.append(nowNanos() - t0)
                    }
                    return local
                }
            }
            return try await group.reduce(into: [UInt64]()) { $0 += $1 }
        }
        report(all, clients: clients, elapsed: nowNanos() - start16, bench: bench)
    }

    private static func report(_ samples: [UInt64], clients: Int, elapsed: UInt64, bench: String = "bus.rpc") {
        let sorted = samples.sorted()
        BenchLine(bench).with("clients", clients).with("ops_per_s", Int(Double(samples.count) / (Double(elapsed) / 1e9)))
            .with("p50_us", percentileMicros(sorted, 0.50)).with("p99_us", percentileMicros(sorted, 0.99))
            .with("rss_mb", residentMegabytes()).print()
    }
}
