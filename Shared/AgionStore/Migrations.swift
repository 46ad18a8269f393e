import Foundation
import Logging

/// One schema change: applied once, in version order, inside a transaction.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// FNV-1a 64 of the SQL: detects a migration edited after it was applied.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return String(hash, radix: 16)
    }

    /// Migrations from `NNN_name.sql` files in `directory` (for example a
    /// service's bundled `Migrations/` folder), ordered by `NNN`.
    public static func load(directory: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        return try files.filter { $0.pathExtension == "sql" }.map { url in
            let stem = url.deletingPathExtension().lastPathComponent
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw StoreError(.other, "migration file \(url.lastPathComponent) is not named NNN_name.sql")
            }
            return Migration(version: version, name: String(stem[stem.index(after: underscore)...]),
                             sql: try String(contentsOf: url, encoding: .utf8))
        }.sorted { $0.version < $1.version }
    }
}

/// Applies a schema's migrations. Safe from several replicas at once: runners
/// serialise on a PostgreSQL advisory lock keyed by the schema, and each
/// migration commits together with its row in `<schema>.schema_migrations`.
public struct Migrator: Sendable {
    public let pool: ConnectionPool
    public let logger: Logger

    public init(pool: ConnectionPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    /// Schema names are spliced into SQL, so only plain lower-case identifiers
    /// that PostgreSQL keeps whole (at most 63 bytes) pass.
    public static func isValidSchemaName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63,
              first == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// Brings `schema` up to date; returns the versions applied by this call.
    @discardableResult
    public func migrate(schema: String, _ migrations: [Migration]) async throws -> [Int] {
        guard Self.isValidSchemaName(schema) else {
            throw StoreError(.invalidInput, "schema name \(schema) must match [a-z_][a-z0-9_]*")
        }
        let versions = migrations.map(\.version)
        guard Set(versions).count == versions.count else { throw StoreError(.invalidInput, "duplicate migration versions in \(schema)") }
        return try await pool.withConnection { connection in
            // A session lock, held across the per-migration transactions below.
            try await connection.execute("SELECT pg_advisory_lock(hashtext($1))", ["agion.migrations." + schema])
            do {
                let applied = try await apply(schema: schema, migrations.sorted { $0.version < $1.version }, on: connection)
                try await connection.execute("SELECT pg_advisory_unlock(hashtext($1))", ["agion.migrations." + schema])
                return applied
            } catch {
                _ = try? await connection.execute("SELECT pg_advisory_unlock(hashtext($1))", ["agion.migrations." + schema])
                throw error
            }
        }
    }

    private func apply(schema: String, _ migrations: [Migration], on connection: Connection) async throws -> [Int] {
        try await connection.execute("CREATE SCHEMA IF NOT EXISTS \(schema)")
        try await connection.execute("""
            CREATE TABLE IF NOT EXISTS \(schema).schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        var known: [Int: String] = [:]
        for row in try await connection.query("SELECT version, checksum FROM \(schema).schema_migrations") {
            known[try row.decode("version")] = try row.decode("checksum")
        }
        var applied: [Int] = []
        for migration in migrations {
            if let checksum = known[migration.version] {
                guard checksum == migration.checksum else {
                    throw StoreError(.migrationChecksumMismatch,
                                     "\(schema) migration \(migration.version)_\(migration.name) changed after it was applied")
                }
                continue
            }
            try await connection.execute("BEGIN")
            do {
                try await connection.execute("SET LOCAL search_path TO \(schema), public")
                try await connection.execute(migration.sql)
                try await connection.execute("INSERT INTO \(schema).schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                                             [migration.version, migration.name, migration.checksum])
                try await connection.execute("COMMIT")
            } catch {
                _ = try? await connection.execute("ROLLBACK")
                throw error
            }
            logger.info("store.migration_applied", metadata: ["db.schema": "\(schema)", "migration.version": "\(migration.version)"])
            applied.append(migration.version)
        }
        return applied
    }
}
