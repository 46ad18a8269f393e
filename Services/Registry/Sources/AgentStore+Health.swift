import AgionContract
import AgionEnvelope
import AgionStore

extension AgentStore {
    /// Records a heartbeat: the agent is healthy until `ttl` passes again.
    /// Returns the status after it; a recovery from unhealthy or offline is an event.
    func heartbeat(_ heartbeat: Heartbeat, tenant: TenantID, request: Envelope?) async throws -> AgentStatus {
        try await pool.withTransaction { connection in
            let rows = try await connection.query("""
                UPDATE \(schema).agents AS a SET status = 1, last_heartbeat_at = clock.now, ttl_seconds = $3::integer,
                    unhealthy_at = clock.now + $3::bigint * 1000000000,
                    offline_at = clock.now + $3::bigint * $4::bigint * 1000000000
                FROM (SELECT \(schema).now_nanos() AS now) AS clock,
                     (SELECT status FROM \(schema).agents WHERE tenant = $1 AND agent_id = $2 FOR UPDATE) AS previous
                WHERE a.tenant = $1 AND a.agent_id = $2 AND a.status <> 4
                RETURNING previous.status AS previous
                """, [tenant.value, heartbeat.agentID.description, Int(heartbeat.ttlSeconds), offlineAfterTTLs], prepared: true)
            guard let row = rows.first else {
                throw ErrorReply(code: ErrorReply.Code.notFound,
                                 message: "agent \(heartbeat.agentID) is not registered in tenant \(tenant); register it first",
                                 field: "agent_id")
            }
            let previous = try AgentStatus(protoValue: Int64(try row.decode("previous", as: Int.self)), field: "status")
            if previous != .healthy {
                try await enqueue(AgentHealthChanged(agentID: heartbeat.agentID, previous: previous, current: .healthy),
                                  type: RegistrySubjects.EventType.agentHealthChanged, event: "agent_health_changed",
                                  tenant: tenant, causedBy: request, on: connection)
            }
            return .healthy
        }
    }

    /// Marks an agent deregistered (kept for history) and announces it.
    func deregister(_ id: AgentID, reason: String, tenant: TenantID, request: Envelope?) async throws {
        try await pool.withTransaction { connection in
            let changed = try await connection.execute("""
                UPDATE \(schema).agents SET status = 4, updated_at = \(schema).now_nanos()
                WHERE tenant = $1 AND agent_id = $2 AND status <> 4
                """, [tenant.value, id.description], prepared: true)
            if changed == 0 {
                // Either unknown (an error) or already deregistered (idempotent).
                _ = try await load(id, tenant: tenant, on: connection)
                return
            }
            try await enqueue(AgentDeregistered(agentID: id, reason: reason), type: RegistrySubjects.EventType.agentDeregistered,
                              event: "agent_deregistered", tenant: tenant, causedBy: request, on: connection)
        }
    }

    /// One sweep: healthy agents past their TTL become unhealthy, agents past
    /// the offline deadline become offline, each with an event. Only one
    /// replica sweeps at a time (a transaction advisory lock); the others skip.
    /// Returns the number of agents changed.
    @discardableResult
    func sweep(limit: Int = 1_000) async throws -> Int {
        try await pool.withTransaction { connection in
            let locked = try await connection.query("SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked",
                                                    ["agion.\(schema).health_sweep"], prepared: true)
            guard try locked.first?.decode("locked", as: Bool.self) == true else { return 0 }
            var changed = 0
            for (from, to, deadline) in [([1, 2], AgentStatus.offline, "offline_at"), ([1], AgentStatus.unhealthy, "unhealthy_at")] {
                let rows = try await connection.query("""
                    WITH due AS (
                        SELECT tenant, agent_id, status FROM \(schema).agents
                        WHERE status = ANY($1::smallint[]) AND \(deadline) < \(schema).now_nanos()
                        ORDER BY \(deadline) LIMIT $3 FOR UPDATE SKIP LOCKED)
                    UPDATE \(schema).agents AS a SET status = $2
                    FROM due WHERE a.tenant = due.tenant AND a.agent_id = due.agent_id
                    RETURNING a.tenant, a.agent_id, due.status AS previous
                    """, ["{\(from.map(String.init).joined(separator: ","))}", to.column, limit], prepared: true)
                for row in rows {
                    let tenant = try TenantID(try row.decode("tenant", as: String.self))
                    let id = try AgentID(try row.decode("agent_id", as: String.self))
                    let previous = try AgentStatus(protoValue: Int64(try row.decode("previous", as: Int.self)), field: "status")
                    try await enqueue(AgentHealthChanged(agentID: id, previous: previous, current: to),
                                      type: RegistrySubjects.EventType.agentHealthChanged, event: "agent_health_changed",
                                      tenant: tenant, causedBy: nil, on: connection)
                }
                changed += rows.count
            }
            return changed
        }
    }
}
