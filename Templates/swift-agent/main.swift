// A Swift agent container on the Agion SDK (AgionSDK): copy this folder,
// rename the agent, replace the summary with your work.
//
// One agent, template:swift-summarizer (capability `summarizing`), served over
// NATS on its own subjects with the container's NATS credentials
// (docs/security.md). Each invocation is governed (`governed`: deny and
// approval throw, the policy's `max_tokens` obligation caps the summary),
// reports progress and usage, and a repeated idempotency key is answered once.
// SIGTERM deregisters the agent and stops within 30 s.
//
//   agionctl nats-credentials create --name swift-summarizer --agent template:swift-summarizer --out agent.creds
//   AGION_NATS_CREDS=agent.creds AGION_TENANT=<your tenant> .build/release/agion-template-swift
import AgionContract
import AgionJSON
import AgionSDK
import Dispatch
import Foundation

let agent = try AgentID("template:swift-summarizer")

do {
    let agion = try await AgionClient.connect(name: "agion-template-swift")  // AGION_NATS_URL, AGION_TENANT, AGION_NATS_CREDS
    let container = AgentContainer(name: agent.container, client: agion)
    try container.agent(agent.name, capabilities: ["summarizing"], version: ProcessInfo.processInfo.environment["AGENT_VERSION"] ?? "1",
                        description: "Summarizes a text to at most `limit` words",
                        metadata: ["framework": "swift", "template": "swift-agent"]) { input, context in
        guard let text = input["text"]?.stringValue, !text.allSatisfy(\.isWhitespace) else {
            throw AgentFailure("the input needs a text (a non-empty string)", retriable: false)  // the same input fails the same way
        }
        var limit = Int(input["limit"]?.doubleValue ?? 40)
        guard limit >= 1 else { throw AgentFailure("limit must be a whole number >= 1", retriable: false) }
        let words = text.split(whereSeparator: \.isWhitespace)
        return try await agion.governed(agent, "text.summarize", context: ["words": .number(Double(words.count))]) { decision in
            if let cap = decision.obligation("max_tokens")?.parameters["value"].flatMap({ Int($0) }) { limit = min(limit, cap) }
            context.progress("summarizing", percent: 50)
            let summary = words.prefix(limit).joined(separator: " ")
            context.addUsage(inputTokens: Int64(words.count), outputTokens: Int64(min(limit, words.count)))
            return ["summary": .string(summary), "words": .integer(Int64(words.count)), "limit": .integer(Int64(limit))]
        }
    }
    try await container.start()
    print("agion-template-swift: serving \(agent) over NATS")
    await Termination.signal()
    await container.stop(reason: "SIGTERM")
    await agion.close()
} catch {
    FileHandle.standardError.write(Data("agion-template-swift: \(error)\n".utf8))
    exit(1)
}

/// Waits for SIGTERM or SIGINT (what Kubernetes and Ctrl-C send).
enum Termination {
    nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []

    static func signal() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumed = NSLock()
            var done = false
            for number in [SIGTERM, SIGINT] {
                Foundation.signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    resumed.lock()
                    defer { resumed.unlock() }
                    guard !done else { return }
                    done = true
                    continuation.resume()
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}
