import AgionBus
import AgionContract
import AgionEnvelope
import AgionRegistry
import AgionRuntime

/// Two registry replicas shared by the registry tests (RPC subjects are
/// global, so one cluster serves the whole test process). Each test works in a
/// tenant of its own. The schema is recreated when the cluster first starts.
actor RegistryCluster {
    static let shared = RegistryCluster()
    static let schema = "it_registry"

    private var replicas: [ServiceReplica] = []
    private var client: Bus?
    private var starting: Task<(Bus, [ServiceReplica]), any Error>?

    static var configuration: RegistryConfiguration {
        var configuration = RegistryConfiguration()
        configuration.schema = schema
        configuration.sweepInterval = .milliseconds(100)
        configuration.trustTimeout = .milliseconds(500)
        return configuration
    }

    /// A client connection, once both replicas serve.
    func bus() async throws -> Bus {
        if let client { return client }
        // One start for all callers: suites arrive together, and actor methods
        // are reentrant at every await (two starts would drop each other's schema).
        if starting == nil { starting = Task { try await Self.start() } }
        do {
            let (bus, started) = try await starting!.value
            if client == nil { client = bus; replicas = started }
            return client!
        } catch {
            starting = nil
            throw error
        }
    }

    private static func start() async throws -> (Bus, [ServiceReplica]) {
        let pool = TestEnvironment.pool(size: 1)
        await TestEnvironment.dropSchema(schema, pool)
        await pool.shutdown()
        var replicas: [ServiceReplica] = []
        for _ in 0..<2 {
            replicas.append(try await ServiceReplica.start(Registry.serviceName, build: {
                try await Registry.build(runtime: $0, configuration: configuration)
            }, checks: Registry.readinessChecks))
        }
        let bus = try await TestEnvironment.bus(name: "registry-tests")
        try await eventually("registry serving") {
            (try? await bus.call(RegistrySubjects.list, ListAgentsRequest(), tenant: "probe", as: ListAgentsResponse.self)) != nil
        }
        return (bus, replicas)
    }
}

/// Reads the events of one tenant from a stream through a durable of its own.
struct EventReader {
    let bus: Bus
    let stream: String
    let durable: String
    let consumer: PullConsumer

    static func open(_ bus: Bus, stream: StreamSpec, subject: String) async throws -> EventReader {
        let durable = TestEnvironment.uniqueName("reader")
        try await bus.jetStream.provision(streams: [stream], consumers: [ConsumerSpec(stream: stream.name, durable: durable, filterSubject: subject)])
        return EventReader(bus: bus, stream: stream.name, durable: durable,
                           consumer: try await bus.jetStream.pullConsumer(stream: stream.name, durable: durable))
    }

    /// Exactly `count` events (fails if fewer arrive in `timeout`), acked.
    func next(_ count: Int, timeout: Duration = .seconds(10)) async throws -> [Envelope] {
        var events: [Envelope] = []
        let deadline = ContinuousClock.now + timeout
        while events.count < count, ContinuousClock.now < deadline {
            for message in try await consumer.fetch(max: count - events.count, timeout: .milliseconds(250)) {
                events.append(try Envelope(decoding: message.bytes))
                try message.ack()
            }
        }
        guard events.count == count else { throw TestFailure("expected \(count) events, got \(events.map(\.type))") }
        return events
    }

    /// Whatever events arrive within `wait` (perhaps none), acked.
    func available(wait: Duration = .milliseconds(250)) async throws -> [Envelope] {
        try await consumer.fetch(max: 256, timeout: wait).map { message in
            try message.ack()
            return try Envelope(decoding: message.bytes)
        }
    }

    /// True when no further event arrives within `wait`.
    func isQuiet(for wait: Duration = .milliseconds(500)) async throws -> Bool {
        try await consumer.fetch(max: 1, timeout: wait).isEmpty
    }

    func close() async {
        consumer.stop()
        try? await bus.jetStream.deleteConsumer(stream: stream, durable: durable)
    }
}
