import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import Foundation
import Testing

extension ProcessStackSuites {
    /// The bus goes away under load, gracefully (SIGTERM) and not (SIGKILL), for
    /// a second and for a minute, with two replicas of every service running as
    /// processes: every replica rides it out, says so on `/ready` meanwhile, the
    /// gateway answers 503 at once, checks come back within a second or so of
    /// NATS, and no decision a client was given is missing from the audit.
    @Suite(.timeLimit(.minutes(10))) struct NATSOutageTests {
        enum Stop: String { case sigterm, sigkill }

        @Test func everyReplicaRidesOutNATSRestartsUnderLoad() async throws {
            try await ChildStack.with(replicas: 2) { try await run($0) }
        }

        private func run(_ stack: ChildStack) async throws {
            let (tenant, key) = try await stack.tenant(agents: ["load:worker"])
            let load = CheckLoad(stack: stack, key: key, agent: "load:worker")
            load.start()
            try await eventually(timeout: .seconds(30), "load flows") { load.snapshot.decisionIDs.count >= 100 }

            var recoveries: [(Stop, Int, Duration)] = []
            // The last one comes back without its JetStream data (a new volume):
            // streams and consumers must be declared again by the services.
            for (stop, seconds, wipe) in [(Stop.sigterm, 1, false), (.sigkill, 1, false), (.sigterm, 60, false), (.sigkill, 60, false), (.sigkill, 1, true)] {
                let recovery = try await outage(stack, stop: stop, seconds: seconds, wipe: wipe, key: key)
                recoveries.append((stop, seconds, recovery))
                if wipe { print("nats outage: came back without its JetStream data, checks answered \(recovery) after") }
                let before = load.snapshot.decisionIDs.count
                try await eventually(timeout: .seconds(15), "load flows again after \(stop) for \(seconds) s") { load.snapshot.decisionIDs.count > before + 50 }
                try await Task.sleep(for: .seconds(2))  // under load again before the next outage
            }
            await load.stop()
            let tally = load.snapshot
            print("nats outage recoveries: " + recoveries.map { "\($0.0.rawValue) \($0.1) s: first check \($0.2) after NATS was back" }.joined(separator: "; "))
            print("nats outage load: \(tally.decisionIDs.count) decisions, \(tally.unavailable) answered 503, other: \(tally.other.count)")

            // Every answer is a decision or a 503 that says when to come back: a
            // check in flight when the bus dies fails at once too, not after the
            // gateway's timeout.
            #expect(tally.unavailableWithoutRetryAfter == 0)
            #expect(tally.other.isEmpty, "\(tally.other.prefix(10))")
            for (stop, seconds, recovery) in recoveries {
                #expect(recovery < .seconds(1), "\(stop) \(seconds) s: checks came back \(recovery) after NATS")
            }

            try stack.expectAllRunning("after the outages")
            try await everyReplicaServesAgain(stack, key: key)

            // No decision a client received is missing from the audit.
            let received = Set(tally.decisionIDs)
            let pool = TestEnvironment.pool(size: 1)
            defer { Task { await pool.shutdown() } }
            try await eventually(timeout: .seconds(30), "every received decision is audited") {
                let rows = try await pool.withConnection {
                    try await $0.query("SELECT decision_id FROM \(stack.governanceSchema).audit_records WHERE tenant = $1", [tenant])
                }
                let audited = Set(try rows.map { try $0.decode("decision_id", as: String.self) })
                return received.isSubset(of: audited)
            }
            let verified = try await HTTPClient.send("POST", stack.gatewayURL(0, "/v1/decisions/verify"), key: key, json: [:])
            #expect(verified.status == 200 && verified.json?["intact"] == true, "\(verified.text)")
        }

        /// Stops NATS, checks what clients and probes see meanwhile, starts it
        /// again, and returns how long after that checks were answered again.
        private func outage(_ stack: ChildStack, stop: Stop, seconds: Int, wipe: Bool, key: String) async throws -> Duration {
            let started = ContinuousClock.now
            switch stop {
            case .sigterm: stack.nats.terminate()
            case .sigkill: stack.nats.stop()
            }
            // Every replica notices and says why it is not ready.
            for service in stack.services {
                try await eventually(timeout: .seconds(5), "\(service.logPath) reports NATS down") {
                    guard let ready = await stack.ready(service) else { return false }
                    return ready.status == 503 && ready.json?["checks"]?["nats"] == "down"
                        && ready.json?["reasons"]?["nats"]?.stringValue?.hasPrefix("disconnected for") == true
                }
            }
            // The gateway answers at once that it cannot, and when to come back.
            for index in stack.gateways.indices {
                let asked = ContinuousClock.now
                let response = try await HTTPClient.send("POST", stack.gatewayURL(index, "/v1/governance/check"), key: key,
                                                         json: ["agent_id": "load:worker", "action": "load.run"])
                let took = ContinuousClock.now - asked
                #expect(response.status == 503 && response.headers["retry-after"] != nil, "\(response.status) \(response.text)")
                #expect(response.headers["content-type"] == "application/problem+json")
                #expect(took < .milliseconds(500), "a check with NATS down took \(took)")
            }
            let remaining = .seconds(seconds) - (ContinuousClock.now - started)
            if remaining > .zero { try await Task.sleep(for: remaining) }
            try stack.expectAllRunning("NATS down (\(stop), \(seconds) s)")

            if wipe { try stack.nats.wipeJetStream() }
            try await stack.nats.start()
            let back = ContinuousClock.now
            for index in stack.gateways.indices {
                try await eventually(timeout: .seconds(15), "gateway \(index) answers checks after \(stop) for \(seconds) s") {
                    let response = try? await HTTPClient.send("POST", stack.gatewayURL(index, "/v1/governance/check"), key: key,
                                                              json: ["agent_id": "load:worker", "action": "load.run"], timeout: 2)
                    return response?.status == 200
                }
            }
            let recovered = ContinuousClock.now - back
            try await stack.waitUntilReady(timeout: .seconds(15))
            try stack.expectAllRunning("NATS back (\(stop), \(seconds) s)")
            return recovered
        }

        /// Each replica answers requests again (its own request counter moves), and
        /// the registry's events reach governance again (outbox relay, consumer).
        private func everyReplicaServesAgain(_ stack: ChildStack, key: String) async throws {
            let before = await stack.services.asyncMap { await stack.requestsServed($0) }
            let bus = try await stack.bus()
            for _ in 0..<40 {
                _ = try await bus.call(RegistrySubjects.list, ListAgentsRequest(), tenant: "probe", as: ListAgentsResponse.self)
                _ = try? await bus.call(GovernanceSubjects.listPolicies, ListPolicyRevisionsRequest(), tenant: "probe", as: ListPolicyRevisionsResponse.self)
            }
            for _ in 0..<40 {
                _ = try await HTTPClient.send("POST", stack.gatewayURL(0, "/v1/governance/check"), key: key, json: ["agent_id": "load:worker", "action": "a"])
                _ = try await HTTPClient.send("POST", stack.gatewayURL(1, "/v1/governance/check"), key: key, json: ["agent_id": "load:worker", "action": "a"])
            }
            let after = await stack.services.asyncMap { await stack.requestsServed($0) }
            for (index, service) in stack.services.enumerated() where stack.registries.contains(where: { $0 === service }) || stack.governors.contains(where: { $0 === service }) {
                #expect(after[index] > before[index], "\(service.logPath) served nothing after the outages")
            }
            try await bus.drain()

            // A registration after the outages reaches governance: outbox relay and consumer work.
            let registered = try await HTTPClient.send("POST", stack.gatewayURL(1, "/v1/agents"), key: key,
                                                       json: ChildStack.registration(container: "late", ids: ["late:joiner"]))
            #expect(registered.status == 200, "\(registered.text)")
            try await eventually(timeout: .seconds(15), "governance hears of the late agent") {
                let decision = try await HTTPClient.send("POST", stack.gatewayURL(0, "/v1/governance/check"), key: key,
                                                         json: ["agent_id": "late:joiner", "action": "load.run"])
                return decision.json?["effect"] == "allow"
            }
        }
    }
}


extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
