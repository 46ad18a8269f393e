import Foundation
import Synchronization

/// UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits, so
/// ids sort by creation time and index well in PostgreSQL.
public enum UUIDv7 {
    /// A new UUIDv7 for the current time.
    public static func make() -> UUID {
        make(unixMillis: UInt64(Date().timeIntervalSince1970 * 1000))
    }

    /// A new UUIDv7 for the given time, with fresh random bits.
    public static func make(unixMillis: UInt64) -> UUID {
        let (random, random2) = RandomPool.shared.next128()
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

    /// A UUIDv7 for the given time whose other 74 bits are the first bytes of
    /// `digest` instead of random ones: the same inputs give the same id, for
    /// events that must be stored once however often they are published
    /// (JetStream deduplicates by `Nats-Msg-Id`, the envelope id). Still a
    /// valid, time-ordered version 7 (RFC 9562 allows any content in those bits).
    public static func derived(unixMillis: UInt64, digest: some Sequence<UInt8>) -> UUID {
        var b = Array(digest.prefix(16))
        precondition(b.count == 16, "a derived UUIDv7 needs 16 bytes of digest")
        for i in 0..<6 { b[i] = UInt8(truncatingIfNeeded: unixMillis >> (40 - 8 * UInt64(i))) }
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
    /// (Formatted by hand: Foundation's `uuidString.lowercased()` costs several
    /// allocations on the hot path of every message.)
    public var lowercasedString: String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var o = 0
                for (i, byte) in bytes.enumerated() {
                    if i == 4 || i == 6 || i == 8 || i == 10 { out[o] = UInt8(ascii: "-"); o += 1 }
                    out[o] = hexDigits[Int(byte >> 4)]
                    out[o + 1] = hexDigits[Int(byte & 0x0F)]
                    o += 2
                }
                return 36
            }
        }
    }

    /// Parses the canonical 36-character form (either case); nil otherwise.
    public init?(canonical text: String) {
        var text = text
        let parsed: uuid_t? = text.withUTF8 { utf8 -> uuid_t? in
            guard utf8.count == 36 else { return nil }
            var bytes = [UInt8](repeating: 0, count: 16)
            var i = 0, b = 0
            while i < 36 {
                if i == 8 || i == 13 || i == 18 || i == 23 {
                    guard utf8[i] == UInt8(ascii: "-") else { return nil }
                    i += 1
                    continue
                }
                guard let high = hexValue(utf8[i]), let low = hexValue(utf8[i + 1]) else { return nil }
                bytes[b] = high << 4 | low
                b += 1
                i += 2
            }
            return (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                    bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15])
        }
        guard let parsed else { return nil }
        self.init(uuid: parsed)
    }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c &- UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c &- UInt8(ascii: "a") &+ 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c &- UInt8(ascii: "A") &+ 10
    default: nil
    }
}

/// Random bytes for ids, taken from the kernel's CSPRNG 4 KiB at a time: two
/// `getrandom` calls per id (what `SystemRandomNumberGenerator` does) dominated
/// the cost of making an envelope.
final class RandomPool: Sendable {
    static let shared = RandomPool()

    /// 4 KiB from /dev/urandom (the same CSPRNG as getrandom, which Swift's Glibc
    /// module does not export); falls back to the system generator.
    private static func refill() -> [UInt64] {
        var words = [UInt64](repeating: 0, count: 512)
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        var filled = 0
        if fd >= 0 {
            words.withUnsafeMutableBytes { raw in
                while filled < raw.count {
                    let n = read(fd, raw.baseAddress! + filled, raw.count - filled)
                    if n <= 0 { break }
                    filled += n
                }
            }
            close(fd)
        }
        if filled < 4_096 {
            var rng = SystemRandomNumberGenerator()
            for i in words.indices { words[i] = rng.next() }
        }
        return words
    }
    private let state = Mutex<(buffer: [UInt64], index: Int)>(([], 0))

    func next128() -> (UInt64, UInt64) {
        state.withLock { state in
            if state.index + 2 > state.buffer.count {
                state.buffer = Self.refill()
                state.index = 0
            }
            defer { state.index += 2 }
            return (state.buffer[state.index], state.buffer[state.index + 1])
        }
    }
}
