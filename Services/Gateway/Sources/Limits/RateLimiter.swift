import AgionCache
import HTTPTypes
import Logging
import Metrics
import Synchronization

/// Token buckets in Redis, one per credential and one per tenant, shared by
/// every gateway replica: tokens are taken from both or from neither (one Lua
/// script, Redis's clock). Refused requests get `429` with `Retry-After`;
/// every answer carries `RateLimit-Limit`, `-Remaining` and `-Reset` for the
/// tighter bucket.
///
/// A busy credential takes its tokens in leases (`TokenLease`): one Redis
/// call hands this replica several tokens for the next requests, so Redis is
/// asked about once per lease rather than once per request. Requests that find
/// the lease empty while a refill is on its way wait for that refill instead
/// of asking Redis themselves. A refusal is remembered on the replica until a
/// token can be back (at most a lease lifetime), so a flood over the limit
/// does not turn into a flood of Redis calls.
///
/// If Redis does not answer, requests pass (counted in
/// `agion_gateway_rate_limit_unavailable_total`), without asking it again for
/// a second: the limits protect the services from floods; they are not what
/// keeps tenants apart, and a hung Redis must not slow every request.
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
    /// The largest lease these buckets allow (1 for small limits: no leasing).
    let leaseCap: Int
    private let unavailable = Counter(label: "agion_gateway_rate_limit_unavailable_total")
    private let refused = Counter(label: "agion_gateway_rate_limited_total")
    private let redisCalls = Counter(label: "agion_gateway_rate_limit_redis_calls_total")
    /// When the last "Redis unavailable" warning was logged (one per 10 s, not one per request).
    private let lastWarning = Mutex<ContinuousClock.Instant?>(nil)
    /// After Redis failed to answer, requests pass without asking it until
    /// then: a Redis that hangs would otherwise add its timeout to every request.
    private let redisDownUntil = Mutex<ContinuousClock.Instant?>(nil)
    static let redisRetryAfter: Duration = .seconds(1)
    private let leases = Mutex(Leases())

    /// This replica's leases by credential, with the refill in flight, if any.
    private struct Leases {
        var byCredential: [String: Entry] = [:]
        struct Entry {
            var lease: TokenLease?
            var refill: Task<Refill, Never>?
            /// Redis refused: answer the same locally until a token can be there
            /// again (at most one lease lifetime), so a flood over the limit does
            /// not become a flood of Redis calls.
            var refusal: (outcome: Outcome, until: ContinuousClock.Instant)?
        }
        /// Entries whose lease ran out and has no refill: dropped now and then
        /// so the table does not grow with every credential ever seen.
        mutating func prune(now: ContinuousClock.Instant) {
            guard byCredential.count > 10_000 else { return }
            byCredential = byCredential.filter { _, entry in
                entry.refill != nil || entry.lease.map { now < $0.expiresAt } ?? false || entry.refusal.map { now < $0.until } ?? false
            }
        }
    }

    /// What one refill brought.
    enum Refill: Sendable {
        /// The lease holds new tokens: take one.
        case granted
        case refused(Outcome)
        /// Redis could not be asked.
        case unavailable
    }

    init(redis: RedisPool, keyPrefix: String, perCredential: Bucket, perTenant: Bucket, logger: Logger) {
        self.redis = redis
        self.keyPrefix = keyPrefix
        self.perCredential = perCredential
        self.perTenant = perTenant
        self.logger = logger
        self.leaseCap = TokenLease.cap(for: [perCredential, perTenant])
    }

    // KEYS: buckets; ARGV: tokens wanted, then per bucket rate, burst. Grants as many of the wanted tokens
    // as every bucket holds (at least 1, or none). Returns {granted, remaining, reset ms, limit} for the bucket
    // with the fewest tokens (the one that refused, if any; then granted is 0 and reset is until one token).
    static let script = RedisScript("""
        local want = tonumber(ARGV[1])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local tokens, worst = {}, 1
        for i, key in ipairs(KEYS) do
          local rate, burst = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
          local state = redis.call('HMGET', key, 'tokens', 'at')
          local have = tonumber(state[1]) or burst
          local at = tonumber(state[2]) or now
          have = math.min(burst, have + math.max(0, now - at) * rate / 1000)
          tokens[i] = have
          if have / burst < tokens[worst] / tonumber(ARGV[2 * worst + 1]) then worst = i end
        end
        local grant = want
        for i, key in ipairs(KEYS) do
          if tokens[i] < 1 then
            local rate = tonumber(ARGV[2 * i])
            return {0, 0, math.ceil((1 - tokens[i]) * 1000 / rate), tonumber(ARGV[2 * i + 1])}
          end
          grant = math.min(grant, math.floor(tokens[i]))
        end
        for i, key in ipairs(KEYS) do
          local rate, burst = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
          tokens[i] = tokens[i] - grant
          redis.call('HSET', key, 'tokens', tostring(tokens[i]), 'at', now)
          redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
        end
        local rate, burst = tonumber(ARGV[2 * worst]), tonumber(ARGV[2 * worst + 1])
        return {grant, math.floor(tokens[worst]), math.ceil((burst - tokens[worst]) * 1000 / rate), burst}
        """)

    /// Takes a token for `credential`; nil when Redis could not be asked.
    func take(for credential: Credential) async -> Outcome? {
        if let until = redisDownUntil.withLock({ $0 }), ContinuousClock.now < until {
            unavailable.increment()
            return nil
        }
        let key = "\(credential.tenant)\u{0}\(credential.subject)"
        // A refill may bring fewer tokens than there are waiters; those go round again.
        while true {
            enum Step { case serve(Outcome), refuse(Outcome), wait(Task<Refill, Never>) }
            let now = ContinuousClock.now
            let step = leases.withLock { leases -> Step in
                var entry = leases.byCredential[key] ?? Leases.Entry()
                if var lease = entry.lease, lease.isUsable(at: now) {
                    lease.left -= 1
                    entry.lease = lease
                    leases.byCredential[key] = entry
                    return .serve(lease.outcome)
                }
                if let refill = entry.refill { return .wait(refill) }
                if let refusal = entry.refusal, now < refusal.until { return .refuse(refusal.outcome) }
                leases.prune(now: now)
                let size = TokenLease.nextSize(after: entry.lease, at: now, cap: leaseCap)
                let refill = Task { await self.refill(key: key, credential: credential, size: size) }
                entry.refill = refill
                leases.byCredential[key] = entry
                return .wait(refill)
            }
            switch step {
            case .serve(let outcome): return outcome
            case .refuse(let outcome):
                refused.increment()
                return outcome
            case .wait(let refill):
                switch await refill.value {
                case .granted: continue
                case .refused(let outcome):
                    refused.increment()
                    return outcome
                case .unavailable: return nil
                }
            }
        }
    }

    /// Asks Redis for `size` tokens and stores what it granted as the credential's lease.
    private func refill(key: String, credential: Credential, size: Int) async -> Refill {
        let result = await takeFromRedis(size, for: credential)
        let now = ContinuousClock.now
        return leases.withLock { leases in
            var entry = leases.byCredential[key] ?? Leases.Entry()
            entry.refill = nil
            entry.refusal = nil
            defer { leases.byCredential[key] = entry }
            switch result {
            case .success(let reply) where reply.granted > 0:
                entry.lease = TokenLease(granted: reply.granted, left: reply.granted, grantedAt: now, limit: reply.limit,
                                         remainingAtGrant: reply.remaining, resetSeconds: reply.resetSeconds)
                return .granted
            case .success(let reply):
                let outcome = Outcome(allowed: false, limit: reply.limit, remaining: 0, resetSeconds: reply.resetSeconds)
                entry.lease = nil
                entry.refusal = (outcome, now + min(.milliseconds(reply.resetMillis), TokenLease.lifetime))
                return .refused(outcome)
            case .failure:
                return .unavailable
            }
        }
    }

    private struct Grant {
        let granted: Int
        let remaining: Int
        let limit: Int
        /// Until the tighter bucket is full; when refused, until it holds one token.
        let resetMillis: Int64
        var resetSeconds: Int { Int((resetMillis + 999) / 1_000) }
    }

    private func takeFromRedis(_ size: Int, for credential: Credential) async -> Result<Grant, CacheError> {
        let keys = ["\(keyPrefix):cred:\(credential.subject)", "\(keyPrefix):tenant:\(credential.tenant)"]
        let arguments: [any RedisArgument] = [size, perCredential.rate, perCredential.burst, perTenant.rate, perTenant.burst]
        redisCalls.increment()
        do {
            let reply = try await Self.script.run(on: redis, keys: keys, arguments: arguments).array ?? []
            guard reply.count == 4, let granted = reply[0].integer, let remaining = reply[1].integer, let resetMillis = reply[2].integer,
                  let limit = reply[3].integer else { throw CacheError(.protocolError, "unexpected rate limit reply \(reply)") }
            return .success(Grant(granted: Int(granted), remaining: Int(remaining), limit: Int(limit), resetMillis: Int64(resetMillis)))
        } catch {
            unavailable.increment()
            let now = ContinuousClock.now
            redisDownUntil.withLock { $0 = now + Self.redisRetryAfter }
            let warn = lastWarning.withLock { last in
                guard last.map({ now - $0 > .seconds(10) }) ?? true else { return false }
                last = now
                return true
            }
            if warn { logger.warning("gateway.rate_limit_unavailable", metadata: ["error": "\(error)", "effect": "requests pass unlimited"]) }
            return .failure(error as? CacheError ?? CacheError(.io, "\(error)"))
        }
    }
}
