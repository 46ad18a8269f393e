import AgionBus
import AgionEnvelope
import Foundation

/// The transactional outbox of one schema: an event is written in the same
/// transaction as the state change it announces, and `OutboxRelay` publishes it.
public struct Outbox: Sendable {
    public let schema: String

    public init(schema: String) { self.schema = schema }

    /// The NOTIFY channel the outbox trigger signals on commit.
    public var channel: String { schema + "_outbox" }

    /// The tables every service schema gets: `outbox` and `inbox`. Add this to
    /// the schema's migrations at the version of your choice.
    public static func migration(version: Int) -> Migration {
        Migration(version: version, name: "outbox_and_inbox", sql: """
            CREATE TABLE outbox (
                position bigserial PRIMARY KEY,
                event_id uuid NOT NULL UNIQUE,
                subject text NOT NULL,
                envelope bytea NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            -- Wakes the relay at commit (NOTIFY is delivered when the transaction commits).
            CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify(TG_TABLE_SCHEMA || '_outbox', '');
                RETURN NULL;
            END $$;
            CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
                FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
            CREATE TABLE inbox (
                consumer text NOT NULL,
                event_id uuid NOT NULL,
                processed_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (consumer, event_id)
            );
            """)
    }

    /// Records `envelope` for publication on `subject`. Call inside the
    /// transaction that makes the change, so both commit or neither does.
    public func enqueue(_ envelope: Envelope, subject: String, on connection: Connection) async throws {
        try await connection.execute("INSERT INTO \(schema).outbox (event_id, subject, envelope) VALUES ($1, $2, $3)",
                                     [envelope.id, subject, try envelope.encoded()], prepared: true)
    }

    /// Records several events in one statement (high-volume producers such as
    /// the audit shipper), in order.
    public func enqueue(batch: [(envelope: Envelope, subject: String)], on connection: Connection) async throws {
        guard let statement = try enqueueStatement(batch) else { return }
        try await connection.execute(statement.sql, statement.parameters, prepared: statement.prepared)
    }

    /// The statement that records `batch`, for a `Connection.transaction`
    /// (nil for an empty batch). One row is a prepared statement.
    public func enqueueStatement(_ batch: [(envelope: Envelope, subject: String)]) throws -> Statement? {
        guard !batch.isEmpty else { return nil }
        var parameters: [any PostgresEncodable] = []
        var rows: [String] = []
        parameters.reserveCapacity(batch.count * 3)
        for (envelope, subject) in batch {
            let n = parameters.count
            rows.append("($\(n + 1), $\(n + 2), $\(n + 3))")
            parameters += [envelope.id, subject, try envelope.encoded()]
        }
        return Statement("INSERT INTO \(schema).outbox (event_id, subject, envelope) VALUES " + rows.joined(separator: ", "), parameters,
                         prepared: batch.count == 1)
    }
}

/// Makes a consumer's effect idempotent: claim the event id in the same
/// transaction as the effect; a redelivered event finds its id taken.
public struct Inbox: Sendable {
    public let schema: String

    public init(schema: String) { self.schema = schema }

    /// True the first time `eventID` is claimed for `consumer`; false for a duplicate.
    public func claim(_ eventID: UUID, consumer: String, on connection: Connection) async throws -> Bool {
        try await connection.execute(
            "INSERT INTO \(schema).inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [consumer, eventID], prepared: true) == 1
    }
}
