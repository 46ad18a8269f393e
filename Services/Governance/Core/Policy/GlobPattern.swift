#if canImport(Glibc)
import Glibc
#endif

/// A pattern over ids and actions: `*` matches any run of characters (also
/// `:` and `.`), `?` one character, everything else itself. Common shapes
/// (exact, `prefix*`, `*suffix`, `*`) match with one `memcmp`, without the
/// general algorithm: policies of thousands of rules are scanned per request.
public struct GlobPattern: Sendable, Hashable, CustomStringConvertible {
    enum Shape: UInt8, Sendable, Hashable { case any, exact, prefix, suffix, general }

    public let description: String
    let shape: Shape
    /// The literal part for exact/prefix/suffix; the whole pattern for general.
    let literal: [UInt8]

    public static let any = GlobPattern("*")

    public init(_ text: String) {
        description = text
        let bytes = Array(text.utf8)
        let stars = bytes.filter { $0 == UInt8(ascii: "*") }.count
        let hasQuestion = bytes.contains(UInt8(ascii: "?"))
        if text == "*" {
            (shape, literal) = (.any, [])
        } else if stars == 0 && !hasQuestion {
            (shape, literal) = (.exact, bytes)
        } else if stars == 1 && !hasQuestion && bytes.last == UInt8(ascii: "*") {
            (shape, literal) = (.prefix, Array(bytes.dropLast()))
        } else if stars == 1 && !hasQuestion && bytes.first == UInt8(ascii: "*") {
            (shape, literal) = (.suffix, Array(bytes.dropFirst()))
        } else {
            (shape, literal) = (.general, bytes)
        }
    }

    /// The exact text this pattern matches, when it matches only one.
    public var exactText: String? { shape == .exact ? description : nil }

    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { matches(utf8: $0) }
    }

    @inline(__always)
    func matches(utf8 text: UnsafeBufferPointer<UInt8>) -> Bool {
        if shape == .any { return true }
        return literal.withUnsafeBufferPointer { literal in
            switch shape {
            case .any: return true
            case .exact: return text.count == literal.count && Self.equal(text.baseAddress, literal.baseAddress, literal.count)
            case .prefix: return text.count >= literal.count && Self.equal(text.baseAddress, literal.baseAddress, literal.count)
            case .suffix:
                return text.count >= literal.count
                    && Self.equal(text.baseAddress.map { $0 + (text.count - literal.count) }, literal.baseAddress, literal.count)
            case .general: return Self.glob(literal, text)
            }
        }
    }

    @inline(__always)
    private static func equal(_ a: UnsafePointer<UInt8>?, _ b: UnsafePointer<UInt8>?, _ count: Int) -> Bool {
        count == 0 || (a != nil && b != nil && memcmp(a!, b!, count) == 0)
    }

    /// Iterative glob with single-star backtracking: linear in practice, no recursion.
    private static func glob(_ pattern: UnsafeBufferPointer<UInt8>, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var p = 0, t = 0
        var starP = -1, starT = 0
        while t < text.count {
            if p < pattern.count && (pattern[p] == UInt8(ascii: "?") || (pattern[p] != UInt8(ascii: "*") && pattern[p] == text[t])) {
                p += 1; t += 1
            } else if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                starP = p; starT = t; p += 1
            } else if starP >= 0 {
                p = starP + 1; starT += 1; t = starT
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
