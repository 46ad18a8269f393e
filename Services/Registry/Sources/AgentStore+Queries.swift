import AgionContract
import AgionEnvelope
import AgionStore
import Foundation

extension AgentStore {
    func get(_ id: AgentID, tenant: TenantID) async throws -> AgentRecord {
        try await pool.withConnection { try await load(id, tenant: tenant, on: $0) }
    }

    /// One page of a tenant's agents in id order, filtered; the token is the
    /// last id of the previous page (opaque to callers).
    func list(_ request: ListAgentsRequest, tenant: TenantID) async throws -> ListAgentsResponse {
        let after = try Self.decodePageToken(request.pageToken)
        var conditions = ["tenant = $1", "agent_id > $2"]
        var parameters: [any PostgresEncodable] = [tenant.value, after]
        if let capability = request.capability {
            parameters.append(PostgresTextArray([capability]))
            conditions.append("capabilities @> $\(parameters.count)::text[]")
        }
        if let status = request.status {
            parameters.append(status.column)
            conditions.append("status = $\(parameters.count)")
        }
        if let container = request.container {
            parameters.append(container)
            conditions.append("container = $\(parameters.count)")
        }
        let pageSize = Int(request.pageSize)
        parameters.append(pageSize + 1)
        let sql = """
            SELECT agent_id, \(recordColumns) FROM \(schema).agents WHERE \(conditions.joined(separator: " AND "))
            ORDER BY agent_id LIMIT $\(parameters.count)
            """
        let rows = try await pool.withConnection { try await $0.query(sql, parameters) }
        let records = try rows.prefix(pageSize).map(record(from:))
        let next = rows.count > pageSize ? Self.encodePageToken(records.last!.agent.id.description) : ""
        return ListAgentsResponse(agents: records, nextPageToken: next)
    }

    /// Healthy agents with `capability` (at most `limit`), before trust ordering.
    func healthy(with capability: String, tenant: TenantID, limit: Int) async throws -> [AgentRecord] {
        try await pool.withConnection { connection in
            try await connection.query("""
                SELECT \(recordColumns) FROM \(schema).agents
                WHERE tenant = $1 AND capabilities @> $2::text[] AND status = 1
                ORDER BY agent_id LIMIT $3
                """, [tenant.value, PostgresTextArray([capability]), limit], prepared: true).map(record(from:))
        }
    }

    /// Every definition an agent has had, oldest first.
    func versions(of id: AgentID, tenant: TenantID) async throws -> [AgentVersion] {
        try await pool.withConnection { connection in
            let rows = try await connection.query("""
                SELECT revision, definition, recorded_at FROM \(schema).agent_versions
                WHERE tenant = $1 AND agent_id = $2 ORDER BY revision
                """, [tenant.value, id.description], prepared: true)
            if rows.isEmpty { _ = try await load(id, tenant: tenant, on: connection) }
            return try rows.map { row in
                AgentVersion(revision: UInt32(try row.decode("revision", as: Int.self)),
                             agent: try Agent(proto: ProtoSchema.decode("agion.v1.Agent", from: try row.decode("definition", as: [UInt8].self))),
                             recordedAtUnixNanos: try row.decode("recorded_at"))
            }
        }
    }

    static func encodePageToken(_ lastID: String) -> String { PageToken.after([lastID]) }

    static func decodePageToken(_ token: String) throws -> String {
        guard let parts = try PageToken.parts(token, count: 1) else { return "" }
        guard (try? AgentID(parts[0])) != nil else { throw PageToken.invalidToken }
        return parts[0]
    }
}
