import AgionBus
import AgionEnvelope
import AgionRuntime
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1))) struct GracefulShutdownTests {
    @Test func consumerInTheMiddleOfWorkFinishesAndAcksBeforeTheGroupExits() async throws {
        try await ScratchStream.with(ackWait: .seconds(1)) { scratch in
            let started = Atomic<Bool>(false), finished = Atomic<Bool>(false)
            let consumer = try await EventConsumer(jetStream: scratch.bus.jetStream, spec: scratch.consumer, logger: TestEnvironment.logger) { _, _ in
                started.store(true, ordering: .relaxed)
                try await Task.sleep(for: .milliseconds(700))
                finished.store(true, ordering: .relaxed)
            }
            let group = ServiceGroup(configuration: .init(services: [EventConsumerService(consumer)], logger: TestEnvironment.logger))
            let running = Task { try await group.run() }
            _ = try await scratch.bus.jetStream.publish("\(scratch.subject).a", Envelope(type: "x", tenant: "t"))
            try await eventually("handler started") { started.load(ordering: .relaxed) }
            await group.triggerGracefulShutdown()
            try await running.value
            let didFinish = finished.load(ordering: .relaxed)
            #expect(didFinish)
            let check = try await scratch.bus.jetStream.pullConsumer(stream: scratch.name, durable: "worker")
            #expect(try await check.fetch(max: 1, timeout: .seconds(2)).isEmpty)
        }
    }

    /// A stopped consumer closes its subscriptions, so the connection's drain
    /// completes at once instead of waiting out its timeout for a pull
    /// subscription nobody reads (it took governance 6 s to stop, with an error).
    @Test func aStoppedConsumerLeavesNothingForTheConnectionsDrain() async throws {
        try await ScratchStream.with { scratch in
            let bus = try await TestEnvironment.bus(name: "drain-test")
            let consumer = try await EventConsumer(jetStream: bus.jetStream, spec: scratch.consumer, logger: TestEnvironment.logger) { _, _ in }
            let group = ServiceGroup(configuration: .init(services: [EventConsumerService(consumer)], logger: TestEnvironment.logger))
            let running = Task { try await group.run() }
            try await Task.sleep(for: .milliseconds(1_200))  // a few fetches come and go
            await group.triggerGracefulShutdown()
            try await running.value
            let started = ContinuousClock.now
            try await bus.drain(timeout: .seconds(3))
            let took = ContinuousClock.now - started
            #expect(took < .seconds(2), "the drain took \(took)")
        }
    }

    @Test func rpcServiceAnswersRequestsInHandBeforeExiting() async throws {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.rpc.test.shutdown")
        let service = RPCService(bus: bus, queue: "test", methods: [.init(subject) { request in
            try await Task.sleep(for: .milliseconds(500))
            return request.caused(type: "agion.test.done", payload: [])
        }])
        let group = ServiceGroup(configuration: .init(services: [service], logger: TestEnvironment.logger))
        let running = Task { try await group.run() }
        try await eventually("responder subscribed") {
            (try? await bus.request(subject, Envelope(type: "ping", tenant: "t"), timeout: .seconds(2))) != nil
        }
        async let reply = bus.request(subject, Envelope(type: "x", tenant: "t"), timeout: .seconds(5))
        try await Task.sleep(for: .milliseconds(100))
        await group.triggerGracefulShutdown()
        #expect(try await reply.type == "agion.test.done")
        try await running.value
        let error = await #expect(throws: BusError.self) { try await bus.request(subject, Envelope(type: "x", tenant: "t")) }
        #expect(error?.code == .noResponders)
    }
}
