import AgionContract
import AgionEnvelope
import AgionStore
import Foundation
import GovernanceCore

/// The audit trail in PostgreSQL: appending to each tenant's hash chain,
/// queries, and verification. Appends come from the spool shipper (checks)
/// and from `validate` (directly, in the transaction that updates trust).
struct AuditLedger: Sendable {
    let schema: String
    let outbox: Outbox

    init(schema: String) {
        self.schema = schema
        self.outbox = Outbox(schema: schema)
    }

    /// A record to chain, with its bytes as recorded (sequence 0, no hash):
    /// what is stored, hashed and published, never re-encoded.
    struct Entry: Sendable {
        /// The columns stored next to the bytes, read from them.
        let record: AuditRecord.Columns
        let bytes: [UInt8]

        /// A record from the spool, as its bytes.
        init(bytes: [UInt8]) throws {
            self.record = try AuditRecord.columns(of: bytes)
            self.bytes = bytes
        }

        init(_ record: AuditRecord) {
            self.record = record.columns
            self.bytes = record.fastEncoded()
        }
    }

    /// Chains `entries` (any tenants, in order) inside the caller's
    /// transaction: locks each tenant's head, skips records already chained
    /// (a re-shipped spool), assigns sequences and hashes, and, when
    /// `announce`, writes their events to the outbox (the shipper publishes
    /// its high-volume decision events itself, see `batchEvents(for:)`).
    /// Returns how many were chained.
    @discardableResult
    func append(_ entries: [Entry], announce: Bool = true, on connection: Connection) async throws -> Int {
        let records = entries.map(\.record)
        guard !records.isEmpty else { return 0 }
        let tenants = Array(Set(records.map(\.tenant))).sorted()
        var heads: [String: (sequence: Int64, hash: [UInt8])] = [:]
        var seen = Set<String>()
        // Duplicates come only from re-shipping a spool range whose commit was
        // not yet marked when the process died: a run starting at the batch's
        // first record. So when that record is new, none is a duplicate, and one
        // index lookup replaces a lookup per record (which costs ~80 µs each).
        let first = entries[0].record
        let firstKnown = try await !connection.query("""
            SELECT 1 FROM \(schema).audit_records WHERE tenant = $1 AND decision_id = $2
            """, [first.tenant, first.decisionID], prepared: true).isEmpty
        for tenant in tenants {
            // Sorted tenants: two appenders never wait for each other in a cycle.
            try await connection.execute("""
                INSERT INTO \(schema).audit_heads (tenant, sequence, hash) VALUES ($1, 0, $2) ON CONFLICT (tenant) DO NOTHING
                """, [tenant, AuditChain.genesis], prepared: true)
            let head = try await connection.query("SELECT sequence, hash FROM \(schema).audit_heads WHERE tenant = $1 FOR UPDATE",
                                                  [tenant], prepared: true)[0]
            heads[tenant] = (try head.decode("sequence"), try head.decode("hash"))
            guard firstKnown else { continue }
            let ids = records.filter { $0.tenant == tenant }.map(\.decisionID)
            let existing = try await connection.query("""
                SELECT decision_id FROM \(schema).audit_records WHERE tenant = $1 AND decision_id = ANY($2::text[])
                """, [tenant, PostgresTextArray(ids)], prepared: true)
            for row in existing { seen.insert(tenant + "/" + (try row.decode("decision_id", as: String.self))) }
        }
        var chained: [Entry] = []
        var rows = BinaryCopyRows(columns: Self.recordColumns.count, reservingBytes: entries.count * 400)
        for entry in entries where seen.insert(entry.record.tenant + "/" + entry.record.decisionID).inserted {
            let record = entry.record
            let previous = heads[record.tenant]!
            let sequence = previous.sequence + 1
            let hash = AuditChain.link(previous: previous.hash, sequence: sequence, record: entry.bytes)
            heads[record.tenant] = (sequence, hash)
            rows.append([.text(record.tenant), .bigint(sequence), .text(record.decisionID), .text(record.kind.rawValue), .text(record.agentID),
                         .text(record.action), .text(record.result), .bigint(record.decidedAtUnixNanos), .bytea(entry.bytes), .bytea(hash)])
            chained.append(entry)
        }
        guard !chained.isEmpty else { return 0 }
        // Binary COPY: PostgreSQL's cheapest insert path (no statement to
        // parse, no text arrays or hex to decode); a duplicate fails it whole,
        // which the lookup above rules out.
        try await connection.copy(into: "\(schema).audit_records", columns: Self.recordColumns, rows: rows)
        for tenant in tenants {
            guard let head = heads[tenant] else { continue }
            try await connection.execute("UPDATE \(schema).audit_heads SET sequence = $2, hash = $3 WHERE tenant = $1",
                                         [tenant, head.sequence, head.hash], prepared: true)
        }
        if announce { try await outbox.enqueue(batch: Self.events(for: chained), on: connection) }
        return chained.count
    }

    /// The stored columns of a record, in the order `append` copies them.
    static let recordColumns = ["tenant", "sequence", "decision_id", "kind", "agent_id", "action", "result", "decided_at", "record", "hash"]

    /// The events announcing records appended through `append(_:announce:)`:
    /// an output validation is one `output_validated` event, the record as
    /// decided (its chain position is in the audit trail, not in the event),
    /// with the decision id as the event id, so a re-published record is
    /// stored once; checks are announced together (`batchEvents(for:)`).
    static func events(for entries: [Entry]) -> [(envelope: Envelope, subject: String)] {
        let validations = entries.filter { $0.record.kind != .check }.map { entry in
            (envelope: Envelope(id: UUID(uuidString: entry.record.decisionID) ?? UUIDv7.make(), type: GovernanceSubjects.EventType.outputValidated,
                                occurredAtUnixNanos: entry.record.decidedAtUnixNanos, tenant: entry.record.tenant, payload: entry.bytes),
             subject: GovernanceSubjects.eventSubject(tenant: entry.record.tenant, event: "output_validated"))
        }
        return validations + batchEvents(for: entries.filter { $0.record.kind == .check })
    }

    /// The events announcing a batch the shipper chained: one
    /// `decisions_recorded` per tenant (split so no event carries more than
    /// `maxBytes` of records; NATS refuses messages over its max_payload),
    /// records in chain order. Each event's id is derived from the decision
    /// ids it carries, so publishing the same batch again after a crash is
    /// stored once.
    static func batchEvents(for entries: [Entry], maxBytes: Int = 512 << 10) -> [(envelope: Envelope, subject: String)] {
        var byTenant: [String: [Entry]] = [:]
        var order: [String] = []
        for entry in entries {
            if byTenant[entry.record.tenant] == nil { order.append(entry.record.tenant) }
            byTenant[entry.record.tenant, default: []].append(entry)
        }
        var events: [(envelope: Envelope, subject: String)] = []
        for tenant in order {
            var chunk: [Entry] = [], bytes = 0
            func flush() {
                guard let last = chunk.last else { return }
                events.append((Envelope(id: Self.eventID(chunk.map(\.record)), type: GovernanceSubjects.EventType.decisionsRecorded,
                                        occurredAtUnixNanos: last.record.decidedAtUnixNanos, tenant: tenant,
                                        payload: DecisionsRecorded.encoded(recordBytes: chunk.map(\.bytes))),
                               GovernanceSubjects.eventSubject(tenant: tenant, event: "decisions_recorded")))
                chunk = []
                bytes = 0
            }
            for entry in byTenant[tenant]! {
                if !chunk.isEmpty, bytes + entry.bytes.count > maxBytes { flush() }
                chunk.append(entry)
                bytes += entry.bytes.count + 6
            }
            flush()
        }
        return events
    }

    /// The id of the event announcing `records`: a UUIDv7 (as every envelope
    /// id) with the first record's decision time and, for the rest, the
    /// SHA-256 of the decision ids, so the same records always make the same
    /// event id and a re-published batch is stored once.
    static func eventID(_ records: [AuditRecord.Columns]) -> UUID {
        var hasher = SHA256()
        for record in records { hasher.update(Array(record.decisionID.utf8) + [0]) }
        let millis = UInt64(max(records.first?.decidedAtUnixNanos ?? 0, 0) / 1_000_000)
        return UUIDv7.derived(unixMillis: millis, digest: hasher.finalize())
    }

    /// Records matching `query`, oldest first, one page.
    func query(_ query: AuditQuery, tenant: TenantID, pool: ConnectionPool) async throws -> AuditQueryResponse {
        var conditions = ["tenant = $1", "sequence > $2"]
        var parameters: [any PostgresEncodable] = [tenant.value, try PageToken.position(query.pageToken) ?? 0]
        func add(_ column: String, _ op: String, _ value: (any PostgresEncodable)?) {
            guard let value else { return }
            parameters.append(value)
            conditions.append("\(column) \(op) $\(parameters.count)")
        }
        add("agent_id", "=", query.agentID)
        add("action", "=", query.action)
        add("result", "=", query.result)
        add("kind", "=", query.kind?.rawValue)
        add("decision_id", "=", query.decisionID)
        add("decided_at", ">=", query.fromUnixNanos)
        add("decided_at", "<=", query.toUnixNanos)
        let pageSize = Int(query.pageSize)
        parameters.append(pageSize + 1)
        let sql = """
            SELECT sequence, record, hash FROM \(schema).audit_records WHERE \(conditions.joined(separator: " AND "))
            ORDER BY sequence LIMIT $\(parameters.count)
            """
        let rows = try await pool.withConnection { try await $0.query(sql, parameters) }
        var records: [AuditRecord] = []
        for row in rows.prefix(pageSize) {
            var record = try AuditRecord(decoding: try row.decode("record", as: [UInt8].self))
            record.sequence = try row.decode("sequence")
            record.hash = try row.decode("hash", as: [UInt8].self).hexString
            records.append(record)
        }
        let next = rows.count > pageSize ? PageToken.after(records.last!.sequence) : ""
        return AuditQueryResponse(records: records, nextPageToken: next)
    }

    /// Records (after, through] of a tenant's chain as stored, checked: each
    /// link must continue from `previous` (the chain hash of record `after`)
    /// and each record's query columns must match its bytes. Returns the
    /// records that hold, in order, and the first that does not, if any (a
    /// record missing from the range is one too).
    func checkedLinks(tenant: String, after: Int64, through last: Int64, previous: [UInt8],
                      on connection: Connection) async throws -> (links: [AuditChain.Link], broken: AuditChain.Break?) {
        // Binary rows: the records and hashes as bytes, not hex text (the
        // tree builder and every verification read each record once).
        let rows = try await connection.queryBinary("""
            SELECT sequence, decision_id, kind, agent_id, action, result, decided_at, record, hash FROM \(schema).audit_records
            WHERE tenant = $1 AND sequence > $2 AND sequence <= $3 ORDER BY sequence
            """, [tenant, after, last], prepared: true)
        var links: [AuditChain.Link] = []
        links.reserveCapacity(rows.count)
        var broken: AuditChain.Break?
        for row in rows {
            let link = AuditChain.Link(sequence: try row.int64("sequence"), record: try row.bytes("record"), hash: try row.bytes("hash"))
            if let mismatch = try Self.columnMismatch(row, record: link.record, sequence: link.sequence) {
                broken = AuditChain.Break(sequence: link.sequence, reason: mismatch)
                break
            }
            links.append(link)
        }
        if case .failure(let found) = AuditChain.verify(links, previous: previous, expectedSequence: after + 1) {
            return (Array(links.prefix { $0.sequence < found.sequence }), found)
        }
        if broken == nil, after + Int64(links.count) < last {
            let missing = after + Int64(links.count) + 1
            broken = AuditChain.Break(sequence: missing, reason: "record \(missing) is missing (the range read ends at \(last))")
        }
        return (links, broken)
    }

    /// Whether the query columns of a stored record say what its hashed bytes say (nil) or which does not.
    /// Reads only the fields the columns copy (`AuditRecord.columns(of:)`):
    /// the rest of the bytes are covered by the chain and tree hashes.
    static func columnMismatch(_ row: BinaryRow, record bytes: [UInt8], sequence: Int64) throws -> String? {
        guard let record = try? AuditRecord.columns(of: bytes) else { return "record \(sequence) is not a readable audit record" }
        let decidedAt = try row.int64("decided_at")
        if decidedAt != record.decidedAtUnixNanos {
            return "record \(sequence): column decided_at says '\(decidedAt)' but the hashed record says '\(record.decidedAtUnixNanos)'"
        }
        let columns: [(String, String)] = [("decision_id", record.decisionID), ("kind", record.kind.rawValue), ("agent_id", record.agentID),
                                           ("action", record.action), ("result", record.result)]
        for (name, hashed) in columns {
            let stored = try row.text(name)
            if stored != hashed { return "record \(sequence): column \(name) says '\(stored)' but the hashed record says '\(hashed)'" }
        }
        return nil
    }
}
