import AgionBus
import AgionEnvelope
import Foundation
import Logging

/// bus.publish_async and bus.consume on a file-storage stream, 200-byte payloads.
enum JetStreamBenchmark {
    static let logger = Logger(label: "agion.bench")

    static func withStream(url: String, _ body: (Bus, String) async throws -> Void) async throws {
        let bus = try await Bus.connect(BusConfiguration(url: url, name: "bench-js", sendAsap: false, credentialsFile: benchCredentials), logger: logger)
        let name = "BENCH_\(UInt32.random(in: 0...UInt32.max))"
        try await bus.jetStream.provision(streams: [StreamSpec(name: name, subjects: ["agion.bench.\(name).>"])],
                                          consumers: [ConsumerSpec(stream: name, durable: "bench", maxAckPending: 100_000)])
        do { try await body(bus, name) } catch {
            try? await bus.jetStream.deleteStream(name)
            throw error
        }
        try await bus.jetStream.deleteStream(name)
    }

    /// Publishes `messages` envelopes of 200 bytes, pre-encoded as an outbox
    /// stores them (the cost of making and encoding an envelope is
    /// envelope.roundtrip's), in batches of 1,000; returns the elapsed nanoseconds.
    static func fill(_ bus: Bus, _ name: String, messages: Int) async throws -> UInt64 {
        let subject = "agion.bench.\(name).x"
        // Size the payload so each encoded envelope is 200 bytes, like the C reference's messages.
        let overhead = try Envelope(type: "agion.bench.event", tenant: "bench", payload: [0x42]).encoded().count - 1
        let payload = [UInt8](repeating: 0x42, count: 200 - overhead - 2)
        let encoded = try (0..<messages).map { _ -> OutgoingMessage in
            let envelope = Envelope(type: "agion.bench.event", tenant: "bench", payload: payload)
            return OutgoingMessage(subject: subject, bytes: try envelope.encoded(), msgID: envelope.id.lowercasedString)
        }
        precondition((198...202).contains(encoded[0].bytes.count), "bench messages should be 200 bytes, not \(encoded[0].bytes.count)")
        let start = nowNanos()
        var sent = 0
        while sent < messages {
            let count = min(1_000, messages - sent)
            _ = try await bus.jetStream.publishAsync(batch: Array(encoded[sent..<(sent + count)]))
            sent += count
        }
        return nowNanos() - start
    }

    static func publish(url: String, messages: Int) async throws {
        try await withStream(url: url) { bus, name in
            let elapsed = try await fill(bus, name, messages: messages)
            BenchLine("bus.publish_async").with("ops_per_s", Int(Double(messages) / (Double(elapsed) / 1e9)))
                .with("ns_per_op", Int(elapsed / UInt64(messages))).with("rss_mb", residentMegabytes()).print()
        }
    }

    static func consume(url: String, messages: Int) async throws {
        try await withStream(url: url) { bus, name in
            _ = try await fill(bus, name, messages: messages)
            let consumer = try await bus.jetStream.pullConsumer(stream: name, durable: "bench", batch: 256)
            var received = 0
            let start = nowNanos()
            while received < messages {
                let batch = try await consumer.fetch(max: 256, timeout: .seconds(2))
                if batch.isEmpty { break }
                for message in batch { try message.ack() }
                received += batch.count
            }
            let elapsed = nowNanos() - start
            BenchLine("bus.consume").with("ops_per_s", Int(Double(received) / (Double(elapsed) / 1e9)))
                .with("ns_per_op", Int(elapsed / UInt64(max(received, 1)))).with("rss_mb", residentMegabytes()).print()
        }
    }
}
