import AgionBus
import AgionEnvelope
import Dispatch
import Foundation
import Logging
import Synchronization

/// Publishes a schema's outbox to JetStream in order, exactly once downstream.
///
/// It wakes when a transaction that wrote to the outbox commits (the outbox
/// trigger's NOTIFY, through a `NotificationListener`), and also every
/// `sweepInterval` as a safety net, so nothing waits for long even when a
/// notification is lost.
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
    private let sweepInterval: Duration
    private let logger: Logger
    private let stopped = Atomic<Bool>(false)
    private let wakeup = Wakeup()
    private let listener: NotificationListener

    public init(pool: ConnectionPool, jetStream: JetStream, schema: String, batchSize: Int = 256,
                sweepInterval: Duration = .seconds(1), logger: Logger) throws {
        self.pool = pool
        self.jetStream = jetStream
        self.schema = schema
        self.batchSize = batchSize
        self.sweepInterval = sweepInterval
        self.logger = logger
        self.listener = try NotificationListener(pool.configuration, channels: [Outbox(schema: schema).channel], logger: logger)
    }

    /// Relays until `stop()`. Failures (NATS or PostgreSQL down) are logged and
    /// retried with backoff; nothing is lost, because rows stay until acked.
    public func run() async {
        let wakeup = self.wakeup
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.listener.run { _ in wakeup.signal() } }
            group.addTask { await self.relayLoop() }
            await group.next()
            listener.stop()
        }
    }

    private func relayLoop() async {
        var failures = 0
        while !stopped.load(ordering: .relaxed) {
            do {
                let relayed = try await relayOnce()
                failures = 0
                if relayed < batchSize { await wakeup.wait(timeout: sweepInterval) }
            } catch {
                failures += 1
                logger.warning("outbox.relay_failed", metadata: ["db.schema": "\(schema)", "error": "\(error)"])
                await wakeup.wait(timeout: .milliseconds(min(100 << min(failures, 5), 3_000)))
            }
        }
    }

    public func stop() {
        stopped.store(true, ordering: .relaxed)
        listener.stop()
        wakeup.signal()
    }

    /// Publishes one batch and deletes it; returns how many rows it relayed
    /// (0 when the outbox is empty or another replica holds the relay lock).
    @discardableResult
    public func relayOnce() async throws -> Int {
        try await pool.withConnection { try await relay(on: $0) }
    }

    /// Two hops to the database per batch: BEGIN and the locked read, then
    /// (after the publish) the delete and COMMIT. A failed batch rolls back.
    private func relay(on connection: Connection) async throws -> Int {
        // The lock is an InitPlan (taken once, before the scan): without it
        // the scan does not even start.
        let read = try await connection.batch([Statement("""
            SELECT position, event_id, subject, envelope FROM \(schema).outbox
            WHERE (SELECT pg_try_advisory_xact_lock(hashtext($1))) ORDER BY position LIMIT $2
            """, ["agion.outbox." + schema, batchSize], prepared: true)], begin: true, commit: false)
        let rows = read?.first?.rows ?? []
        guard !rows.isEmpty else {
            try await connection.execute("COMMIT")
            return 0
        }
        // The stored bytes go out as they are: no decode and re-encode.
        var batch: [OutgoingMessage] = []
        batch.reserveCapacity(rows.count)
        var positions: [String] = []
        positions.reserveCapacity(rows.count)
        do {
            for row in rows {
                batch.append(OutgoingMessage(subject: try row.decode("subject"), bytes: try row.decode("envelope"),
                                             msgID: try row.decode("event_id", as: UUID.self).lowercasedString))
                positions.append(try row.decode("position"))
            }
            _ = try await jetStream.publishAsync(batch: batch)
        } catch {
            _ = try? await connection.execute("ROLLBACK")
            throw error
        }
        // Exactly the rows published. Not "position <= last": a transaction
        // that took a lower position but committed after the SELECT is
        // visible to this DELETE and would be removed unpublished.
        _ = try await connection.batch([Statement("DELETE FROM \(schema).outbox WHERE position = ANY($1::bigint[])",
                                                  ["{" + positions.joined(separator: ",") + "}"], prepared: true)], begin: false, commit: true)
        return rows.count
    }
}
