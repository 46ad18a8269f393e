import AgionCache
@testable import AgionGateway
import Foundation
import Glibc
import Testing

/// The rate limiter when Redis hangs: requests pass, and only the first waits for it.
@Suite struct RateLimiterTests {
    @Test func aHungRedisCostsOneTimeoutNotOnePerRequest() async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        let redis = RedisPool(RedisConfiguration(port: silent.port, connectTimeout: .milliseconds(300), commandTimeout: .milliseconds(300)))
        let limiter = RateLimiter(redis: redis, keyPrefix: "it:rl:hung", perCredential: .init(rate: 10, burst: 20),
                                  perTenant: .init(rate: 100, burst: 200), logger: TestEnvironment.logger)
        let first = ContinuousClock.now
        #expect(await limiter.take(for: Credential(tenant: "t", role: .viewer, subject: "a")) == nil, "passes unlimited")
        #expect(ContinuousClock.now - first >= .milliseconds(250), "the first request found out by waiting")
        let others = ContinuousClock.now
        for subject in ["b", "c", "d"] { #expect(await limiter.take(for: Credential(tenant: "t", role: .viewer, subject: subject)) == nil) }
        // Asking again would take 3 × 300 ms; room for a stalled shared machine below that.
        #expect(ContinuousClock.now - others < .milliseconds(600), "the next ones did not wait for Redis again")
        await redis.shutdown()
    }
}

/// A TCP port that accepts connections (the kernel's backlog) and never answers: a hung server.
struct SilentListener {
    let fd: Int32
    let port: Int

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        guard bound, listen(listener, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        fd = listener
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(fd) }
}
