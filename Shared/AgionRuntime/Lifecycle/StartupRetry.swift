import AgionBus
import AgionStore
import Logging

extension ServiceRuntime {
    /// Applies `migrations` to `schema`, retrying with backoff while PostgreSQL
    /// is unreachable (a service started before its database waits rather than
    /// crash-looping). Invalid migrations fail at once; cancellation ends the wait.
    public func migrate(schema: String, _ migrations: [Migration]) async throws {
        let applied = try await retryingWhileUnreachable("service.migration_waiting", isRetriable: { ($0 as? StoreError)?.isRetriable == true }) {
            try await Migrator(pool: store, logger: logger).migrate(schema: schema, migrations)
        }
        logger.info("service.migrated", metadata: ["db.schema": "\(schema)", "migrations.applied": "\(applied)"])
    }

    /// Creates or updates streams and consumers, retrying with backoff while
    /// NATS is unreachable (the connection keeps retrying in the background).
    /// The dead-letter stream comes with them: every service that consumes
    /// dead-letters through it. What is declared here is declared again each
    /// time the connection comes back (`StreamKeeper`), so a NATS server that
    /// returns without its data gets the streams and consumers back.
    public func provision(streams: [StreamSpec], consumers: [ConsumerSpec] = []) async throws {
        let declared = declare(streams: [DeadLetters.stream] + streams, consumers: consumers)
        try await retryingWhileUnreachable("service.provision_waiting", isRetriable: { ($0 as? BusError)?.isRetriable == true }) {
            try await bus.jetStream.provision(streams: declared.streams, consumers: declared.consumers)
        }
    }

    /// Runs `body` until it succeeds or fails with an error `isRetriable`
    /// rejects, waiting 250 ms, doubling up to 5 s, between attempts.
    private func retryingWhileUnreachable<T>(_ message: Logger.Message, isRetriable: (any Error) -> Bool,
                                             _ body: () async throws -> T) async throws -> T {
        var delay: Duration = .milliseconds(250)
        while true {
            do {
                return try await body()
            } catch where isRetriable(error) {
                logger.warning(message, metadata: ["error": "\(error)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}
