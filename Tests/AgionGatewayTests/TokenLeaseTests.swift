@testable import AgionGateway
import Testing

/// How big a replica's leases of rate-limit tokens get (`TokenLease`).
@Suite struct TokenLeaseTests {
    let start = ContinuousClock.now

    func lease(granted: Int, left: Int) -> TokenLease {
        TokenLease(granted: granted, left: left, grantedAt: start, limit: 100, remainingAtGrant: 50, resetSeconds: 1)
    }

    @Test func smallLimitsAreNotLeased() {
        // The limits of the rate-limit integration test: every request asks Redis.
        #expect(TokenLease.cap(for: [.init(rate: 1, burst: 4), .init(rate: 1, burst: 6)]) == 1)
        #expect(TokenLease.cap(for: [.init(rate: 50, burst: 1_000)]) == 5)  // 100 ms of 50/s
        #expect(TokenLease.cap(for: [.init(rate: 100_000, burst: 80)]) == 10)  // an eighth of the burst
        #expect(TokenLease.cap(for: [.init(rate: 1_000_000, burst: 1_000_000)]) == TokenLease.maxTokens)
        // The tighter bucket bounds the lease.
        #expect(TokenLease.cap(for: [.init(rate: 1_000, burst: 2_000), .init(rate: 200, burst: 20_000)]) == 20)
    }

    @Test func aQuietCredentialGetsOneTokenAtATime() {
        #expect(TokenLease.nextSize(after: nil, at: start, cap: 128) == 1)
        // One request, then nothing until the lease expired: stays at 1.
        let used = lease(granted: 1, left: 0)
        #expect(TokenLease.nextSize(after: used, at: start + .seconds(2), cap: 128) == 1)
    }

    @Test func aBusyCredentialsLeasesGrowByDoublingUpToTheCap() {
        // Used up 4 tokens in 1 ms: at that rate it would use 400 in a lifetime; doubling limits it to 8.
        #expect(TokenLease.nextSize(after: lease(granted: 4, left: 0), at: start + .milliseconds(1), cap: 128) == 8)
        #expect(TokenLease.nextSize(after: lease(granted: 100, left: 0), at: start + .milliseconds(1), cap: 128) == 128)
        // 10 tokens over 50 ms is 20 per 100 ms lifetime.
        #expect(TokenLease.nextSize(after: lease(granted: 10, left: 0), at: start + .milliseconds(50), cap: 128) == 20)
    }

    @Test func aLeaseThatExpiredUnusedShrinksToWhatWasUsed() {
        #expect(TokenLease.nextSize(after: lease(granted: 64, left: 60), at: start + .milliseconds(150), cap: 128) == 4)
        #expect(TokenLease.nextSize(after: lease(granted: 64, left: 64), at: start + .milliseconds(150), cap: 128) == 1)
    }

    @Test func aLeaseServesUntilItIsEmptyOrExpired() {
        let fresh = lease(granted: 8, left: 3)
        #expect(fresh.isUsable(at: start + .milliseconds(99)))
        #expect(!fresh.isUsable(at: start + TokenLease.lifetime))
        #expect(!lease(granted: 8, left: 0).isUsable(at: start))
        // Remaining counts the bucket and what this replica still holds.
        #expect(fresh.outcome == RateLimiter.Outcome(allowed: true, limit: 100, remaining: 53, resetSeconds: 1))
    }
}
