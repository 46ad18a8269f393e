/// Tokens a gateway replica took from a credential's Redis buckets in one
/// round trip and hands out locally, so a busy credential costs Redis one
/// call per lease instead of one per request.
///
/// The tokens are taken from the shared buckets before they are used, so the
/// replicas together never let more requests through than the buckets hold;
/// what a lease costs is that tokens held by one replica are not available to
/// another for at most `lifetime`, and that tokens still held when it expires
/// are lost. Both are kept small by sizing leases to what the credential
/// used: a quiet credential gets leases of 1 (every request asks Redis, as
/// without leases), a busy one up to `cap` (at most `lifetime` of its rate and
/// an eighth of its burst).
struct TokenLease: Sendable, Equatable {
    /// How long a replica may hold tokens it took.
    static let lifetime: Duration = .milliseconds(100)
    /// The most tokens one lease takes, whatever the rate.
    static let maxTokens = 128

    /// The tokens the lease was granted (the size asked for, or fewer when the buckets held fewer).
    var granted: Int
    /// Tokens not handed out yet.
    var left: Int
    var grantedAt: ContinuousClock.Instant
    /// What Redis reported for the tighter bucket when it granted the lease (after taking it).
    var limit: Int
    var remainingAtGrant: Int
    var resetSeconds: Int

    var expiresAt: ContinuousClock.Instant { grantedAt + Self.lifetime }

    func isUsable(at now: ContinuousClock.Instant) -> Bool { left > 0 && now < expiresAt }

    /// The answer for a request served from this lease: the tokens in the
    /// bucket plus those this replica still holds.
    var outcome: RateLimiter.Outcome {
        RateLimiter.Outcome(allowed: true, limit: limit, remaining: remainingAtGrant + left, resetSeconds: resetSeconds)
    }

    /// The largest lease for these buckets: `lifetime` of the slower rate and
    /// an eighth of the smaller burst, so one replica never holds a large share
    /// of what a credential or tenant may spend; 1 for small limits.
    static func cap(for buckets: [RateLimiter.Bucket]) -> Int {
        let seconds = Double(lifetime.components.seconds) + Double(lifetime.components.attoseconds) / 1e18
        let bound = buckets.map { min(Int($0.rate * seconds), $0.burst / 8) }.min() ?? 1
        return max(1, min(maxTokens, bound))
    }

    /// How many tokens to ask for next, given the previous lease: what the
    /// credential would use in one lifetime at the rate it used the last one,
    /// at most twice the last lease (so a burst grows leases gradually), and
    /// after a lease expired unused, what was used of it.
    static func nextSize(after previous: TokenLease?, at now: ContinuousClock.Instant, cap: Int) -> Int {
        guard let previous else { return 1 }
        let used = previous.granted - previous.left
        if previous.left > 0 { return max(1, min(used, cap)) }
        let elapsed = max(now - previous.grantedAt, .microseconds(100))
        let perLifetime = (Double(used) * (lifetime / elapsed)).rounded(.up)
        return max(1, min(cap, previous.granted * 2, Int(min(perLifetime, Double(Int.max / 2)))))
    }
}
