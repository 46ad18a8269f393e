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

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var nextWaiter: UInt64 = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<PostgresConnection?, Never>)] = []
        var closed = false
    }

    public init(_ configuration: StoreConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.threads = NIOThreadPool(numberOfThreads: max(configuration.poolSize, 1))
        threads.start()
    }

    /// Leases a connection for `body`.
    public func withConnection<T: Sendable>(_ body: (Connection) async throws -> T) async throws -> T {
        let raw = try await acquire()
        defer { release(raw) }
        return try await body(Connection(raw: raw, threads: threads))
    }

    /// Runs `body` in a transaction on one leased connection: committed when it
    /// returns, rolled back when it throws.
    public func withTransaction<T: Sendable>(_ body: (Connection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await connection.execute("BEGIN")
            do {
                let result = try await body(connection)
                try await connection.execute("COMMIT")
                return result
            } catch {
                try? await connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Closes idle connections; leases still out close when returned.
    public func shutdown() async {
        let idle = state.withLock { s -> [PostgresConnection] in
            s.closed = true
            defer { s.idle = [] }
            return s.idle
        }
        _ = idle
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
            let handed = await withCheckedContinuation { continuation in
                state.withLock { $0.waiters.append((id, continuation)) }
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(configuration.acquireTimeout.components.seconds * 1000))) {
                    let expired = self.state.withLock { s -> CheckedContinuation<PostgresConnection?, Never>? in
                        guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                        return s.waiters.remove(at: index).continuation
                    }
                    expired?.resume(returning: nil)
                }
            }
            guard let handed else {
                throw StoreError(.timeout, "no database connection free within \(configuration.acquireTimeout)")
            }
            return handed
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
            state.withLock { $0.open -= 1 }
            throw error
        }
    }

    private func release(_ connection: PostgresConnection) {
        let healthy = connection.isHealthy
        let waiter = state.withLock { s -> CheckedContinuation<PostgresConnection?, Never>? in
            guard healthy, !s.closed else { s.open -= 1; return nil }
            if !s.waiters.isEmpty { return s.waiters.removeFirst().continuation }
            s.idle.append(connection)
            return nil
        }
        if !healthy { logger.warning("postgres.connection_discarded") }
        waiter?.resume(returning: connection)
    }
}
