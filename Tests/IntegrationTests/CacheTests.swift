import AgionCache
import Testing

@Suite(.timeLimit(.minutes(1))) struct CacheTests {
    private func pool(port: Int = TestEnvironment.redisPort) -> RedisPool {
        RedisPool(RedisConfiguration(host: TestEnvironment.redisHost, port: port, poolSize: 4))
    }

    @Test func commandsAndBinaryValuesRoundTrip() async throws {
        let redis = pool()
        let key = TestEnvironment.uniqueName("agion:test:key")
        #expect(try await redis.command(["SET", key, [0, 255, 10, 13] as [UInt8]]) == .status("OK"))
        #expect(try await redis.command(["GET", key]) == .bulk([0, 255, 10, 13]))
        #expect(try await redis.command(["INCRBY", key + ":n", 5]).integer == 5)
        #expect(try await redis.command(["GET", key + ":missing"]) == .null)
        await #expect(throws: CacheError.self) { try await redis.command(["INCR", key]) }
        try await redis.command(["DEL", key, key + ":n"])
    }

    @Test func pipelineReturnsEachResult() async throws {
        let redis = pool()
        let key = TestEnvironment.uniqueName("agion:test:pipe")
        let results = try await redis.pipeline([["SET", key, "1"], ["INCR", key], ["HSET", key, "f", "v"], ["GET", key]])
        #expect(try results[1].get() == .integer(2))
        #expect(throws: CacheError.self) { try results[2].get() }
        #expect(try results[3].get() == .bulk(Array("2".utf8)))
        try await redis.command(["DEL", key])
    }

    @Test func scriptsSurviveAScriptFlush() async throws {
        let redis = pool()
        let key = TestEnvironment.uniqueName("agion:test:script")
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        #expect(try await script.run(on: redis, keys: [key], arguments: [3]).integer == 3)
        try await redis.command(["SCRIPT", "FLUSH"])
        #expect(try await script.run(on: redis, keys: [key], arguments: [4]).integer == 7)
        try await redis.command(["DEL", key])
    }

    @Test func leaseTimesOutWhenEveryContextIsBusy() async throws {
        let redis = RedisPool(RedisConfiguration(host: TestEnvironment.redisHost, port: TestEnvironment.redisPort, poolSize: 1,
                                                 commandTimeout: .seconds(10), acquireTimeout: .milliseconds(200)))
        let key = TestEnvironment.uniqueName("agion:test:block")
        // The only context is held for 4 s: a PING that fails well before
        // then timed out waiting for it (on a loaded machine, well before
        // can be a second, so the margin is wide).
        let holding = Task { try await redis.command(["BLPOP", key, 4]) }
        try await Task.sleep(for: .milliseconds(100))
        let start = ContinuousClock.now
        let error = await #expect(throws: CacheError.self) { try await redis.command(["PING"]) }
        #expect(error?.code == .timeout)
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(try await holding.value == .null)
        #expect(try await redis.command(["PING"]) == .status("PONG"))
    }

    @Test func reconnectsAfterRedisRestarts() async throws {
        let server = try PrivateServer.redis()
        try await server.start()
        let redis = pool(port: server.port)
        #expect(try await redis.command(["PING"]) == .status("PONG"))
        server.stop()
        await #expect(throws: CacheError.self) { try await redis.command(["PING"]) }
        try await server.start()
        try await eventually("redis answers again") { (try? await redis.command(["PING"])) == .status("PONG") }
    }
}
