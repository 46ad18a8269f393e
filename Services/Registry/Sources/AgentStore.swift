import AgionContract
import AgionEnvelope
import AgionStore

/// The registry's queries, against its own schema only. Every change that
/// other services must hear about writes its event to the outbox in the same
/// transaction (see `AgentStore+Register.swift` and `+Health.swift`).
struct AgentStore: Sendable {
    let pool: ConnectionPool
    let schema: String
    let outbox: Outbox
    let offlineAfterTTLs: Int

    init(pool: ConnectionPool, schema: String, offlineAfterTTLs: Int) {
        self.pool = pool
        self.schema = schema
        self.outbox = Outbox(schema: schema)
        self.offlineAfterTTLs = offlineAfterTTLs
    }

    /// The columns `record(from:)` reads.
    var recordColumns: String {
        "definition, status, revision, registered_at, updated_at, last_heartbeat_at"
    }

    func record(from row: Row) throws -> AgentRecord {
        let definition = try row.decode("definition", as: [UInt8].self)
        let agent = try Agent(proto: ProtoSchema.decode("agion.v1.Agent", from: definition))
        return AgentRecord(agent: agent,
                           status: try AgentStatus(protoValue: Int64(try row.decode("status", as: Int.self)), field: "status"),
                           revision: UInt32(try row.decode("revision", as: Int.self)),
                           registeredAtUnixNanos: try row.decode("registered_at"),
                           updatedAtUnixNanos: try row.decode("updated_at"),
                           lastHeartbeatUnixNanos: try row.decode("last_heartbeat_at"))
    }

    /// Writes `payload` as an event of `type` for `tenant` to the outbox.
    func enqueue(_ payload: some ProtoConvertible, type: String, event: String, tenant: TenantID,
                 causedBy request: Envelope?, on connection: Connection) async throws {
        let bytes = try payload.encoded()
        let envelope = request?.caused(type: type, payload: bytes)
            ?? Envelope(type: type, tenant: tenant.value, payload: bytes)
        try await outbox.enqueue(envelope, subject: RegistrySubjects.eventSubject(tenant: tenant.value, event: event), on: connection)
    }
}

extension AgentStatus {
    /// The `smallint` stored for this status.
    var column: Int { Int(rawValue) }
}
