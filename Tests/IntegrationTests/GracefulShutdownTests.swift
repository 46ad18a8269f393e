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

    /// A part of a service that fails (or returns while the service runs)
    /// stops the whole service gracefully: the other parts drain and finish
    /// their work in hand, and `run` ends with the part's error, so the
    /// process exits for its supervisor to restart. (Before, the group was
    /// cancelled, parts that ignored cancellation overran its deadline, and
    /// the process died of a fatal error mid-work.)
    @Test(arguments: [true, false])
    func aFailingPartStopsTheServiceGracefullyAndSaysWhy(throwing: Bool) async throws {
        var configuration = ServiceConfiguration(serviceName: "part-failure", adminPort: 0)
        configuration.bus.url = TestEnvironment.natsURL
        configuration.bus.credentialsFile = TestEnvironment.sharedCredentials
        configuration.store.port = TestEnvironment.postgresPort
        let runtime = try await ServiceRuntime.start(configuration, logger: TestEnvironment.logger)
        let subject = TestEnvironment.uniqueName("agion.rpc.test.partfailure")
        let answered = Atomic<Bool>(false)
        let service = RPCService(bus: runtime.bus, queue: "test", methods: [.init(subject) { request in
            try await Task.sleep(for: .milliseconds(600))
            answered.store(true, ordering: .relaxed)
            return request.caused(type: "agion.test.done", payload: [])
        }])
        let failing = FailsAfter(delay: .milliseconds(300), throwing: throwing)
        let group = runtime.serviceGroup([service, failing], checks: [], handlesSignals: false)
        let started = ContinuousClock.now
        let running = Task { try await group.run() }
        try await Task.sleep(for: .milliseconds(100))
        async let reply = runtime.bus.request(subject, Envelope(type: "x", tenant: "t"), timeout: .seconds(5))
        let outcome = await running.result
        #expect(ContinuousClock.now - started < .seconds(5))
        switch outcome {
        case .success: Issue.record("the service kept running or ended without an error")
        case .failure(let error):
            if throwing { #expect(error is FailsAfter.Failure, "\(error)") } else { #expect(error is PartFinishedUnexpectedly, "\(error)") }
        }
        // The request in hand when the part failed was answered, not dropped.
        #expect(try await reply.type == "agion.test.done")
        let didAnswer = answered.load(ordering: .relaxed)
        #expect(didAnswer)
        await runtime.shutdown()
    }
}

/// A part that fails after a while: by throwing, or by returning.
struct FailsAfter: Service {
    struct Failure: Error {}
    let delay: Duration
    let throwing: Bool

    func run() async throws {
        try await Task.sleep(for: delay)
        if throwing { throw Failure() }
    }
}
