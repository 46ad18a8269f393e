import AgionCache
import GovernanceCore

/// Rate limits shared by all replicas: fixed-window counters in Redis,
/// checked and drawn atomically (one Lua script), so a decision draws from
/// every budget it needs or from none.
struct RateLimiter: Sendable {
    let redis: RedisPool
    let keyPrefix: String

    static let script = RedisScript("""
        for i, key in ipairs(KEYS) do
          local used = tonumber(redis.call('GET', key) or '0')
          if used >= tonumber(ARGV[2 * i - 1]) then return i end
        end
        for i, key in ipairs(KEYS) do
          if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[2 * i]) end
        end
        return 0
        """)

    /// The first exhausted budget, or nil after drawing one from each.
    func draw(_ uses: [RateLimitUse], tenant: String, unixSeconds: Int64) throws(CacheError) -> RateLimitUse? {
        guard !uses.isEmpty else { return nil }
        let keys = uses.map { use in
            "\(keyPrefix):\(tenant):rl:\(use.ruleID):\(use.subject):\(unixSeconds / Int64(use.windowSeconds))"
        }
        let arguments: [any RedisArgument] = uses.flatMap { [$0.max, $0.windowSeconds + 1] as [any RedisArgument] }
        let exhausted = try Self.script.runBlocking(on: redis, keys: keys, arguments: arguments).integer ?? 0
        return exhausted > 0 ? uses[Int(exhausted) - 1] : nil
    }
}
