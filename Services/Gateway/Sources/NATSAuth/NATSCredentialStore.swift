import AgionStore
import Foundation

/// Agent containers' NATS credentials in the gateway's schema: who has which,
/// for which agents, and which are revoked (the tenant account's JWT lists
/// those, so NATS refuses them).
struct NATSCredentialStore: Sendable {
    let pool: ConnectionPool
    let schema: String

    struct Record: Sendable {
        let credentialID: String
        let tenant: String
        let name: String
        let agents: [String]
        let userKey: String
        let createdBy: String
        let createdAt: Date
        let expiresAt: Date?
        let revokedAt: Date?
    }

    private static let columns = """
        credential_id, tenant, name, array_to_string(agents, ' ') AS agents_text, user_key, created_by, (extract(epoch FROM created_at) * 1000)::bigint AS created_ms,
        (extract(epoch FROM expires_at) * 1000)::bigint AS expires_ms, (extract(epoch FROM revoked_at) * 1000)::bigint AS revoked_ms
        """

    /// `issuedAt` and `expiresAt` are the JWT's (seconds since 1970).
    func insert(id: String, tenant: String, name: String, agents: [String], userKey: String, createdBy: String,
                issuedAt: Int64, expiresAt: Int64?) async throws -> Record {
        try await pool.withConnection { connection in
            try await connection.query("""
                INSERT INTO \(schema).nats_credentials (credential_id, tenant, name, agents, user_key, created_by, created_at, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7::bigint), to_timestamp($8::bigint))
                RETURNING \(Self.columns)
                """, [id, tenant, name, PostgresTextArray(agents), userKey, createdBy, issuedAt, expiresAt])
        }.map(Self.record)[0]
    }

    func list(tenant: String) async throws -> [Record] {
        try await pool.withConnection { connection in
            try await connection.query("SELECT \(Self.columns) FROM \(schema).nats_credentials WHERE tenant = $1 ORDER BY created_at, credential_id",
                                       [tenant])
        }.map(Self.record)
    }

    /// Marks a credential of `tenant` revoked (once); nil when there is none.
    func revoke(tenant: String, id: String) async throws -> Record? {
        try await pool.withConnection { connection in
            try await connection.query("""
                UPDATE \(schema).nats_credentials SET revoked_at = coalesce(revoked_at, now()) WHERE tenant = $1 AND credential_id = $2
                RETURNING \(Self.columns)
                """, [tenant, id])
        }.first.map(Self.record)
    }

    /// The tenant's revoked users (public key → the second from which NATS
    /// refuses them), leaving out those that expired anyway.
    func revocations(tenant: String) async throws -> [String: Int64] {
        let rows = try await pool.withConnection { connection in
            try await connection.query("""
                SELECT user_key, ceil(extract(epoch FROM revoked_at))::bigint AS revoked_s FROM \(schema).nats_credentials
                WHERE tenant = $1 AND revoked_at IS NOT NULL AND (expires_at IS NULL OR expires_at > now())
                """, [tenant], prepared: true)
        }
        var revoked: [String: Int64] = [:]
        for row in rows { revoked[try row.decode("user_key")] = try row.decode("revoked_s") }
        return revoked
    }

    private static func record(_ row: Row) throws -> Record {
        func date(_ column: String) throws -> Date? {
            try row.decode(column, as: Int64?.self).map { Date(timeIntervalSince1970: Double($0) / 1_000) }
        }
        return Record(credentialID: try row.decode("credential_id"), tenant: try row.decode("tenant"), name: try row.decode("name"),
                      agents: try row.decode("agents_text", as: String.self).split(separator: " ").map(String.init), userKey: try row.decode("user_key"),
                      createdBy: try row.decode("created_by"), createdAt: try date("created_ms")!, expiresAt: try date("expires_ms"),
                      revokedAt: try date("revoked_ms"))
    }
}
