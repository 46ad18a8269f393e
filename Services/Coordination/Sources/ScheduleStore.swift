import AgionContract
import AgionEnvelope
import AgionJSON
import AgionStore
import Foundation
import MissionsCore

/// Schedules in coordination's schema: what each starts and when (its
/// settings, as the `agion.v1.Schedule` it was created with), where it
/// stands (next firing, a buffered one, its last mission), and every
/// firing's outcome. A replica works on a due schedule under a lease
/// (`lease_until`), like mission timers: one that dies mid-firing leaves it
/// to another after the lease, and the firing's mission, keyed by the
/// firing, is started once whoever does it.
struct ScheduleStore: Sendable {
    let pool: ConnectionPool
    let schema: String

    struct Row: Sendable {
        var id: UUID
        var tenant: String
        var settings: ProtoMessage
        var spec: ScheduleSpec
        var paused: Bool
        var nextFireAt: Int64?
        var buffered: Int64?
        var lastMission: UUID?
        var lastFiredAt: Int64?
        var fired: Int64
        var skipped: Int64
        var lease: Int64
        var createdBy: String
        var createdAt: Int64
        var updatedAt: Int64

        /// As clients read it (`agion.v1.Schedule`).
        var view: ProtoMessage {
            var fields = settings.fields
            fields["schedule_id"] = .string(id.lowercasedString)
            fields["paused"] = .bool(paused)
            fields["next_fire_at_unix_nanos"] = .int(paused ? 0 : nextFireAt ?? 0)
            fields["last_fired_at_unix_nanos"] = .int(lastFiredAt ?? 0)
            fields["last_mission_id"] = .string(lastMission?.lowercasedString ?? "")
            fields["buffered_fire_at_unix_nanos"] = .int(buffered ?? 0)
            fields["fired_count"] = .int(fired)
            fields["skipped_count"] = .int(skipped)
            fields["created_by"] = .string(createdBy)
            fields["created_at_unix_nanos"] = .int(createdAt)
            fields["updated_at_unix_nanos"] = .int(updatedAt)
            return ProtoMessage("agion.v1.Schedule", fields)
        }
    }

    static let columns = """
        schedule_id, tenant, settings, paused, next_fire_at, buffered_fire_at, last_mission_id, last_fired_at, fired, skipped, lease_until,
        created_by, created_at, updated_at
        """

    static func row(_ row: AgionStore.Row) throws -> Row {
        let settings = try ProtoSchema.decode("agion.v1.Schedule", from: try row.decode("settings", as: [UInt8].self))
        guard let spec = try? ScheduleSettings.spec(settings) else {
            throw ErrorReply(code: .internalError, message: "a stored schedule could not be read", retriable: false)
        }
        return Row(id: try row.decode("schedule_id"), tenant: try row.decode("tenant"), settings: settings, spec: spec, paused: try row.decode("paused"),
                   nextFireAt: try row.decode("next_fire_at"), buffered: try row.decode("buffered_fire_at"), lastMission: try row.decode("last_mission_id"),
                   lastFiredAt: try row.decode("last_fired_at"), fired: try row.decode("fired"), skipped: try row.decode("skipped"),
                   lease: try row.decode("lease_until"), createdBy: try row.decode("created_by"), createdAt: try row.decode("created_at"),
                   updatedAt: try row.decode("updated_at"))
    }

    func create(id: UUID, tenant: String, settings: ProtoMessage, nextFireAt: Int64?, paused: Bool, createdBy: String, now: Int64) async throws -> Row {
        let rows = try await pool.withConnection { connection in
            try await connection.query("""
                INSERT INTO \(schema).schedules (schedule_id, tenant, name, settings, paused, next_fire_at, created_by, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING \(Self.columns)
                """, [id, tenant, settings.string("name"), try ProtoSchema.encode(settings), paused, nextFireAt, createdBy, now])
        }
        return try Self.row(rows[0])
    }

    func get(_ id: UUID, tenant: String) async throws -> Row? {
        try await pool.withConnection { connection in
            try await connection.query("SELECT \(Self.columns) FROM \(schema).schedules WHERE schedule_id = $1 AND tenant = $2", [id, tenant],
                                       prepared: true)
        }.first.map(Self.row)
    }

    func list(tenant: String, pageSize: Int, after: (Int64, UUID)?) async throws -> [Row] {
        try await pool.withConnection { connection in
            if let (created, id) = after {
                return try await connection.query("""
                    SELECT \(Self.columns) FROM \(schema).schedules WHERE tenant = $1 AND (created_at, schedule_id) < ($2, $3)
                    ORDER BY created_at DESC, schedule_id DESC LIMIT $4
                    """, [tenant, created, id, pageSize])
            }
            return try await connection.query("""
                SELECT \(Self.columns) FROM \(schema).schedules WHERE tenant = $1 ORDER BY created_at DESC, schedule_id DESC LIMIT $2
                """, [tenant, pageSize])
        }.map(Self.row)
    }

    /// Pauses or resumes; a resumed schedule fires next at `nextFireAt`
    /// (what was due while it was paused is not caught up).
    func setPaused(_ id: UUID, tenant: String, paused: Bool, nextFireAt: Int64?, now: Int64) async throws -> Row? {
        try await pool.withConnection { connection in
            try await connection.query("""
                UPDATE \(schema).schedules SET paused = $3, next_fire_at = CASE WHEN $3 THEN next_fire_at ELSE $4 END,
                       buffered_fire_at = CASE WHEN $3 THEN buffered_fire_at ELSE NULL END, updated_at = $5
                WHERE schedule_id = $1 AND tenant = $2 RETURNING \(Self.columns)
                """, [id, tenant, paused, nextFireAt, now])
        }.first.map(Self.row)
    }

    /// Deletes it and its firings' record (the missions it started stay).
    func delete(_ id: UUID, tenant: String) async throws -> Row? {
        let deleted = try await pool.withConnection { connection in
            try await connection.query("DELETE FROM \(schema).schedules WHERE schedule_id = $1 AND tenant = $2 RETURNING \(Self.columns)", [id, tenant])
        }.first.map(Self.row)
        if deleted != nil {
            _ = try await pool.withConnection { try await $0.execute("DELETE FROM \(schema).schedule_firings WHERE schedule_id = $1", [id]) }
        }
        return deleted
    }

    /// Claims up to `limit` schedules with something due at `now` (of one
    /// tenant's, when given) for `lease`.
    func claimDue(now: Int64, lease: Duration, limit: Int, tenant: String? = nil) async throws -> [Row] {
        let until = now + Int64(lease / .nanoseconds(1))
        let filter = tenant == nil ? "" : " AND tenant = $4"
        var parameters: [any PostgresEncodable] = [now, until, limit]
        if let tenant { parameters.append(tenant) }
        return try await pool.withConnection { connection in
            try await connection.query("""
                UPDATE \(schema).schedules SET lease_until = $2
                WHERE schedule_id IN (
                    SELECT schedule_id FROM \(schema).schedules
                    WHERE NOT paused AND lease_until < $1 AND (next_fire_at <= $1 OR buffered_fire_at IS NOT NULL)\(filter)
                    ORDER BY next_fire_at LIMIT $3 FOR UPDATE SKIP LOCKED)
                RETURNING \(Self.columns)
                """, parameters)
        }.map(Self.row)
    }

    /// Claims one schedule for a firing on request; nil if another replica holds it now.
    func claim(_ id: UUID, tenant: String, now: Int64, lease: Duration) async throws -> Row? {
        try await pool.withConnection { connection in
            try await connection.query("""
                UPDATE \(schema).schedules SET lease_until = $4 WHERE schedule_id = $1 AND tenant = $2 AND lease_until < $3 RETURNING \(Self.columns)
                """, [id, tenant, now, now + Int64(lease / .nanoseconds(1))])
        }.first.map(Self.row)
    }

    struct Recorded: Sendable {
        var at: Int64
        var outcome: FiringOutcome
        var mission: UUID?
        var manual = false
    }

    /// Stores what a claim led to and lets go of it, in one transaction;
    /// false when the lease was lost (another replica took over).
    func complete(_ row: Row, next: Int64?, buffered: Int64?, lastMission: UUID?, firings: [Recorded], now: Int64) async throws -> Bool {
        var statements = [Statement("""
            UPDATE \(schema).schedules SET next_fire_at = $3, buffered_fire_at = $4, last_mission_id = $5,
                   last_fired_at = coalesce($6, last_fired_at), fired = fired + $7, skipped = skipped + $8, lease_until = 0, updated_at = $9
            WHERE schedule_id = $1 AND lease_until = $2
            """, [row.id, row.lease, next, buffered, lastMission, firings.filter { !$0.manual }.map(\.at).max(),
                  Int64(firings.filter { $0.outcome == .started }.count),
                  Int64(firings.filter { $0.outcome == .skippedOverlap || $0.outcome == .skippedMissed }.count), now],
            expectAffected: 1)]
        if !firings.isEmpty {
            statements.append(Statement("""
                INSERT INTO \(schema).schedule_firings (schedule_id, fire_at, outcome, mission_id, recorded_at, manual)
                SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::uuid[], $5::bigint[], $6::boolean[])
                ON CONFLICT (schedule_id, fire_at) DO UPDATE SET outcome = EXCLUDED.outcome, mission_id = EXCLUDED.mission_id
                """, [row.id, PostgresTextArray(firings.map { String($0.at) }), PostgresTextArray(firings.map(\.outcome.rawValue)),
                      PostgresTextArray(nullable: firings.map { $0.mission?.lowercasedString }),
                      PostgresTextArray(firings.map { _ in String(now) }), PostgresTextArray(firings.map { $0.manual ? "true" : "false" })]))
        }
        return try await pool.transaction(statements) != nil
    }

    func firings(_ id: UUID, pageSize: Int, before: Int64?) async throws -> [ProtoMessage] {
        try await pool.withConnection { connection in
            try await connection.query("""
                SELECT fire_at, outcome, mission_id, recorded_at, manual FROM \(schema).schedule_firings
                WHERE schedule_id = $1 AND fire_at < $2 ORDER BY fire_at DESC LIMIT $3
                """, [id, before ?? Int64.max, pageSize])
        }.map { row in
            ProtoMessage("agion.v1.ScheduleFiring", [
                "schedule_id": .string(id.lowercasedString), "fire_at_unix_nanos": .int(try row.decode("fire_at")),
                "outcome": .string(try row.decode("outcome")), "mission_id": .string((try row.decode("mission_id", as: UUID?.self))?.lowercasedString ?? ""),
                "recorded_at_unix_nanos": .int(try row.decode("recorded_at")), "manual": .bool(try row.decode("manual")),
            ])
        }
    }
}

/// A schedule's settings as the client gave them, checked: each refusal
/// names its field (`cron` with the cron field at fault, `time_zone`, ...).
enum ScheduleSettings {
    static func spec(_ settings: ProtoMessage) throws -> ScheduleSpec {
        let cron: CronExpression
        do { cron = try CronExpression(settings.string("cron")) } catch {
            throw ErrorReply(code: .invalidArgument, message: error.field == "cron" ? error.reason : "\(error.field): \(error.reason)", field: "cron")
        }
        let zoneName = settings.string("time_zone").isEmpty ? "UTC" : settings.string("time_zone")
        // An IANA name is letters, digits and `_+-/`: nothing else reaches the
        // zone database (whose lookup reads files named after it).
        let named = zoneName.utf8.count <= 64 && !zoneName.contains("..") && zoneName.utf8.allSatisfy { byte in
            (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || [95, 43, 45, 47].contains(byte)
        }
        guard named, let zone = TimeZone(identifier: zoneName) else {
            throw ErrorReply(code: .invalidArgument, message: "'\(zoneName)' is not an IANA time zone (such as Europe/Berlin or UTC)", field: "time_zone")
        }
        let overlapName = settings.string("overlap").isEmpty ? OverlapPolicy.skip.rawValue : settings.string("overlap")
        guard let overlap = OverlapPolicy(rawValue: overlapName) else {
            throw ErrorReply(code: .invalidArgument, message: "one of \(OverlapPolicy.allCases.map(\.rawValue).joined(separator: ", "))", field: "overlap")
        }
        let catchUp = Int(settings.int("catch_up_window_seconds"))
        guard ScheduleSpec.catchUpSeconds.contains(catchUp) else {
            throw ErrorReply(code: .invalidArgument, message: "0 to \(ScheduleSpec.catchUpSeconds.upperBound) seconds", field: "catch_up_window_seconds")
        }
        // At least a minute: a firing seen a few seconds late (a restart at
        // its time, a busy replica) is a late start, never a miss.
        return ScheduleSpec(cron: cron, timeZone: zone, overlap: overlap, catchUpWindowSeconds: max(catchUp, ScheduleSpec.defaultCatchUpSeconds))
    }

    /// The settings kept from a create request, normalized (defaults written
    /// out), with the template checked as a submission would be.
    static func validated(_ request: ProtoMessage?, now: Int64) throws -> (settings: ProtoMessage, spec: ScheduleSpec) {
        guard let schedule = request else { throw ErrorReply(code: .invalidArgument, message: "the schedule is missing", field: "schedule") }
        let name = schedule.string("name")
        guard name.utf8.count <= 200, !name.unicodeScalars.contains(where: { $0.value < 32 }) else {
            throw ErrorReply(code: .invalidArgument, message: "at most 200 bytes, no control characters", field: "name")
        }
        let spec = try spec(schedule)
        guard let definition = schedule.message("definition") else {
            throw ErrorReply(code: .invalidArgument, message: "the mission to start is missing", field: "definition")
        }
        let parsed: MissionDefinition
        do throws(DefinitionError) { parsed = try MissionDefinition.parse(proto: definition, nowUnixNanos: now) } catch {
            throw ErrorReply(code: .invalidArgument, message: error.reason, field: "definition." + error.field)
        }
        if case .at? = parsed.deadline {
            throw ErrorReply(code: .invalidArgument, message: "a template's deadline is deadline_seconds (after each start), not a moment",
                             field: "definition.deadline")
        }
        let settings = ProtoMessage("agion.v1.Schedule", [
            "name": .string(name), "cron": .string(spec.cron.description), "time_zone": .string(schedule.string("time_zone").isEmpty ? "UTC" : schedule.string("time_zone")),
            "overlap": .string(spec.overlap.rawValue), "catch_up_window_seconds": .uint(UInt64(spec.catchUpWindowSeconds)),
            "definition": .message(parsed.proto),
        ])
        return (settings, spec)
    }
}
