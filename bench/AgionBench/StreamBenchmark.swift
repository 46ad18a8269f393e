import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import AsyncHTTPClient
import Foundation
import Hummingbird
import MissionsCore
import NIOCore

/// missions.stream: how long a partial result takes from the agent to a
/// client following the mission. An HTTP agent streams its answer
/// (`text/event-stream`, docs/agent-contract.md): `tokens` progress events,
/// `every` apart, each stamped with when it was written; execution relays
/// them on `agion.missions.live.<tenant>.<mission>`; the gateway (started
/// here as a process, like the services) sends them to the client of
/// `GET /v1/missions/{id}/stream`, which measures the stamp's age on arrival.
/// One host, one clock.
enum StreamBenchmark {
    static let tokens = 20
    static let every: Duration = .milliseconds(20)
    static let gatewayPort = 19_320
    static let gatewayAdminPort = 19_315

    /// The stream agent's answer: the tokens as they are produced, then the result.
    static func streamedAnswer() -> Response {
        let (events, continuation) = AsyncStream<ByteBuffer>.makeStream()
        Task {
            for index in 1...tokens {
                try? await Task.sleep(for: every)
                continuation.yield(ByteBuffer(string: #"event: progress\#ndata: {"sequence":\#(index),"text":"token \#(index) ","occurred_at_unix_nanos":\#(Envelope.nowUnixNanos())}\#n\#n"#))
            }
            continuation.yield(ByteBuffer(string: "event: result\ndata: {\"output\": {\"ok\": true}}\n\n"))
            continuation.finish()
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(asyncSequence: events))
    }

    static func run(url: String, bus: Bus, tenant: String, stack: MissionStack) async throws {
        let platformKey = "agion_" + String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) + "_"
            + String((0..<43).map { _ in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".randomElement()! })
        try await stack.pool.withConnection { try await $0.execute("DROP SCHEMA IF EXISTS bench_m_gateway CASCADE") }
        let gateway = try ServiceProcess.start("agion-gateway", environment: [
            "AGION_NATS_URL": url, "AGION_ADMIN_PORT": String(gatewayAdminPort), "AGION_GATEWAY_PORT": String(gatewayPort),
            "AGION_GATEWAY_SCHEMA": "bench_m_gateway", "AGION_GATEWAY_BOOTSTRAP_KEY": platformKey, "AGION_GATEWAY_BOOTSTRAP_KEY_FILE": "",
            "AGION_LOG_LEVEL": ProcessInfo.processInfo.environment["AGION_BENCH_SERVICE_LOG_LEVEL"] ?? "error",
        ])
        defer { gateway.stop() }
        try await waitFor(url: "http://127.0.0.1:\(gatewayAdminPort)/ready")
        let base = "http://127.0.0.1:\(gatewayPort)"
        let created = try await send("POST", base + "/v1/tenants", key: platformKey, json: ["tenant": .string(tenant)])
        guard let key = created["admin_key"]?["key"]?.stringValue else { throw BenchError("no admin key: \(created)") }
        _ = try await bus.call(GovernanceSubjects.putPolicy, PutPolicyRequest(document: """
            rules: [{id: bench, effect: allow, actions: [bench.run, bench.stream]}]
            output: [{id: shape, require_fields: [ok]}]
            """), tenant: tenant, as: PolicyRevision.self, timeout: .seconds(10))

        let missions = 20
        var ages: [UInt64] = []
        for round in 0..<(missions + 2) {
            let mission = try await send("POST", base + "/v1/missions", key: key, json: [
                "steps": [["id": "write", "agent_id": .string(MissionBenchmark.streamAgent.description), "action": "bench.stream"]]])
            guard let id = mission["mission_id"]?.stringValue else { throw BenchError("not submitted: \(mission)") }
            let heard = try await follow(base + "/v1/missions/\(id)/stream", key: key)
            guard heard.final == "succeeded" else { throw BenchError("mission \(id) ended \(heard.final)") }
            if round >= 2 { ages += heard.ages }  // two to warm up
        }
        ages.sort()
        BenchLine("missions.stream").with("missions", missions).with("tokens", ages.count).with("expected_tokens", missions * tokens)
            .with("p50_us", percentileMicros(ages, 0.50)).with("p99_us", percentileMicros(ages, 0.99))
            .with("max_us", percentileMicros(ages, 1.0)).with("gateway_rss_mb", gateway.peakMegabytes()).print()
    }

    /// Follows a mission's stream to its final event: each live update's age on arrival.
    static func follow(_ url: String, key: String) async throws -> (ages: [UInt64], final: String) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer " + key)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        var parser = EventStreamParser(maxEventBytes: 1 << 20)
        var ages: [UInt64] = []
        for try await chunk in response.body {
            let arrived = Envelope.nowUnixNanos()
            for event in try parser.feed(chunk.readableBytesView) {
                if event.name == "step_progress" {
                    let data = try JSONValue.parse(event.data)
                    if let stamp = data["occurred_at_unix_nanos"]?.stringValue.flatMap({ Int64($0) }) { ages.append(UInt64(max(arrived - stamp, 0))) }
                } else if FinalEvents.finalNames.contains(event.name) {
                    return (ages, event.name)
                }
            }
        }
        return (ages, "the stream ended")
    }

    static func send(_ method: String, _ url: String, key: String, json: JSONValue) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url)
        request.method = .RAW(value: method)
        request.headers.add(name: "Authorization", value: "Bearer " + key)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: json.serialized))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return try JSONValue.parse(Array(body.readableBytesView))
    }
}
