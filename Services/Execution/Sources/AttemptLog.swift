import AgionContract
import AgionEnvelope
import AgionStore
import Foundation
import MissionsCore

/// Every attempt's end, in execution's schema, written with its report
/// (`attempt_finished`, through the outbox) in one transaction: a redelivered
/// work message whose attempt already ended is answered from here, and the
/// agent is not called twice.
struct AttemptLog: Sendable {
    let pool: ConnectionPool
    let schema: String

    struct Ended: Sendable {
        var result: String
        var error: StepError?
        var usage: Usage
        var latencyMillis: Double
    }

    /// Whether the attempt already ended (its report is in the outbox, or published).
    func ended(mission: UUID, step: String, attempt: Int) async throws -> Bool {
        try await pool.withConnection { connection in
            !(try await connection.query("SELECT 1 AS ended FROM \(schema).attempts WHERE mission_id = $1 AND step_id = $2 AND attempt = $3",
                                         [mission, step, attempt], prepared: true)).isEmpty
        }
    }

    /// Records the end and queues its report, in one statement (its own
    /// transaction); a second record of the same attempt changes nothing.
    func record(tenant: String, mission: UUID, step: String, attempt: Int, agent: AgentID, ended: Ended, report: Envelope) async throws {
        let encoded = try report.encoded()
        _ = try await pool.withConnection { connection in
            try await connection.execute("""
                WITH recorded AS (
                    INSERT INTO \(schema).attempts (tenant, mission_id, step_id, attempt, agent_id, result, error_code, error_message, latency_ms,
                                                    input_tokens, output_tokens, cost_usd, finished_at, report)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING RETURNING 1)
                INSERT INTO \(schema).outbox (event_id, subject, envelope) SELECT $15, $16, $14 WHERE EXISTS (SELECT 1 FROM recorded)
                """, [tenant, mission, step, attempt, agent.description, ended.result, ended.error?.code ?? "", ended.error?.message ?? "",
                      ended.latencyMillis, ended.usage.inputTokens, ended.usage.outputTokens, ended.usage.costUSD, report.occurredAtUnixNanos,
                      encoded, report.id, ExecutionSubjects.eventSubject(tenant: tenant, event: "attempt_finished")], prepared: true)
        }
    }
}
