import Dispatch
import Logging
import NIOPosix
import Synchronization

/// A fixed-size pool of PostgreSQL connections, each leased to one task at a
/// time, with every libpq call on the pool's own threads.
///
/// Connections open lazily, and one that broke (server restart) is discarded
/// on return, so the next lease opens a fresh one.
public final class ConnectionPool: Sendable {
    public let configuration: StoreConfiguration
    private let logger: Logger
    private let threads: NIOThreadPool
    private let state = Mutex(State())

    /// What a waiting lease is handed: a connection, or the right to open one
    /// (a broken connection was dropped and freed its slot), or nothing (timeout).
    private enum Handoff: Sendable {
        case connection(PostgresConnection)
        case openSlot
        case timedOut
    }

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var nextWaiter: UInt64 = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Handoff, Never>)] = []
        var closed = false
    }

    public init(_ configuration: StoreConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.threads = NIOThreadPool(numberOfThreads: max(configuration.poolSize, 1))
        threads.start()
    }

    /// Leases a connection for `body`.
    @discardableResult
    public func withConnection<T: Sendable>(_ body: (Connection) async throws -> T) async throws -> T {
        let raw = try await acquire()
        defer { release(raw) }
        return try await body(Connection(raw: raw, threads: threads))
    }

    /// Runs `body` in a transaction on one leased connection: committed when it
    /// returns, rolled back when it throws.
    @discardableResult
    public func withTransaction<T: Sendable>(_ body: (Connection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await connection.execute("BEGIN")
            do {
                let result = try await body(connection)
                try await connection.execute("COMMIT")
                return result
            } catch {
                _ = try? await connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// `Connection.transaction(_:)` on a leased connection.
    public func transaction(_ statements: [Statement]) async throws -> [(rows: [Row], affected: Int)]? {
        try await withConnection { try await $0.transaction(statements) }
    }

    /// Closes idle connections and the pool's threads; leases still out close
    /// when returned.
    public func shutdown() async {
        let idle = state.withLock { s -> [PostgresConnection] in
            s.closed = true
            defer { s.idle = [] }
            return s.idle
        }
        withExtendedLifetime(idle) {}  // PQfinish runs as they are released here
        try? await threads.shutdownGracefully()
    }

    private func acquire() async throws -> PostgresConnection {
        enum Next { case use(PostgresConnection), open, wait(UInt64) }
        let next = state.withLock { s -> Next in
            if let connection = s.idle.popLast() { return .use(connection) }
            if s.open < configuration.poolSize { s.open += 1; return .open }
            s.nextWaiter += 1
            return .wait(s.nextWaiter)
        }
        switch next {
        case .use(let connection): return connection
        case .open: return try await openConnection()
        case .wait(let id):
            let timeout = configuration.acquireTimeout
            let handoff = await withCheckedContinuation { continuation in
                state.withLock { $0.waiters.append((id, continuation)) }
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(timeout / .nanoseconds(1)))) {
                    let expired = self.state.withLock { s -> CheckedContinuation<Handoff, Never>? in
                        guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                        return s.waiters.remove(at: index).continuation
                    }
                    expired?.resume(returning: .timedOut)
                }
            }
            switch handoff {
            case .connection(let connection): return connection
            case .openSlot: return try await openConnection()
            case .timedOut: throw StoreError(.timeout, "no database connection free within \(timeout)")
            }
        }
    }

    private func openConnection() async throws -> PostgresConnection {
        let configuration = self.configuration, logger = self.logger
        let result: Result<PostgresConnection, StoreError> = await withCheckedContinuation { continuation in
            threads.submit { _ in
                continuation.resume(returning: Result { () throws(StoreError) in try PostgresConnection(configuration, logger: logger) })
            }
        }
        do { return try result.get() } catch {
            // The slot goes to the next waiter (who will try to open), or back to the pool.
            let waiter = state.withLock { s -> CheckedContinuation<Handoff, Never>? in
                if !s.waiters.isEmpty { return s.waiters.removeFirst().continuation }
                s.open -= 1
                return nil
            }
            waiter?.resume(returning: .openSlot)
            throw error
        }
    }

    private func release(_ connection: PostgresConnection) {
        let healthy = connection.isHealthy
        let (waiter, handoff) = state.withLock { s -> (CheckedContinuation<Handoff, Never>?, Handoff) in
            if !healthy || s.closed {
                // Its slot is free again: a waiter may open a fresh connection in it.
                if !s.closed, !s.waiters.isEmpty { return (s.waiters.removeFirst().continuation, .openSlot) }
                s.open -= 1
                return (nil, .timedOut)
            }
            if !s.waiters.isEmpty { return (s.waiters.removeFirst().continuation, .connection(connection)) }
            s.idle.append(connection)
            return (nil, .timedOut)
        }
        if !healthy { logger.warning("postgres.connection_discarded") }
        waiter?.resume(returning: handoff)
    }
}
