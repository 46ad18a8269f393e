import AgionBus
import AgionEnvelope
import AgionRuntime
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// `Bus.subscribe`: every subscriber hears every envelope, in order;
/// what is not an envelope is skipped; closing ends the sequence.
@Suite(.timeLimit(.minutes(1))) struct BroadcastTests {
    @Test func everySubscriberHearsEveryEnvelopeInOrder() async throws {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.test.broadcast")
        let first = try bus.subscribe(subject), second = try bus.subscribe(subject)
        try await bus.flush()
        let publisher = try await TestEnvironment.bus(name: "broadcaster")
        for i in 0..<100 { try publisher.publish(subject, Envelope(type: "agion.test.said", tenant: "t", payload: [UInt8(i)])) }
        try publisher.publish(subject, bytes: [0xFF, 0x00])  // not an envelope: skipped
        try publisher.publish(subject, Envelope(type: "agion.test.said", tenant: "t", payload: [200]))
        try await publisher.flush()
        for broadcast in [first, second] {
            var heard: [UInt8] = []
            for await envelope in broadcast {
                heard += envelope.payload
                if heard.count == 101 { break }
            }
            #expect(heard == Array(0..<100) + [200])
        }
        first.close()
        var afterClose = 0
        for await _ in first { afterClose += 1 }
        #expect(afterClose == 0)
        second.close()
    }

    @Test func aListenerServiceHearsUntilTheGroupStops() async throws {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.test.listener")
        let heard = Mutex<[String]>([])
        let listener = BroadcastListener(bus: bus, subject: subject) { envelope in heard.withLock { $0.append(envelope.tenant) } }
        let group = ServiceGroup(configuration: .init(services: [listener], logger: TestEnvironment.logger))
        let running = Task { try await group.run() }
        try await eventually("the listener hears") {
            try bus.publish(subject, Envelope(type: "agion.test.said", tenant: "a"))
            return !heard.withLock { $0.isEmpty }
        }
        await group.triggerGracefulShutdown()
        try await running.value
        let count = heard.withLock { $0.count }
        try bus.publish(subject, Envelope(type: "agion.test.said", tenant: "b"))
        try await bus.flush()
        try await Task.sleep(for: .milliseconds(200))
        #expect(heard.withLock { $0.count } == count)
        #expect(!heard.withLock { $0.contains("b") })
    }
}
