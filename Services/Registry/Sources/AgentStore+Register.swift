import AgionContract
import AgionEnvelope
import AgionStore

extension AgentStore {
    /// Registers or updates the agents of one container, atomically.
    ///
    /// Registering an unchanged definition is idempotent (the agent is marked
    /// alive, nothing else changes); a changed definition becomes the next
    /// revision, and the previous one stays in `agent_versions`.
    func register(_ agents: [Agent], tenant: TenantID, request: Envelope?) async throws -> [AgentRecord] {
        try await pool.withTransaction { connection in
            var records: [AgentRecord] = []
            for agent in agents {
                records.append(try await register(agent, tenant: tenant, request: request, on: connection))
            }
            return records
        }
    }

    private func register(_ agent: Agent, tenant: TenantID, request: Envelope?, on connection: Connection) async throws -> AgentRecord {
        let definition = try ProtoSchema.encode(agent.proto)
        let ttl = Int(Heartbeat.defaultTTL)
        if try await insertIfNew(agent, definition: definition, ttl: ttl, tenant: tenant, on: connection) {
            let record = try await load(agent.id, tenant: tenant, on: connection)
            try await recordVersion(agent, definition: definition, revision: 1, tenant: tenant, on: connection)
            try await enqueue(AgentRegistered(record: record), type: RegistrySubjects.EventType.agentRegistered,
                              event: "agent_registered", tenant: tenant, causedBy: request, on: connection)
            return record
        }
        // It exists (or a replica inserted it a moment ago): lock it and compare.
        let current = try await connection.query("""
            SELECT definition, status, revision FROM \(schema).agents WHERE tenant = $1 AND agent_id = $2 FOR UPDATE
            """, [tenant.value, agent.id.description], prepared: true)[0]
        let previousStatus = try AgentStatus(protoValue: Int64(try current.decode("status", as: Int.self)), field: "status")
        let changed = try current.decode("definition", as: [UInt8].self) != definition
        let revision = try current.decode("revision", as: Int.self) + (changed ? 1 : 0)
        try await connection.execute("""
            UPDATE \(schema).agents SET definition = $3, capabilities = $4, status = 1, revision = $5,
                updated_at = CASE WHEN $6 THEN \(schema).now_nanos() ELSE updated_at END,
                registered_at = CASE WHEN status = 4 THEN \(schema).now_nanos() ELSE registered_at END,
                last_heartbeat_at = \(schema).now_nanos(), ttl_seconds = $7::integer,
                unhealthy_at = \(schema).now_nanos() + $7::bigint * 1000000000,
                offline_at = \(schema).now_nanos() + $7::bigint * $8::bigint * 1000000000
            WHERE tenant = $1 AND agent_id = $2
            """, [tenant.value, agent.id.description, definition, PostgresTextArray(agent.capabilities), revision,
                  changed || previousStatus == .deregistered, ttl, offlineAfterTTLs], prepared: true)
        let record = try await load(agent.id, tenant: tenant, on: connection)
        if changed {
            try await recordVersion(agent, definition: definition, revision: revision, tenant: tenant, on: connection)
        }
        if previousStatus == .deregistered {
            try await enqueue(AgentRegistered(record: record), type: RegistrySubjects.EventType.agentRegistered,
                              event: "agent_registered", tenant: tenant, causedBy: request, on: connection)
        } else {
            if changed {
                try await enqueue(AgentRegistered(record: record), type: RegistrySubjects.EventType.agentUpdated,
                                  event: "agent_updated", tenant: tenant, causedBy: request, on: connection)
            }
            if previousStatus != .healthy {
                try await enqueue(AgentHealthChanged(agentID: agent.id, previous: previousStatus, current: .healthy),
                                  type: RegistrySubjects.EventType.agentHealthChanged, event: "agent_health_changed",
                                  tenant: tenant, causedBy: request, on: connection)
            }
        }
        return record
    }

    /// Inserts a first registration; false when the agent already exists.
    private func insertIfNew(_ agent: Agent, definition: [UInt8], ttl: Int, tenant: TenantID, on connection: Connection) async throws -> Bool {
        try await connection.execute("""
            INSERT INTO \(schema).agents (tenant, agent_id, container, definition, capabilities, status, revision,
                ttl_seconds, registered_at, updated_at, last_heartbeat_at, unhealthy_at, offline_at)
            SELECT $1, $2, $3, $4, $5, 1, 1, $6::integer, now, now, now, now + $6::bigint * 1000000000,
                now + $6::bigint * $7::bigint * 1000000000
            FROM (SELECT \(schema).now_nanos() AS now) AS clock
            ON CONFLICT (tenant, agent_id) DO NOTHING
            """, [tenant.value, agent.id.description, agent.container, definition, PostgresTextArray(agent.capabilities),
                  ttl, offlineAfterTTLs], prepared: true) == 1
    }

    private func recordVersion(_ agent: Agent, definition: [UInt8], revision: Int, tenant: TenantID, on connection: Connection) async throws {
        try await connection.execute("""
            INSERT INTO \(schema).agent_versions (tenant, agent_id, revision, version, definition, recorded_at)
            VALUES ($1, $2, $3, $4, $5, \(schema).now_nanos())
            """, [tenant.value, agent.id.description, revision, agent.version, definition], prepared: true)
    }

    func load(_ id: AgentID, tenant: TenantID, on connection: Connection) async throws -> AgentRecord {
        let rows = try await connection.query("SELECT \(recordColumns) FROM \(schema).agents WHERE tenant = $1 AND agent_id = $2",
                                              [tenant.value, id.description], prepared: true)
        guard let row = rows.first else { throw ErrorReply(code: ErrorReply.Code.notFound, message: "no agent \(id) in tenant \(tenant)", field: "agent_id") }
        return try record(from: row)
    }
}
