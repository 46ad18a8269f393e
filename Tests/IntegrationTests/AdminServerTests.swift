import AgionBus
import AgionCache
import AgionEnvelope
import AgionJSON
import AgionRuntime
import AgionStore
import Hummingbird
import HummingbirdTesting
import Metrics
import Prometheus
import Testing

@Suite(.timeLimit(.minutes(1))) struct AdminServerTests {
    private func app(_ checks: [ReadinessCheck], registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) -> some ApplicationProtocol {
        Application(router: AdminServer.router(checks: checks, registry: registry, checkTimeout: .milliseconds(500)))
    }

    @Test func healthSaysAlive() async throws {
        try await app([]).test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "{\"status\":\"alive\"}")
            }
        }
    }

    @Test func readyWhenNatsPostgresAndRedisAnswer() async throws {
        let bus = try await TestEnvironment.bus()
        let checks: [ReadinessCheck] = [.nats(bus), .postgres(TestEnvironment.pool(size: 1)),
                                        .redis(RedisPool(RedisConfiguration(port: TestEnvironment.redisPort, poolSize: 1)))]
        try await app(checks).test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
                #expect((try? JSONValue.parse(Array(response.body.readableBytesView)))
                    == ["status": "ready", "checks": ["nats": "up", "postgres": "up", "redis": "up"]])
            }
        }
    }

    @Test func deadRequiredDependencyIsNotReadyAndDeadOptionalOneIsDegraded() async throws {
        let nothing = RedisPool(RedisConfiguration(port: 1, poolSize: 1, connectTimeout: .milliseconds(200)))
        let postgres = TestEnvironment.pool(size: 1)
        try await app([.postgres(postgres), .redis(nothing)]).test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = (try? JSONValue.parse(Array(response.body.readableBytesView))) ?? .null
                #expect(body["status"] == "not_ready" && body["checks"]?["redis"] == "down" && body["checks"]?["postgres"] == "up")
                // It says why.
                #expect(body["reasons"]?["redis"]?.stringValue?.contains("127.0.0.1:1") == true, "\(body)")
                #expect(body["reasons"]?["postgres"] == nil)
            }
        }
        try await app([.postgres(postgres), .redis(nothing, required: false)]).test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
                #expect((try? JSONValue.parse(Array(response.body.readableBytesView)))?["status"] == "degraded")
            }
        }
    }

    @Test func aLostNATSConnectionIsNotReadyAndSaysForHowLong() async throws {
        let server = try PrivateServer.nats()
        try await server.start()
        let bus = try await TestEnvironment.bus(url: server.url)
        server.stop()
        try await eventually("disconnect noticed") { !bus.isConnected }
        try await Task.sleep(for: .milliseconds(1_100))
        try await app([.nats(bus)]).test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let reason = (try? JSONValue.parse(Array(response.body.readableBytesView)))?["reasons"]?["nats"]?.stringValue ?? ""
                #expect(reason.hasPrefix("disconnected for 1.") || reason.hasPrefix("disconnected for 2."), "\(reason)")
                #expect(reason.hasSuffix("reconnecting"))
            }
        }
        try await server.start()
        // cnats reports the connection up a moment before its reconnected
        // callback (another thread) clears the outage: wait for both.
        try await eventually(timeout: .seconds(10), "reconnect") { bus.isConnected && bus.link.downFor == nil }
        try await app([.nats(bus)]).test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in #expect(response.status == .ok) }
        }
    }

    @Test func busMetricsReachTheRuntimeRegistry() async throws {
        RuntimeBootstrap.bootstrap(ServiceConfiguration(serviceName: "tests", adminPort: 1))
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.rpc.test.metrics")
        let responder = try bus.respond(subject, queue: "test") { $0 }
        _ = try await bus.request(subject, Envelope(type: "x", tenant: "t"))
        _ = try? await bus.request(subject, bytes: [0xFF])
        try await responder.drain()
        try await app([], registry: RuntimeBootstrap.registry).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("agion_rpc_requests_total{subject=\"\(subject)\",outcome=\"ok\"} 1"))
                #expect(text.contains("agion_rpc_requests_total{subject=\"\(subject)\",outcome=\"decode_failed\"} 1"))
                #expect(text.contains("agion_rpc_handler_duration_seconds"))
            }
        }
    }

    @Test func metricsRendersThePrometheusRegistry() async throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "agion", metricName: "test", unitName: "total", helpText: "test counter"), labels: [("kind", "x")]).increment(by: Int64(3))
        try await app([], registry: registry).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(String(buffer: response.body).contains("agion_test_total{kind=\"x\"} 3"))
            }
        }
    }
}
