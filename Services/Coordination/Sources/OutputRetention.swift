import AgionEnvelope
import AgionRuntime
import AgionStore
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Deletes the stored outputs (`OutputStore`) of finished missions once
/// their tenant's retention (`TenantLimits.outputRetentionHours`) has passed
/// since the mission last changed. The history is untouched: its events keep
/// each output's reference, digest and size, so what a step answered can
/// still be proven against a copy kept elsewhere; reading the content
/// answers 410 Gone.
///
/// Every replica sweeps; a mission is taken under its row lock (SKIP LOCKED)
/// and marked in the transaction that deleted its outputs, so two replicas
/// never delete one twice, and a replay (which rewrites the row) waits for
/// the deletion and then stores what it needs again.
final class OutputRetention: Service, Sendable {
    let pool: ConnectionPool
    let schema: String
    let outputs: OutputStore
    let limits: TenantLimits
    let clock: MissionClock
    let interval: Duration
    let logger: Logger
    private let removed = Counter(label: "agion_coordination_outputs_removed_total")

    init(pool: ConnectionPool, schema: String, outputs: OutputStore, limits: TenantLimits, clock: MissionClock, interval: Duration, logger: Logger) {
        self.pool = pool
        self.schema = schema
        self.outputs = outputs
        self.limits = limits
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await self.sweep()
                } catch {
                    self.logger.warning("coordination.output_sweep_failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: self.interval)
            }
        }
    }

    /// One pass over every tenant with outputs kept; the missions whose outputs it deleted.
    @discardableResult
    func sweep() async throws -> Int {
        let tenants = try await pool.withConnection { connection in
            try await connection.query("""
                SELECT DISTINCT tenant FROM \(schema).missions WHERE stored_outputs AND outputs_removed_at IS NULL
                """, prepared: true).map { try $0.decode("tenant", as: String.self) }
        }
        var total = 0
        for tenant in tenants {
            let hours = limits.limits(for: tenant).outputRetentionHours
            guard hours > 0 else { continue }
            let cutoff = clock.now(tenant: tenant) - Int64(hours) * 3_600_000_000_000
            while true {
                let swept = try await sweep(tenant: tenant, before: cutoff, limit: 32)
                total += swept
                if swept < 32 { break }
            }
        }
        return total
    }

    /// Deletes the outputs of up to `limit` of the tenant's missions that
    /// finished (last changed) before `cutoff`, one transaction each.
    private func sweep(tenant: String, before cutoff: Int64, limit: Int) async throws -> Int {
        var swept = 0
        for _ in 0..<limit {
            let done: Bool = try await pool.withTransaction { connection in
                let rows = try await connection.query("""
                    SELECT mission_id FROM \(schema).missions
                    WHERE tenant = $1 AND stored_outputs AND outputs_removed_at IS NULL AND status <> 'running' AND updated_at < $2
                    ORDER BY updated_at LIMIT 1 FOR UPDATE SKIP LOCKED
                    """, [tenant, cutoff], prepared: true)
                guard let mission = try rows.first?.decode("mission_id", as: UUID.self) else { return false }
                try await outputs.removeAll(tenant: tenant, mission: mission.lowercasedString)
                _ = try await connection.execute("UPDATE \(schema).missions SET outputs_removed_at = $2 WHERE mission_id = $1",
                                                 [mission, clock.now(tenant: tenant)], prepared: true)
                logger.info("coordination.outputs_removed", metadata: ["mission.id": "\(mission.lowercasedString)", "tenant": "\(tenant)"])
                return true
            }
            guard done else { break }
            removed.increment()
            swept += 1
        }
        return swept
    }
}
