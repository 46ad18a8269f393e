import AgionBus
import AgionEnvelope
import Foundation
import Logging
import Synchronization

/// Publishes a schema's outbox to JetStream in order, exactly once downstream.
///
/// One replica relays at a time (a transaction-scoped advisory lock), in
/// `position` order. Rows are deleted only in the transaction that saw their
/// publish acknowledged; each is published with `Nats-Msg-Id` = event id, so a
/// crash or a NATS failure between publish and delete republishes rows that
/// JetStream then drops as duplicates (within the stream's duplicate window).
public final class OutboxRelay: Sendable {
    private let pool: ConnectionPool
    private let jetStream: JetStream
    private let schema: String
    private let batchSize: Int
    private let idleWait: Duration
    private let logger: Logger
    private let stopped = Atomic<Bool>(false)

    public init(pool: ConnectionPool, jetStream: JetStream, schema: String, batchSize: Int = 256,
                idleWait: Duration = .milliseconds(50), logger: Logger) {
        self.pool = pool
        self.jetStream = jetStream
        self.schema = schema
        self.batchSize = batchSize
        self.idleWait = idleWait
        self.logger = logger
    }

    /// Relays until `stop()`. Failures (NATS or PostgreSQL down) are logged and
    /// retried with backoff; nothing is lost, because rows stay until acked.
    public func run() async {
        var failures = 0
        while !stopped.load(ordering: .relaxed) {
            do {
                let relayed = try await relayOnce()
                failures = 0
                if relayed < batchSize { try? await Task.sleep(for: idleWait) }
            } catch {
                failures += 1
                logger.warning("outbox.relay_failed", metadata: ["db.schema": "\(schema)", "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(min(100 << min(failures, 5), 3_000)))
            }
        }
    }

    public func stop() { stopped.store(true, ordering: .relaxed) }

    /// Publishes one batch and deletes it; returns how many rows it relayed
    /// (0 when the outbox is empty or another replica holds the relay lock).
    @discardableResult
    public func relayOnce() async throws -> Int {
        try await pool.withTransaction { connection in
            let locked: Bool = try await connection.query(
                "SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked", ["agion.outbox." + schema], prepared: true
            )[0].decode("locked")
            guard locked else { return 0 }
            let rows = try await connection.query(
                "SELECT position, event_id, subject, envelope FROM \(schema).outbox ORDER BY position LIMIT $1", [batchSize], prepared: true)
            guard !rows.isEmpty else { return 0 }
            // The stored bytes go out as they are: no decode and re-encode.
            var batch: [OutgoingMessage] = []
            batch.reserveCapacity(rows.count)
            var last: Int64 = 0
            for row in rows {
                batch.append(OutgoingMessage(subject: try row.decode("subject"), bytes: try row.decode("envelope"),
                                             msgID: try row.decode("event_id", as: UUID.self).lowercasedString))
                last = try row.decode("position")
            }
            _ = try await jetStream.publishAsync(batch: batch)
            try await connection.execute("DELETE FROM \(schema).outbox WHERE position <= $1", [last], prepared: true)
            return rows.count
        }
    }
}
