import Foundation

/// UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits, so
/// ids sort by creation time and index well in PostgreSQL.
public enum UUIDv7 {
    /// A new UUIDv7 for the current time.
    public static func make() -> UUID {
        make(unixMillis: UInt64(Date().timeIntervalSince1970 * 1000))
    }

    /// A new UUIDv7 for the given time, with fresh random bits.
    public static func make(unixMillis: UInt64) -> UUID {
        var rng = SystemRandomNumberGenerator()
        let random = rng.next() as UInt64
        let random2 = rng.next() as UInt64
        var b = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { b[i] = UInt8(truncatingIfNeeded: unixMillis >> (40 - 8 * UInt64(i))) }
        for i in 6..<14 { b[i] = UInt8(truncatingIfNeeded: random >> (8 * UInt64(i - 6))) }
        b[14] = UInt8(truncatingIfNeeded: random2)
        b[15] = UInt8(truncatingIfNeeded: random2 >> 8)
        b[6] = (b[6] & 0x0F) | 0x70  // version 7
        b[8] = (b[8] & 0x3F) | 0x80  // RFC 4122 variant
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                           b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    /// The millisecond timestamp of a version-7 UUID, or nil for other versions.
    public static func unixMillis(of id: UUID) -> UInt64? {
        let u = id.uuid
        guard u.6 >> 4 == 7 else { return nil }
        return [u.0, u.1, u.2, u.3, u.4, u.5].reduce(0) { $0 << 8 | UInt64($1) }
    }
}

extension UUID {
    /// Canonical lower-case text form, as carried in envelopes and `Nats-Msg-Id`.
    public var lowercasedString: String { uuidString.lowercased() }
}
