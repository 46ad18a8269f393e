import AgionStore
import Logging
import ServiceLifecycle
import Synchronization

/// Whether PostgreSQL answers, probed every `interval` off the hot path, so
/// a check can fail closed at once instead of waiting on a dead database.
final class StoreHealth: Service, Sendable {
    private let available = Atomic<Bool>(true)
    let pool: ConnectionPool
    let interval: Duration
    let logger: Logger

    init(pool: ConnectionPool, interval: Duration = .milliseconds(500), logger: Logger) {
        self.pool = pool
        self.interval = interval
        self.logger = logger
    }

    var isAvailable: Bool { available.load(ordering: .relaxed) }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let up = (try? await self.pool.withConnection { try await $0.query("SELECT 1") }) != nil
                let was = self.available.exchange(up, ordering: .relaxed)
                if was != up { self.logger.warning("governance.store_\(up ? "available" : "unavailable")") }
                try await Task.sleep(for: self.interval)
            }
        }
    }
}
