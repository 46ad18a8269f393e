import AgionBus
import AgionContract
import AgionStore
import Logging
import Metrics
import NIOPosix
import ServiceLifecycle

/// Moves decisions from the replica's spool into PostgreSQL's hash chain,
/// in order, in batches, and deletes what is shipped. Woken by each append;
/// backs off while PostgreSQL is down (the spool keeps everything meanwhile).
/// On graceful shutdown it ships the last records before returning.
final class AuditShipper: Service, Sendable {
    let spool: AuditSpool
    let ledger: AuditLedger
    let pool: ConnectionPool
    let jetStream: JetStream
    let wakeup: Wakeup
    let logger: Logger
    let batchSize: Int
    /// How long the shipper lets decisions gather after being woken: one
    /// PostgreSQL transaction per gather instead of one per decision, at the
    /// cost of this much delay before a decision shows in audit queries.
    let gatherDelay: Duration
    private let io = NIOThreadPool(numberOfThreads: 1)
    private let shipped = Counter(label: "agion_audit_shipped_total")
    private let failures = Counter(label: "agion_audit_ship_failures_total")

    init(spool: AuditSpool, ledger: AuditLedger, pool: ConnectionPool, jetStream: JetStream, wakeup: Wakeup, logger: Logger,
         batchSize: Int = 1_000,
         gatherDelay: Duration = .milliseconds(250)) {
        self.gatherDelay = gatherDelay
        self.spool = spool
        self.ledger = ledger
        self.pool = pool
        self.jetStream = jetStream
        self.wakeup = wakeup
        self.logger = logger
        self.batchSize = batchSize
        io.start()
    }

    deinit { io.shutdownGracefully { _ in } }

    func run() async throws {
        var delay: Duration = .milliseconds(100)
        var failing = false
        await withTaskCancellationOrGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                do {
                    let shipped = try await shipOnce()
                    if shipped == 0 { await wakeup.wait(timeout: .milliseconds(500)) }
                    // Group commit: unless a backlog fills whole batches, let
                    // decisions gather into one transaction instead of one each.
                    if shipped < batchSize { try? await Task.sleep(for: gatherDelay) }
                    if failing { logger.info("audit.ship_recovered") }
                    failing = false
                    delay = .milliseconds(100)
                } catch {
                    failures.increment()
                    // Logged once per outage; the metric counts every attempt.
                    if !failing { logger.warning("audit.ship_failed", metadata: ["error": "\(error)"]) }
                    failing = true
                    // Not woken by appends: while PostgreSQL is down, retrying
                    // on every decision would only add load.
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(2))
                }
            }
        } onCancelOrGracefulShutdown: {
            self.wakeup.signal()
        }
        // Cancelled, the process is going down at once: what is left stays
        // in the spool (on disk) and is shipped by the next start.
        if !Task.isCancelled { await drain() }
    }

    /// Ships what is in the spool now; stops early if PostgreSQL stays down.
    func drain(deadline: Duration = .seconds(10)) async {
        let end = ContinuousClock.now + deadline
        try? spool.rotate()
        while ContinuousClock.now < end {
            do {
                if try await shipOnce() == 0 { return }
            } catch {
                logger.warning("audit.drain_failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        logger.warning("audit.drain_incomplete", metadata: ["spool": "\(spool.directory)"])
    }

    /// Ships one batch from the oldest segment with unshipped records; returns
    /// how many were shipped (0 when the spool is empty).
    func shipOnce() async throws -> Int {
        let directory = spool.directory, active = spool.activeSegment, limit = batchSize
        let found: (segment: UInt64, frames: [SpoolReader.Frame])? = try await io.runIfActive {
            for segment in AuditSpool.segments(in: directory) {
                let frames = SpoolReader.frames(in: AuditSpool.segmentPath(directory, segment),
                                                from: SpoolReader.shippedOffset(directory, segment), limit: limit)
                if !frames.isEmpty { return (segment, frames) }
                // Everything readable was shipped; an older segment is done.
                if segment < active { SpoolReader.remove(directory, segment) } else { break }
            }
            return nil
        }
        guard let found else { return 0 }
        var records: [AuditLedger.Entry] = []
        for frame in found.frames {
            do {
                records.append(try AuditLedger.Entry(bytes: frame.record))
            } catch {
                // It passed its CRC, so this process wrote it: a bug, not damage.
                logger.error("audit.spool_record_unreadable", metadata: ["error": "\(error)", "segment": "\(found.segment)"])
            }
        }
        try await pool.withTransaction { connection in try await ledger.append(records, announce: false, on: connection) }
        // Published after the commit and before the spool moves on: a crash in
        // between publishes again (the same batch has the same event ids, which
        // JetStream stores once; a differently cut batch announces some
        // decisions twice, which readers deduplicate by decision id).
        _ = try await jetStream.publishAsync(batch: AuditLedger.batchEvents(for: records).map { ($0.subject, $0.envelope) })
        let end = found.frames.last!.end
        try await io.runIfActive { try SpoolReader.markShipped(directory, found.segment, offset: end) }
        shipped.increment(by: records.count)
        return found.frames.count
    }
}
