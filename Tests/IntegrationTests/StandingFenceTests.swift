import AgionBus
import AgionCache
import AgionContract
import Foundation
import GovernanceCore
import Testing
@testable import AgionGovernance

/// A reader that read an agent's standing from PostgreSQL before a change and
/// fills Redis after the writer's invalidation must not leave the old standing
/// cached for the entry's minute (it once kept a just-registered agent "not
/// registered" for up to 60 s across every replica).
@Suite(.timeLimit(.minutes(1))) struct StandingFenceTests {
    @Test func aFillRacingAnInvalidationLeavesNothingStale() async throws {
        let redis = RedisPool(RedisConfiguration(port: TestEnvironment.redisPort, poolSize: 2))
        let bus = try await TestEnvironment.bus()
        let prefix = TestEnvironment.uniqueName("fence")
        let directory = AgentDirectory(bus: bus, memoryTTL: .zero, redis: redis, pool: TestEnvironment.pool(size: 1),
                                       schema: "unused", keyPrefix: prefix, logger: TestEnvironment.logger)
        let key = directory.key(tenant: "t", agent: "c:late")
        let stale = AgentStanding(status: nil, trust: .neutral(at: 0))
        func cached() async throws -> RedisValue { try await redis.command(["HGET", key, "s"]) }

        // No writer around: a fill caches.
        directory.fill(key, stale)
        #expect(try await cached().string == "0")

        // The writer changes PostgreSQL, then invalidates; a reader that read
        // before the change fills after the invalidation: nothing is cached.
        await directory.invalidate(tenant: "t", agent: "c:late")
        directory.fill(key, stale)
        #expect(try await cached().string == nil, "the stale standing was cached after the invalidation")

        // Once the fence has passed, fills cache again.
        try await Task.sleep(for: .milliseconds(AgentDirectory.fenceMilliseconds + 200))
        directory.fill(key, AgentStanding(status: .healthy, trust: .neutral(at: 0)))
        #expect(try await cached().string == String(AgentStatus.healthy.rawValue))
        _ = try await redis.command(["DEL", key])
        try await bus.drain()
        await redis.shutdown()
    }
}
