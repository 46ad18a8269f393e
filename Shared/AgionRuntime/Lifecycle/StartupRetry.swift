import AgionBus
import AgionStore
import Logging

extension ServiceRuntime {
    /// Applies `migrations` to `schema`, retrying with backoff while PostgreSQL
    /// is unreachable (a service started before its database waits rather than
    /// crash-looping). Invalid migrations fail at once; cancellation ends the wait.
    public func migrate(schema: String, _ migrations: [Migration]) async throws {
        var delay: Duration = .milliseconds(250)
        while true {
            do {
                let applied = try await Migrator(pool: store, logger: logger).migrate(schema: schema, migrations)
                logger.info("service.migrated", metadata: ["db.schema": "\(schema)", "migrations.applied": "\(applied)"])
                return
            } catch let error as StoreError where error.isRetriable {
                logger.warning("service.migration_waiting", metadata: ["db.schema": "\(schema)", "error": "\(error)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}

extension ServiceRuntime {
    /// Creates or updates streams and consumers, retrying with backoff while
    /// NATS is unreachable (the connection keeps retrying in the background).
    public func provision(streams: [StreamSpec], consumers: [ConsumerSpec] = []) async throws {
        var delay: Duration = .milliseconds(250)
        while true {
            do {
                try await bus.jetStream.provision(streams: streams, consumers: consumers)
                return
            } catch let error as BusError where error.isRetriable {
                logger.warning("service.provision_waiting", metadata: ["error": "\(error)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}
