import AgionBus
import AgionEnvelope
import Foundation
import Logging
import Synchronization

/// bus.rpc: request/reply through the Bus module with the responder in another
/// process, one client in sequence and 16 concurrent clients.
enum RPCBenchmark {
    static let logger = Logger(label: "agion.bench")

    static func serve(url: String, subject: String) async throws {
        let bus = try await Bus.connect(BusConfiguration(url: url, name: "bench-responder"), logger: logger)
        let reply = [UInt8](repeating: 1, count: 64)
        let responder = try bus.respond(subject, queue: "bench", maxConcurrent: 256) { request in
            request.caused(type: "agion.bench.reply", payload: reply)
        }
        try await bus.flush()
        print("ready")
        fflush(nil)
        // Runs until the parent closes our stdin.
        _ = FileHandle.standardInput.readDataToEndOfFile()
        try await responder.drain()
    }

    static func run(url: String, requests: Int) async throws {
        let subject = "agion.bench.rpc.\(UInt32.random(in: 0...UInt32.max))"
        let server = Process()
        server.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        server.arguments = ["rpc-server", subject]
        let input = Pipe(), output = Pipe()
        server.standardInput = input
        server.standardOutput = output
        try server.run()
        defer { try? input.fileHandleForWriting.close(); server.waitUntilExit() }
        _ = output.fileHandleForReading.availableData  // "ready"

        let bus = try await Bus.connect(BusConfiguration(url: url, name: "bench-client"), logger: logger)
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
        report(samples, clients: 1, elapsed: nowNanos() - start)

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
        report(all, clients: clients, elapsed: nowNanos() - start16)
    }

    private static func report(_ samples: [UInt64], clients: Int, elapsed: UInt64) {
        let sorted = samples.sorted()
        BenchLine("bus.rpc").with("clients", clients).with("ops_per_s", Int(Double(samples.count) / (Double(elapsed) / 1e9)))
            .with("p50_us", percentileMicros(sorted, 0.50)).with("p99_us", percentileMicros(sorted, 0.99))
            .with("rss_mb", residentMegabytes()).print()
    }
}
