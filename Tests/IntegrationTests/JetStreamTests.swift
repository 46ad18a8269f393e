import AgionBus
import AgionEnvelope
import Synchronization
import Testing

/// A stream and consumer of the test's own, deleted afterwards.
struct ScratchStream {
    let bus: Bus
    let name: String
    let subject: String
    let consumer: ConsumerSpec

    /// Runs `body` with a new scratch stream and deletes it afterwards, also when `body` throws.
    static func with(maxDeliver: Int = 5, ackWait: Duration = .seconds(30), _ body: (ScratchStream) async throws -> Void) async throws {
        let scratch = try await make(maxDeliver: maxDeliver, ackWait: ackWait)
        do { try await body(scratch) } catch {
            await scratch.cleanUp()
            throw error
        }
        await scratch.cleanUp()
    }

    static func make(maxDeliver: Int = 5, ackWait: Duration = .seconds(30)) async throws -> ScratchStream {
        let bus = try await TestEnvironment.bus()
        let name = TestEnvironment.uniqueName("TEST").uppercased()
        let subject = "agion.test.\(name.lowercased())"
        let consumer = ConsumerSpec(stream: name, durable: "worker", ackWait: ackWait, maxDeliver: maxDeliver)
        try await bus.jetStream.provision(streams: [StreamSpec(name: name, subjects: ["\(subject).>"]), DeadLetters.stream],
                                          consumers: [consumer])
        return ScratchStream(bus: bus, name: name, subject: subject, consumer: consumer)
    }

    /// Dead letters from this stream's consumer, read through a consumer of their own.
    func deadLetters(max: Int) async throws -> [JetStreamMessage] {
        let durable = TestEnvironment.uniqueName("dlq")
        try await bus.jetStream.provision(streams: [], consumers: [ConsumerSpec(
            stream: DeadLetters.stream.name, durable: durable,
            filterSubject: DeadLetters.subject(stream: name, consumer: consumer.durable))])
        let reader = try await bus.jetStream.pullConsumer(stream: DeadLetters.stream.name, durable: durable)
        var letters: [JetStreamMessage] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while letters.count < max && ContinuousClock.now < deadline {
            letters += try await reader.fetch(max: max - letters.count, timeout: .milliseconds(500))
        }
        try await bus.jetStream.deleteConsumer(stream: DeadLetters.stream.name, durable: durable)
        return letters
    }

    func cleanUp() async { try? await bus.jetStream.deleteStream(name) }
}

@Suite(.timeLimit(.minutes(1))) struct JetStreamTests {
    @Test func provisioningTwiceIsIdempotent() async throws {
        try await ScratchStream.with { scratch in
            try await scratch.bus.jetStream.provision(streams: [StreamSpec(name: scratch.name, subjects: ["\(scratch.subject).>"])],
                                                      consumers: [scratch.consumer])
            #expect(try await scratch.bus.jetStream.messageCount(stream: scratch.name) == 0)
        }
    }

    @Test func publishConsumeAndAck() async throws {
        try await ScratchStream.with { scratch in
            let sent = Envelope(type: "agion.test.created", tenant: "t", payload: [42])
            let ack = try await scratch.bus.jetStream.publish("\(scratch.subject).a", sent)
            #expect(ack.stream == scratch.name)
            #expect(!ack.duplicate)
            let consumer = try await scratch.bus.jetStream.pullConsumer(stream: scratch.name, durable: "worker")
            let batch = try await consumer.fetch(max: 10, timeout: .seconds(2))
            #expect(batch.count == 1)
            #expect(try Envelope(decoding: batch[0].bytes) == sent)
            #expect(batch[0].deliveryCount == 1)
            try batch[0].ack()
            #expect(try await consumer.fetch(max: 10, timeout: .milliseconds(300)).isEmpty)
        }
    }

    /// A handler may ack after the consumer that fetched the message is gone
    /// (a consumer stopped while its handlers finish). cnats reads the
    /// subscription on ack, so the message must keep it alive.
    @Test func messageCanBeAckedAfterItsConsumerIsReleased() async throws {
        try await ScratchStream.with { scratch in
            _ = try await scratch.bus.jetStream.publish("\(scratch.subject).a", Envelope(type: "x", tenant: "t"))
            var consumer: PullConsumer? = try await scratch.bus.jetStream.pullConsumer(stream: scratch.name, durable: "worker")
            let batch = try await consumer!.fetch(max: 1, timeout: .seconds(2))
            consumer = nil
            // Let the consumer's teardown run before the ack.
            try await Task.sleep(for: .milliseconds(200))
            #expect(batch.count == 1)
            try batch.first?.ack()
            let again = try await scratch.bus.jetStream.pullConsumer(stream: scratch.name, durable: "worker")
            #expect(try await again.fetch(max: 1, timeout: .milliseconds(300)).isEmpty)
        }
    }

    @Test func sameMessageIdIsStoredOnce() async throws {
        try await ScratchStream.with { scratch in
            let envelope = Envelope(type: "agion.test.once", tenant: "t")
            let first = try await scratch.bus.jetStream.publish("\(scratch.subject).a", envelope)
            let second = try await scratch.bus.jetStream.publishAsync("\(scratch.subject).a", envelope)
            #expect(!first.duplicate)
            #expect(second.duplicate)
            #expect(second.sequence == first.sequence)
            #expect(try await scratch.bus.jetStream.messageCount(stream: scratch.name) == 1)
        }
    }

    @Test func asyncBatchIsStoredInOrder() async throws {
        try await ScratchStream.with { scratch in
            let envelopes = (0..<500).map { Envelope(type: "agion.test.n", tenant: "t", payload: [UInt8($0 % 256)]) }
            let acks = try await scratch.bus.jetStream.publishAsync(batch: envelopes.map { ("\(scratch.subject).n", $0) })
            #expect(acks.map(\.sequence) == Array(1...500))
            #expect(try await scratch.bus.jetStream.messageCount(stream: scratch.name) == 500)
        }
    }

    @Test func asyncPublishToASubjectNoStreamCapturesFails() async throws {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.nostream")
        let single = await #expect(throws: BusError.self) {
            try await bus.jetStream.publishAsync(subject, Envelope(type: "x", tenant: "t"))
        }
        #expect(single?.isRetriable == true)
        await #expect(throws: BusError.self) {
            try await bus.jetStream.publishAsync(batch: [(subject, Envelope(type: "x", tenant: "t")), (subject, Envelope(type: "y", tenant: "t"))])
        }
    }

    @Test func nakRedelivers() async throws {
        try await ScratchStream.with { scratch in
            _ = try await scratch.bus.jetStream.publish("\(scratch.subject).a", Envelope(type: "x", tenant: "t"))
            let consumer = try await scratch.bus.jetStream.pullConsumer(stream: scratch.name, durable: "worker")
            let first = try await consumer.fetch(max: 1, timeout: .seconds(2))
            try first[0].nak()
            let second = try await consumer.fetch(max: 1, timeout: .seconds(2))
            #expect(second.count == 1)
            #expect(second.first?.deliveryCount == 2)
            try second.first?.ack()
        }
    }

    @Test func failingMessageIsDeadLetteredAfterMaxDeliveries() async throws {
        try await ScratchStream.with(maxDeliver: 3) { scratch in
            let attempts = Atomic<Int>(0)
            let consumer = try await EventConsumer(jetStream: scratch.bus.jetStream, spec: scratch.consumer, logger: TestEnvironment.logger,
                                             backoff: { _ in .milliseconds(10) }) { _, _ in
                attempts.add(1, ordering: .relaxed)
                throw TestFailure("handler always fails")
            }
            let running = Task { try await consumer.run() }
            _ = try await scratch.bus.jetStream.publish("\(scratch.subject).a", Envelope(type: "x", tenant: "t"))
            let letters = try await scratch.deadLetters(max: 1)
            #expect(letters.count == 1)
            #expect(letters.first?.header(DeadLetters.Header.deliveryCount) == "3")
            #expect(attempts.load(ordering: .relaxed) == 3)
            consumer.stop()
            try await running.value
        }
    }

    @Test func messageThatNeverGetsAVerdictIsDeadLetteredAfterMaxDeliveries() async throws {
        try await ScratchStream.with(maxDeliver: 2, ackWait: .milliseconds(500)) { scratch in
            // A replica takes the message and "crashes" (never acks) on every delivery.
            let crashing = try await scratch.bus.jetStream.pullConsumer(stream: scratch.name, durable: "worker")
            _ = try await scratch.bus.jetStream.publish("\(scratch.subject).a", Envelope(type: "x", tenant: "t", payload: [9]))
            var deliveries = 0
            while deliveries < 2 {
                deliveries += try await crashing.fetch(max: 1, timeout: .seconds(2)).count
            }
            // A healthy replica's fetch loop is what makes the server notice that
            // the message is out of deliveries (and publish the advisory).
            let handled = Atomic<Int>(0)
            let consumer = try await EventConsumer(jetStream: scratch.bus.jetStream, spec: scratch.consumer, logger: TestEnvironment.logger) { _, _ in
                handled.add(1, ordering: .relaxed)
            }
            let running = Task { try await consumer.run() }
            let letters = try await scratch.deadLetters(max: 1)
            #expect(letters.count == 1)
            #expect(try letters.first.map { try Envelope(decoding: $0.bytes).payload } == [9])
            #expect(letters.first?.header(DeadLetters.Header.deliveryCount) == "2")
            #expect(letters.first?.header(DeadLetters.Header.error)?.contains("no verdict") == true)
            #expect(handled.load(ordering: .relaxed) == 0)
            consumer.stop()
            try await running.value
        }
    }

    @Test func poisonMessageIsDeadLetteredWithItsOrigin() async throws {
        try await ScratchStream.with { scratch in
            let handled = Atomic<Int>(0)
            let consumer = try await EventConsumer(jetStream: scratch.bus.jetStream, spec: scratch.consumer, logger: TestEnvironment.logger) { _, _ in
                handled.add(1, ordering: .relaxed)
            }
            let running = Task { try await consumer.run() }
            // Raw garbage published through a second, plain stream publish.
            try await scratch.bus.jetStream.publishRaw("\(scratch.subject).bad", bytes: [0xDE, 0xAD, 0xBE, 0xEF])
            _ = try await scratch.bus.jetStream.publish("\(scratch.subject).good", Envelope(type: "x", tenant: "t"))
            try await eventually("good message handled") { handled.load(ordering: .relaxed) == 1 }
            let letters = try await scratch.deadLetters(max: 1)
            #expect(letters.count == 1)
            #expect(letters.first?.bytes == [0xDE, 0xAD, 0xBE, 0xEF])
            #expect(letters.first?.header(DeadLetters.Header.originalSubject) == "\(scratch.subject).bad")
            #expect(letters.first?.header(DeadLetters.Header.deliveryCount) == "1")
            #expect(letters.first?.header(DeadLetters.Header.error)?.contains("decode") == true)
            try letters.first?.ack()
            consumer.stop()
            try await running.value
        }
    }

    @Test func stoppingAConsumerLetsTheMessageInHandFinishAndAck() async throws {
        try await ScratchStream.with(ackWait: .seconds(1)) { scratch in
            let started = Atomic<Bool>(false), finished = Atomic<Bool>(false)
            let consumer = try await EventConsumer(jetStream: scratch.bus.jetStream, spec: scratch.consumer, logger: TestEnvironment.logger) { _, _ in
                started.store(true, ordering: .relaxed)
                try await Task.sleep(for: .milliseconds(500))
                finished.store(true, ordering: .relaxed)
            }
            let running = Task { try await consumer.run() }
            _ = try await scratch.bus.jetStream.publish("\(scratch.subject).a", Envelope(type: "x", tenant: "t"))
            try await eventually("handler started") { started.load(ordering: .relaxed) }
            consumer.stop()
            try await running.value
            let didFinish = finished.load(ordering: .relaxed)
            #expect(didFinish)
            // Acked: nothing comes back after the ack wait has passed.
            let check = try await scratch.bus.jetStream.pullConsumer(stream: scratch.name, durable: "worker")
            #expect(try await check.fetch(max: 1, timeout: .seconds(2)).isEmpty)
        }
    }
}
