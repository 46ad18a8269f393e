import AgionBus
import AgionEnvelope
import Testing

@Suite(.timeLimit(.minutes(1))) struct BusReconnectTests {
    @Test func reconnectsAfterServerRestartWithoutLosingAckedMessages() async throws {
        let server = try PrivateServer.nats()
        try await server.start()
        let bus = try await TestEnvironment.bus(url: server.url)
        let stream = StreamSpec(name: "RESTART", subjects: ["agion.restart.>"])
        try await bus.jetStream.provision(streams: [stream], consumers: [ConsumerSpec(stream: "RESTART", durable: "w")])
        let before = (0..<100).map { Envelope(type: "x", tenant: "t", payload: [UInt8($0)]) }
        _ = try await bus.jetStream.publishAsync(batch: before.map { ("agion.restart.a", $0) })

        server.stop()
        try await eventually("disconnect noticed") { !bus.isConnected }
        try await server.start()
        try await eventually(timeout: .seconds(15), "reconnect") { bus.isConnected }

        let after = Envelope(type: "x", tenant: "t", payload: [200])
        _ = try await bus.jetStream.publish("agion.restart.a", after)
        #expect(try await bus.jetStream.messageCount(stream: "RESTART") == 101)
        let consumer = try await bus.jetStream.pullConsumer(stream: "RESTART", durable: "w")
        var seen: [[UInt8]] = []
        while seen.count < 101 {
            let batch = try await consumer.fetch(max: 101, timeout: .seconds(2))
            if batch.isEmpty { break }
            for message in batch { seen.append(try Envelope(decoding: message.bytes).payload); try message.ack() }
        }
        #expect(seen == before.map(\.payload) + [[200]])
    }
}

@Suite(.timeLimit(.minutes(1))) struct BusServerListTests {
    /// `AGION_NATS_URL` may list a cluster's servers: the bus takes them as its
    /// server pool (cnats' SetServers), connects to one that answers and uses
    /// JetStream through it. (Given whole to SetURL, a list never connected.)
    @Test func aListOfServersIsAPoolOneOfWhichAnswers() async throws {
        let server = try PrivateServer.nats()
        try await server.start()
        defer { server.stop() }
        let nobody = "nats://127.0.0.1:\(PrivateServer.freePort(in: 30_000...32_699))"
        #expect(BusConfiguration.serverURLs(" \(nobody), \(server.url) ,") == [nobody, server.url])
        let bus = try await TestEnvironment.bus(url: "\(nobody),\(server.url)")
        try await eventually("connected through the pool") { bus.isConnected }
        try await bus.jetStream.provision(streams: [StreamSpec(name: "POOL", subjects: ["agion.pool.>"])])
        _ = try await bus.jetStream.publish("agion.pool.a", Envelope(type: "x", tenant: "t", payload: [1]))
        #expect(try await bus.jetStream.messageCount(stream: "POOL") == 1)
    }
}

@Suite(.timeLimit(.minutes(1))) struct BusFirstConnectTests {
    /// A service may start before NATS: with retry-on-failed-connect the bus
    /// comes up unconnected, serves once the server appears, and nothing
    /// crashes meanwhile (cnats calls the reconnect callbacks while it waits).
    @Test func aBusStartedBeforeTheServerConnectsWhenItComes() async throws {
        let server = try PrivateServer.nats()
        var configuration = BusConfiguration(url: server.url, name: "early")
        configuration.retryOnFailedConnect = true
        configuration.reconnectDelay = .milliseconds(50)
        configuration.maxReconnectDelay = .milliseconds(200)
        let bus = try await Bus.connect(configuration, logger: TestEnvironment.logger)
        #expect(!bus.isConnected)
        let responder = try bus.respond("agion.test.early", queue: "q") { $0 }
        try await Task.sleep(for: .milliseconds(500))  // reconnect attempts against a closed port
        try await server.start()
        try await eventually(timeout: .seconds(15), "connected") { bus.isConnected }
        let reply = try await bus.request("agion.test.early", Envelope(type: "ping", tenant: "t", payload: [7]), timeout: .seconds(5))
        #expect(reply.payload == [7])
        try await responder.drain()
        server.stop()
    }
}
