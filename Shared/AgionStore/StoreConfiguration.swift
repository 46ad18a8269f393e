/// How the store reaches PostgreSQL. Services build it from `AGION_POSTGRES_*`
/// (see `ServiceConfiguration`); the defaults match the local stack.
public struct StoreConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var database: String
    /// Connections in the pool; each is used by one thread at a time.
    public var poolSize: Int
    /// How long a lease waits for a free connection before `.timeout`.
    public var acquireTimeout: Duration
    public var connectTimeoutSeconds: Int
    /// Shown in `pg_stat_activity`.
    public var applicationName: String

    public init(host: String = "127.0.0.1", port: Int = 15432, user: String = "agion", password: String = "agion",
                database: String = "agion", poolSize: Int = 8, acquireTimeout: Duration = .seconds(5),
                connectTimeoutSeconds: Int = 5, applicationName: String = "agion") {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.poolSize = poolSize
        self.acquireTimeout = acquireTimeout
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.applicationName = applicationName
    }
}
