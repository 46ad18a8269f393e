/// A W3C Trace Context `traceparent` value: `00-<trace-id>-<parent-id>-<flags>`.
public struct Traceparent: Hashable, Sendable, CustomStringConvertible {
    /// 32 lower-case hex digits, not all zero.
    public let traceID: String
    /// 16 lower-case hex digits, not all zero.
    public let parentID: String
    public let sampled: Bool

    /// Parses a header value; nil when it does not follow the W3C format.
    public init?(_ header: String) {
        let parts = header.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, parts[0] != "ff",
              Self.isHex(parts[0]), Self.isHex(parts[1], count: 32), Self.isHex(parts[2], count: 16),
              Self.isHex(parts[3], count: 2), parts[0] != "00" || parts.count == 4,
              let flags = UInt8(parts[3], radix: 16)
        else { return nil }
        self.traceID = String(parts[1])
        self.parentID = String(parts[2])
        self.sampled = flags & 1 == 1
    }

    /// A new root trace with random ids.
    public static func makeRoot(sampled: Bool = true) -> Traceparent {
        Traceparent(traceID: randomHex(bytes: 16), parentID: randomHex(bytes: 8), sampled: sampled)
    }

    /// The same trace with a new span id, for a hop this process makes.
    public func child() -> Traceparent {
        Traceparent(traceID: traceID, parentID: Self.randomHex(bytes: 8), sampled: sampled)
    }

    public var description: String { "00-\(traceID)-\(parentID)-\(sampled ? "01" : "00")" }

    private init(traceID: String, parentID: String, sampled: Bool) {
        self.traceID = traceID
        self.parentID = parentID
        self.sampled = sampled
    }

    private static func isHex(_ s: Substring, count: Int? = nil) -> Bool {
        if let count, s.utf8.count != count { return false }
        var nonZero = count == nil
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "0"): continue
            case UInt8(ascii: "1")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): nonZero = true
            default: return false
            }
        }
        return nonZero || count == 2
    }

    /// `bytes` (at most 16) random bytes as hex, from the shared pool: one
    /// `getrandom` per byte (`UInt8.random`) was a visible share of the
    /// gateway's CPU, since every request without a traceparent makes one.
    private static func randomHex(bytes: Int) -> String {
        precondition(bytes <= 16)
        let (low, high) = RandomPool.shared.next128()
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes * 2)
        for i in 0..<bytes {
            let b = UInt8(truncatingIfNeeded: (i < 8 ? low : high) >> (8 * UInt64(i % 8)))
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        if out.allSatisfy({ $0 == UInt8(ascii: "0") }) { out[out.count - 1] = UInt8(ascii: "1") }
        return String(decoding: out, as: UTF8.self)
    }
}
