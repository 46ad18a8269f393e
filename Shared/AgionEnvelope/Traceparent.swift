/// A W3C Trace Context `traceparent` value: `00-<trace-id>-<parent-id>-<flags>`.
public struct Traceparent: Hashable, Sendable, CustomStringConvertible {
    /// 32 lower-case hex digits, not all zero.
    public let traceID: String
    /// 16 lower-case hex digits, not all zero.
    public let parentID: String
    public let sampled: Bool

    /// Parses a header value; nil when it does not follow the W3C format:
    /// version (2 hex digits, not `ff`), trace id (32), parent id (16), flags
    /// (2), separated by `-`; a version other than `00` may be followed by
    /// `-` and more. Byte-wise: every request and every reply parses one.
    public init?(_ header: String) {
        var header = header
        guard let parsed = header.withUTF8(Self.parse) else { return nil }
        self = parsed
    }

    private static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Traceparent? {
        let dash = UInt8(ascii: "-")
        guard b.count >= 55, b[2] == dash, b[35] == dash, b[52] == dash,
              isHex(b, 0..<2, nonZero: false), !(b[0] == UInt8(ascii: "f") && b[1] == UInt8(ascii: "f")),
              isHex(b, 3..<35, nonZero: true), isHex(b, 36..<52, nonZero: true), isHex(b, 53..<55, nonZero: false)
        else { return nil }
        let versionZero = b[0] == UInt8(ascii: "0") && b[1] == UInt8(ascii: "0")
        guard b.count == 55 || (!versionZero && b[55] == dash) else { return nil }
        let flags = hexValue(b[53]) << 4 | hexValue(b[54])
        return Traceparent(traceID: String(decoding: UnsafeBufferPointer(rebasing: b[3..<35]), as: UTF8.self),
                           parentID: String(decoding: UnsafeBufferPointer(rebasing: b[36..<52]), as: UTF8.self), sampled: flags & 1 == 1)
    }

    /// Lower-case hex digits only; with `nonZero`, not all `0`.
    private static func isHex(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, nonZero: Bool) -> Bool {
        var seenNonZero = !nonZero
        for i in range {
            switch b[i] {
            case UInt8(ascii: "0"): continue
            case UInt8(ascii: "1")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): seenNonZero = true
            default: return false
            }
        }
        return seenNonZero
    }

    private static func hexValue(_ c: UInt8) -> UInt8 { c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : c - UInt8(ascii: "a") + 10 }

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
