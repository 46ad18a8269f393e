import NIOPosix

/// A pooled connection leased to one task for the duration of a
/// `withConnection` or `withTransaction` body. Do not keep it beyond the body.
public final class Connection: Sendable {
    let raw: PostgresConnection
    private let threads: NIOThreadPool

    init(raw: PostgresConnection, threads: NIOThreadPool) {
        self.raw = raw
        self.threads = threads
    }

    /// Runs a statement and returns its rows. Parameters are bound as `$1, $2, ...`.
    /// `prepared: true` for hot statements: prepared once per connection.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = [], prepared: Bool = false) async throws -> [Row] {
        try await run(sql, parameters, prepared).rows
    }

    /// Runs a statement and returns its rows in binary format (`BinaryRow`).
    public func queryBinary(_ sql: String, _ parameters: [any PostgresEncodable] = [], prepared: Bool = false) async throws -> [BinaryRow] {
        let values = parameters.map(\.postgresValue)
        return try await onPoolThread { raw throws(StoreError) in try raw.executeBinary(sql, values, prepare: prepared) }
    }

    /// Runs a statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any PostgresEncodable] = [], prepared: Bool = false) async throws -> Int {
        try await run(sql, parameters, prepared).affected
    }

    /// Bulk-inserts `rows` with `COPY table (columns) FROM STDIN (FORMAT
    /// binary)`; returns the rows copied. Inside a transaction it is part of
    /// it; a failing row (a constraint) fails the whole COPY.
    @discardableResult
    public func copy(into table: String, columns: [String], rows: BinaryCopyRows) async throws -> Int {
        precondition(columns.count == rows.columns, "COPY into \(table): \(columns.count) columns named, rows of \(rows.columns)")
        guard rows.count > 0 else { return 0 }
        let sql = "COPY \(table) (\(columns.joined(separator: ", "))) FROM STDIN (FORMAT binary)"
        let data = rows.body
        return try await onPoolThread { raw throws(StoreError) in try raw.copyIn(sql, [data, BinaryCopyRows.trailer]) }
    }

    /// Runs `statements` in one transaction, all of them in one job on the
    /// pool's threads: one thread hop for the transaction, not two per
    /// statement (the hops, not the statements, were most of a short
    /// transaction's cost). Returns each statement's rows and count, or nil
    /// when one affected other than its `expectAffected` rows (rolled back).
    public func transaction(_ statements: [Statement]) async throws -> [(rows: [Row], affected: Int)]? {
        try await batch(statements, begin: true, commit: true)
    }

    /// Part of a transaction in one hop: BEGIN (with `begin`), `statements`,
    /// COMMIT (with `commit`); the transaction is rolled back (and nil
    /// returned, or the error thrown) when a statement fails or affects other
    /// than its `expectAffected` rows. For a transaction with something else
    /// in its middle (the outbox relay publishes between its read and delete).
    public func batch(_ statements: [Statement], begin: Bool, commit: Bool) async throws -> [(rows: [Row], affected: Int)]? {
        try await onPoolThread { raw throws(StoreError) in try raw.transaction(statements, begin: begin, commit: commit) }
    }

    private func run(_ sql: String, _ parameters: [any PostgresEncodable], _ prepared: Bool) async throws -> (rows: [Row], affected: Int) {
        let values = parameters.map(\.postgresValue)
        return try await onPoolThread { raw throws(StoreError) in try raw.execute(sql, values, prepare: prepared) }
    }

    /// Runs `body` with the libpq connection on one of the pool's threads
    /// (libpq blocks; the cooperative pool must not).
    private func onPoolThread<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws(StoreError) -> T) async throws -> T {
        let raw = self.raw
        let result: Result<T, StoreError> = await withCheckedContinuation { continuation in
            threads.submit { _ in continuation.resume(returning: Result { () throws(StoreError) in try body(raw) }) }
        }
        return try result.get()
    }
}
