/// How the cache reaches Redis. Services build it from `AGION_REDIS_*`; the
/// defaults match the local stack.
public struct RedisConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Contexts in the pool; each is used by one thread at a time.
    public var poolSize: Int
    public var connectTimeout: Duration
    /// Per-command socket timeout; a command past it fails with `.io` and the
    /// context is discarded.
    public var commandTimeout: Duration
    /// How long a lease waits for a free context.
    public var acquireTimeout: Duration

    public init(host: String = "127.0.0.1", port: Int = 16379, poolSize: Int = 8, connectTimeout: Duration = .seconds(1),
                commandTimeout: Duration = .seconds(1), acquireTimeout: Duration = .seconds(2)) {
        self.host = host
        self.port = port
        self.poolSize = poolSize
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.acquireTimeout = acquireTimeout
    }
}

extension Duration {
    var timeval: timeval {
        let (seconds, attoseconds) = components
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}

import Glibc
