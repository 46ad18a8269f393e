import AgionStore

extension TestEnvironment {
    static func pool(size: Int = 4) -> ConnectionPool {
        ConnectionPool(StoreConfiguration(port: postgresPort, poolSize: size), logger: logger)
    }

    /// A schema of the test's own; drop it with `dropSchema`.
    static func schemaName() -> String { uniqueName("test").lowercased() }

    static func dropSchema(_ schema: String, _ pool: ConnectionPool) async {
        _ = try? await pool.withConnection { try await $0.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
    }
}
