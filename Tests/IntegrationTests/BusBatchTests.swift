import AgionBus
import AgionEnvelope
import Foundation
import Synchronization
import Testing

/// Request coalescing: `RequestBatcher` on the caller, a blocking responder
/// with a batch handler on the other side, over the real NATS server.
@Suite(.timeLimit(.minutes(1))) struct BusBatchTests {
    /// Echoes each request's payload reversed; fails the ones typed `agion.test.fail`.
    static func echo(_ request: Envelope) throws -> Envelope {
        if request.type == "agion.test.fail" { throw ErrorReply(code: .notFound, message: "no \(request.payload)", field: "agent_id") }
        return request.caused(type: "agion.test.echoed", payload: request.payload.reversed())
    }

    /// A responder that serves batches and records the size of each (a
    /// request that came alone as 0), taking `delay` for each.
    static func batchingResponder(_ bus: Bus, _ subject: String, sizes: BatchSizes,
                                  delay: Duration = .zero) throws -> BlockingResponder {
        let pause = delay / .seconds(1)
        return try bus.respondBlocking(subject, queue: "test", threads: 2, batchHandler: { requests in
            sizes.record(requests.count)
            if pause > 0 { Thread.sleep(forTimeInterval: pause) }
            return requests.map { request in Result { () throws -> Envelope in try echo(request) } }
        }, handler: { request in
            sizes.record(0)
            if pause > 0 { Thread.sleep(forTimeInterval: pause) }
            return try echo(request)
        })
    }

    /// The sizes of the batches a responder handled.
    final class BatchSizes: Sendable {
        private let sizes = Mutex<[Int]>([])
        init() {}
        func record(_ size: Int) { sizes.withLock { $0.append(size) } }
        var all: [Int] { sizes.withLock { $0 } }
        func reset() { sizes.withLock { $0 = [] } }
    }

    @Test func concurrentRequestsShareMessagesAndEachGetsItsOwnReply() async throws {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.rpc.test.batched")
        let sizes = BatchSizes()
        let responder = try Self.batchingResponder(bus, subject, sizes: sizes, delay: .milliseconds(2))
        let batcher = bus.batcher(for: subject, limits: .init(maxBatch: 16, maxInFlight: 1))
        let requests: [Envelope] = (0..<200).map { (index: Int) -> Envelope in
            let type = index % 7 == 0 ? "agion.test.fail" : "agion.test.echo"
            let payload: [UInt8] = [UInt8(index % 256), UInt8(index / 256), 9]
            return Envelope(type: type, tenant: "tenant-\(index % 3)", payload: payload)
        }
        let results = await withTaskGroup(of: (Int, Result<Envelope, any Error>).self) { group in
            for (index, request) in requests.enumerated() {
                group.addTask {
                    do { return (index, .success(try await batcher.request(request, timeout: .seconds(10)))) } catch { return (index, .failure(error)) }
                }
            }
            var results: [Int: Result<Envelope, any Error>] = [:]
            for await (index, result) in group { results[index] = result }
            return results
        }
        for (index, request) in requests.enumerated() {
            switch results[index]! {
            case .success(let reply):
                #expect(request.type == "agion.test.echo")
                #expect(reply.payload == request.payload.reversed())
                #expect(reply.tenant == request.tenant)
                #expect(reply.causationID == request.id.lowercasedString)
            case .failure(let error):
                #expect(request.type == "agion.test.fail", "request \(index) failed: \(error)")
                #expect((error as? BusError)?.remote == ErrorReply(code: .notFound, message: "no \(request.payload)", field: "agent_id"))
            }
        }
        let seen = sizes.all
        let batches = seen.filter { $0 > 0 }
        #expect(!batches.isEmpty, "requests waiting behind a batch in flight went together")
        #expect(batches.allSatisfy { (2...16).contains($0) }, "a lone request goes on the method's subject; no batch exceeds maxBatch")
        #expect(batches.reduce(0, +) + seen.count - batches.count == 200, "every request was handled once")
        try await responder.drain()
    }

    @Test func withoutBatchRespondersEveryRequestStillGetsItsReply() async throws {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.rpc.test.unbatched")
        // An older responder: it serves the method, not `<method>.batch`.
        let responder = try bus.respond(subject, queue: "test") { request in
            try await Task.sleep(for: .milliseconds(2))
            return try Self.echo(request)
        }
        let batcher = bus.batcher(for: subject, limits: .init(maxInFlight: 1))
        let replies = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<50 {
                group.addTask {
                    let request = Envelope(type: "agion.test.echo", tenant: "t", payload: [UInt8(index)])
                    return try await batcher.request(request, timeout: .seconds(10)).payload == [UInt8(index)]
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(replies == 50)
        try await responder.drain()
    }

    @Test func aBatchLeftUnansweredTimesOutEachRequestInIt() async throws {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.rpc.test.silent")
        // Takes the requests and never answers (a responder stuck in a slow dependency).
        let silent = try bus.respond(subject, queue: "test", handler: { _ in try await Task.sleep(for: .seconds(2)); throw CancellationError() })
        let silentBatches = try bus.respond(EnvelopeBatch.subject(for: subject), queue: "test",
                                            handler: { _ in try await Task.sleep(for: .seconds(2)); throw CancellationError() })
        let batcher = bus.batcher(for: subject, limits: .init(maxInFlight: 1))
        let started = ContinuousClock.now
        let codes = await withTaskGroup(of: BusError.Code?.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    do { _ = try await batcher.request(Envelope(type: "x", tenant: "t"), timeout: .milliseconds(300)); return nil } catch {
                        return (error as? BusError)?.code
                    }
                }
            }
            return await group.reduce(into: [BusError.Code?]()) { $0.append($1) }
        }
        #expect(codes.allSatisfy { $0 == .timeout })
        // Queued requests wait no longer than their own timeout, not one per batch ahead of them
        // (with room for a stalled shared machine: two timeouts would be 0.6 s).
        #expect(ContinuousClock.now - started < .seconds(2))
        try await silent.drain()
        try await silentBatches.drain()
    }

    /// A batcher whose one slot is taken: its first request (payload [1]) is
    /// with a responder that takes `delay` over each request.
    func busyBatcher(_ name: String, delay: Duration, maxQueued: Int = 10_000) async throws
        -> (batcher: RequestBatcher, responder: BlockingResponder, first: Task<Envelope, any Error>) {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName(name)
        let sizes = BatchSizes()
        let responder = try Self.batchingResponder(bus, subject, sizes: sizes, delay: delay)
        let batcher = bus.batcher(for: subject, limits: .init(maxInFlight: 1, maxQueued: maxQueued))
        let first = Task { try await batcher.request(Envelope(type: "agion.test.echo", tenant: "t", payload: [1]), timeout: .seconds(5)) }
        try await eventually("the first request is on the wire") { !sizes.all.isEmpty }
        return (batcher, responder, first)
    }

    @Test func requestsBeyondTheQueueLimitAreRefusedAtOnce() async throws {
        // The slot stays taken for 2 s: long enough that the first request is
        // still out when the third arrives even on a machine that stalls (with
        // 300 ms it was answered first once, on a CI run busy starting stacks).
        let (batcher, responder, first) = try await busyBatcher("agion.rpc.test.full", delay: .seconds(2), maxQueued: 1)
        async let queued = batcher.request(Envelope(type: "agion.test.echo", tenant: "t", payload: [2]), timeout: .seconds(5))
        try await Task.sleep(for: .milliseconds(50))  // let the second take the one queue place
        let refused = await #expect(throws: BusError.self) {
            try await batcher.request(Envelope(type: "agion.test.echo", tenant: "t", payload: [3]), timeout: .seconds(5))
        }
        #expect(refused?.code == .overloaded)
        #expect(refused?.isRetriable == true)
        #expect(try await first.value.payload == [1])
        #expect(try await queued.payload == [2])
        try await responder.drain()
    }

    @Test func aCancelledRequestLeavesItsBatchAndTheOthersAreServed() async throws {
        let (batcher, responder, first) = try await busyBatcher("agion.rpc.test.cancel", delay: .milliseconds(200))
        let cancelled = Task { try await batcher.request(Envelope(type: "agion.test.echo", tenant: "t", payload: [2]), timeout: .seconds(5)) }
        async let kept = batcher.request(Envelope(type: "agion.test.echo", tenant: "t", payload: [3]), timeout: .seconds(5))
        cancelled.cancel()
        let error = await #expect(throws: BusError.self) { try await cancelled.value }
        #expect(error?.code == .cancelled)
        #expect(try await first.value.payload == [1])
        #expect(try await kept.payload == [3])
        try await responder.drain()
    }

    @Test func undecodableRequestsInABatchGetDecodeFailedAndTheRestAreServed() async throws {
        let bus = try await TestEnvironment.bus()
        let subject = TestEnvironment.uniqueName("agion.rpc.test.mixed")
        let sizes = BatchSizes()
        let responder = try Self.batchingResponder(bus, subject, sizes: sizes)
        let good = Envelope(type: "agion.test.echo", tenant: "t", payload: [1, 2])
        let batch = EnvelopeBatch(envelopes: [[0xFF, 0x01], try good.encoded(), []])
        let outer = Envelope(type: EnvelopeBatch.envelopeType, tenant: "", payload: batch.encoded())
        let reply = try await bus.request(EnvelopeBatch.subject(for: subject), outer)
        #expect(reply.type == EnvelopeBatch.envelopeType)
        let replies = try EnvelopeBatch(decoding: reply.payload).envelopes.map { try Envelope(decoding: $0) }
        #expect(replies.count == 3)
        #expect(replies[0].type == ErrorReply.envelopeType)
        #expect(try ErrorReply(decoding: replies[0].payload).code == .decodeFailed)
        #expect(replies[1].payload == [2, 1])
        #expect(replies[1].causationID == good.id.lowercasedString)
        #expect(try ErrorReply(decoding: replies[2].payload).code == .decodeFailed)
        #expect(sizes.all == [1], "the handler saw only the request that decoded")
        sizes.reset()

        // Not a batch at all: the batch is refused as a whole, and the responder keeps serving.
        let garbage = await #expect(throws: BusError.self) { try await bus.request(EnvelopeBatch.subject(for: subject), bytes: [0x0A, 0x7F]) }
        #expect(garbage?.remote?.code == .decodeFailed)
        let wrongType = await #expect(throws: BusError.self) {
            try await bus.request(EnvelopeBatch.subject(for: subject), Envelope(type: "agion.test.echo", tenant: "t"))
        }
        #expect(wrongType?.remote?.code == .invalidArgument)
        let notABatch = await #expect(throws: BusError.self) {
            try await bus.request(EnvelopeBatch.subject(for: subject), Envelope(type: EnvelopeBatch.envelopeType, tenant: "", payload: [0x0A, 0x7F]))
        }
        #expect(notABatch?.remote?.code == .decodeFailed)
        #expect(try await bus.batcher(for: subject).request(good).payload == [2, 1])
        try await responder.drain()
    }
}
