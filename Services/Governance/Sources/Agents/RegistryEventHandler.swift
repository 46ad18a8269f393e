import AgionBus
import AgionContract
import AgionEnvelope
import AgionStore

/// Keeps governance's view of agents (`agents` table) in step with the
/// registry's events. Idempotent and order-safe: a row changes only for an
/// event newer than what it holds, so redeliveries and reordering between
/// replicas do nothing.
struct RegistryEventHandler: Sendable {
    let pool: ConnectionPool
    let schema: String
    let directory: AgentDirectory

    func handle(_ envelope: Envelope) async throws {
        let tenant = try envelope.tenantID()
        let change: (AgentID, AgentStatus)?
        switch envelope.type {
        case RegistrySubjects.EventType.agentRegistered, RegistrySubjects.EventType.agentUpdated:
            let record = try envelope.payload(as: AgentRegistered.self).record
            change = (record.agent.id, record.status)
        case RegistrySubjects.EventType.agentDeregistered:
            change = (try envelope.payload(as: AgentDeregistered.self).agentID, .deregistered)
        case RegistrySubjects.EventType.agentHealthChanged:
            let event = try envelope.payload(as: AgentHealthChanged.self)
            change = (event.agentID, event.current)
        default:
            change = nil  // A newer registry's event type: not ours to interpret.
        }
        guard let (agent, status) = change else { return }
        let changed = try await pool.withConnection { connection in
            try await connection.execute("""
                INSERT INTO \(schema).agents (tenant, agent_id, status, updated_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (tenant, agent_id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
                WHERE \(schema).agents.updated_at < EXCLUDED.updated_at
                """, [tenant.value, agent.description, Int(status.rawValue), envelope.occurredAtUnixNanos], prepared: true)
        }
        if changed > 0 { await directory.invalidate(tenant: tenant.value, agent: agent.description) }
    }
}
