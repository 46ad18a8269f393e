import Synchronization

/// A Lua script run with EVALSHA. The SHA comes from SCRIPT LOAD; on NOSCRIPT
/// (Redis restarted or flushed its scripts) the script is loaded again and the
/// call retried once.
public final class RedisScript: Sendable {
    public let source: String
    private let sha = Mutex<String?>(nil)

    public init(_ source: String) { self.source = source }

    public func run(on pool: RedisPool, keys: [String], arguments: [any RedisArgument] = []) async throws -> RedisValue {
        let digest = try await loadedSHA(pool, reload: false)
        do {
            return try await pool.command(["EVALSHA", digest, keys.count] + keys + arguments)
        } catch let error as CacheError where error.code == .noScript {
            let digest = try await loadedSHA(pool, reload: true)
            return try await pool.command(["EVALSHA", digest, keys.count] + keys + arguments)
        }
    }

    /// `run` on the calling thread (see `RedisPool.pipelineBlocking`).
    public func runBlocking(on pool: RedisPool, keys: [String], arguments: [any RedisArgument] = []) throws(CacheError) -> RedisValue {
        func call(_ digest: String) throws(CacheError) -> RedisValue {
            try pool.pipelineBlocking([["EVALSHA", digest, keys.count] + keys + arguments])[0].get()
        }
        do {
            return try call(try loadedSHABlocking(pool, reload: false))
        } catch where error.code == .noScript {
            return try call(try loadedSHABlocking(pool, reload: true))
        }
    }

    private func loadedSHABlocking(_ pool: RedisPool, reload: Bool) throws(CacheError) -> String {
        if !reload, let known = sha.withLock({ $0 }) { return known }
        guard let loaded = try pool.pipelineBlocking([["SCRIPT", "LOAD", source]])[0].get().string else {
            throw CacheError(.protocolError, "SCRIPT LOAD returned no SHA")
        }
        sha.withLock { $0 = loaded }
        return loaded
    }

    private func loadedSHA(_ pool: RedisPool, reload: Bool) async throws -> String {
        if !reload, let known = sha.withLock({ $0 }) { return known }
        guard let loaded = try await pool.command(["SCRIPT", "LOAD", source]).string else {
            throw CacheError(.protocolError, "SCRIPT LOAD returned no SHA")
        }
        sha.withLock { $0 = loaded }
        return loaded
    }
}
