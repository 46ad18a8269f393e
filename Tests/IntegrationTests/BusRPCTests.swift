import Foundation
import AgionBus
import AgionEnvelope
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1))) struct BusRPCTests {
    @Test func requestGetsTheRespondersReply() async throws {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.rpc.test.echo")
        let responder = try bus.respond(subject, queue: "test") { request in
            request.caused(type: "agion.test.echoed", payload: request.payload.reversed())
        }
        let request = Envelope(type: "agion.test.echo", tenant: "t", payload: [1, 2, 3])
        let reply = try await bus.request(subject, request)
        #expect(reply.payload == [3, 2, 1])
        #expect(reply.causationID == request.id.lowercasedString)
        #expect(reply.correlationID == request.correlationID)
        try await responder.drain()
    }

    @Test func errorReplyCarriesCodeAndMessage() async throws {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.rpc.test.fail")
        let responder = try bus.respond(subject, queue: "test") { _ in
            throw ErrorReply(code: .notFound, message: "no such agent", field: "agent_id")
        }
        let error = await #expect(throws: BusError.self) {
            try await bus.request(subject, Envelope(type: "agion.test", tenant: "t"))
        }
        #expect(error?.code == .remote)
        #expect(error?.remote == ErrorReply(code: .notFound, message: "no such agent", field: "agent_id"))
        try await responder.drain()
    }

    @Test func unexpectedHandlerErrorsBecomeInternalWithoutDetails() async throws {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.rpc.test.crash")
        struct Secret: Error {}
        let responder = try bus.respond(subject, queue: "test") { _ in throw Secret() }
        let error = await #expect(throws: BusError.self) { try await bus.request(subject, Envelope(type: "x", tenant: "t")) }
        #expect(error?.remote?.code == .internalError)
        #expect(error?.remote?.message.contains("Secret") == false)
        try await responder.drain()
    }

    @Test func drainClosesTheConnection() async throws {
        let bus = try await TestEnvironment.bus()
        #expect(bus.isConnected)
        let start = ContinuousClock.now
        try await bus.drain(timeout: .seconds(5))
        #expect(!bus.isConnected)
        #expect(ContinuousClock.now - start < .seconds(5))
        await #expect(throws: BusError.self) { try await bus.request("agion.rpc.any", Envelope(type: "x", tenant: "t")) }
    }

    @Test func noRespondersIsDistinguishedFromTimeout() async throws {
        let bus = try await TestEnvironment.bus()
        let error = await #expect(throws: BusError.self) {
            try await bus.request(TestEnvironment.uniqueName("agion.rpc.nobody"), Envelope(type: "x", tenant: "t"))
        }
        #expect(error?.code == .noResponders)
    }

    @Test func slowResponderTimesOut() async throws {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.rpc.test.slow")
        let responder = try bus.respond(subject, queue: "test") { request in
            try await Task.sleep(for: .seconds(3))
            return request
        }
        let start = ContinuousClock.now
        let error = await #expect(throws: BusError.self) {
            try await bus.request(subject, Envelope(type: "x", tenant: "t"), timeout: .milliseconds(200))
        }
        #expect(error?.code == .timeout)
        // Well before the reply would come (3 s), with room for a stalled shared machine (once 1.02 s).
        #expect(ContinuousClock.now - start < .seconds(2))
        try await responder.drain()
    }

    @Test func malformedRequestGetsDecodeErrorAndResponderKeepsServing() async throws {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.rpc.test.garbage")
        let responder = try bus.respond(subject, queue: "test") { $0 }
        let error = await #expect(throws: BusError.self) { try await bus.request(subject, bytes: [0xFF, 0x00, 0x13]) }
        #expect(error?.remote?.code == .decodeFailed)
        let ok = try await bus.request(subject, Envelope(type: "agion.ok", tenant: "t"))
        #expect(ok.type == "agion.ok")
        try await responder.drain()
    }

    @Test func queueGroupSharesLoadAcrossTwoResponders() async throws {
        let client = try await TestEnvironment.bus(name: "client")
        let replicaA = try await TestEnvironment.bus(name: "a")
        let replicaB = try await TestEnvironment.bus(name: "b")
        let subject = TestEnvironment.uniqueName("agion.rpc.test.shared")
        let counts = Mutex<[String: Int]>([:])
        func serve(_ bus: Bus, _ name: String) throws -> Responder {
            try bus.respond(subject, queue: "svc") { request in
                counts.withLock { $0[name, default: 0] += 1 }
                return request
            }
        }
        let a = try serve(replicaA, "a"), b = try serve(replicaB, "b")
        try await replicaA.flush()
        try await replicaB.flush()
        for _ in 0..<200 { _ = try await client.request(subject, Envelope(type: "x", tenant: "t")) }
        let final = counts.withLock { $0 }
        #expect(final["a", default: 0] + final["b", default: 0] == 200)
        #expect(final["a", default: 0] > 20)
        #expect(final["b", default: 0] > 20)
        try await a.drain()
        try await b.drain()
    }

    @Test func overloadedResponderRejectsInsteadOfQueueingForever() async throws {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.rpc.test.busy")
        let responder = try bus.respond(subject, queue: "test", maxConcurrent: 1, maxPending: 0) { request in
            try await Task.sleep(for: .milliseconds(300))
            return request
        }
        async let first = bus.request(subject, Envelope(type: "x", tenant: "t"))
        try await Task.sleep(for: .milliseconds(50))
        let error = await #expect(throws: BusError.self) { try await bus.request(subject, Envelope(type: "x", tenant: "t")) }
        #expect(error?.remote?.code == .overloaded)
        #expect(error?.isRetriable == true)
        _ = try await first
        try await responder.drain()
    }
}

@Suite(.timeLimit(.minutes(1))) struct BlockingRPCTests {
    @Test func blockingResponderAnswersOnItsDeliveryThreads() async throws {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.rpc.test.blocking")
        let responder = try bus.respondBlocking(subject, queue: "test", threads: 2) { request in
            if request.type == "agion.test.fail" { throw ErrorReply(code: .notFound, message: "nope", field: "agent_id") }
            return request.caused(type: "agion.test.ok", payload: request.payload + [0])
        }
        let reply = try await bus.request(subject, Envelope(type: "agion.test.x", tenant: "t", payload: [7]))
        #expect(reply.payload == [7, 0])
        let error = await #expect(throws: BusError.self) { try await bus.request(subject, Envelope(type: "agion.test.fail", tenant: "t")) }
        #expect(error?.remote?.field == "agent_id")
        let garbage = await #expect(throws: BusError.self) { try await bus.request(subject, bytes: [0xFF, 0x01]) }
        #expect(garbage?.remote?.code == .decodeFailed)
        // Four delivery threads: eight slow requests overlap. NATS picks a queue
        // subscriber at random, so the split varies; all eight on one thread
        // (fully serial, 3.2 s) has a probability of 4 × (1/4)^8 ≈ 0.00006.
        let slow = try bus.respondBlocking(subject + ".slow", queue: "test", threads: 4) { request in
            usleep(400_000)
            return request
        }
        try await bus.flush()
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { _ = try await bus.request(subject + ".slow", Envelope(type: "x", tenant: "t"), timeout: .seconds(5)) } }
            try await group.waitForAll()
        }
        #expect(ContinuousClock.now - start < .milliseconds(3_100))
        try await responder.drain()
        try await slow.drain()
    }

    @Test func blockingRequestDistinguishesReplyErrorAndNoResponders() async throws {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.rpc.test.blockreq")
        let responder = try bus.respond(subject, queue: "test") { request in
            if request.type == "fail" { throw ErrorReply(code: .invalidArgument, message: "bad") }
            return request.caused(type: "ok", payload: [1])
        }
        let result = await onThread { (try? bus.requestBlocking(subject, Envelope(type: "x", tenant: "t")))?.payload }
        #expect(result == [1])
        let remote = await onThread { () -> BusError? in
            do { _ = try bus.requestBlocking(subject, Envelope(type: "fail", tenant: "t")); return nil } catch { return error as? BusError }
        }
        #expect(remote?.remote?.code == .invalidArgument)
        let nobody = await onThread { () -> BusError? in
            do { _ = try bus.requestBlocking(subject + ".nobody", Envelope(type: "x", tenant: "t")); return nil } catch { return error as? BusError }
        }
        #expect(nobody?.code == .noResponders)
        try await responder.drain()
    }
}

/// Runs blocking code on a thread of its own, as real callers of blocking APIs do.
func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}
