import AgionBus
import AgionCache
import AgionEnvelope
import Foundation
import AgionContract
import AgionStore
import GovernanceCore
import Logging
import Synchronization

/// What a check needs to know about an agent besides the policy: whether the
/// registry knows it and its liveness, and its overall trust evidence.
struct AgentStanding: Sendable, Hashable {
    /// nil: the registry has never announced this agent.
    var status: AgentStatus?
    var trust: TrustState
}

/// Reads agent standing for checks, from three tiers:
/// - this replica's memory, for `memoryTTL` (zero turns it off);
/// - Redis (one HMGET), shared by the replicas;
/// - PostgreSQL, the authoritative copy, on a Redis miss (then filling Redis)
///   or while Redis is down.
///
/// Writers change PostgreSQL first, then fence and delete the Redis entry and
/// tell every replica (`agion.governance.standing.changed`, core NATS) to drop
/// its memory entry, so the next check reloads. The fence closes the race of a
/// reader that read PostgreSQL before the change and fills Redis after the
/// delete: it would have left the old standing (say "not registered", for an
/// agent that just registered) for the entry's whole minute. The writer sets
/// a short-lived fence key, and a fill is a script that writes nothing while
/// the fence stands. Entries also expire in both tiers, which bounds how long
/// a lost notification can leave one stale.
final class AgentDirectory: Sendable {
    let bus: Bus
    let memoryTTL: Duration
    private let memory = Mutex<[String: (standing: AgentStanding, expires: ContinuousClock.Instant)]>([:])
    static let changedSubject = "agion.governance.standing.changed"
    /// Beyond this many remembered agents the memory tier starts over.
    static let memoryCapacity = 100_000
    let redis: RedisPool
    let pool: ConnectionPool
    let schema: String
    let keyPrefix: String
    let logger: Logger
    static let entryTTLSeconds = 60
    /// How long a writer's fence blocks fills: far longer than a reader's
    /// PostgreSQL read and its fill, short enough that caching resumes at once.
    static let fenceMilliseconds = 2_000
    /// KEYS: the entry, its fence. ARGV: status, positive, negative, updated-at, TTL.
    static let fillScript = RedisScript("""
        if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 's', ARGV[1], 'p', ARGV[2], 'n', ARGV[3], 't', ARGV[4])
        redis.call('EXPIRE', KEYS[1], ARGV[5])
        return 1
        """)
    /// After a Redis failure, checks go straight to PostgreSQL for this long.
    static let redisCooldown: Duration = .seconds(1)
    private let redisDownUntil = Mutex<ContinuousClock.Instant?>(nil)

    init(bus: Bus, memoryTTL: Duration, redis: RedisPool, pool: ConnectionPool, schema: String, keyPrefix: String, logger: Logger) {
        self.bus = bus
        self.memoryTTL = memoryTTL
        self.redis = redis
        self.pool = pool
        self.schema = schema
        self.keyPrefix = keyPrefix
        self.logger = logger
    }

    func key(tenant: String, agent: String) -> String { "\(keyPrefix):\(tenant):agent:\(agent)" }
    func fenceKey(_ key: String) -> String { key + ":fence" }

    /// Whether Redis answered the last time it was asked (for `/ready`).
    var redisHealthy: Bool { redisDownUntil.withLock { $0.map { ContinuousClock.now >= $0 } ?? true } }

    /// The hot path, on the caller's thread.
    func standingBlocking(tenant: String, agent: String, now: Int64) throws -> AgentStanding {
        let key = key(tenant: tenant, agent: agent)
        if memoryTTL > .zero {
            let clock = ContinuousClock.now
            if let hit = memory.withLock({ $0[key] }), hit.expires > clock { return hit.standing }
            let standing = try standingFromRedis(key: key, tenant: tenant, agent: agent, now: now)
            memory.withLock { entries in
                if entries.count >= Self.memoryCapacity { entries.removeAll(keepingCapacity: true) }
                entries[key] = (standing, clock + memoryTTL)
            }
            return standing
        }
        return try standingFromRedis(key: key, tenant: tenant, agent: agent, now: now)
    }

    private func standingFromRedis(key: String, tenant: String, agent: String, now: Int64) throws -> AgentStanding {
        if redisHealthy {
            do {
                let reply = try redis.pipelineBlocking([["HMGET", key, "s", "p", "n", "t"]])[0].get()
                if let fields = reply.array, fields.count == 4, let status = fields[0].integer {
                    let trust = TrustState(positive: Double(fields[1].string ?? "") ?? 0, negative: Double(fields[2].string ?? "") ?? 0,
                                           updatedAtNanos: fields[3].integer ?? now)
                    return AgentStanding(status: status == 0 ? nil : AgentStatus(rawValue: Int32(status)), trust: trust)
                }
            } catch {
                markRedisDown(error)
            }
        }
        let standing = try blockingAwait { try await self.load(tenant: tenant, agent: agent, now: now) }
        if redisHealthy { fill(key, standing) }
        return standing
    }

    /// The same, for async handlers (explain, validate).
    func standing(tenant: String, agent: String, now: Int64) async throws -> AgentStanding {
        try await load(tenant: tenant, agent: agent, now: now)
    }

    /// From PostgreSQL: the authoritative copy.
    func load(tenant: String, agent: String, now: Int64) async throws -> AgentStanding {
        try await pool.withConnection { connection in
            let status = try await connection.query("SELECT status FROM \(schema).agents WHERE tenant = $1 AND agent_id = $2",
                                                    [tenant, agent], prepared: true).first
            let trust = try await connection.query("""
                SELECT positive, negative, updated_at FROM \(schema).trust_scores WHERE tenant = $1 AND agent_id = $2 AND capability = ''
                """, [tenant, agent], prepared: true).first
            return AgentStanding(
                status: try status.flatMap { AgentStatus(rawValue: Int32(try $0.decode("status", as: Int.self))) },
                trust: try trust.map { TrustState(positive: try $0.decode("positive"), negative: try $0.decode("negative"),
                                                  updatedAtNanos: try $0.decode("updated_at")) } ?? .neutral(at: now))
        }
    }

    /// Drops the cached entries after a change in PostgreSQL: Redis's, this
    /// replica's, and (by notification) every other replica's.
    func invalidate(tenant: String, agent: String) async {
        let key = key(tenant: tenant, agent: agent)
        forget(key)
        do {
            _ = try await redis.pipeline([["SET", fenceKey(key), "1", "PX", Self.fenceMilliseconds], ["DEL", key]])
        } catch {
            // The entry expires by itself; until then it may be stale.
            logger.warning("governance.cache_invalidate_failed", metadata: ["error": "\(error)", "agent": "\(agent)"])
        }
        do {
            try bus.publish(Self.changedSubject, Envelope(type: "agion.governance.standing_changed", tenant: tenant, payload: Array(agent.utf8)))
        } catch {
            logger.warning("governance.standing_notify_failed", metadata: ["error": "\(error)"])
        }
    }

    private func forget(_ key: String) { _ = memory.withLock { $0.removeValue(forKey: key) } }

    /// Listens for other replicas' changes (a queue group of its own, so
    /// every replica hears every change). Keep the responder while serving.
    /// Another replica changed an agent's standing (`changedSubject`): forget
    /// this replica's memory of it.
    func heard(_ change: Envelope) {
        forget(key(tenant: change.tenant, agent: String(decoding: change.payload, as: UTF8.self)))
    }

    func fill(_ key: String, _ standing: AgentStanding) {
        let status = standing.status.map { Int($0.rawValue) } ?? 0
        do {
            _ = try Self.fillScript.runBlocking(on: redis, keys: [key, fenceKey(key)], arguments: [
                status, standing.trust.positive, standing.trust.negative, standing.trust.updatedAtNanos, Self.entryTTLSeconds,
            ])
        } catch {
            markRedisDown(error)
        }
    }

    private func markRedisDown(_ error: any Error) {
        let first = redisDownUntil.withLock { until -> Bool in
            let wasHealthy = until.map { ContinuousClock.now >= $0 } ?? true
            until = ContinuousClock.now + Self.redisCooldown
            return wasHealthy
        }
        if first { logger.warning("governance.redis_unavailable", metadata: ["error": "\(error)"]) }
    }
}

/// Runs async work from a thread that may block (a blocking responder's
/// cnats thread), waiting for it. Never call it on the cooperative pool.
func blockingAwait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
        done.signal()
    }
    done.wait()
    return try box.get()
}

private final class ResultBox<T: Sendable>: Sendable {
    private let value = Mutex<Result<T, any Error>?>(nil)
    func set(_ result: Result<T, any Error>) { value.withLock { $0 = result } }
    func get() throws -> T { try value.withLock { $0! }.get() }
}

import Dispatch
