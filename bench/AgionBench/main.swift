// agion-bench: Agion's benchmarks. Each prints one JSON object per line.
//   agion-bench envelope            envelope.roundtrip
//   agion-bench rpc [--requests N]  bus.rpc (spawns its own responder process)
//   agion-bench rpc-blocking        bus.rpc_blocking (blocking responder and client threads)
//   agion-bench publish [--messages N]
//   agion-bench consume [--messages N]
//   agion-bench rpc-server SUBJECT  the responder process used by `rpc`
//   agion-bench policy              governance.policy_eval (in-process, 10 and 1,000 rules)
//   agion-bench governance          governance.check (starts agion-governance from the same build)
//   agion-bench audit [--records 1000000,10000000] [--proofs 2000]
//                                   audit.* (the audit's Merkle tree at size: build, proofs, verification)
//   agion-bench missions [chain|fanout|burst]
//                                   missions.* (starts registry, governance, coordination and execution)
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let natsURL = ProcessInfo.processInfo.environment["AGION_NATS_URL"] ?? "nats://127.0.0.1:14222"
/// The local stack's NATS wants credentials (docs/security.md): the platform user's.
let benchCredentials = ProcessInfo.processInfo.environment["AGION_NATS_CREDS"]

func option(_ name: String, default value: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let parsed = Int(arguments[index + 1]) else { return value }
    return parsed
}

do {
    switch arguments.first {
    case "envelope": try EnvelopeBenchmark.run(iterations: option("--iterations", default: 1_000_000))
    case "rpc": try await RPCBenchmark.run(url: natsURL, requests: option("--requests", default: 20_000),
                                           blockingServer: arguments.contains("--blocking-server"))
    case "rpc-blocking": try await RPCBenchmark.runBlocking(url: natsURL, requests: option("--requests", default: 20_000))
    case "rpc-server": try await RPCBenchmark.serve(url: natsURL, subject: arguments.count > 1 ? arguments[1] : "agion.bench.rpc", blocking: false)
    case "rpc-server-blocking": try await RPCBenchmark.serve(url: natsURL, subject: arguments[1], blocking: true)
    case "governance": try await GovernanceBenchmark.run(url: natsURL, requests: option("--requests", default: 20_000))
    case "policy": try PolicyBenchmark.run(iterations: option("--iterations", default: 200_000))
    case "audit":
        let sizes = arguments.firstIndex(of: "--records").flatMap { arguments.count > $0 + 1 ? arguments[$0 + 1] : nil }
            .map { $0.split(separator: ",").compactMap { Int($0) } } ?? [1_000_000]
        try await AuditBenchmark.run(url: natsURL, sizes: sizes, proofs: option("--proofs", default: 2_000))
    case "missions": try await MissionBenchmark.run(url: natsURL, only: arguments.count > 1 ? arguments[1] : nil)
    case "publish": try await JetStreamBenchmark.publish(url: natsURL, messages: option("--messages", default: 200_000))
    case "consume": try await JetStreamBenchmark.consume(url: natsURL, messages: option("--messages", default: 200_000))
    default:
        FileHandle.standardError.write(Data("usage: agion-bench envelope|rpc|publish|consume|rpc-server SUBJECT\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("agion-bench: \(error)\n".utf8))
    exit(1)
}
