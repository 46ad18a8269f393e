import AgionContract
import AgionEnvelope
import AgionStore
import Foundation
import MissionsCore

extension MissionStore {
    /// A tenant's missions, newest first, a page at a time (keyset on
    /// submission time and id, so pages hold still while missions are added).
    func list(_ request: ProtoMessage, tenant: String) async throws -> ProtoMessage {
        var conditions = ["tenant = $1"]
        var parameters: [any PostgresEncodable] = [tenant]
        func add(_ condition: (Int) -> String, _ value: any PostgresEncodable) {
            parameters.append(value)
            conditions.append(condition(parameters.count))
        }
        let status = request.int("status")
        if status != 0 {
            guard let wanted = MissionState.Status(protoValue: status) else {
                throw ErrorReply(code: .invalidArgument, message: "unknown status", field: "status")
            }
            add({ "status = $\($0)" }, wanted.rawValue)
        }
        if !request.string("name").isEmpty { add({ "name = $\($0)" }, request.string("name")) }
        if request.int("since_unix_nanos") != 0 { add({ "submitted_at >= $\($0)" }, request.int("since_unix_nanos")) }
        if request.int("until_unix_nanos") != 0 { add({ "submitted_at < $\($0)" }, request.int("until_unix_nanos")) }
        if let after = try PageToken.parts(request.string("page_token"), count: 2) {
            guard let submitted = Int64(after[0]), let id = UUID(uuidString: after[1]) else { throw PageToken.invalidToken }
            parameters += [submitted, id]
            conditions.append("(submitted_at, mission_id) < ($\(parameters.count - 1), $\(parameters.count))")
        }
        let pageSize = min(max(Int(request.int("page_size")), 0), 500)
        let size = pageSize == 0 ? 50 : pageSize
        let rows = try await pool.withConnection { connection in
            try await connection.query("""
                SELECT state FROM \(schema).missions WHERE \(conditions.joined(separator: " AND "))
                ORDER BY submitted_at DESC, mission_id DESC LIMIT \(size + 1)
                """, parameters)
        }
        let states = try rows.prefix(size).map { try Self.state(try $0.decode("state", as: [UInt8].self)) }
        let next = rows.count > size ? PageToken.after([String(states.last!.submittedAtUnixNanos), states.last!.id]) : ""
        return ProtoMessage("agion.v1.ListMissionsResponse", ["missions": .list(states.map { .message($0.summary) }),
                                                              "next_page_token": .string(next)])
    }

    /// A mission's events after `after`, oldest first; nil when the tenant has no such mission.
    func events(_ mission: UUID, tenant: String, after: Int64, limit: Int) async throws -> (events: [ProtoMessage], last: Int64)? {
        try await pool.withConnection { connection in
            let head = try await connection.query("SELECT position FROM \(schema).missions WHERE mission_id = $1 AND tenant = $2",
                                                  [mission, tenant], prepared: true)
            guard let last = try head.first?.decode("position", as: Int64.self) else { return nil }
            let rows = try await connection.query("""
                SELECT envelope FROM \(schema).mission_events WHERE stream = $1 AND position > $2 ORDER BY position LIMIT $3
                """, [Self.stream(mission.lowercasedString), after, limit], prepared: true)
            let events = try rows.map { row in
                try ProtoSchema.decode("agion.v1.MissionEvent", from: try Envelope(decoding: try row.decode("envelope", as: [UInt8].self)).payload)
            }
            return (events, last)
        }
    }

    // MARK: Timers

    /// Timers due by `now`, each claimed for `lease` (its due time moved on,
    /// so another replica leaves it alone; if this one dies, it fires again
    /// after the lease).
    /// Claims up to `limit` timers due by `now` (of one tenant's, when given).
    func claimDueTimers(now: Int64, lease: Duration, limit: Int, tenant: String? = nil) async throws
        -> [(mission: UUID, kind: String, tenant: String, claimedDue: Int64)] {
        let claimedDue = now + Int64(lease / .nanoseconds(1))
        let rows = try await pool.withConnection { connection in
            if let tenant {
                return try await connection.query("""
                    UPDATE \(schema).mission_timers SET due_at = $2
                    WHERE (mission_id, kind) IN (
                        SELECT mission_id, kind FROM \(schema).mission_timers WHERE due_at <= $1 AND tenant = $4
                        ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED)
                    RETURNING mission_id, kind, tenant
                    """, [now, claimedDue, limit, tenant], prepared: true)
            }
            return try await connection.query("""
                UPDATE \(schema).mission_timers SET due_at = $2
                WHERE (mission_id, kind) IN (
                    SELECT mission_id, kind FROM \(schema).mission_timers WHERE due_at <= $1 ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED)
                RETURNING mission_id, kind, tenant
                """, [now, claimedDue, limit], prepared: true)
        }
        return try rows.map { (try $0.decode("mission_id", as: UUID.self), try $0.decode("kind"), try $0.decode("tenant"), claimedDue) }
    }

    /// Removes a fired timer, unless the decision it led to set it again.
    func release(_ mission: UUID, kind: String, claimedDue: Int64) async throws {
        _ = try await pool.withConnection { connection in
            try await connection.execute("DELETE FROM \(schema).mission_timers WHERE mission_id = $1 AND kind = $2 AND due_at = $3",
                                         [mission, kind, claimedDue], prepared: true)
        }
    }

    /// When the next timer is due, if any (to sleep until then).
    func nextDue() async throws -> Int64? {
        try await pool.withConnection { connection in
            try await connection.query("SELECT min(due_at) AS due FROM \(schema).mission_timers", prepared: true).first?.decode("due", as: Int64?.self)
        }
    }
}

extension MissionStore {
    /// A tenant's dead steps, newest first, a page at a time.
    func deadSteps(_ request: ProtoMessage, tenant: String) async throws -> ProtoMessage {
        var conditions = ["tenant = $1"]
        var parameters: [any PostgresEncodable] = [tenant]
        if !request.string("mission_id").isEmpty {
            parameters.append(try CoordinationHandlers.missionID(request))
            conditions.append("mission_id = $\(parameters.count)")
        }
        if !request.bool("include_replayed") { conditions.append("replayed_at IS NULL") }
        if let after = try PageToken.parts(request.string("page_token"), count: 4) {
            guard let deadAt = Int64(after[0]), let mission = UUID(uuidString: after[1]), let attempt = Int(after[3]) else { throw PageToken.invalidToken }
            parameters += [deadAt, mission, after[2], attempt]
            let n = parameters.count
            conditions.append("(dead_at, mission_id, step_id, attempt) < ($\(n - 3), $\(n - 2), $\(n - 1), $\(n))")
        }
        let pageSize = min(max(Int(request.int("page_size")), 0), 500)
        let size = pageSize == 0 ? 50 : pageSize
        let rows = try await pool.withConnection { connection in
            try await connection.query("""
                SELECT mission_id, step_id, attempt, dead_at, entry, replayed_at, replayed_by FROM \(schema).dead_steps
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY dead_at DESC, mission_id DESC, step_id DESC, attempt DESC LIMIT \(size + 1)
                """, parameters)
        }
        var steps: [ProtoMessage] = []
        for row in rows.prefix(size) {
            var entry = try ProtoSchema.decode("agion.v1.DeadStep", from: try row.decode("entry", as: [UInt8].self))
            if let replayedAt = try row.decode("replayed_at", as: Int64?.self) {
                entry["replayed_at_unix_nanos"] = .int(replayedAt)
                entry["replayed_by"] = .string(try row.decode("replayed_by", as: String?.self) ?? "")
            }
            steps.append(entry)
        }
        var next = ""
        if rows.count > size, let last = rows.prefix(size).last {
            next = PageToken.after([String(try last.decode("dead_at", as: Int64.self)), try last.decode("mission_id", as: UUID.self).lowercasedString,
                                    try last.decode("step_id", as: String.self), String(try last.decode("attempt", as: Int.self))])
        }
        return ProtoMessage("agion.v1.ListDeadStepsResponse", ["steps": .list(steps.map { .message($0) }), "next_page_token": .string(next)])
    }
}

extension MissionStore {
    /// Where an approval request is: its mission and step; nil when the tenant has none with this id.
    func approvalLocation(_ approval: UUID, tenant: String) async throws -> (mission: UUID, step: String)? {
        let rows = try await pool.withConnection { connection in
            try await connection.query("SELECT mission_id, step_id FROM \(schema).approvals WHERE approval_id = $1 AND tenant = $2",
                                       [approval, tenant], prepared: true)
        }
        guard let row = rows.first else { return nil }
        return (try row.decode("mission_id", as: UUID.self), try row.decode("step_id", as: String.self))
    }

    func approval(_ approval: UUID, tenant: String) async throws -> ProtoMessage? {
        let rows = try await pool.withConnection { connection in
            try await connection.query("SELECT record FROM \(schema).approvals WHERE approval_id = $1 AND tenant = $2", [approval, tenant],
                                       prepared: true)
        }
        return try rows.first.map { try ProtoSchema.decode("agion.v1.Approval", from: try $0.decode("record", as: [UInt8].self)) }
    }

    /// A tenant's approval requests, newest first, a page at a time; with
    /// `mine`, only the pending ones `approver` may decide (not their own
    /// missions', and within the groups each names).
    func approvals(_ request: ProtoMessage, tenant: String, approver: Approver) async throws -> ProtoMessage {
        var conditions = ["tenant = $1"]
        var parameters: [any PostgresEncodable] = [tenant]
        func add(_ condition: (Int) -> String, _ value: any PostgresEncodable) {
            parameters.append(value)
            conditions.append(condition(parameters.count))
        }
        var status = request.string("status")
        if request.bool("mine") {
            guard approver.isAllowedRole else {
                return ProtoMessage("agion.v1.ListApprovalsResponse", ["approvals": .list([]), "next_page_token": .string("")])
            }
            if status.isEmpty { status = Approval.Status.pending.rawValue }
            add({ "requested_by <> $\($0)" }, approver.subject)
            add({ "(groups = '{}' OR groups && $\($0)::text[])" }, PostgresTextArray(approver.groups))
        }
        if !status.isEmpty {
            guard Approval.Status(rawValue: status) != nil else {
                throw ErrorReply(code: .invalidArgument, message: "one of \(Approval.Status.allCases.map(\.rawValue).joined(separator: ", "))",
                                 field: "status")
            }
            add({ "status = $\($0)" }, status)
        }
        if !request.string("mission_id").isEmpty {
            guard let mission = UUID(uuidString: request.string("mission_id")) else {
                throw ErrorReply(code: .invalidArgument, message: "a mission id is a UUID", field: "mission_id")
            }
            add({ "mission_id = $\($0)" }, mission)
        }
        if let after = try PageToken.parts(request.string("page_token"), count: 2) {
            guard let requested = Int64(after[0]), let id = UUID(uuidString: after[1]) else { throw PageToken.invalidToken }
            parameters += [requested, id]
            conditions.append("(requested_at, approval_id) < ($\(parameters.count - 1), $\(parameters.count))")
        }
        let pageSize = min(max(Int(request.int("page_size")), 0), 500)
        let size = pageSize == 0 ? 50 : pageSize
        let rows = try await pool.withConnection { connection in
            try await connection.query("""
                SELECT record, requested_at, approval_id FROM \(schema).approvals WHERE \(conditions.joined(separator: " AND "))
                ORDER BY requested_at DESC, approval_id DESC LIMIT \(size + 1)
                """, parameters)
        }
        let page = Array(rows.prefix(size))
        let approvals = try page.map { try ProtoSchema.decode("agion.v1.Approval", from: try $0.decode("record", as: [UInt8].self)) }
        var next = ""
        if rows.count > size, let last = page.last {
            next = PageToken.after([String(try last.decode("requested_at", as: Int64.self)), try last.decode("approval_id", as: UUID.self).lowercasedString])
        }
        return ProtoMessage("agion.v1.ListApprovalsResponse", ["approvals": .list(approvals.map { .message($0) }), "next_page_token": .string(next)])
    }
}

extension MissionStore {
    /// How many of the tenant's missions run now (for its limit).
    func runningMissions(tenant: String) async throws -> Int {
        try await pool.withConnection { connection in
            try await connection.query("SELECT count(*) AS n FROM \(schema).missions WHERE tenant = $1 AND status = 'running'", [tenant], prepared: true)
        }.first?.decode("n") ?? 0
    }
}
