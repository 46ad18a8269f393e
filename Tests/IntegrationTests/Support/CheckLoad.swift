import AgionJSON
import Foundation
import Synchronization

/// Checks through a `ChildStack`'s gateways over real HTTP, without pause
/// while they are answered, for as long as a test runs its faults: what a
/// client saw (every decision id it was given, every status) is what the
/// test then holds the stack to.
final class CheckLoad: Sendable {
    struct Tally: Sendable {
        var decisionIDs: [String] = []
        /// 503s, each with a `Retry-After`.
        var unavailable = 0
        var unavailableWithoutRetryAfter = 0
        /// Anything else that was not a decision: status and body.
        var other: [String] = []
        var lastSuccess: ContinuousClock.Instant?
    }

    private let stack: ChildStack
    private let key: String
    private let agent: String
    private let tally = Mutex(Tally())
    private let running = Atomic<Bool>(true)
    private let tasks = Mutex<[Task<Void, Never>]>([])

    init(stack: ChildStack, key: String, agent: String) {
        self.stack = stack
        self.key = key
        self.agent = agent
    }

    /// Two clients per gateway replica.
    func start() {
        let started = (0..<(stack.gateways.count * 2)).map { index in
            Task { await self.client(gateway: index % self.stack.gateways.count, id: index) }
        }
        tasks.withLock { $0 = started }
    }

    func stop() async {
        running.store(false, ordering: .relaxed)
        for task in tasks.withLock({ $0 }) { await task.value }
    }

    var snapshot: Tally { tally.withLock { $0 } }

    private func client(gateway: Int, id: Int) async {
        var sequence = 0
        while running.load(ordering: .relaxed) {
            sequence += 1
            let body: JSONValue = ["agent_id": .string(agent), "action": "load.run", "context": ["client": .integer(Int64(id)), "n": .integer(Int64(sequence))]]
            do {
                let response = try await HTTPClient.send("POST", stack.gatewayURL(gateway, "/v1/governance/check"), key: key, json: body, timeout: 15)
                if response.status == 200, let decision = response.json?["decision_id"]?.stringValue {
                    tally.withLock {
                        $0.decisionIDs.append(decision)
                        $0.lastSuccess = .now
                    }
                    continue
                }
                tally.withLock {
                    if response.status == 503 {
                        $0.unavailable += 1
                        if response.headers["retry-after"] == nil { $0.unavailableWithoutRetryAfter += 1 }
                    } else {
                        $0.other.append("\(response.status) \(response.text.prefix(300))")
                    }
                }
            } catch {
                tally.withLock { $0.other.append("transport: \(error)") }
            }
            // A client told to come back does not hammer: 20 ms, not its Retry-After (the test measures recovery).
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
