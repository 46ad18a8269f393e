import AgionEnvelope
import AgionStore
import Foundation
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1))) struct StoreTests {
    @Test func textArraysKeepEveryCharacter() async throws {
        let pool = TestEnvironment.pool(size: 1)
        let values = ["plain", "a,b", "{braces}", "quote\"d", "back\\slash", "", "NULL", "é ✓", "\\x0a"]
        let rows = try await pool.withConnection { try await $0.query("SELECT unnest($1::text[]) AS v", [PostgresTextArray(values)]) }
        #expect(try rows.map { try $0.decode("v", as: String.self) } == values)
        // nil elements are NULL (not the text "NULL", which stays text).
        let nullable: [String?] = ["a", nil, "NULL", nil]
        let withNulls = try await pool.withConnection {
            try await $0.query("SELECT unnest($1::text[]) AS v", [PostgresTextArray(nullable: nullable)])
        }
        #expect(try withNulls.map { try $0.decode("v", as: String?.self) } == nullable)
        await pool.shutdown()
    }

    @Test func typedRowsRoundTripThroughParameters() async throws {
        let pool = TestEnvironment.pool()
        let id = UUIDv7.make()
        let date = Date(timeIntervalSince1970: 1_763_700_000.123456)
        let row = try await pool.withConnection { connection in
            try await connection.query(
                "SELECT $1::text AS s, $2::bigint AS i, $3::float8 AS d, $4::bool AS b, $5::uuid AS u, $6::bytea AS bytes, $7::text AS n, extract(epoch FROM $8::timestamptz)::text AS t",
                ["héllo'; DROP TABLE x; --", 42, 2.5, true, id, [0, 1, 254, 255] as [UInt8], nil as String?, date])[0]
        }
        #expect(try row.decode("s", as: String.self) == "héllo'; DROP TABLE x; --")
        #expect(try row.decode("i", as: Int.self) == 42)
        #expect(try row.decode("d", as: Double.self) == 2.5)
        #expect(try row.decode("b", as: Bool.self) == true)
        #expect(try row.decode("u", as: UUID.self) == id)
        #expect(try row.decode("bytes", as: [UInt8].self) == [0, 1, 254, 255])
        #expect(try row.decode("n", as: String?.self) == nil)
        #expect(try row.decode("t", as: String.self) == "1763700000.123456")
        #expect(throws: StoreError.self) { try row.decode("n", as: String.self) }
    }

    @Test func sqlStatesMapToCodes() async throws {
        let pool = TestEnvironment.pool()
        let schema = TestEnvironment.schemaName()
        try await pool.withConnection { c in
            try await c.execute("CREATE SCHEMA \(schema); CREATE TABLE \(schema).t (id int PRIMARY KEY, v int NOT NULL CHECK (v > 0))")
        }
        func code(_ sql: String) async -> StoreError.Code? {
            do { try await pool.withConnection { try await $0.execute(sql) }; return nil }
            catch let error as StoreError { return error.code } catch { return nil }
        }
        _ = await code("INSERT INTO \(schema).t VALUES (1, 1)")
        #expect(await code("INSERT INTO \(schema).t VALUES (1, 1)") == .uniqueViolation)
        #expect(await code("INSERT INTO \(schema).t VALUES (2, 0)") == .checkViolation)
        #expect(await code("INSERT INTO \(schema).t VALUES (3, NULL)") == .notNullViolation)
        #expect(await code("SELECT * FROM \(schema).missing") == .undefinedTable)
        #expect(await code("SELEKT 1") == .syntaxError)
        #expect(await code("SELECT 'x'::int") == .invalidInput)
        await TestEnvironment.dropSchema(schema, pool)
    }

    @Test func binaryRowsReadBytesTextAndIntegers() async throws {
        let pool = TestEnvironment.pool(size: 1)
        let rows = try await pool.withConnection { connection in
            try await connection.queryBinary("SELECT $1::bytea AS b, $2::text AS t, $3::bigint AS i, NULL::bytea AS n",
                                             [[0, 0x5C, 0x78, 255] as [UInt8], "é ✓", Int64.min], prepared: true)
        }
        #expect(try rows[0].bytes("b") == [0, 0x5C, 0x78, 255])
        #expect(try rows[0].text("t") == "é ✓")
        #expect(try rows[0].int64("i") == Int64.min)
        #expect(throws: StoreError.self) { try rows[0].bytes("n") }
        #expect(throws: StoreError.self) { try rows[0].int64("t") }
        #expect(throws: StoreError.self) { try rows[0].bytes("missing") }
        // The same statement read as text afterwards on the same connection.
        let text = try await pool.withConnection { try await $0.query("SELECT $1::bigint AS i", [Int64(7)], prepared: true) }
        #expect(try text[0].decode("i", as: Int64.self) == 7)
        await pool.shutdown()
    }

    @Test func binaryCopyInsertsEveryValueAndFailsWholeOnAConstraint() async throws {
        let pool = TestEnvironment.pool(size: 1)
        let schema = TestEnvironment.schemaName()
        try await pool.withConnection {
            try await $0.execute("CREATE SCHEMA \(schema); CREATE TABLE \(schema).t (id bigint PRIMARY KEY, name text, data bytea)")
        }
        var rows = BinaryCopyRows(columns: 3)
        let names: [String?] = ["plain", "a,b\t\"q\"\n", "é ✓", "", nil]
        for (i, name) in names.enumerated() {
            rows.append([.bigint(Int64(i) - 2), name.map { .text($0) } ?? .null, .bytea(i == 3 ? [] : [0, 0xFF, UInt8(i), 0x5C])])
        }
        let copied = try await pool.withTransaction { try await $0.copy(into: "\(schema).t", columns: ["id", "name", "data"], rows: rows) }
        #expect(copied == names.count)
        let stored = try await pool.withConnection { try await $0.query("SELECT id, name, data FROM \(schema).t ORDER BY id") }
        #expect(try stored.map { try $0.decode("id", as: Int64.self) } == [-2, -1, 0, 1, 2])
        #expect(try stored.map { try $0.decode("name", as: String?.self) } == names)
        #expect(try stored.map { try $0.decode("data", as: [UInt8].self) }[3] == [])
        #expect(try stored[1].decode("data", as: [UInt8].self) == [0, 0xFF, 1, 0x5C])

        // A duplicate key fails the COPY and its transaction whole; the
        // connection (the pool has one) serves the next statement.
        var again = BinaryCopyRows(columns: 3)
        again.append([.bigint(100), .text("new"), .null])
        again.append([.bigint(0), .text("duplicate"), .null])
        await #expect(throws: StoreError.self) {
            try await pool.withTransaction { c in
                try await c.execute("INSERT INTO \(schema).t (id) VALUES (200)")
                try await c.copy(into: "\(schema).t", columns: ["id", "name", "data"], rows: again)
            }
        }
        // A value of the wrong type (text for a bigint) is refused, never misread.
        var mistyped = BinaryCopyRows(columns: 3)
        mistyped.append([.text("seven"), .text("x"), .null])
        await #expect(throws: StoreError.self) {
            try await pool.withConnection { try await $0.copy(into: "\(schema).t", columns: ["id", "name", "data"], rows: mistyped) }
        }
        let count: Int = try await pool.withConnection { try await $0.query("SELECT count(*)::int AS n FROM \(schema).t")[0].decode("n") }
        #expect(count == names.count)
        await TestEnvironment.dropSchema(schema, pool)
        await pool.shutdown()
    }

    @Test func transactionRollsBackOnError() async throws {
        let pool = TestEnvironment.pool()
        let schema = TestEnvironment.schemaName()
        try await pool.withConnection { try await $0.execute("CREATE SCHEMA \(schema); CREATE TABLE \(schema).t (id int PRIMARY KEY)") }
        await #expect(throws: StoreError.self) {
            try await pool.withTransaction { c in
                try await c.execute("INSERT INTO \(schema).t VALUES ($1)", [1])
                try await c.execute("INSERT INTO \(schema).t VALUES ($1)", [1])
            }
        }
        let count: Int = try await pool.withConnection { try await $0.query("SELECT count(*)::int AS n FROM \(schema).t")[0].decode("n") }
        #expect(count == 0)
        await TestEnvironment.dropSchema(schema, pool)
    }

    @Test func poolServesManyConcurrentTasksWithFewConnections() async throws {
        // Its own application name, so the connections counted are this pool's.
        let name = TestEnvironment.uniqueName("pool")
        let pool = ConnectionPool(StoreConfiguration(port: TestEnvironment.postgresPort, poolSize: 3, applicationName: name), logger: TestEnvironment.logger)
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<200 {
                group.addTask { try await pool.withConnection { try await $0.query("SELECT $1::int AS v", [i], prepared: true)[0].decode("v") } }
            }
            return try await group.reduce(0, +)
        }
        #expect(total == (0..<200).reduce(0, +))
        let connections: Int = try await pool.withConnection {
            try await $0.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1", [name])[0].decode("n")
        }
        // 200 concurrent tasks, never more than the pool's 3 connections.
        #expect((1...3).contains(connections))
        await pool.shutdown()
    }

    @Test func aWaiterGetsAFreshConnectionWhenTheLeasedOneBreaks() async throws {
        let pool = ConnectionPool(StoreConfiguration(port: TestEnvironment.postgresPort, poolSize: 1, acquireTimeout: .seconds(5)),
                                  logger: TestEnvironment.logger)
        let holding = Task {
            try? await pool.withConnection { connection in
                try await Task.sleep(for: .milliseconds(200))
                // The server ends this session: the connection is broken when returned.
                _ = try? await connection.query("SELECT pg_terminate_backend(pg_backend_pid())")
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        let start = ContinuousClock.now
        let value: Int = try await pool.withConnection { try await $0.query("SELECT 7 AS v")[0].decode("v") }
        #expect(value == 7)
        #expect(ContinuousClock.now - start < .seconds(3))
        await holding.value
    }

    @Test func leaseTimesOutWhenEveryConnectionIsBusy() async throws {
        let pool = ConnectionPool(StoreConfiguration(port: TestEnvironment.postgresPort, poolSize: 1, acquireTimeout: .milliseconds(200)),
                                  logger: TestEnvironment.logger)
        let holding = Task { try await pool.withConnection { try await $0.execute("SELECT pg_sleep(1)") } }
        try await Task.sleep(for: .milliseconds(100))
        let error = await #expect(throws: StoreError.self) { try await pool.withConnection { try await $0.execute("SELECT 1") } }
        #expect(error?.code == .timeout)
        #expect(error?.isRetriable == true)
        _ = try await holding.value
    }

    @Test func migrationsAreIdempotentAndSafeWhenRunnersRace() async throws {
        let pool = TestEnvironment.pool()
        let schema = TestEnvironment.schemaName()
        let migrations = [
            Migration(version: 1, name: "create", sql: "CREATE TABLE items (id int PRIMARY KEY); CREATE INDEX ON items (id);"),
            Migration(version: 2, name: "column", sql: "ALTER TABLE items ADD COLUMN name text"),
            Outbox.migration(version: 3),
        ]
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<4 {
                group.addTask { try await Migrator(pool: TestEnvironment.pool(size: 1), logger: TestEnvironment.logger).migrate(schema: schema, migrations) }
            }
            return try await group.reduce([], +)
        }
        #expect(applied.sorted() == [1, 2, 3])
        let again = try await Migrator(pool: pool, logger: TestEnvironment.logger).migrate(schema: schema, migrations)
        #expect(again.isEmpty)
        var edited = migrations
        edited[1] = Migration(version: 2, name: "column", sql: "ALTER TABLE items ADD COLUMN title text")
        await #expect(throws: StoreError.self) { try await Migrator(pool: pool, logger: TestEnvironment.logger).migrate(schema: schema, edited) }
        await TestEnvironment.dropSchema(schema, pool)
    }

    @Test func migrationsLoadFromOrderedSQLFiles() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agion-migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "ALTER TABLE things ADD COLUMN note text;".write(to: directory.appendingPathComponent("010_note.sql"), atomically: true, encoding: .utf8)
        try "CREATE TABLE things (id int PRIMARY KEY);".write(to: directory.appendingPathComponent("002_things.sql"), atomically: true, encoding: .utf8)
        try "not a migration".write(to: directory.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        let migrations = try Migration.load(directory: directory)
        #expect(migrations.map(\.version) == [2, 10])
        #expect(migrations.map(\.name) == ["things", "note"])
        let pool = TestEnvironment.pool()
        let schema = TestEnvironment.schemaName()
        #expect(try await Migrator(pool: pool, logger: TestEnvironment.logger).migrate(schema: schema, migrations) == [2, 10])
        try await pool.withConnection { try await $0.execute("INSERT INTO \(schema).things (id, note) VALUES ($1, $2)", [1, "ok"]) }
        try "x".write(to: directory.appendingPathComponent("3_bad name.sql"), atomically: true, encoding: .utf8)
        try "x".write(to: directory.appendingPathComponent("nonumber.sql"), atomically: true, encoding: .utf8)
        #expect(throws: StoreError.self) { try Migration.load(directory: directory) }
        await TestEnvironment.dropSchema(schema, pool)
    }

    @Test func inboxDropsDuplicates() async throws {
        let pool = TestEnvironment.pool()
        let schema = TestEnvironment.schemaName()
        try await Migrator(pool: pool, logger: TestEnvironment.logger).migrate(schema: schema, [Outbox.migration(version: 1)])
        let inbox = Inbox(schema: schema)
        let id = UUIDv7.make()
        let first = try await pool.withTransaction { try await inbox.claim(id, consumer: "c", on: $0) }
        let second = try await pool.withTransaction { try await inbox.claim(id, consumer: "c", on: $0) }
        let otherConsumer = try await pool.withTransaction { try await inbox.claim(id, consumer: "d", on: $0) }
        #expect(first)
        #expect(!second)
        #expect(otherConsumer)
        await TestEnvironment.dropSchema(schema, pool)
    }
}
