import AgionEnvelope
import Synchronization

/// The time coordination decides by: the system's, plus an offset per tenant
/// that only tests set, so an approval's hour-long timeout or escalation can
/// be seen to expire without waiting an hour (and without moving the time of
/// any other tenant's missions). Production never sets an offset.
public final class MissionClock: Sendable {
    private let offsets = Mutex<[String: Int64]>([:])

    public init() {}

    /// Now, for `tenant`'s missions (Unix nanoseconds).
    public func now(tenant: String) -> Int64 {
        Envelope.nowUnixNanos() + (offsets.withLock { $0[tenant] } ?? 0)
    }

    /// Moves `tenant`'s time on by `duration` (tests).
    public func advance(tenant: String, by duration: Duration) {
        offsets.withLock { $0[tenant, default: 0] += Int64(duration / .nanoseconds(1)) }
    }

    /// The tenants whose time is not the system's, and how far ahead it is.
    var skewed: [(tenant: String, offset: Int64)] {
        offsets.withLock { $0.map { ($0.key, $0.value) } }
    }
}
