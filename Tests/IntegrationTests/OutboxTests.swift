import AgionBus
import AgionEnvelope
import AgionStore
import Testing

@Suite(.timeLimit(.minutes(2))) struct OutboxTests {
    @Test func relayPublishesEveryRowOnceInOrderAcrossRelayCrashAndNatsOutage() async throws {
        let server = try PrivateServer.nats()
        try await server.start()
        let bus = try await TestEnvironment.bus(url: server.url)
        try await bus.jetStream.provision(streams: [StreamSpec(name: "OUTBOX", subjects: ["agion.outbox.>"])],
                                          consumers: [ConsumerSpec(stream: "OUTBOX", durable: "reader")])
        let pool = TestEnvironment.pool()
        let schema = TestEnvironment.schemaName()
        try await Migrator(pool: pool, logger: TestEnvironment.logger).migrate(schema: schema, [Outbox.migration(version: 1)])
        let outbox = Outbox(schema: schema)
        func enqueue(_ range: Range<Int>) async throws -> [Envelope] {
            let envelopes = range.map { Envelope(type: "agion.test.n", tenant: "t", payload: Array(String($0).utf8)) }
            try await pool.withTransaction { c in for e in envelopes { try await outbox.enqueue(e, subject: "agion.outbox.n", on: c) } }
            return envelopes
        }
        var expected = try await enqueue(0..<300)

        // A relay that "crashes" after publishing but before deleting: simulated by
        // publishing the first rows directly with their ids, as a crashed relay would have.
        _ = try await bus.jetStream.publishAsync(batch: expected.prefix(100).map { ("agion.outbox.n", $0) })

        let relay = try OutboxRelay(pool: pool, jetStream: bus.jetStream, schema: schema, logger: TestEnvironment.logger)
        while try await relay.relayOnce() > 0 {}

        // NATS goes away: relaying fails and keeps the rows; after it returns they go out.
        server.stop()
        expected += try await enqueue(300..<400)
        await #expect(throws: (any Error).self) { try await relay.relayOnce() }
        try await server.start()
        try await eventually(timeout: .seconds(15), "reconnect") { bus.isConnected }
        // Two replicas relay at once: the advisory lock keeps one at a time, in order.
        let second = try OutboxRelay(pool: TestEnvironment.pool(), jetStream: bus.jetStream, schema: schema, batchSize: 7,
                                 logger: TestEnvironment.logger)
        let running = Task { await relay.run() }
        let runningSecond = Task { await second.run() }
        expected += try await enqueue(400..<500)
        try await eventually(timeout: .seconds(20), "all relayed") {
            try await bus.jetStream.messageCount(stream: "OUTBOX") >= 500
        }
        relay.stop()
        second.stop()
        await running.value
        await runningSecond.value

        #expect(try await bus.jetStream.messageCount(stream: "OUTBOX") == 500)
        let reader = try await bus.jetStream.pullConsumer(stream: "OUTBOX", durable: "reader")
        var received: [Envelope] = []
        while received.count < 500 {
            let batch = try await reader.fetch(max: 256, timeout: .seconds(2))
            if batch.isEmpty { break }
            for message in batch { received.append(try Envelope(decoding: message.bytes)); try message.ack() }
        }
        #expect(received.map(\.id) == expected.map(\.id))
        let left: Int = try await pool.withConnection { try await $0.query("SELECT count(*)::int AS n FROM \(schema).outbox")[0].decode("n") }
        #expect(left == 0)
        await TestEnvironment.dropSchema(schema, pool)
    }

    /// Transactions take outbox positions when they insert but become visible
    /// when they commit, in another order. A relay must never delete a row it
    /// did not publish (one that committed between its read and its delete).
    @Test func rowsCommittedOutOfPositionOrderAreAllPublished() async throws {
        let bus = try await TestEnvironment.bus()
        let stream = TestEnvironment.uniqueName("OUTBOX_RACE").uppercased()
        let subject = "agion.test.\(stream.lowercased())"
        try await bus.jetStream.provision(streams: [StreamSpec(name: stream, subjects: [subject])])
        defer { Task { try? await bus.jetStream.deleteStream(stream) } }
        let pool = TestEnvironment.pool(size: 8)
        let schema = TestEnvironment.schemaName()
        try await Migrator(pool: pool, logger: TestEnvironment.logger).migrate(schema: schema, [Outbox.migration(version: 1)])
        let outbox = Outbox(schema: schema)
        let relay = try OutboxRelay(pool: TestEnvironment.pool(size: 2), jetStream: bus.jetStream, schema: schema, batchSize: 3,
                                    logger: TestEnvironment.logger)
        let running = Task { await relay.run() }
        // Sixteen transactions in flight over the pool's eight connections:
        // enough to commit out of order, and never 300 waiting on the pool at
        // once (on a loaded machine the last would wait past its 5 s timeout).
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<300 {
                if i >= 16 { try await group.next() }
                group.addTask {
                    try await pool.withTransaction { c in
                        try await outbox.enqueue(Envelope(type: "agion.test.race", tenant: "t"), subject: subject, on: c)
                        // Hold the position a little, so later positions commit first.
                        if i % 3 == 0 { try await Task.sleep(for: .milliseconds(Int.random(in: 1...20))) }
                    }
                }
            }
            try await group.waitForAll()
        }
        try await eventually(timeout: .seconds(20), "every row relayed") {
            let left: Int = try await pool.withConnection { try await $0.query("SELECT count(*)::int AS n FROM \(schema).outbox")[0].decode("n") }
            return left == 0
        }
        relay.stop()
        await running.value
        #expect(try await bus.jetStream.messageCount(stream: stream) == 300)
        await TestEnvironment.dropSchema(schema, pool)
    }

    @Test func relayIsWokenByTheCommitNotByItsSweep() async throws {
        let bus = try await TestEnvironment.bus()
        let stream = TestEnvironment.uniqueName("OUTBOX_NOTIFY").uppercased()
        let subject = "agion.test.\(stream.lowercased())"
        try await bus.jetStream.provision(streams: [StreamSpec(name: stream, subjects: [subject])])
        let pool = TestEnvironment.pool()
        let schema = TestEnvironment.schemaName()
        try await Migrator(pool: pool, logger: TestEnvironment.logger).migrate(schema: schema, [Outbox.migration(version: 1)])
        let relay = try OutboxRelay(pool: pool, jetStream: bus.jetStream, schema: schema, sweepInterval: .seconds(30),
                                    logger: TestEnvironment.logger)
        let running = Task { await relay.run() }
        // Let the first pass and the sweep wait begin.
        try await Task.sleep(for: .milliseconds(500))
        let start = ContinuousClock.now
        try await pool.withTransaction { c in
            try await Outbox(schema: schema).enqueue(Envelope(type: "agion.test.woken", tenant: "t"), subject: subject, on: c)
        }
        try await eventually(timeout: .seconds(10), "relayed") { try await bus.jetStream.messageCount(stream: stream) == 1 }
        #expect(ContinuousClock.now - start < .seconds(3))
        relay.stop()
        await running.value
        try await bus.jetStream.deleteStream(stream)
        await TestEnvironment.dropSchema(schema, pool)
    }
}
