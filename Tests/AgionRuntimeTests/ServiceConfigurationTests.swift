import AgionRuntime
import Logging
import Testing

@Suite struct ServiceConfigurationTests {
    @Test func defaultsMatchTheLocalStack() throws {
        let configuration = try ServiceConfiguration(serviceName: "registry", defaultAdminPort: 9101, environment: [:])
        #expect(configuration.bus.url == "nats://127.0.0.1:14222")
        #expect(configuration.redis.port == 16379)
        #expect(configuration.store.port == 15432)
        #expect(configuration.store.user == "agion")
        #expect(configuration.adminPort == 9101)
        #expect(configuration.logFormat == .json)
        #expect(configuration.shutdownTimeout == .seconds(25))
        #expect(configuration.bus.maxReconnectDelay == .milliseconds(250))
    }

    @Test func environmentOverridesDefaults() throws {
        let configuration = try ServiceConfiguration(serviceName: "x", defaultAdminPort: 1, environment: [
            "AGION_NATS_URL": "nats://nats:4222", "AGION_REDIS_PORT": "6380", "AGION_POSTGRES_HOST": "db",
            "AGION_POSTGRES_PASSWORD": " spaced ", "AGION_ADMIN_PORT": "9200", "AGION_LOG_LEVEL": "DEBUG",
            "AGION_LOG_FORMAT": "text", "AGION_SHUTDOWN_TIMEOUT_SECONDS": "3", "AGION_NATS_MAX_RECONNECT_DELAY_MS": "1000",
            "AGION_STREAM_REPLICAS": "3",
        ])
        #expect(configuration.streamReplicas == 3)
        #expect(configuration.bus.maxReconnectDelay == .seconds(1))
        #expect(configuration.bus.url == "nats://nats:4222")
        #expect(configuration.redis.port == 6380)
        #expect(configuration.store.host == "db")
        #expect(configuration.store.password == " spaced ")
        #expect(configuration.adminPort == 9200)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .text)
        #expect(configuration.shutdownTimeout == .seconds(3))
    }

    @Test(arguments: [
        ("AGION_REDIS_PORT", "70000"), ("AGION_ADMIN_PORT", "http"), ("AGION_POSTGRES_POOL_SIZE", "0"),
        ("AGION_LOG_LEVEL", "loud"), ("AGION_LOG_FORMAT", "xml"), ("AGION_NATS_URL", "  "),
        ("AGION_NATS_MAX_RECONNECT_DELAY_MS", "0"), ("AGION_STREAM_REPLICAS", "2"),
    ])
    func invalidValuesNameTheirKey(key: String, value: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration(serviceName: "x", defaultAdminPort: 1, environment: [key: value])
        }
        #expect(error?.key == key)
    }
}
