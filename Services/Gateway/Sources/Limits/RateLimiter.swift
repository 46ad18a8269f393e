import AgionCache
import HTTPTypes
import Logging
import Metrics
import Synchronization

/// Token buckets in Redis, one per credential and one per tenant, shared by
/// every gateway replica: a request takes a token from both or from neither
/// (one Lua script, Redis's clock). Refused requests get `429` with
/// `Retry-After`; every answer carries `RateLimit-Limit`, `-Remaining` and
/// `-Reset` for the tighter bucket.
///
/// If Redis does not answer, requests pass (counted in
/// `agion_gateway_rate_limit_unavailable_total`): the limits protect the
/// services from floods; they are not what keeps tenants apart.
final class RateLimiter: Sendable {
    struct Bucket: Sendable, Equatable {
        /// Tokens added per second.
        var rate: Double
        /// The most tokens a bucket holds (the largest burst).
        var burst: Int
    }

    struct Outcome: Sendable, Equatable {
        let allowed: Bool
        let limit: Int
        let remaining: Int
        /// Seconds until the tighter bucket is full again (`RateLimit-Reset`), or
        /// until one token is there when refused (`Retry-After`).
        let resetSeconds: Int

        var headers: HTTPFields {
            var headers: HTTPFields = [
                HTTPField.Name("RateLimit-Limit")!: String(limit), HTTPField.Name("RateLimit-Remaining")!: String(remaining),
                HTTPField.Name("RateLimit-Reset")!: String(resetSeconds),
            ]
            if !allowed { headers[.retryAfter] = String(max(resetSeconds, 1)) }
            return headers
        }
    }

    let redis: RedisPool
    let keyPrefix: String
    let perCredential: Bucket
    let perTenant: Bucket
    let logger: Logger
    private let unavailable = Counter(label: "agion_gateway_rate_limit_unavailable_total")
    private let refused = Counter(label: "agion_gateway_rate_limited_total")
    /// When the last "Redis unavailable" warning was logged (one per 10 s, not one per request).
    private let lastWarning = Mutex<ContinuousClock.Instant?>(nil)

    init(redis: RedisPool, keyPrefix: String, perCredential: Bucket, perTenant: Bucket, logger: Logger) {
        self.redis = redis
        self.keyPrefix = keyPrefix
        self.perCredential = perCredential
        self.perTenant = perTenant
        self.logger = logger
    }

    // KEYS: buckets; ARGV: per bucket rate, burst. Returns {allowed, remaining, reset ms, limit}
    // for the bucket with the fewest tokens (the one that refused, if any).
    static let script = RedisScript("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local tokens, worst = {}, 1
        for i, key in ipairs(KEYS) do
          local rate, burst = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
          local state = redis.call('HMGET', key, 'tokens', 'at')
          local have = tonumber(state[1]) or burst
          local at = tonumber(state[2]) or now
          have = math.min(burst, have + math.max(0, now - at) * rate / 1000)
          tokens[i] = have
          if have / burst < tokens[worst] / tonumber(ARGV[2 * worst]) then worst = i end
        end
        for i, key in ipairs(KEYS) do
          if tokens[i] < 1 then
            local rate = tonumber(ARGV[2 * i - 1])
            return {0, 0, math.ceil((1 - tokens[i]) * 1000 / rate), tonumber(ARGV[2 * i])}
          end
        end
        for i, key in ipairs(KEYS) do
          local rate, burst = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
          tokens[i] = tokens[i] - 1
          redis.call('HSET', key, 'tokens', tostring(tokens[i]), 'at', now)
          redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
        end
        local rate, burst = tonumber(ARGV[2 * worst - 1]), tonumber(ARGV[2 * worst])
        return {1, math.floor(tokens[worst]), math.ceil((burst - tokens[worst]) * 1000 / rate), burst}
        """)

    /// Takes a token for `credential`; nil when Redis could not be asked.
    func take(for credential: Credential) async -> Outcome? {
        let keys = ["\(keyPrefix):cred:\(credential.subject)", "\(keyPrefix):tenant:\(credential.tenant)"]
        let arguments: [any RedisArgument] = [perCredential.rate, perCredential.burst, perTenant.rate, perTenant.burst]
        do {
            let reply = try await Self.script.run(on: redis, keys: keys, arguments: arguments).array ?? []
            guard reply.count == 4, let allowed = reply[0].integer, let remaining = reply[1].integer, let resetMillis = reply[2].integer,
                  let limit = reply[3].integer else { throw CacheError(.protocolError, "unexpected rate limit reply \(reply)") }
            let outcome = Outcome(allowed: allowed == 1, limit: Int(limit), remaining: Int(remaining), resetSeconds: Int((resetMillis + 999) / 1_000))
            if !outcome.allowed { refused.increment() }
            return outcome
        } catch {
            unavailable.increment()
            let now = ContinuousClock.now
            let warn = lastWarning.withLock { last in
                guard last.map({ now - $0 > .seconds(10) }) ?? true else { return false }
                last = now
                return true
            }
            if warn { logger.warning("gateway.rate_limit_unavailable", metadata: ["error": "\(error)", "effect": "requests pass unlimited"]) }
            return nil
        }
    }
}
