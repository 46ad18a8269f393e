import AgionContract
import AgionEnvelope
import AgionStore
import Foundation
import Logging
import Metrics
import MissionsCore
import ServiceLifecycle
import Synchronization

/// Hands queued step attempts to execution (AGION_STEPS): at most the
/// window out at once, each free slot to the tenant with the fewest out,
/// within each tenant's running-steps limit and each agent's concurrency
/// limit (`FairDispatch`). Every replica runs one; a PostgreSQL advisory
/// lock makes them take turns, so the counts they decide on are the whole
/// deployment's. A replica wakes its own after each commit that queued or
/// ended attempts, and all look again every poll interval.
final class StepDispatcher: Service, Sendable {
    let pool: ConnectionPool
    let schema: String
    let window: Int
    let limits: TenantLimits
    let pollInterval: Duration
    let logger: Logger
    private let wakeup = Wakeup()
    private let lastReclaim = Atomic<Int64>(0)
    private let dispatched = Counter(label: "agion_coordination_steps_dispatched_total")
    private let reclaimed = Counter(label: "agion_coordination_step_slots_reclaimed_total")

    init(pool: ConnectionPool, schema: String, window: Int, limits: TenantLimits, pollInterval: Duration, logger: Logger) {
        self.pool = pool
        self.schema = schema
        self.window = window
        self.limits = limits
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// Attempts were queued or ended here: look now.
    func wake() { wakeup.signal() }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    // A full batch may leave more to hand out (the window was not the limit).
                    // With a backlog, turns a few milliseconds apart hand out the
                    // slots freed meanwhile together (one transaction, not one each).
                    while try await self.dispatch() > 0 { try await Task.sleep(for: .milliseconds(3)) }
                } catch {
                    self.logger.warning("coordination.dispatch_failed", metadata: ["error": "\(error)"])
                }
                await self.wakeup.wait(timeout: self.pollInterval)
            }
        }
    }

    /// One turn: frees slots whose end was never heard of, then hands out
    /// what fits. Returns how many attempts it handed out.
    @discardableResult
    func dispatch() async throws -> Int {
        let now = Envelope.nowUnixNanos()
        // Most turns find nothing waiting (steps are handed out as they are
        // scheduled while there is room): one cheap look, no lock. Slots of
        // lost attempts are freed every few seconds.
        let reclaim = now - lastReclaim.load(ordering: .relaxed) > 5_000_000_000
        if !reclaim {
            let waiting = try await pool.withConnection { connection in
                try await connection.query("SELECT EXISTS (SELECT 1 FROM \(schema).step_queue WHERE dispatched_at IS NULL) AS waiting", prepared: true)
            }
            guard try waiting.first?.decode("waiting", as: Bool.self) == true else { return 0 }
        } else {
            lastReclaim.store(now, ordering: .relaxed)
        }
        let handed = try await pool.withTransaction { connection -> Int in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtext($1))", ["agion.dispatch." + schema])
            if reclaim {
                let expired = try await connection.execute("""
                    DELETE FROM \(schema).step_queue WHERE dispatched_at IS NOT NULL AND expires_at < $1
                    """, [now], prepared: true)
                if expired > 0 { reclaimed.increment(by: expired) }
            }
            var load = FairDispatch.Load()
            for row in try await connection.query("""
                SELECT tenant, agent_id, count(*) AS n FROM \(schema).step_queue WHERE dispatched_at IS NOT NULL GROUP BY tenant, agent_id
                """, prepared: true) {
                let n: Int = try row.decode("n")
                load.byTenant[try row.decode("tenant"), default: 0] += n
                load.byAgent[try row.decode("agent_id"), default: 0] += n
            }
            let free = min(window - load.total, 64)
            guard free > 0 else { return 0 }
            // Each waiting tenant's oldest attempts: enough to fill the free slots from any one of them.
            let rows = try await connection.query("""
                SELECT q.mission_id, q.step_id, q.attempt, q.tenant, q.agent_id, q.agent_limit, q.enqueued_at
                FROM (
                    -- The waiting tenants, one index probe each (not a scan of every waiting attempt).
                    WITH RECURSIVE tenants AS (
                        (SELECT tenant FROM \(schema).step_queue WHERE dispatched_at IS NULL ORDER BY tenant LIMIT 1)
                        UNION ALL
                        SELECT (SELECT q.tenant FROM \(schema).step_queue q WHERE q.dispatched_at IS NULL AND q.tenant > tenants.tenant
                                ORDER BY q.tenant LIMIT 1)
                        FROM tenants WHERE tenants.tenant IS NOT NULL)
                    SELECT tenant FROM tenants WHERE tenant IS NOT NULL) t
                CROSS JOIN LATERAL (
                    SELECT mission_id, step_id, attempt, tenant, agent_id, agent_limit, enqueued_at FROM \(schema).step_queue
                    WHERE tenant = t.tenant AND dispatched_at IS NULL ORDER BY enqueued_at LIMIT $1) q
                """, [free], prepared: true)
            guard !rows.isEmpty else { return 0 }
            let candidates = try rows.map { row in
                FairDispatch.Candidate(key: .init(mission: (try row.decode("mission_id", as: UUID.self)).lowercasedString, step: try row.decode("step_id"),
                                                  attempt: try row.decode("attempt")),
                                       tenant: try row.decode("tenant"), agent: try row.decode("agent_id"), agentLimit: try row.decode("agent_limit"),
                                       enqueuedAt: try row.decode("enqueued_at"))
            }
            let chosen = FairDispatch.select(candidates, load: load, window: window) { self.limits.limits(for: $0).maxRunningSteps }
            guard !chosen.isEmpty else { return 0 }
            // Marked out and put in the outbox (the relay publishes it to AGION_STEPS) in one statement.
            return try await connection.execute("""
                WITH handed AS (
                    UPDATE \(schema).step_queue q SET dispatched_at = $1, expires_at = $1 + (q.timeout_seconds::bigint + 60) * 5 * 1000000000
                    FROM unnest($2::uuid[], $3::text[], $4::int[]) AS c(mission_id, step_id, attempt)
                    WHERE q.mission_id = c.mission_id AND q.step_id = c.step_id AND q.attempt = c.attempt AND q.dispatched_at IS NULL
                    RETURNING q.work_id, q.tenant, q.work)
                INSERT INTO \(schema).outbox (event_id, subject, envelope) SELECT work_id, $5 || tenant, work FROM handed
                """, [now, PostgresTextArray(chosen.map(\.key.mission)), PostgresTextArray(chosen.map(\.key.step)),
                      PostgresTextArray(chosen.map { String($0.key.attempt) }), ExecutionSubjects.workSubject(tenant: "")])
        }
        if handed > 0 { dispatched.increment(by: handed) }
        return handed
    }
}
