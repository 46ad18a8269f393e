import AgionStore
import Foundation

/// Tenants and API keys in the gateway's schema.
struct KeyStore: Sendable {
    let pool: ConnectionPool
    let schema: String

    struct KeyRecord: Sendable, Hashable {
        let keyID: String
        let tenant: String
        let name: String
        let role: Credential.Role
        let agentScope: String?
        let platform: Bool
        let groups: [String]
        let digest: [UInt8]
        let createdBy: String
        let createdAt: Date
        let revokedAt: Date?

        var credential: Credential {
            Credential(tenant: tenant, role: role, subject: "key:" + keyID, agentScope: agentScope, platform: platform, groups: groups)
        }
    }

    struct TenantRecord: Sendable, Hashable {
        let tenant: String
        let displayName: String
        let createdAt: Date
    }

    private static let keyColumns = """
        key_id, tenant, name, role, agent_scope, platform, array_to_string(groups, ',') AS groups, secret_sha256, created_by,
        (extract(epoch FROM created_at) * 1000)::bigint AS created_ms, (extract(epoch FROM revoked_at) * 1000)::bigint AS revoked_ms
        """

    /// Creates the tenant; false if it already exists.
    func createTenant(_ tenant: String, displayName: String, on connection: Connection) async throws -> Bool {
        try await connection.execute("INSERT INTO \(schema).tenants (tenant, display_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                                     [tenant, displayName]) == 1
    }

    func tenants() async throws -> [TenantRecord] {
        try await pool.withConnection { connection in
            try await connection.query("SELECT tenant, display_name, (extract(epoch FROM created_at) * 1000)::bigint AS created_ms FROM \(schema).tenants ORDER BY tenant")
        }.map { row in
            TenantRecord(tenant: try row.decode("tenant"), displayName: try row.decode("display_name"), createdAt: Self.date(try row.decode("created_ms")))
        }
    }

    func tenantExists(_ tenant: String) async throws -> Bool {
        try await pool.withConnection { connection in
            try await !connection.query("SELECT 1 FROM \(schema).tenants WHERE tenant = $1", [tenant], prepared: true).isEmpty
        }
    }

    /// A new key; the caller shows `APIKey` once and never again.
    func createKey(tenant: String, name: String, role: Credential.Role, agentScope: String?, platform: Bool = false, groups: [String] = [],
                   createdBy: String, key: APIKey = .generate(), on connection: Connection) async throws -> (APIKey, KeyRecord) {
        let rows = try await connection.query("""
            INSERT INTO \(schema).api_keys (key_id, tenant, name, role, agent_scope, platform, groups, secret_sha256, created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING \(Self.keyColumns)
            """, [key.keyID, tenant, name, role.rawValue, agentScope, platform, PostgresTextArray(groups), key.secretDigest, createdBy])
        return (key, try Self.keyRecord(rows[0]))
    }

    func keys(tenant: String) async throws -> [KeyRecord] {
        try await pool.withConnection { connection in
            try await connection.query("SELECT \(Self.keyColumns) FROM \(schema).api_keys WHERE tenant = $1 ORDER BY created_at, key_id", [tenant])
        }.map(Self.keyRecord)
    }

    func key(id: String) async throws -> KeyRecord? {
        try await pool.withConnection { connection in
            try await connection.query("SELECT \(Self.keyColumns) FROM \(schema).api_keys WHERE key_id = $1", [id], prepared: true)
        }.first.map(Self.keyRecord)
    }

    /// Revokes a key of `tenant`; nil when the tenant has no such key.
    func revoke(tenant: String, keyID: String) async throws -> KeyRecord? {
        try await pool.withConnection { connection in
            try await connection.query("""
                UPDATE \(schema).api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE tenant = $1 AND key_id = $2 RETURNING \(Self.keyColumns)
                """, [tenant, keyID])
        }.first.map(Self.keyRecord)
    }

    func hasPlatformAdmin(on connection: Connection) async throws -> Bool {
        try await !connection.query("SELECT 1 FROM \(schema).api_keys WHERE platform AND revoked_at IS NULL LIMIT 1").isEmpty
    }

    private static func keyRecord(_ row: Row) throws -> KeyRecord {
        let role: String = try row.decode("role")
        return KeyRecord(keyID: try row.decode("key_id"), tenant: try row.decode("tenant"), name: try row.decode("name"),
                         role: Credential.Role(rawValue: role) ?? .viewer, agentScope: try row.decode("agent_scope"),
                         platform: try row.decode("platform"),
                         groups: (try row.decode("groups", as: String.self)).split(separator: ",").map(String.init), digest: try row.decode("secret_sha256"), createdBy: try row.decode("created_by"),
                         createdAt: date(try row.decode("created_ms")), revokedAt: (try row.decode("revoked_ms", as: Int64?.self)).map(date))
    }

    private static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1_000) }
}
