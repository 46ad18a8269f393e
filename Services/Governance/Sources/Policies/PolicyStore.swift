import AgionContract
import AgionEnvelope
import AgionStore
import GovernanceCore

/// Policy revisions in PostgreSQL: every put is a new revision; one per
/// tenant is active; activating an older one is a rollback.
struct PolicyStore: Sendable {
    let pool: ConnectionPool
    let schema: String
    let outbox: Outbox

    init(pool: ConnectionPool, schema: String) {
        self.pool = pool
        self.schema = schema
        self.outbox = Outbox(schema: schema)
    }

    /// Stores a parsed document as the next revision, and activates it unless `draft`.
    func put(_ document: String, policy: Policy, comment: String, draft: Bool, tenant: TenantID, request: Envelope?) async throws -> PolicyRevision {
        try await pool.withTransaction { connection in
            // Serialise revisions of one tenant (the first put has no row to lock).
            try await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", ["\(schema).policy.\(tenant.value)"], prepared: true)
            let next = try await connection.query("SELECT coalesce(max(revision), 0) + 1 AS next FROM \(schema).policy_revisions WHERE tenant = $1",
                                                  [tenant.value], prepared: true)[0].decode("next", as: Int.self)
            try await connection.execute("""
                INSERT INTO \(schema).policy_revisions (tenant, revision, document, comment, digest, rule_count, output_rule_count, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, \(schema).now_nanos())
                """, [tenant.value, next, document, comment, SHA256.hash(Array(document.utf8)).hexString, policy.rules.count,
                      policy.outputRules.count], prepared: true)
            if !draft { try await activate(UInt32(next), tenant: tenant, request: request, on: connection) }
            return try await revision(UInt32(next), tenant: tenant, on: connection)
        }
    }

    /// Revisions count up from 1 in a PostgreSQL `integer`: one above its range
    /// (the contract's field is a uint32) names no revision, and must not reach
    /// the query, which would fail as a server error.
    private func refuseImpossible(_ revision: UInt32, tenant: TenantID) throws {
        guard revision > Int32.max else { return }
        throw ErrorReply(code: ErrorReply.Code.notFound, message: "tenant \(tenant) has no policy revision \(revision)", field: "revision")
    }

    func activate(_ revision: UInt32, tenant: TenantID, request: Envelope?) async throws -> PolicyRevision {
        try refuseImpossible(revision, tenant: tenant)
        return try await pool.withTransaction { connection in
            guard try await !connection.query("SELECT 1 FROM \(schema).policy_revisions WHERE tenant = $1 AND revision = $2",
                                              [tenant.value, Int(revision)], prepared: true).isEmpty else {
                throw ErrorReply(code: ErrorReply.Code.notFound, message: "tenant \(tenant) has no policy revision \(revision)", field: "revision")
            }
            try await activate(revision, tenant: tenant, request: request, on: connection)
            return try await self.revision(revision, tenant: tenant, on: connection)
        }
    }

    private func activate(_ revision: UInt32, tenant: TenantID, request: Envelope?, on connection: Connection) async throws {
        try await connection.execute("""
            INSERT INTO \(schema).active_policies (tenant, revision, activated_at) VALUES ($1, $2, \(schema).now_nanos())
            ON CONFLICT (tenant) DO UPDATE SET revision = EXCLUDED.revision, activated_at = EXCLUDED.activated_at,
                change_seq = nextval('\(schema).policy_change_seq')
            """, [tenant.value, Int(revision)], prepared: true)
        let info = try await self.revision(revision, tenant: tenant, on: connection)
        let payload = try info.encoded()
        let envelope = request?.caused(type: GovernanceSubjects.EventType.policyActivated, payload: payload)
            ?? Envelope(type: GovernanceSubjects.EventType.policyActivated, tenant: tenant.value, payload: payload)
        try await outbox.enqueue(envelope, subject: GovernanceSubjects.eventSubject(tenant: tenant.value, event: "policy_activated"), on: connection)
    }

    func document(_ revision: UInt32, tenant: TenantID) async throws -> PolicyDocument {
        try refuseImpossible(revision, tenant: tenant)
        return try await pool.withConnection { connection in
            var number = revision
            if number == 0 {
                guard let active = try await connection.query("SELECT revision FROM \(schema).active_policies WHERE tenant = $1",
                                                              [tenant.value], prepared: true).first else {
                    throw ErrorReply(code: ErrorReply.Code.notFound, message: "tenant \(tenant) has no active policy", field: "revision")
                }
                number = UInt32(try active.decode("revision", as: Int.self))
            }
            let info = try await self.revision(number, tenant: tenant, on: connection)
            let text = try await connection.query("SELECT document FROM \(schema).policy_revisions WHERE tenant = $1 AND revision = $2",
                                                  [tenant.value, Int(number)], prepared: true)[0].decode("document", as: String.self)
            return PolicyDocument(revision: info, document: text)
        }
    }

    func list(tenant: TenantID, limit: Int) async throws -> [PolicyRevision] {
        try await pool.withConnection { connection in
            try await connection.query("""
                SELECT r.revision, r.comment, r.digest, r.rule_count, r.output_rule_count, r.created_at,
                       coalesce(a.revision = r.revision, false) AS active
                FROM \(schema).policy_revisions r LEFT JOIN \(schema).active_policies a ON a.tenant = r.tenant
                WHERE r.tenant = $1 ORDER BY r.revision DESC LIMIT $2
                """, [tenant.value, limit], prepared: true).map(Self.revision(from:))
        }
    }

    private func revision(_ number: UInt32, tenant: TenantID, on connection: Connection) async throws -> PolicyRevision {
        let rows = try await connection.query("""
            SELECT r.revision, r.comment, r.digest, r.rule_count, r.output_rule_count, r.created_at,
                   coalesce(a.revision = r.revision, false) AS active
            FROM \(schema).policy_revisions r LEFT JOIN \(schema).active_policies a ON a.tenant = r.tenant
            WHERE r.tenant = $1 AND r.revision = $2
            """, [tenant.value, Int(number)], prepared: true)
        guard let row = rows.first else {
            throw ErrorReply(code: ErrorReply.Code.notFound, message: "tenant \(tenant) has no policy revision \(number)", field: "revision")
        }
        return try Self.revision(from: row)
    }

    private static func revision(from row: Row) throws -> PolicyRevision {
        PolicyRevision(revision: UInt32(try row.decode("revision", as: Int.self)), active: try row.decode("active"),
                       comment: try row.decode("comment"), createdAtUnixNanos: try row.decode("created_at"),
                       ruleCount: UInt32(try row.decode("rule_count", as: Int.self)),
                       outputRuleCount: UInt32(try row.decode("output_rule_count", as: Int.self)), digest: try row.decode("digest"))
    }

    /// The active revision and document of `tenant`, if any.
    func active(tenant: String) async throws -> (revision: UInt32, document: String)? {
        try await pool.withConnection { connection in
            let rows = try await connection.query("""
                SELECT r.revision, r.document FROM \(schema).active_policies a
                JOIN \(schema).policy_revisions r ON r.tenant = a.tenant AND r.revision = a.revision WHERE a.tenant = $1
                """, [tenant], prepared: true)
            guard let row = rows.first else { return nil }
            return (UInt32(try row.decode("revision", as: Int.self)), try row.decode("document"))
        }
    }

    /// Whether the tenant ever stored a policy (active or draft).
    func hasRevisions(tenant: String) async throws -> Bool {
        try await pool.withConnection { connection in
            try await !connection.query("SELECT 1 FROM \(schema).policy_revisions WHERE tenant = $1 LIMIT 1", [tenant], prepared: true).isEmpty
        }
    }

    /// Tenants whose active revision changed after `sequence`, and the newest sequence.
    func changes(after sequence: Int64) async throws -> (tenants: [String], latest: Int64) {
        try await pool.withConnection { connection in
            let rows = try await connection.query("SELECT tenant, change_seq FROM \(schema).active_policies WHERE change_seq > $1",
                                                  [sequence], prepared: true)
            var latest = sequence
            var tenants: [String] = []
            for row in rows {
                tenants.append(try row.decode("tenant"))
                latest = max(latest, try row.decode("change_seq", as: Int64.self))
            }
            return (tenants, latest)
        }
    }
}
