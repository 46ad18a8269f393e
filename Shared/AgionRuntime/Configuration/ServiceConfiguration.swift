import AgionBus
import AgionCache
import AgionStore
import Logging

/// Everything a service reads from its environment. Only `main` calls
/// `init(environment:)`; everything else receives this struct.
///
/// | key | type | default |
/// |---|---|---|
/// | `AGION_NATS_URL` | URL list | `nats://127.0.0.1:14222` |
/// | `AGION_NATS_CREDS` | path of the service's `.creds` file (docs/security.md) | none: no NATS authentication |
/// | `AGION_NATS_MAX_RECONNECT_DELAY_MS` | int ≥ 1 | `250` |
/// | `AGION_REDIS_HOST` | host | `127.0.0.1` |
/// | `AGION_REDIS_PORT` | port | `16379` |
/// | `AGION_REDIS_POOL_SIZE` | int ≥ 1 | `8` |
/// | `AGION_POSTGRES_HOST` | host | `127.0.0.1` |
/// | `AGION_POSTGRES_PORT` | port | `15432` |
/// | `AGION_POSTGRES_USER` | string | `agion` |
/// | `AGION_POSTGRES_PASSWORD` | string | `agion` |
/// | `AGION_POSTGRES_DATABASE` | string | `agion` |
/// | `AGION_POSTGRES_POOL_SIZE` | int ≥ 1 | `8` |
/// | `AGION_ADMIN_HOST` | address | `127.0.0.1` |
/// | `AGION_ADMIN_PORT` | port | the service's own (see docs/configuration.md) |
/// | `AGION_LOG_LEVEL` | trace…critical | `info` |
/// | `AGION_LOG_FORMAT` | `json` or `text` | `json` |
/// | `AGION_SHUTDOWN_TIMEOUT_SECONDS` | int ≥ 1 | `25` |
/// | `AGION_STREAM_REPLICAS` | 1, 3 or 5 | `1` |
public struct ServiceConfiguration: Sendable {
    public var serviceName: String
    public var bus: BusConfiguration
    public var redis: RedisConfiguration
    public var store: StoreConfiguration
    public var adminHost: String
    public var adminPort: Int
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// Bound on graceful shutdown; after it, remaining work is cancelled.
    public var shutdownTimeout: Duration
    /// Copies of every JetStream stream the service declares: 1 on one NATS
    /// server, 3 (or 5) on a NATS cluster, so a server lost loses no event.
    public var streamReplicas = 1

    public enum LogFormat: String, Sendable { case json, text }

    /// Defaults for the local stack.
    public init(serviceName: String, adminPort: Int) {
        self.serviceName = serviceName
        self.bus = BusConfiguration(name: "agion-\(serviceName)")
        self.redis = RedisConfiguration()
        self.store = StoreConfiguration(applicationName: "agion-\(serviceName)")
        self.adminHost = "127.0.0.1"
        self.adminPort = adminPort
        self.logLevel = .info
        self.logFormat = .json
        self.shutdownTimeout = .seconds(25)
    }

    /// Reads the `AGION_*` keys; a present but invalid value is an error naming the key.
    public init(serviceName: String, defaultAdminPort: Int, environment: [String: String]) throws(ConfigurationError) {
        self.init(serviceName: serviceName, adminPort: defaultAdminPort)
        let env = EnvironmentReader(environment)
        bus.url = try env.string("AGION_NATS_URL") ?? bus.url
        bus.credentialsFile = try env.string("AGION_NATS_CREDS")
        bus.maxReconnectDelay = try env.milliseconds("AGION_NATS_MAX_RECONNECT_DELAY_MS") ?? bus.maxReconnectDelay
        redis.host = try env.string("AGION_REDIS_HOST") ?? redis.host
        redis.port = try env.port("AGION_REDIS_PORT") ?? redis.port
        redis.poolSize = try env.positive("AGION_REDIS_POOL_SIZE") ?? redis.poolSize
        store.host = try env.string("AGION_POSTGRES_HOST") ?? store.host
        store.port = try env.port("AGION_POSTGRES_PORT") ?? store.port
        store.user = try env.string("AGION_POSTGRES_USER") ?? store.user
        store.password = env.raw("AGION_POSTGRES_PASSWORD") ?? store.password
        store.database = try env.string("AGION_POSTGRES_DATABASE") ?? store.database
        store.poolSize = try env.positive("AGION_POSTGRES_POOL_SIZE") ?? store.poolSize
        adminHost = try env.string("AGION_ADMIN_HOST") ?? adminHost
        adminPort = try env.port("AGION_ADMIN_PORT") ?? adminPort
        if let level = try env.string("AGION_LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw ConfigurationError(key: "AGION_LOG_LEVEL", reason: "must be one of trace, debug, info, notice, warning, error, critical")
            }
            logLevel = parsed
        }
        if let format = try env.string("AGION_LOG_FORMAT") {
            guard let parsed = LogFormat(rawValue: format.lowercased()) else {
                throw ConfigurationError(key: "AGION_LOG_FORMAT", reason: "must be json or text")
            }
            logFormat = parsed
        }
        if let seconds = try env.positive("AGION_SHUTDOWN_TIMEOUT_SECONDS") { shutdownTimeout = .seconds(seconds) }
        if let replicas = try env.positive("AGION_STREAM_REPLICAS") {
            // JetStream's quorum needs an odd count; more than 5 only slows writes.
            guard [1, 3, 5].contains(replicas) else {
                throw ConfigurationError(key: "AGION_STREAM_REPLICAS", reason: "must be 1, 3 or 5 (a JetStream quorum)")
            }
            streamReplicas = replicas
        }
    }
}

/// A configuration value that cannot be used, with the key that holds it.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let key: String
    public let reason: String
    public var description: String { "\(key) \(reason)" }

    public init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }
}

/// Reads `AGION_*` keys with one rule for all services: absent means the
/// default, present but invalid is a `ConfigurationError` naming the key.
public struct EnvironmentReader: Sendable {
    public let environment: [String: String]
    public init(_ environment: [String: String]) { self.environment = environment }

    /// The value as set, untrimmed (passwords).
    public func raw(_ key: String) -> String? { environment[key] }

    /// A trimmed, non-empty value.
    public func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = environment[key] else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw ConfigurationError(key: key, reason: "is set but empty") }
        return trimmed
    }

    /// A whole number ≥ 1.
    public func positive(_ key: String) throws(ConfigurationError) -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = Int(text), value >= 1 else { throw ConfigurationError(key: key, reason: "must be a whole number ≥ 1, not '\(text)'") }
        return value
    }

    /// A whole number ≥ 0 (0 meaning "no limit" where a setting says so).
    public func nonNegative(_ key: String) throws(ConfigurationError) -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = Int(text), value >= 0 else { throw ConfigurationError(key: key, reason: "must be a whole number ≥ 0, not '\(text)'") }
        return value
    }

    /// A TCP port.
    public func port(_ key: String) throws(ConfigurationError) -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = Int(text), (1...65_535).contains(value) else {
            throw ConfigurationError(key: key, reason: "must be a port number from 1 to 65535, not '\(text)'")
        }
        return value
    }

    /// A PostgreSQL schema name a service may own (see `Migrator.isValidSchemaName`).
    public func schema(_ key: String) throws(ConfigurationError) -> String? {
        guard let name = try string(key) else { return nil }
        guard Migrator.isValidSchemaName(name) else {
            throw ConfigurationError(key: key, reason: "must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 63 characters)")
        }
        return name
    }

    /// A positive number of milliseconds.
    public func milliseconds(_ key: String) throws(ConfigurationError) -> Duration? {
        try positive(key).map { .milliseconds($0) }
    }
}

import Foundation
