import AgionContract
import AgionEnvelope
import AgionJSON
import AgionStore
import Foundation
import MissionsCore

/// Missions in PostgreSQL: each one's event stream (`mission:v1-<id>`), its
/// projection beside it, its timers, and the outbox of what they publish,
/// always changed together in one transaction.
struct MissionStore: Sendable {
    let pool: ConnectionPool
    let schema: String
    /// Step attempts out to execution at most (the dispatcher's window).
    var dispatchWindow = 24
    var limits = TenantLimits()
    var outbox: Outbox { Outbox(schema: schema) }

    static func stream(_ mission: String) -> String { "mission:v1-" + mission }

    /// What one decision writes besides the projection.
    struct Write: Sendable {
        /// The new events, each in the envelope it is stored and published in.
        var events: [(event: MissionEvent, envelope: Envelope)]
        /// Further messages for the outbox (step work).
        var messages: [(envelope: Envelope, subject: String)]
        var timers: [(kind: String, dueAt: Int64)]
        var clearedTimers: [String]
        var clearAllTimers: Bool
        /// Steps that failed for good: `agion.v1.DeadStep` entries.
        var deadSteps: [(step: String, attempt: Int, entry: [UInt8])] = []
        /// Steps a replay reopened, and who asked.
        var replayed: (steps: [String], by: String)?
        /// Approval requests as they are after the decision (the `approvals` index).
        var approvals: [Approval] = []
        /// Attempts for the dispatcher to hand to execution (`step_queue`).
        var queued: [Queued] = []
        /// Attempts that ended: their slots are free.
        var released: [(step: String, attempt: Int)] = []
        /// Steps cancelled: any attempt of theirs is over.
        var releasedSteps: [String] = []
        /// The mission ended: nothing of it waits or runs.
        var releaseAll = false

        /// A step succeeded with a stored output (the retention sweeper's mark).
        var storesOutputs: Bool {
            events.contains { if case .stepSucceeded(let succeeded) = $0.event { OutputReference(succeeded.output) != nil } else { false } }
        }
    }

    struct Queued: Sendable {
        var step: String
        var attempt: Int
        var agent: String
        var agentLimit: Int
        var timeoutSeconds: Int
        var work: Envelope
    }

    // MARK: Reading

    func load(_ mission: UUID, tenant: String) async throws -> MissionState? {
        let rows = try await pool.withConnection { connection in
            try await connection.query("SELECT state FROM \(schema).missions WHERE mission_id = $1 AND tenant = $2", [mission, tenant], prepared: true)
        }
        return try rows.first.map { try Self.state(try $0.decode("state", as: [UInt8].self)) }
    }

    func load(idempotencyKey: String, tenant: String) async throws -> MissionState? {
        let rows = try await pool.withConnection { connection in
            try await connection.query("SELECT state FROM \(schema).missions WHERE tenant = $1 AND idempotency_key = $2", [tenant, idempotencyKey],
                                       prepared: true)
        }
        return try rows.first.map { try Self.state(try $0.decode("state", as: [UInt8].self)) }
    }

    static func state(_ bytes: [UInt8]) throws -> MissionState {
        guard let state = MissionState(snapshot: try JSONValue.parse(bytes)) else {
            throw ErrorReply(code: .internalError, message: "a stored mission could not be read", retriable: false)
        }
        return state
    }

    // MARK: Writing

    /// Stores a new mission; `false` when the tenant already has one with its
    /// idempotency key (a concurrent or repeated submission), nothing written.
    func create(_ state: MissionState, tenant: String, write: Write) async throws -> Bool {
        let insert = Statement("""
            INSERT INTO \(schema).missions (mission_id, tenant, name, status, idempotency_key, position, state, submitted_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant, idempotency_key) DO NOTHING
            """, [UUID(uuidString: state.id)!, tenant, state.definition.name, state.status.rawValue,
                  state.idempotencyKey.isEmpty ? nil : state.idempotencyKey, state.position, state.snapshot.serialized,
                  state.submittedAtUnixNanos, state.updatedAtUnixNanos], prepared: true, expectAffected: 1)
        return try await pool.transaction([insert] + statements(write, state: state, tenant: tenant, firstPosition: 1)) != nil
    }

    /// Appends a decision's events after position `expected`; `false` when
    /// another writer appended first (the caller decides again on the new state).
    func append(_ state: MissionState, tenant: String, expected: Int64, write: Write) async throws -> Bool {
        let update = Statement("""
            UPDATE \(schema).missions SET status = $3, position = $4, state = $5, updated_at = $6, stored_outputs = stored_outputs OR $8,
                outputs_removed_at = CASE WHEN $8 THEN NULL ELSE outputs_removed_at END
            WHERE mission_id = $1 AND tenant = $2 AND position = $7
            """, [UUID(uuidString: state.id)!, tenant, state.status.rawValue, state.position, state.snapshot.serialized,
                  state.updatedAtUnixNanos, expected, write.storesOutputs], prepared: true, expectAffected: 1)
        return try await pool.transaction([update] + statements(write, state: state, tenant: tenant, firstPosition: expected + 1)) != nil
    }

    /// What a decision writes besides the projection, as statements of the
    /// transaction that writes the projection (one thread hop for all).
    private func statements(_ write: Write, state: MissionState, tenant: String, firstPosition: Int64) throws -> [Statement] {
        let mission = UUID(uuidString: state.id)!
        var statements: [Statement] = []
        if !write.events.isEmpty {
            var columns = Array(repeating: [String](), count: 4)
            var envelopes: [[UInt8]] = []
            for (offset, (event, envelope)) in write.events.enumerated() {
                columns[0].append(String(firstPosition + Int64(offset)))
                columns[1].append(envelope.id.lowercasedString)
                columns[2].append(CoordinationSubjects.eventType(event.name))
                columns[3].append(String(envelope.occurredAtUnixNanos))
                envelopes.append(try envelope.encoded())
            }
            // The primary key (stream, position) refuses a second writer of
            // the same positions even if the projection's guard were bypassed.
            statements.append(Statement("""
                INSERT INTO \(schema).mission_events (stream, position, event_id, type, occurred_at, envelope)
                SELECT $1, * FROM unnest($2::bigint[], $3::uuid[], $4::text[], $5::bigint[], $6::bytea[])
                """, [Self.stream(state.id), PostgresTextArray(columns[0]), PostgresTextArray(columns[1]), PostgresTextArray(columns[2]),
                      PostgresTextArray(columns[3]), PostgresTextArray(envelopes.map { "\\x" + $0.hex })], prepared: true))
        }
        let published = write.events.map { ($0.envelope, CoordinationSubjects.eventSubject(tenant: tenant, mission: state.id)) } + write.messages
        if let enqueue = try outbox.enqueueStatement(published) { statements.append(enqueue) }
        // A timer set again in the same decision is updated by its upsert, not deleted.
        let setAgain = Set(write.timers.map(\.kind))
        if write.clearAllTimers {
            statements.append(Statement("DELETE FROM \(schema).mission_timers WHERE mission_id = $1", [mission], prepared: true))
        } else if case let cleared = write.clearedTimers.filter({ !setAgain.contains($0) }), !cleared.isEmpty {
            statements.append(Statement("DELETE FROM \(schema).mission_timers WHERE mission_id = $1 AND kind = ANY($2::text[])",
                                        [mission, PostgresTextArray(cleared)], prepared: true))
        }
        for (kind, due) in write.timers {
            statements.append(Statement("""
                INSERT INTO \(schema).mission_timers (mission_id, kind, tenant, due_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (mission_id, kind) DO UPDATE SET due_at = EXCLUDED.due_at
                """, [mission, kind, tenant, due], prepared: true))
        }
        for dead in write.deadSteps {
            statements.append(Statement("""
                INSERT INTO \(schema).dead_steps (tenant, mission_id, step_id, attempt, dead_at, entry) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT DO NOTHING
                """, [tenant, mission, dead.step, dead.attempt, state.updatedAtUnixNanos, dead.entry], prepared: true))
        }
        let tenantLimited = limits.limits(for: tenant).maxRunningSteps > 0
        if !tenantLimited, write.queued.contains(where: { $0.agentLimit == 0 }) {
            // The dispatcher's lock, so the counts below are exact: appends that
            // hand out at once and dispatcher turns take turns (held to the
            // commit). Not taken while attempts wait: nothing is handed out
            // here then, and a flood's submissions do not queue on the lock.
            statements.append(Statement("""
                SELECT pg_advisory_xact_lock(hashtext($1)) WHERE NOT EXISTS (SELECT 1 FROM \(schema).step_queue WHERE dispatched_at IS NULL)
                """, ["agion.dispatch." + schema], prepared: true))
        }
        for queued in write.queued {
            // Handed out at once when nothing waits, the window has room and no
            // limit applies (the common case: no extra transaction); otherwise
            // it waits for the dispatcher, which shares slots fairly.
            statements.append(Statement("""
                INSERT INTO \(schema).step_queue
                    (mission_id, step_id, attempt, tenant, agent_id, agent_limit, timeout_seconds, enqueued_at, work, work_id, dispatched_at, expires_at)
                SELECT $1::uuid, $2::text, $3::int, $4::text, $5::text, $6::int, $7::int, $8::bigint, $9::bytea, $12::uuid, CASE WHEN f.now THEN $8::bigint END,
                       CASE WHEN f.now THEN $8::bigint + ($7::bigint + 60) * 5 * 1000000000 END
                FROM (SELECT $10::boolean AND NOT EXISTS (SELECT 1 FROM \(schema).step_queue WHERE dispatched_at IS NULL)
                             AND (SELECT count(*) FROM \(schema).step_queue WHERE dispatched_at IS NOT NULL) < $11::bigint
                             AND pg_try_advisory_xact_lock(hashtext($13)) AS now) f
                ON CONFLICT DO NOTHING
                """, [mission, queued.step, queued.attempt, tenant, queued.agent, queued.agentLimit, queued.timeoutSeconds, state.updatedAtUnixNanos,
                      try queued.work.encoded(), queued.agentLimit == 0 && !tenantLimited, dispatchWindow, queued.work.id,
                      "agion.dispatch." + schema], prepared: true))
            statements.append(Statement("""
                INSERT INTO \(schema).outbox (event_id, subject, envelope)
                SELECT $4::uuid, $5::text, work FROM \(schema).step_queue
                WHERE mission_id = $1 AND step_id = $2 AND attempt = $3 AND dispatched_at IS NOT NULL
                """, [mission, queued.step, queued.attempt, queued.work.id, ExecutionSubjects.workSubject(tenant: tenant)], prepared: true))
        }
        if write.releaseAll {
            statements.append(Statement("DELETE FROM \(schema).step_queue WHERE mission_id = $1", [mission], prepared: true))
        } else {
            let steps = write.released.map(\.step), attempts = write.released.map { String($0.attempt) }
            if !steps.isEmpty {
                statements.append(Statement("""
                    DELETE FROM \(schema).step_queue WHERE mission_id = $1 AND (step_id, attempt) IN (SELECT * FROM unnest($2::text[], $3::int[]))
                    """, [mission, PostgresTextArray(steps), PostgresTextArray(attempts)], prepared: true))
            }
            if !write.releasedSteps.isEmpty {
                statements.append(Statement("DELETE FROM \(schema).step_queue WHERE mission_id = $1 AND step_id = ANY($2::text[])",
                                            [mission, PostgresTextArray(write.releasedSteps)], prepared: true))
            }
        }
        for approval in write.approvals {
            // The index the API lists; the request itself is the step's, in the projection.
            statements.append(Statement("""
                INSERT INTO \(schema).approvals (approval_id, tenant, mission_id, step_id, status, groups, requested_by, requested_at, expires_at, record)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (approval_id) DO UPDATE
                SET status = EXCLUDED.status, groups = EXCLUDED.groups, expires_at = EXCLUDED.expires_at, record = EXCLUDED.record
                """, [UUID(uuidString: approval.id) ?? UUID(), tenant, mission, approval.step, approval.status.rawValue,
                      PostgresTextArray(approval.groups), approval.requestedBy, approval.requestedAtUnixNanos, approval.expiresAtUnixNanos,
                      try ProtoSchema.encode(approval.proto(mission: state.id, missionName: state.definition.name))],
                prepared: true))
        }
        if let replayed = write.replayed {
            statements.append(Statement("""
                UPDATE \(schema).dead_steps SET replayed_at = $3, replayed_by = $4
                WHERE mission_id = $1 AND step_id = ANY($2::text[]) AND replayed_at IS NULL
                """, [mission, PostgresTextArray(replayed.steps), state.updatedAtUnixNanos, replayed.by], prepared: true))
        }
        return statements
    }
}

extension Array where Element == UInt8 {
    /// Lower-case hex, for a `bytea` in an array literal.
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
